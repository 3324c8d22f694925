/*
 * Incidents and the record-linkage index (store.h, "incidents and record
 * linkage"), and the read side that show and export use.  Every look-up
 * here is by an index on the key it names: linking one complaint must cost
 * the same in a store of ten thousand as of a million.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "store.h"
#include "store_private.h"
#include "banned.h"

/* ---- small helpers ------------------------------------------------------- */

sq_err store_ids_add(struct store_ids *ids, int64_t id)
{
	size_t i;

	for (i = 0; i < ids->n; i++)
		if (ids->v[i] == id)
			return SQ_OK;
	return store_ids_push(ids, id);
}

void store_ids_unique(struct store_ids *ids)
{
	size_t i, n = 0;

	if (!ids->n)
		return;
	sq_sort_i64(ids->v, ids->n);
	for (i = 0; i < ids->n; i++)
		if (!n || ids->v[i] != ids->v[n - 1])
			ids->v[n++] = ids->v[i];
	ids->n = n;
}

size_t store_ids_find(const struct store_ids *ids, int64_t id)
{
	size_t lo = 0, hi = ids->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (ids->v[mid] == id)
			return mid;
		if (ids->v[mid] < id)
			lo = mid + 1;
		else
			hi = mid;
	}
	return ids->n;
}

sq_err store_ids_push(struct store_ids *ids, int64_t id)
{
	if (sq_array_reserve((void **)&ids->v, &ids->cap, ids->n + 1, sizeof(*ids->v)))
		return SQ_ENOMEM;
	ids->v[ids->n++] = id;
	return SQ_OK;
}

void store_ids_release(struct store_ids *ids)
{
	free(ids->v);
	memset(ids, 0, sizeof(*ids));
}


/* Run a prepared one-id statement to completion. */
static sq_err exec_id(struct sq_store *st, const char *sql, int64_t a, int64_t b,
		      const char *what, struct sq_error *err)
{
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, a);
	if (b)
		sqlite3_bind_int64(s, 2, b);
	return store_step_done(st, s, what, err);
}

/* Append the first column of every row of s (already bound) to ids. */
static sq_err collect_ids(struct sq_store *st, sqlite3_stmt *s, struct store_ids *ids,
			  const char *what, struct sq_error *err)
{
	int step;

	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (store_ids_push(ids, sqlite3_column_int64(s, 0))) {
			sqlite3_reset(s);
			return sq_fail(err, SQ_ENOMEM, "out of memory %s", what);
		}
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE)
		return store_db_error(st, what, err);
	return SQ_OK;
}

static int64_t col_time(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? 0 : sqlite3_column_int64(s, i);
}

static const char *col_str(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

/*
 * Step through s (prepared and bound), handing each row to row(s, ctx); a
 * return other than SQ_OK stops the walk and is returned.  The row readers
 * below turn rows into their struct and call the caller's callback.
 */
static sq_err walk(struct sq_store *st, sqlite3_stmt *s, sq_err (*row)(sqlite3_stmt *s, void *ctx),
		   void *ctx, const char *what, struct sq_error *err)
{
	int step = SQLITE_DONE;
	sq_err rc = SQ_OK, stop = SQ_OK;

	while (!stop && (step = sqlite3_step(s)) == SQLITE_ROW)
		stop = row(s, ctx);
	if (!stop && step != SQLITE_DONE)
		rc = store_db_error(st, what, err);
	sqlite3_reset(s);
	return rc ? rc : stop;
}

/* ---- the linkage index --------------------------------------------------- */

sq_err store_dedup_doc(struct sq_store *st, int64_t id, struct dedup_doc *d, int *found,
		       struct sq_error *err)
{
	static const char sql[] =
		"SELECT c.id, c.incident_id, c.received_at, c.source, c.source_type, c.source_id,"
		" c.category, c.community, c.grid, c.contact_hash, c.contact_masked, c.lat, c.lon,"
		" d.folded, d.addr_key, d.road_key, d.landmarks, d.buildings, c.category_raw"
		" FROM complaints c LEFT JOIN dedup_docs d ON d.complaint_id = c.id WHERE c.id = ?1";
	sqlite3_stmt *s;
	int step, oom = 0;
	sq_err rc;

	dedup_doc_release(d);
	*found = 0;
	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		*found = 1;
		d->id = sqlite3_column_int64(s, 0);
		d->incident_id = col_time(s, 1);
		d->received_at = sqlite3_column_int64(s, 2);
		d->source = store_col_text(s, 3, &oom);
		d->source_type = store_col_text(s, 4, &oom);
		d->source_id = store_col_text(s, 5, &oom);
		d->category = store_col_text(s, 6, &oom);
		d->community = store_col_text(s, 7, &oom);
		d->grid = store_col_text(s, 8, &oom);
		d->contact_hash = store_col_text(s, 9, &oom);
		d->contact_masked = store_col_text(s, 10, &oom);
		if (sqlite3_column_type(s, 11) != SQLITE_NULL &&
		    sqlite3_column_type(s, 12) != SQLITE_NULL) {
			d->has_pos = 1;
			d->lat = sqlite3_column_double(s, 11);
			d->lon = sqlite3_column_double(s, 12);
		}
		d->folded = store_col_text(s, 13, &oom);
		d->addr_key = store_col_text(s, 14, &oom);
		d->road_key = store_col_text(s, 15, &oom);
		d->landmarks = store_col_text(s, 16, &oom);
		d->buildings = store_col_text(s, 17, &oom);
		d->category_raw = store_col_text(s, 18, &oom);
	}
	sqlite3_reset(s);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return store_db_error(st, "loading a complaint for linkage", err);
	if (oom) {
		dedup_doc_release(d);
		return sq_fail(err, SQ_ENOMEM, "out of memory loading a complaint for linkage");
	}
	return SQ_OK;
}

