/* Early warning: read the look-back period once, run every detector,
 * apply their findings to flags in one transaction. */
#include "detect.h"

#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "detect/detector.h"
#include "flag.h"
#include "notify.h"
#include "store.h"
#include "banned.h"

#define LEVEL_MAX 10
#define DETECTORS_MAX 16   /* registry.c lists fewer */

/* ---- finding helpers ------------------------------------------------------ */

void detect_finding_init(struct detect_finding *f, enum flag_kind kind)
{
	memset(f, 0, sizeof(*f));
	f->kind = kind;
	f->severity = FLAG_MEDIUM;
	f->min_fresh = 1;
}

void detect_finding_release(struct detect_finding *f)
{
	free(f->cause_key);
	free(f->summary);
	free(f->detail);
	free(f->category);
	free(f->community);
	free(f->members);
	memset(f, 0, sizeof(*f));
}

__attribute__((format(printf, 2, 0)))
static sq_err vset(char **dst, const char *fmt, va_list ap)
{
	struct sq_buf b = SQ_BUF_INIT;
	char *s;

	if (sq_buf_vaddf(&b, fmt, ap) || !(s = sq_buf_detach(&b))) {
		sq_buf_release(&b);
		return SQ_ENOMEM;
	}
	free(*dst);
	*dst = s;
	return SQ_OK;
}

sq_err detect_finding_key(struct detect_finding *f, const char *fmt, ...)
{
	va_list ap;
	sq_err rc;

	va_start(ap, fmt);
	rc = vset(&f->cause_key, fmt, ap);
	va_end(ap);
	return rc;
}

sq_err detect_finding_summary(struct detect_finding *f, const char *fmt, ...)
{
	va_list ap;
	sq_err rc;

	va_start(ap, fmt);
	rc = vset(&f->summary, fmt, ap);
	va_end(ap);
	return rc;
}

sq_err detect_finding_detail(struct detect_finding *f, const char *fmt, ...)
{
	va_list ap;
	sq_err rc;

	va_start(ap, fmt);
	rc = vset(&f->detail, fmt, ap);
	va_end(ap);
	return rc;
}

sq_err detect_finding_place(struct detect_finding *f, const char *category,
			    const char *community)
{
	char *c = category ? sq_strdup(category) : NULL;
	char *m = community ? sq_strdup(community) : NULL;

	if ((category && !c) || (community && !m)) {
		free(c);
		free(m);
		return SQ_ENOMEM;
	}
	free(f->category);
	free(f->community);
	f->category = c;
	f->community = m;
	return SQ_OK;
}

sq_err detect_finding_add(struct detect_finding *f, int64_t id)
{
	size_t i;

	for (i = 0; i < f->nmembers; i++)
		if (f->members[i] == id)
			return SQ_OK;
	return detect_finding_append(f, id);
}

sq_err detect_finding_append(struct detect_finding *f, int64_t id)
{
	if (sq_array_reserve((void **)&f->members, &f->cap, f->nmembers + 1, sizeof(*f->members)))
		return SQ_ENOMEM;
	f->members[f->nmembers++] = id;
	return SQ_OK;
}

sq_err detect_finding_add_unit(struct detect_finding *f, const struct detect_input *in,
			       const struct detect_unit *u)
{
	size_t i;

	for (i = 0; i < u->nrows; i++)
		if (detect_finding_add(f, in->rows[u->rows[i]].id))
			return SQ_ENOMEM;
	return SQ_OK;
}

sq_err detect_emit(struct detect_ctx *ctx, struct detect_finding *f)
{
	struct detect_findings *out = ctx->out;

	if (!f->cause_key || !f->nmembers) {
		detect_finding_release(f);
		return SQ_OK;
	}
	/* Summaries quote titles: no full phone number may be shown or mailed. */
	if (notify_mask_phones_in_place(&f->summary) || notify_mask_phones_in_place(&f->detail)) {
		detect_finding_release(f);
		return sq_fail(ctx->err, SQ_ENOMEM, "out of memory collecting findings");
	}
	if (sq_array_reserve((void **)&out->items, &out->cap, out->n + 1, sizeof(*out->items))) {
		detect_finding_release(f);
		return sq_fail(ctx->err, SQ_ENOMEM, "out of memory collecting findings");
	}
	out->items[out->n++] = *f;
	memset(f, 0, sizeof(*f));
	return SQ_OK;
}

struct text_walk {
	const struct detect_input *in;
	size_t next;   /* first row not yet passed */
	sq_err (*cb)(void *arg, size_t row, const struct store_detect_text *t);
	void *arg;
};

