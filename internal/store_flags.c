/* Early warning in the store: what the detectors read, and the flags they
 * raise with their members and history. */
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "store.h"
#include "store_private.h"
#include "banned.h"


static int64_t col_i64(sqlite3_stmt *s, int i)
{
	return sqlite3_column_int64(s, i);
}

/* ---- detector input ------------------------------------------------------ */

/*
 * The detectors' rows carry no title, text, source or status: those are
 * the bulk of a complaint and only two detectors read them, once per row,
 * so store_detect_texts streams them instead of holding a copy of every
 * text of the look-back period.  Every column of complaints named here
 * and in DETECT_WHERE is in the index complaints_digest (schema step 12),
 * which so serves the load without reading the wide rows: a column added
 * here belongs there too.  Columns 4, 6 and 7 are the complaint's own
 * received_at, category and community: incidents_of_rows() keeps the
 * community as the row's own and puts the incident's in their place where
 * it has them (column 12, the own community, is NULL for that reason).
 */
#define DETECT_COLUMNS \
	"SELECT c.id, COALESCE(c.incident_id, 0), c.received_at, c.first_seen_at," \
	" c.received_at, COALESCE(c.deadline, 0), c.category, c.community, c.grid," \
	" c.contact_hash, c.lat, c.lon, NULL" \
	" FROM complaints c"

#define DETECT_FILTER \
	" WHERE c.received_at >= ?1 AND c.received_at <= ?2" \
	" AND c.kind <> 'praise' AND c.status <> 'void'"

#define DETECT_WHERE DETECT_FILTER " ORDER BY c.received_at, c.id"

/*
 * In the index's order only: complaints_digest orders by received_at but
 * not then by id, so ORDER BY ..., c.id put every row through a sorter (a
 * fifth of the load at 1M stored).  store_detect_load orders the few
 * complaints received in the same second by id itself.
 */
static const char sql_detect_load[] = DETECT_COLUMNS DETECT_FILTER " ORDER BY c.received_at";

static const char sql_detect_texts[] =
	"SELECT c.id, c.received_at, c.title, c.text, c.source, c.source_id FROM complaints c"
	DETECT_WHERE;

/*
 * The kept memos of one detector and version, in the primary key's order,
 * which is the detectors' (received_at, then complaint id): a range of the
 * table, no look-up per complaint and no sorter.  Columns as walk_texts
 * reads them, title and text NULL.
 */
static const char sql_detect_memos[] =
	"SELECT complaint_id, received_at, NULL, NULL, memo FROM detect_memos"
	" WHERE received_at >= ?1 AND received_at <= ?2 AND detector = ?3 AND version = ?4"
	" ORDER BY received_at, complaint_id";

/* One complaint's texts, for a detector that has no memo of it. */
static const char sql_detect_text_of[] =
	"SELECT id, received_at, title, text, NULL FROM complaints WHERE id = ?1";

/*
 * Only the items that became overdue in [?1, ?2): the partial index
 * complaints_open_deadline gives them without reading the older ones,
 * whose number grows with the store.  Places only: the overdue detector
 * reads nothing else.
 */
static const char sql_detect_overdue[] =
	"SELECT c.id, COALESCE(c.incident_id, 0), c.received_at, c.first_seen_at,"
	" COALESCE(i.opened_at, c.received_at), COALESCE(c.deadline, 0),"
	" NULL, COALESCE(i.community, c.community), NULL, NULL, NULL, NULL, NULL"
	" FROM complaints c LEFT JOIN incidents i ON i.id = c.incident_id"
	" WHERE c.status IN ('open', 'in_progress') AND c.deadline IS NOT NULL"
	" AND c.deadline >= ?1 AND c.deadline < ?2 AND c.kind <> 'praise'"
	" ORDER BY c.deadline, c.id";

static void detect_row_release(struct store_detect_row *r)
{
	free(r->contact_hash);
	memset(r, 0, sizeof(*r));
}

void store_detect_rows_release(struct store_detect_rows *rows)
{
	size_t i;

	if (!rows)
		return;
	for (i = 0; i < rows->n; i++)
		detect_row_release(&rows->rows[i]);
	for (i = 0; i < rows->names_cap; i++)
		free(rows->names[i]);
	free(rows->rows);
	free(rows->names);
	memset(rows, 0, sizeof(*rows));
}

static size_t name_hash(const char *s)
{
	size_t h = 1469598103934665603ULL & SIZE_MAX;   /* FNV-1a */

	while (*s)
		h = (h ^ (unsigned char)*s++) * (1099511628211ULL & SIZE_MAX);
	return h;
}

/* The slot of s in the set (empty when s is not there); cap is a power of 2. */
static size_t name_slot(char *const *set, size_t cap, const char *s)
{
	size_t i = name_hash(s) & (cap - 1);

	while (set[i] && strcmp(set[i], s))
		i = (i + 1) & (cap - 1);
	return i;
}

static int names_grow(struct store_detect_rows *rows)
{
	size_t cap = rows->names_cap ? rows->names_cap * 2 : 64, i;
	char **set = calloc(cap, sizeof(*set));

	if (!set)
		return -1;
	for (i = 0; i < rows->names_cap; i++)
		if (rows->names[i])
			set[name_slot(set, cap, rows->names[i])] = rows->names[i];
	free(rows->names);
	rows->names = set;
	rows->names_cap = cap;
	return 0;
}

