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
#include <stdint.h>
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

/*
 * Grouping without GROUP BY.  A month is some 50 000 complaints, and
 * SQLite's GROUP BY sorts them once per grouping: measured at 1M stored
 * complaints, the sorts were most of a digest's time while reading the
 * period's rows from the covering index took a few milliseconds.  So the
 * period is read once: SQL computes each row's group keys and, from the
 * figures' definitions above, one 0/1 column per figure; C adds them up
 * per group in hash tables, for every grouping the caller asked for.  The
 * definitions stay in SQL, shared with store_digest_ids.
 */

/* The figure columns of a scan, in struct store_group_row's order. */
static const enum store_figure scan_figs[] = {
	STORE_FIG_REGISTERED, STORE_FIG_RESOLVED, STORE_FIG_DUE, STORE_FIG_ON_TIME, STORE_FIG_RATED,
};
static const char *const sat_words[] = { "satisfied", "basically_satisfied", "dissatisfied" };
static const enum store_figure scan_figs2[] = {
	STORE_FIG_DISPUTES, STORE_FIG_DISPUTES_RESOLVED, STORE_FIG_ENTERPRISE,
	STORE_FIG_ENTERPRISE_RESOLVED,
};
#define NFIGS 12

/* One grouping being added up: rows plus a hash table of row index + 1. */
struct agg {
	struct store_grouping *g;
	size_t cap;
	size_t *slot;
	size_t nslot;
	int k1, k2, in;        /* its columns in the scan (in: 0 when every row counts) */
	/* distinct incidents: (row index, incident) pairs seen */
	struct pair { size_t row; int64_t inc; int used; } *seen;
	size_t nseen, seen_cap;
};

static uint64_t hash_bytes(uint64_t h, const unsigned char *p, int n)
{
	int i;

	for (i = 0; i < n; i++)
		h = (h ^ p[i]) * UINT64_C(1099511628211);
	return h;
}

static uint64_t hash_keys(const unsigned char *k1, int n1, const unsigned char *k2, int n2)
{
	uint64_t h = UINT64_C(14695981039346656037);

	/* NULL and "" differ: a marker byte before each key. */
	h = hash_bytes(h, (const unsigned char *)(k1 ? "\1" : "\2"), 1);
	h = hash_bytes(h, k1, n1);
	h = hash_bytes(h, (const unsigned char *)(k2 ? "\1" : "\2"), 1);
	return hash_bytes(h, k2, n2);
}

static int key_eq(const char *stored, const unsigned char *k, int n)
{
	if (!stored || !k)
		return !stored && !k;
	return strlen(stored) == (size_t)n && !memcmp(stored, k, (size_t)n);
}

static int agg_rehash(struct agg *a)
{
	size_t n = a->nslot ? a->nslot * 2 : 64, i, j;
	size_t *slot = calloc(n, sizeof(*slot));

	if (!slot)
		return -1;
	for (i = 0; i < a->g->rows.n; i++) {
		const struct store_group_row *r = &a->g->rows.v[i];
		uint64_t h = hash_keys((const unsigned char *)r->key, r->key ? (int)strlen(r->key) : 0,
				       (const unsigned char *)r->key2,
				       r->key2 ? (int)strlen(r->key2) : 0);

		for (j = (size_t)(h & (n - 1)); slot[j]; j = (j + 1) & (n - 1))
			;
		slot[j] = i + 1;
	}
	free(a->slot);
	a->slot = slot;
	a->nslot = n;
	return 0;
}