static int row_before(const struct store_detect_row *r, int64_t at, int64_t id)
{
	return r->received_at < at || (r->received_at == at && r->id < id);
}

/* Both sides are in (received_at, id) order: a merge, no lookup per row. */
static sq_err text_step(void *arg, const struct store_detect_text *t)
{
	struct text_walk *w = arg;
	const struct detect_input *in = w->in;

	while (w->next < in->nrows && row_before(&in->rows[w->next], t->received_at, t->id))
		w->next++;
	if (w->next == in->nrows || in->rows[w->next].id != t->id)
		return SQ_OK;   /* stored since the rows were read: not in this run */
	return w->cb(w->arg, w->next++, t);
}

sq_err detect_each_text(struct detect_ctx *ctx, int64_t since,
			sq_err (*cb)(void *arg, size_t row, const struct store_detect_text *t),
			void *arg)
{
	struct text_walk w = { ctx->in, 0, cb, arg };

	if (since < ctx->in->since)
		since = ctx->in->since;
	if (!ctx->in->nrows)
		return SQ_OK;
	return store_detect_texts(ctx->st, since, ctx->now, text_step, &w, ctx->err);
}

/*
 * detect_each_memo merges the rows [next, end) with the kept memos, both in
 * (received_at, id) order: a row with a memo gets it, a row without one
 * gets one derived from its texts, read then by id (most rows of a run
 * have one: only what came since the last run is read and derived).
 */
struct memo_walk {
	struct detect_ctx *ctx;
	int version;
	sq_err (*derive)(const char *title, const char *text, struct sq_buf *out);
	sq_err (*cb)(void *arg, size_t row, const char *memo);
	void *arg;
	struct sq_buf memo;
	size_t next, end;
};

/* Row w->next's memo, derived from its texts and added to the run's. */
static sq_err memo_derived(void *arg, const struct store_detect_text *t)
{
	struct memo_walk *w = arg;
	struct detect_memos *ms = w->ctx->memos;
	struct store_detect_memo *m;

	sq_buf_reset(&w->memo);
	if (w->derive(t->title, t->text, &w->memo) ||
	    sq_array_reserve((void **)&ms->items, &ms->cap, ms->n + 1, sizeof(*ms->items)))
		return sq_fail(w->ctx->err, SQ_ENOMEM, "out of memory deriving memos");
	m = &ms->items[ms->n];
	m->detector = w->ctx->name;
	m->version = w->version;
	m->complaint_id = t->id;
	m->received_at = t->received_at;
	if (!(m->memo = sq_strdup(sq_buf_str(&w->memo))))
		return sq_fail(w->ctx->err, SQ_ENOMEM, "out of memory deriving memos");
	ms->n++;
	return w->cb(w->arg, w->next, m->memo);
}

/* Derive the memos of the rows before (at, id): none is kept for them. */
static sq_err memos_derived_before(struct memo_walk *w, int64_t at, int64_t id)
{
	const struct store_detect_row *rows = w->ctx->in->rows;
	sq_err rc = SQ_OK;

	for (; !rc && w->next < w->end && row_before(&rows[w->next], at, id); w->next++)
		rc = store_detect_text_of(w->ctx->st, rows[w->next].id, memo_derived, w,
					  w->ctx->err);
	return rc;
}

/* A kept memo: the rows before it have none; its own row (if any) has it. */
static sq_err memo_kept(void *arg, const struct store_detect_text *t)
{
	struct memo_walk *w = arg;
	const struct store_detect_row *rows = w->ctx->in->rows;
	sq_err rc = memos_derived_before(w, t->received_at, t->id);

	if (rc || w->next == w->end || rows[w->next].id != t->id)
		return rc;   /* not a row of this run (voided, or stored since) */
	return w->cb(w->arg, w->next++, t->memo);
}

sq_err detect_each_memo(struct detect_ctx *ctx, int64_t since, int version,
			sq_err (*derive)(const char *title, const char *text, struct sq_buf *out),
			sq_err (*cb)(void *arg, size_t row, const char *memo), void *arg)
{
	const struct detect_input *in = ctx->in;
	struct memo_walk w = { ctx, version, derive, cb, arg, SQ_BUF_INIT, 0, in->nrows };
	sq_err rc;

	if (since < in->since)
		since = in->since;
	while (w.next < w.end && in->rows[w.next].received_at < since)
		w.next++;
	while (w.end > w.next && in->rows[w.end - 1].received_at > ctx->now)
		w.end--;
	if (w.next == w.end)
		return SQ_OK;
	rc = store_detect_memos(ctx->st, ctx->name, version, since, ctx->now, memo_kept, &w,
				ctx->err);
	if (!rc)
		rc = memos_derived_before(&w, INT64_MAX, INT64_MAX);
	sq_buf_release(&w.memo);
	return rc;
}

