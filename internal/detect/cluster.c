/*
 * cluster — many distinct incidents of one category in one place within a
 * sliding window (detect.cluster_window, default 72h).
 *
 * Places, most general first: a community; a grid cell; a circle of
 * detect.cluster_radius_m around an incident (which also catches clusters
 * straddling a community boundary).  A place's count is its incidents in
 * the window, but never more than their distinct complainants — one
 * resident filing five reports is not five residents.  It flags when the
 * count reaches detect.cluster_min AND is improbable for that place: the
 * probability of that many, given the place's own count over the 56 days
 * before the window (or over the history there is: days before the first
 * stored complaint are unknown, not quiet), is below detect.cluster_alpha — the negative-binomial
 * posterior predictive of detect_surprise(), which also allows for how
 * little a few weeks of a quiet place say about its rate.
 * A burst inside one day is also judged against days (each look with
 * half of alpha), since a 72-hour count dilutes six reports in a night.
 * That keeps busy communities from flagging every few days without a
 * threshold tuned per community.  A place whose incidents are mostly in a
 * cluster already found this run (a grid inside a flagged community) is
 * not reported again.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detector.h"
#include "banned.h"

#define BASELINE_DAYS 56
#define DAY_S 86400

enum scope { SCOPE_COMMUNITY, SCOPE_GRID, SCOPE_RADIUS };

static int64_t window_s(const struct sq_detect_config *dc)
{
	return dc->cluster_window_ms > 0 ? dc->cluster_window_ms / 1000 : 72 * 3600;
}

static int64_t lookback(const struct sq_detect_config *dc)
{
	/* A day more than needed: the first stored complaint then lies before
	 * the baseline's start in a store that has the whole baseline. */
	return window_s(dc) + (BASELINE_DAYS + 1) * 86400;
}

struct ref {
	const char *cat, *key;
	size_t unit;
};

static int cmp_ref(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;
	int c = detect_name_cmp(x->cat, y->cat);

	if (c)
		return c;
	c = detect_name_cmp(x->key, y->key);
	if (c)
		return c;
	return x->unit < y->unit ? -1 : x->unit > y->unit;
}

/* Number of refs in sorted base[0..n) with this cat and key. */
static size_t count_key(const struct ref *base, size_t n, const char *cat, const char *key)
{
	size_t lo = 0, hi = n, first, i;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = detect_name_cmp(base[mid].cat, cat);

		if (!c)
			c = detect_name_cmp(base[mid].key, key);
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	first = lo;
	for (i = first; i < n && !detect_name_cmp(base[i].cat, cat) && !detect_name_cmp(base[i].key, key); i++)
		;
	return i - first;
}

struct cl {
	struct detect_ctx *ctx;
	int64_t window, t0, b0;
	int64_t history;                 /* seconds of baseline actually stored (>= window) */
	unsigned char *covered;          /* per unit: already in a finding this run */
	const struct detect_unit **tmp;  /* scratch for counting complainants */
};

/* Consider the units idx[0..n) at one place; emit when they are a cluster. */
static sq_err consider(struct cl *cl, const size_t *idx, size_t n, size_t baseline,
		       enum scope scope, const char *key, const char *grid, int64_t seed)
{
	struct detect_ctx *ctx = cl->ctx;
	const struct detect_input *in = ctx->in;
	const struct detect_unit *first = &in->units[idx[0]];
	struct detect_finding f;
	size_t i, covered = 0, people, count;
	double lambda, p, blocks, alpha = ctx->dc->cluster_alpha;
	char win[32];
	const char *comm = first->community;

	if ((int64_t)n < ctx->dc->cluster_min)
		return SQ_OK;
	for (i = 0; i < n; i++) {
		covered += cl->covered[idx[i]];
		cl->tmp[i] = &in->units[idx[i]];
	}
	if (covered * 2 >= n)
		return SQ_OK;
	people = detect_count_complainants(in, cl->tmp, n);
	count = people < n ? people : n;
	if ((int64_t)count < ctx->dc->cluster_min)
		return SQ_OK;
	blocks = (double)cl->history / (double)cl->window;
	lambda = ((double)baseline + 0.5) / blocks;
	p = detect_surprise((int64_t)count, (double)baseline, blocks);
	/*
	 * A burst within one day is judged against days too: six in a night is
	 * far rarer than six in three days, and a 72-hour count dilutes it.
	 * Two looks, so each gets half of alpha (Bonferroni).
	 */
	if (cl->window > DAY_S) {
		size_t nday = 0, people_day, count_day;
		double p_day;

		for (i = 0; i < n; i++)
			if (in->units[idx[i]].at > ctx->now - DAY_S)
				cl->tmp[nday++] = &in->units[idx[i]];
		people_day = detect_count_complainants(in, cl->tmp, nday);
		count_day = people_day < nday ? people_day : nday;
		if ((int64_t)count_day >= ctx->dc->cluster_min) {
			p_day = detect_surprise((int64_t)count_day, (double)baseline,
						(double)cl->history / DAY_S);
			if (p_day < p)
				p = p_day;
		}
		alpha /= 2;
	}
	if (p >= alpha)
		return SQ_OK;