/* The rows' shared copy of name v, made when it is the first. */
static const char *intern_name(struct store_detect_rows *rows, const char *v, int *oom)
{
	size_t k;

	if (2 * (rows->names_n + 1) > rows->names_cap && names_grow(rows)) {
		*oom = 1;
		return NULL;
	}
	k = name_slot(rows->names, rows->names_cap, v);
	if (!rows->names[k]) {
		if (!(rows->names[k] = sq_strdup(v))) {
			*oom = 1;
			return NULL;
		}
		rows->names_n++;
	}
	return rows->names[k];
}

/* Column i as the rows' shared copy of that name (NULL for SQL NULL). */
static const char *col_name(struct store_detect_rows *rows, sqlite3_stmt *s, int i, int *oom)
{
	const char *v = (const char *)sqlite3_column_text(s, i);

	if (!v) {
		if (sqlite3_column_type(s, i) != SQLITE_NULL)
			*oom = 1;
		return NULL;
	}
	return intern_name(rows, v, oom);
}

static void read_detect_row(struct store_detect_rows *rows, sqlite3_stmt *s,
			    struct store_detect_row *r, int *oom)
{
	r->id = col_i64(s, 0);
	r->incident_id = col_i64(s, 1);
	r->received_at = col_i64(s, 2);
	r->first_seen_at = col_i64(s, 3);
	r->unit_at = col_i64(s, 4);
	r->deadline = col_i64(s, 5);
	r->category = col_name(rows, s, 6, oom);
	r->community = col_name(rows, s, 7, oom);
	r->grid = col_name(rows, s, 8, oom);
	r->contact_hash = store_col_text(s, 9, oom);
	r->has_pos = sqlite3_column_type(s, 10) != SQLITE_NULL &&
		     sqlite3_column_type(s, 11) != SQLITE_NULL;
	if (r->has_pos) {
		r->lat = sqlite3_column_double(s, 10);
		r->lon = sqlite3_column_double(s, 11);
	}
	r->own_community = col_name(rows, s, 12, oom);
}

static sq_err load_rows(struct sq_store *st, const char *sql, int64_t a, int64_t b,
			struct store_detect_rows *out, struct sq_error *err)
{
	sqlite3_stmt *s;
	size_t cap = 0;
	int step, oom = 0;
	sq_err rc;

	memset(out, 0, sizeof(*out));
	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, a);
	sqlite3_bind_int64(s, 2, b);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (sq_array_reserve((void **)&out->rows, &cap, out->n + 1, sizeof(*out->rows))) {
			oom = 1;
			break;
		}
		memset(&out->rows[out->n], 0, sizeof(out->rows[0]));
		read_detect_row(out, s, &out->rows[out->n], &oom);
		out->n++;
		if (oom)
			break;
	}
	sqlite3_reset(s);
	if (oom) {
		store_detect_rows_release(out);
		return sq_fail(err, SQ_ENOMEM, "out of memory reading complaints for detection");
	}
	if (step != SQLITE_DONE) {
		store_detect_rows_release(out);
		return store_db_error(st, "reading complaints for detection", err);
	}
	return SQ_OK;
}

static int cmp_row_id(const void *a, const void *b)
{
	const struct store_detect_row *x = a, *y = b;

	return x->id < y->id ? -1 : x->id > y->id;
}

/* An incident's columns the detectors' rows take (NULL: the complaint's). */
struct incident_cols {
	int found;
	int64_t opened_at;   /* NOT NULL in the schema */
	const char *category, *community;
};

/*
 * How far (in ids) the scan of incidents steps rather than seeking again:
 * a step reads one row, a seek descends the table's B-tree.
 */
#define INCIDENT_SEEK_GAP 16

/*
 * Fill cols[k] for each incident id ids->v[k] (store_ids_unique: sorted,
 * no repeats) with one scan of incidents by id, which seeks again only
 * over gaps: the incidents of a look-back are most of one range of ids,
 * and a look-up per row (a join) cost a descent each.
 */
static sq_err incident_cols_read(struct sq_store *st, struct store_detect_rows *rows,
				 const struct store_ids *ids, struct incident_cols *cols,
				 struct sq_error *err)
{
	static const char sql[] =
		"SELECT id, opened_at, category, community FROM incidents WHERE id >= ?1 ORDER BY id";
	sqlite3_stmt *s;
	int64_t cur = 0;
	int step = SQLITE_DONE, sought = 0, oom = 0;
	size_t k;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	for (k = 0; k < ids->n && !oom; k++) {
		if (!sought || (step == SQLITE_ROW && cur < ids->v[k] - INCIDENT_SEEK_GAP)) {
			sqlite3_reset(s);
			sqlite3_bind_int64(s, 1, ids->v[k]);
			step = sqlite3_step(s);
			sought = 1;
		}
		while (step == SQLITE_ROW && (cur = sqlite3_column_int64(s, 0)) < ids->v[k])
			step = sqlite3_step(s);
		if (step != SQLITE_ROW && step != SQLITE_DONE)
			break;
		memset(&cols[k], 0, sizeof(cols[k]));
		if (step != SQLITE_ROW || cur != ids->v[k])
			continue;   /* none: the complaint's own columns stay */
		cols[k].found = 1;
		cols[k].opened_at = sqlite3_column_int64(s, 1);
		cols[k].category = col_name(rows, s, 2, &oom);
		cols[k].community = col_name(rows, s, 3, &oom);
	}
	sqlite3_reset(s);
	if (oom)
		return sq_fail(err, SQ_ENOMEM, "out of memory reading incidents for detection");
	if (k < ids->n)
		return store_db_error(st, "reading incidents for detection", err);
	return SQ_OK;
}

/*
 * Each row keeps its community as its own; a linked row takes its
 * incident's opened_at, category and community where the incident has
 * them, as COALESCE(i.x, c.x) over a LEFT JOIN did.
 */
