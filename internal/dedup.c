/*
 * Record linkage of complaints into incidents: blocking, scoring and the
 * decision (dedup.h).  The comparisons themselves are in dedup_compare.c,
 * the SQL in store_incidents.c.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dedup.h"
#include "dedup_compare.h"
#include "normalize.h"
#include "taxonomy.h"
#include "banned.h"

/* Candidate limits: the nearest in time of each block, and in all. */
#define BLOCK_LIMIT 60
#define BAND_LIMIT 5
#define MAX_CANDIDATES 400
#define PRUNE_SLICE 1000   /* complaints whose index rows one call removes */

/* Coordinate blocking cells: 0.002 degrees (about 220 m north-south). */
#define CELL_DEG 0.002
#define CELL_M 200.0

/* The naive rule: same phone number within this many seconds. */
#define NAIVE_WINDOW_S (24 * 3600)

/* ---- the document-frequency cache ---------------------------------------- */

/*
 * term -> df for the terms this run has looked up, kept in step with the
 * increments this run writes.  Only one poll runs at a time (the poll
 * lock); an import beside it can leave a cached count a little behind,
 * which blurs an idf slightly and decides nothing.  Open addressing; term 0
 * never occurs (a term's first code point is non-zero), so it marks empty.
 */
struct df_cache {
	uint64_t *term;
	int64_t *df;
	double *ldf;              /* log(1 + df): spares a log per term and pair */
	size_t cap, n;
};

#define DF_CACHE_MAX ((size_t)1 << 22)

static size_t term_hash(uint64_t term, size_t cap)
{
	return (size_t)((term * 0x9e3779b97f4a7c15ULL) >> 17) & (cap - 1);
}

static size_t df_slot(const struct df_cache *c, uint64_t term)
{
	size_t i = term_hash(term, c->cap);

	while (c->term[i] && c->term[i] != term)
		i = (i + 1) & (c->cap - 1);
	return i;
}

static void df_cache_release(struct df_cache *c)
{
	free(c->term);
	free(c->df);
	free(c->ldf);
	memset(c, 0, sizeof(*c));
}

static sq_err df_cache_grow(struct df_cache *c)
{
	struct df_cache bigger = { 0 };
	size_t i;

	/* A bounded memory cost: past the cap, start again from the store. */
	bigger.cap = c->cap ? c->cap * 2 : 4096;
	if (bigger.cap > DF_CACHE_MAX) {
		memset(c->term, 0, c->cap * sizeof(*c->term));
		c->n = 0;
		return SQ_OK;
	}
	bigger.term = calloc(bigger.cap, sizeof(*bigger.term));
	bigger.df = calloc(bigger.cap, sizeof(*bigger.df));
	bigger.ldf = calloc(bigger.cap, sizeof(*bigger.ldf));
	if (!bigger.term || !bigger.df || !bigger.ldf) {
		df_cache_release(&bigger);
		return SQ_ENOMEM;
	}
	for (i = 0; i < c->cap; i++) {
		if (c->term[i]) {
			size_t j = df_slot(&bigger, c->term[i]);

			bigger.term[j] = c->term[i];
			bigger.df[j] = c->df[i];
			bigger.ldf[j] = c->ldf[i];
			bigger.n++;
		}
	}
	df_cache_release(c);
	*c = bigger;
	return SQ_OK;
}

/* ---- pending document-frequency changes --------------------------------- */

/*
 * The df changes of the complaints linked in this transaction, written to
 * the store once per term (df_flush, before the commit) rather than once
 * per term and complaint: the texts of one page share most of their terms.
 * Reads add them to what the store says.  Bounded: past PENDING_MAX terms
 * they are written early, in the same transaction.  Open addressing keyed
 * by term as in the cache (term 0 never occurs: empty).
 */
struct df_pending {
	struct store_df_delta *slot;
	size_t cap, n;
	int64_t docs;             /* change to the document count */
};

#define PENDING_MAX ((size_t)1 << 18)

static size_t pending_slot(const struct df_pending *p, uint64_t term)
{
	size_t i = term_hash(term, p->cap);

	while (p->slot[i].term && p->slot[i].term != term)
		i = (i + 1) & (p->cap - 1);
	return i;
}

static void pending_reset(struct df_pending *p)
{
	if (p->slot)
		memset(p->slot, 0, p->cap * sizeof(*p->slot));
	p->n = 0;
	p->docs = 0;
}

static sq_err pending_grow(struct df_pending *p)
{
	struct df_pending bigger = { 0 };
	size_t i;

	bigger.cap = p->cap ? p->cap * 2 : 4096;
	bigger.slot = calloc(bigger.cap, sizeof(*bigger.slot));
	if (!bigger.slot)
		return SQ_ENOMEM;
	for (i = 0; i < p->cap; i++)
		if (p->slot[i].term)
			bigger.slot[pending_slot(&bigger, p->slot[i].term)] = p->slot[i];
	bigger.n = p->n;
	bigger.docs = p->docs;
	free(p->slot);
	*p = bigger;
	return SQ_OK;
}

static sq_err pending_add(struct df_pending *p, uint64_t term, int delta)
{
	size_t i;

	if (p->n * 2 >= p->cap && pending_grow(p))
		return SQ_ENOMEM;
	i = pending_slot(p, term);
	if (!p->slot[i].term) {
		p->slot[i].term = term;
		p->slot[i].delta = 0;
		p->n++;
	}
	p->slot[i].delta += delta;
	return SQ_OK;
}

static int64_t pending_get(const struct df_pending *p, uint64_t term)
{
	size_t i;

	if (!p->n)
		return 0;
	i = pending_slot(p, term);
	return p->slot[i].term ? p->slot[i].delta : 0;
}

static int cmp_delta(const void *a, const void *b)
{
	uint64_t x = ((const struct store_df_delta *)a)->term;
	uint64_t y = ((const struct store_df_delta *)b)->term;

	return x < y ? -1 : x > y;
}

/* Write the pending changes, in term order, and empty the table. */
static sq_err pending_flush(struct df_pending *p, struct sq_store *st, struct sq_error *err)
{
	size_t i, n = 0;
	sq_err rc;

	if (!p->n && !p->docs)
		return SQ_OK;
	for (i = 0; i < p->cap; i++)
		if (p->slot[i].term)
			p->slot[n++] = p->slot[i];
	if (n)   /* none when only empty texts were counted: slot may be NULL */
		qsort(p->slot, n, sizeof(*p->slot), cmp_delta);
	rc = store_dedup_df_add(st, p->slot, n, p->docs, err);
	pending_reset(p);
	return rc;
}

/* ---- the candidate cache ------------------------------------------------- */

/*
 * Complaints of one page share most of their candidates, so a run keeps the
 * candidates it compared, parsed, in a fixed number of slots (direct-mapped
 * by id: bounded memory, no eviction policy to get wrong).  Only linked
 * complaints are kept; a complaint's slot is forgotten when it is linked or
 * re-indexed, and when incidents merge the members that moved are moved in
 * the slots too (cache_move: a merge changes nothing else).  Slots are
 * by id, and ids follow arrival: 16384 of them hold the candidates of a
 * seven-day window at about 1,200 complaints a day.
 */
#define DOC_CACHE 16384

struct cached {
	struct dedup_doc doc;     /* doc.id 0: empty */
	struct dedup_terms terms;
	int parsed;               /* terms made from doc.folded (only when compared) */
	uint32_t *slot;           /* each term's slot in the df cache, terms.n ... */
	uint64_t slot_layout;     /* ... while the cache has this layout (0: none) */
};

/* ---- the context --------------------------------------------------------- */

struct placing;

struct sq_dedup {
	struct sq_store *st;
	const struct sq_dedup_config *cfg;
	const struct sq_taxonomy *tax;
	struct dedup_boilerplate bp;
	int naive;
	struct df_cache cache;
	uint64_t cache_layout;    /* changes whenever cache's terms move or go */
	struct df_pending pending;
	int64_t ndocs;
	int ndocs_known;
	struct dedup_stats stats;
	struct cached *docs;      /* DOC_CACHE slots, direct-mapped by complaint id */
	double *idf_buf;          /* idf_scratch's array, idf_cap entries */
	size_t idf_cap;
	double text_max;          /* the most the text can add, directly or through
				   * the broad-topic category levels (>= 0) */
	dedup_trace_fn trace;
	void *trace_ctx;
	struct placing *placing;  /* a new complaint between dedup_place and
				   * dedup_placed (allocated on first use) */
	int defer_counts;         /* dedup_defer_counts: dedup_flush writes them */
	uint64_t rollbacks;       /* store_rollbacks() when the caches were right */
	int64_t pruned_before;    /* the index horizon (store_dedup_horizon) */
};

