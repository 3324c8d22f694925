/*
 * spacetime — the prospective space-time permutation scan statistic
 * (Kulldorff, Heffernan, Hartman, Assunção, Mostashari 2005, "A space-time
 * permutation scan statistic for disease outbreak detection", PLoS Med
 * 2(3):e59; the model of SaTScan).
 *
 * Cases are incidents, dated by local day and placed in a cell: their
 * community and category.  Over a study period of detect.spacetime_days
 * (default 56) ending today, the expected count of a cylinder — a zone
 * (one category in a community and its nearest neighbours, up to half of
 * the communities) times the last w days, w <= detect.spacetime_max_days —
 * comes from the data's own margins: mu = C(zone) * C(days) / C, where
 * C(days) counts every case of those days.  So a community's category that
 * is always busy, or a day that is busy everywhere, raises no alarm; only
 * their interaction does.  (Taking the days' margin over all categories is
 * what lets the scan see a cluster in a small category at all: with the
 * category's own days as the margin, the cluster's cases would make up
 * most of both margins and explain themselves.)  The cylinder's Poisson
 * log-likelihood ratio is compared with the largest one of each of
 * detect.spacetime_replicates (default 999) Monte Carlo data sets in which
 * the days of all cases are shuffled among them (a seeded xoshiro256**
 * PRNG: the same data and seed give the same answer).  Every cell is
 * scanned in the same analysis and each replicate keeps its largest ratio
 * over all of them, so scanning twenty categories does not give twenty
 * chances of a false alarm.
 *
 * Because the scan repeats, a p-value alone says little: at p = 0.01 and
 * four analyses a day a false signal comes every 25 days.  The threshold
 * is the recurrence interval RI = 1 / (p * analyses per day) (SaTScan's
 * convention): a cluster is flagged when RI >= detect.spacetime_recurrence
 * (default 100 days).  The scan runs at most every
 * detect.spacetime_interval (default 6h, so 4 analyses a day), and with
 * 999 replicates p >= 0.001, so RI can reach 250 days.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "detect/detector.h"
#include "banned.h"

#define MAX_COMMUNITIES 64
#define COMM_SEEN 1024   /* community_index's cache of names seen */
#define MAX_DAYS 366
#define MAX_WINDOW 30

static int64_t study_days(const struct sq_detect_config *dc)
{
	int64_t d = dc->spacetime_days;

	return d < 7 ? 56 : d > MAX_DAYS ? MAX_DAYS : d;
}

static int64_t lookback(const struct sq_detect_config *dc)
{
	return (study_days(dc) + 1) * 86400;
}

/* ---- xoshiro256** (Blackman & Vigna), seeded by splitmix64 ---------------- */

struct rng {
	uint64_t s[4];
};