static sq_err incidents_of_rows(struct sq_store *st, struct store_detect_rows *rows,
				struct sq_error *err)
{
	struct store_ids ids = { 0 };
	struct incident_cols *cols = NULL, *c;
	size_t i;
	sq_err rc = SQ_OK;

	for (i = 0; !rc && i < rows->n; i++)
		if (rows->rows[i].incident_id && store_ids_push(&ids, rows->rows[i].incident_id))
			rc = sq_fail(err, SQ_ENOMEM, "out of memory reading incidents for detection");
	store_ids_unique(&ids);
	if (!rc && !(cols = malloc((ids.n ? ids.n : 1) * sizeof(*cols))))
		rc = sq_fail(err, SQ_ENOMEM, "out of memory reading incidents for detection");
	if (!rc)
		rc = incident_cols_read(st, rows, &ids, cols, err);
	for (i = 0; !rc && i < rows->n; i++) {
		struct store_detect_row *r = &rows->rows[i];

		r->own_community = r->community;
		if (!r->incident_id)
			continue;
		c = &cols[store_ids_find(&ids, r->incident_id)];
		if (!c->found)
			continue;
		r->unit_at = c->opened_at;
		if (c->category)
			r->category = c->category;
		if (c->community)
			r->community = c->community;
	}
	store_ids_release(&ids);
	free(cols);
	return rc;
}

/* Rows received in [since, until], their incidents' columns in place. */
static sq_err load_with_incidents(struct sq_store *st, int64_t since, int64_t until,
				  struct store_detect_rows *out, struct sq_error *err)
{
	sq_err rc = load_rows(st, sql_detect_load, since, until, out, err);

	if (!rc) {
		rc = incidents_of_rows(st, out, err);
		if (rc)
			store_detect_rows_release(out);
	}
	return rc;
}

/*
 * The later half of a load, and the overdue items when asked for, read on
 * a second connection by a second thread.
 */
struct load_part {
	struct sq_store *reader;
	int64_t since, until;
	struct store_detect_rows rows;
	int64_t overdue_from;
	struct store_detect_rows *overdue;   /* NULL: not asked for */
	struct sq_error err;
	sq_err rc;
};

static void *load_part_run(void *arg)
{
	struct load_part *p = arg;

	p->rc = load_with_incidents(p->reader, p->since, p->until, &p->rows, &p->err);
	if (!p->rc && p->overdue)
		p->rc = load_rows(p->reader, sql_detect_overdue, p->overdue_from, p->until,
				  p->overdue, &p->err);
	return NULL;
}

/* One of `from`'s names and its copy among `to`'s (append_rows). */
struct name_pair {
	const char *from, *to;
};

static int cmp_name_pair(const void *a, const void *b)
{
	uintptr_t x = (uintptr_t)((const struct name_pair *)a)->from;
	uintptr_t y = (uintptr_t)((const struct name_pair *)b)->from;

	return x < y ? -1 : x > y;
}

/* The copy among the pairs' `to` names of name p (one of their `from`s, or NULL). */
static const char *mapped_name(const struct name_pair *pairs, size_t n, const char *p)
{
	struct name_pair key = { p, NULL }, *hit;

	if (!p)
		return NULL;
	hit = bsearch(&key, pairs, n, sizeof(*pairs), cmp_name_pair);
	return hit ? hit->to : NULL;
}

/*
 * Move from's rows to the end of to's, their names now to's copies of
 * them (so that equal names stay equal pointers); from keeps only its
 * names, for store_detect_rows_release.  On failure to is as it was.
 */
static sq_err append_rows(struct store_detect_rows *to, struct store_detect_rows *from,
			  struct sq_error *err)
{
	struct name_pair *pairs = malloc((from->names_n ? from->names_n : 1) * sizeof(*pairs));
	struct store_detect_row *rows;
	size_t i, n = 0;
	int oom = !pairs;

	for (i = 0; !oom && i < from->names_cap; i++) {
		if (!from->names[i])
			continue;
		pairs[n].from = from->names[i];
		pairs[n].to = intern_name(to, from->names[i], &oom);
		n++;
	}
	rows = oom ? NULL : realloc(to->rows, (to->n + from->n + 1) * sizeof(*rows));
	if (!rows) {
		free(pairs);
		return sq_fail(err, SQ_ENOMEM, "out of memory reading complaints for detection");
	}
	to->rows = rows;
	qsort(pairs, n, sizeof(*pairs), cmp_name_pair);
	for (i = 0; i < from->n; i++) {
		struct store_detect_row *r = &to->rows[to->n++];

		*r = from->rows[i];
		r->category = mapped_name(pairs, n, r->category);
		r->community = mapped_name(pairs, n, r->community);
		r->own_community = mapped_name(pairs, n, r->own_community);
		r->grid = mapped_name(pairs, n, r->grid);
	}
	from->n = 0;   /* the rows' contact hashes are to's now */
	free(pairs);
	return SQ_OK;
}

/*
 * Start reading the later half of [since, until] (and the overdue items,
 * p->overdue not NULL) on a second connection, when the store has one to
 * give (a file, outside a transaction); *until then ends the caller's
 * half.  Nonzero: started.  Not starting costs only time: the caller
 * reads it all.
 */
static int load_part_start(struct sq_store *st, int64_t since, int64_t *until,
			   struct load_part *p, pthread_t *thread)
{
	int64_t mid = since / 2 + *until / 2;
	struct sq_error ignored;

