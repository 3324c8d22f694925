/* Complaints, cursors, quarantine and the run log. */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "store.h"
#include "store_private.h"
#include "banned.h"

static const char sql_find[] =
	"SELECT id, updated_at FROM complaints WHERE source = ?1 AND source_id = ?2";

static const char sql_insert[] =
	"INSERT INTO complaints (source, source_id, source_type, received_at, updated_at,"
	" first_seen_at, kind, channel, title, text, category, category_raw, street,"
	" community, grid, address, lat, lon, contact_hash, contact_masked, contact_raw,"
	" status, status_raw, deadline, satisfaction, handler, raw, resolved_at, incident_id)"
	" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16,"
	" ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?27,"
	" CASE WHEN ?22 IN ('resolved', 'closed') THEN ?5 END, ?28)";

static const char sql_history[] =
	"INSERT INTO complaint_history (complaint_id, replaced_at, updated_at, status,"
	" status_raw, title, text, category, community, address, deadline, satisfaction,"
	" handler, raw)"
	" SELECT id, ?2, updated_at, status, status_raw, title, text, category, community,"
	" address, deadline, satisfaction, handler, raw FROM complaints WHERE id = ?1";

/* Same parameter numbers as sql_insert; ?28 is the row id (the incident there). */
static const char sql_update[] =
	"UPDATE complaints SET source_type = ?3, received_at = ?4, updated_at = ?5,"
	" kind = ?7, channel = ?8, title = ?9, text = ?10, category = ?11,"
	" category_raw = ?12, street = ?13, community = ?14, grid = ?15, address = ?16,"
	" lat = ?17, lon = ?18, contact_hash = COALESCE(?19, contact_hash),"
	" contact_masked = COALESCE(?20, contact_masked), contact_raw = COALESCE(?21, contact_raw),"
	" status = ?22, status_raw = ?23, deadline = ?24, satisfaction = ?25, handler = ?26,"
	" raw = ?27,"
	" resolved_at = CASE WHEN ?22 IN ('resolved', 'closed') THEN COALESCE(resolved_at, ?5) END"
	" WHERE id = ?28";

/*
 * Whether an update changes anything linking reads (store_dedup_doc,
 * store_dedup_text): same parameter numbers as sql_update, so that
 * bind_record binds it.  A contact left out of the update (NULL) keeps
 * the stored one.
 */
static const char sql_linkage_differs[] =
	"SELECT source_type IS NOT ?3 OR received_at IS NOT ?4 OR title IS NOT ?9"
	" OR text IS NOT ?10 OR category IS NOT ?11 OR category_raw IS NOT ?12"
	" OR community IS NOT ?14 OR grid IS NOT ?15 OR address IS NOT ?16"
	" OR lat IS NOT ?17 OR lon IS NOT ?18"
	" OR (?19 IS NOT NULL AND contact_hash IS NOT ?19)"
	" OR (?20 IS NOT NULL AND contact_masked IS NOT ?20)"
	" FROM complaints WHERE id = ?28";

/* The index entry of the stored title, text and address, when a change to
 * them is coming (?2..?4 the new values): an external-content FTS5 table
 * must be told the old values to forget them. */
static const char sql_fts_forget[] =
	"INSERT INTO complaints_fts (complaints_fts, rowid, title, text, address)"
	" SELECT 'delete', id, title, text, address FROM complaints"
	" WHERE id = ?1 AND (title IS NOT ?2 OR text IS NOT ?3 OR address IS NOT ?4)";

static const char sql_fts_add[] =
	"INSERT INTO complaints_fts (rowid, title, text, address)"
	" SELECT id, title, text, address FROM complaints"
	" WHERE id IN (SELECT value FROM json_each(?1))";

static const char sql_links_clear[] = "DELETE FROM complaint_links WHERE complaint_id = ?1";
static const char sql_link_add[] =
	"INSERT OR IGNORE INTO complaint_links (complaint_id, kind, target_type, target_id)"
	" VALUES (?1, ?2, ?3, ?4)";