static void cached_release(struct cached *c)
{
	dedup_doc_release(&c->doc);
	dedup_terms_release(&c->terms);
	c->parsed = 0;
	free(c->slot);
	c->slot = NULL;
	c->slot_layout = 0;
}

static void cache_forget(struct sq_dedup *dd, int64_t id)
{
	struct cached *c = &dd->docs[(uint64_t)id % DOC_CACHE];

	if (c->doc.id == id)
		cached_release(c);
}

/*
 * Keep d, just linked (its incident set) and indexed, with its terms t as
 * the cached candidate of its id: what candidate() would load back from
 * the store and score_pair parse again, without the reads.  Within one
 * run most of the complaints a new one is compared with arrived shortly
 * before it, often in the same run.  Takes d and t over.
 */
static void cache_adopt(struct sq_dedup *dd, struct dedup_doc *d, struct dedup_terms *t)
{
	struct cached *c = &dd->docs[(uint64_t)d->id % DOC_CACHE];

	cached_release(c);
	c->doc = *d;
	c->terms = *t;
	c->parsed = 1;
	memset(d, 0, sizeof(*d));
	memset(t, 0, sizeof(*t));
}

static void cache_clear(struct sq_dedup *dd)
{
	size_t i;

	for (i = 0; dd->docs && i < DOC_CACHE; i++)
		cached_release(&dd->docs[i]);
}

/*
 * Incident `gone`'s members now belong to `keep` (store_incident_merge):
 * so do the cached ones.  Clearing the cache instead made a bench batch at
 * 1M stored, with 3 merges, load 22,889 candidates for 14,018 complaints;
 * moving them, it loads 14,052 (docs/performance.md).
 */
static void cache_move(struct sq_dedup *dd, int64_t gone, int64_t keep)
{
	size_t i;

	for (i = 0; dd->docs && i < DOC_CACHE; i++)
		if (dd->docs[i].doc.id && dd->docs[i].doc.incident_id == gone)
			dd->docs[i].doc.incident_id = keep;
}

/* Forget every cache: a rollback may have undone what they hold. */
static void forget(struct sq_dedup *dd)
{
	pending_reset(&dd->pending);
	df_cache_release(&dd->cache);
	dd->cache_layout++;
	cache_clear(dd);
	dd->ndocs_known = 0;
	dd->rollbacks = store_rollbacks(dd->st);
}

sq_err dedup_new(struct sq_store *st, const struct sq_dedup_config *cfg,
		 const struct sq_taxonomy *tax, struct sq_dedup **out, struct sq_error *err)
{
	struct sq_dedup *dd;
	int l;

	*out = NULL;
	if (cfg->mode && strcmp(cfg->mode, "linkage") && strcmp(cfg->mode, "naive"))
		return sq_fail(err, SQ_ECONFIG, "dedup.mode: '%s' is neither linkage nor naive",
			       cfg->mode);
	dd = calloc(1, sizeof(*dd));
	if (!dd)
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	dd->st = st;
	dd->cfg = cfg;
	dd->tax = tax;
	dd->naive = cfg->mode && !strcmp(cfg->mode, "naive");
	for (l = 0; l < DEDUP_LEVEL_COUNT; l++)
		if (!strcmp(dedup_level_field((enum dedup_level)l), "text") &&
		    cfg->weights[l] > dd->text_max)
			dd->text_max = cfg->weights[l];
	/* Without a cosine a broad topic counts as agreeing; should its other
	 * level weigh more, the bound must allow for it. */
	if (cfg->weights[DEDUP_L_CATEGORY_BROAD_OTHER_TEXT] > cfg->weights[DEDUP_L_CATEGORY_BROAD])
		dd->text_max += cfg->weights[DEDUP_L_CATEGORY_BROAD_OTHER_TEXT] -
				cfg->weights[DEDUP_L_CATEGORY_BROAD];
	dd->docs = calloc(DOC_CACHE, sizeof(*dd->docs));
	if (!dd->docs || dedup_boilerplate_init(&dd->bp, &cfg->boilerplate)) {
		free(dd->docs);
		free(dd);
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	}
	*out = dd;
	return SQ_OK;
}

static void placing_release(struct placing *pl);

void dedup_free(struct sq_dedup *dd)
{
	if (!dd)
		return;
	dedup_boilerplate_release(&dd->bp);
	df_cache_release(&dd->cache);
	free(dd->pending.slot);
	cache_clear(dd);
	free(dd->docs);
	free(dd->idf_buf);
	placing_release(dd->placing);
	free(dd->placing);
	free(dd);
}

void dedup_set_trace(struct sq_dedup *dd, dedup_trace_fn fn, void *ctx)
{
	dd->trace = fn;
	dd->trace_ctx = ctx;
}

const struct dedup_stats *dedup_get_stats(const struct sq_dedup *dd)
{
	return &dd->stats;
}

static int64_t window_s(const struct sq_dedup *dd)
{
	return dd->cfg->window_ms > 0 ? dd->cfg->window_ms / 1000 : 7 * 86400;
}

/* ---- document frequencies ------------------------------------------------ */

static sq_err ndocs(struct sq_dedup *dd, int64_t *n, struct sq_error *err)
{
	sq_err rc;

	if (!dd->ndocs_known) {
		rc = store_dedup_ndocs(dd->st, &dd->ndocs, err);
		if (rc)
			return rc;
		dd->ndocs += dd->pending.docs;
		dd->ndocs_known = 1;
	}
	*n = dd->ndocs;
	return SQ_OK;
}

/* The df cache slot of term (*slot), loaded from the store when the cache
 * does not hold it; its ldf stays in step with this run's counts. */
static sq_err df_get(struct sq_dedup *dd, uint64_t term, size_t *slot, struct sq_error *err)
{
	int64_t df;
	size_t i;
	sq_err rc;

	*slot = 0;
	if (dd->cache.n * 2 >= dd->cache.cap) {
		if (df_cache_grow(&dd->cache))
			return sq_fail(err, SQ_ENOMEM, "out of memory");
		dd->cache_layout++;
	}
	*slot = i = df_slot(&dd->cache, term);
	if (dd->cache.term[i])
		return SQ_OK;
	rc = store_dedup_df(dd->st, term, &df, err);
	if (rc)
		return rc;
	df += pending_get(&dd->pending, term);
	if (df < 0)
		df = 0;
	dd->cache.term[i] = term;
	dd->cache.df[i] = df;
	dd->cache.ldf[i] = log1p((double)df);
	dd->cache.n++;
	return SQ_OK;
}

/* Count (delta +1) or uncount (-1) a document's terms: pending changes
 * and cache. */
static sq_err df_add(struct sq_dedup *dd, const struct dedup_terms *t, int delta,
		     struct sq_error *err)
{
	int64_t n;
	size_t k;
	sq_err rc;

	rc = ndocs(dd, &n, err);
	for (k = 0; !rc && k < t->n; k++)
		if (pending_add(&dd->pending, t->term[k], delta))
			rc = sq_fail(err, SQ_ENOMEM, "out of memory");
	if (!rc && dd->pending.n >= PENDING_MAX)
		rc = pending_flush(&dd->pending, dd->st, err);
	if (rc)
		return rc;
	dd->pending.docs += delta;
	dd->ndocs = n + delta < 0 ? 0 : n + delta;
	for (k = 0; dd->cache.cap && k < t->n; k++) {
		size_t i = df_slot(&dd->cache, t->term[k]);

		if (dd->cache.term[i]) {
			dd->cache.df[i] = dd->cache.df[i] + delta < 0 ? 0 : dd->cache.df[i] + delta;
			dd->cache.ldf[i] = log1p((double)dd->cache.df[i]);
		}
	}
	return SQ_OK;
}

/* dedup_idf(df, n) from log(1 + df) and log(n + prior); keep in step */
static double idf_from_logs(double ldf, double ln)
{
	return ldf > ln ? 0 : ln - ldf;
}

/* idf of each of t's terms into idf[0..t->n); with slot, each term's df
 * cache slot into slot[0..t->n) too. */
static sq_err idf_fill(struct sq_dedup *dd, const struct dedup_terms *t, double *idf,
		       uint32_t *slot, struct sq_error *err)
{
	int64_t n;
	size_t i, at;
	double ln;
	sq_err rc;

	rc = ndocs(dd, &n, err);
	if (rc)
		return rc;
	ln = log((double)n + DEDUP_IDF_PRIOR);
	for (i = 0; i < t->n; i++) {
		rc = df_get(dd, t->term[i], &at, err);
		if (rc)
			return rc;
		idf[i] = idf_from_logs(dd->cache.ldf[at], ln);
		if (slot)
			slot[i] = (uint32_t)at;
	}
	return SQ_OK;
}