static void memos_release(struct detect_memos *ms)
{
	size_t i;

	for (i = 0; i < ms->n; i++)
		free(ms->items[i].memo);
	free(ms->items);
	memset(ms, 0, sizeof(*ms));
}

int64_t detect_local_day(const struct detect_ctx *ctx, int64_t t)
{
	int64_t l = t + ctx->cfg->tz_offset_s;

	return l >= 0 ? l / 86400 : -((-l + 86399) / 86400);
}

const char *detect_duration_label(int64_t ms, char *buf, size_t size)
{
	int64_t s = ms / 1000;

	if (s >= 86400 && s % 86400 == 0)
		snprintf(buf, size, "%lld天", (long long)(s / 86400));
	else if (s >= 3600 && s % 3600 == 0)
		snprintf(buf, size, "%lld小时", (long long)(s / 3600));
	else
		snprintf(buf, size, "%lld分钟", (long long)((s + 59) / 60));
	return buf;
}

/*
 * ln Γ(x): lgamma_r, not lgamma, which sets the global signgam and so races
 * when detectors run on two threads (ThreadSanitizer saw it).
 */
static double ln_gamma(double x)
{
	int sign;

	return lgamma_r(x, &sign);
}

double detect_poisson_sf(int64_t k, double lambda)
{
	double term, sum = 0.0;
	int64_t i;

	if (k <= 0)
		return 1.0;
	if (lambda <= 0.0)
		return 0.0;
	/* Sum the upper tail directly: 1 - CDF loses the small values that matter. */
	term = exp(-lambda + (double)k * log(lambda) - ln_gamma((double)k + 1.0));
	for (i = k; i < k + 2000; i++) {
		sum += term;
		term *= lambda / (double)(i + 1);
		if (term < sum * 1e-15)
			break;
	}
	return sum > 1.0 ? 1.0 : sum;
}

