/*
 * The schema, as a list of forward migrations: step N takes a database from
 * user_version N-1 to N.  Steps are never edited once released; a change is
 * a new step.  Each step runs in its own transaction with the version bump.
 */
#include <stdio.h>

#include "store_private.h"
#include "banned.h"

static const char *const migrations[] = {
	/* 1: complaints, their history, cursors, quarantine */
	"CREATE TABLE complaints ("
	"  id INTEGER PRIMARY KEY,"
	"  source TEXT NOT NULL,"
	"  source_id TEXT NOT NULL,"
	"  source_type TEXT NOT NULL,"
	"  received_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  first_seen_at INTEGER NOT NULL,"
	"  kind TEXT NOT NULL,"
	"  channel TEXT,"
	"  title TEXT,"
	"  text TEXT,"
	"  category TEXT,"
	"  category_raw TEXT,"
	"  street TEXT,"
	"  community TEXT,"
	"  grid TEXT,"
	"  address TEXT,"
	"  lat REAL,"
	"  lon REAL,"
	"  contact_hash TEXT,"
	"  contact_masked TEXT,"
	"  contact_raw TEXT,"
	"  status TEXT NOT NULL,"
	"  status_raw TEXT,"
	"  deadline INTEGER,"
	"  satisfaction TEXT,"
	"  handler TEXT,"
	"  raw TEXT,"
	"  UNIQUE (source, source_id)"
	");"
	"CREATE INDEX complaints_received ON complaints(received_at);"
	"CREATE TABLE complaint_history ("
	"  id INTEGER PRIMARY KEY,"
	"  complaint_id INTEGER NOT NULL REFERENCES complaints(id) ON DELETE CASCADE,"
	"  replaced_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  status TEXT NOT NULL,"
	"  status_raw TEXT,"
	"  title TEXT,"
	"  text TEXT,"
	"  category TEXT,"
	"  community TEXT,"
	"  address TEXT,"
	"  deadline INTEGER,"
	"  satisfaction TEXT,"
	"  handler TEXT,"
	"  raw TEXT"
	");"
	"CREATE INDEX complaint_history_complaint ON complaint_history(complaint_id);"
	"CREATE TABLE cursors ("
	"  source TEXT PRIMARY KEY,"
	"  cursor TEXT NOT NULL,"
	"  updated_at INTEGER NOT NULL"
	");"
	"CREATE TABLE quarantine ("
	"  id INTEGER PRIMARY KEY,"
	"  source TEXT NOT NULL,"
	"  source_id TEXT,"
	"  quarantined_at INTEGER NOT NULL,"
	"  reason TEXT NOT NULL,"
	"  raw TEXT NOT NULL"
	");"
	"CREATE INDEX quarantine_source ON quarantine(source, quarantined_at);",

	/* 2: run log; source-declared links; when a complaint was resolved */
	"CREATE TABLE runs ("
	"  id INTEGER PRIMARY KEY,"
	"  command TEXT NOT NULL,"
	"  started_at INTEGER NOT NULL,"
	"  finished_at INTEGER,"
	"  exit_status INTEGER"
	");"
	"CREATE TABLE run_sources ("
	"  run_id INTEGER NOT NULL REFERENCES runs(id) ON DELETE CASCADE,"
	"  source TEXT NOT NULL,"
	"  pages INTEGER NOT NULL DEFAULT 0,"
	"  fetched INTEGER NOT NULL DEFAULT 0,"
	"  new_records INTEGER NOT NULL DEFAULT 0,"
	"  updated INTEGER NOT NULL DEFAULT 0,"
	"  unchanged INTEGER NOT NULL DEFAULT 0,"
	"  quarantined INTEGER NOT NULL DEFAULT 0,"
	"  errors INTEGER NOT NULL DEFAULT 0,"
	"  duration_ms INTEGER NOT NULL DEFAULT 0,"
	"  error TEXT,"
	"  PRIMARY KEY (run_id, source)"
	");"
	"CREATE INDEX run_sources_source ON run_sources(source, run_id);"
	"CREATE TABLE complaint_links ("
	"  complaint_id INTEGER NOT NULL REFERENCES complaints(id) ON DELETE CASCADE,"
	"  kind TEXT NOT NULL,"
	"  target_type TEXT NOT NULL,"
	"  target_id TEXT NOT NULL,"
	"  PRIMARY KEY (complaint_id, kind, target_type, target_id)"
	");"
	"CREATE INDEX complaint_links_target ON complaint_links(target_type, target_id);"
	"ALTER TABLE complaints ADD COLUMN resolved_at INTEGER;",

	/*
	 * 3: incidents and record linkage (dedup.h).  Every complaint belongs to
	 * one incident; dedup_links says why; dedup_docs, dedup_keys, dedup_bands
	 * and dedup_df are the linkage index, so that linking one complaint costs
	 * a few indexed look-ups whatever the size of the store.
	 */
	"CREATE TABLE incidents ("
	"  id INTEGER PRIMARY KEY,"
	"  opened_at INTEGER NOT NULL,"       /* earliest member's received_at */
	"  last_at INTEGER NOT NULL,"         /* latest member's received_at */
	"  category TEXT,"                    /* the members' most frequent */
	"  community TEXT,"
	"  size INTEGER NOT NULL DEFAULT 0,"
	"  created_at INTEGER NOT NULL"
	");"
	"CREATE INDEX incidents_last ON incidents(last_at);"
	"ALTER TABLE complaints ADD COLUMN incident_id INTEGER REFERENCES incidents(id);"
	"CREATE INDEX complaints_incident ON complaints(incident_id);"
	"CREATE INDEX complaints_unlinked ON complaints(id) WHERE incident_id IS NULL;"
	"CREATE INDEX complaints_source_id ON complaints(source_id);"
	"CREATE TABLE dedup_links ("
	"  complaint_id INTEGER PRIMARY KEY REFERENCES complaints(id) ON DELETE CASCADE,"
	"  method TEXT NOT NULL,"             /* new, score, declared, merge, split */
	"  matched_id INTEGER,"               /* the complaint it was compared with */
	"  score REAL,"
	"  comparisons TEXT,"                 /* JSON array of field comparisons */
	"  linked_at INTEGER NOT NULL"
	");"
	"CREATE TABLE dedup_docs ("
	"  complaint_id INTEGER PRIMARY KEY REFERENCES complaints(id) ON DELETE CASCADE,"
	"  folded TEXT NOT NULL,"
	"  addr_key TEXT,"
	"  road_key TEXT,"
	"  landmarks TEXT,"                   /* named places, space-separated */
	"  buildings TEXT"                    /* building numbers, space-separated */
	");"
	"CREATE TABLE dedup_keys ("
	"  key TEXT NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  complaint_id INTEGER NOT NULL REFERENCES complaints(id) ON DELETE CASCADE"
	");"
	"CREATE INDEX dedup_keys_key ON dedup_keys(key, at);"
	"CREATE INDEX dedup_keys_complaint ON dedup_keys(complaint_id);"
	"CREATE TABLE dedup_bands ("
	"  band INTEGER NOT NULL,"
	"  hash INTEGER NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  complaint_id INTEGER NOT NULL REFERENCES complaints(id) ON DELETE CASCADE"
	");"
	"CREATE INDEX dedup_bands_hash ON dedup_bands(band, hash, at);"
	"CREATE INDEX dedup_bands_complaint ON dedup_bands(complaint_id);"
	"CREATE TABLE dedup_df ("
	"  term INTEGER PRIMARY KEY,"
	"  df INTEGER NOT NULL"
	");"
	"CREATE TABLE dedup_stats ("
	"  name TEXT PRIMARY KEY,"
	"  value INTEGER NOT NULL"
	");"
	"CREATE TABLE dedup_decisions ("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL,"               /* merge, split (analyst); link_merge (declared links) */
	"  complaint_id INTEGER,"             /* split: the complaint split off */
	"  incident_id INTEGER NOT NULL,"     /* merge: the one kept; split: the one left */
	"  other_id INTEGER,"                 /* merge: the one absorbed; split: the new one */
	"  decided_at INTEGER NOT NULL,"
	"  note TEXT"
	");"
	"CREATE INDEX dedup_decisions_incident ON dedup_decisions(incident_id);"
	"CREATE INDEX dedup_decisions_other ON dedup_decisions(other_id);"
	"CREATE INDEX dedup_decisions_complaint ON dedup_decisions(complaint_id);"
	"CREATE TABLE dedup_apart ("
	"  complaint_id INTEGER NOT NULL REFERENCES complaints(id) ON DELETE CASCADE,"
	"  incident_id INTEGER NOT NULL,"
	"  PRIMARY KEY (complaint_id, incident_id)"
	");"
	"CREATE INDEX dedup_apart_incident ON dedup_apart(incident_id);",

	/*
	 * 4: early warning and alert mail.  A flag's cause_key is unique among
	 * the flags that are not closed, so a later poll finds the live flag
	 * for the same cause and grows it instead of opening another.  The
	 * outbox holds one row per flag revision (UNIQUE), written in the
	 * transaction that raised or escalated the flag; its Message-ID is
	 * fixed when the row is written, so a re-sent row is recognisable.
	 */
	"CREATE TABLE flags ("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL,"
	"  cause_key TEXT NOT NULL,"
	"  severity TEXT NOT NULL,"
	"  level INTEGER NOT NULL DEFAULT 1,"
	"  revision INTEGER NOT NULL DEFAULT 1,"
	"  state TEXT NOT NULL DEFAULT 'open',"
	"  summary TEXT NOT NULL,"
	"  detail TEXT,"
	"  category TEXT,"
	"  community TEXT,"
	"  opened_at INTEGER NOT NULL,"
	"  updated_at INTEGER NOT NULL,"
	"  active_at INTEGER NOT NULL,"
	"  closed_at INTEGER"
	");"
	"CREATE UNIQUE INDEX flags_live_cause ON flags(cause_key) WHERE state <> 'closed';"
	"CREATE INDEX flags_state ON flags(state, id);"
	"CREATE TABLE flag_members ("
	"  flag_id INTEGER NOT NULL REFERENCES flags(id) ON DELETE CASCADE,"
	"  complaint_id INTEGER NOT NULL REFERENCES complaints(id) ON DELETE CASCADE,"
	"  revision INTEGER NOT NULL,"
	"  added_at INTEGER NOT NULL,"
	"  PRIMARY KEY (flag_id, complaint_id)"
	");"
	"CREATE INDEX flag_members_complaint ON flag_members(complaint_id);"
	"CREATE TABLE flag_history ("
	"  id INTEGER PRIMARY KEY,"
	"  flag_id INTEGER NOT NULL REFERENCES flags(id) ON DELETE CASCADE,"
	"  at INTEGER NOT NULL,"
	"  event TEXT NOT NULL,"
	"  revision INTEGER NOT NULL,"
	"  state TEXT NOT NULL,"
	"  severity TEXT NOT NULL,"
	"  members INTEGER NOT NULL,"
	"  note TEXT"
	");"
	"CREATE INDEX flag_history_flag ON flag_history(flag_id, id);"
	"CREATE TABLE outbox ("
	"  id INTEGER PRIMARY KEY,"
	"  flag_id INTEGER NOT NULL REFERENCES flags(id) ON DELETE CASCADE,"
	"  revision INTEGER NOT NULL,"
	"  message_id TEXT NOT NULL UNIQUE,"
	"  created_at INTEGER NOT NULL,"
	"  recipients TEXT NOT NULL,"
	"  subject TEXT NOT NULL,"
	"  body_text TEXT NOT NULL,"
	"  body_html TEXT NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'pending',"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt_at INTEGER NOT NULL,"
	"  sending_since INTEGER,"
	"  in_doubt INTEGER NOT NULL DEFAULT 0,"
	"  sent_at INTEGER,"
	"  last_error TEXT,"
	"  UNIQUE (flag_id, revision)"
	");"
	"CREATE INDEX outbox_due ON outbox(state, next_attempt_at);"
	"CREATE TABLE detector_state ("
	"  name TEXT PRIMARY KEY,"
	"  last_run_at INTEGER NOT NULL"
	");",

	/*
	 * 5: full-text search and the digest's indexes.  complaints_fts is an
	 * external-content FTS5 index (trigram tokenizer: Chinese has no spaces
	 * to split words on, and trigrams match any substring of three
	 * characters or more).  Triggers keep it in step with every insert,
	 * delete and change of title, text or address — the upsert rewrites
	 * every column, so the update trigger checks that one of the three
	 * really changed.  'rebuild' back-fills the rows stored before.
	 * Ranking is bm25 with a match in the title worth twice one in the text
	 * and an address match in between.
	 * complaints_digest covers every column the digest aggregates (with
	 * dedup's incident_id), so a period's figures are read from one index
	 * range without touching the wide rows (raw JSON); it starts with
	 * received_at and so replaces complaints_received.  New incidents are
	 * found by when they opened.
	 */
	"CREATE VIRTUAL TABLE complaints_fts USING fts5("
	"  title, text, address,"
	"  content = 'complaints', content_rowid = 'id', tokenize = 'trigram');"
	"CREATE TRIGGER complaints_fts_insert AFTER INSERT ON complaints BEGIN"
	"  INSERT INTO complaints_fts (rowid, title, text, address)"
	"  VALUES (new.id, new.title, new.text, new.address);"
	" END;"
	"CREATE TRIGGER complaints_fts_delete AFTER DELETE ON complaints BEGIN"
	"  INSERT INTO complaints_fts (complaints_fts, rowid, title, text, address)"
	"  VALUES ('delete', old.id, old.title, old.text, old.address);"
	" END;"
	"CREATE TRIGGER complaints_fts_update AFTER UPDATE OF title, text, address ON complaints"
	"  WHEN old.title IS NOT new.title OR old.text IS NOT new.text"
	"    OR old.address IS NOT new.address BEGIN"
	"  INSERT INTO complaints_fts (complaints_fts, rowid, title, text, address)"
	"  VALUES ('delete', old.id, old.title, old.text, old.address);"
	"  INSERT INTO complaints_fts (rowid, title, text, address)"
	"  VALUES (new.id, new.title, new.text, new.address);"
	" END;"
	"INSERT INTO complaints_fts (complaints_fts, rank) VALUES ('rank', 'bm25(2.0, 1.0, 1.5)');"
	"INSERT INTO complaints_fts (complaints_fts) VALUES ('rebuild');"
	"CREATE INDEX complaints_digest ON complaints (received_at, source, channel, kind,"
	"  status, category, community, category_raw, deadline, resolved_at, satisfaction,"
	"  incident_id);"
	"DROP INDEX complaints_received;"
	"CREATE INDEX complaints_community_received ON complaints (community, received_at);"
	"CREATE INDEX complaints_category_received ON complaints (category, received_at);"
	"CREATE INDEX complaints_open_deadline ON complaints (deadline)"
	"  WHERE status IN ('open', 'in_progress');"
	"CREATE INDEX quarantine_at ON quarantine (quarantined_at);"
	"CREATE INDEX incidents_opened ON incidents (opened_at);",

	/*
	 * 6: operations (ops): the audit
	 * log.  Every unmasking of a full contact number and every prune is a
	 * row here.  The triggers make the table append-only for every client
	 * of the file, suqiu included: an UPDATE or DELETE fails and rolls the
	 * statement back.  (They stop mistakes and casual edits; whoever can
	 * write the file can drop a trigger, which is why the journal also
	 * gets a line for each unmasking.)
	 */
	"CREATE TABLE audit_log ("
	"  id INTEGER PRIMARY KEY,"
	"  at INTEGER NOT NULL,"                /* Unix s, wall clock */
	"  uid INTEGER NOT NULL,"               /* effective uid of the process */
	"  os_user TEXT NOT NULL,"              /* its user name, or "uid N" */
	"  sudo_user TEXT,"                     /* $SUDO_USER, when run through sudo */
	"  action TEXT NOT NULL,"               /* unmask, prune */
	"  command TEXT NOT NULL,"              /* the command line, shell-quoted */
	"  rows INTEGER NOT NULL,"              /* rows shown unmasked, or changed */
	"  detail TEXT"
	");"
	"CREATE INDEX audit_log_at ON audit_log(at);"
	"CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log"
	" BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;"
	"CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log"
	" BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;"
	/* INSERT OR REPLACE deletes the old row without firing delete
	 * triggers (recursive_triggers is off): refuse an existing id. */
	"CREATE TRIGGER audit_log_no_replace BEFORE INSERT ON audit_log"
	" WHEN NEW.id IS NOT NULL AND EXISTS (SELECT 1 FROM audit_log WHERE id = NEW.id)"
	" BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END;",

	/*
	 * 7: the outbox carries digests too (`digest --mail`).  A row is a
	 * flag revision's alert (kind 'flag': flag_id and revision, as in step
	 * 4) or a digest (kind 'digest': no flag; digest_key names the period
	 * and layout, and is unique, so the timer running twice for one period
	 * queues one mail).  attachment, when set, is the file name under which
	 * body_html goes as an attachment instead of an alternative part.
	 * SQLite cannot drop a NOT NULL, so the table is rebuilt; ids and every
	 * state are kept, and nothing references outbox.
	 */
	"CREATE TABLE outbox_v7 ("
	"  id INTEGER PRIMARY KEY,"
	"  kind TEXT NOT NULL DEFAULT 'flag' CHECK (kind IN ('flag', 'digest')),"
	"  flag_id INTEGER REFERENCES flags(id) ON DELETE CASCADE,"
	"  revision INTEGER,"
	"  digest_key TEXT UNIQUE,"
	"  attachment TEXT,"
	"  message_id TEXT NOT NULL UNIQUE,"
	"  created_at INTEGER NOT NULL,"
	"  recipients TEXT NOT NULL,"
	"  subject TEXT NOT NULL,"
	"  body_text TEXT NOT NULL,"
	"  body_html TEXT NOT NULL,"
	"  state TEXT NOT NULL DEFAULT 'pending',"
	"  attempts INTEGER NOT NULL DEFAULT 0,"
	"  next_attempt_at INTEGER NOT NULL,"
	"  sending_since INTEGER,"
	"  in_doubt INTEGER NOT NULL DEFAULT 0,"
	"  sent_at INTEGER,"
	"  last_error TEXT,"
	"  UNIQUE (flag_id, revision),"
	"  CHECK (kind <> 'flag' OR (flag_id IS NOT NULL AND revision IS NOT NULL"
	"    AND digest_key IS NULL)),"
	"  CHECK (kind <> 'digest' OR (flag_id IS NULL AND revision IS NULL"
	"    AND digest_key IS NOT NULL))"
	");"
	"INSERT INTO outbox_v7 (id, kind, flag_id, revision, message_id, created_at, recipients,"
	"  subject, body_text, body_html, state, attempts, next_attempt_at, sending_since,"
	"  in_doubt, sent_at, last_error)"
	" SELECT id, 'flag', flag_id, revision, message_id, created_at, recipients, subject,"
	"  body_text, body_html, state, attempts, next_attempt_at, sending_since, in_doubt,"
	"  sent_at, last_error FROM outbox;"
	"DROP TABLE outbox;"
	"ALTER TABLE outbox_v7 RENAME TO outbox;"
	"CREATE INDEX outbox_due ON outbox(state, next_attempt_at);",

	/*
	 * 8: the store indexes the complaints it stores in complaints_fts
	 * itself, once per transaction (store_fts_flush), instead of the
	 * triggers indexing row by row.  FTS5 writes its pending terms out as
	 * a new segment at every statement savepoint, and every complaint
	 * upsert opens one, so with the triggers each stored complaint became a
	 * segment of its own, merged again and again: more than half the cost
	 * of storing a complaint.  The triggers stay for every other writer (a
	 * sqlite3 shell, a test's bulk insert): they stand aside only while
	 * fts_deferred has a row, which the store inserts in its own
	 * transaction and deletes before committing, so no other connection
	 * ever sees it.
	 */
	"CREATE TABLE fts_deferred (x INTEGER PRIMARY KEY);"
	"DROP TRIGGER complaints_fts_insert;"
	"DROP TRIGGER complaints_fts_update;"
	"CREATE TRIGGER complaints_fts_insert AFTER INSERT ON complaints"
	"  WHEN NOT EXISTS (SELECT 1 FROM fts_deferred) BEGIN"
	"  INSERT INTO complaints_fts (rowid, title, text, address)"
	"  VALUES (new.id, new.title, new.text, new.address);"
	" END;"
	"CREATE TRIGGER complaints_fts_update AFTER UPDATE OF title, text, address ON complaints"
	"  WHEN (old.title IS NOT new.title OR old.text IS NOT new.text"
	"    OR old.address IS NOT new.address) AND NOT EXISTS (SELECT 1 FROM fts_deferred) BEGIN"
	"  INSERT INTO complaints_fts (complaints_fts, rowid, title, text, address)"
	"  VALUES ('delete', old.id, old.title, old.text, old.address);"
	"  INSERT INTO complaints_fts (rowid, title, text, address)"
	"  VALUES (new.id, new.title, new.text, new.address);"
	" END;",

	/*
	 * 9: the MinHash band rows as one clustered B-tree.  Each complaint has
	 * 24 of them, most of the linkage index: as a rowid table with a
	 * separate (band, hash, at) index every row was stored twice, and each
	 * candidate a band query returned cost a second look-up in the table
	 * for its complaint_id.  Keyed by (band, hash, at, complaint_id), the
	 * look-up reads the range alone.  (Rows with the same band, hash and
	 * second now come out by complaint id rather than by insertion order.)
	 */
	"CREATE TABLE dedup_bands_new ("
	"  band INTEGER NOT NULL,"
	"  hash INTEGER NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  complaint_id INTEGER NOT NULL REFERENCES complaints(id) ON DELETE CASCADE,"
	"  PRIMARY KEY (band, hash, at, complaint_id)"
	") WITHOUT ROWID;"
	"INSERT OR IGNORE INTO dedup_bands_new (band, hash, at, complaint_id)"
	"  SELECT band, hash, at, complaint_id FROM dedup_bands;"
	"DROP TABLE dedup_bands;"
	"ALTER TABLE dedup_bands_new RENAME TO dedup_bands;"
	"CREATE INDEX dedup_bands_complaint ON dedup_bands(complaint_id);",

	/*
	 * 10: the blocking keys as one clustered B-tree too, for the reasons of
	 * 9: a rowid table with a (key, at) index wrote each of a complaint's
	 * keys into three B-trees, and each candidate a block query returned
	 * (up to 60 per key) cost a second look-up in the table for its
	 * complaint_id.  Keyed by (key, at, complaint_id), the look-up reads
	 * the index range alone.  (Keys of the same second now come out by
	 * complaint id rather than by insertion order.)
	 */
	"CREATE TABLE dedup_keys_new ("
	"  key TEXT NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  complaint_id INTEGER NOT NULL REFERENCES complaints(id) ON DELETE CASCADE,"
	"  PRIMARY KEY (key, at, complaint_id)"
	") WITHOUT ROWID;"
	"INSERT OR IGNORE INTO dedup_keys_new (key, at, complaint_id)"
	"  SELECT key, at, complaint_id FROM dedup_keys;"
	"DROP TABLE dedup_keys;"
	"ALTER TABLE dedup_keys_new RENAME TO dedup_keys;"
	"CREATE INDEX dedup_keys_complaint ON dedup_keys(complaint_id);",

	/*
	 * 11: reports without a house number are also indexed under their road
	 * as n:ROAD (dedup.c, block_keys): reports with a number look up only
	 * those on their road, no longer all of them.  The reports indexed
	 * before get theirs here, so none is missed while they are in the
	 * window.  (Keys are ASCII-prefixed: 'r:' <= key < 'r;' is the r: range.)
	 */
	"INSERT OR IGNORE INTO dedup_keys (key, at, complaint_id)"
	"  SELECT 'n:' || substr(k.key, 3), k.at, k.complaint_id FROM dedup_keys k"
	"  WHERE k.key >= 'r:' AND k.key < 'r;' AND NOT EXISTS (SELECT 1 FROM dedup_keys a"
	"    WHERE a.complaint_id = k.complaint_id AND a.key >= 'a:' AND a.key < 'a;');",

	/*
	 * 12: complaints_digest also covers what the detectors read of each
	 * complaint in their look-back (store_flags.c, DETECT_COLUMNS): first
	 * seen, grid, contact hash and position.  Without them each of the
	 * window's complaints was a look-up of its wide row (raw JSON, texts)
	 * in the table: at a million stored, 180,804 rows per `alerts detect`,
	 * a third of its time.  The added columns come last, so the digest's
	 * queries use the index as before.
	 */
	"DROP INDEX complaints_digest;"
	"CREATE INDEX complaints_digest ON complaints (received_at, source, channel, kind,"
	"  status, category, community, category_raw, deadline, resolved_at, satisfaction,"
	"  incident_id, first_seen_at, grid, contact_hash, lat, lon);",

	/*
	 * 13: what a detector derived from a complaint's title and text, kept
	 * between runs (store_detect_memos): common_cause looks back 100 days
	 * and found the names in every text of them again on every run — at
	 * a million stored, 180,000 texts read and analysed per `alerts
	 * detect`, half its time.  Keyed by received_at first, so the memos
	 * of a look-back are one range and those before it are dropped as one
	 * (store_detect_memo_put); version is the deriving code's, a memo of
	 * another version is derived again.  The triggers drop a complaint's
	 * memos when its title, text or time changes, and when it is deleted.
	 */
	"CREATE TABLE detect_memos ("
	"  received_at INTEGER NOT NULL,"
	"  complaint_id INTEGER NOT NULL,"
	"  detector TEXT NOT NULL,"
	"  version INTEGER NOT NULL,"
	"  memo TEXT NOT NULL,"
	"  PRIMARY KEY (received_at, complaint_id, detector)"
	") WITHOUT ROWID;"
	"CREATE TRIGGER detect_memos_stale AFTER UPDATE OF title, text, received_at ON complaints"
	"  WHEN old.title IS NOT new.title OR old.text IS NOT new.text"
	"    OR old.received_at IS NOT new.received_at BEGIN"
	"  DELETE FROM detect_memos WHERE received_at = old.received_at AND complaint_id = old.id;"
	" END;"
	"CREATE TRIGGER detect_memos_gone AFTER DELETE ON complaints BEGIN"
	"  DELETE FROM detect_memos WHERE received_at = old.received_at AND complaint_id = old.id;"
	" END;",

	/*
	 * 14: the band rows clustered by 16-day period of `at` first
	 * (store_incidents.c, INDEX_PERIOD_S).  Keyed by (band, hash, ...),
	 * each new complaint's 24 rows went to 24 random leaves of a tree as
	 * large as the index horizon (106 MB at a million stored), and
	 * pruning the horizon deleted 24 rows from 24 other random leaves:
	 * at a million stored, pruning alone was a fifth of an import's time.
	 * Now new rows go to the newest period's part of the tree and the
	 * pruned ones leave the oldest's.  A look-up reads each period its
	 * window touches, newest first, until it has enough.
	 */
	"CREATE TABLE dedup_bands_new ("
	"  bucket INTEGER NOT NULL,"
	"  band INTEGER NOT NULL,"
	"  hash INTEGER NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  complaint_id INTEGER NOT NULL REFERENCES complaints(id) ON DELETE CASCADE,"
	"  PRIMARY KEY (bucket, band, hash, at, complaint_id)"
	") WITHOUT ROWID;"
	"INSERT OR IGNORE INTO dedup_bands_new (bucket, band, hash, at, complaint_id)"
	"  SELECT CASE WHEN at >= 0 THEN at / 1382400 ELSE -((1382399 - at) / 1382400) END,"
	"  band, hash, at, complaint_id FROM dedup_bands;"
	"DROP TABLE dedup_bands;"
	"ALTER TABLE dedup_bands_new RENAME TO dedup_bands;"
	"CREATE INDEX dedup_bands_complaint ON dedup_bands(complaint_id);",

	/*
	 * 15: the blocking keys clustered the same way (store_incidents.c,
	 * INDEX_PERIOD_S).  Keyed by (key, ...), a complaint's ~8 keys went to
	 * ~8 random leaves of the whole horizon's tree: in an import of 2,200
	 * records into a 100k store, dedup_keys was 3,726 of the 8,466 pages
	 * written to the WAL and 3,642 of the 12,453 pages read.  A look-up
	 * reads each period its window touches, newest first, as for bands.
	 * And the key and band rows no longer carry a foreign key: checking it
	 * looked their complaint up in complaints for each of the ~32 rows a
	 * complaint adds (3.4 % of that import's instructions); the trigger
	 * removes them with their complaint, as the ON DELETE CASCADE did.
	 */
	"CREATE TABLE dedup_keys_new ("
	"  bucket INTEGER NOT NULL,"
	"  key TEXT NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  complaint_id INTEGER NOT NULL,"
	"  PRIMARY KEY (bucket, key, at, complaint_id)"
	") WITHOUT ROWID;"
	"INSERT OR IGNORE INTO dedup_keys_new (bucket, key, at, complaint_id)"
	"  SELECT CASE WHEN at >= 0 THEN at / 1382400 ELSE -((1382399 - at) / 1382400) END,"
	"  key, at, complaint_id FROM dedup_keys;"
	"DROP TABLE dedup_keys;"
	"ALTER TABLE dedup_keys_new RENAME TO dedup_keys;"
	"CREATE INDEX dedup_keys_complaint ON dedup_keys(complaint_id);"
	"CREATE TABLE dedup_bands_new ("
	"  bucket INTEGER NOT NULL,"
	"  band INTEGER NOT NULL,"
	"  hash INTEGER NOT NULL,"
	"  at INTEGER NOT NULL,"
	"  complaint_id INTEGER NOT NULL,"
	"  PRIMARY KEY (bucket, band, hash, at, complaint_id)"
	") WITHOUT ROWID;"
	"INSERT INTO dedup_bands_new (bucket, band, hash, at, complaint_id)"
	"  SELECT bucket, band, hash, at, complaint_id FROM dedup_bands;"
	"DROP TABLE dedup_bands;"
	"ALTER TABLE dedup_bands_new RENAME TO dedup_bands;"
	"CREATE INDEX dedup_bands_complaint ON dedup_bands(complaint_id);"
	"CREATE TRIGGER dedup_index_gone AFTER DELETE ON complaints BEGIN"
	"  DELETE FROM dedup_keys WHERE complaint_id = old.id;"
	"  DELETE FROM dedup_bands WHERE complaint_id = old.id;"
	" END;",

	/*
	 * 16: one row per indexed complaint instead of one per key and band
	 * (store_index.c): its ~30 hashes in a blob, keyed by time.  At a
	 * million stored the two tables and their complaint indexes were
	 * 79,826 pages (312 MB) and their B-trees ~40 % of an import; rows of
	 * ~250 bytes are a few times smaller, are written once per complaint,
	 * leave the table as a range when pruned, and the look-ups read a
	 * run's window of them into memory once.  suqiu_index_sig (registered
	 * on every connection, store_index_register) hashes the old rows as
	 * store_dedup_index hashes new ones.
	 */
	"CREATE TABLE dedup_sigs ("
	"  at INTEGER NOT NULL,"
	"  complaint_id INTEGER NOT NULL,"
	"  sig BLOB NOT NULL,"                 /* 8-byte little-endian hashes, sorted */
	"  PRIMARY KEY (at, complaint_id)"
	") WITHOUT ROWID;"
	"INSERT INTO dedup_sigs (at, complaint_id, sig)"
	"  SELECT max(at), complaint_id, suqiu_index_sig(a, b) FROM ("
	"    SELECT at, complaint_id, key AS a, NULL AS b FROM dedup_keys"
	"    UNION ALL SELECT at, complaint_id, band, hash FROM dedup_bands)"
	"  GROUP BY complaint_id;"
	"CREATE INDEX dedup_sigs_complaint ON dedup_sigs(complaint_id);"
	"DROP TRIGGER dedup_index_gone;"
	"DROP TABLE dedup_keys;"
	"DROP TABLE dedup_bands;"
	"CREATE TRIGGER dedup_index_gone AFTER DELETE ON complaints BEGIN"
	"  DELETE FROM dedup_sigs WHERE complaint_id = old.id;"
	" END;",

	/*
	 * 17: the search index merges its segments 16 at a time, not 4, and
	 * never a whole level at once before it holds 64.  Each transaction
	 * adds a segment (store_fts_flush), and FTS5 merges a level once it
	 * holds `automerge` of them: with 4, every indexed row was rewritten
	 * about log4(n) times.  But with automerge 16 alone, `crisismerge`
	 * (default 16) merges a whole level inside one statement: a 1M bench
	 * run had imports peak at 345 MB (docs/performance.md).  Indexing the
	 * bench's 1,000,000 complaints in transactions of 5,000 with
	 * store_fts_flush's statements, temp_store MEMORY as in store_begin's
	 * transactions: the default 36.1-40.0 s of CPU, the longest
	 * transaction 0.34-0.41 s, SQLite's memory high-water mark 45 MiB;
	 * 16 and 64: 27.4 s, 0.28 s, 42 MiB (31 segments instead of 10, about
	 * as many bytes, a phrase query 8.4 ms against 9.1); 16 alone: 33.6
	 * s with a 5.5 s transaction.  Stores of any age take it from here on.
	 */
	("INSERT INTO complaints_fts (complaints_fts, rank) VALUES ('automerge', 16);"
	 "INSERT INTO complaints_fts (complaints_fts, rank) VALUES ('crisismerge', 64);"),

	/*
	 * 18: each complaint's incident and time by its id, in a narrow
	 * index.  A flag's incidents (store_flags.c, SQL_FLAG_UNITS) were
	 * counted, and its members put in order for the alert mail's first
	 * 30 (store_flag_members), by looking each member up in the
	 * complaints table, one wide row, so one page read, per member.  An
	 * estate's overdue flags live long and hold thousands: in the bench's
	 * 1M run, with 240 of them at level 9 past their next level's
	 * complaints but not its incidents, every `alerts detect` counted
	 * 455,000 members again, and the period took 2 s a run instead of 0.6
	 * (a 455,592-member count: 1.46 s through the table, 0.26 s through
	 * this index).
	 */
	"CREATE INDEX complaints_incident_by_id ON complaints (id, incident_id, received_at);",

	/*
	 * 19: complaints_unlinked (step 3) goes.  complaints_incident holds
	 * the unlinked complaints first, by id (NULL sorts first, then the
	 * rowid), so store_unlinked walks that index just as well; and the
	 * partial index cost every complaint stored an entry, and every link
	 * its removal: 0.8% of the instructions of a 10,000-record import
	 * into a 90k store.
	 */
	"DROP INDEX IF EXISTS complaints_unlinked;",

	/*
	 * 20: no trigger indexes a new complaint for search; the store does
	 * (store_put_placed: every complaint it inserts is queued for
	 * store_fts_flush, in a transaction of its own when the caller has
	 * none).  Since step 8 the trigger's WHEN was false for every row the
	 * store wrote, but a trigger on the table is enough for SQLite to
	 * give each INSERT a statement journal: the original of every page
	 * the row and its eight index entries touched, copied to memory and
	 * freed again.  6.3 % of the instructions of a 10,000-record import
	 * into a 90k store (5.96 G -> 5.59 G).  The update trigger stays:
	 * an update has other triggers (detect_memos_stale) anyway.
	 */
	"DROP TRIGGER IF EXISTS complaints_fts_insert;",
};