/* idf of each of t's terms into a new array (*idf, caller frees). */
static sq_err idf_of(struct sq_dedup *dd, const struct dedup_terms *t, double **idf,
		     struct sq_error *err)
{
	sq_err rc;

	*idf = malloc((t->n ? t->n : 1) * sizeof(**idf));
	if (!*idf)
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	rc = idf_fill(dd, t, *idf, NULL, err);
	if (rc) {
		free(*idf);
		*idf = NULL;
	}
	return rc;
}

/*
 * idf of a candidate's terms, in the context's scratch array (valid until
 * the next call): one allocation per run rather than one per pair.  The
 * first pair finds each term's slot in the df cache and keeps the slots
 * with the candidate; its later pairs read the counts there directly, the
 * same values without a hash look-up per term, until the cache's terms
 * move (grown, emptied).
 */
static sq_err candidate_idf(struct sq_dedup *dd, struct cached *c, double **idf,
			    struct sq_error *err)
{
	const struct dedup_terms *t = &c->terms;
	uint64_t layout = dd->cache_layout;
	int64_t n;
	double ln;
	size_t i;
	sq_err rc;

	if (t->n > dd->idf_cap) {
		double *bigger = realloc(dd->idf_buf, t->n * sizeof(*bigger));

		if (!bigger)
			return sq_fail(err, SQ_ENOMEM, "out of memory");
		dd->idf_buf = bigger;
		dd->idf_cap = t->n;
	}
	*idf = dd->idf_buf;
	if (c->slot && c->slot_layout == layout) {
		rc = ndocs(dd, &n, err);
		if (rc)
			return rc;
		ln = log((double)n + DEDUP_IDF_PRIOR);
		for (i = 0; i < t->n; i++)
			(*idf)[i] = idf_from_logs(dd->cache.ldf[c->slot[i]], ln);
		return SQ_OK;
	}
	if (!c->slot) {
		c->slot = malloc(t->n * sizeof(*c->slot));
		if (!c->slot)
			return sq_fail(err, SQ_ENOMEM, "out of memory");
	}
	rc = idf_fill(dd, t, *idf, c->slot, err);
	/* slots found before the cache grew, part way, are not kept */
	c->slot_layout = !rc && dd->cache_layout == layout ? layout : 0;
	return rc;
}

/* A document's terms with their idf and MinHash band hashes (nbands 0:
 * no terms), built once per complaint linked. */
struct weighted {
	struct dedup_terms t;
	double *idf;
	int64_t bands[DEDUP_LSH_BANDS];
	size_t nbands;
};

static void weighted_release(struct weighted *w)
{
	dedup_terms_release(&w->t);
	free(w->idf);
	w->idf = NULL;
}

/*
 * What dedup_compare wants derived from d's strings, once they are final
 * (loaded, or its features made): its keys (dedup_doc_key), its
 * category's number, and what it is about (taxonomy problems:) from its
 * problem words — computed rather than stored, so a changed taxonomy
 * applies to every complaint.  SQ_ENOMEM only.
 */
static sq_err doc_derive(const struct sq_dedup *dd, struct dedup_doc *d)
{
	dedup_doc_key(d);
	d->category_ref = taxonomy_category_ref(dd->tax, d->category);
	d->problems.n = 0;
	if (!taxonomy_problem_count(dd->tax) || !d->folded)
		return SQ_OK;
	return taxonomy_problem_set(dd->tax, d->folded, &d->problems);
}

/*
 * Candidate id: *out borrowed until the next look-up that maps to the same
 * slot.  *found 0 when there is no such complaint.  Its terms are parsed
 * by score_pair, only for the candidates whose text is compared.
 */
static sq_err candidate(struct sq_dedup *dd, int64_t id, struct cached **out, int *found,
			struct sq_error *err)
{
	struct cached *c = &dd->docs[(uint64_t)id % DOC_CACHE];
	sq_err rc;

	*out = c;
	*found = 1;
	if (c->doc.id == id)
		return SQ_OK;
	cached_release(c);
	rc = store_dedup_doc(dd->st, id, &c->doc, found, err);
	if (!rc && *found && doc_derive(dd, &c->doc))
		rc = sq_fail(err, SQ_ENOMEM, "out of memory");
	if (rc || !*found)
		cached_release(c);
	return rc;
}

/* ---- features and index -------------------------------------------------- */

/* The address key and road of s into d (replacing both).  SQ_ENOMEM only. */
static sq_err address_keys(const char *s, struct dedup_doc *d)
{
	free(d->addr_key);
	free(d->road_key);
	d->addr_key = d->road_key = NULL;
	if (norm_address_key(s, &d->addr_key) || norm_road_key(s, &d->road_key))
		return SQ_ENOMEM;
	return SQ_OK;
}

/* Clause punctuation: where an address written inside a sentence starts. */
static size_t clause_break(const char *p)
{
	static const char *const marks[] = { "，", "。", "；", "：", "！", "？", "、", "（", "）" };
	size_t i;

	if (*p == ',' || *p == '.' || *p == ';' || *p == ':' || *p == '!' || *p == '?' ||
	    *p == ' ' || *p == '(' || *p == ')')
		return 1;
	for (i = 0; i < sizeof(marks) / sizeof(marks[0]); i++)
		if (!strncmp(p, marks[i], strlen(marks[i])))
			return strlen(marks[i]);
	return 0;
}

/*
 * The address keys of free text: norm_address_key strips administrative
 * names (广州市荔湾区) only where its input starts, so each clause is given
 * to it on its own; the last clause with a road wins, as in one address.
 */
static sq_err text_address_keys(const char *text, const char *field_road, struct dedup_doc *d)
{
	struct dedup_doc clause = { 0 };
	const char *p = text, *start = text;
	char *seg;
	size_t n;
	sq_err rc = SQ_OK;

	for (;;) {
		n = *p ? clause_break(p) : 1;
		if (!n) {
			p++;
			continue;
		}
		if (p > start) {
			seg = sq_strndup(start, (size_t)(p - start));
			rc = seg ? address_keys(seg, &clause) : SQ_ENOMEM;
			free(seg);
			if (rc)
				break;
			/* the address field's road wins; within the text the last
			 * clause with a road and number wins, a bare road only
			 * when nothing better was found */
			if (clause.road_key && (!field_road || dedup_road_same(field_road, clause.road_key)) &&
			    (!d->road_key || clause.addr_key)) {
				free(d->road_key);
				d->road_key = clause.road_key;
				clause.road_key = NULL;
				free(d->addr_key);
				d->addr_key = clause.addr_key;
				clause.addr_key = NULL;
			}
		}
		if (!*p)
			break;
		p += n;
		start = p;
	}
	dedup_doc_release(&clause);
	return rc;
}

/* Replace d->folded by its problem words: without d's own place words. */
static sq_err problem_text(struct dedup_doc *d)
{
	char *words[24], *copy = NULL, *p, *out = NULL;
	struct sq_strlist list = { words, 0 };
	sq_err rc = SQ_OK;

	if (d->road_key)
		words[list.n++] = d->road_key;
	if (d->addr_key)
		words[list.n++] = d->addr_key;
	if (d->community && *d->community)
		words[list.n++] = d->community;
	if (d->landmarks && *d->landmarks) {
		copy = sq_strdup(d->landmarks);
		if (!copy)
			return SQ_ENOMEM;
		for (p = copy; *p && list.n < sizeof(words) / sizeof(words[0]);) {
			size_t len = strcspn(p, " ");

			words[list.n++] = p;
			if (!p[len])
				break;
			p[len] = '\0';
			p += len + 1;
		}
	}
	rc = dedup_problem_text(d->folded, &list, &out);
	free(copy);
	if (!rc) {
		free(d->folded);
		d->folded = out;
	}
	return rc;
}

/* Fold the text and derive the address keys of d from its title, text and
 * address field. */
static sq_err features(const struct sq_dedup *dd, struct dedup_doc *d, const char *title,
		       const char *text, const char *address, struct sq_error *err)
{
	char *field_road;
	sq_err rc = SQ_OK;

	free(d->folded);
	free(d->addr_key);
	free(d->road_key);
	free(d->landmarks);
	free(d->buildings);
	d->folded = d->addr_key = d->road_key = d->landmarks = d->buildings = NULL;
	if (dedup_fold_text(title, text, &dd->bp, &d->folded) ||
	    dedup_extract_places(title, text, address, &d->landmarks, &d->buildings))
		rc = SQ_ENOMEM;
	/* The address field first; residents often put it in the text only. */
	if (!rc && address)
		rc = address_keys(address, d);
	/* The text may say the number the address field left out. */
	field_road = d->road_key ? sq_strdup(d->road_key) : NULL;
	if (d->road_key && !field_road)
		rc = SQ_ENOMEM;
	if (!rc && !d->addr_key && text)
		rc = text_address_keys(text, field_road, d);
	if (!rc && !d->addr_key && title)
		rc = text_address_keys(title, field_road, d);
	free(field_road);
	if (!rc)
		rc = problem_text(d);
	if (!rc)
		rc = doc_derive(dd, d);
	if (rc)
		rc = sq_fail(err, SQ_ENOMEM, "out of memory");
	return rc;
}