	if (mid <= since || store_open_reader(st, &p->reader, &ignored))
		return 0;
	p->since = mid;
	p->until = *until;
	if (pthread_create(thread, NULL, load_part_run, p) != 0) {
		store_close(p->reader);
		return 0;
	}
	*until = mid - 1;
	return 1;
}

/* Join the later part's thread and put what it read after out's rows. */
static sq_err load_part_join(pthread_t thread, struct load_part *p,
			     struct store_detect_rows *out, struct sq_error *err)
{
	sq_err rc;

	pthread_join(thread, NULL);
	store_close(p->reader);
	if (p->rc) {
		*err = p->err;
		rc = p->rc;
	} else {
		rc = append_rows(out, &p->rows, err);
	}
	store_detect_rows_release(&p->rows);
	return rc;
}

/*
 * Reading the rows is most of detection's time at a million stored (a
 * fifth of a 10,000-record import's and detection's together), and the
 * rows of one span of time do not depend on another's: the later half,
 * then the overdue items, are read on a second connection by a second
 * thread while this one reads the earlier half.  The poll lock keeps
 * suqiu's writers out meanwhile; outside it each part is one consistent
 * read, as each of detection's statements was before.
 */
sq_err store_detect_load(struct sq_store *st, int64_t since, int64_t until,
			 struct store_detect_rows *out, int64_t overdue_from,
			 struct store_detect_rows *overdue, struct sq_error *err)
{
	struct load_part later = { .overdue_from = overdue_from, .overdue = overdue };
	pthread_t thread;
	int split;
	size_t i, j;
	sq_err rc;

	memset(out, 0, sizeof(*out));
	if (overdue)
		memset(overdue, 0, sizeof(*overdue));
	split = load_part_start(st, since, &until, &later, &thread);
	rc = load_with_incidents(st, since, until, out, err);
	if (split) {
		sq_err part = load_part_join(thread, &later, out, err);

		if (!rc)
			rc = part;
	} else if (!rc && overdue) {
		rc = load_rows(st, sql_detect_overdue, overdue_from, until, overdue, err);
	}
	/* received_at then id: each run of one second by id */
	for (i = 0; !rc && i < out->n; i = j) {
		for (j = i + 1; j < out->n && out->rows[j].received_at == out->rows[i].received_at; j++)
			;
		if (j - i > 1)
			qsort(out->rows + i, j - i, sizeof(out->rows[0]), cmp_row_id);
	}
	if (rc) {
		store_detect_rows_release(out);
		store_detect_rows_release(overdue);
	}
	return rc;
}

/* A text column: NULL for SQL NULL, else its text; *oom when SQLite could not give it. */
static const char *col_text_or_null(sqlite3_stmt *s, int i, int *oom)
{
	const char *v = (const char *)sqlite3_column_text(s, i);

	if (!v && sqlite3_column_type(s, i) != SQLITE_NULL)
		*oom = 1;
	return v;
}

/*
 * Step s (bound), handing each row to cb as a store_detect_text: columns
 * id, received_at, title, text, then source and source_id (with_source)
 * or the memo.
 */
static sq_err walk_texts(struct sq_store *st, sqlite3_stmt *s, int with_source,
			 sq_err (*cb)(void *arg, const struct store_detect_text *t), void *arg,
			 struct sq_error *err)
{
	struct store_detect_text t;
	int step, oom;
	sq_err rc;

	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		memset(&t, 0, sizeof(t));
		oom = 0;
		t.id = col_i64(s, 0);
		t.received_at = col_i64(s, 1);
		t.title = col_text_or_null(s, 2, &oom);
		t.text = col_text_or_null(s, 3, &oom);
		if (with_source) {
			t.source = col_text_or_null(s, 4, &oom);
			t.source_id = col_text_or_null(s, 5, &oom);
		} else {
			t.memo = col_text_or_null(s, 4, &oom);
		}
		if (oom) {
			sqlite3_reset(s);
			return sq_fail(err, SQ_ENOMEM, "out of memory reading complaint texts");
		}
		rc = cb(arg, &t);
		if (rc) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE)
		return store_db_error(st, "reading complaint texts for detection", err);
	return SQ_OK;
}

sq_err store_detect_texts(struct sq_store *st, int64_t since, int64_t until,
			  sq_err (*cb)(void *arg, const struct store_detect_text *t), void *arg,
			  struct sq_error *err)
{
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql_detect_texts, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, since);
	sqlite3_bind_int64(s, 2, until);
	return walk_texts(st, s, 1, cb, arg, err);
}

sq_err store_detect_memos(struct sq_store *st, const char *detector, int version,
			  int64_t since, int64_t until,
			  sq_err (*cb)(void *arg, const struct store_detect_text *t), void *arg,
			  struct sq_error *err)
{
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql_detect_memos, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, since);
	sqlite3_bind_int64(s, 2, until);
	store_bind_text(s, 3, detector);
	sqlite3_bind_int(s, 4, version);
	return walk_texts(st, s, 0, cb, arg, err);
}

sq_err store_detect_text_of(struct sq_store *st, int64_t id,
			    sq_err (*cb)(void *arg, const struct store_detect_text *t), void *arg,
			    struct sq_error *err)
{
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql_detect_text_of, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	return walk_texts(st, s, 0, cb, arg, err);
}

