/*
 * Full-text search over complaints_fts (FTS5, trigram tokenizer) with the
 * filters analysts use; substrings too short for trigrams are matched
 * with LIKE.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "store.h"
#include "store_private.h"
#include "banned.h"

/* '%' + s with LIKE's wildcards and the escape character escaped + '%'. */
static sq_err like_pattern(const char *s, struct sq_buf *b)
{
	if (sq_buf_addc(b, '%'))
		return SQ_ENOMEM;
	for (; *s; s++) {
		if ((*s == '%' || *s == '_' || *s == '\\') && sq_buf_addc(b, '\\'))
			return SQ_ENOMEM;
		if (sq_buf_addc(b, *s))
			return SQ_ENOMEM;
	}
	return sq_buf_addc(b, '%');
}

/* The filters of q as SQL on c (complaints). */
static sq_err add_filters(const struct store_search_query *q, struct sq_buf *b)
{
	size_t i;

	for (i = 0; i < q->nlike; i++)
		if (sq_buf_addf(b, " AND (c.title LIKE :l%zu ESCAPE '\\' OR c.text LIKE :l%zu"
				" ESCAPE '\\' OR c.address LIKE :l%zu ESCAPE '\\')", i, i, i))
			return SQ_ENOMEM;
	if ((q->since && sq_buf_adds(b, " AND c.received_at >= :since")) ||
	    (q->until && sq_buf_adds(b, " AND c.received_at < :until")) ||
	    (q->community && sq_buf_adds(b, " AND c.community = :community")) ||
	    (q->category && sq_buf_adds(b, " AND c.category = :category")) ||
	    (q->source && sq_buf_adds(b, " AND c.source = :source")) ||
	    (q->status && sq_buf_adds(b, " AND c.status = :status")))
		return SQ_ENOMEM;
	return SQ_OK;
}

/*
 * The rowid of the STORE_SEARCH_RANK_MAX-th most recently stored match
 * (filters applied): walking a doclist backwards by rowid is cheap, and
 * stops there.
 */
static sq_err build_threshold_sql(const struct store_search_query *q, struct sq_buf *b)
{
	int filtered = q->nlike || q->since || q->until || q->community || q->category ||
		       q->source || q->status;

	/* Without filters the doclist alone answers: no complaint is read. */
	if (sq_buf_adds(b, "SELECT complaints_fts.rowid FROM complaints_fts") ||
	    (filtered && sq_buf_adds(b, " JOIN complaints c ON c.id = complaints_fts.rowid")) ||
	    sq_buf_adds(b, " WHERE complaints_fts MATCH :match") ||
	    (filtered && add_filters(q, b)) ||
	    sq_buf_adds(b, " ORDER BY complaints_fts.rowid DESC LIMIT 1 OFFSET :offset"))
		return SQ_ENOMEM;
	return SQ_OK;
}

static sq_err build_sql(const struct store_search_query *q, int capped, struct sq_buf *b)
{
	if (q->match) {
		if (sq_buf_adds(b,
				"SELECT c.id, c.received_at, c.source, c.source_id, c.community,"
				" c.category, c.status, c.title, c.text, c.address,"
				" snippet(complaints_fts, -1, :open, :close, '…', 24), rank"
				" FROM complaints_fts JOIN complaints c ON c.id = complaints_fts.rowid"
				" WHERE complaints_fts MATCH :match"))
			return SQ_ENOMEM;
		if (capped && sq_buf_adds(b, " AND complaints_fts.rowid >= :minrow"))
			return SQ_ENOMEM;
	} else if (sq_buf_adds(b,
			       "SELECT c.id, c.received_at, c.source, c.source_id, c.community,"
			       " c.category, c.status, c.title, c.text, c.address, NULL, 0"
			       " FROM complaints c WHERE 1")) {
		return SQ_ENOMEM;
	}
	if (add_filters(q, b))
		return SQ_ENOMEM;
	/* Without a MATCH there is no relevance: the newest come first, and the
	 * received_at index lets a common substring stop after `limit` rows. */
	if (sq_buf_adds(b, q->match ? " ORDER BY rank LIMIT :limit"
				    : " ORDER BY c.received_at DESC, c.id DESC LIMIT :limit"))
		return SQ_ENOMEM;
	return SQ_OK;
}

static void bind(sqlite3_stmt *s, const char *name, const char *text, int64_t v, int is_int)
{
	int i = sqlite3_bind_parameter_index(s, name);

	if (!i)
		return;
	if (is_int)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_text(s, i, text, -1, SQLITE_TRANSIENT);
}

