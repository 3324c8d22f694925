/*
 * The digest's queries: grouped figures, the complaints behind a figure,
 * overdue items, new incidents, flags, quarantine, sources.
 *
 * The figures' definitions are the SQL fragments below, used both inside
 * SUM() by store_digest_groups and in the WHERE clause by
 * store_digest_ids, so a count and its --explain list cannot disagree.
 * Their parameters are named (:since, :until, ...) because the statements
 * are assembled from pieces.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "store.h"
#include "store_private.h"
#include "banned.h"

/* ---- the definitions --------------------------------------------------- */

#define IN_PERIOD "(received_at >= :since AND received_at < :until)"
#define IS_REGISTERED "(status <> 'void')"
#define IS_RESOLVED \
	"(" IS_REGISTERED " AND status IN ('resolved', 'closed') AND resolved_at < :until)"
#define IS_DUE \
	"(" IS_REGISTERED " AND deadline IS NOT NULL AND (" IS_RESOLVED " OR deadline < :until))"
#define IS_ON_TIME "(" IS_RESOLVED " AND deadline IS NOT NULL AND resolved_at <= deadline)"
#define IS_RATED "(" IS_REGISTERED " AND satisfaction IS NOT NULL)"
#define IS_DISPUTE "(" IS_REGISTERED " AND kind IN ('complaint', 'report'))"
/* ENTERPRISE_LIST is replaced by ":e0, :e1, ..." (or NULL when the list is empty). */
#define IS_ENTERPRISE "(" IS_REGISTERED " AND category IN (ENTERPRISE_LIST))"

static const char *const figure_sql[STORE_FIG_LAST] = {
	[STORE_FIG_COMPLAINTS] = "1",
	[STORE_FIG_REGISTERED] = IS_REGISTERED,
	[STORE_FIG_RESOLVED] = IS_RESOLVED,
	[STORE_FIG_DUE] = IS_DUE,
	[STORE_FIG_ON_TIME] = IS_ON_TIME,
	[STORE_FIG_RATED] = IS_RATED,
	[STORE_FIG_SATISFIED_ANY] =
		"(" IS_RATED " AND satisfaction IN ('satisfied', 'basically_satisfied'))",
	[STORE_FIG_DISPUTES] = IS_DISPUTE,
	[STORE_FIG_DISPUTES_RESOLVED] = "(" IS_DISPUTE " AND " IS_RESOLVED ")",
	[STORE_FIG_ENTERPRISE] = IS_ENTERPRISE,
	[STORE_FIG_ENTERPRISE_RESOLVED] = "(" IS_ENTERPRISE " AND " IS_RESOLVED ")",
};

/* What each group selects as key and key2 (SQL NULL when it has none). */
static const struct {
	const char *key, *key2, *where;
} group_sql[STORE_GROUP_LAST] = {
	[STORE_GROUP_ALL] = { "NULL", "NULL", NULL },
	[STORE_GROUP_SOURCE] = { "source", "NULL", NULL },
	[STORE_GROUP_SOURCE_CHANNEL] = { "source", "channel", NULL },
	[STORE_GROUP_CHANNEL] = { "channel", "NULL", NULL },
	[STORE_GROUP_CATEGORY] = { "category", "NULL", NULL },
	[STORE_GROUP_COMMUNITY] = { "community", "NULL", NULL },
	[STORE_GROUP_DAY] = { "date(received_at + :tz, 'unixepoch')", "NULL", NULL },
	[STORE_GROUP_DAY_SOURCE] = { "date(received_at + :tz, 'unixepoch')", "source", NULL },
	[STORE_GROUP_COMMUNITY_CATEGORY] = { "community", "category", NULL },
	[STORE_GROUP_UNMAPPED] = { "source", "category_raw", "category IS NULL" },
};

/* ---- helpers ------------------------------------------------------------ */

static sq_err oom(struct sq_error *err)
{
	return sq_fail(err, SQ_ENOMEM, "out of memory");
}

/* Append fragment with ENTERPRISE_LIST expanded for n categories. */
static sq_err add_fragment(struct sq_buf *b, const char *frag, size_t n)
{
	static const char marker[] = "ENTERPRISE_LIST";
	const char *p;
	size_t i;

	while ((p = strstr(frag, marker))) {
		if (sq_buf_add(b, frag, (size_t)(p - frag)))
			return SQ_ENOMEM;
		if (!n && sq_buf_adds(b, "NULL"))
			return SQ_ENOMEM;
		for (i = 0; i < n; i++)
			if (sq_buf_addf(b, "%s:e%zu", i ? ", " : "", i))
				return SQ_ENOMEM;
		frag = p + sizeof(marker) - 1;
	}
	return sq_buf_adds(b, frag);
}