	detect_finding_init(&f, FLAG_CLUSTER);
	f.severity = FLAG_MEDIUM;
	f.threshold = ctx->dc->cluster_min;
	f.min_fresh = ctx->dc->cluster_min;
	f.match_overlap = scope == SCOPE_RADIUS;
	for (i = 0; i < n; i++) {
		cl->covered[idx[i]] = 1;
		if (detect_finding_add_unit(&f, in, &in->units[idx[i]]))
			goto oom;
	}
	detect_duration_label(cl->window * 1000, win, sizeof(win));
	if (scope == SCOPE_RADIUS) {
		if (detect_finding_key(&f, "cluster:%s:radius:%lld", first->category, (long long)seed) ||
		    detect_finding_summary(&f, "%s一带 %.0f 米内%s内有 %zu 起「%s」事件（%zu 位诉求人），"
					   "此前八周同期平均 %.1f 起",
					   comm ? comm : "", ctx->dc->cluster_radius_m, win, n,
					   flag_category_label(first->category), people, lambda))
			goto oom;
	} else if (scope == SCOPE_GRID) {
		if (detect_finding_key(&f, "cluster:%s:grid:%s", first->category, key) ||
		    detect_finding_summary(&f, "%s网格 %s %s内有 %zu 起「%s」事件（%zu 位诉求人），"
					   "此前八周同期平均 %.1f 起",
					   comm ? comm : "", grid, win, n,
					   flag_category_label(first->category), people, lambda))
			goto oom;
	} else {
		if (detect_finding_key(&f, "cluster:%s:community:%s", first->category, key) ||
		    detect_finding_summary(&f, "%s%s内有 %zu 起「%s」事件（%zu 位诉求人），"
					   "此前八周同期平均 %.1f 起",
					   key, win, n, flag_category_label(first->category), people,
					   lambda))
			goto oom;
	}
	if (detect_finding_place(&f, first->category, comm) ||
	    detect_finding_detail(&f, "%zu 起事件、%zu 位诉求人，期望 %.2f 起，尾概率 %.2g（阈值 %.2g）",
				  n, people, lambda, p, alpha))
		goto oom;
	return detect_emit(ctx, &f);
oom:
	detect_finding_release(&f);
	return sq_fail(ctx->err, SQ_ENOMEM, "out of memory");
}

/* Community or grid places: group the window's units by (category, key). */
static sq_err by_key(struct cl *cl, enum scope scope, struct ref *win, size_t nwin,
		     struct ref *base, size_t nbase, size_t *idx)
{
	const struct detect_input *in = cl->ctx->in;
	size_t i, j, k, nw = 0, nb = 0;
	sq_err rc;

	for (i = 0; i < in->nunits; i++) {
		const struct detect_unit *u = &in->units[i];
		const char *key = scope == SCOPE_GRID ? u->grid : u->community;

		if (!u->category || !key || u->at < cl->b0 || u->at > cl->ctx->now)
			continue;
		if (u->at >= cl->t0)
			win[nw++] = (struct ref){ u->category, key, i };
		else
			base[nb++] = (struct ref){ u->category, key, i };
	}
	(void)nwin;
	(void)nbase;
	qsort(win, nw, sizeof(*win), cmp_ref);
	qsort(base, nb, sizeof(*base), cmp_ref);
	for (i = 0; i < nw; i = j) {
		for (j = i; j < nw && !detect_name_cmp(win[j].cat, win[i].cat) &&
			    !detect_name_cmp(win[j].key, win[i].key); j++)
			;
		for (k = i; k < j; k++)
			idx[k - i] = win[k].unit;
		rc = consider(cl, idx, j - i, count_key(base, nb, win[i].cat, win[i].key), scope,
			      win[i].key, scope == SCOPE_GRID ? win[i].key : NULL, 0);
		if (rc)
			return rc;
	}
	return SQ_OK;
}

struct seed {
	size_t unit, n;
};

static int cmp_seed(const void *a, const void *b)
{
	const struct seed *x = a, *y = b;

	if (x->n != y->n)
		return x->n > y->n ? -1 : 1;
	return x->unit < y->unit ? -1 : x->unit > y->unit;
}

/* A unit with a position and a category, as by_radius looks them up. */
struct placed {
	const char *cat;
	double lat;
	size_t unit;
};

static int cmp_placed(const void *a, const void *b)
{
	const struct placed *x = a, *y = b;
	int c = detect_name_cmp(x->cat, y->cat);

	if (c)
		return c;
	if (x->lat != y->lat)
		return x->lat < y->lat ? -1 : 1;
	return x->unit < y->unit ? -1 : x->unit > y->unit;
}