static sq_err bind_query(sqlite3_stmt *s, const struct store_search_query *q)
{
	struct sq_buf pat = SQ_BUF_INIT;
	char name[32];
	size_t i;

	bind(s, ":match", q->match, 0, 0);
	bind(s, ":open", q->hl_open ? q->hl_open : "[", 0, 0);
	bind(s, ":close", q->hl_close ? q->hl_close : "]", 0, 0);
	bind(s, ":since", NULL, q->since, 1);
	bind(s, ":until", NULL, q->until, 1);
	bind(s, ":community", q->community, 0, 0);
	bind(s, ":category", q->category, 0, 0);
	bind(s, ":source", q->source, 0, 0);
	bind(s, ":status", q->status, 0, 0);
	bind(s, ":limit", NULL, q->limit ? (int64_t)q->limit : -1, 1);
	for (i = 0; i < q->nlike; i++) {
		sq_buf_reset(&pat);
		if (like_pattern(q->like[i], &pat)) {
			sq_buf_release(&pat);
			return SQ_ENOMEM;
		}
		snprintf(name, sizeof(name), ":l%zu", i);
		bind(s, name, pat.data, 0, 0);
	}
	sq_buf_release(&pat);
	return SQ_OK;
}

static const char *col(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

/* Prepare sql and bind q; *s NULL on failure (err filled). */
static sq_err prepare_query(struct sq_store *st, const struct store_search_query *q,
			    const struct sq_buf *sql, sqlite3_stmt **s, struct sq_error *err)
{
	*s = NULL;
	if (sqlite3_prepare_v2(st->db, sql->data, (int)sql->len, s, NULL) != SQLITE_OK)
		return store_db_error(st, "preparing the search", err);
	if (bind_query(*s, q)) {
		sqlite3_finalize(*s);
		*s = NULL;
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	}
	return SQ_OK;
}

/* *minrow: the rank window's lowest rowid, 0 when every match fits in it. */
static sq_err rank_window(struct sq_store *st, const struct store_search_query *q,
			  int64_t *minrow, struct sq_error *err)
{
	struct sq_buf sql = SQ_BUF_INIT;
	sqlite3_stmt *s;
	sq_err rc;
	int step;

	*minrow = 0;
	if (build_threshold_sql(q, &sql)) {
		sq_buf_release(&sql);
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	}
	rc = prepare_query(st, q, &sql, &s, err);
	sq_buf_release(&sql);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, sqlite3_bind_parameter_index(s, ":offset"),
			   STORE_SEARCH_RANK_MAX - 1);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW)
		*minrow = sqlite3_column_int64(s, 0);
	else if (step != SQLITE_DONE)
		rc = store_db_error(st, "searching", err);
	sqlite3_finalize(s);
	return rc;
}

sq_err store_search(struct sq_store *st, const struct store_search_query *q,
		    int (*cb)(void *ctx, const struct store_search_hit *hit), void *ctx,
		    int *capped, struct sq_error *err)
{
	struct sq_buf sql = SQ_BUF_INIT;
	sqlite3_stmt *s = NULL;
	int64_t minrow = 0;
	int step, stop = 0;
	sq_err rc = SQ_OK;

	*capped = 0;
	if (!q->match && !q->nlike)
		return sq_fail(err, SQ_EUSAGE, "nothing to search for");
	if (q->match) {
		rc = rank_window(st, q, &minrow, err);
		if (rc)
			return rc;
		*capped = minrow > 0;
	}
	if (build_sql(q, *capped, &sql)) {
		sq_buf_release(&sql);
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	}
	rc = prepare_query(st, q, &sql, &s, err);
	sq_buf_release(&sql);
	if (rc)
		return rc;
	if (*capped)
		sqlite3_bind_int64(s, sqlite3_bind_parameter_index(s, ":minrow"), minrow);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_search_hit h = {
			.id = sqlite3_column_int64(s, 0),
			.received_at = sqlite3_column_int64(s, 1),
			.source = col(s, 2),
			.source_id = col(s, 3),
			.community = col(s, 4),
			.category = col(s, 5),
			.status = col(s, 6),
			.title = col(s, 7),
			.text = col(s, 8),
			.address = col(s, 9),
			.snippet = col(s, 10),
			.rank = sqlite3_column_double(s, 11),
		};

		stop = cb(ctx, &h);
		if (stop)
			break;
	}
	if (stop)
		rc = (sq_err)stop;
	else if (step != SQLITE_DONE)
		rc = store_db_error(st, "searching", err);
	sqlite3_finalize(s);
	return rc;
}