static void bind_named_int(sqlite3_stmt *s, const char *name, int64_t v)
{
	int i = sqlite3_bind_parameter_index(s, name);

	if (i)
		sqlite3_bind_int64(s, i, v);
}

static void bind_named_text(sqlite3_stmt *s, const char *name, const char *v)
{
	int i = sqlite3_bind_parameter_index(s, name);

	if (i)
		store_bind_text(s, i, v);
}

static void bind_span(sqlite3_stmt *s, const struct store_span *span)
{
	char name[32];
	size_t i;

	bind_named_int(s, ":since", span->since);
	bind_named_int(s, ":until", span->until);
	bind_named_int(s, ":prev", span->prev_since);
	bind_named_int(s, ":now", span->now);
	bind_named_int(s, ":tz", span->tz_offset_s);
	for (i = 0; i < span->nenterprise; i++) {
		snprintf(name, sizeof(name), ":e%zu", i);
		bind_named_text(s, name, span->enterprise[i]);
	}
}

static sq_err prepare(struct sq_store *st, const struct sq_buf *sql, sqlite3_stmt **s,
		      struct sq_error *err)
{
	if (sqlite3_prepare_v2(st->db, sql->data, (int)sql->len, s, NULL) != SQLITE_OK)
		return store_db_error(st, "preparing a digest query", err);
	return SQ_OK;
}

/* 1 when table has a column named column (0 when either is missing). */
static sq_err has_column(struct sq_store *st, const char *table, const char *column, int *yes,
			 struct sq_error *err)
{
	static const char sql[] =
		"SELECT count(*) FROM pragma_table_info(?1) WHERE name = ?2";
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	store_bind_text(s, 1, table);
	store_bind_text(s, 2, column);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return store_db_error(st, "reading the schema", err);
	}
	*yes = sqlite3_column_int(s, 0) > 0;
	sqlite3_reset(s);
	return SQ_OK;
}

static int grow(void **v, size_t *cap, size_t n, size_t size)
{
	void *p;
	size_t c;

	if (n < *cap)
		return 0;
	c = *cap ? *cap * 2 : 16;
	p = realloc(*v, c * size);
	if (!p)
		return -1;
	*v = p;
	*cap = c;
	return 0;
}

/* ---- grouped figures ---------------------------------------------------- */

void store_group_rows_release(struct store_group_rows *rows)
{
	size_t i;

	for (i = 0; i < rows->n; i++) {
		free(rows->v[i].key);
		free(rows->v[i].key2);
	}
	free(rows->v);
	rows->v = NULL;
	rows->n = 0;
}

/* SUM(CASE WHEN <in period> AND <figure> ...) for one column. */
static sq_err add_sum(struct sq_buf *b, enum store_figure fig, size_t nent)
{
	if (sq_buf_adds(b, ", sum(CASE WHEN " IN_PERIOD " AND ") ||
	    add_fragment(b, figure_sql[fig], nent) || sq_buf_adds(b, " THEN 1 ELSE 0 END)"))
		return SQ_ENOMEM;
	return SQ_OK;
}

static sq_err group_sql_text(struct sq_store *st, const struct store_span *span,
			     enum store_group group, unsigned sums, struct sq_buf *b,
			     struct sq_error *err)
{
	static const enum store_figure res_figs[] = {
		STORE_FIG_REGISTERED, STORE_FIG_RESOLVED, STORE_FIG_DUE, STORE_FIG_ON_TIME,
		STORE_FIG_RATED,
	};
	static const char *const sat_words[] = { "satisfied", "basically_satisfied", "dissatisfied" };
	static const enum store_figure more_figs[] = {
		STORE_FIG_DISPUTES, STORE_FIG_DISPUTES_RESOLVED, STORE_FIG_ENTERPRISE,
		STORE_FIG_ENTERPRISE_RESOLVED,
	};
	size_t i, ne = span->nenterprise;
	int linked = 0;
	sq_err rc;