int store_schema_count(void)
{
	return (int)(sizeof(migrations) / sizeof(migrations[0]));
}

int store_schema_latest(void)
{
	return store_schema_count();
}

/*
 * Apply one step inside BEGIN IMMEDIATE (its statements rewrite whole tables:
 * their undo journals spill to files), re-reading the version under the
 * write lock: two processes opening a new file at once must not both run it.
 * *done is set when the database already was at or past target.
 */
static sq_err migrate_step(struct sq_store *st, int target, int *done, struct sq_error *err)
{
	char pragma[64];
	int v;
	sq_err rc;

	rc = store_begin_spilling(st, err);
	if (rc)
		return rc;
	v = store_schema_version(st);
	if (v > store_schema_count()) {
		store_rollback(st);
		return sq_fail(err, SQ_ESCHEMA,
			       "%s: database schema version %d is newer than this suqiu (%d); upgrade suqiu",
			       st->path, v, store_schema_count());
	}
	if (v >= target) {
		*done = 1;
		return store_commit(st, err);
	}
	rc = store_exec(st, migrations[v], err);
	if (!rc) {
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d", v + 1);
		rc = store_exec(st, pragma, err);
	}
	if (!rc)
		rc = store_commit(st, err);
	if (rc) {
		store_rollback(st);
		return sq_error_prefix(err, "migrating schema to version %d: ", v + 1);
	}
	return SQ_OK;
}

sq_err store_migrate(struct sq_store *st, int target, struct sq_error *err)
{
	int done = 0;
	sq_err rc;

	if (store_schema_version(st) > store_schema_count())
		return sq_fail(err, SQ_ESCHEMA,
			       "%s: database schema version %d is newer than this suqiu (%d); upgrade suqiu",
			       st->path, store_schema_version(st), store_schema_count());
	/* Readers must not wait for a running poll: take the write lock only
	 * when there is something to migrate. */
	if (store_schema_version(st) >= target)
		return SQ_OK;
	while (!done) {
		rc = migrate_step(st, target, &done, err);
		if (rc)
			return rc;
	}
	return SQ_OK;
}