static void bind_record(sqlite3_stmt *s, const struct sq_record *r, int64_t now)
{
	store_bind_text(s, 1, r->source);
	store_bind_text(s, 2, r->source_id);
	store_bind_text(s, 3, r->source_type ? r->source_type : "");
	sqlite3_bind_int64(s, 4, r->received_at);
	sqlite3_bind_int64(s, 5, r->updated_at);
	sqlite3_bind_int64(s, 6, now);
	store_bind_text(s, 7, record_kind_name(r->kind));
	store_bind_text(s, 8, r->channel);
	store_bind_text(s, 9, r->title);
	store_bind_text(s, 10, r->text);
	store_bind_text(s, 11, r->category);
	store_bind_text(s, 12, r->category_raw);
	store_bind_text(s, 13, r->street);
	store_bind_text(s, 14, r->community);
	store_bind_text(s, 15, r->grid);
	store_bind_text(s, 16, r->address);
	if (r->crs != SQ_CRS_NONE) {
		sqlite3_bind_double(s, 17, r->lat);
		sqlite3_bind_double(s, 18, r->lon);
	}
	store_bind_text(s, 19, r->contact_hash);
	store_bind_text(s, 20, r->contact_masked);
	store_bind_text(s, 21, r->contact_raw);
	store_bind_text(s, 22, record_status_name(r->status));
	store_bind_text(s, 23, r->status_raw);
	store_bind_time(s, 24, r->deadline);
	store_bind_text(s, 25, r->satisfaction);
	store_bind_text(s, 26, r->handler);
	store_bind_text(s, 27, r->raw);
}


static int fts_queued(const struct sq_store *st, int64_t id)
{
	size_t i;

	for (i = st->fts_n; i > 0; i--)
		if (st->fts_ids[i - 1] == id)
			return 1;
	return 0;
}

sq_err store_fts_defer(struct sq_store *st, struct sq_error *err)
{
	sq_err rc;

	if (st->fts_deferring || sqlite3_get_autocommit(st->db))
		return SQ_OK;
	rc = store_exec(st, "INSERT INTO fts_deferred (x) VALUES (1)", err);
	if (!rc)
		st->fts_deferring = 1;
	return rc;
}

/* Queue complaint id for the full-text index (store_fts_flush indexes it). */
static sq_err fts_queue(struct sq_store *st, int64_t id, struct sq_error *err)
{
	if (sq_array_reserve((void **)&st->fts_ids, &st->fts_cap, st->fts_n + 1,
			     sizeof(*st->fts_ids)))
		return sq_fail(err, SQ_ENOMEM, "out of memory indexing a complaint");
	st->fts_ids[st->fts_n++] = id;
	return SQ_OK;
}

/*
 * One statement for the whole queue: FTS5 keeps what one statement adds in
 * memory and writes it as one segment, where a statement per complaint
 * would write a segment each (store_schema.c, step 8).
 */
sq_err store_fts_flush(struct sq_store *st, struct sq_error *err)
{
	struct sq_buf ids = SQ_BUF_INIT;
	sqlite3_stmt *s;
	sq_err rc = SQ_OK;

	if (!st->fts_deferring)
		return SQ_OK;
	if (st->fts_n) {
		rc = store_stmt(st, sql_fts_add, &s, err);
		if (!rc && store_bind_ids(s, 1, st->fts_ids, st->fts_n, &ids))
			rc = sq_fail(err, SQ_ENOMEM, "out of memory indexing complaints");
		if (!rc)
			rc = store_step_done(st, s, "indexing complaints for search", err);
		sq_buf_release(&ids);
	}
	if (!rc)
		rc = store_exec(st, "DELETE FROM fts_deferred", err);
	if (!rc) {
		st->fts_n = 0;
		st->fts_deferring = 0;
	}
	return rc;
}

/* Store r's declared links as complaint id's. */
static sq_err add_links(struct sq_store *st, const struct sq_record *r, int64_t id,
			struct sq_error *err)
{
	sqlite3_stmt *s;
	size_t i;
	sq_err rc = SQ_OK;

	for (i = 0; !rc && i < r->nlinks; i++) {
		rc = store_stmt(st, sql_link_add, &s, err);
		if (rc)
			break;
		sqlite3_bind_int64(s, 1, id);
		store_bind_text(s, 2, r->links[i].kind);
		store_bind_text(s, 3, r->links[i].target_type);
		store_bind_text(s, 4, r->links[i].target_id);
		rc = store_step_done(st, s, "storing a link", err);
	}
	return rc;
}