	rc = has_column(st, "complaints", "incident_id", &linked, err);
	if (rc)
		return rc;
	if (sq_buf_addf(b, "SELECT %s AS k1, %s AS k2, sum(" IN_PERIOD ") AS n,"
			" sum(received_at >= :prev AND received_at < :since),",
			group_sql[group].key, group_sql[group].key2))
		return oom(err);
	/* Before dedup has linked anything (or on a schema without incidents)
	 * each complaint is an incident of its own. */
	if (sq_buf_adds(b, linked ? " count(DISTINCT CASE WHEN " IN_PERIOD
				    " THEN coalesce(incident_id, -id) END)"
				  : " sum(" IN_PERIOD ")"))
		return oom(err);
	if (sums & STORE_SUM_RESOLUTION) {
		for (i = 0; i < sizeof(res_figs) / sizeof(res_figs[0]); i++)
			if (add_sum(b, res_figs[i], ne))
				return oom(err);
		for (i = 0; i < 3; i++)
			if (sq_buf_addf(b, ", sum(CASE WHEN " IN_PERIOD " AND " IS_RATED
					" AND satisfaction = '%s' THEN 1 ELSE 0 END)", sat_words[i]))
				return oom(err);
		for (i = 0; i < sizeof(more_figs) / sizeof(more_figs[0]); i++)
			if (add_sum(b, more_figs[i], ne))
				return oom(err);
	}
	if (sq_buf_adds(b, " FROM complaints WHERE received_at >= min(:prev, :since)"
			" AND received_at < :until"))
		return oom(err);
	if (group_sql[group].where && sq_buf_addf(b, " AND %s", group_sql[group].where))
		return oom(err);
	if (group != STORE_GROUP_ALL &&
	    sq_buf_adds(b, " GROUP BY k1, k2 ORDER BY n DESC, k1 IS NULL, k1, k2 IS NULL, k2"))
		return oom(err);
	return SQ_OK;
}

static char *col_dup(sqlite3_stmt *s, int i, int *failed)
{
	return store_col_text(s, i, failed);
}

sq_err store_digest_groups(struct sq_store *st, const struct store_span *span,
			   enum store_group group, unsigned sums, struct store_group_rows *rows,
			   struct sq_error *err)
{
	struct sq_buf sql = SQ_BUF_INIT;
	sqlite3_stmt *s = NULL;
	size_t cap = 0;
	int step, failed = 0;
	sq_err rc;

	store_group_rows_release(rows);
	if ((unsigned)group >= STORE_GROUP_LAST)
		return sq_fail(err, SQ_EUSAGE, "no such grouping");
	rc = group_sql_text(st, span, group, sums, &sql, err);
	if (!rc)
		rc = prepare(st, &sql, &s, err);
	sq_buf_release(&sql);
	if (rc)
		return rc;
	bind_span(s, span);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_group_row *r;
		int c = 2;

		/* An empty period still yields the one row of STORE_GROUP_ALL. */
		if (grow((void **)&rows->v, &cap, rows->n, sizeof(*rows->v))) {
			failed = 1;
			break;
		}
		r = &rows->v[rows->n++];
		memset(r, 0, sizeof(*r));
		r->key = col_dup(s, 0, &failed);
		r->key2 = col_dup(s, 1, &failed);
		r->complaints = sqlite3_column_int64(s, c++);
		r->previous = sqlite3_column_int64(s, c++);
		r->incidents = sqlite3_column_int64(s, c++);
		if (sums & STORE_SUM_RESOLUTION) {
			r->registered = sqlite3_column_int64(s, c++);
			r->resolved = sqlite3_column_int64(s, c++);
			r->due = sqlite3_column_int64(s, c++);
			r->on_time = sqlite3_column_int64(s, c++);
			r->rated = sqlite3_column_int64(s, c++);
			r->satisfied = sqlite3_column_int64(s, c++);
			r->basically_satisfied = sqlite3_column_int64(s, c++);
			r->dissatisfied = sqlite3_column_int64(s, c++);
			r->disputes = sqlite3_column_int64(s, c++);
			r->disputes_resolved = sqlite3_column_int64(s, c++);
			r->enterprise = sqlite3_column_int64(s, c++);
			r->enterprise_resolved = sqlite3_column_int64(s, c++);
		}
		if (failed)
			break;
	}
	if (failed)
		rc = oom(err);
	else if (step != SQLITE_DONE && step != SQLITE_ROW)
		rc = store_db_error(st, "computing digest figures", err);
	sqlite3_finalize(s);
	if (rc)
		store_group_rows_release(rows);
	return rc;
}