/* The row of (k1, k2), created (zeroed) when new; NULL when out of memory. */
static struct store_group_row *agg_row(struct agg *a, const unsigned char *k1, int n1,
				       const unsigned char *k2, int n2, size_t *index)
{
	struct store_group_rows *rows = &a->g->rows;
	struct store_group_row *r;
	uint64_t h;
	size_t j;

	if ((rows->n + 1) * 2 > a->nslot && agg_rehash(a))
		return NULL;
	h = hash_keys(k1, n1, k2, n2);
	for (j = (size_t)(h & (a->nslot - 1)); a->slot[j]; j = (j + 1) & (a->nslot - 1)) {
		r = &rows->v[a->slot[j] - 1];
		if (key_eq(r->key, k1, n1) && key_eq(r->key2, k2, n2)) {
			*index = a->slot[j] - 1;
			return r;
		}
	}
	if (sq_array_reserve((void **)&rows->v, &a->cap, rows->n + 1, sizeof(*rows->v)))
		return NULL;
	r = &rows->v[rows->n];
	memset(r, 0, sizeof(*r));
	if ((k1 && !(r->key = sq_strndup((const char *)k1, (size_t)n1))) ||
	    (k2 && !(r->key2 = sq_strndup((const char *)k2, (size_t)n2)))) {
		free(r->key);
		r->key = NULL;
		return NULL;
	}
	*index = rows->n++;
	a->slot[j] = rows->n;
	return r;
}

/* Count incident inc for row index once; 1 when it was new, -1 out of memory. */
static int agg_incident(struct agg *a, size_t row, int64_t inc)
{
	uint64_t h;
	size_t j;

	if ((a->nseen + 1) * 2 > a->seen_cap) {
		size_t n = a->seen_cap ? a->seen_cap * 2 : 1024, i;
		struct pair *v = calloc(n, sizeof(*v));

		if (!v)
			return -1;
		for (i = 0; i < a->seen_cap; i++) {
			if (!a->seen[i].used)
				continue;
			h = (uint64_t)a->seen[i].inc * UINT64_C(0x9E3779B97F4A7C15) ^ a->seen[i].row;
			for (j = (size_t)(h * UINT64_C(1099511628211)) & (n - 1); v[j].used;
			     j = (j + 1) & (n - 1))
				;
			v[j] = a->seen[i];
		}
		free(a->seen);
		a->seen = v;
		a->seen_cap = n;
	}
	h = (uint64_t)inc * UINT64_C(0x9E3779B97F4A7C15) ^ row;
	for (j = (size_t)(h * UINT64_C(1099511628211)) & (a->seen_cap - 1); a->seen[j].used;
	     j = (j + 1) & (a->seen_cap - 1))
		if (a->seen[j].row == row && a->seen[j].inc == inc)
			return 0;
	a->seen[j].used = 1;
	a->seen[j].row = row;
	a->seen[j].inc = inc;
	a->nseen++;
	return 1;
}

static void agg_free(struct agg *a, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		free(a[i].slot);
		free(a[i].seen);
	}
	free(a);
}

/* A 0/1 column for a figure: CASE WHEN <definition> THEN 1 ELSE 0 END. */
static sq_err add_flag(struct sq_buf *b, const char *frag, size_t nent)
{
	if (sq_buf_adds(b, ", CASE WHEN ") || add_fragment(b, frag, nent) ||
	    sq_buf_adds(b, " THEN 1 ELSE 0 END"))
		return SQ_ENOMEM;
	return SQ_OK;
}

/*
 * The scan of one period: id, incident, the figure columns (when any
 * grouping wants them; never for the previous period), then each
 * grouping's k1, k2 and, if it has one, its row filter.
 */