/* A blocking key "x:LAT:LON" of coordinate cell (i, j). */
static sq_err cell_key(struct sq_buf *b, long i, long j)
{
	sq_buf_reset(b);
	if (sq_buf_adds(b, "x:") || sq_buf_add_i64(b, i) || sq_buf_addc(b, ':'))
		return SQ_ENOMEM;
	return sq_buf_add_i64(b, j);
}

static long cell_of(double deg)
{
	return lround(floor(deg / CELL_DEG));
}

/* What follows the road in the address key: the house number. */
static const char *house_number_of(const struct dedup_doc *d)
{
	size_t lr = strlen(d->road_key);

	return strncmp(d->addr_key, d->road_key, lr) ? d->addr_key : d->addr_key + lr;
}

/*
 * The blocking keys of d, NUL-separated in keys->data; *n receives their
 * number.  Place keys first: they are the strongest.  lookup: the keys to
 * look candidates up by, else the keys to index d under.  They differ for
 * roads: two reports with different house numbers on one road contradict
 * each other (place other_number) and never link, so a report with a
 * number looks up only the same number (a:) and the reports on its road
 * without one (n:, which only those are indexed under); a report without
 * a number looks up its whole road (r:, every report on it).  On a busy
 * road, r: for everyone was the most recent 60 reports on the road, nearly
 * all at other numbers: most of the candidates compared.  Communities
 * likewise: a report on a road looks up the reports of its community that
 * name no road (k:, which only those are indexed under), a report without
 * a road the whole community (c:, every report in it).  Two reports on
 * different roads compare as place other_road, which no other field can
 * outweigh at the default weights; c: for everyone was the most recent 60
 * reports of the community, most of them on other roads.
 */
static sq_err block_keys(const struct dedup_doc *d, int lookup, struct sq_buf *keys, size_t *n)
{
	struct sq_buf cell = SQ_BUF_INIT;
	int road = d->road_key && *d->road_key, number = road && d->addr_key && *d->addr_key;
	const char *p;
	size_t i;
	sq_err rc = SQ_OK;

	*n = 0;
	sq_buf_reset(keys);
#define ADD_KEY(prefix, value) \
	do { \
		const char *v_ = (value); \
		if (!rc && v_ && *v_) { \
			rc = sq_buf_adds(keys, prefix); \
			if (!rc) \
				rc = sq_buf_add(keys, v_, strlen(v_) + 1); \
			(*n)++; \
		} \
	} while (0)
	if (road) {
		/* short forms: 晚上上九路73号 and 上九路73号 meet */
		char shortkey[96];

		if (number)
			ADD_KEY("a:", dedup_road_short(d->road_key, house_number_of(d), shortkey,
						       sizeof(shortkey)));
		if (!lookup || !number)
			ADD_KEY("r:", dedup_road_short(d->road_key, NULL, shortkey, sizeof(shortkey)));
		if (!number == !lookup)
			ADD_KEY("n:", dedup_road_short(d->road_key, NULL, shortkey, sizeof(shortkey)));
	}
	for (p = d->landmarks, i = 0; !rc && p && *p && i < 3; i++) {
		size_t len = strcspn(p, " ");

		rc = sq_buf_add(keys, "l:", 2);
		if (!rc)
			rc = sq_buf_add(keys, p, len);
		if (!rc)
			rc = sq_buf_addc(keys, '\0');
		(*n)++;
		p += len + (p[len] == ' ');
	}
	if (d->grid && strlen(d->grid) >= 15)
		ADD_KEY("g:", d->grid);
	if (!lookup || !road)
		ADD_KEY("c:", d->community);
	if (!road == !lookup)
		ADD_KEY("k:", d->community);
	ADD_KEY("p:", d->contact_hash);
	ADD_KEY("m:", d->contact_masked);
	if (!rc && d->has_pos) {
		rc = cell_key(&cell, cell_of(d->lat), cell_of(d->lon));
		ADD_KEY("", cell.data);
	}
#undef ADD_KEY
	sq_buf_release(&cell);
	return rc;
}

/* Walk the NUL-separated keys. */
static const char *next_key(const struct sq_buf *keys, const char *k)
{
	k = k ? k + strlen(k) + 1 : keys->data;
	return k && k < keys->data + keys->len ? k : NULL;
}

/*
 * reindex: d was indexed before (store_dedup_index).  An update of a
 * complaint from before the index horizon gets no keys again: pruning
 * has moved past it and would never remove them.
 */
static sq_err index_doc(struct sq_dedup *dd, const struct dedup_doc *d, int reindex,
			const struct weighted *wd, struct sq_error *err)
{
	struct sq_buf keys = SQ_BUF_INIT;
	const char *list[16];
	const char *k = NULL;
	size_t n = 0, i = 0;
	int keyed = !reindex || d->received_at >= dd->pruned_before;
	sq_err rc;

	if (block_keys(d, 0, &keys, &n))
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	while (keyed && (k = next_key(&keys, k)) && i < sizeof(list) / sizeof(list[0]))
		list[i++] = k;
	rc = store_dedup_index(dd->st, d, reindex, list, i, wd->bands, keyed ? wd->nbands : 0,
			       err);
	sq_buf_release(&keys);
	return rc;
}

/* ---- candidates ---------------------------------------------------------- */

static sq_err candidates(struct sq_dedup *dd, const struct dedup_doc *d,
			 const struct weighted *wd, struct store_ids *ids, struct sq_error *err)
{
	int64_t from = d->received_at - window_s(dd), to = d->received_at + window_s(dd);
	struct sq_buf keys = SQ_BUF_INIT, cell = SQ_BUF_INIT;
	const char *k = NULL;
	size_t n, b;
	sq_err rc = SQ_OK;

	if (block_keys(d, 1, &keys, &n))
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	while (!rc && (k = next_key(&keys, k)) && ids->n < MAX_CANDIDATES) {
		if (k[0] == 'x')
			continue;   /* cells: the neighbourhood below */
		rc = store_dedup_block(dd->st, k, from, to, BLOCK_LIMIT, ids, err);
	}
	if (!rc && d->has_pos) {
		double radius = dd->cfg->radius_m > 0 ? dd->cfg->radius_m : 150;
		long rings = (long)ceil(radius / CELL_M), ci = cell_of(d->lat), cj = cell_of(d->lon);
		long i, j;

		for (i = ci - rings; !rc && i <= ci + rings; i++)
			for (j = cj - rings; !rc && j <= cj + rings && ids->n < MAX_CANDIDATES; j++) {
				rc = cell_key(&cell, i, j);
				if (rc) {
					rc = sq_fail(err, SQ_ENOMEM, "out of memory");
					break;
				}
				rc = store_dedup_block(dd->st, cell.data, from, to, BLOCK_LIMIT, ids, err);
			}
	}
	if (!rc && !dd->naive)
		for (b = 0; !rc && b < wd->nbands && ids->n < MAX_CANDIDATES; b++)
			rc = store_dedup_band(dd->st, (int)b, wd->bands[b], from, to, BAND_LIMIT, ids,
					      err);
	store_ids_unique(ids);
	sq_buf_release(&keys);
	sq_buf_release(&cell);
	return rc;
}

/* ---- linking one complaint ----------------------------------------------- */

/* The best comparison found so far. */
struct best {
	int64_t incident_id, matched_id;
	double score;
	struct dedup_comparison cmp[DEDUP_F_COUNT];
	size_t ncmp;
};

/* Compare d (with weighted terms) with candidate c. */
static sq_err score_pair(struct sq_dedup *dd, const struct dedup_doc *d, const struct weighted *wd,
			 struct cached *c, struct dedup_comparison *cmp, size_t *ncmp,
			 double *score, struct sq_error *err)
{
	double cosine = -1, *idf = NULL;
	sq_err rc;

	if (!c->parsed) {
		if (dedup_terms_from_folded(c->doc.folded ? c->doc.folded : "", &c->terms))
			return sq_fail(err, SQ_ENOMEM, "out of memory");
		c->parsed = 1;
	}
	if (wd->t.n && c->terms.n) {
		rc = candidate_idf(dd, c, &idf, err);
		if (rc)
			return rc;
		cosine = dedup_cosine(&wd->t, wd->idf, &c->terms, idf);
	}
	*ncmp = dedup_compare(d, &c->doc, cosine, dd->cfg->weights, dd->tax, cmp, score);
	return SQ_OK;
}