sq_err store_digest_ids(struct sq_store *st, const struct store_span *span,
			enum store_group group, const char *key, const char *key2,
			enum store_figure figure, int64_t **ids, size_t *n, struct sq_error *err)
{
	struct sq_buf sql = SQ_BUF_INIT;
	sqlite3_stmt *s = NULL;
	size_t cap = 0;
	int step, failed = 0;
	sq_err rc = SQ_OK;

	*ids = NULL;
	*n = 0;
	if ((unsigned)group >= STORE_GROUP_LAST || (unsigned)figure >= STORE_FIG_LAST)
		return sq_fail(err, SQ_EUSAGE, "no such figure");
	if (sq_buf_adds(&sql, "SELECT id FROM complaints WHERE " IN_PERIOD " AND ") ||
	    add_fragment(&sql, figure_sql[figure], span->nenterprise))
		failed = 1;
	if (!failed && group != STORE_GROUP_ALL &&
	    sq_buf_addf(&sql, " AND %s IS :key AND %s IS :key2", group_sql[group].key,
			group_sql[group].key2))
		failed = 1;
	if (!failed && group_sql[group].where &&
	    sq_buf_addf(&sql, " AND %s", group_sql[group].where))
		failed = 1;
	if (!failed && sq_buf_adds(&sql, " ORDER BY id"))
		failed = 1;
	if (failed) {
		sq_buf_release(&sql);
		return oom(err);
	}
	rc = prepare(st, &sql, &s, err);
	sq_buf_release(&sql);
	if (rc)
		return rc;
	bind_span(s, span);
	bind_named_text(s, ":key", key);
	bind_named_text(s, ":key2", key2);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (grow((void **)ids, &cap, *n, sizeof(**ids))) {
			failed = 1;
			break;
		}
		(*ids)[(*n)++] = sqlite3_column_int64(s, 0);
	}
	if (failed)
		rc = oom(err);
	else if (step != SQLITE_DONE)
		rc = store_db_error(st, "listing a figure's complaints", err);
	sqlite3_finalize(s);
	if (rc) {
		free(*ids);
		*ids = NULL;
		*n = 0;
	}
	return rc;
}

/* ---- lists -------------------------------------------------------------- */

void store_items_release(struct store_items *items)
{
	size_t i;

	for (i = 0; i < items->n; i++) {
		struct store_item *it = &items->v[i];

		free(it->source);
		free(it->source_id);
		free(it->category);
		free(it->community);
		free(it->status);
		free(it->title);
	}
	free(items->v);
	items->v = NULL;
	items->n = 0;
}

/* Run a single-value count with :now/:since/:until bound. */
static sq_err count_span(struct sq_store *st, const char *sql, const struct store_span *span,
			 int64_t *n, const char *what, struct sq_error *err)
{
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	bind_span(s, span);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return store_db_error(st, what, err);
	}
	*n = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return SQ_OK;
}

sq_err store_digest_overdue(struct sq_store *st, const struct store_span *span, size_t limit,
			    int64_t *total, struct store_items *items, struct sq_error *err)
{
	/* The partial index complaints_open_deadline answers both. */
	static const char sql_count[] =
		"SELECT count(*) FROM complaints WHERE status IN ('open', 'in_progress')"
		" AND deadline < :now";
	static const char sql_list[] =
		"SELECT id, received_at, deadline, source, source_id, category, community, status,"
		" coalesce(title, substr(text, 1, 40)) FROM complaints WHERE status IN ('open', 'in_progress') AND deadline < :now"
		" ORDER BY deadline, id LIMIT :limit";
	sqlite3_stmt *s;
	size_t cap = 0;
	int step, failed = 0;
	sq_err rc;

	store_items_release(items);
	rc = count_span(st, sql_count, span, total, "counting overdue complaints", err);
	if (rc)
		return rc;
	rc = store_stmt(st, sql_list, &s, err);
	if (rc)
		return rc;
	bind_span(s, span);
	bind_named_int(s, ":limit", (int64_t)limit);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_item *it;

		if (grow((void **)&items->v, &cap, items->n, sizeof(*items->v))) {
			failed = 1;
			break;
		}
		it = &items->v[items->n++];
		memset(it, 0, sizeof(*it));
		it->id = sqlite3_column_int64(s, 0);
		it->received_at = sqlite3_column_int64(s, 1);
		it->deadline = sqlite3_column_int64(s, 2);
		it->source = col_dup(s, 3, &failed);
		it->source_id = col_dup(s, 4, &failed);
		it->category = col_dup(s, 5, &failed);
		it->community = col_dup(s, 6, &failed);
		it->status = col_dup(s, 7, &failed);
		it->title = col_dup(s, 8, &failed);
		if (failed)
			break;
	}
	sqlite3_reset(s);
	if (failed)
		rc = oom(err);
	else if (step != SQLITE_DONE)
		rc = store_db_error(st, "listing overdue complaints", err);
	if (rc)
		store_items_release(items);
	return rc;
}