/* Replace complaint id's declared links with r's; *had: how many it had. */
static sq_err replace_links(struct sq_store *st, const struct sq_record *r, int64_t id,
			    int64_t *had, struct sq_error *err)
{
	sqlite3_stmt *s;
	sq_err rc;

	*had = 0;
	rc = store_stmt(st, sql_links_clear, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	rc = store_step_done(st, s, "clearing links", err);
	if (rc)
		return rc;
	*had = sqlite3_changes(st->db);
	return add_links(st, r, id, err);
}

static sq_err find_complaint(struct sq_store *st, const struct sq_record *r, int64_t *id,
			     int64_t *updated_at, struct sq_error *err)
{
	sqlite3_stmt *s;
	sq_err rc;
	int step;

	*id = 0;
	rc = store_stmt(st, sql_find, &s, err);
	if (rc)
		return rc;
	store_bind_text(s, 1, r->source);
	store_bind_text(s, 2, r->source_id);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		*id = sqlite3_column_int64(s, 0);
		*updated_at = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return store_db_error(st, "looking up a complaint", err);
	return SQ_OK;
}

static sq_err insert_complaint(struct sq_store *st, const struct sq_record *r, void *prep,
			       int64_t now, const struct store_placer *placer, int64_t *id,
			       struct sq_error *err)
{
	int64_t incident_id = 0;
	sqlite3_stmt *s;
	sq_err rc;

	if (placer) {
		rc = placer->place(placer->ctx, r, prep, &incident_id, err);
		if (rc)
			return rc;
	}
	rc = store_stmt(st, sql_insert, &s, err);
	if (rc)
		return rc;
	bind_record(s, r, now);
	if (incident_id)
		sqlite3_bind_int64(s, 28, incident_id);
	rc = store_step_done(st, s, "inserting a complaint", err);
	if (rc)
		return rc;
	*id = sqlite3_last_insert_rowid(st->db);
	rc = fts_queue(st, *id, err);
	/* a new row has no links to clear: the store's connections enforce
	 * the foreign key that deletes a complaint's links with it */
	if (!rc)
		rc = add_links(st, r, *id, err);
	if (!rc && placer)
		rc = placer->placed(placer->ctx, *id, err);
	return rc;
}

/* *differs: whether storing r over complaint id changes what linking reads. */
static sq_err linkage_differs(struct sq_store *st, const struct sq_record *r, int64_t id,
			      int *differs, struct sq_error *err)
{
	sqlite3_stmt *s;
	int step;
	sq_err rc;

	rc = store_stmt(st, sql_linkage_differs, &s, err);
	if (rc)
		return rc;
	bind_record(s, r, 0);
	sqlite3_bind_int64(s, 28, id);
	step = sqlite3_step(s);
	*differs = step != SQLITE_ROW || sqlite3_column_int(s, 0) != 0;
	sqlite3_reset(s);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return store_db_error(st, "comparing a complaint's update", err);
	return SQ_OK;
}

/*
 * Replace complaint id with r (its old state to complaint_history);
 * *relink: whether linking must see it again — what it reads changed, or
 * the complaint declares links (now or before), which it then checks again.
 */
static sq_err update_complaint(struct sq_store *st, const struct sq_record *r, int64_t now,
			       int64_t id, int *relink, struct sq_error *err)
{
	sqlite3_stmt *s;
	int64_t had = 0;
	int reindex;
	sq_err rc;

	rc = linkage_differs(st, r, id, relink, err);
	if (rc)
		return rc;
	rc = store_stmt(st, sql_history, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	rc = store_step_done(st, s, "keeping a complaint's history", err);
	if (rc)
		return rc;
	/* Stored and changed in one transaction: not indexed yet, and the
	 * flush will index what the row says then. */
	reindex = 0;
	if (!fts_queued(st, id)) {
		rc = store_stmt(st, sql_fts_forget, &s, err);
		if (rc)
			return rc;
		sqlite3_bind_int64(s, 1, id);
		store_bind_text(s, 2, r->title);
		store_bind_text(s, 3, r->text);
		store_bind_text(s, 4, r->address);
		rc = store_step_done(st, s, "updating the search index", err);
		if (rc)
			return rc;
		reindex = sqlite3_changes(st->db) > 0;
	}
	rc = store_stmt(st, sql_update, &s, err);
	if (rc)
		return rc;
	bind_record(s, r, now);
	sqlite3_bind_int64(s, 28, id);
	rc = store_step_done(st, s, "updating a complaint", err);
	if (!rc && reindex)
		rc = fts_queue(st, id, err);
	if (!rc)
		rc = replace_links(st, r, id, &had, err);
	if (had || r->nlinks)
		*relink = 1;
	return rc;
}

sq_err store_put_complaint(struct sq_store *st, const struct sq_record *r, int64_t now,
			   enum store_change *change, int64_t *id, struct sq_error *err)
{
	return store_put_placed(st, r, NULL, now, NULL, change, id, err);
}

/* store_put_placed inside a transaction. */
static sq_err put_in_tx(struct sq_store *st, const struct sq_record *r, void *prep, int64_t now,
			const struct store_placer *placer, enum store_change *change,
			int64_t *id, struct sq_error *err)
{
	int64_t stored_update = 0;
	int relink = 1;
	sq_err rc;

	rc = store_fts_defer(st, err);
	if (!rc)
		rc = find_complaint(st, r, id, &stored_update, err);
	if (rc)
		return rc;
	if (!*id) {
		*change = STORE_NEW;
		return insert_complaint(st, r, prep, now, placer, id, err);
	}
	if (r->updated_at <= stored_update) {
		*change = STORE_UNCHANGED;
		return SQ_OK;
	}
	rc = update_complaint(st, r, now, *id, &relink, err);
	*change = relink ? STORE_UPDATED : STORE_RESTATED;
	return rc;
}

/*
 * No trigger indexes a new row for search (schema step 20): the store
 * queues it and store_commit indexes the queue, so a complaint stored
 * outside a transaction gets one of its own.
 */
sq_err store_put_placed(struct sq_store *st, const struct sq_record *r, void *prep, int64_t now,
			const struct store_placer *placer, enum store_change *change,
			int64_t *id, struct sq_error *err)
{
	sq_err rc;

	if (!sqlite3_get_autocommit(st->db))
		return put_in_tx(st, r, prep, now, placer, change, id, err);
	rc = store_begin(st, err);
	if (rc)
		return rc;
	rc = put_in_tx(st, r, prep, now, placer, change, id, err);
	if (!rc)
		rc = store_commit(st, err);
	if (rc)
		store_rollback(st);
	return rc;
}

static sq_err count_query(struct sq_store *st, const char *sql, const char *arg, int64_t *n,
			  struct sq_error *err)
{
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	if (arg)
		store_bind_text(s, 1, arg);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return store_db_error(st, "counting", err);
	}
	*n = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return SQ_OK;
}

sq_err store_count_complaints(struct sq_store *st, int64_t *n, struct sq_error *err)
{
	static const char sql[] = "SELECT count(*) FROM complaints";

	return count_query(st, sql, NULL, n, err);
}

sq_err store_count_quarantine(struct sq_store *st, const char *source, int64_t *n,
			      struct sq_error *err)
{
	static const char sql_all[] = "SELECT count(*) FROM quarantine";
	static const char sql_one[] = "SELECT count(*) FROM quarantine WHERE source = ?1";

	return count_query(st, source ? sql_one : sql_all, source, n, err);
}

sq_err store_get_cursor(struct sq_store *st, const char *source, char **cursor,
			struct sq_error *err)
{
	static const char sql[] = "SELECT cursor FROM cursors WHERE source = ?1";
	sqlite3_stmt *s;
	int step, oom = 0;
	sq_err rc;

	*cursor = NULL;
	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	store_bind_text(s, 1, source);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW)
		*cursor = store_col_text(s, 0, &oom);
	sqlite3_reset(s);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return store_db_error(st, "reading a cursor", err);
	if (oom)
		return sq_fail(err, SQ_ENOMEM, "out of memory reading a cursor");
	return SQ_OK;
}