sq_err store_detect_memo_put(struct sq_store *st, const struct store_detect_memo *m, size_t n,
			     int64_t keep_since, struct sq_error *err)
{
	static const char sql_put[] =
		"INSERT OR REPLACE INTO detect_memos (received_at, complaint_id, detector, version, memo)"
		" VALUES (?1, ?2, ?3, ?4, ?5)";
	static const char sql_drop[] = "DELETE FROM detect_memos WHERE received_at < ?1";
	sqlite3_stmt *s;
	size_t i;
	sq_err rc;

	rc = store_stmt(st, sql_drop, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, keep_since);
	rc = store_step_done(st, s, "dropping old detector memos", err);
	for (i = 0; !rc && i < n; i++) {
		rc = store_stmt(st, sql_put, &s, err);
		if (rc)
			break;
		sqlite3_bind_int64(s, 1, m[i].received_at);
		sqlite3_bind_int64(s, 2, m[i].complaint_id);
		store_bind_text(s, 3, m[i].detector);
		sqlite3_bind_int(s, 4, m[i].version);
		store_bind_text(s, 5, m[i].memo);
		rc = store_step_done(st, s, "keeping a detector memo", err);
	}
	return rc;
}

sq_err store_detect_link_incident(struct sq_store *st, int64_t complaint_id,
				  int64_t *incident_id, struct sq_error *err)
{
	static const char sql_new[] =
		"INSERT INTO incidents (opened_at, last_at, category, community, size, created_at)"
		" SELECT received_at, received_at, category, community, 0, received_at"
		" FROM complaints WHERE id = ?1";
	static const char sql_link[] = "UPDATE complaints SET incident_id = ?2 WHERE id = ?1";
	static const char sql_sum[] =
		"UPDATE incidents SET"
		" size = (SELECT count(*) FROM complaints WHERE incident_id = ?1),"
		" opened_at = (SELECT min(received_at) FROM complaints WHERE incident_id = ?1),"
		" last_at = (SELECT max(received_at) FROM complaints WHERE incident_id = ?1)"
		" WHERE id = ?1";
	sqlite3_stmt *s;
	sq_err rc;

	if (!*incident_id) {
		rc = store_stmt(st, sql_new, &s, err);
		if (rc)
			return rc;
		sqlite3_bind_int64(s, 1, complaint_id);
		rc = store_step_done(st, s, "opening an incident", err);
		if (rc)
			return rc;
		if (sqlite3_changes(st->db) != 1)
			return sq_fail(err, SQ_ENOTFOUND, "complaint %lld not found",
				       (long long)complaint_id);
		*incident_id = sqlite3_last_insert_rowid(st->db);
	}
	rc = store_stmt(st, sql_link, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, complaint_id);
	sqlite3_bind_int64(s, 2, *incident_id);
	rc = store_step_done(st, s, "linking a complaint to an incident", err);
	if (rc)
		return rc;
	rc = store_stmt(st, sql_sum, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, *incident_id);
	return store_step_done(st, s, "updating an incident", err);
}

sq_err store_detector_last_run(struct sq_store *st, const char *name, int64_t *at,
			       struct sq_error *err)
{
	static const char sql[] = "SELECT last_run_at FROM detector_state WHERE name = ?1";
	sqlite3_stmt *s;
	int step;
	sq_err rc;

	*at = 0;
	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	store_bind_text(s, 1, name);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW)
		*at = col_i64(s, 0);
	sqlite3_reset(s);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return store_db_error(st, "reading detector state", err);
	return SQ_OK;
}

sq_err store_detector_mark_run(struct sq_store *st, const char *name, int64_t at,
			       struct sq_error *err)
{
	static const char sql[] =
		"INSERT INTO detector_state (name, last_run_at) VALUES (?1, ?2)"
		" ON CONFLICT (name) DO UPDATE SET last_run_at = excluded.last_run_at";
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	store_bind_text(s, 1, name);
	sqlite3_bind_int64(s, 2, at);
	return store_step_done(st, s, "saving detector state", err);
}

/* ---- flags ------------------------------------------------------------- */

#define FLAG_FIELDS \
	"SELECT f.id, f.kind, f.cause_key, f.severity, f.state, f.summary, f.detail," \
	" f.category, f.community, f.level, f.revision, f.opened_at, f.updated_at," \
	" f.active_at, COALESCE(f.closed_at, 0)"

#define SQL_FLAG_MEMBERS "(SELECT count(*) FROM flag_members m WHERE m.flag_id = f.id)"
/* Through the narrow index (schema step 18): the planner would look each
 * member up in the wide table by rowid, a page read per member. */
#define SQL_FLAG_UNITS \
	"(SELECT count(DISTINCT COALESCE(c.incident_id, -c.id)) FROM flag_members m" \
	"  JOIN complaints c INDEXED BY complaints_incident_by_id ON c.id = m.complaint_id" \
	"  WHERE m.flag_id = f.id)"

/* The flag with its sizes; FLAG_FIELDS alone leaves them at -1. */
#define FLAG_COLUMNS FLAG_FIELDS ", " SQL_FLAG_MEMBERS ", " SQL_FLAG_UNITS " FROM flags f"

void store_flag_release(struct store_flag *f)
{
	if (!f)
		return;
	free(f->kind);
	free(f->cause_key);
	free(f->severity);
	free(f->state);
	free(f->summary);
	free(f->detail);
	free(f->category);
	free(f->community);
	memset(f, 0, sizeof(*f));
}

static void read_flag(sqlite3_stmt *s, struct store_flag *f, int *oom)
{
	f->id = col_i64(s, 0);
	f->kind = store_col_text(s, 1, oom);
	f->cause_key = store_col_text(s, 2, oom);
	f->severity = store_col_text(s, 3, oom);
	f->state = store_col_text(s, 4, oom);
	f->summary = store_col_text(s, 5, oom);
	f->detail = store_col_text(s, 6, oom);
	f->category = store_col_text(s, 7, oom);
	f->community = store_col_text(s, 8, oom);
	f->level = col_i64(s, 9);
	f->revision = col_i64(s, 10);
	f->opened_at = col_i64(s, 11);
	f->updated_at = col_i64(s, 12);
	f->active_at = col_i64(s, 13);
	f->closed_at = col_i64(s, 14);
	f->nmembers = sqlite3_column_count(s) > 15 ? col_i64(s, 15) : -1;
	f->nunits = sqlite3_column_count(s) > 16 ? col_i64(s, 16) : -1;
}