static sq_err has_table(struct sq_store *st, const char *name, int *yes, struct sq_error *err)
{
	static const char sql[] =
		"SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = ?1";
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	store_bind_text(s, 1, name);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return store_db_error(st, "reading the schema", err);
	}
	*yes = sqlite3_column_int(s, 0) > 0;
	sqlite3_reset(s);
	return SQ_OK;
}

void store_digest_incidents_release(struct store_digest_incidents *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->v[i].category);
		free(l->v[i].community);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

/*
 * Prepared per call, not cached: the incidents and flags tables belong to
 * other schema steps, and a statement naming a missing table cannot be
 * prepared at all.
 */
static sq_err prepare_text(struct sq_store *st, const char *sql, sqlite3_stmt **s,
			   struct sq_error *err)
{
	if (sqlite3_prepare_v2(st->db, sql, -1, s, NULL) != SQLITE_OK)
		return store_db_error(st, "preparing a digest query", err);
	return SQ_OK;
}

sq_err store_digest_new_incidents(struct sq_store *st, const struct store_span *span,
				  size_t limit, int *available, int64_t *total,
				  struct store_digest_incidents *l, struct sq_error *err)
{
	static const char sql_count[] =
		"SELECT count(*) FROM incidents WHERE opened_at >= :since AND opened_at < :until";
	static const char sql_list[] =
		"SELECT id, opened_at, last_at, size, category, community FROM incidents"
		" WHERE opened_at >= :since AND opened_at < :until"
		" ORDER BY size DESC, opened_at, id LIMIT :limit";
	sqlite3_stmt *s = NULL;
	size_t cap = 0;
	int step, failed = 0;
	sq_err rc;

	store_digest_incidents_release(l);
	*total = 0;
	rc = has_table(st, "incidents", available, err);
	if (rc || !*available)
		return rc;
	rc = prepare_text(st, sql_count, &s, err);
	if (rc)
		return rc;
	bind_span(s, span);
	if (sqlite3_step(s) == SQLITE_ROW)
		*total = sqlite3_column_int64(s, 0);
	else
		rc = store_db_error(st, "counting new incidents", err);
	sqlite3_finalize(s);
	s = NULL;
	if (!rc)
		rc = prepare_text(st, sql_list, &s, err);
	if (rc)
		return rc;
	bind_span(s, span);
	bind_named_int(s, ":limit", (int64_t)limit);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_digest_incident *it;

		if (grow((void **)&l->v, &cap, l->n, sizeof(*l->v))) {
			failed = 1;
			break;
		}
		it = &l->v[l->n++];
		memset(it, 0, sizeof(*it));
		it->id = sqlite3_column_int64(s, 0);
		it->opened_at = sqlite3_column_int64(s, 1);
		it->last_at = sqlite3_column_int64(s, 2);
		it->size = sqlite3_column_int64(s, 3);
		it->category = col_dup(s, 4, &failed);
		it->community = col_dup(s, 5, &failed);
		if (failed)
			break;
	}
	if (failed)
		rc = oom(err);
	else if (step != SQLITE_DONE)
		rc = store_db_error(st, "listing new incidents", err);
	sqlite3_finalize(s);
	if (rc)
		store_digest_incidents_release(l);
	return rc;
}

void store_digest_flags_release(struct store_digest_flags *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		struct store_digest_flag *f = &l->v[i];

		free(f->kind);
		free(f->severity);
		free(f->state);
		free(f->summary);
		free(f->category);
		free(f->community);
	}
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