/* The naive rule: same full phone number within 24 hours. */
static int naive_match(const struct dedup_doc *a, const struct dedup_doc *b)
{
	int64_t gap = a->received_at - b->received_at;

	return a->contact_hash && b->contact_hash && *a->contact_hash &&
	       !strcmp(a->contact_hash, b->contact_hash) && gap <= NAIVE_WINDOW_S &&
	       gap >= -NAIVE_WINDOW_S;
}

static sq_err record_link(struct sq_dedup *dd, int64_t complaint_id, const char *method,
			  const struct best *b, int64_t now, struct sq_error *err)
{
	struct sq_buf json = SQ_BUF_INIT;
	sq_err rc;

	if (b && b->matched_id && dedup_comparisons_json(b->cmp, b->ncmp, &json))
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	rc = store_link_set(dd->st, complaint_id, method, b ? b->matched_id : 0,
			    b ? b->score : 0, json.len ? json.data : NULL, now, err);
	sq_buf_release(&json);
	return rc;
}

/*
 * How a new complaint joins (link_new decides it before the complaint does,
 * so that a complaint placed as it is stored is written once): the
 * incident, 0 for a new one, and the link to record.
 */
struct plan {
	int64_t incident_id;
	const char *method;       /* as dedup_links records it */
	struct best shown;        /* the comparison recorded with it */
	int has_shown;
	int recount;              /* incidents were merged into the one it joined,
				   * which counted it: count that one again once
				   * it is in */
};

/*
 * Merge incident `other` into *into because a link says they are one,
 * unless an analyst separated them.  Keeps the older (smaller) id.  plan:
 * a new complaint that has already chosen *into and is not in it yet; a
 * merge means that incident is to be counted again once it is in.
 */
static sq_err auto_merge(struct sq_dedup *dd, int64_t *into, int64_t other, struct plan *plan,
			 int64_t now, const char *why, struct sq_error *err)
{
	int64_t keep = *into < other ? *into : other, gone = *into < other ? other : *into;
	int apart;
	sq_err rc;

	if (other == *into)
		return SQ_OK;
	rc = store_apart_check(dd->st, keep, gone, &apart, err);
	if (rc || apart)
		return rc;
	rc = store_incident_merge(dd->st, keep, gone, err);
	if (rc)
		return rc;   /* the caller's rollback undoes the merge, and forget() the caches */
	cache_move(dd, gone, keep);
	rc = store_decision_add(dd->st, "link_merge", 0, keep, gone, now, why, err);
	if (!rc) {
		dd->stats.merged++;
		*into = keep;
		if (plan)
			plan->recount = 1;
	}
	return rc;
}


/*
 * Join the incidents of d's declared neighbours: a new complaint (plan,
 * whose incident is 0 until then) chooses the first, and any others are
 * merged into it; an update (plan NULL) merges them into its own.  links:
 * the declared links of a complaint not stored yet (d->id 0).
 */
static sq_err link_declared(struct sq_dedup *dd, struct dedup_doc *d, const struct weighted *wd,
			    const struct sq_link *links, size_t nlinks, struct plan *plan,
			    int64_t now, struct sq_error *err)
{
	struct store_ids ids = { 0 };
	struct cached *c;
	int64_t *into = plan ? &plan->incident_id : &d->incident_id;
	size_t i;
	int found;
	sq_err rc;

	rc = store_declared_neighbours(dd->st, d, links, nlinks, &ids, err);
	for (i = 0; !rc && i < ids.n; i++) {
		rc = candidate(dd, ids.v[i], &c, &found, err);
		if (rc || !found || !c->doc.incident_id || c->doc.incident_id == *into)
			continue;
		if (!*into && plan) {
			/* Declared is decisive; the comparisons are kept only to
			 * show what else the two have in common. */
			struct best *b = &plan->shown;

			b->matched_id = c->doc.id;
			b->incident_id = c->doc.incident_id;
			rc = score_pair(dd, d, wd, c, b->cmp, &b->ncmp, &b->score, err);
			plan->incident_id = b->incident_id;
			plan->method = "declared";
			plan->has_shown = 1;
			dd->stats.declared++;
			continue;
		}
		rc = auto_merge(dd, into, c->doc.incident_id, plan, now, "source-declared link", err);
	}
	store_ids_release(&ids);
	return rc;
}

/*
 * Does a comparison contradict what makes an incident one: its building,
 * its house number, its kind of problem?  These do not depend on the text.
 */
static int contradicts(const struct dedup_comparison *c, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		switch (c[i].level) {
		case DEDUP_L_PLACE_OTHER_BUILDING:
		case DEDUP_L_PLACE_OTHER_NUMBER:
		case DEDUP_L_CATEGORY_OTHER:
		case DEDUP_L_CATEGORY_OTHER_LABEL:
			return 1;
		default:
			break;
		}
	return 0;
}

/*
 * The incidents some member of which d contradicts (contradicts()), among
 * its candidates, into *out; base (NULL, or one slot per id, preset to NAN)
 * receives each linked candidate's score without the text, which
 * best_candidate reuses rather than comparing every pair twice.  An incident is one place and one problem: a
 * report that names another building than one of its members, or another
 * kind of problem, is not about it, however well it matches another member
 * (single-link chaining would join it through that one).
 */
static sq_err contradicted(struct sq_dedup *dd, const struct dedup_doc *d,
			   const struct store_ids *ids, int64_t only, struct store_ids *out,
			   struct best *why, double *base, struct sq_error *err)
{
	struct dedup_comparison cmp[DEDUP_F_COUNT];
	struct cached *c;
	size_t i, n;
	double score;
	int found;
	sq_err rc = SQ_OK;

	for (i = 0; !rc && i < ids->n; i++) {
		if (ids->v[i] == d->id)
			continue;
		rc = candidate(dd, ids->v[i], &c, &found, err);
		if (rc || !found || !c->doc.incident_id || (only && c->doc.incident_id != only))
			continue;
		n = dedup_compare(d, &c->doc, -1, dd->cfg->weights, dd->tax, cmp, &score);
		if (base)
			base[i] = score;
		if (!contradicts(cmp, n))
			continue;
		if (why) {
			/* the member that rules its incident out, to show why */
			why->matched_id = c->doc.id;
			why->incident_id = c->doc.incident_id;
			why->score = score;
			memcpy(why->cmp, cmp, n * sizeof(cmp[0]));
			why->ncmp = n;
			break;
		}
		if (store_ids_push(out, c->doc.incident_id))
			rc = sq_fail(err, SQ_ENOMEM, "out of memory");
	}
	store_ids_unique(out);   /* sorted, for listed() */
	return rc;
}

/* Is v in ids (sorted, as contradicted() leaves them)? */
static int listed(const struct store_ids *ids, int64_t v)
{
	return store_ids_find(ids, v) < ids->n;
}

/*
 * Is a pair scoring `score` with candidate c better than `so_far`?  Ties go
 * to the older incident, then to the older complaint, so the winner does
 * not depend on the order the candidates are scored in.
 */
static int better(double score, const struct cached *c, const struct best *so_far)
{
	if (score != so_far->score)
		return score > so_far->score;
	if (c->doc.incident_id != so_far->incident_id)
		return c->doc.incident_id < so_far->incident_id;
	return c->doc.id < so_far->matched_id;
}

/* The most candidates scoring_order() ranks: an index takes 16 bits. */
#define RANKED_MAX 0xffff

/*
 * A candidate's place in the scoring order as one key that sorts
 * ascending: its base score in steps of 1/256, highest first (clamped to
 * +-128; bases closer than a step keep the order found), unscored (NaN)
 * last; its index at in the low 16 bits.  Only 32 bits vary, so a radix
 * sort makes at most four passes.
 */
static uint64_t rank_key(double base, size_t at)
{
	uint64_t q = 0xffff;   /* unscored */

	if (!isnan(base)) {
		double steps = (128.0 - base) * 256.0;

		q = steps < 0 ? 0 : steps >= 0xfffe ? 0xfffe : (uint64_t)steps;
	}
	return q << 16 | at;
}

/*
 * The order to score ids in: by base score, highest first, so that the
 * best pair tends to come early and the bound in best_candidate() skips
 * more texts (the winner does not depend on the order: see better()).
 * *out is NULL (the order found) for the naive rule and the trace, which
 * see every pair in id order.  SQ_ENOMEM only.
 */
static sq_err scoring_order(const struct sq_dedup *dd, const double *base, size_t n,
			    uint64_t **out)
{
	size_t i;

	*out = NULL;
	if (dd->naive || dd->trace || n < 2 || n > RANKED_MAX)
		return SQ_OK;
	*out = malloc(n * sizeof(**out));
	if (!*out)
		return SQ_ENOMEM;
	for (i = 0; i < n; i++)
		(*out)[i] = rank_key(base[i], i);
	sq_sort_u64(*out, n);
	return SQ_OK;
}