/* Run a statement expected to give at most one flag row. */
static sq_err one_flag(struct sq_store *st, sqlite3_stmt *s, struct store_flag *f,
		       struct sq_error *err)
{
	int step, oom = 0;

	step = sqlite3_step(s);
	if (step == SQLITE_ROW)
		read_flag(s, f, &oom);
	sqlite3_reset(s);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return store_db_error(st, "reading a flag", err);
	if (oom) {
		store_flag_release(f);
		return sq_fail(err, SQ_ENOMEM, "out of memory reading a flag");
	}
	return SQ_OK;
}

sq_err store_flag_find_live(struct sq_store *st, const char *cause_key, struct store_flag *f,
			    struct sq_error *err)
{
	static const char sql[] =
		FLAG_FIELDS " FROM flags f WHERE f.cause_key = ?1 AND f.state <> 'closed'";
	sqlite3_stmt *s;
	sq_err rc;

	store_flag_release(f);
	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	store_bind_text(s, 1, cause_key);
	return one_flag(st, s, f, err);
}

sq_err store_flag_size(struct sq_store *st, int64_t id, int64_t *members, int64_t *units,
		       struct sq_error *err)
{
	static const char sql_members[] = "SELECT " SQL_FLAG_MEMBERS " FROM flags f WHERE f.id = ?1";
	static const char sql_units[] = "SELECT " SQL_FLAG_UNITS " FROM flags f WHERE f.id = ?1";
	sq_err rc;

	rc = SQ_OK;
	if (members)
		rc = store_query_int(st, sql_members, 1, id, 0, members, "counting flag members", err);
	if (!rc && units)
		rc = store_query_int(st, sql_units, 1, id, 0, units, "counting flag incidents", err);
	return rc;
}

sq_err store_flag_get(struct sq_store *st, int64_t id, struct store_flag *f,
		      struct sq_error *err)
{
	static const char sql[] = FLAG_COLUMNS " WHERE f.id = ?1";
	sqlite3_stmt *s;
	sq_err rc;

	store_flag_release(f);
	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	rc = one_flag(st, s, f, err);
	if (!rc && !f->id)
		rc = sq_fail(err, SQ_ENOTFOUND, "no flag %lld", (long long)id);
	return rc;
}

sq_err store_flag_list(struct sq_store *st, const char *state, struct store_flag **flags,
		       size_t *n, struct sq_error *err)
{
	static const char sql[] = FLAG_COLUMNS " WHERE ?1 IS NULL OR f.state = ?1 ORDER BY f.id DESC";
	struct store_flag *arr = NULL;
	size_t cap = 0, i;
	sqlite3_stmt *s;
	int step, oom = 0;
	sq_err rc;

	*flags = NULL;
	*n = 0;
	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	store_bind_text(s, 1, state);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (sq_array_reserve((void **)&arr, &cap, *n + 1, sizeof(*arr))) {
			oom = 1;
			break;
		}
		memset(&arr[*n], 0, sizeof(arr[0]));
		read_flag(s, &arr[*n], &oom);
		(*n)++;
		if (oom)
			break;
	}
	sqlite3_reset(s);
	if (oom || step != SQLITE_DONE) {
		for (i = 0; i < *n; i++)
			store_flag_release(&arr[i]);
		free(arr);
		*n = 0;
		return oom ? sq_fail(err, SQ_ENOMEM, "out of memory listing flags")
			   : store_db_error(st, "listing flags", err);
	}
	*flags = arr;
	return SQ_OK;
}

sq_err store_flag_find_overlap(struct sq_store *st, const char *kind, const char *category,
			       const int64_t *complaints, size_t n, int64_t *flag_id,
			       struct sq_error *err)
{
	static const char sql[] =
		"SELECT f.id FROM flag_members m JOIN flags f ON f.id = m.flag_id"
		" WHERE m.complaint_id = ?1 AND f.kind = ?2 AND f.state <> 'closed'"
		" AND (?3 IS NULL OR f.category = ?3) ORDER BY f.id DESC LIMIT 1";
	sqlite3_stmt *s;
	size_t i;
	int step;
	sq_err rc;

	*flag_id = 0;
	for (i = 0; i < n && !*flag_id; i++) {
		rc = store_stmt(st, sql, &s, err);
		if (rc)
			return rc;
		sqlite3_bind_int64(s, 1, complaints[i]);
		store_bind_text(s, 2, kind);
		store_bind_text(s, 3, category);
		step = sqlite3_step(s);
		if (step == SQLITE_ROW)
			*flag_id = col_i64(s, 0);
		sqlite3_reset(s);
		if (step != SQLITE_ROW && step != SQLITE_DONE)
			return store_db_error(st, "looking for an overlapping flag", err);
	}
	return SQ_OK;
}

sq_err store_flag_count_known(struct sq_store *st, const char *cause_key, const char *kind,
			      const int64_t *complaints, size_t n, size_t *known,
			      struct sq_error *err)
{
	static const char sql[] =
		"SELECT 1 FROM flag_members m JOIN flags f ON f.id = m.flag_id"
		" WHERE m.complaint_id = ?1 AND (f.cause_key = ?2 OR f.kind = ?3) LIMIT 1";
	sqlite3_stmt *s;
	size_t i;
	int step;
	sq_err rc;