sq_err store_dedup_text(struct sq_store *st, int64_t id, char **title, char **text,
			char **address, struct sq_error *err)
{
	static const char sql[] = "SELECT title, text, address FROM complaints WHERE id = ?1";
	sqlite3_stmt *s;
	int step, oom = 0;
	sq_err rc;

	*title = *text = *address = NULL;
	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		*title = store_col_text(s, 0, &oom);
		*text = store_col_text(s, 1, &oom);
		*address = store_col_text(s, 2, &oom);
	}
	sqlite3_reset(s);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return store_db_error(st, "reading a complaint's text", err);
	if (step == SQLITE_DONE)
		return sq_fail(err, SQ_ENOTFOUND, "complaint %lld not found", (long long)id);
	if (oom) {
		free(*title);
		free(*text);
		free(*address);
		*title = *text = *address = NULL;
		return sq_fail(err, SQ_ENOMEM, "out of memory reading a complaint's text");
	}
	return SQ_OK;
}

sq_err store_dedup_index(struct sq_store *st, const struct dedup_doc *d, int reindex,
			 const char *const *keys, size_t nkeys,
			 const int64_t *bands, size_t nbands, struct sq_error *err)
{
	static const char sql_doc[] =
		"INSERT INTO dedup_docs (complaint_id, folded, addr_key, road_key,"
		" landmarks, buildings) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
		" ON CONFLICT (complaint_id) DO UPDATE SET folded = excluded.folded,"
		" addr_key = excluded.addr_key, road_key = excluded.road_key,"
		" landmarks = excluded.landmarks, buildings = excluded.buildings";
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql_doc, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, d->id);
	store_bind_text(s, 2, d->folded ? d->folded : "");
	store_bind_text(s, 3, d->addr_key);
	store_bind_text(s, 4, d->road_key);
	store_bind_text(s, 5, d->landmarks);
	store_bind_text(s, 6, d->buildings);
	rc = store_step_done(st, s, "indexing a complaint", err);
	if (!rc)
		rc = store_index_put(st, d->id, d->received_at, reindex, keys, nkeys, bands, nbands,
				     err);
	return rc;
}

sq_err store_dedup_df(struct sq_store *st, uint64_t term, int64_t *df, struct sq_error *err)
{
	static const char sql[] = "SELECT df FROM dedup_df WHERE term = ?1";

	return store_query_int(st, sql, 1, (int64_t)term, 0, df, "reading a document frequency", err);
}

sq_err store_dedup_df_add(struct sq_store *st, const struct store_df_delta *d, size_t n,
			  int64_t docs, struct sq_error *err)
{
	static const char sql_term[] =
		"INSERT INTO dedup_df (term, df) VALUES (?1, max(?2, 0))"
		" ON CONFLICT (term) DO UPDATE SET df = max(df + ?2, 0)";
	static const char sql_docs[] =
		"INSERT INTO dedup_stats (name, value) VALUES ('docs', max(?1, 0))"
		" ON CONFLICT (name) DO UPDATE SET value = max(value + ?1, 0)";
	sqlite3_stmt *s;
	size_t i;
	sq_err rc = SQ_OK;

	for (i = 0; !rc && i < n; i++) {
		if (!d[i].delta)
			continue;
		rc = store_stmt(st, sql_term, &s, err);
		if (rc)
			break;
		sqlite3_bind_int64(s, 1, (int64_t)d[i].term);
		sqlite3_bind_int64(s, 2, d[i].delta);
		rc = store_step_done(st, s, "counting a term", err);
	}
	if (rc || !docs)
		return rc;
	rc = store_stmt(st, sql_docs, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, docs);
	return store_step_done(st, s, "counting documents", err);
}