sq_err store_digest_flags(struct sq_store *st, size_t limit, int *available, int64_t *open,
			  int64_t *escalated, struct store_digest_flags *l, struct sq_error *err)
{
	static const char sql_count[] =
		"SELECT count(*), coalesce(sum(revision > 1), 0) FROM flags WHERE state <> 'closed'";
	static const char sql_list[] =
		"SELECT f.id, f.revision, f.opened_at, f.updated_at,"
		" (SELECT count(*) FROM flag_members m WHERE m.flag_id = f.id),"
		" f.kind, f.severity, f.state, f.summary, f.category, f.community"
		" FROM flags f WHERE f.state <> 'closed'"
		" ORDER BY CASE f.severity WHEN 'high' THEN 0 WHEN 'medium' THEN 1 ELSE 2 END,"
		" f.updated_at DESC, f.id DESC LIMIT ?1";
	sqlite3_stmt *s = NULL;
	size_t cap = 0;
	int step, failed = 0;
	sq_err rc;

	store_digest_flags_release(l);
	*open = *escalated = 0;
	rc = has_table(st, "flags", available, err);
	if (rc || !*available)
		return rc;
	rc = has_table(st, "flag_members", available, err);
	if (rc || !*available)
		return rc;
	rc = prepare_text(st, sql_count, &s, err);
	if (rc)
		return rc;
	if (sqlite3_step(s) == SQLITE_ROW) {
		*open = sqlite3_column_int64(s, 0);
		*escalated = sqlite3_column_int64(s, 1);
	} else {
		rc = store_db_error(st, "counting flags", err);
	}
	sqlite3_finalize(s);
	s = NULL;
	if (!rc)
		rc = prepare_text(st, sql_list, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, (int64_t)limit);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_digest_flag *f;

		if (grow((void **)&l->v, &cap, l->n, sizeof(*l->v))) {
			failed = 1;
			break;
		}
		f = &l->v[l->n++];
		memset(f, 0, sizeof(*f));
		f->id = sqlite3_column_int64(s, 0);
		f->revision = sqlite3_column_int64(s, 1);
		f->opened_at = sqlite3_column_int64(s, 2);
		f->updated_at = sqlite3_column_int64(s, 3);
		f->members = sqlite3_column_int64(s, 4);
		f->kind = col_dup(s, 5, &failed);
		f->severity = col_dup(s, 6, &failed);
		f->state = col_dup(s, 7, &failed);
		f->summary = col_dup(s, 8, &failed);
		f->category = col_dup(s, 9, &failed);
		f->community = col_dup(s, 10, &failed);
		if (failed)
			break;
	}
	if (failed)
		rc = oom(err);
	else if (step != SQLITE_DONE)
		rc = store_db_error(st, "listing flags", err);
	sqlite3_finalize(s);
	if (rc)
		store_digest_flags_release(l);
	return rc;
}

sq_err store_digest_quarantine(struct sq_store *st, const struct store_span *span,
			       struct store_group_rows *rows, struct sq_error *err)
{
	static const char sql[] =
		"SELECT source, count(*) FROM quarantine"
		" WHERE quarantined_at >= :since AND quarantined_at < :until"
		" GROUP BY source ORDER BY 2 DESC, 1";
	sqlite3_stmt *s;
	size_t cap = 0;
	int step, failed = 0;
	sq_err rc;

	store_group_rows_release(rows);
	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	bind_span(s, span);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_group_row *r;

		if (grow((void **)&rows->v, &cap, rows->n, sizeof(*rows->v))) {
			failed = 1;
			break;
		}
		r = &rows->v[rows->n++];
		memset(r, 0, sizeof(*r));
		r->key = col_dup(s, 0, &failed);
		r->complaints = sqlite3_column_int64(s, 1);
		if (failed)
			break;
	}
	sqlite3_reset(s);
	if (failed)
		rc = oom(err);
	else if (step != SQLITE_DONE)
		rc = store_db_error(st, "counting quarantined records", err);
	if (rc)
		store_group_rows_release(rows);
	return rc;
}

sq_err store_known_sources(struct sq_store *st, char ***names, size_t *n,
			   struct sq_error *err)
{
	static const char sql[] =
		"SELECT source FROM run_sources UNION SELECT source FROM cursors ORDER BY 1";
	sqlite3_stmt *s;
	size_t cap = 0, i;
	int step, failed = 0;
	sq_err rc;

	*names = NULL;
	*n = 0;
	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		char *name;

		if (grow((void **)names, &cap, *n, sizeof(**names))) {
			failed = 1;
			break;
		}
		name = col_dup(s, 0, &failed);
		if (failed)
			break;
		(*names)[(*n)++] = name;
	}
	sqlite3_reset(s);
	if (failed)
		rc = oom(err);
	else if (step != SQLITE_DONE)
		rc = store_db_error(st, "listing sources", err);
	if (rc) {
		for (i = 0; i < *n; i++)
			free((*names)[i]);
		free(*names);
		*names = NULL;
		*n = 0;
	}
	return rc;
}