static sq_err scan_sql(const struct store_span *span, struct agg *a, size_t n, int prev,
		       int figures, struct sq_buf *b)
{
	size_t i, ne = span->nenterprise;
	int col;

	if (sq_buf_adds(b, "SELECT id, coalesce(incident_id, -id)"))
		return SQ_ENOMEM;
	col = 2;
	if (figures) {
		for (i = 0; i < sizeof(scan_figs) / sizeof(scan_figs[0]); i++)
			if (add_flag(b, figure_sql[scan_figs[i]], ne))
				return SQ_ENOMEM;
		for (i = 0; i < 3; i++)
			if (sq_buf_addf(b, ", CASE WHEN " IS_RATED " AND satisfaction = '%s'"
					" THEN 1 ELSE 0 END", sat_words[i]))
				return SQ_ENOMEM;
		for (i = 0; i < sizeof(scan_figs2) / sizeof(scan_figs2[0]); i++)
			if (add_flag(b, figure_sql[scan_figs2[i]], ne))
				return SQ_ENOMEM;
		col += NFIGS;
	}
	for (i = 0; i < n; i++) {
		enum store_group g = a[i].g->group;

		if (prev && !(a[i].g->sums & STORE_SUM_PREVIOUS)) {
			a[i].k1 = -1;
			continue;
		}
		if (sq_buf_addf(b, ", %s, %s", group_sql[g].key, group_sql[g].key2))
			return SQ_ENOMEM;
		a[i].k1 = col++;
		a[i].k2 = col++;
		a[i].in = 0;
		if (group_sql[g].where) {
			if (sq_buf_addf(b, ", CASE WHEN %s THEN 1 ELSE 0 END", group_sql[g].where))
				return SQ_ENOMEM;
			a[i].in = col++;
		}
	}
	/* INDEXED BY: with ANALYZE statistics the planner may prefer another
	 * index and then read every wide row; this one covers every column. */
	return sq_buf_adds(b, prev ? " FROM complaints INDEXED BY complaints_digest"
				     " WHERE received_at >= :prev AND received_at < :since"
				   : " FROM complaints INDEXED BY complaints_digest WHERE " IN_PERIOD);
}

static const unsigned char *ktext(sqlite3_stmt *s, int c, int *n)
{
	const unsigned char *t = sqlite3_column_text(s, c);

	*n = t ? sqlite3_column_bytes(s, c) : 0;
	return t;
}

static sq_err scan(struct sq_store *st, const struct store_span *span, struct agg *a, size_t n,
		   int prev, struct sq_error *err)
{
	struct sq_buf sql = SQ_BUF_INIT;
	sqlite3_stmt *s = NULL;
	int figures = 0, step, failed = 0;
	size_t i;
	sq_err rc;

	for (i = 0; i < n; i++)
		figures |= !prev && (a[i].g->sums & STORE_SUM_RESOLUTION);
	if (scan_sql(span, a, n, prev, figures, &sql)) {
		sq_buf_release(&sql);
		return oom(err);
	}
	rc = prepare(st, &sql, &s, err);
	sq_buf_release(&sql);
	if (rc)
		return rc;
	bind_span(s, span);
	while (!failed && (step = sqlite3_step(s)) == SQLITE_ROW) {
		int64_t inc = sqlite3_column_int64(s, 1);
		int64_t f[NFIGS] = { 0 };
		int c;

		if (figures)
			for (c = 0; c < NFIGS; c++)
				f[c] = sqlite3_column_int(s, 2 + c);
		for (i = 0; i < n && !failed; i++) {
			struct store_group_row *r;
			const unsigned char *k1, *k2;
			int n1, n2, isnew;
			size_t idx;

			if (a[i].k1 < 0 || (a[i].in && !sqlite3_column_int(s, a[i].in)))
				continue;
			k1 = ktext(s, a[i].k1, &n1);
			k2 = ktext(s, a[i].k2, &n2);
			r = agg_row(&a[i], k1, n1, k2, n2, &idx);
			if (!r) {
				failed = 1;
				break;
			}
			if (prev) {
				r->previous++;
				continue;
			}
			r->complaints++;
			if (a[i].g->sums & STORE_SUM_INCIDENTS) {
				isnew = agg_incident(&a[i], idx, inc);
				if (isnew < 0)
					failed = 1;
				r->incidents += isnew > 0;
			}
			if (a[i].g->sums & STORE_SUM_RESOLUTION) {
				r->registered += f[0], r->resolved += f[1], r->due += f[2];
				r->on_time += f[3], r->rated += f[4], r->satisfied += f[5];
				r->basically_satisfied += f[6], r->dissatisfied += f[7];
				r->disputes += f[8], r->disputes_resolved += f[9];
				r->enterprise += f[10], r->enterprise_resolved += f[11];
			}
		}
	}
	if (failed)
		rc = oom(err);
	else if (step != SQLITE_DONE)
		rc = store_db_error(st, "computing digest figures", err);
	sqlite3_finalize(s);
	return rc;
}

