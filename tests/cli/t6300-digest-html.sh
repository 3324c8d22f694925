#!/usr/bin/env bash
# suqiu digest --format html: one self-contained page (no script, no
# external resource), rendered by headless Chromium without errors, showing
# the fixture's figures, its charts and tables, and printing on A4.
. "$(dirname "$0")/lib-digest.sh"

CHROMIUM=$(command -v chromium || command -v chromium-browser || true)
[ -n "$CHROMIUM" ] || { echo "chromium is missing: run scripts/deps.sh (make check installs it)"; exit 1; }

# Headless Chromium as root: no sandbox; nothing that reaches the network.
chromium() {
	local profile
	profile=$(mktemp -d "$T/chromium.XXXXXX")
	timeout 120 "$CHROMIUM" --headless --no-sandbox --disable-gpu --disable-quic --no-first-run \
		--disable-background-networking --disable-component-update --disable-sync \
		--user-data-dir="$profile" --enable-logging=stderr --v=0 "$@" 2>>"$T/chromium.log"
}

load_fixture

say "the page is self-contained"
run_suqiu digest --since 2024-05-01 --until 2024-06-01 --format html
expect_status 0 "digest --format html"
cp "$T/out" "$T/may.html"
grep -Eiq '<script|<link|<img|<iframe|src=|url\(|@import|https?://' "$T/may.html" &&
	fail "the page refers to something outside itself"
python3 - "$T/may.html" <<'PY' || fail "HTML structure"
import sys
from html.parser import HTMLParser
VOID = {"meta", "br", "hr", "img", "input", "link", "rect", "line", "polyline", "path", "circle"}
class P(HTMLParser):
    def __init__(self):
        super().__init__()
        self.stack, self.count, self.problems = [], {}, []
    def handle_starttag(self, tag, attrs):
        self.count[tag] = self.count.get(tag, 0) + 1
        if tag not in VOID:
            self.stack.append(tag)
    def handle_startendtag(self, tag, attrs):
        self.count[tag] = self.count.get(tag, 0) + 1
    def handle_endtag(self, tag):
        if tag in VOID:
            return
        if not self.stack or self.stack[-1] != tag:
            self.problems.append("unbalanced </%s> after %s" % (tag, self.stack[-3:]))
        else:
            self.stack.pop()
p = P()
p.feed(open(sys.argv[1], encoding="utf-8").read())
assert not p.problems and not p.stack, (p.problems[:5], p.stack)
assert p.count.get("svg", 0) >= 3, p.count      # trend per source, category bars
assert p.count.get("table", 0) >= 8, p.count
PY

say "headless Chromium renders it without errors"
chromium --dump-dom "file://$T/may.html" >"$T/dom.html"
[ $? -eq 0 ] || fail "chromium --dump-dom failed"
grep -E 'CONSOLE|net::ERR|Failed to load resource|Uncaught' "$T/chromium.log" && fail "errors while loading the page"
python3 - "$T/dom.html" <<'PY' || fail "figures in the rendered page"
import re, sys
dom = open(sys.argv[1], encoding="utf-8").read()
text = re.sub(r"<[^>]+>", "|", dom)
def has(s):
    assert s in text, "missing: " + s
# KPI cards: complaints with the previous period, rates with their fractions
for s in ["|7|", "诉求件数 · 上期 1，+6", "|50.0%|", "办结率 · 3/6", "|33.3%|", "按期办结率 · 1/3",
          "|66.7%|", "满意率 · 2/3", "逾期未办结"]:
    has(s)
# the trend charts, one per source
assert dom.count("每日诉求件数") == 2, dom.count("每日诉求件数")
has("2024-05-01：1")                      # H1's bar, as its tooltip
# category bars: noise 3 against 1
has("3（上期 1）")
# the heat table: 西华路社区 x 噪声扰民 = 3
assert re.search(r"<td>西华路社区</td><td[^>]*>3</td>", dom), "heat row"
# the overdue list and the definitions
has("宝源路工地扬尘")
has("办结率 = 办结件数 ÷ 登记件数")
PY

say "a screenshot and a print on A4"
chromium --screenshot="$T/shot.png" --window-size=1240,1754 "file://$T/may.html" >/dev/null
python3 - "$T/shot.png" <<'PY' || fail "screenshot"
import struct, sys
b = open(sys.argv[1], "rb").read()
assert b[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
w, h = struct.unpack(">II", b[16:24])
assert (w, h) == (1240, 1754), (w, h)
assert len(b) > 20000, len(b)
PY
chromium --print-to-pdf="$T/may.pdf" --no-pdf-header-footer "file://$T/may.html" >/dev/null
head -c 5 "$T/may.pdf" | grep -q '%PDF-' || fail "no PDF"
boxes=$(grep -a -o '/MediaBox \[[^]]*\]' "$T/may.pdf" | sort -u)
expect_eq "$boxes" "/MediaBox [0 0 594.95996 841.91998]" "every page is A4 (210 x 297 mm)"
pages=$(grep -a -c '/MediaBox' "$T/may.pdf")
[ "$pages" -ge 1 ] && [ "$pages" -le 8 ] || fail "the May digest prints on $pages pages"

say "period and pivot pages render too"
for args in "--period 2024 --explain" "--by community" "--by day"; do
	# shellcheck disable=SC2086
	run_suqiu digest $args --format html
	expect_status 0 "html $args"
	cp "$T/out" "$T/other.html"
	chromium --dump-dom "file://$T/other.html" >"$T/dom2.html" || fail "chromium: $args"
	grep -q "</table>" "$T/dom2.html" || fail "no table in the page of $args"
done
grep -E 'CONSOLE|net::ERR|Uncaught' "$T/chromium.log" && fail "errors while loading the other pages"

finish