sq_err store_set_cursor(struct sq_store *st, const char *source, const char *cursor,
			int64_t now, struct sq_error *err)
{
	static const char sql[] =
		"INSERT INTO cursors (source, cursor, updated_at) VALUES (?1, ?2, ?3)"
		" ON CONFLICT (source) DO UPDATE SET cursor = excluded.cursor,"
		" updated_at = excluded.updated_at";
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	store_bind_text(s, 1, source);
	store_bind_text(s, 2, cursor);
	sqlite3_bind_int64(s, 3, now);
	return store_step_done(st, s, "saving a cursor", err);
}

sq_err store_quarantine(struct sq_store *st, const char *source, const char *source_id,
			const char *raw, const char *reason, int64_t now,
			struct sq_error *err)
{
	static const char sql[] =
		"INSERT INTO quarantine (source, source_id, quarantined_at, reason, raw)"
		" VALUES (?1, ?2, ?3, ?4, ?5)";
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	store_bind_text(s, 1, source);
	store_bind_text(s, 2, source_id);
	sqlite3_bind_int64(s, 3, now);
	store_bind_text(s, 4, reason);
	store_bind_text(s, 5, raw ? raw : "");
	return store_step_done(st, s, "quarantining a record", err);
}

sq_err store_run_begin(struct sq_store *st, const char *command, int64_t started_at,
		       int64_t *run_id, struct sq_error *err)
{
	static const char sql[] = "INSERT INTO runs (command, started_at) VALUES (?1, ?2)";
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	store_bind_text(s, 1, command);
	sqlite3_bind_int64(s, 2, started_at);
	rc = store_step_done(st, s, "starting the run log", err);
	if (!rc)
		*run_id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

sq_err store_run_source(struct sq_store *st, int64_t run_id,
			const struct store_run_source *r, struct sq_error *err)
{
	static const char sql[] =
		"INSERT OR REPLACE INTO run_sources (run_id, source, pages, fetched, new_records,"
		" updated, unchanged, quarantined, errors, duration_ms, error)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, run_id);
	store_bind_text(s, 2, r->source);
	sqlite3_bind_int64(s, 3, r->pages);
	sqlite3_bind_int64(s, 4, r->fetched);
	sqlite3_bind_int64(s, 5, r->new_records);
	sqlite3_bind_int64(s, 6, r->updated);
	sqlite3_bind_int64(s, 7, r->unchanged);
	sqlite3_bind_int64(s, 8, r->quarantined);
	sqlite3_bind_int64(s, 9, r->errors);
	sqlite3_bind_int64(s, 10, r->duration_ms);
	store_bind_text(s, 11, r->error);
	return store_step_done(st, s, "writing the run log", err);
}

sq_err store_run_end(struct sq_store *st, int64_t run_id, int64_t finished_at,
		     int exit_status, struct sq_error *err)
{
	static const char sql[] =
		"UPDATE runs SET finished_at = ?2, exit_status = ?3 WHERE id = ?1";
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, run_id);
	sqlite3_bind_int64(s, 2, finished_at);
	sqlite3_bind_int(s, 3, exit_status);
	return store_step_done(st, s, "closing the run log", err);
}