double detect_surprise(int64_t k, double base, double blocks)
{
	double r = base + 0.5, q, term, sum = 0.0;
	int64_t x;

	if (k <= 0)
		return 1.0;
	if (blocks <= 0)
		return 1.0;
	q = 1.0 / (blocks + 1.0);   /* NB(r, p = blocks / (blocks + 1)) */
	term = exp(ln_gamma((double)k + r) - ln_gamma(r) - ln_gamma((double)k + 1.0) +
		   r * log(1.0 - q) + (double)k * log(q));
	for (x = k; x < k + 100000; x++) {
		sum += term;
		term *= ((double)x + r) / ((double)x + 1.0) * q;
		if (term < sum * 1e-15)
			break;
	}
	return sum > 1.0 ? 1.0 : sum;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

size_t detect_count_complainants(const struct detect_input *in,
				 const struct detect_unit *const *units, size_t n)
{
	const char **hashes;
	size_t i, j, nh = 0, total = 0, anonymous = 0, distinct = 0;

	for (i = 0; i < n; i++)
		total += units[i]->nrows;
	hashes = total ? malloc(total * sizeof(*hashes)) : NULL;
	if (!hashes)
		return total;   /* no memory: every complaint as its own complainant */
	for (i = 0; i < n; i++) {
		for (j = 0; j < units[i]->nrows; j++) {
			const char *h = in->rows[units[i]->rows[j]].contact_hash;

			if (h && *h)
				hashes[nh++] = h;
			else
				anonymous++;
		}
	}
	qsort(hashes, nh, sizeof(*hashes), cmp_str);
	for (i = 0; i < nh; i++)
		if (i == 0 || strcmp(hashes[i], hashes[i - 1]))
			distinct++;
	free(hashes);
	return distinct + anonymous;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

size_t detect_count_distinct(int64_t *keys, size_t n)
{
	size_t i, distinct = 0;

	if (!n)
		return 0;
	qsort(keys, n, sizeof(*keys), cmp_i64);
	for (i = 0; i < n; i++)
		distinct += i == 0 || keys[i] != keys[i - 1];
	return distinct;
}

double detect_distance_m(double lat1, double lon1, double lat2, double lon2)
{
	const double r = 6371008.8, rad = M_PI / 180.0;
	double dlat = (lat2 - lat1) * rad, dlon = (lon2 - lon1) * rad;
	double a = sin(dlat / 2) * sin(dlat / 2) +
		   cos(lat1 * rad) * cos(lat2 * rad) * sin(dlon / 2) * sin(dlon / 2);

	return 2 * r * atan2(sqrt(a), sqrt(1 - a));
}

/* ---- the input: rows grouped into units ------------------------------------ */

struct keyed {
	int64_t key;
	size_t row;
};

static int cmp_keyed(const void *a, const void *b)
{
	const struct keyed *x = a, *y = b;

	if (x->key != y->key)
		return x->key < y->key ? -1 : 1;
	return x->row < y->row ? -1 : x->row > y->row;
}

/*
 * Sort k[0..n) by (key, row): one radix sort of the pair packed into 64
 * bits when every key and row fits (short of 16M rows or ids beyond 2^38,
 * always), a qsort of the pairs otherwise.  At 1M stored a detect run
 * groups ~190k rows; the qsort's call per comparison was most of it.
 */
#define ROW_BITS 24
#define KEY_LIMIT ((int64_t)1 << 38)

static void sort_keyed(struct keyed *k, size_t n)
{
	uint64_t *v = NULL;
	size_t i;

	if (n < 2)
		return;
	for (i = 0; i < n && n < (size_t)1 << ROW_BITS; i++)
		if (k[i].key <= -KEY_LIMIT || k[i].key >= KEY_LIMIT)
			break;
	if (i == n && n < (size_t)1 << ROW_BITS)
		v = malloc(n * sizeof(*v));
	if (!v) {
		qsort(k, n, sizeof(*k), cmp_keyed);
		return;
	}
	for (i = 0; i < n; i++)
		v[i] = (uint64_t)(k[i].key + KEY_LIMIT) << ROW_BITS | (uint64_t)k[i].row;
	sq_sort_u64(v, n);
	for (i = 0; i < n; i++) {
		k[i].key = (int64_t)(v[i] >> ROW_BITS) - KEY_LIMIT;
		k[i].row = (size_t)(v[i] & (((uint64_t)1 << ROW_BITS) - 1));
	}
	free(v);
}

static int cmp_unit(const void *a, const void *b)
{
	const struct detect_unit *x = a, *y = b;

	if (x->at != y->at)
		return x->at < y->at ? -1 : 1;
	return x->key < y->key ? -1 : x->key > y->key;
}

/*
 * Sort units[0..n) by (at, key).  They come in key order, so the key's
 * place is the unit's index: (at - the earliest at, index) packed into 63
 * bits go through one radix sort when both fit (short of 16M units or
 * 2^39 seconds between the earliest and the latest at, always), and the
 * units move in place along the cycles of that order; a qsort of the units
 * otherwise.
 */
#define AT_SPAN_LIMIT ((int64_t)1 << (63 - ROW_BITS))
#define MOVED ((uint64_t)1 << 63)

static void sort_units(struct detect_unit *units, size_t n)
{
	const uint64_t index = ((uint64_t)1 << ROW_BITS) - 1;
	struct detect_unit first;
	uint64_t *v = NULL;
	int64_t lo = INT64_MAX, hi = INT64_MIN;
	size_t i, j, from;

	for (i = 0; i < n; i++) {
		lo = units[i].at < lo ? units[i].at : lo;
		hi = units[i].at > hi ? units[i].at : hi;
	}
	if (n > 1 && n < (size_t)1 << ROW_BITS && hi - lo >= 0 && hi - lo < AT_SPAN_LIMIT)
		v = malloc(n * sizeof(*v));
	if (!v) {
		qsort(units, n, sizeof(*units), cmp_unit);
		return;
	}
	for (i = 0; i < n; i++)
		v[i] = (uint64_t)(units[i].at - lo) << ROW_BITS | (uint64_t)i;
	sq_sort_u64(v, n);
	/* place j takes the unit at v[j]'s index; each cycle once */
	for (i = 0; i < n; i++) {
		if (v[i] & MOVED)
			continue;
		first = units[i];
		for (j = i;; j = from) {
			from = (size_t)(v[j] & index);
			v[j] |= MOVED;
			if (from == i) {
				units[j] = first;
				break;
			}
			units[j] = units[from];
		}
	}
	free(v);
}

struct input_owner {
	struct detect_input in;
	struct store_detect_rows rows, overdue;
	size_t *row_index;   /* backing store of every unit's rows */
};

static void input_release(struct input_owner *o)
{
	free(o->in.units);
	free(o->row_index);
	store_detect_rows_release(&o->rows);
	store_detect_rows_release(&o->overdue);
	memset(o, 0, sizeof(*o));
}

static sq_err build_units(struct input_owner *o, struct sq_error *err)
{
	const struct store_detect_row *r = o->rows.rows;
	size_t n = o->rows.n, i, nu = 0;
	struct keyed *k;

	if (!n)
		return SQ_OK;
	k = malloc(n * sizeof(*k));
	o->row_index = malloc(n * sizeof(*o->row_index));
	o->in.units = calloc(n, sizeof(*o->in.units));
	if (!k || !o->row_index || !o->in.units) {
		free(k);
		return sq_fail(err, SQ_ENOMEM, "out of memory grouping incidents");
	}
	for (i = 0; i < n; i++) {
		k[i].key = r[i].incident_id ? r[i].incident_id : -r[i].id;
		k[i].row = i;
	}
	sort_keyed(k, n);
	for (i = 0; i < n; i++) {
		struct detect_unit *u;
		const struct store_detect_row *row = &r[k[i].row];

		o->row_index[i] = k[i].row;
		if (i == 0 || k[i].key != k[i - 1].key) {
			u = &o->in.units[nu++];
			u->key = k[i].key;
			u->at = row->unit_at;
			u->category = row->category;
			u->community = row->community;
			u->rows = &o->row_index[i];
		}
		u = &o->in.units[nu - 1];
		u->nrows++;
		if (!u->grid && row->grid)
			u->grid = row->grid;
		if (!u->has_pos && row->has_pos) {
			u->has_pos = 1;
			u->lat = row->lat;
			u->lon = row->lon;
		}
	}
	free(k);
	o->in.nunits = nu;
	sort_units(o->in.units, nu);
	return SQ_OK;
}

/* ---- applying findings ----------------------------------------------------- */

static int64_t level_for(int64_t threshold, int64_t units)
{
	int64_t level = 1, need = threshold;

	if (threshold <= 0)
		return 1;
	while (level < LEVEL_MAX && need <= INT64_MAX / 2 && units >= need * 2) {
		need *= 2;
		level++;
	}
	return level;
}

static const char *severity_at(enum flag_severity base, int64_t level)
{
	int64_t s = (int64_t)base + level - 1;

	return flag_severity_name(s >= FLAG_HIGH ? FLAG_HIGH : (enum flag_severity)s);
}

/* Replace *dst by a copy of src (NULL allowed). */
static int reset_str(char **dst, const char *src)
{
	char *c = NULL;

	if (src && !(c = sq_strdup(src)))
		return -1;
	free(*dst);
	*dst = c;
	return 0;
}

/*
 * The level flag fl has reached after members joined it.  Counting its
 * incidents reads every member, and a flag that lives long (an estate's
 * overdue items) holds many: they are counted only when the flag holds
 * enough complaints to reach its next level.
 */
static sq_err reached_level(struct sq_store *st, const struct store_flag *fl, int64_t threshold,
			    int64_t *level, struct sq_error *err)
{
	int64_t members = 0, units = 0, need;
	sq_err rc;

	*level = fl->level;
	if (threshold <= 0 || fl->level >= LEVEL_MAX || fl->level < 1 ||
	    threshold > (INT64_MAX >> fl->level))
		return SQ_OK;   /* level_for could not give more than fl->level */
	need = threshold << fl->level;   /* threshold * 2^level: the next level's */
	rc = store_flag_size(st, fl->id, &members, NULL, err);
	if (rc || members < need)
		return rc;   /* never more incidents than complaints */
	rc = store_flag_size(st, fl->id, NULL, &units, err);
	if (!rc)
		*level = level_for(threshold, units);
	return rc;
}

static sq_err grow_flag(struct sq_store *st, const struct sq_config *cfg, struct store_flag *fl,
			struct detect_finding *f, int64_t now, struct detect_stats *stats,
			struct sq_error *err)
{
	int64_t added = 0, level;
	sq_err rc;

	rc = store_flag_add_members(st, fl->id, f->members, f->nmembers, now, &added, err);
	if (rc || !added)
		return rc;
	rc = reached_level(st, fl, f->threshold, &level, err);
	if (rc)
		return rc;
	if (reset_str(&fl->summary, f->summary) || reset_str(&fl->detail, f->detail))
		return sq_fail(err, SQ_ENOMEM, "out of memory updating a flag");
	if (level <= fl->level) {
		stats->grown++;
		return store_flag_update(st, fl, "grew", NULL, now, err);
	}
	/* Escalation: a new revision, mailed again, back to open until sent. */
	{
		const char *sev = severity_at(f->severity, level);
		int old = flag_severity_parse(fl->severity), neu = flag_severity_parse(sev);

		fl->level = level;
		fl->revision++;
		if (neu > old && reset_str(&fl->severity, sev))
			return sq_fail(err, SQ_ENOMEM, "out of memory updating a flag");
		if (reset_str(&fl->state, flag_state_name(FLAG_OPEN)))
			return sq_fail(err, SQ_ENOMEM, "out of memory updating a flag");
	}
	rc = store_flag_update(st, fl, "escalated", NULL, now, err);
	if (!rc)
		rc = notify_enqueue(st, cfg, fl->id, now, err);
	if (!rc) {
		stats->escalated++;
		stats->queued++;
	}
	return rc;
}

static sq_err open_flag(struct sq_store *st, const struct sq_config *cfg,
			struct detect_finding *f, int64_t now, struct detect_stats *stats,
			struct sq_error *err)
{
	struct store_flag fl = { 0 };
	const char *kind = flag_kind_name(f->kind);
	int64_t id = 0, added = 0;
	size_t known = 0;
	sq_err rc;

	rc = store_flag_count_known(st, f->cause_key, f->known_by_kind ? kind : NULL, f->members,
				    f->nmembers, &known, err);
	if (rc)
		return rc;
	if (known == f->nmembers || (known && (int64_t)(f->nmembers - known) < f->min_fresh))
		return SQ_OK;   /* the same cause, already flagged (and closed) */
	fl.kind = (char *)kind;
	fl.cause_key = f->cause_key;
	fl.severity = (char *)flag_severity_name(f->severity);
	fl.level = 1;
	fl.summary = f->summary;
	fl.detail = f->detail;
	fl.category = f->category;
	fl.community = f->community;
	rc = store_flag_create(st, &fl, now, &id, err);
	memset(&fl, 0, sizeof(fl));
	if (!rc)
		rc = store_flag_add_members(st, id, f->members, f->nmembers, now, &added, err);
	if (!rc)
		rc = store_flag_get(st, id, &fl, err);
	if (rc)
		goto out;
	fl.level = level_for(f->threshold, fl.nunits);
	if (reset_str(&fl.severity, severity_at(f->severity, fl.level))) {
		rc = sq_fail(err, SQ_ENOMEM, "out of memory raising a flag");
		goto out;
	}
	rc = store_flag_update(st, &fl, "opened", NULL, now, err);
	if (!rc)
		rc = notify_enqueue(st, cfg, id, now, err);
	if (!rc) {
		stats->opened++;
		stats->queued++;
		if (f->kind == FLAG_URGENT)
			stats->urgent++;
	}
out:
	store_flag_release(&fl);
	return rc;
}

static sq_err apply_finding(struct sq_store *st, const struct sq_config *cfg,
			    struct detect_finding *f, int64_t now, struct detect_stats *stats,
			    struct sq_error *err)
{
	struct store_flag fl = { 0 };
	int64_t other = 0;
	sq_err rc;

	rc = store_flag_find_live(st, f->cause_key, &fl, err);
	if (!rc && !fl.id && f->match_overlap) {
		rc = store_flag_find_overlap(st, flag_kind_name(f->kind), f->category, f->members,
					     f->nmembers, &other, err);
		if (!rc && other)
			rc = store_flag_get(st, other, &fl, err);
	}
	if (!rc)
		rc = fl.id ? grow_flag(st, cfg, &fl, f, now, stats, err)
			   : open_flag(st, cfg, f, now, stats, err);
	store_flag_release(&fl);
	return rc;
}

/* ---- the run ----------------------------------------------------------- */

static int disabled(const struct sq_detect_config *dc, const char *name)
{
	size_t i;

	for (i = 0; i < dc->disable.n; i++)
		if (dc->disable.items[i] && !strcmp(dc->disable.items[i], name))
			return 1;
	return 0;
}

const char *const *detect_detector_names(void)
{
	static const char *const names[] = {
		"cluster", "surge", "spacetime", "common_cause", "urgent", "overdue", NULL,
	};

	return names;
}

/*
 * The earliest deadline the overdue detector reads: items that passed
 * deadline + grace within the overdue window, or since its last run when
 * that was longer ago (a timer stopped for a fortnight loses nothing).
 * Older ones joined their flag on the run that saw them pass it; reading
 * them again every run made detection grow with the store (issue #8).
 */
static sq_err overdue_since(struct sq_store *st, const struct sq_detect_config *dc, int64_t now,
			    int64_t *since, struct sq_error *err)
{
	int64_t grace = dc->overdue_grace_ms / 1000, last = 0;
	sq_err rc;

	*since = now - grace - dc->overdue_window_ms / 1000;
	rc = store_detector_last_run(st, "overdue", &last, err);
	if (!rc && last > 0 && last - grace < *since)
		*since = last - grace;
	return rc;
}

static void findings_release(struct detect_findings *fs)
{
	size_t i;

	for (i = 0; i < fs->n; i++)
		detect_finding_release(&fs->items[i]);
	free(fs->items);
	memset(fs, 0, sizeof(*fs));
}

/* One detector's run: its context, and what it found and derived. */
struct detector_run {
	const struct sq_detector *d;
	struct detect_ctx ctx;
	struct detect_findings found;
	struct detect_memos memos;
	struct sq_error err;
	sq_err rc;
};

/*
 * The enabled detectors of a run, runs[front, back) not started yet: the
 * store's thread takes them from the front, the second thread from the
 * back (registry.c puts the costliest near the end).
 */
struct run_queue {
	struct detector_run *runs;
	size_t front, back;
	pthread_mutex_t lock;
};

/* A second thread's share of the detectors, read through its own connection. */
struct second_thread {
	struct run_queue *q;
	struct sq_store *reader;
};

static struct detector_run *run_take(struct run_queue *q, int from_back)
{
	struct detector_run *r = NULL;

	pthread_mutex_lock(&q->lock);
	if (q->front < q->back)
		r = from_back ? &q->runs[--q->back] : &q->runs[q->front++];
	pthread_mutex_unlock(&q->lock);
	return r;
}

/* Run detectors off q until none is left, reading through st. */
static void runs_work(struct run_queue *q, struct sq_store *st, int from_back)
{
	struct detector_run *r;

	while ((r = run_take(q, from_back))) {
		r->ctx.st = st;
		r->rc = r->d->run(&r->ctx);
	}
}

static void *second_thread_run(void *arg)
{
	struct second_thread *t = arg;

	runs_work(t->q, t->reader, 1);
	return NULL;
}

/*
 * Run the n detectors: they only read the input and the store, each into
 * its own findings, memos and error, so two threads share them, the
 * second reading through a connection of its own; one thread when the
 * store has none to give (in memory) or there is one detector.
 */
static void runs_run(struct sq_store *st, struct detector_run *runs, size_t n)
{
	struct run_queue q = { runs, 0, n, PTHREAD_MUTEX_INITIALIZER };
	struct second_thread second = { &q, NULL };
	struct sq_error ignored;
	pthread_t thread;
	int two = 0;

	if (n > 1 && !store_open_reader(st, &second.reader, &ignored)) {
		two = pthread_create(&thread, NULL, second_thread_run, &second) == 0;
		if (!two)
			store_close(second.reader);
	}
	runs_work(&q, st, 0);
	if (two) {
		pthread_join(thread, NULL);
		store_close(second.reader);
	}
	pthread_mutex_destroy(&q.lock);
}

/* Move what run r found and derived to the end of found and memos. */
static sq_err runs_gather(struct detector_run *r, struct detect_findings *found,
			  struct detect_memos *memos, struct sq_error *err)
{
	if (sq_array_reserve((void **)&found->items, &found->cap, found->n + r->found.n,
			     sizeof(*found->items)) ||
	    sq_array_reserve((void **)&memos->items, &memos->cap, memos->n + r->memos.n,
			     sizeof(*memos->items)))
		return sq_fail(err, SQ_ENOMEM, "out of memory collecting findings");
	if (r->found.n)
		memcpy(found->items + found->n, r->found.items, r->found.n * sizeof(*found->items));
	if (r->memos.n)
		memcpy(memos->items + memos->n, r->memos.items, r->memos.n * sizeof(*memos->items));
	found->n += r->found.n;
	memos->n += r->memos.n;
	r->found.n = r->memos.n = 0;
	return SQ_OK;
}

static void runs_release(struct detector_run *runs, size_t n)
{
	size_t i;

	for (i = 0; runs && i < n; i++) {
		findings_release(&runs[i].found);
		memos_release(&runs[i].memos);
	}
	free(runs);
}

/*
 * Set up a run per enabled detector (*n of them) with when it last ran;
 * the store is read here, on this thread, before any detector starts.
 */
static sq_err runs_prepare(struct sq_store *st, const struct sq_config *cfg, int64_t now,
			   const struct detect_input *in, struct detector_run **out, size_t *n,
			   struct sq_error *err)
{
	const struct sq_detector *const *reg = detect_registry();
	struct detector_run *runs;
	size_t i, nreg = 0;
	sq_err rc = SQ_OK;

	*n = 0;
	while (reg[nreg])
		nreg++;
	if (!(runs = calloc(nreg ? nreg : 1, sizeof(*runs))))
		return sq_fail(err, SQ_ENOMEM, "out of memory running the detectors");
	for (i = 0; !rc && reg[i]; i++) {
		struct detector_run *r = &runs[*n];

		if (disabled(&cfg->detect, reg[i]->name))
			continue;
		r->d = reg[i];
		r->ctx.cfg = cfg;
		r->ctx.dc = &cfg->detect;
		r->ctx.now = now;
		r->ctx.in = in;
		r->ctx.out = &r->found;
		r->ctx.name = reg[i]->name;
		r->ctx.memos = &r->memos;
		r->ctx.err = &r->err;
		rc = store_detector_last_run(st, reg[i]->name, &r->ctx.last_run_at, err);
		(*n)++;
	}
	if (rc) {
		runs_release(runs, *n);
		return rc;
	}
	*out = runs;
	return SQ_OK;
}

/*
 * Run the detectors; then, in registry order (the order of their findings,
 * whichever thread ran them), take what they found and derived, and the
 * first failure.  ran[] gets the names of those that did their periodic
 * work.
 */
static sq_err run_detectors(struct sq_store *st, const struct sq_config *cfg, int64_t now,
			    const struct detect_input *in, struct detect_findings *found,
			    struct detect_memos *memos, const char **ran, size_t *nran,
			    struct detect_stats *stats, struct sq_error *err)
{
	struct detector_run *runs = NULL;
	size_t n, i;
	sq_err rc = runs_prepare(st, cfg, now, in, &runs, &n, err);

	if (rc)
		return rc;
	runs_run(st, runs, n);
	for (i = 0; !rc && i < n; i++) {
		struct detector_run *r = &runs[i];

		if (r->rc) {
			*err = r->err;
			sq_error_prefix(err, "detector %s: ", r->d->name);
			rc = r->rc;
			break;
		}
		stats->scans += r->ctx.scans;
		stats->replicates += r->ctx.replicates;
		if (r->ctx.ran && *nran < DETECTORS_MAX)
			ran[(*nran)++] = r->d->name;
		rc = runs_gather(r, found, memos, err);
	}
	runs_release(runs, n);
	return rc;
}

sq_err detect_run(struct sq_store *st, const struct sq_config *cfg, int64_t now,
		  struct detect_stats *stats, struct sq_error *err)
{
	const struct sq_detect_config *dc = &cfg->detect;
	const struct sq_detector *const *reg = detect_registry();
	struct input_owner o;
	struct detect_findings found = { 0 };
	struct detect_memos memos = { 0 };
	const char *ran[DETECTORS_MAX];
	size_t nran = 0, i;
	int64_t lookback = 0;
	sq_err rc = SQ_OK;

	memset(stats, 0, sizeof(*stats));
	memset(&o, 0, sizeof(o));
	for (i = 0; reg[i]; i++) {
		int64_t l = reg[i]->lookback ? reg[i]->lookback(dc) : 0;

		if (!disabled(dc, reg[i]->name) && l > lookback)
			lookback = l;
	}
	o.in.since = now - lookback;
	if (!disabled(dc, "overdue"))
		rc = overdue_since(st, dc, now, &o.in.overdue_since, err);
	if (!rc)
		rc = store_detect_load(st, o.in.since, now, &o.rows, o.in.overdue_since,
				       disabled(dc, "overdue") ? NULL : &o.overdue, err);
	if (!rc)
		rc = build_units(&o, err);
	if (rc)
		goto out;
	o.in.rows = o.rows.rows;
	o.in.nrows = o.rows.n;
	o.in.overdue = &o.overdue;
	stats->complaints = (int64_t)o.rows.n;
	stats->units = (int64_t)o.in.nunits;

	rc = run_detectors(st, cfg, now, &o.in, &found, &memos, ran, &nran, stats, err);
	if (rc)
		goto out;
	stats->findings = (int64_t)found.n;

	rc = store_begin(st, err);
	if (rc)
		goto out;
	if (dc->flag_quiet_ms > 0)
		rc = store_flag_expire(st, now - dc->flag_quiet_ms / 1000, now, &stats->expired, err);
	for (i = 0; !rc && i < nran; i++)
		rc = store_detector_mark_run(st, ran[i], now, err);
	if (!rc)
		rc = store_detect_memo_put(st, memos.items, memos.n, o.in.since, err);
	for (i = 0; !rc && i < found.n; i++)
		rc = apply_finding(st, cfg, &found.items[i], now, stats, err);
	if (!rc)
		rc = store_commit(st, err);
	if (rc) {
		store_rollback(st);
		/* Counters describe what was committed: nothing. */
		stats->opened = stats->grown = stats->escalated = stats->expired = 0;
		stats->queued = stats->urgent = 0;
	}
out:
	findings_release(&found);
	memos_release(&memos);
	input_release(&o);
	return rc;
}