static char *col_dup(sqlite3_stmt *s, int i, int *failed)
{
	return store_col_text(s, i, failed);
}

/* NULL (absent) after any text; text in byte order, as SQLite's BINARY. */
static int cmp_key(const char *a, const char *b)
{
	if (!a || !b)
		return !a - !b;
	return strcmp(a, b);
}

static int cmp_rows(const void *pa, const void *pb)
{
	const struct store_group_row *a = pa, *b = pb;
	int c;

	if (a->complaints != b->complaints)
		return a->complaints > b->complaints ? -1 : 1;
	c = cmp_key(a->key, b->key);
	return c ? c : cmp_key(a->key2, b->key2);
}

sq_err store_digest_groupings(struct sq_store *st, const struct store_span *span,
			      struct store_grouping *g, size_t n, struct sq_error *err)
{
	struct agg *a;
	size_t i;
	int prev = 0;
	sq_err rc;

	for (i = 0; i < n; i++) {
		store_group_rows_release(&g[i].rows);
		if ((unsigned)g[i].group >= STORE_GROUP_LAST)
			return sq_fail(err, SQ_EUSAGE, "no such grouping");
		prev |= (g[i].sums & STORE_SUM_PREVIOUS) && span->prev_since < span->since;
	}
	a = calloc(n + 1, sizeof(*a));
	if (!a)
		return oom(err);
	for (i = 0; i < n; i++)
		a[i].g = &g[i];
	rc = scan(st, span, a, n, 0, err);
	if (!rc && prev)
		rc = scan(st, span, a, n, 1, err);
	for (i = 0; !rc && i < n; i++) {
		struct store_group_rows *rows = &g[i].rows;
		size_t cap = a[i].cap;

		/* The whole period is one row even when it is empty. */
		if (g[i].group == STORE_GROUP_ALL && !rows->n) {
			if (sq_array_reserve((void **)&rows->v, &cap, rows->n + 1,
					     sizeof(*rows->v))) {
				rc = oom(err);
				break;
			}
			memset(&rows->v[rows->n++], 0, sizeof(rows->v[0]));
		}
		if (rows->n > 1)
			qsort(rows->v, rows->n, sizeof(*rows->v), cmp_rows);
	}
	agg_free(a, n);
	if (rc)
		for (i = 0; i < n; i++)
			store_group_rows_release(&g[i].rows);
	return rc;
}

sq_err store_digest_groups(struct sq_store *st, const struct store_span *span,
			   enum store_group group, unsigned sums, struct store_group_rows *rows,
			   struct sq_error *err)
{
	struct store_grouping g = { .group = group, .sums = sums };
	sq_err rc;

	store_group_rows_release(rows);
	rc = store_digest_groupings(st, span, &g, 1, err);
	*rows = g.rows;
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
	if (sq_buf_adds(&sql, "SELECT id FROM complaints INDEXED BY complaints_digest WHERE "
			IN_PERIOD " AND ") ||
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
		if (sq_array_reserve((void **)ids, &cap, *n + 1, sizeof(**ids))) {
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

		if (sq_array_reserve((void **)&items->v, &cap, items->n + 1, sizeof(*items->v))) {
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

		if (sq_array_reserve((void **)&l->v, &cap, l->n + 1, sizeof(*l->v))) {
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

		if (sq_array_reserve((void **)&l->v, &cap, l->n + 1, sizeof(*l->v))) {
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

		if (sq_array_reserve((void **)&rows->v, &cap, rows->n + 1, sizeof(*rows->v))) {
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

		if (sq_array_reserve((void **)names, &cap, *n + 1, sizeof(**names))) {
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
