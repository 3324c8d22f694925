#!/usr/bin/env bash
# make install DESTDIR=... lays out the binary, man pages, /etc/suqiu and
# the systemd units (ExecStart rewritten to PREFIX), never writes the
# administrator's suqiu.yaml, keeps an edited taxonomy; the installed binary
# runs; make uninstall removes exactly what install added.
. "$(dirname "$0")/lib.sh"

# The outer make's jobserver is not ours to use.
unset MAKEFLAGS MFLAGS MAKELEVEL
build=${SUQIU_BUILD:-$SUQIU_TOP/build}
version=$(cat "$SUQIU_TOP/VERSION")
mk() { make -s --no-print-directory -C "$SUQIU_TOP" BUILD="$build" "$@" >"$T/make.out" 2>&1; }
tree() { (cd "$1" && find . -type f -o -type l | LC_ALL=C sort); }

say "install into DESTDIR with PREFIX=/usr over an existing configuration and database"
D=$T/stage
mkdir -p "$D/etc/suqiu" "$D/var/lib/suqiu"
printf 'database: /var/lib/suqiu/suqiu.db\n# the administrator'\''s own\n' >"$D/etc/suqiu/suqiu.yaml"
printf 'not really a database\n' >"$D/var/lib/suqiu/suqiu.db"
before=$(tree "$D")
conf_sum=$(sha256sum <"$D/etc/suqiu/suqiu.yaml")
mk install DESTDIR="$D" PREFIX=/usr || { cat "$T/make.out"; fail "make install failed"; finish; }

for f in usr/bin/suqiu usr/share/man/man1/suqiu.1 usr/share/man/man5/suqiu.yaml.5 \
	etc/suqiu/suqiu.yaml.example etc/suqiu/taxonomy.yaml \
	lib/systemd/system/suqiu-poll.service lib/systemd/system/suqiu-poll.timer \
	lib/systemd/system/suqiu-digest.service lib/systemd/system/suqiu-digest.timer \
	lib/systemd/system/suqiu-prune.service lib/systemd/system/suqiu-prune.timer; do
	[ -f "$D/$f" ] || fail "$f not installed"
done
[ -x "$D/usr/bin/suqiu" ] || fail "the binary is not executable"
expect_eq "$(stat -c %a "$D/etc/suqiu/credentials")" 700 "mode of /etc/suqiu/credentials"
expect_eq "$(stat -c %a "$D/usr/share/man/man1/suqiu.1")" 644 "mode of the man page"
expect_eq "$(sha256sum <"$D/etc/suqiu/suqiu.yaml")" "$conf_sum" "the administrator's suqiu.yaml"
cmp -s "$SUQIU_TOP/config/suqiu.example.yaml" "$D/etc/suqiu/suqiu.yaml.example" ||
	fail "suqiu.yaml.example differs from config/suqiu.example.yaml"
cmp -s "$SUQIU_TOP/config/taxonomy.yaml" "$D/etc/suqiu/taxonomy.yaml" || fail "taxonomy.yaml differs"
expect_eq "$(cat "$D/var/lib/suqiu/suqiu.db")" "not really a database" "the database"

say "units: ExecStart names PREFIX/bin/suqiu, nothing else changed"
for u in "$D"/lib/systemd/system/suqiu-*.service; do
	grep -q '^ExecStart=/usr/bin/suqiu ' "$u" || fail "$(basename "$u"): ExecStart not rewritten"
	grep -q '/usr/local/bin' "$u" && fail "$(basename "$u"): still names /usr/local/bin"
	expect_eq "$(diff <(sed 's|/usr/bin/suqiu|/usr/local/bin/suqiu|' "$u") \
		"$SUQIU_TOP/config/systemd/$(basename "$u")")" "" "$(basename "$u") apart from the path"
done
sed "s|^ExecStart=/usr/bin/suqiu|ExecStart=$D/usr/bin/suqiu|" "$D/lib/systemd/system/suqiu-poll.service" \
	>"$T/suqiu-poll.service"
cp "$D/lib/systemd/system/suqiu-poll.timer" "$T/"
systemd-analyze verify --man=no "$T/suqiu-poll.service" "$T/suqiu-poll.timer" >"$T/verify" 2>&1 ||
	{ cat "$T/verify"; fail "the installed poll unit does not verify"; }

say "the installed binary runs, and its man pages render without warnings"
expect_eq "$("$D/usr/bin/suqiu" --version)" "suqiu $version" "installed suqiu --version"
"$D/usr/bin/suqiu" help >"$T/help" || fail "installed suqiu help"
for p in man1/suqiu.1 man5/suqiu.yaml.5; do
	out=$(MANWIDTH=80 man --warnings -l "$D/usr/share/man/$p" 2>&1 >/dev/null)
	expect_eq "$out" "" "man warnings of the installed $p"
done

say "a second install keeps an edited taxonomy and puts the new one beside it"
printf '# edited by the office\n' >>"$D/etc/suqiu/taxonomy.yaml"
mk install DESTDIR="$D" PREFIX=/usr || fail "second make install failed"
grep -q 'edited by the office' "$D/etc/suqiu/taxonomy.yaml" || fail "the edited taxonomy was overwritten"
cmp -s "$SUQIU_TOP/config/taxonomy.yaml" "$D/etc/suqiu/taxonomy.yaml.dist" || fail "no taxonomy.yaml.dist"
grep -q 'keeping the edited' "$T/make.out" || fail "install did not say it kept the taxonomy"

say "uninstall removes what install added and leaves the configuration and data"
mk uninstall DESTDIR="$D" PREFIX=/usr || { cat "$T/make.out"; fail "make uninstall failed"; }
# The edited taxonomy is the administrator's now: it stays too.
expect_eq "$(tree "$D")" "$(printf '%s\n' "$before" ./etc/suqiu/taxonomy.yaml | LC_ALL=C sort)" \
	"files left after uninstall"
expect_eq "$(sha256sum <"$D/etc/suqiu/suqiu.yaml")" "$conf_sum" "suqiu.yaml after uninstall"

say "default PREFIX into an empty DESTDIR, then uninstall leaves no file and no /etc/suqiu"
E=$T/empty
mkdir -p "$E"
mk install DESTDIR="$E" || fail "make install (default PREFIX) failed"
[ -x "$E/usr/local/bin/suqiu" ] || fail "no /usr/local/bin/suqiu"
grep -q '^ExecStart=/usr/local/bin/suqiu ' "$E/lib/systemd/system/suqiu-poll.service" ||
	fail "default PREFIX: ExecStart"
[ -e "$E/etc/suqiu/suqiu.yaml" ] && fail "install wrote a suqiu.yaml"
mk uninstall DESTDIR="$E" || fail "make uninstall (default PREFIX) failed"
expect_eq "$(tree "$E")" "" "files left in an empty DESTDIR"
[ -d "$E/etc/suqiu" ] && fail "/etc/suqiu left behind although empty"
finish