static uint64_t splitmix64(uint64_t *x)
{
	uint64_t z = (*x += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

static void rng_seed(struct rng *r, uint64_t seed)
{
	int i;

	for (i = 0; i < 4; i++)
		r->s[i] = splitmix64(&seed);
}

static uint64_t rotl(uint64_t x, int k)
{
	return (x << k) | (x >> (64 - k));
}

static uint64_t rng_next(struct rng *r)
{
	uint64_t result = rotl(r->s[1] * 5, 7) * 9, t = r->s[1] << 17;

	r->s[2] ^= r->s[0];
	r->s[3] ^= r->s[1];
	r->s[1] ^= r->s[2];
	r->s[0] ^= r->s[3];
	r->s[2] ^= t;
	r->s[3] = rotl(r->s[3], 45);
	return result;
}

/* Uniform in [0, n) without modulo bias (Lemire's method, simplified). */
static size_t rng_below(struct rng *r, size_t n)
{
	uint64_t limit = UINT64_MAX - UINT64_MAX % n, x;

	do
		x = rng_next(r);
	while (x >= limit);
	return (size_t)(x % n);
}

/* ---- the scan ---------------------------------------------------------- */

struct cat {
	const char *name;
	size_t first, n;          /* its cases: case_comm/case_day[first .. first+n) */
	double total;
	double by_comm[MAX_COMMUNITIES];   /* the cells' totals: C(community, category) */
};

struct scan {
	struct detect_ctx *ctx;
	int64_t today, D, W;
	double total;                          /* C: every case of the study period */
	double by_day[MAX_DAYS];               /* index: days before today (0 = today) */
	double recent_total[MAX_WINDOW + 1];   /* C(last w days), w = 1..W */
	size_t ncomm;
	const char *comm[MAX_COMMUNITIES];
	/* community_index's answers by the name's pointer: the input shares
	 * one copy of each name, the configuration's areas another */
	const char *seen[COMM_SEEN];
	int seen_at[COMM_SEEN];
	uint64_t *zones;          /* community bit masks */
	size_t nzones;
	struct cat *cats;
	size_t ncats;
	size_t ncases;
	size_t *case_unit;        /* unit index per case, by category */
	int *case_comm;
	int *case_day;            /* days before today */
	int *perm_day;            /* scratch for a replicate */
	double *recent;           /* [ncomm][W]: counts in the last days, for one category */
	double *cum;              /* [ncomm][W]: the same summed over the last w days */
	double *zone_recent;      /* [W]: one zone's counts in the last w days */
};

static double llr(double c, double mu, double total)
{
	double r;

	if (c <= mu || mu <= 0)
		return 0.0;
	r = c * log(c / mu);
	if (total > c)
		r += (total - c) * log((total - c) / (total - mu));
	return r;
}

/*
 * Largest ratio over the zones and windows of one category's recent counts;
 * zone_total[z] is the category's study-period count in zone z (the same
 * in every replicate, so computed once).  This runs (replicates + 1) times
 * per category, so a zone's recent counts are not summed over its members
 * for every window: zones come in runs that grow one neighbour at a time
 * (build_zones), so each zone's counts are the previous zone's plus the
 * added communities' running sums over the days.  Every count is a whole
 * number, so the sums are exact in any order: the same ratios as summing
 * each zone afresh.  to_beat: a ratio to beat (0 for none); the result is
 * the larger of the two.  A replicate wants only its largest ratio over
 * every category, so each category starts from the best of those before
 * it, and windows that cannot beat that need no logarithm.
 */
static double best_cylinder(const struct scan *sc, const double *zone_total,
			    const double *recent, double to_beat, size_t *best_zone,
			    int64_t *best_w, double *best_c, double *best_mu)
{
	double best = to_beat, min_cases = (double)sc->ctx->dc->spacetime_min_cases;
	double *cum = sc->cum, *c = sc->zone_recent;
	size_t z, b, d, W = (size_t)sc->W;
	int64_t w;

	/* cum[b][w - 1]: community b's cases in the last w days */
	for (b = 0; b < sc->ncomm; b++) {
		double s = 0.0;

		for (d = 0; d < W; d++) {
			s += recent[b * W + d];
			cum[b * W + d] = s;
		}
	}
	for (z = 0; z < sc->nzones; z++) {
		uint64_t add = sc->zones[z];

		if (z > 0 && !(sc->zones[z - 1] & ~add))
			add &= ~sc->zones[z - 1];
		else
			memset(c, 0, W * sizeof(*c));
		for (; add; add &= add - 1) {
			b = (size_t)__builtin_ctzll(add);
			for (d = 0; d < W; d++)
				c[d] += cum[b * W + d];
		}
		/* c[] only grows with the window: the longest has the most */
		if (zone_total[z] < min_cases || c[W - 1] < min_cases)
			continue;
		for (w = 1; w <= sc->W; w++) {
			double mu, r, cw = c[w - 1];

			if (cw < min_cases)
				continue;
			mu = zone_total[z] * sc->recent_total[w] / sc->total;
			/*
			 * log x <= x - 1 bounds both terms of llr: with C the
			 * total, llr <= c (c - mu) / mu + (C - c) (mu - c) / (C - mu)
			 * = C (c - mu)^2 / (mu (C - mu)), about twice the ratio
			 * itself when c is near mu, where most windows are.  A
			 * window under that bound cannot beat the best and needs
			 * no logarithm.  (The bound before was c (c - mu) / mu,
			 * the first term's alone: c / (c - mu) times looser.)
			 */
			if (sc->total * (cw - mu) * (cw - mu) <= best * mu * (sc->total - mu))
				continue;
			r = llr(cw, mu, sc->total);
			if (r > best) {
				best = r;
				if (best_zone) {
					*best_zone = z;
					*best_w = w;
					*best_c = cw;
					*best_mu = mu;
				}
			}
		}
	}
	return best;
}

/* Recent counts of category k with the days in `days` (cases in order). */
static void count_recent(const struct scan *sc, const struct cat *k, const int *days,
			 double *recent)
{
	size_t i;

	memset(recent, 0, sc->ncomm * (size_t)sc->W * sizeof(*recent));
	for (i = 0; i < k->n; i++) {
		int d = days[k->first + i];

		if (d < sc->W)
			recent[(size_t)sc->case_comm[k->first + i] * (size_t)sc->W + (size_t)d] += 1;
	}
}

static int community_lookup(struct scan *sc, const char *name)
{
	size_t i;

	for (i = 0; i < sc->ncomm; i++)
		if (!strcmp(sc->comm[i], name))
			return (int)i;
	if (sc->ncomm >= MAX_COMMUNITIES)
		return -1;
	sc->comm[sc->ncomm] = name;
	return (int)sc->ncomm++;
}

/* A name's index among the communities (-1: too many), looked up by its
 * text once per copy of it: each unit's was a strcmp for every community
 * before it (3.2 M of them in a detection at 100k stored). */
static int community_index(struct scan *sc, const char *name)
{
	size_t slot = (size_t)((uintptr_t)name >> 3) % COMM_SEEN;

	if (sc->seen[slot] != name) {
		sc->seen_at[slot] = community_lookup(sc, name);
		sc->seen[slot] = name;
	}
	return sc->seen_at[slot];
}

struct dist {
	double d;
	size_t i;
};

static int cmp_dist(const void *a, const void *b)
{
	const struct dist *x = a, *y = b;

	if (x->d != y->d)
		return x->d < y->d ? -1 : 1;
	return x->i < y->i ? -1 : x->i > y->i;
}

/* Each community with its nearest neighbours (by configured centres). */
static sq_err build_zones(struct scan *sc)
{
	const struct sq_areas *areas = &sc->ctx->cfg->areas;
	int centred[MAX_COMMUNITIES] = { 0 };
	double lat[MAX_COMMUNITIES] = { 0 }, lon[MAX_COMMUNITIES] = { 0 };
	struct dist d[MAX_COMMUNITIES];
	size_t i, j, k, ncentred = 0, maxsize;

	for (i = 0; i < areas->ncommunities; i++) {
		const struct sq_area *a = &areas->communities[i];
		int idx;

		if (!a->name || (idx = community_index(sc, a->name)) < 0)
			continue;
		if (a->has_center && !centred[idx]) {
			centred[idx] = 1;
			lat[idx] = a->lat;
			lon[idx] = a->lon;
			ncentred++;
		}
	}
	maxsize = ncentred / 2 ? ncentred / 2 : 1;
	sc->zones = malloc((sc->ncomm * maxsize + 1) * sizeof(*sc->zones));
	if (!sc->zones)
		return SQ_ENOMEM;
	for (i = 0; i < sc->ncomm; i++) {
		size_t nd = 0;
		uint64_t mask = 0;

		if (!centred[i]) {
			sc->zones[sc->nzones++] = 1ull << i;
			continue;
		}
		for (j = 0; j < sc->ncomm; j++)
			if (centred[j])
				d[nd++] = (struct dist){ detect_distance_m(lat[i], lon[i], lat[j], lon[j]), j };
		qsort(d, nd, sizeof(*d), cmp_dist);
		for (j = 0; j < nd && j < maxsize; j++) {
			int dup = 0;

			mask |= 1ull << d[j].i;
			for (k = 0; k < sc->nzones && !dup; k++)
				dup = sc->zones[k] == mask;
			if (!dup)
				sc->zones[sc->nzones++] = mask;
		}
	}
	return SQ_OK;
}

struct case_ref {
	const char *cat;
	size_t unit;
	int comm, day;
};

static int cmp_case(const void *a, const void *b)
{
	const struct case_ref *x = a, *y = b;
	int c = detect_name_cmp(x->cat, y->cat);

	if (c)
		return c;
	return x->unit < y->unit ? -1 : x->unit > y->unit;
}

static sq_err collect(struct scan *sc)
{
	const struct detect_input *in = sc->ctx->in;
	struct case_ref *refs;
	size_t i, j, n = 0, nc = 0;
	int64_t w;

	refs = malloc((in->nunits ? in->nunits : 1) * sizeof(*refs));
	if (!refs)
		return SQ_ENOMEM;
	for (i = 0; i < in->nunits; i++) {
		const struct detect_unit *u = &in->units[i];
		int64_t back = sc->today - detect_local_day(sc->ctx, u->at);
		int ci;

		if (!u->category || !u->community || back < 0 || back >= sc->D ||
		    u->at > sc->ctx->now || (ci = community_index(sc, u->community)) < 0)
			continue;
		refs[n++] = (struct case_ref){ u->category, i, ci, (int)back };
	}
	qsort(refs, n, sizeof(*refs), cmp_case);
	for (i = 0; i < n; i = j) {
		for (j = i; j < n && !detect_name_cmp(refs[j].cat, refs[i].cat); j++)
			;
		nc++;
	}
	sc->cats = calloc(nc ? nc : 1, sizeof(*sc->cats));
	sc->case_unit = malloc((n ? n : 1) * sizeof(*sc->case_unit));
	sc->case_comm = malloc((n ? n : 1) * sizeof(*sc->case_comm));
	sc->case_day = malloc((n ? n : 1) * sizeof(*sc->case_day));
	sc->perm_day = malloc((n ? n : 1) * sizeof(*sc->perm_day));
	if (!sc->cats || !sc->case_unit || !sc->case_comm || !sc->case_day || !sc->perm_day) {
		free(refs);
		return SQ_ENOMEM;
	}
	for (i = 0; i < n; i = j) {
		struct cat *k = &sc->cats[sc->ncats++];

		k->name = refs[i].cat;
		k->first = i;
		for (j = i; j < n && !detect_name_cmp(refs[j].cat, refs[i].cat); j++) {
			sc->case_unit[j] = refs[j].unit;
			sc->case_comm[j] = refs[j].comm;
			sc->case_day[j] = refs[j].day;
			k->by_comm[refs[j].comm] += 1;
			k->total += 1;
			sc->by_day[refs[j].day] += 1;
			sc->total += 1;
		}
		k->n = j - i;
	}
	for (w = 1; w <= sc->W; w++)
		sc->recent_total[w] = sc->recent_total[w - 1] + sc->by_day[w - 1];
	sc->ncases = n;
	free(refs);
	return SQ_OK;
}

static sq_err report(struct scan *sc, const struct cat *k, size_t zone, int64_t w, double c,
		     double mu, double ratio, double p, double ri, double per_day)
{
	struct detect_ctx *ctx = sc->ctx;
	const struct detect_input *in = ctx->in;
	struct detect_finding f;
	struct sq_buf names = SQ_BUF_INIT;
	const char *centre = NULL;
	size_t i, b;

	detect_finding_init(&f, FLAG_SPACETIME);
	f.severity = FLAG_MEDIUM;
	f.threshold = ctx->dc->spacetime_min_cases;
	f.min_fresh = ctx->dc->spacetime_min_cases;
	f.match_overlap = 1;
	for (i = 0; i < k->n; i++) {
		size_t ci = k->first + i;

		if ((sc->zones[zone] & (1ull << sc->case_comm[ci])) && sc->case_day[ci] < w &&
		    detect_finding_add_unit(&f, in, &in->units[sc->case_unit[ci]]))
			goto oom;
	}
	/* The zone's centre is its first community in the scan's own order. */
	for (b = 0; b < sc->ncomm; b++) {
		if (!(sc->zones[zone] & (1ull << b)))
			continue;
		if (!centre)
			centre = sc->comm[b];
		if ((names.len && sq_buf_adds(&names, "、")) || sq_buf_adds(&names, sc->comm[b]))
			goto oom;
	}
	if (detect_finding_key(&f, "spacetime:%s:%s", k->name, centre ? centre : "-") ||
	    detect_finding_place(&f, k->name, centre) ||
	    detect_finding_summary(&f, "%s近 %lld 天「%s」%.0f 起，按以往分布预期 %.1f 起"
				   "（时空扫描，重现间隔约 %.0f 天）",
				   sq_buf_str(&names), (long long)w, flag_category_label(k->name), c, mu,
				   ri) ||
	    detect_finding_detail(&f, "时空重排扫描：对数似然比 %.2f，p = %.4f（%lld 次重排），"
				  "每日分析 %.1f 次，重现间隔 %.0f 天（阈值 %lld 天）；研究期 %lld 天",
				  ratio, p, (long long)ctx->dc->spacetime_replicates, per_day, ri,
				  (long long)(ctx->dc->spacetime_recurrence_ms / 86400000), (long long)sc->D))
		goto oom;
	sq_buf_release(&names);
	return detect_emit(ctx, &f);
oom:
	sq_buf_release(&names);
	detect_finding_release(&f);
	return sq_fail(ctx->err, SQ_ENOMEM, "out of memory");
}

static void scan_release(struct scan *sc)
{
	free(sc->zones);
	free(sc->cats);
	free(sc->case_unit);
	free(sc->case_comm);
	free(sc->case_day);
	free(sc->perm_day);
	free(sc->recent);
	free(sc->cum);
	free(sc->zone_recent);
}

/*
 * The recurrence interval in days of a ratio that `above` of R replicates
 * reached, its p-value into *p: RI = 1 / (p * analyses per day).
 */
static double recurrence_days(int64_t above, int64_t R, double per_day, double *p)
{
	*p = (double)(above + 1) / (double)(R + 1);
	return 1.0 / (*p * per_day);
}

/*
 * Can a category whose ratio `above` of R replicates reached still be
 * flagged?  The report's own test, so stopping on it changes no answer.
 * More replicates above only lower the interval: once not, never again.
 */
static int flaggable(const struct sq_detect_config *dc, int64_t above, int64_t R, double per_day)
{
	double p;

	return recurrence_days(above, R, per_day, &p) * 86400000.0 >=
	       (double)dc->spacetime_recurrence_ms;
}

/*
 * The span of the observed ratios of the categories that can still be
 * flagged (*least 0: none can).
 */
static void live_span(const struct scan *sc, const double *observed, const int64_t *above,
		      int64_t R, double per_day, double *least, double *largest)
{
	size_t k;

	*least = *largest = 0.0;
	for (k = 0; k < sc->ncats; k++) {
		if (observed[k] <= 0.0 || !flaggable(sc->ctx->dc, above[k], R, per_day))
			continue;
		if (*least == 0.0 || observed[k] < *least)
			*least = observed[k];
		if (observed[k] > *largest)
			*largest = observed[k];
	}
}

static sq_err run(struct detect_ctx *ctx)
{
	const struct sq_detect_config *dc = ctx->dc;
	int64_t interval = dc->spacetime_interval_ms > 0 ? dc->spacetime_interval_ms / 1000 : 6 * 3600;
	int64_t R = dc->spacetime_replicates > 0 ? dc->spacetime_replicates : 999;
	double per_day, *observed = NULL, *ztot = NULL, least = 0.0, largest = 0.0;
	size_t *bz = NULL, k, i;
	int64_t *bw = NULL, *above = NULL, r;
	double *bc = NULL, *bmu = NULL;
	struct scan sc = { 0 };
	struct rng rng;
	sq_err rc = SQ_OK;

	if (interval < 60)
		interval = 60;
	if (ctx->last_run_at && ctx->now - ctx->last_run_at < interval)
		return SQ_OK;   /* not due: the flags of the last scan stand */
	ctx->ran = 1;
	ctx->scans++;
	per_day = 86400.0 / (double)interval;
	sc.ctx = ctx;
	sc.today = detect_local_day(ctx, ctx->now);
	sc.D = study_days(dc);
	sc.W = dc->spacetime_max_days < 1 ? 7 : dc->spacetime_max_days;
	if (sc.W > MAX_WINDOW)
		sc.W = MAX_WINDOW;
	if (sc.W >= sc.D)
		sc.W = sc.D - 1;
	if (build_zones(&sc) || collect(&sc))
		goto oom;
	if (!sc.ncats)
		goto out;
	/* build_zones ran before collect met communities missing from the
	 * configuration: give each of those a zone of its own. */
	if (sc.ncomm) {
		uint64_t *z = realloc(sc.zones, (sc.nzones + sc.ncomm) * sizeof(*z));

		if (!z)
			goto oom;
		sc.zones = z;
		for (i = 0; i < sc.ncomm; i++) {
			size_t j;
			int seen = 0;

			for (j = 0; j < sc.nzones && !seen; j++)
				seen = (sc.zones[j] & (1ull << i)) != 0;
			if (!seen)
				sc.zones[sc.nzones++] = 1ull << i;
		}
	}
	sc.recent = malloc(sc.ncomm * (size_t)sc.W * sizeof(*sc.recent) + sizeof(double));
	sc.cum = malloc(sc.ncomm * (size_t)sc.W * sizeof(*sc.cum) + sizeof(double));
	sc.zone_recent = malloc((size_t)sc.W * sizeof(*sc.zone_recent) + sizeof(double));
	observed = calloc(sc.ncats, sizeof(*observed));
	bz = calloc(sc.ncats, sizeof(*bz));
	bw = calloc(sc.ncats, sizeof(*bw));
	bc = calloc(sc.ncats, sizeof(*bc));
	bmu = calloc(sc.ncats, sizeof(*bmu));
	above = calloc(sc.ncats, sizeof(*above));
	ztot = calloc(sc.ncats * sc.nzones, sizeof(*ztot));
	if (!sc.recent || !sc.cum || !sc.zone_recent || !observed || !bz || !bw || !bc || !bmu || !above || !ztot)
		goto oom;
	for (k = 0; k < sc.ncats; k++) {
		for (i = 0; i < sc.nzones; i++) {
			uint64_t m;

			for (m = sc.zones[i]; m; m &= m - 1)
				ztot[k * sc.nzones + i] += sc.cats[k].by_comm[__builtin_ctzll(m)];
		}
		if (sc.cats[k].total < (double)dc->spacetime_min_cases)
			continue;
		count_recent(&sc, &sc.cats[k], sc.case_day, sc.recent);
		observed[k] = best_cylinder(&sc, ztot + k * sc.nzones, sc.recent, 0.0,
					    &bz[k], &bw[k], &bc[k], &bmu[k]);
	}
	/*
	 * The p-values below ask only whether a replicate's maximum reaches
	 * each observed ratio, and only of the categories that can still be
	 * flagged: one that enough replicates reached never can be (its p can
	 * only grow), so it drops out (sequential Monte Carlo, Besag and
	 * Clifford 1991), and once none is left no replicate is needed.  The
	 * flags are those of all R replicates: a category flagged had every
	 * one.  A replicate starts just under the least of the ratios still
	 * asked about (a maximum below it answers every question alike, and
	 * windows under it need no logarithm) and stops once it has reached
	 * the largest.
	 */
	live_span(&sc, observed, above, R, per_day, &least, &largest);
	rng_seed(&rng, (uint64_t)dc->spacetime_seed ^ ((uint64_t)sc.today * 0x9e3779b97f4a7c15ull));
	memcpy(sc.perm_day, sc.case_day, sc.ncases * sizeof(*sc.perm_day));
	for (r = 0; r < R && largest > 0.0; r++) {
		double mx = nextafter(least, 0.0);

		/* Fisher-Yates over every case's day: cells and days keep their
		 * totals, only their pairing is random. */
		for (i = sc.ncases; i > 1; i--) {
			size_t j = rng_below(&rng, i);
			int t = sc.perm_day[i - 1];

			sc.perm_day[i - 1] = sc.perm_day[j];
			sc.perm_day[j] = t;
		}
		for (k = 0; k < sc.ncats && mx < largest; k++) {
			struct cat *cat = &sc.cats[k];
			double v;

			if (cat->total < (double)dc->spacetime_min_cases)
				continue;
			count_recent(&sc, cat, sc.perm_day, sc.recent);
			v = best_cylinder(&sc, ztot + k * sc.nzones, sc.recent, mx, NULL, NULL,
					  NULL, NULL);
			if (v > mx)
				mx = v;
		}
		for (k = 0; k < sc.ncats; k++)
			above[k] += observed[k] > 0.0 && mx >= observed[k];
		live_span(&sc, observed, above, R, per_day, &least, &largest);
	}
	ctx->replicates += r;
	for (k = 0; k < sc.ncats && !rc; k++) {
		double p, ri;

		if (observed[k] <= 0.0 || !flaggable(dc, above[k], R, per_day))
			continue;
		ri = recurrence_days(above[k], R, per_day, &p);
		rc = report(&sc, &sc.cats[k], bz[k], bw[k], bc[k], bmu[k], observed[k], p, ri, per_day);
	}
	goto out;
oom:
	rc = sq_fail(ctx->err, SQ_ENOMEM, "out of memory in the space-time scan");
out:
	free(observed);
	free(bz);
	free(bw);
	free(bc);
	free(bmu);
	free(above);
	free(ztot);
	scan_release(&sc);
	return rc;
}

const struct sq_detector detector_spacetime = { "spacetime", lookback, run };
