#!/usr/bin/env bash
# Incremental linking across separate imports: paraphrases join, declared
# links decide in both arrival orders, an updated record stays in its
# incident; export is valid JSON lines and CSV and never holds a full phone.
. "$(dirname "$0")/lib-dedup.sh"

import hotline hotline-1.json      # H1 (恩宁路88号 site), H2 (停水)
import liaison liaison-1.json      # L1: 恩宁路八十八号 paraphrase, masked phone
same hotline:2024050112345000001 liaison:98765
apart hotline:2024050112345000001 hotline:2024050112345000002

# CG1 declares refOrderNo H3 before H3 exists; H3 arrives in a later import.
import citymgmt citymgmt-1.json
before=$(incident citymgmt:CG440103202405020001)
import hotline hotline-2.json      # H3, and H1 updated to 已办结
same citymgmt:CG440103202405020001 hotline:2024050212345000003
[ "$(incident citymgmt:CG440103202405020001)" = "$before" ] || fail "the declaring case moved"
same hotline:2024050112345000001 liaison:98765
apart hotline:2024050212345000003 hotline:2024050112345000001

# A later poll's H4 (the same site again, different caller) joins too.
import hotline hotline-3.json
same hotline:2024050412345000004 hotline:2024050112345000001

# Every complaint has an incident; incident sizes add up.
suqiu export --format jsonl >"$T/out.jsonl"
python3 - "$T/out.jsonl" <<'PY' || fail "export JSON lines"
import json, re, sys
rows = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8")]
assert len(rows) == 6, len(rows)
need = {"source", "source_id", "incident_id", "received_at", "category", "community",
        "status", "title", "text", "flags"}
for r in rows:
    assert need <= r.keys(), need - r.keys()
    assert isinstance(r["incident_id"], int), r
    assert r["flags"] == [], r["flags"]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+08:00", r["received_at"]), r["received_at"]
h1 = next(r for r in rows if r["source_id"] == "2024050112345000001")
assert h1["status"] == "closed" or h1["status"] == "resolved", h1["status"]
assert h1["received_at"] == "2024-05-01T08:31:22+08:00", h1["received_at"]
assert h1["contact_masked"] == "138****5678", h1["contact_masked"]
PY
# never a full phone number, in any format
expect_no_phone "$T/out.jsonl"
suqiu export --format csv >"$T/out.csv"
expect_no_phone "$T/out.csv"
python3 - "$T/out.csv" "$T/out.jsonl" <<'PY' || fail "export CSV"
import csv, json, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8", newline="")))
js = [json.loads(l) for l in open(sys.argv[2], encoding="utf-8")]
assert len(rows) == len(js) == 6
for r, j in zip(rows, js):
    assert r["source_id"] == j["source_id"] and int(r["incident_id"]) == j["incident_id"]
    assert r["text"] == (j["text"] or ""), (r["text"], j["text"])
    assert r["flags"] == ""
PY
# Flags come from the early-warning module's flag_members table once it exists.
# (alerts' table also wants the member's revision and when it was added)
sqlite3 "$T/suqiu.db" "CREATE TABLE IF NOT EXISTS flag_members (flag_id INTEGER NOT NULL,
	complaint_id INTEGER NOT NULL, revision INTEGER NOT NULL, added_at INTEGER NOT NULL,
	PRIMARY KEY (flag_id, complaint_id));
	INSERT INTO flag_members (flag_id, complaint_id, revision, added_at)
	SELECT 7, id, 1, 0 FROM complaints WHERE source_id = '98765';
	INSERT INTO flag_members (flag_id, complaint_id, revision, added_at)
	SELECT 3, id, 1, 0 FROM complaints WHERE source_id = '98765';" || fail "adding flags"
suqiu export | grep -F '"source_id":"98765"' | grep -qF '"flags":[3,7]' || fail "export: no flags [3,7]"
suqiu export --format csv | grep -F ',98765,' | grep -qF ',3;7,' || fail "export csv: no flags 3;7"
[ "$(suqiu export | grep -cF '"flags":[]')" = 5 ] || fail "export: the other complaints' flags are not []"

# --since filters on received_at in the configured zone
n=$(suqiu export --since 2024-05-02 | wc -l)
[ "$n" -eq 3 ] || fail "--since 2024-05-02: $n complaints, want 3"
run_suqiu export --format xml
expect_status 2 "export --format xml"
run_suqiu export --since yesterday-ish
expect_status 2 "export with a bad --since"
expect_err "since"
finish
