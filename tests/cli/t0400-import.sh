#!/usr/bin/env bash
# suqiu import: saved pages go through the same parse/normalize/store path
# as poll — one page, pages one after another, a JSON array of pages, a GBK
# page — without moving any cursor; a broken page is reported with the
# source, file and page and the other pages are stored; re-importing
# changes nothing; an import killed before its commit stores nothing, and
# running it again makes the store a clean import makes, every complaint
# in an incident.
. "$(dirname "$0")/lib.sh"

SIM_URL=http://127.0.0.1:1     # import never talks to a feed
write_config hotline liaison open311

"$PYTHON" - "$SUQIU_TOP/fixtures/sim" "$T" <<'PY'
import json, sys
src, out = sys.argv[1], sys.argv[2]
def latest(name):
    for e in json.load(open(f"{src}/{name}.json")):
        yield (e["versions"] if isinstance(e, dict) and set(e) == {"versions"} else [e])[-1]
def dump(v): return json.dumps(v, ensure_ascii=False)
hot = list(latest("hotline"))
pages = [hot[i:i + 25] for i in range(0, len(hot), 25)]
def hpage(lst, no): return {"code": 0, "msg": "成功", "data": {"total": len(hot), "pageNo": no, "pageSize": 25, "list": lst}}
open(f"{out}/hotline-one.json", "w").write(dump(hpage(pages[0], 1)))
open(f"{out}/hotline-concat.json", "w").write("\n".join(dump(hpage(p, i + 1)) for i, p in enumerate(pages)) + "\n")
open(f"{out}/hotline-array.json", "w").write(dump([hpage(p, i + 1) for i, p in enumerate(pages)]))
broken = [dump(hpage(pages[0], 1)), dump({"code": 40001, "msg": "参数错误", "data": None}),
          dump(hpage(pages[1], 2)), dump(hpage(pages[2], 3))[:200]]
open(f"{out}/hotline-broken.json", "w").write("\n".join(broken))
bad = dict(pages[2][0]); del bad["orderNo"]
open(f"{out}/hotline-bad-record.json", "w").write(dump(hpage([bad] + pages[2][1:], 3)))
li = list(latest("liaison"))
def gbk_ok(c):
    try:
        c.encode("gbk")
        return True
    except UnicodeEncodeError:
        return False
text = json.dumps({"messages": li, "next_cursor": None}, ensure_ascii=False)
# Characters GBK lacks (an emoji) as JSON escapes, as the station does.
text = "".join(c if gbk_ok(c) else json.dumps(c)[1:-1] for c in text)
open(f"{out}/liaison-gbk.json", "wb").write(text.encode("gbk"))
o = list(latest("open311"))
open(f"{out}/open311-page.json", "w").write(dump(o[:10]))
open(f"{out}/open311-pages.json", "w").write(dump([o[:10], o[10:]]))
PY

say "usage errors"
run_suqiu import "$T/hotline-one.json"
expect_status 2 "import without --source"
run_suqiu import --source nosuch "$T/hotline-one.json"
expect_status 2 "unknown source"
expect_err "no source named 'nosuch'"
run_suqiu import --source hotline "$T/missing.json"
expect_status 2 "missing file"
expect_err "^suqiu: import: $T/missing.json: No such file or directory$"

say "one page"
run_suqiu import --source hotline "$T/hotline-one.json"
expect_status 0 "one page"
expect_eq "$(count_source hotline)" 25 "complaints from one page"
expect_err "^suqiu: import: hotline: $T/hotline-one.json: 1 page stored, 25 fetched: 25 new, "
expect_eq "$(sql 'SELECT count(*) FROM cursors')" 0 "cursors after import"
expect_eq "$(sql "SELECT count(*) FROM complaints WHERE contact_raw IS NOT NULL")" 0 "raw phone numbers"

say "pages one after another; then the same as an array: nothing new"
run_suqiu import --source hotline "$T/hotline-concat.json"
expect_status 0 "concatenated pages"
expect_eq "$(count_source hotline)" 62 "complaints from all pages"
expect_err "3 pages stored, 62 fetched: 37 new, 0 updated, 25 unchanged"
run_suqiu import --source hotline "$T/hotline-array.json"
expect_status 0 "array of pages"
expect_err "3 pages stored, 62 fetched: 0 new, 0 updated, 62 unchanged"
expect_eq "$(sql "SELECT command || ' ' || exit_status FROM runs ORDER BY id DESC LIMIT 1")" "import 0" "run log"

say "a broken page: reported with source, file and page; the others stored"
rm -f "$T"/suqiu.db*
run_suqiu import --source hotline "$T/hotline-broken.json"
expect_status 1 "broken pages"
expect_err "^suqiu: import: hotline: $T/hotline-broken.json: page 2: code 40001 \(bad parameter\)"
expect_err "2 pages stored, 50 fetched: 50 new, .*; 2 pages refused$"
expect_err "^suqiu: import: hotline: $T/hotline-broken.json: page 4: body is not JSON"
expect_eq "$(count_source hotline)" 50 "complaints from the good pages"