sq_err store_dedup_ndocs(struct sq_store *st, int64_t *n, struct sq_error *err)
{
	static const char sql[] = "SELECT value FROM dedup_stats WHERE name = 'docs'";

	return store_query_int(st, sql, 0, 0, 0, n, "reading the document count", err);
}

sq_err store_declared_neighbours(struct sq_store *st, const struct dedup_doc *d,
				 const struct sq_link *links, size_t nlinks, struct store_ids *ids,
				 struct sq_error *err)
{
	/*
	 * Both directions, each by an index: complaints_source_id for the
	 * targets this complaint names, complaint_links_target for those that
	 * name it (by its source type, then by its source's name, both taken
	 * from d rather than read from its row again).  One statement and no
	 * ORDER BY: store_ids_unique sorts.  A sorter, or an IN list of two
	 * columns, made SQLite open an ephemeral table for every complaint
	 * linked, a third of this look-up's cost.
	 */
	static const char sql[] =
		"SELECT t.id FROM complaint_links l JOIN complaints t ON t.source_id = l.target_id"
		" WHERE l.complaint_id = ?1 AND t.id != ?1"
		" AND (t.source_type = l.target_type OR t.source = l.target_type)"
		" UNION ALL"
		" SELECT complaint_id FROM complaint_links"
		" WHERE target_type = ?3 AND target_id = ?4 AND complaint_id != ?1"
		" UNION ALL"
		" SELECT complaint_id FROM complaint_links"
		" WHERE target_type = ?2 AND target_id = ?4 AND complaint_id != ?1 AND ?2 != ?3";
	/* the first part, for a link of a complaint not stored yet */
	static const char sql_link[] =
		"SELECT id FROM complaints WHERE source_id = ?2 AND (source_type = ?1 OR source = ?1)";
	sqlite3_stmt *s;
	size_t i;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, d->id);
	store_bind_text(s, 2, d->source);
	store_bind_text(s, 3, d->source_type);
	store_bind_text(s, 4, d->source_id);
	rc = collect_ids(st, s, ids, "following declared links", err);
	for (i = 0; !rc && i < nlinks; i++) {
		rc = store_stmt(st, sql_link, &s, err);
		if (rc)
			break;
		store_bind_text(s, 1, links[i].target_type);
		store_bind_text(s, 2, links[i].target_id);
		rc = collect_ids(st, s, ids, "following declared links", err);
	}
	if (!rc)
		store_ids_unique(ids);
	return rc;
}

sq_err store_unlinked(struct sq_store *st, int64_t after, int limit, struct store_ids *ids,
		      struct sq_error *err)
{
	static const char sql[] =
		"SELECT id FROM complaints WHERE incident_id IS NULL AND id > ?1 ORDER BY id LIMIT ?2";
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, after);
	sqlite3_bind_int(s, 2, limit);
	return collect_ids(st, s, ids, "listing unlinked complaints", err);
}

/* ---- incidents ----------------------------------------------------------- */

/*
 * Recompute an incident from its members (after a move, merge or split;
 * costs the incident's size, not the store's), and delete it when it has
 * none left.
 */
static sq_err incident_refresh(struct sq_store *st, int64_t id, struct sq_error *err)
{
	static const char sql[] =
		"UPDATE incidents SET"
		" opened_at = coalesce((SELECT min(received_at) FROM complaints WHERE incident_id = ?1), opened_at),"
		" last_at = coalesce((SELECT max(received_at) FROM complaints WHERE incident_id = ?1), last_at),"
		" size = (SELECT count(*) FROM complaints WHERE incident_id = ?1),"
		" category = (SELECT category FROM complaints WHERE incident_id = ?1"
		"   AND category IS NOT NULL GROUP BY category ORDER BY count(*) DESC, min(received_at)"
		"   LIMIT 1),"
		" community = (SELECT community FROM complaints WHERE incident_id = ?1"
		"   AND community IS NOT NULL AND community != ''"
		"   GROUP BY community ORDER BY count(*) DESC, min(received_at) LIMIT 1)"
		" WHERE id = ?1";
	static const char sql_empty[] = "DELETE FROM incidents WHERE id = ?1 AND size = 0";
	sq_err rc;

	rc = exec_id(st, sql, id, 0, "recomputing an incident", err);
	if (!rc)
		rc = exec_id(st, sql_empty, id, 0, "deleting an empty incident", err);
	return rc;
}

