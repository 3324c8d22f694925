#!/usr/bin/env bash
# The man pages render without a warning in any locale, and cannot drift
# from the binary: every command of `suqiu help` has its own section in
# suqiu(1) naming every option of its --help, the global options and every
# environment variable the program mentions are documented, and
# tests/unit/test_docs.c (which checks suqiu.yaml(5) against the option
# tables) names every table config.h exports.
. "$(dirname "$0")/lib.sh"

man1=$SUQIU_TOP/doc/suqiu.1
man5=$SUQIU_TOP/doc/suqiu.yaml.5

say "man and groff render both pages without warnings"
for page in "$man1" "$man5"; do
	for loc in C C.UTF-8; do
		out=$(LANG=$loc LC_ALL=$loc MANWIDTH=80 man --warnings -l "$page" 2>&1 >/dev/null)
		expect_eq "$out" "" "man --warnings $(basename "$page") in $loc"
	done
	expect_eq "$(groff -man -ww -z "$page" 2>&1)" "" "groff -man -ww -z $(basename "$page")"
	expect_eq "$(LC_ALL=C groff -man -ww -z -Tascii "$page" 2>&1)" "" "groff -Tascii $(basename "$page")"
	if LC_ALL=C grep -n '[^ -~	]' "$page" >"$T/nonascii"; then
		fail "$(basename "$page") has bytes outside printable ASCII (use \\[uXXXX]):"
		head -n 3 "$T/nonascii"
	fi
done

say "every command, option and environment variable of the binary is in suqiu(1)"
"$SUQIU_BIN" help >"$T/help.txt" || fail "suqiu help"
"$SUQIU_BIN" --help >"$T/global.txt" || fail "suqiu --help"
mkdir -p "$T/cmd"
commands=$(sed -n '/^commands:/,/^$/s/^  \([a-z][a-z-]*\) .*/\1/p' "$T/help.txt")
[ -n "$commands" ] || fail "no commands parsed from suqiu help"
for c in $commands; do
	"$SUQIU_BIN" "$c" --help >"$T/cmd/$c" 2>&1 || fail "suqiu $c --help exited non-zero"
done
/usr/bin/python3 - "$man1" "$T/global.txt" "$T/cmd" $commands <<'PY' || fail "suqiu(1) drifted from the binary"
import os, re, sys

page, global_help, cmd_dir, commands = sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4:]

def plain(line):
    """The text a roff source line shows, near enough for matching."""
    if line.startswith('.\\"'):
        return ""
    if line.startswith("."):
        line = line.split(" ", 1)[1] if " " in line else ""
    line = re.sub(r"\\f[BIRP]", "", line)
    line = line.replace("\\-", "-").replace("\\&", "").replace("\\c", "").replace('"', "")
    return line

sections, current, sub = {}, None, None
for line in open(page, encoding="ascii"):
    line = line.rstrip("\n")
    if line.startswith(".SH "):
        current, sub = plain(line).strip(), None
        sections.setdefault(current, "")
        continue
    if line.startswith(".SS ") and current == "COMMANDS":
        sub = plain(line).strip()
        sections.setdefault("COMMANDS/" + sub, "")
        continue
    key = "COMMANDS/" + sub if current == "COMMANDS" and sub else current
    if key:
        sections[key] = sections.get(key, "") + " " + plain(line)

problems = []
documented = {k.split("/", 1)[1] for k in sections if k.startswith("COMMANDS/")}
for c in commands:
    if c not in documented:
        problems.append(f"command {c}: no '.SS {c}' under COMMANDS")
        continue
    text = sections["COMMANDS/" + c]
    help_text = open(os.path.join(cmd_dir, c), encoding="utf-8").read()
    for opt in sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", help_text))):
        if opt == "--help":
            continue
        if not re.search(re.escape(opt) + r"(?![a-z0-9-])", text):
            problems.append(f"command {c}: option {opt} of its --help is not in its section")
for c in documented - set(commands) - {"help"}:
    problems.append(f"suqiu(1) documents a command '{c}' that suqiu help does not list")

glob = sections.get("GLOBAL OPTIONS", "")
for opt in sorted(set(re.findall(r"(?<![\w-])--[a-z][a-z0-9-]*", open(global_help).read()))):
    if not re.search(re.escape(opt) + r"(?![a-z0-9-])", glob):
        problems.append(f"global option {opt} is not under GLOBAL OPTIONS")

env = sections.get("ENVIRONMENT", "")
wanted = {"SUQIU_CONFIG", "CREDENTIALS_DIRECTORY", "NO_COLOR", "JOURNAL_STREAM",
          "SUQIU_CRASH_AT", "SUQIU_NOW", "SUDO_USER"}
for f in [global_help] + [os.path.join(cmd_dir, c) for c in commands]:
    wanted |= set(re.findall(r"\b(SUQIU_[A-Z][A-Z_]*[A-Z])\b", open(f, encoding="utf-8").read()))
for v in sorted(wanted):
    if not re.search(r"\b" + re.escape(v) + r"\b", env):
        problems.append(f"environment variable {v} is not under ENVIRONMENT")
if not re.search(r"SUQIU_ ?OWNER ?_ ?KEY", env):
    problems.append("SUQIU_<OWNER>_<KEY> is not under ENVIRONMENT")
for s in ("EXIT STATUS", "FILES", "SEE ALSO"):
    if s not in sections:
        problems.append(f"no section {s}")
for p in problems:
    print(p)
sys.exit(1 if problems else 0)
PY

say "test_docs.c checks every option table that config.h exports"
for t in $(sed -n 's/^extern const struct sq_option \(config_[a-z_]*_options\)\[\];.*/\1/p' \
		"$SUQIU_TOP/internal/config.h"); do
	grep -q "\b$t\b" "$SUQIU_TOP/tests/unit/test_docs.c" ||
		fail "tests/unit/test_docs.c does not check $t"
done
grep -q 'connector_all' "$SUQIU_TOP/tests/unit/test_docs.c" || fail "test_docs.c skips the connectors"
finish