	*known = 0;
	for (i = 0; i < n; i++) {
		rc = store_stmt(st, sql, &s, err);
		if (rc)
			return rc;
		sqlite3_bind_int64(s, 1, complaints[i]);
		store_bind_text(s, 2, cause_key);
		store_bind_text(s, 3, kind);
		step = sqlite3_step(s);
		if (step == SQLITE_ROW)
			(*known)++;
		sqlite3_reset(s);
		if (step != SQLITE_ROW && step != SQLITE_DONE)
			return store_db_error(st, "checking flag members", err);
	}
	return SQ_OK;
}

sq_err store_flag_create(struct sq_store *st, const struct store_flag *f, int64_t now,
			 int64_t *id, struct sq_error *err)
{
	static const char sql[] =
		"INSERT INTO flags (kind, cause_key, severity, level, revision, state, summary,"
		" detail, category, community, opened_at, updated_at, active_at)"
		" VALUES (?1, ?2, ?3, ?4, 1, 'open', ?5, ?6, ?7, ?8, ?9, ?9, ?9)";
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	store_bind_text(s, 1, f->kind);
	store_bind_text(s, 2, f->cause_key);
	store_bind_text(s, 3, f->severity);
	sqlite3_bind_int64(s, 4, f->level > 0 ? f->level : 1);
	store_bind_text(s, 5, f->summary ? f->summary : "");
	store_bind_text(s, 6, f->detail);
	store_bind_text(s, 7, f->category);
	store_bind_text(s, 8, f->community);
	sqlite3_bind_int64(s, 9, now);
	rc = store_step_done(st, s, "raising a flag", err);
	if (!rc)
		*id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

sq_err store_flag_add_members(struct sq_store *st, int64_t flag_id, const int64_t *complaints,
			      size_t n, int64_t now, int64_t *added, struct sq_error *err)
{
	/*
	 * One statement for the whole list: a flag that grows is handed all
	 * its members in the window again each run, most of them members
	 * already, and a statement per complaint cost ~3k instructions each
	 * to find that out.
	 */
	static const char sql_add[] =
		"INSERT OR IGNORE INTO flag_members (flag_id, complaint_id, revision, added_at)"
		" SELECT f.id, j.value, f.revision, ?3 FROM flags f, json_each(?2) j WHERE f.id = ?1";
	static const char sql_active[] = "UPDATE flags SET active_at = ?2 WHERE id = ?1";
	struct sq_buf ids = SQ_BUF_INIT;
	sqlite3_stmt *s;
	sq_err rc;

	*added = 0;
	if (!n)
		return SQ_OK;
	rc = store_stmt(st, sql_add, &s, err);
	if (!rc && store_bind_ids(s, 2, complaints, n, &ids))
		rc = sq_fail(err, SQ_ENOMEM, "out of memory adding flag members");
	if (!rc) {
		sqlite3_bind_int64(s, 1, flag_id);
		sqlite3_bind_int64(s, 3, now);
		rc = store_step_done(st, s, "adding flag members", err);
	}
	sq_buf_release(&ids);
	if (rc)
		return rc;
	*added = sqlite3_changes(st->db);
	if (!*added)
		return SQ_OK;
	rc = store_stmt(st, sql_active, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, flag_id);
	sqlite3_bind_int64(s, 2, now);
	return store_step_done(st, s, "updating a flag", err);
}

sq_err store_flag_log(struct sq_store *st, int64_t flag_id, const char *event, const char *note,
		      int64_t now, struct sq_error *err)
{
	static const char sql[] =
		"INSERT INTO flag_history (flag_id, at, event, revision, state, severity, members, note)"
		" SELECT id, ?2, ?3, revision, state, severity,"
		" (SELECT count(*) FROM flag_members WHERE flag_id = ?1), ?4 FROM flags WHERE id = ?1";
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, flag_id);
	sqlite3_bind_int64(s, 2, now);
	store_bind_text(s, 3, event);
	store_bind_text(s, 4, note);
	return store_step_done(st, s, "recording flag history", err);
}

sq_err store_flag_update(struct sq_store *st, const struct store_flag *f, const char *event,
			 const char *note, int64_t now, struct sq_error *err)
{
	static const char sql[] =
		"UPDATE flags SET severity = ?2, level = ?3, revision = ?4, state = ?5,"
		" summary = ?6, detail = ?7, updated_at = ?8,"
		" closed_at = CASE WHEN ?5 = 'closed' THEN ?8 END WHERE id = ?1";
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, f->id);
	store_bind_text(s, 2, f->severity);
	sqlite3_bind_int64(s, 3, f->level);
	sqlite3_bind_int64(s, 4, f->revision);
	store_bind_text(s, 5, f->state);
	store_bind_text(s, 6, f->summary ? f->summary : "");
	store_bind_text(s, 7, f->detail);
	sqlite3_bind_int64(s, 8, now);
	rc = store_step_done(st, s, "updating a flag", err);
	if (rc)
		return rc;
	if (sqlite3_changes(st->db) != 1)
		return sq_fail(err, SQ_ENOTFOUND, "no flag %lld", (long long)f->id);
	return store_flag_log(st, f->id, event, note, now, err);
}