/*
 * Make incident_id complaint_id's incident; *old receives the one it had
 * (0: none; incident_id: nothing was changed).
 */
static sq_err set_incident(struct sq_store *st, int64_t complaint_id, int64_t incident_id,
			   int64_t *old, struct sq_error *err)
{
	static const char sql_old[] = "SELECT incident_id FROM complaints WHERE id = ?1";
	static const char sql_set[] = "UPDATE complaints SET incident_id = ?2 WHERE id = ?1";
	sqlite3_stmt *s;
	int step;
	sq_err rc;

	*old = 0;
	rc = store_stmt(st, sql_old, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, complaint_id);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW)
		*old = col_time(s, 0);
	sqlite3_reset(s);
	if (step == SQLITE_DONE)
		return sq_fail(err, SQ_ENOTFOUND, "complaint %lld not found", (long long)complaint_id);
	if (step != SQLITE_ROW)
		return store_db_error(st, "reading a complaint's incident", err);
	if (*old == incident_id)
		return SQ_OK;
	return exec_id(st, sql_set, complaint_id, incident_id, "linking a complaint", err);
}

sq_err store_incident_new(struct sq_store *st, int64_t complaint_id, int64_t now,
			  int64_t *incident_id, struct sq_error *err)
{
	/* Made whole from its one member: what incident_refresh would compute. */
	static const char sql_new[] =
		"INSERT INTO incidents (opened_at, last_at, category, community, size, created_at)"
		" SELECT received_at, received_at, category, nullif(community, ''), 1, ?2"
		" FROM complaints WHERE id = ?1";
	sqlite3_stmt *s;
	int64_t old;
	sq_err rc;

	rc = store_stmt(st, sql_new, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, complaint_id);
	sqlite3_bind_int64(s, 2, now);
	rc = store_step_done(st, s, "creating an incident", err);
	if (rc)
		return rc;
	if (sqlite3_changes(st->db) != 1)
		return sq_fail(err, SQ_ENOTFOUND, "complaint %lld not found", (long long)complaint_id);
	*incident_id = sqlite3_last_insert_rowid(st->db);
	rc = set_incident(st, complaint_id, *incident_id, &old, err);
	if (!rc && old)
		rc = incident_refresh(st, old, err);
	return rc;
}

sq_err store_incident_open(struct sq_store *st, const struct dedup_doc *d, int64_t now,
			   int64_t *incident_id, struct sq_error *err)
{
	/* store_incident_new's row, from d's values instead of its row */
	static const char sql[] =
		"INSERT INTO incidents (opened_at, last_at, category, community, size, created_at)"
		" VALUES (?1, ?1, ?2, nullif(?3, ''), 1, ?4)";
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, d->received_at);
	store_bind_text(s, 2, d->category);
	store_bind_text(s, 3, d->community);
	sqlite3_bind_int64(s, 4, now);
	rc = store_step_done(st, s, "creating an incident", err);
	if (!rc)
		*incident_id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

sq_err store_incident_grow(struct sq_store *st, int64_t incident_id, const struct dedup_doc *d,
			   struct sq_error *err)
{
	/* store_incident_add's join, from d's values instead of its row */
	static const char sql[] =
		"UPDATE incidents SET opened_at = min(opened_at, ?2), last_at = max(last_at, ?2),"
		" size = size + 1, category = coalesce(category, ?3),"
		" community = coalesce(community, nullif(?4, '')) WHERE id = ?1";
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, incident_id);
	sqlite3_bind_int64(s, 2, d->received_at);
	store_bind_text(s, 3, d->category);
	store_bind_text(s, 4, d->community);
	rc = store_step_done(st, s, "growing an incident", err);
	if (!rc && sqlite3_changes(st->db) != 1)
		rc = sq_fail(err, SQ_ENOTFOUND, "incident %lld not found", (long long)incident_id);
	return rc;
}

sq_err store_incident_recount(struct sq_store *st, int64_t incident_id, struct sq_error *err)
{
	return incident_refresh(st, incident_id, err);
}

sq_err store_incident_add(struct sq_store *st, int64_t incident_id, int64_t complaint_id,
			  struct sq_error *err)
{
	/* The common case, a new complaint joining: no need to read the
	 * members again. */
	static const char sql_join[] =
		"UPDATE incidents SET opened_at = min(opened_at, c.received_at),"
		" last_at = max(last_at, c.received_at), size = size + 1,"
		" category = coalesce(incidents.category, c.category),"
		" community = coalesce(incidents.community, nullif(c.community, ''))"
		" FROM complaints c WHERE c.id = ?1 AND incidents.id = ?2";
	int64_t old;
	sq_err rc;