/*
 * Score d against its candidates; b receives the best linked one whose
 * incident d does not contradict, *why what to show should d start an
 * incident: the best candidate of all, or, when that one scored enough but
 * its incident was ruled out, the member that ruled it out.
 */
static sq_err best_candidate(struct sq_dedup *dd, const struct dedup_doc *d,
			     const struct weighted *wd, struct best *b, struct best *why,
			     struct store_ids *matches, struct sq_error *err)
{
	struct store_ids ids = { 0 }, contra = { 0 };
	struct cached *c;
	struct dedup_comparison cmp[DEDUP_F_COUNT];
	uint64_t *order = NULL;
	size_t k, i, ncmp;
	double score, *base = NULL;
	int found;
	sq_err rc;

	memset(b, 0, sizeof(*b));
	memset(why, 0, sizeof(*why));
	b->score = why->score = -INFINITY;
	rc = candidates(dd, d, wd, &ids, err);
	if (!rc && ids.n) {
		base = malloc(ids.n * sizeof(*base));
		if (!base)
			rc = sq_fail(err, SQ_ENOMEM, "out of memory");
		for (i = 0; base && i < ids.n; i++)
			base[i] = NAN;
	}
	if (!rc && !dd->naive)
		rc = contradicted(dd, d, &ids, 0, &contra, NULL, base, err);
	if (!rc && scoring_order(dd, base, ids.n, &order))
		rc = sq_fail(err, SQ_ENOMEM, "out of memory");
	for (k = 0; !rc && k < ids.n; k++) {
		i = order ? (size_t)(order[k] & RANKED_MAX) : k;
		if (ids.v[i] == d->id)
			continue;
		rc = candidate(dd, ids.v[i], &c, &found, err);
		if (rc || !found)
			continue;
		if (!c->doc.incident_id) {
			/* not linked yet: it will find d when it is */
			cached_release(c);
			continue;
		}
		dd->stats.candidates++;
		/*
		 * The text comparison is most of a pair's cost.  When the other
		 * fields plus the best text level cannot reach the best score so
		 * far, this candidate cannot win (nor tie: the margin covers the
		 * rounding of the same sum in another order), so its text is not
		 * compared.  The naive rule and the trace want every pair.
		 */
		if (!dd->naive && !dd->trace && why->matched_id) {
			score = base[i];
			if (isnan(score))
				dedup_compare(d, &c->doc, -1, dd->cfg->weights, dd->tax, cmp, &score);
			if (score + dd->text_max < why->score - 1e-9 &&
			    (listed(&contra, c->doc.incident_id) ||
			     score + dd->text_max < b->score - 1e-9))
				continue;
		}
		rc = score_pair(dd, d, wd, c, cmp, &ncmp, &score, err);
		if (rc)
			break;
		if (dd->trace)
			dd->trace(dd->trace_ctx, d, &c->doc, cmp, ncmp, score);
		if (better(score, c, why)) {
			why->score = score;
			why->matched_id = c->doc.id;
			why->incident_id = c->doc.incident_id;
			memcpy(why->cmp, cmp, ncmp * sizeof(cmp[0]));
			why->ncmp = ncmp;
		}
		if (listed(&contra, c->doc.incident_id))
			continue;
		if (dd->naive) {
			if (!naive_match(d, &c->doc))
				continue;
			if (store_ids_add(matches, c->doc.incident_id)) {
				rc = sq_fail(err, SQ_ENOMEM, "out of memory");
				break;
			}
		}
		if (better(score, c, b)) {
			b->score = score;
			b->matched_id = c->doc.id;
			b->incident_id = c->doc.incident_id;
			memcpy(b->cmp, cmp, ncmp * sizeof(cmp[0]));
			b->ncmp = ncmp;
		}
	}
	if (!rc && why->matched_id && why->score >= dd->cfg->threshold &&
	    listed(&contra, why->incident_id))
		rc = contradicted(dd, d, &ids, why->incident_id, &contra, why, NULL, err);
	free(base);
	free(order);
	store_ids_release(&ids);
	store_ids_release(&contra);
	return rc;
}

/*
 * The naive rule closes its links transitively: d joins the incident of its
 * first match (unless a declared link placed it already) and every other
 * incident it matches is merged into that one.
 */
static sq_err link_naive(struct sq_dedup *dd, const struct best *b,
			 const struct store_ids *matches, struct plan *plan, int64_t now,
			 struct sq_error *err)
{
	int chosen = plan->incident_id != 0;
	int64_t into = chosen ? plan->incident_id : matches->v[0];
	size_t i;
	sq_err rc = SQ_OK;

	for (i = 0; !rc && i < matches->n; i++)
		rc = auto_merge(dd, &into, matches->v[i], chosen ? plan : NULL, now, "naive rule",
				err);
	plan->incident_id = into;
	if (rc || chosen)
		return rc;
	plan->method = "naive";
	plan->shown = *b;
	plan->has_shown = 1;
	dd->stats.scored++;
	return rc;
}

/*
 * Decide where d, a new complaint, goes (*plan): merging incidents its
 * links say are one, but leaving d itself out of them (join_stored, or
 * dedup_place and dedup_placed, put it in).
 */
static sq_err link_new(struct sq_dedup *dd, struct dedup_doc *d, const struct weighted *wd,
		       const struct sq_link *links, size_t nlinks, struct plan *plan,
		       int64_t now, struct sq_error *err)
{
	struct store_ids matches = { 0 };
	struct best b, why;
	sq_err rc;

	memset(plan, 0, sizeof(*plan));
	rc = link_declared(dd, d, wd, links, nlinks, plan, now, err);
	if (rc)
		return rc;
	rc = best_candidate(dd, d, wd, &b, &why, &matches, err);
	if (rc)
		goto out;
	if (dd->naive && matches.n) {
		rc = link_naive(dd, &b, &matches, plan, now, err);
	} else if (plan->incident_id) {
		/*
		 * Placed by a declared link; if it also matches another incident
		 * by score, the two incidents are one: the link bridges them.
		 */
		if (!dd->naive && b.matched_id && b.score >= dd->cfg->threshold &&
		    b.incident_id != plan->incident_id)
			rc = auto_merge(dd, &plan->incident_id, b.incident_id, plan, now,
					"declared link and score", err);
	} else if (!dd->naive && b.matched_id && b.score >= dd->cfg->threshold) {
		plan->incident_id = b.incident_id;
		plan->method = "score";
		plan->shown = b;
		plan->has_shown = 1;
		dd->stats.scored++;
	} else {
		/* The best candidate below the threshold still explains why not. */
		plan->method = "new";
		plan->shown = why;
		plan->has_shown = why.matched_id != 0;
		dd->stats.started++;
	}
out:
	store_ids_release(&matches);
	return rc;
}

/* After link_new: its link, and its incident counted again if merges asked. */
static sq_err joined(struct sq_dedup *dd, struct dedup_doc *d, const struct plan *plan,
		     int64_t now, struct sq_error *err)
{
	sq_err rc = SQ_OK;

	d->incident_id = plan->incident_id;
	if (plan->recount)
		rc = store_incident_recount(dd->st, plan->incident_id, err);
	if (!rc)
		rc = record_link(dd, d->id, plan->method, plan->has_shown ? &plan->shown : NULL,
				 now, err);
	return rc;
}

/* Put d, stored without an incident, where link_new decided. */
static sq_err join_stored(struct sq_dedup *dd, struct dedup_doc *d, struct plan *plan,
			  int64_t now, struct sq_error *err)
{
	sq_err rc;

	if (plan->incident_id)
		rc = store_incident_add(dd->st, plan->incident_id, d->id, err);
	else
		rc = store_incident_new(dd->st, d->id, now, &plan->incident_id, err);
	return rc ? rc : joined(dd, d, plan, now, err);
}

/* d's features, terms (wd->t) and bands: what its texts alone give. */
static sq_err shape(const struct sq_dedup *dd, struct dedup_doc *d, const char *title,
		    const char *text, const char *address, struct weighted *wd,
		    struct sq_error *err)
{
	sq_err rc = features(dd, d, title, text, address, err);

	if (rc)
		return rc;
	if (dedup_terms_from_folded(d->folded, &wd->t))
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	/* once: both the band look-ups and the index want them */
	wd->nbands = dedup_minhash_bands(&wd->t, wd->bands) ? DEDUP_LSH_BANDS : 0;
	return SQ_OK;
}

/*
 * d's terms (wd->t, shaped) counted in the frequencies when its text is new
 * or changed (stored: the folded text indexed before, or NULL), and their
 * idf.
 */