static int cmp_size(const void *a, const void *b)
{
	size_t x = *(const size_t *)a, y = *(const size_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * Seed s's neighbours, in units: p[0..np) sorted by cmp_placed, only the
 * stretch of s's category within dlat degrees of its latitude (a
 * great-circle distance is at least the earth's radius times the
 * latitudes' difference), then by distance.  Into idx those of the
 * window, in the band's order; *baseline counts those before it.
 */
static size_t neighbours(const struct cl *cl, const struct placed *p, size_t np, double dlat,
			 const struct detect_unit *s, size_t *idx, size_t *baseline)
{
	const struct detect_unit *units = cl->ctx->in->units;
	double radius = cl->ctx->dc->cluster_radius_m;
	size_t lo = 0, hi = np, n = 0;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = detect_name_cmp(p[mid].cat, s->category);

		if (c < 0 || (c == 0 && p[mid].lat < s->lat - dlat))
			lo = mid + 1;
		else
			hi = mid;
	}
	for (; lo < np && !detect_name_cmp(p[lo].cat, s->category) && p[lo].lat <= s->lat + dlat;
	     lo++) {
		const struct detect_unit *u = &units[p[lo].unit];

		if (detect_distance_m(s->lat, s->lon, u->lat, u->lon) > radius)
			continue;
		if (u->at >= cl->t0)
			idx[n++] = p[lo].unit;
		else if (baseline)
			(*baseline)++;
	}
	return n;
}

/*
 * Circles of cluster_radius_m around each incident of the window.  The
 * units with a position are sorted by category and latitude once, so a
 * circle reads its own latitude band, not every unit of the look-back
 * (which made this quadratic: 47 % of a detection at 100k stored when
 * every complaint had a position).
 */
static sq_err by_radius(struct cl *cl, size_t *idx)
{
	const struct detect_input *in = cl->ctx->in;
	double dlat = cl->ctx->dc->cluster_radius_m / (6371008.8 * M_PI / 180.0) * (1 + 1e-9);
	struct seed *seeds;
	struct placed *p;
	size_t i, ns = 0, np = 0;
	sq_err rc = SQ_OK;

	seeds = malloc((in->nunits ? in->nunits : 1) * sizeof(*seeds));
	p = malloc((in->nunits ? in->nunits : 1) * sizeof(*p));
	if (!seeds || !p) {
		free(seeds);
		free(p);
		return sq_fail(cl->ctx->err, SQ_ENOMEM, "out of memory");
	}
	for (i = 0; i < in->nunits; i++) {
		const struct detect_unit *u = &in->units[i];

		if (u->has_pos && u->category && u->at >= cl->b0 && u->at <= cl->ctx->now)
			p[np++] = (struct placed){ u->category, u->lat, i };
	}
	qsort(p, np, sizeof(*p), cmp_placed);
	for (i = 0; i < in->nunits; i++) {
		const struct detect_unit *s = &in->units[i];
		size_t n;

		if (!s->has_pos || !s->category || s->at < cl->t0 || s->at > cl->ctx->now)
			continue;
		n = neighbours(cl, p, np, dlat, s, idx, NULL);
		if ((int64_t)n >= cl->ctx->dc->cluster_min)
			seeds[ns++] = (struct seed){ i, n };
	}
	qsort(seeds, ns, sizeof(*seeds), cmp_seed);
	for (i = 0; i < ns && !rc; i++) {
		const struct detect_unit *s = &in->units[seeds[i].unit];
		size_t n, baseline = 0;

		n = neighbours(cl, p, np, dlat, s, idx, &baseline);
		/* in unit order, as consider() reads them: its first names the place */
		qsort(idx, n, sizeof(*idx), cmp_size);
		rc = consider(cl, idx, n, baseline, SCOPE_RADIUS, NULL, NULL, s->key);
	}
	free(seeds);
	free(p);
	return rc;
}

static sq_err run(struct detect_ctx *ctx)
{
	const struct detect_input *in = ctx->in;
	size_t n = in->nunits ? in->nunits : 1;
	struct cl cl = { 0 };
	struct ref *win = NULL, *base = NULL;
	size_t *idx = NULL;
	sq_err rc = SQ_OK;

	if (!in->nunits)
		return SQ_OK;
	cl.ctx = ctx;
	cl.window = window_s(ctx->dc);
	cl.t0 = ctx->now - cl.window;
	cl.b0 = cl.t0 - BASELINE_DAYS * 86400;
	/* Days before the first stored complaint are unknown, not quiet. */
	cl.history = cl.t0 - (in->rows[0].received_at > cl.b0 ? in->rows[0].received_at : cl.b0);
	if (cl.history < cl.window)
		cl.history = cl.window;
	cl.covered = calloc(n, 1);
	cl.tmp = malloc(n * sizeof(*cl.tmp));
	win = malloc(n * sizeof(*win));
	base = malloc(n * sizeof(*base));
	idx = malloc(n * sizeof(*idx));
	if (!cl.covered || !cl.tmp || !win || !base || !idx) {
		rc = sq_fail(ctx->err, SQ_ENOMEM, "out of memory");
		goto out;
	}
	rc = by_key(&cl, SCOPE_COMMUNITY, win, n, base, n, idx);
	if (!rc)
		rc = by_key(&cl, SCOPE_GRID, win, n, base, n, idx);
	if (!rc && ctx->dc->cluster_radius_m > 0)
		rc = by_radius(&cl, idx);
out:
	free(cl.covered);
	free(cl.tmp);
	free(win);
	free(base);
	free(idx);
	return rc;
}

const struct sq_detector detector_cluster = { "cluster", lookback, run };