sq_err store_source_health(struct sq_store *st, const char *source, int64_t *last_ok,
			   char **last_error, int64_t *last_error_at, struct sq_error *err)
{
	static const char sql_ok[] =
		"SELECT max(r.started_at) FROM run_sources s JOIN runs r ON r.id = s.run_id"
		" WHERE s.source = ?1 AND s.errors = 0";
	static const char sql_err[] =
		"SELECT r.started_at, s.error FROM run_sources s JOIN runs r ON r.id = s.run_id"
		" WHERE s.source = ?1 AND s.errors > 0 ORDER BY s.run_id DESC LIMIT 1";
	sqlite3_stmt *s;
	int step, oom = 0;
	sq_err rc;

	*last_ok = 0;
	*last_error = NULL;
	*last_error_at = 0;
	rc = count_query(st, sql_ok, source, last_ok, err);
	if (rc)
		return rc;
	rc = store_stmt(st, sql_err, &s, err);
	if (rc)
		return rc;
	store_bind_text(s, 1, source);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		*last_error_at = sqlite3_column_int64(s, 0);
		*last_error = store_col_text(s, 1, &oom);
	}
	sqlite3_reset(s);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return store_db_error(st, "reading feed health", err);
	return oom ? sq_fail(err, SQ_ENOMEM, "out of memory") : SQ_OK;
}