static sq_err count_terms(struct sq_dedup *dd, const struct dedup_doc *d, const char *stored,
			  struct weighted *wd, struct sq_error *err)
{
	struct weighted old = { 0 };
	sq_err rc = SQ_OK;

	/* Count the text's terms once; an edited text replaces its counts. */
	if (!stored || strcmp(stored, d->folded)) {
		if (stored) {
			if (dedup_terms_from_folded(stored, &old.t))
				return sq_fail(err, SQ_ENOMEM, "out of memory");
			rc = df_add(dd, &old.t, -1, err);
			weighted_release(&old);
		}
		if (!rc)
			rc = df_add(dd, &wd->t, +1, err);
	}
	return rc ? rc : idf_of(dd, &wd->t, &wd->idf, err);
}

/* Index d, now linked, and keep it as a candidate (takes d and wd->t over). */
static sq_err settle(struct sq_dedup *dd, struct dedup_doc *d, int reindex,
		     struct weighted *wd, struct sq_error *err)
{
	sq_err rc = index_doc(dd, d, reindex, wd, err);

	/* as store_dedup_index stored it (an empty text as "", not NULL) */
	if (!rc && d->incident_id && d->folded)
		cache_adopt(dd, d, &wd->t);
	return rc;
}

/* Link one complaint, or refresh the index of one already linked. */
static sq_err link_one(struct sq_dedup *dd, int64_t id, int64_t now, struct sq_error *err)
{
	struct dedup_doc d = { 0 };
	struct weighted wd = { 0 };
	struct plan plan;
	char *stored = NULL, *title = NULL, *text = NULL, *address = NULL;
	int found;
	sq_err rc;

	cache_forget(dd, id);   /* its text, place or incident is about to change */
	rc = store_dedup_doc(dd->st, id, &d, &found, err);
	if (rc || !found)
		goto out;
	stored = d.folded;
	d.folded = NULL;
	rc = store_dedup_text(dd->st, id, &title, &text, &address, err);
	if (!rc)
		rc = shape(dd, &d, title, text, address, &wd, err);
	if (!rc)
		rc = count_terms(dd, &d, stored, &wd, err);
	if (!rc && d.incident_id) {
		/* An update stays where it is; a declared link it now carries
		 * may still join another incident to its own. */
		dd->stats.refreshed++;
		rc = link_declared(dd, &d, &wd, NULL, 0, NULL, now, err);
	} else if (!rc) {
		rc = link_new(dd, &d, &wd, NULL, 0, &plan, now, err);
		if (!rc)
			rc = join_stored(dd, &d, &plan, now, err);
	}
	if (!rc)
		rc = settle(dd, &d, stored != NULL, &wd, err);
out:
	free(stored);
	free(title);
	free(text);
	free(address);
	weighted_release(&wd);
	dedup_doc_release(&d);
	return rc;
}

/* ---- linking a complaint as it is stored ---------------------------------- */

struct dedup_prep {
	struct dedup_doc doc;     /* doc_of_record's, with its features */
	struct weighted wd;       /* terms and bands; no idf */
};

void dedup_prep_free(struct dedup_prep *p)
{
	if (!p)
		return;
	dedup_doc_release(&p->doc);
	weighted_release(&p->wd);
	free(p);
}

struct placing {
	int active;               /* between dedup_place and dedup_placed */
	struct dedup_doc doc;     /* as store_dedup_doc will read it back */
	struct weighted wd;
	struct plan plan;
	int64_t now;
};

static void placing_release(struct placing *pl)
{
	if (!pl)
		return;
	dedup_doc_release(&pl->doc);
	weighted_release(&pl->wd);
	memset(pl, 0, sizeof(*pl));
}

/* Copy *from to *to unless NULL; nonzero when a copy failed. */
static int copy_text(char **to, const char *from)
{
	*to = from ? sq_strdup(from) : NULL;
	return from && !*to;
}

/* The doc store_dedup_doc would read of r once stored (bind_record's
 * values), before any features.  SQ_ENOMEM only. */
static sq_err doc_of_record(const struct sq_record *r, struct dedup_doc *d)
{
	int oom = 0;

	memset(d, 0, sizeof(*d));
	d->received_at = r->received_at;
	oom |= copy_text(&d->source, r->source);
	oom |= copy_text(&d->source_type, r->source_type ? r->source_type : "");
	oom |= copy_text(&d->source_id, r->source_id);
	oom |= copy_text(&d->category, r->category);
	oom |= copy_text(&d->category_raw, r->category_raw);
	oom |= copy_text(&d->community, r->community);
	oom |= copy_text(&d->grid, r->grid);
	oom |= copy_text(&d->contact_hash, r->contact_hash);
	oom |= copy_text(&d->contact_masked, r->contact_masked);
	if (r->crs != SQ_CRS_NONE) {
		d->has_pos = 1;
		d->lat = r->lat;
		d->lon = r->lon;
	}
	if (oom) {
		dedup_doc_release(d);
		return SQ_ENOMEM;
	}
	return SQ_OK;
}

sq_err dedup_prepare(const struct sq_dedup *dd, const struct sq_record *r,
		     struct dedup_prep **out, struct sq_error *err)
{
	struct dedup_prep *p = calloc(1, sizeof(*p));
	sq_err rc;

	*out = NULL;
	if (!p)
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	rc = doc_of_record(r, &p->doc) ? sq_fail(err, SQ_ENOMEM, "out of memory")
				       : shape(dd, &p->doc, r->title, r->text, r->address, &p->wd,
					       err);
	if (rc) {
		dedup_prep_free(p);
		return rc;
	}
	*out = p;
	return SQ_OK;
}

static sq_err place_failed(struct sq_dedup *dd, struct sq_error *err)
{
	placing_release(dd->placing);
	forget(dd);   /* the caller's rollback undoes what the caches hold */
	return sq_error_prefix(err, "linking complaints: ");
}

sq_err dedup_place(struct sq_dedup *dd, const struct sq_record *r, struct dedup_prep *prep,
		   int64_t now, int64_t *incident_id, struct sq_error *err)
{
	struct placing *pl;
	sq_err rc = SQ_OK;

	if (dd->rollbacks != store_rollbacks(dd->st))
		forget(dd);
	if (!dd->placing && !(dd->placing = calloc(1, sizeof(*dd->placing))))
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	pl = dd->placing;
	placing_release(pl);
	if (prep) {
		/* taken over: prep keeps nothing */
		pl->doc = prep->doc;
		pl->wd = prep->wd;
		memset(&prep->doc, 0, sizeof(prep->doc));
		memset(&prep->wd, 0, sizeof(prep->wd));
	} else if (doc_of_record(r, &pl->doc)) {
		rc = sq_fail(err, SQ_ENOMEM, "out of memory");
	} else {
		rc = shape(dd, &pl->doc, r->title, r->text, r->address, &pl->wd, err);
	}
	if (!rc)
		rc = count_terms(dd, &pl->doc, NULL, &pl->wd, err);
	if (!rc)
		rc = link_new(dd, &pl->doc, &pl->wd, r->links, r->nlinks, &pl->plan, now, err);
	if (!rc && pl->plan.incident_id)
		rc = store_incident_grow(dd->st, pl->plan.incident_id, &pl->doc, err);
	else if (!rc)
		rc = store_incident_open(dd->st, &pl->doc, now, &pl->plan.incident_id, err);
	if (rc)
		return place_failed(dd, err);
	pl->active = 1;
	pl->now = now;
	*incident_id = pl->plan.incident_id;
	return SQ_OK;
}

sq_err dedup_placed(struct sq_dedup *dd, int64_t complaint_id, struct sq_error *err)
{
	struct placing *pl = dd->placing;
	sq_err rc;

	if (!pl || !pl->active)
		return sq_fail(err, SQ_ENOTFOUND,
			       "linking complaints: complaint %lld was stored unplaced",
			       (long long)complaint_id);
	pl->doc.id = complaint_id;
	cache_forget(dd, complaint_id);
	rc = joined(dd, &pl->doc, &pl->plan, pl->now, err);
	if (!rc)
		rc = settle(dd, &pl->doc, 0, &pl->wd, err);
	if (rc)
		return place_failed(dd, err);
	placing_release(pl);
	return SQ_OK;
}

/* How far behind the newest complaint the index reaches (0: all of it). */
static int64_t keep_s(const struct sq_dedup *dd)
{
	int64_t keep = dd->cfg->index_keep_ms / 1000;

	return keep > 0 && keep < 2 * window_s(dd) ? 2 * window_s(dd) : keep;
}

/*
 * Remove the keys and bands of a slice of the complaints received more
 * than keep_s() before the newest one (or before now, should a mistyped
 * date lie in the future): nothing new can reach them.  A slice per call,
 * larger than a page, so the horizon keeps up with the traffic and no call
 * pays for a long catch-up.
 */
