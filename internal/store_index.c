/*
 * The linkage index's horizon (store.h, "linkage index horizon"): the
 * blocking keys and band hashes of complaints received long before the
 * newest one can never be a candidate for new traffic, so they are removed
 * a slice at a time, and the index stays the size of the window instead of
 * growing with the store.
 */
#include <stdlib.h>
#include <string.h>

#include "store.h"
#include "store_private.h"
#include "banned.h"

/* dedup_stats row: complaints received before this have no keys left. */
#define PRUNED_BEFORE "index_pruned_before"

sq_err store_dedup_horizon(struct sq_store *st, int64_t *newest, int64_t *pruned_before,
			   struct sq_error *err)
{
	static const char sql_newest[] = "SELECT coalesce(max(received_at), 0) FROM complaints";
	static const char sql_pruned[] =
		"SELECT value FROM dedup_stats WHERE name = '" PRUNED_BEFORE "'";
	sq_err rc;

	rc = store_query_int(st, sql_newest, 0, 0, 0, newest, "finding the newest complaint", err);
	if (!rc)
		rc = store_query_int(st, sql_pruned, 0, 0, 0, pruned_before,
				     "reading the index horizon", err);
	return rc;
}

/* Delete the rows of sql for complaints received in [from, before), limit of them. */
static sq_err prune_rows(struct sq_store *st, const char *sql, int64_t from, int64_t before,
			 int limit, struct sq_error *err)
{
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, from);
	sqlite3_bind_int64(s, 2, before);
	sqlite3_bind_int(s, 3, limit);
	return store_step_done(st, s, "pruning the linkage index", err);
}

sq_err store_dedup_prune(struct sq_store *st, int64_t from, int64_t before, int limit,
			 int64_t *reached, struct sq_error *err)
{
	/* The slice: the first `limit` complaints received from `from` on. */
#define SLICE "SELECT id FROM complaints WHERE received_at >= ?1 AND received_at < ?2" \
	      " ORDER BY received_at LIMIT ?3"
	static const char sql_keys[] = "DELETE FROM dedup_keys WHERE complaint_id IN (" SLICE ")";
	static const char sql_bands[] = "DELETE FROM dedup_bands WHERE complaint_id IN (" SLICE ")";
	static const char sql_last[] =
		"SELECT count(*), coalesce(max(received_at), 0) FROM (SELECT received_at"
		" FROM complaints WHERE received_at >= ?1 AND received_at < ?2"
		" ORDER BY received_at LIMIT ?3)";
	static const char sql_set[] =
		"INSERT INTO dedup_stats (name, value) VALUES ('" PRUNED_BEFORE "', ?1)"
		" ON CONFLICT (name) DO UPDATE SET value = max(value, ?1)";
#undef SLICE
	sqlite3_stmt *s;
	int64_t n = 0, last = 0;
	int step;
	sq_err rc;

	*reached = from;
	rc = store_stmt(st, sql_last, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, from);
	sqlite3_bind_int64(s, 2, before);
	sqlite3_bind_int(s, 3, limit);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		n = sqlite3_column_int64(s, 0);
		last = sqlite3_column_int64(s, 1);
	}
	sqlite3_reset(s);
	if (step != SQLITE_ROW)
		return store_db_error(st, "pruning the linkage index", err);
	rc = prune_rows(st, sql_keys, from, before, limit, err);
	if (!rc)
		rc = prune_rows(st, sql_bands, from, before, limit, err);
	if (rc)
		return rc;
	/* A full slice may have stopped inside one second: start there again
	 * (deleting nothing twice costs a look-up), unless the whole slice was
	 * that second (then a few may keep their keys); a short one reached
	 * `before`. */
	*reached = n < limit ? before : last > from ? last : from + 1;
	rc = store_stmt(st, sql_set, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, *reached);
	return store_step_done(st, s, "recording the index horizon", err);
}