	rc = set_incident(st, complaint_id, incident_id, &old, err);
	if (rc || old == incident_id)
		return rc;
	if (!old)
		return exec_id(st, sql_join, complaint_id, incident_id, "growing an incident", err);
	rc = incident_refresh(st, old, err);
	if (!rc)
		rc = incident_refresh(st, incident_id, err);
	return rc;
}

sq_err store_incident_merge(struct sq_store *st, int64_t keep, int64_t gone,
			    struct sq_error *err)
{
	static const char sql_move[] = "UPDATE complaints SET incident_id = ?1 WHERE incident_id = ?2";
	/* A separation from `gone` now means one from `keep`. */
	static const char sql_apart_move[] =
		"UPDATE OR IGNORE dedup_apart SET incident_id = ?1 WHERE incident_id = ?2";
	static const char sql_apart_drop[] = "DELETE FROM dedup_apart WHERE incident_id = ?1";
	sq_err rc;

	if (keep == gone)
		return SQ_OK;
	rc = exec_id(st, sql_move, keep, gone, "merging incidents", err);
	if (!rc)
		rc = exec_id(st, sql_apart_move, keep, gone, "merging incidents", err);
	if (!rc)
		rc = exec_id(st, sql_apart_drop, gone, 0, "merging incidents", err);
	if (!rc)
		rc = incident_refresh(st, gone, err);
	if (!rc)
		rc = incident_refresh(st, keep, err);
	return rc;
}

sq_err store_link_set(struct sq_store *st, int64_t complaint_id, const char *method,
		      int64_t matched_id, double score, const char *comparisons, int64_t now,
		      struct sq_error *err)
{
	static const char sql[] =
		"INSERT INTO dedup_links (complaint_id, method, matched_id, score,"
		" comparisons, linked_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)"
		" ON CONFLICT (complaint_id) DO UPDATE SET method = excluded.method,"
		" matched_id = excluded.matched_id, score = excluded.score,"
		" comparisons = excluded.comparisons, linked_at = excluded.linked_at";
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, complaint_id);
	store_bind_text(s, 2, method);
	if (matched_id) {
		sqlite3_bind_int64(s, 3, matched_id);
		sqlite3_bind_double(s, 4, score);
	}
	store_bind_text(s, 5, comparisons);
	sqlite3_bind_int64(s, 6, now);
	return store_step_done(st, s, "recording a link", err);
}

sq_err store_decision_add(struct sq_store *st, const char *kind, int64_t complaint_id,
			  int64_t incident_id, int64_t other_id, int64_t now, const char *note,
			  struct sq_error *err)
{
	static const char sql[] =
		"INSERT INTO dedup_decisions (kind, complaint_id, incident_id, other_id, decided_at,"
		" note) VALUES (?1, ?2, ?3, ?4, ?5, ?6)";
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	store_bind_text(s, 1, kind);
	if (complaint_id)
		sqlite3_bind_int64(s, 2, complaint_id);
	sqlite3_bind_int64(s, 3, incident_id);
	if (other_id)
		sqlite3_bind_int64(s, 4, other_id);
	sqlite3_bind_int64(s, 5, now);
	store_bind_text(s, 6, note);
	return store_step_done(st, s, "recording a decision", err);
}

sq_err store_apart_add(struct sq_store *st, int64_t complaint_id, int64_t incident_id,
		       struct sq_error *err)
{
	static const char sql[] =
		"INSERT OR IGNORE INTO dedup_apart (complaint_id, incident_id) VALUES (?1, ?2)";

	return exec_id(st, sql, complaint_id, incident_id, "recording a separation", err);
}

sq_err store_apart_check(struct sq_store *st, int64_t a, int64_t b, int *apart,
			 struct sq_error *err)
{
	static const char sql[] =
		"SELECT 1 FROM dedup_apart p JOIN complaints c ON c.id = p.complaint_id"
		" WHERE (p.incident_id = ?2 AND c.incident_id = ?1)"
		"    OR (p.incident_id = ?1 AND c.incident_id = ?2) LIMIT 1";
	sqlite3_stmt *s;
	int step;
	sq_err rc;

	*apart = 0;
	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, a);
	sqlite3_bind_int64(s, 2, b);
	step = sqlite3_step(s);
	sqlite3_reset(s);
	if (step == SQLITE_ROW)
		*apart = 1;
	else if (step != SQLITE_DONE)
		return store_db_error(st, "checking separations", err);
	return SQ_OK;
}