static sq_err prune_index(struct sq_dedup *dd, int64_t now, struct sq_error *err)
{
	int64_t newest, reached, keep = keep_s(dd);
	sq_err rc;

	if (!keep)
		return SQ_OK;
	rc = store_dedup_horizon(dd->st, &newest, &dd->pruned_before, err);
	if (rc || !newest)
		return rc;
	if (newest > now)
		newest = now;
	if (newest - keep <= dd->pruned_before)
		return SQ_OK;
	rc = store_dedup_prune(dd->st, dd->pruned_before, newest - keep, PRUNE_SLICE, &reached,
			       err);
	if (!rc)
		dd->pruned_before = reached;
	return rc;
}

sq_err dedup_link_tx(struct sq_dedup *dd, const int64_t *ids, size_t n, int64_t now,
		     struct sq_error *err)
{
	struct store_ids pending = { 0 };
	int64_t after = 0;
	size_t i;
	sq_err rc = SQ_OK;

	if (dd->rollbacks != store_rollbacks(dd->st))
		forget(dd);
	rc = prune_index(dd, now, err);
	for (i = 0; !rc && i < n; i++)
		rc = link_one(dd, ids[i], now, err);
	/* Whatever an interrupted run of an older suqiu (which committed a
	 * page before linking it) stored and never linked, in batches;
	 * `after` moves on even if one of them stayed unlinked. */
	while (!rc) {
		pending.n = 0;
		rc = store_unlinked(dd->st, after, 256, &pending, err);
		if (rc || !pending.n)
			break;
		for (i = 0; !rc && i < pending.n; i++)
			rc = link_one(dd, pending.v[i], now, err);
		after = pending.v[pending.n - 1];
	}
	store_ids_release(&pending);
	if (!rc && !dd->defer_counts)
		rc = pending_flush(&dd->pending, dd->st, err);
	if (rc) {
		/* the caller's rollback undoes what the caches hold */
		forget(dd);
		return sq_error_prefix(err, "linking complaints: ");
	}
	return SQ_OK;
}

void dedup_defer_counts(struct sq_dedup *dd, int on)
{
	dd->defer_counts = on;
}

sq_err dedup_flush(struct sq_dedup *dd, struct sq_error *err)
{
	sq_err rc;

	if (dd->rollbacks != store_rollbacks(dd->st)) {
		forget(dd);   /* what was pending went with the rollback */
		return SQ_OK;
	}
	rc = pending_flush(&dd->pending, dd->st, err);
	if (rc) {
		forget(dd);
		return sq_error_prefix(err, "linking complaints: ");
	}
	return SQ_OK;
}

sq_err dedup_link(struct sq_dedup *dd, const int64_t *ids, size_t n, int64_t now,
		  struct sq_error *err)
{
	sq_err rc;

	rc = store_begin(dd->st, err);
	if (rc)
		return rc;
	rc = dedup_link_tx(dd, ids, n, now, err);
	if (!rc && store_commit(dd->st, err))
		rc = sq_error_prefix(err, "linking complaints: ");
	if (rc) {
		store_rollback(dd->st);
		forget(dd);
	}
	return rc;
}

/* ---- analysts' decisions ------------------------------------------------- */

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

sq_err dedup_resolve(struct sq_store *st, const char *ref, int64_t *complaint_id,
		     int64_t *incident_id, struct sq_error *err)
{
	struct store_incident inc;
	struct dedup_doc d = { 0 };
	const char *colon = strchr(ref, ':');
	int found = 0;
	sq_err rc;

	*complaint_id = *incident_id = 0;
	if ((ref[0] == 'C' || ref[0] == 'c' || ref[0] == 'I' || ref[0] == 'i') &&
	    all_digits(ref + 1)) {
		long long v;
		char *end;

		errno = 0;
		v = strtoll(ref + 1, &end, 10);
		if (errno || v <= 0)
			return sq_fail(err, SQ_EUSAGE, "'%s': id out of range", ref);
		if (ref[0] == 'I' || ref[0] == 'i') {
			rc = store_incident_get(st, v, &inc, &found, err);
			store_incident_release(&inc);
			if (!rc && found)
				*incident_id = v;
		} else {
			rc = store_dedup_doc(st, v, &d, &found, err);
			dedup_doc_release(&d);
			if (!rc && found)
				*complaint_id = v;
		}
		if (rc)
			return rc;
		if (!found)
			return sq_fail(err, SQ_ENOTFOUND, "'%s': no such %s", ref,
				       ref[0] == 'I' || ref[0] == 'i' ? "incident" : "complaint");
		return SQ_OK;
	}
	if (colon && colon != ref && colon[1]) {
		char *source = sq_strndup(ref, (size_t)(colon - ref));

		if (!source)
			return sq_fail(err, SQ_ENOMEM, "out of memory");
		rc = store_complaint_find(st, source, colon + 1, complaint_id, err);
		free(source);
		if (rc)
			return rc;
		if (!*complaint_id)
			return sq_fail(err, SQ_ENOTFOUND, "'%s': no such complaint", ref);
		return SQ_OK;
	}
	return sq_fail(err, SQ_EUSAGE,
		       "'%s': expected C<id> (complaint), I<id> (incident) or SOURCE:SOURCE_ID", ref);
}

sq_err dedup_resolve_incident(struct sq_store *st, const char *ref, int64_t *incident_id,
			      struct sq_error *err)
{
	struct dedup_doc d = { 0 };
	int64_t complaint_id;
	int found;
	sq_err rc;

	rc = dedup_resolve(st, ref, &complaint_id, incident_id, err);
	if (rc || *incident_id)
		return rc;
	rc = store_dedup_doc(st, complaint_id, &d, &found, err);
	*incident_id = d.incident_id;
	dedup_doc_release(&d);
	if (!rc && !*incident_id)
		return sq_fail(err, SQ_ENOTFOUND,
			       "'%s' is not linked to an incident yet (run 'suqiu poll')", ref);
	return rc;
}

sq_err dedup_merge(struct sq_store *st, int64_t a, int64_t b, int64_t now, const char *note,
		   struct sq_error *err)
{
	struct store_incident inc;
	int found_a = 0, found_b = 0;
	sq_err rc;

	if (a == b)
		return sq_fail(err, SQ_EUSAGE, "I%lld: both are the same incident", (long long)a);
	rc = store_begin(st, err);
	if (rc)
		return rc;
	rc = store_incident_get(st, a, &inc, &found_a, err);
	store_incident_release(&inc);
	if (!rc)
		rc = store_incident_get(st, b, &inc, &found_b, err);
	store_incident_release(&inc);
	if (!rc && (!found_a || !found_b))
		rc = sq_fail(err, SQ_ENOTFOUND, "I%lld: no such incident",
			     (long long)(found_a ? b : a));
	if (!rc)
		rc = store_apart_clear(st, a, b, err);
	if (!rc)
		rc = store_incident_merge(st, a, b, err);
	if (!rc)
		rc = store_decision_add(st, "merge", 0, a, b, now, note, err);
	if (!rc)
		rc = store_commit(st, err);
	if (rc)
		store_rollback(st);
	return rc;
}

sq_err dedup_split(struct sq_store *st, int64_t complaint_id, int64_t now, const char *note,
		   int64_t *new_incident, struct sq_error *err)
{
	struct store_incident inc = { 0 };
	struct dedup_doc d = { 0 };
	int found = 0;
	sq_err rc;

	*new_incident = 0;
	rc = store_begin(st, err);
	if (rc)
		return rc;
	rc = store_dedup_doc(st, complaint_id, &d, &found, err);
	if (!rc && !found)
		rc = sq_fail(err, SQ_ENOTFOUND, "C%lld: no such complaint", (long long)complaint_id);
	if (!rc && !d.incident_id)
		rc = sq_fail(err, SQ_ENOTFOUND, "C%lld is not linked to an incident yet",
			     (long long)complaint_id);
	if (!rc)
		rc = store_incident_get(st, d.incident_id, &inc, &found, err);
	if (!rc && inc.size <= 1)
		rc = sq_fail(err, SQ_EUSAGE, "C%lld is already alone in incident I%lld",
			     (long long)complaint_id, (long long)d.incident_id);
	if (!rc)
		rc = store_incident_new(st, complaint_id, now, new_incident, err);
	if (!rc)
		rc = store_apart_add(st, complaint_id, d.incident_id, err);
	if (!rc)
		rc = store_link_set(st, complaint_id, "split", 0, 0, NULL, now, err);
	if (!rc)
		rc = store_decision_add(st, "split", complaint_id, d.incident_id, *new_incident, now,
					note, err);
	if (!rc)
		rc = store_commit(st, err);
	if (rc)
		store_rollback(st);
	store_incident_release(&inc);
	dedup_doc_release(&d);
	return rc;
}