sq_err store_flag_expire(struct sq_store *st, int64_t before, int64_t now, int64_t *n,
			 struct sq_error *err)
{
	static const char sql_log[] =
		"INSERT INTO flag_history (flag_id, at, event, revision, state, severity, members, note)"
		" SELECT id, ?2, 'expired', revision, 'closed', severity,"
		" (SELECT count(*) FROM flag_members m WHERE m.flag_id = flags.id), NULL"
		" FROM flags WHERE state <> 'closed' AND active_at < ?1";
	static const char sql_close[] =
		"UPDATE flags SET state = 'closed', closed_at = ?2, updated_at = ?2"
		" WHERE state <> 'closed' AND active_at < ?1";
	sqlite3_stmt *s;
	sq_err rc;

	*n = 0;
	rc = store_stmt(st, sql_log, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, before);
	sqlite3_bind_int64(s, 2, now);
	rc = store_step_done(st, s, "recording flag expiry", err);
	if (rc)
		return rc;
	rc = store_stmt(st, sql_close, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, before);
	sqlite3_bind_int64(s, 2, now);
	rc = store_step_done(st, s, "closing quiet flags", err);
	if (!rc)
		*n = sqlite3_changes(st->db);
	return rc;
}

/* ---- members and history ------------------------------------------------ */

void store_flag_members_free(struct store_flag_member *m, size_t n)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < n; i++) {
		free(m[i].source);
		free(m[i].source_id);
		free(m[i].category);
		free(m[i].community);
		free(m[i].contact_masked);
		free(m[i].title);
		free(m[i].status);
	}
	free(m);
}

sq_err store_flag_members(struct sq_store *st, int64_t flag_id, size_t limit,
			  struct store_flag_member **out, size_t *n, struct sq_error *err)
{
	/* The first `limit` put in order through the narrow index (schema
	 * step 18), and only their wide rows read. */
	static const char sql[] =
		"SELECT c.id, COALESCE(c.incident_id, 0), c.received_at, f.revision, c.source,"
		" c.source_id, c.category, c.community, c.contact_masked,"
		" COALESCE(NULLIF(c.title, ''), substr(c.text, 1, 40)), c.status"
		" FROM (SELECT m.complaint_id AS id, m.revision AS revision, k.received_at AS at"
		"       FROM flag_members m"
		"       JOIN complaints k INDEXED BY complaints_incident_by_id ON k.id = m.complaint_id"
		"       WHERE m.flag_id = ?1 ORDER BY k.received_at, k.id LIMIT ?2) f"
		" JOIN complaints c ON c.id = f.id ORDER BY f.at, f.id";
	struct store_flag_member *arr = NULL;
	size_t cap = 0;
	sqlite3_stmt *s;
	int step, oom = 0;
	sq_err rc;

	*out = NULL;
	*n = 0;
	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, flag_id);
	sqlite3_bind_int64(s, 2, limit && limit < INT64_MAX ? (int64_t)limit : -1);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_flag_member *m;

		if (sq_array_reserve((void **)&arr, &cap, *n + 1, sizeof(*arr))) {
			oom = 1;
			break;
		}
		m = &arr[(*n)++];
		memset(m, 0, sizeof(*m));
		m->complaint_id = col_i64(s, 0);
		m->incident_id = col_i64(s, 1);
		m->received_at = col_i64(s, 2);
		m->revision = col_i64(s, 3);
		m->source = store_col_text(s, 4, &oom);
		m->source_id = store_col_text(s, 5, &oom);
		m->category = store_col_text(s, 6, &oom);
		m->community = store_col_text(s, 7, &oom);
		m->contact_masked = store_col_text(s, 8, &oom);
		m->title = store_col_text(s, 9, &oom);
		m->status = store_col_text(s, 10, &oom);
		if (oom)
			break;
	}
	sqlite3_reset(s);
	if (oom || step != SQLITE_DONE) {
		store_flag_members_free(arr, *n);
		*n = 0;
		return oom ? sq_fail(err, SQ_ENOMEM, "out of memory reading flag members")
			   : store_db_error(st, "reading flag members", err);
	}
	*out = arr;
	return SQ_OK;
}

void store_flag_events_free(struct store_flag_event *e, size_t n)
{
	size_t i;

	if (!e)
		return;
	for (i = 0; i < n; i++) {
		free(e[i].event);
		free(e[i].state);
		free(e[i].severity);
		free(e[i].note);
	}
	free(e);
}

sq_err store_flag_history(struct sq_store *st, int64_t flag_id, struct store_flag_event **out,
			  size_t *n, struct sq_error *err)
{
	static const char sql[] =
		"SELECT at, revision, members, event, state, severity, note FROM flag_history"
		" WHERE flag_id = ?1 ORDER BY id";
	struct store_flag_event *arr = NULL;
	size_t cap = 0;
	sqlite3_stmt *s;
	int step, oom = 0;
	sq_err rc;

	*out = NULL;
	*n = 0;
	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, flag_id);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_flag_event *e;

		if (sq_array_reserve((void **)&arr, &cap, *n + 1, sizeof(*arr))) {
			oom = 1;
			break;
		}
		e = &arr[(*n)++];
		memset(e, 0, sizeof(*e));
		e->at = col_i64(s, 0);
		e->revision = col_i64(s, 1);
		e->members = col_i64(s, 2);
		e->event = store_col_text(s, 3, &oom);
		e->state = store_col_text(s, 4, &oom);
		e->severity = store_col_text(s, 5, &oom);
		e->note = store_col_text(s, 6, &oom);
		if (oom)
			break;
	}
	sqlite3_reset(s);
	if (oom || step != SQLITE_DONE) {
		store_flag_events_free(arr, *n);
		*n = 0;
		return oom ? sq_fail(err, SQ_ENOMEM, "out of memory reading flag history")
			   : store_db_error(st, "reading flag history", err);
	}
	*out = arr;
	return SQ_OK;
}