sq_err store_apart_clear(struct sq_store *st, int64_t a, int64_t b, struct sq_error *err)
{
	static const char sql[] =
		"DELETE FROM dedup_apart WHERE rowid IN (SELECT p.rowid FROM dedup_apart p"
		" JOIN complaints c ON c.id = p.complaint_id"
		" WHERE (p.incident_id = ?2 AND c.incident_id = ?1)"
		"    OR (p.incident_id = ?1 AND c.incident_id = ?2))";

	return exec_id(st, sql, a, b, "clearing separations", err);
}

/* ---- reading ------------------------------------------------------------- */

void store_incident_release(struct store_incident *inc)
{
	free(inc->category);
	free(inc->community);
	memset(inc, 0, sizeof(*inc));
}

sq_err store_incident_get(struct sq_store *st, int64_t id, struct store_incident *inc,
			  int *found, struct sq_error *err)
{
	static const char sql[] =
		"SELECT id, opened_at, last_at, size, created_at, category, community"
		" FROM incidents WHERE id = ?1";
	sqlite3_stmt *s;
	int step, oom = 0;
	sq_err rc;

	memset(inc, 0, sizeof(*inc));
	*found = 0;
	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		*found = 1;
		inc->id = sqlite3_column_int64(s, 0);
		inc->opened_at = sqlite3_column_int64(s, 1);
		inc->last_at = sqlite3_column_int64(s, 2);
		inc->size = sqlite3_column_int64(s, 3);
		inc->created_at = sqlite3_column_int64(s, 4);
		inc->category = store_col_text(s, 5, &oom);
		inc->community = store_col_text(s, 6, &oom);
	}
	sqlite3_reset(s);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return store_db_error(st, "reading an incident", err);
	if (oom) {
		store_incident_release(inc);
		return sq_fail(err, SQ_ENOMEM, "out of memory reading an incident");
	}
	return SQ_OK;
}

sq_err store_complaint_find(struct sq_store *st, const char *source, const char *source_id,
			    int64_t *id, struct sq_error *err)
{
	static const char sql[] = "SELECT id FROM complaints WHERE source = ?1 AND source_id = ?2";
	sqlite3_stmt *s;
	int step;
	sq_err rc;

	*id = 0;
	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	store_bind_text(s, 1, source);
	store_bind_text(s, 2, source_id);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW)
		*id = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return store_db_error(st, "looking up a complaint", err);
	return SQ_OK;
}

sq_err store_complaint_source(struct sq_store *st, int64_t id, char **source,
			      char **source_id, struct sq_error *err)
{
	static const char sql[] = "SELECT source, source_id FROM complaints WHERE id = ?1";
	sqlite3_stmt *s;
	int step, oom = 0;
	sq_err rc;

	*source = *source_id = NULL;
	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		*source = store_col_text(s, 0, &oom);
		*source_id = store_col_text(s, 1, &oom);
	}
	sqlite3_reset(s);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return store_db_error(st, "looking up a complaint", err);
	if (oom) {
		free(*source);
		free(*source_id);
		*source = *source_id = NULL;
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	}
	return SQ_OK;
}

/*
 * Flags come from the early-warning module, which may not exist in this
 * database: its flag_members table is used when present, keyed by
 * complaint or, failing that, by incident.
 */
enum flag_key { FLAGS_NONE = 0, FLAGS_BY_COMPLAINT, FLAGS_BY_INCIDENT };

static sq_err flag_key_kind(struct sq_store *st, enum flag_key *kind, struct sq_error *err)
{
	static const char sql[] =
		"SELECT name FROM pragma_table_info('flag_members')"
		" WHERE name IN ('flag_id', 'complaint_id', 'incident_id')";
	int has_flag = 0, has_complaint = 0, has_incident = 0, step;
	sqlite3_stmt *s;
	sq_err rc;

	*kind = FLAGS_NONE;
	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *n = col_str(s, 0);

		has_flag |= !strcmp(n, "flag_id");
		has_complaint |= !strcmp(n, "complaint_id");
		has_incident |= !strcmp(n, "incident_id");
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE)
		return store_db_error(st, "looking for flags", err);
	if (has_flag && has_complaint)
		*kind = FLAGS_BY_COMPLAINT;
	else if (has_flag && has_incident)
		*kind = FLAGS_BY_INCIDENT;
	return SQ_OK;
}