say "a bad record inside a good page: quarantined"
run_suqiu import --source hotline "$T/hotline-bad-record.json"
expect_status 0 "bad record"
expect_eq "$(sql "SELECT reason FROM quarantine")" "orderNo: missing" "quarantine reason"

say "a GBK page with --charset gbk; refused without it"
run_suqiu import --source liaison "$T/liaison-gbk.json"
expect_status 2 "GBK without --charset"
expect_err "^suqiu: import: liaison: $T/liaison-gbk.json: .*UTF-8"
run_suqiu import --source liaison --charset gbk "$T/liaison-gbk.json"
expect_status 0 "GBK with --charset"
expect_eq "$(count_source liaison)" 34 "liaison complaints"
expect_eq "$(sql "SELECT title FROM complaints WHERE source_id = '98765'")" "反映恩宁路工地夜间施工扰民问题" "GBK title"

say "Open311: an array is one page, an array of arrays several"
run_suqiu import --source open311 "$T/open311-page.json"
expect_status 0 "open311 page"
expect_eq "$(count_source open311)" 10 "open311 complaints"
run_suqiu import --source open311 - <"$T/open311-pages.json"
expect_status 0 "open311 pages from stdin"
expect_err "2 pages stored, 16 fetched: 6 new"
expect_eq "$(count_source open311)" 16 "open311 complaints"
expect_integrity

say "an import killed before its commit: nothing stored; again: as a clean import"
rm -f "$T"/suqiu.db*
run_suqiu import --source hotline "$T/hotline-concat.json"
expect_status 0 "clean import"
clean=$(canonical_dump "$T/suqiu.db")
incidents=$(sql "SELECT count(DISTINCT incident_id) FROM complaints")
for crash in mid_page:40 before_commit:1 after_commit:1; do
	rm -f "$T"/suqiu.db*
	SUQIU_CRASH_AT=$crash run_suqiu import --source hotline "$T/hotline-concat.json"
	expect_status 137 "import crashing at $crash"
	case $crash in
	after_commit:*) expect_eq "$(count_source hotline)" 62 "complaints committed before $crash" ;;
	*) expect_eq "$(count_source hotline)" 0 "complaints after a crash at $crash" ;;
	esac
	expect_eq "$(sql 'SELECT count(*) FROM complaints WHERE incident_id IS NULL')" 0 \
		"complaints without an incident after a crash at $crash"
	run_suqiu import --source hotline "$T/hotline-concat.json"
	expect_status 0 "import after a crash at $crash"
	expect_eq "$(canonical_dump "$T/suqiu.db")" "$clean" "store after a crash at $crash"
	expect_eq "$(sql "SELECT count(DISTINCT incident_id) FROM complaints")" "$incidents" \
		"incidents after a crash at $crash"
	expect_integrity
done

say "an input above 4 MB where madvise fails (no huge pages): imported"
# The large buffer's huge-page hint fails on kernels without THP (and under
# valgrind) and leaves errno at ENOMEM; the import once took that for its
# own failure and refused every input above 4 MB.
cat >"$T/nomadvise.c" <<'C'
#include <errno.h>
#include <stddef.h>
int madvise(void *addr, size_t len, int advice)
{
	(void)addr;
	(void)len;
	(void)advice;
	errno = ENOMEM;
	return -1;
}
C
cc -shared -fPIC -o "$T/nomadvise.so" "$T/nomadvise.c" || fail "could not build the madvise shim"
copies=0
: >"$T/hotline-big.json"
while [ "$(stat -c %s "$T/hotline-big.json")" -le $((5 << 20)) ]; do
	cat "$T/hotline-concat.json" >>"$T/hotline-big.json"
	copies=$((copies + 1))
done
before=$(count_source hotline)
LD_PRELOAD=$T/nomadvise.so ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0 \
	run_suqiu import --source hotline "$T/hotline-big.json"
expect_status 0 "a 5 MB import with madvise failing"
expect_err "hotline-big.json: $((copies * 3)) pages stored"
expect_eq "$(count_source hotline)" "$before" "the same pages again: nothing new"

say "an import while a poll holds the lock: exit 1, nothing stored"
before=$(count_source open311)
exec 9>"$T/suqiu.db.lock"
flock -n 9 || fail "could not take the lock in the test"
run_suqiu import --source open311 "$T/open311-page.json"
expect_status 1 "import while locked"
expect_err "^suqiu: import: a poll or import is running on $T/suqiu.db; not importing$"
exec 9>&-
expect_eq "$(count_source open311)" "$before" "nothing imported while locked"

finish
