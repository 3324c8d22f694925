#!/usr/bin/python3
"""A large store for timing `suqiu digest` and `suqiu search`, fast.

    digest_db.py DB N [--seed S] [--start 2024-01-01]

Fills DB, which `suqiu --db DB` has already created at the latest schema,
with N complaints straight through SQLite (and indexes them for search, as
suqiu's store would), grouped into incidents, with the texts, categories,
communities, channels and statuses of scripts/bench/gen_pages.py and rows
as wide as real ones (raw JSON).  Much faster than importing pages, which
also runs normalization and linkage: this measures the readers only.
"""
import argparse
import json
import os
import random
import sqlite3
import sys
from datetime import datetime, timedelta, timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import gen_pages  # noqa: E402

KEYS = ["construction", "noise", "sanitation", "illegal_building", "street_vending", "wages",
        "property", "water_power_gas", "water_power_gas", "traffic", "parking",
        "municipal_facilities", "greening", "fire_safety", "market_regulation", "education",
        "health", "housing_safety", "water_power_gas", None]
KINDS = ["complaint"] * 5 + ["help", "inquiry", "report", "suggestion"]
CST = timezone(timedelta(hours=8))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("db")
    ap.add_argument("n", type=int)
    ap.add_argument("--seed", type=int, default=12345)
    ap.add_argument("--start", default="2024-01-01")
    a = ap.parse_args()
    rng = random.Random(a.seed)
    comms = gen_pages.communities()
    db = sqlite3.connect(a.db)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("PRAGMA synchronous = OFF")
    t = datetime.strptime(a.start, "%Y-%m-%d").replace(tzinfo=CST)
    n = seq = 0
    batch = []
    db.execute("BEGIN")
    while n < a.n:
        ci = rng.randrange(len(gen_pages.CATEGORIES))
        cat = gen_pages.CATEGORIES[ci]
        place = rng.choice(comms)
        number = rng.randint(1, 300)
        reports = 1 if rng.random() >= 0.15 else rng.randint(2, 5)
        opened = int(t.timestamp())
        cur = db.execute("INSERT INTO incidents (opened_at, last_at, category, community, size,"
                         " created_at) VALUES (?, ?, ?, ?, 0, ?)",
                         (opened, opened, KEYS[ci], place["name"], opened))
        inc = cur.lastrowid
        last = opened
        for k in range(reports):
            if n >= a.n:
                break
            seq += 1
            n += 1
            accept = opened + (rng.randint(0, 3000) * 60 if k else 0)
            last = max(last, accept)
            status = rng.choice(["open", "open", "in_progress", "resolved", "closed"])
            resolved = accept + rng.randint(3600, 6 * 86400) if status in ("resolved", "closed") else None
            sat = rng.choice([None, None, "satisfied", "basically_satisfied", "dissatisfied"]) if resolved else None
            text = gen_pages.text_for(rng, cat, place, number)
            raw = json.dumps({"orderNo": "%d" % seq, "content": text, "pad": "x" * 600}, ensure_ascii=False)
            batch.append(("hotline", "B%09d" % seq, "hotline12345", accept, resolved or accept, accept,
                          rng.choice(KINDS), rng.choice(gen_pages.CHANNELS),
                          "%s%s问题" % (place["road"], cat[2]), text, KEYS[ci], cat[0],
                          place["street"], place["name"] if rng.random() < 0.95 else None,
                          place["grid_prefix"] + "001", "广州市荔湾区%s%d号" % (place["road"], number),
                          status, accept + 5 * 86400, sat, raw, resolved, inc))
        db.execute("UPDATE incidents SET last_at = ?, size = ? WHERE id = ?", (last, reports, inc))
        t += timedelta(seconds=rng.randint(5, 120))
        if len(batch) >= 5000:
            flush(db, batch)
    flush(db, batch)
    # suqiu's store indexes what it stores for search (schema step 20): rows
    # written past it are indexed here, all at once
    db.execute("INSERT INTO complaints_fts (complaints_fts) VALUES ('rebuild')")
    db.execute("COMMIT")
    db.execute("ANALYZE")
    db.close()
    print("%d complaints, last received %s" % (n, t.isoformat()))


def flush(db, batch):
    db.executemany(
        "INSERT INTO complaints (source, source_id, source_type, received_at, updated_at,"
        " first_seen_at, kind, channel, title, text, category, category_raw, street, community,"
        " grid, address, status, deadline, satisfaction, raw, resolved_at, incident_id)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", batch)
    batch.clear()


if __name__ == "__main__":
    main()