static sq_err load_flags(struct sq_store *st, enum flag_key kind, int64_t complaint_id,
			 int64_t incident_id, struct store_ids *flags, struct sq_error *err)
{
	/* Not prepared unless the table exists; the statement cache keys on
	 * these pointers. */
	static const char sql_complaint[] =
		"SELECT DISTINCT flag_id FROM flag_members WHERE complaint_id = ?1 ORDER BY flag_id";
	static const char sql_incident[] =
		"SELECT DISTINCT flag_id FROM flag_members WHERE incident_id = ?1 ORDER BY flag_id";
	sqlite3_stmt *s;
	sq_err rc;

	flags->n = 0;
	if (kind == FLAGS_NONE || (kind == FLAGS_BY_INCIDENT && !incident_id))
		return SQ_OK;
	rc = store_stmt(st, kind == FLAGS_BY_COMPLAINT ? sql_complaint : sql_incident, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, kind == FLAGS_BY_COMPLAINT ? complaint_id : incident_id);
	return collect_ids(st, s, flags, "reading flags", err);
}

#define COMPLAINT_COLUMNS \
	"SELECT c.id, c.incident_id, c.source, c.source_type, c.source_id, c.received_at," \
	" c.updated_at, c.first_seen_at, c.deadline, c.resolved_at, c.kind, c.channel," \
	" c.title, c.text, c.category, c.category_raw, c.street, c.community, c.grid," \
	" c.address, c.lat, c.lon, c.contact_masked, c.status, c.status_raw, c.satisfaction," \
	" c.handler, l.method, l.matched_id, l.linked_at, l.score, l.comparisons" \
	" FROM complaints c LEFT JOIN dedup_links l ON l.complaint_id = c.id"

static void fill_row(sqlite3_stmt *s, struct store_complaint_row *r)
{
	memset(r, 0, sizeof(*r));
	r->id = sqlite3_column_int64(s, 0);
	r->incident_id = col_time(s, 1);
	r->source = col_str(s, 2);
	r->source_type = col_str(s, 3);
	r->source_id = col_str(s, 4);
	r->received_at = col_time(s, 5);
	r->updated_at = col_time(s, 6);
	r->first_seen_at = col_time(s, 7);
	r->deadline = col_time(s, 8);
	r->resolved_at = col_time(s, 9);
	r->kind = col_str(s, 10);
	r->channel = col_str(s, 11);
	r->title = col_str(s, 12);
	r->text = col_str(s, 13);
	r->category = col_str(s, 14);
	r->category_raw = col_str(s, 15);
	r->street = col_str(s, 16);
	r->community = col_str(s, 17);
	r->grid = col_str(s, 18);
	r->address = col_str(s, 19);
	if (sqlite3_column_type(s, 20) != SQLITE_NULL && sqlite3_column_type(s, 21) != SQLITE_NULL) {
		r->has_pos = 1;
		r->lat = sqlite3_column_double(s, 20);
		r->lon = sqlite3_column_double(s, 21);
	}
	r->contact_masked = col_str(s, 22);
	r->status = col_str(s, 23);
	r->status_raw = col_str(s, 24);
	r->satisfaction = col_str(s, 25);
	r->handler = col_str(s, 26);
	r->link_method = col_str(s, 27);
	r->link_matched = col_time(s, 28);
	r->linked_at = col_time(s, 29);
	if (sqlite3_column_type(s, 30) != SQLITE_NULL) {
		r->has_score = 1;
		r->link_score = sqlite3_column_double(s, 30);
	}
	r->link_comparisons = col_str(s, 31);
}

struct complaint_walk {
	sq_err (*cb)(void *ctx, const struct store_complaint_row *row);
	void *ctx;
	struct sq_store *st;
	enum flag_key flags_by;
	struct store_ids flags;
	struct sq_error *err;
};

static sq_err complaint_row(sqlite3_stmt *s, void *ctx)
{
	struct complaint_walk *w = ctx;
	struct store_complaint_row row;
	sq_err rc;

	fill_row(s, &row);
	/* a second statement, stepped while this walk is open */
	rc = load_flags(w->st, w->flags_by, row.id, row.incident_id, &w->flags, w->err);
	if (rc)
		return rc;
	row.flags = w->flags.v;
	row.nflags = w->flags.n;
	return w->cb(w->ctx, &row);
}

sq_err store_complaint_each(struct sq_store *st, const struct store_complaint_filter *filter,
			    sq_err (*cb)(void *ctx, const struct store_complaint_row *row),
			    void *ctx, struct sq_error *err)
{
	static const char sql_id[] = COMPLAINT_COLUMNS " WHERE c.id = ?1";
	static const char sql_incident[] =
		COMPLAINT_COLUMNS " WHERE c.incident_id = ?1 ORDER BY c.received_at, c.id";
	static const char sql_since[] =
		COMPLAINT_COLUMNS " WHERE c.received_at >= ?1 ORDER BY c.received_at, c.id";
	struct complaint_walk w = { cb, ctx, st, FLAGS_NONE, { 0 }, err };
	sqlite3_stmt *s;
	const char *sql;
	int64_t arg;
	sq_err rc;

	if (filter->id) {
		sql = sql_id;
		arg = filter->id;
	} else if (filter->incident_id) {
		sql = sql_incident;
		arg = filter->incident_id;
	} else {
		sql = sql_since;
		arg = filter->since;
	}
	rc = flag_key_kind(st, &w.flags_by, err);
	if (rc)
		return rc;
	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, arg);
	rc = walk(st, s, complaint_row, &w, "reading complaints", err);
	store_ids_release(&w.flags);
	return rc;
}

struct history_walk {
	sq_err (*cb)(void *ctx, const struct store_history_row *row);
	void *ctx;
};

static sq_err history_row(sqlite3_stmt *s, void *ctx)
{
	struct history_walk *w = ctx;
	struct store_history_row row;

	row.replaced_at = col_time(s, 0);
	row.updated_at = col_time(s, 1);
	row.deadline = col_time(s, 2);
	row.status = col_str(s, 3);
	row.status_raw = col_str(s, 4);
	row.title = col_str(s, 5);
	row.text = col_str(s, 6);
	row.category = col_str(s, 7);
	row.community = col_str(s, 8);
	row.satisfaction = col_str(s, 9);
	row.handler = col_str(s, 10);
	return w->cb(w->ctx, &row);
}

sq_err store_history_each(struct sq_store *st, int64_t id,
			  sq_err (*cb)(void *ctx, const struct store_history_row *row), void *ctx,
			  struct sq_error *err)
{
	static const char sql[] =
		"SELECT replaced_at, updated_at, deadline, status, status_raw, title, text,"
		" category, community, satisfaction, handler FROM complaint_history"
		" WHERE complaint_id = ?1 ORDER BY updated_at, id";
	struct history_walk w = { cb, ctx };
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	return walk(st, s, history_row, &w, "reading a complaint's history", err);
}

struct decision_walk {
	sq_err (*cb)(void *ctx, const struct store_decision_row *row);
	void *ctx;
};

static sq_err decision_row(sqlite3_stmt *s, void *ctx)
{
	struct decision_walk *w = ctx;
	struct store_decision_row row;

	row.id = sqlite3_column_int64(s, 0);
	row.complaint_id = col_time(s, 1);
	row.incident_id = col_time(s, 2);
	row.other_id = col_time(s, 3);
	row.decided_at = col_time(s, 4);
	row.kind = col_str(s, 5);
	row.note = col_str(s, 6);
	return w->cb(w->ctx, &row);
}

sq_err store_decision_each(struct sq_store *st, int64_t incident_id, int64_t complaint_id,
			   sq_err (*cb)(void *ctx, const struct store_decision_row *row),
			   void *ctx, struct sq_error *err)
{
	static const char sql[] =
		"SELECT id, complaint_id, incident_id, other_id, decided_at, kind, note"
		" FROM dedup_decisions WHERE incident_id = ?1 OR other_id = ?1 OR complaint_id = ?2"
		" ORDER BY id";
	struct decision_walk w = { cb, ctx };
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	/* 0 matches nothing: ids start at 1. */
	sqlite3_bind_int64(s, 1, incident_id);
	sqlite3_bind_int64(s, 2, complaint_id);
	return walk(st, s, decision_row, &w, "reading decisions", err);
}

struct declared_walk {
	sq_err (*cb)(void *ctx, const struct store_declared_row *row);
	void *ctx;
};

static sq_err declared_row(sqlite3_stmt *s, void *ctx)
{
	struct declared_walk *w = ctx;
	struct store_declared_row row;

	row.kind = col_str(s, 0);
	row.target_type = col_str(s, 1);
	row.target_id = col_str(s, 2);
	row.target = col_time(s, 3);
	return w->cb(w->ctx, &row);
}

sq_err store_declared_each(struct sq_store *st, int64_t id,
			   sq_err (*cb)(void *ctx, const struct store_declared_row *row),
			   void *ctx, struct sq_error *err)
{
	static const char sql[] =
		"SELECT l.kind, l.target_type, l.target_id,"
		" (SELECT t.id FROM complaints t WHERE t.source_id = l.target_id"
		"   AND l.target_type IN (t.source_type, t.source) ORDER BY t.id LIMIT 1)"
		" FROM complaint_links l WHERE l.complaint_id = ?1 ORDER BY l.kind, l.target_id";
	struct declared_walk w = { cb, ctx };
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	return walk(st, s, declared_row, &w, "reading declared links", err);
}
