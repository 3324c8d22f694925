/*
 * surge — a category's count today in a community well above its own
 * recent history: the CDC's EARS C2 statistic, with a guard of the count's
 * improbability given four weeks.
 *
 * Days are calendar days in the configured zone.  The baseline is the
 * detect.surge_baseline_days (default 7) days that end two days before
 * today — the guard band keeps the first days of a slowly starting surge
 * out of its own baseline.  C2 = (today - mean) / sd, with sd at least 0.5
 * so that a baseline of identical days cannot divide by zero.  C2 alone
 * misleads at the small counts of one community's category (0, 0, 1, 0, 0,
 * 0, 0 then 3 is a C2 of 5.6), so today's count must also reach
 * detect.surge_min and be improbable given the rate of the
 * detect.surge_history_days (default 28) days that end where the baseline
 * ends: the negative-binomial predictive tail of detect_surprise() below
 * detect.surge_alpha.  The rate comes from four weeks, not the C2's one,
 * because the predictive tail allows for the rate's own uncertainty: one
 * week of a category that sees a resident or two a day is ten-odd events,
 * so uncertain that eight residents in a day (four times the usual) were
 * not improbable enough after a week that happened to be busy.  Days
 * before the first stored complaint are unknown, not quiet, and are left
 * out of that history.  Today is still running: the count is what arrived
 * so far, so a surge is flagged as soon as it passes the bar.
 *
 * A baseline day that was itself a surge (it would have flagged against
 * the other baseline days) is left out of the baseline (and a history day
 * likewise out of the history), as Farrington's
 * method down-weights past outbreaks: one surge a week ago would otherwise
 * raise the standard deviation so much that a second one today passes
 * unseen.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "detect/detector.h"
#include "banned.h"

#define GUARD_DAYS 2
#define SD_FLOOR 0.5
#define MAX_BASELINE_DAYS 56
#define MAX_HISTORY_DAYS 56
/* Today's residents must come from at least this many incidents: many
 * callers about one incident is a busy incident, not a surge. */
#define MIN_INCIDENTS 3

static int64_t baseline_days(const struct sq_detect_config *dc)
{
	int64_t b = dc->surge_baseline_days;

	return b < 3 ? 7 : b > MAX_BASELINE_DAYS ? MAX_BASELINE_DAYS : b;
}

/* The tail's history: never shorter than the C2 baseline it contains. */
static int64_t history_days(const struct sq_detect_config *dc)
{
	int64_t h = dc->surge_history_days, b = baseline_days(dc);

	return h < b ? b : h > MAX_HISTORY_DAYS ? MAX_HISTORY_DAYS : h;
}

static int64_t lookback(const struct sq_detect_config *dc)
{
	return (history_days(dc) + GUARD_DAYS + 2) * 86400;
}

/* One complaint of the look-back period, by category, community, day, caller. */
struct ref {
	const char *cat, *comm;
	const char *contact;      /* NULL: no contact, a complainant of its own */
	size_t row;
	int64_t day;
};

static int cmp_opt(const char *a, const char *b)
{
	if (!a || !b)
		return (a != NULL) - (b != NULL);
	return strcmp(a, b);
}

static int cmp_ref(const void *a, const void *b)
{
	const struct ref *x = a, *y = b;
	int c = detect_name_cmp(x->cat, y->cat);

	if (c)
		return c;
	c = detect_name_cmp(x->comm, y->comm);
	if (c)
		return c;
	if (x->day != y->day)
		return x->day < y->day ? -1 : 1;
	c = cmp_opt(x->contact, y->contact);
	if (c)
		return c;
	return x->row < y->row ? -1 : x->row > y->row;
}

/* Is r[i] a complainant not counted yet on its day (r sorted by cmp_ref)? */
static int new_complainant(const struct ref *r, size_t i)
{
	return i == 0 || !r[i].contact || r[i].day != r[i - 1].day ||
	       cmp_opt(r[i].contact, r[i - 1].contact);
}

/* Distinct incidents among today's complaints of r[0..n) (-1: out of memory). */
static int64_t incidents_today(const struct detect_input *in, const struct ref *r, size_t n,
			       int64_t today)
{
	int64_t *keys = malloc((n ? n : 1) * sizeof(*keys)), distinct;
	size_t i, k = 0;

	if (!keys)
		return -1;
	for (i = 0; i < n; i++) {
		const struct store_detect_row *row = &in->rows[r[i].row];

		/* the unit key of detect_unit: incident, or -(complaint) */
		if (r[i].day == today)
			keys[k++] = row->incident_id ? row->incident_id : -row->id;
	}
	distinct = (int64_t)detect_count_distinct(keys, k);
	free(keys);
	return distinct;
}

/* Mean and standard deviation of counts[0..n) without counts[skip] (skip
 * may be n: none) and without the days marked in out[]. */
static void moments(const double *counts, const int *out, int64_t n, int64_t skip,
		    double *mean, double *sd, int64_t *days)
{
	double sum = 0, var = 0;
	int64_t d, k = 0;

	for (d = 0; d < n; d++)
		if (d != skip && !out[d]) {
			sum += counts[d];
			k++;
		}
	*mean = k ? sum / (double)k : 0;
	for (d = 0; d < n; d++)
		if (d != skip && !out[d])
			var += (counts[d] - *mean) * (counts[d] - *mean);
	*sd = k > 1 ? sqrt(var / (double)(k - 1)) : 0;
	*days = k;
}

/* C2 of count against a baseline's mean and standard deviation. */
static double ears_c2(double count, double mean, double sd)
{
	return (count - mean) / (sd > SD_FLOOR ? sd : SD_FLOOR);
}

/*
 * Mark in out[] the baseline days that were surges themselves: at least
 * surge_min residents and a C2 above the threshold against the other days.
 * At least three days are always kept.
 */
static void drop_past_surges(const struct sq_detect_config *dc, const double *counts, int *out,
			     int64_t n)
{
	int64_t d, k, kept = n;
	double mean, sd;

	for (d = 0; d < n; d++) {
		moments(counts, out, n, d, &mean, &sd, &k);
		if (kept > 3 && counts[d] >= (double)dc->surge_min &&
		    ears_c2(counts[d], mean, sd) > dc->surge_threshold) {
			out[d] = 1;
			kept--;
		}
	}
}

/* Today's residents of r[0..n); those of the h days from `first` into hist[]. */
static int64_t count_days(const struct ref *r, size_t n, int64_t today, int64_t first, int64_t h,
			  double *hist)
{
	int64_t c = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		if (!new_complainant(r, i))
			continue;
		if (r[i].day == today)
			c++;
		else if (r[i].day >= first && r[i].day < first + h)
			hist[r[i].day - first] += 1;
	}
	return c;
}

/* Residents and days of hist[from..h) without the days that were surges. */
static void history_rate(const struct sq_detect_config *dc, const double *hist, int64_t from,
			 int64_t h, double *residents, int64_t *days)
{
	int out[MAX_HISTORY_DAYS];
	double mean, sd;

	memset(out, 0, sizeof(out));
	drop_past_surges(dc, hist + from, out, h - from);
	moments(hist + from, out, h - from, h - from, &mean, &sd, days);
	*residents = mean * (double)*days;
}

/* The figures of one category and community's day. */
struct day_stats {
	int64_t count;            /* today's residents */
	double mean, sd, c2;      /* of the C2 baseline */
	int64_t days;             /* baseline days kept */
	double p, hres;           /* tail; residents of the history kept */
	int64_t hdays;            /* history days kept */
};

/* Flag today's complaints of r[0..n) as a surge. */
static sq_err emit(struct detect_ctx *ctx, const struct ref *r, size_t n, int64_t today,
		   const struct day_stats *s)
{
	const struct sq_detect_config *dc = ctx->dc;
	struct detect_finding f;
	size_t i;

	detect_finding_init(&f, FLAG_SURGE);
	f.severity = FLAG_MEDIUM;
	f.threshold = dc->surge_min;
	f.min_fresh = dc->surge_min;
	for (i = 0; i < n; i++)   /* distinct rows: no duplicate check needed */
		if (r[i].day == today && detect_finding_append(&f, ctx->in->rows[r[i].row].id))
			goto oom;
	if (detect_finding_key(&f, "surge:%s:%s", r[0].cat, r[0].comm) ||
	    detect_finding_place(&f, r[0].cat, r[0].comm) ||
	    detect_finding_summary(&f, "%s「%s」今日已有 %lld 位居民反映，此前 %lld 天日均 %.1f 位",
				   r[0].comm, flag_category_label(r[0].cat), (long long)s->count,
				   (long long)s->days, s->mean) ||
	    detect_finding_detail(&f, "EARS C2 = %.1f（阈值 %.1f）：今日 %lld，基线均值 %.2f、标准差 %.2f"
				  "（%lld 天，间隔 %d 天%s）；尾概率 %.2g（阈值 %.2g，按此前 %lld 天日均 %.2f 位）",
				  s->c2, dc->surge_threshold, (long long)s->count, s->mean, s->sd,
				  (long long)s->days, GUARD_DAYS,
				  s->days < baseline_days(dc) ? "，不含此前的激增日" : "", s->p,
				  dc->surge_alpha, (long long)s->hdays,
				  s->hdays ? s->hres / (double)s->hdays : 0.0))
		goto oom;
	return detect_emit(ctx, &f);
oom:
	detect_finding_release(&f);
	return sq_fail(ctx->err, SQ_ENOMEM, "out of memory");
}

/* Category and community r[0..n) (sorted by cmp_ref); the history is
 * known from the day `known` on. */
static sq_err group(struct detect_ctx *ctx, const struct ref *r, size_t n, int64_t today,
		    int64_t known)
{
	int64_t B = baseline_days(ctx->dc), H = history_days(ctx->dc);
	int64_t first = today - GUARD_DAYS - H, from = known - first, incidents;
	double hist[MAX_HISTORY_DAYS], *counts = hist + (H - B);
	int out[MAX_BASELINE_DAYS];
	struct day_stats s;

	memset(hist, 0, sizeof(hist));
	memset(out, 0, sizeof(out));
	s.count = count_days(r, n, today, first, H, hist);
	if (s.count < ctx->dc->surge_min)
		return SQ_OK;
	incidents = incidents_today(ctx->in, r, n, today);
	if (incidents < 0)
		return sq_fail(ctx->err, SQ_ENOMEM, "out of memory");
	if (incidents < MIN_INCIDENTS)
		return SQ_OK;
	drop_past_surges(ctx->dc, counts, out, B);
	moments(counts, out, B, B, &s.mean, &s.sd, &s.days);
	s.c2 = ears_c2((double)s.count, s.mean, s.sd);
	if (s.c2 <= ctx->dc->surge_threshold)
		return SQ_OK;
	/* The C2 baseline's days always count, known or not (as before there
	 * was a history); earlier days only when the store had begun. */
	history_rate(ctx->dc, hist, from < 0 ? 0 : from > H - B ? H - B : from, H, &s.hres,
		     &s.hdays);
	s.p = detect_surprise(s.count, s.hres, (double)s.hdays);
	if (s.p >= ctx->dc->surge_alpha)
		return SQ_OK;
	return emit(ctx, r, n, today, &s);
}

static sq_err run(struct detect_ctx *ctx)
{
	const struct detect_input *in = ctx->in;
	int64_t today = detect_local_day(ctx, ctx->now);
	int64_t first = today - GUARD_DAYS - history_days(ctx->dc), known;
	struct ref *r;
	size_t i, j, n = 0;
	sq_err rc = SQ_OK;

	if (!in->nrows)
		return SQ_OK;
	/* Days before the first stored complaint are unknown, not quiet. */
	known = detect_local_day(ctx, in->rows[0].received_at);
	r = malloc(in->nrows * sizeof(*r));
	if (!r)
		return sq_fail(ctx->err, SQ_ENOMEM, "out of memory");
	for (i = 0; i < in->nrows; i++) {
		const struct store_detect_row *row = &in->rows[i];
		int64_t day = detect_local_day(ctx, row->received_at);

		if (!row->category || !row->community || day < first || day > today ||
		    row->received_at > ctx->now)
			continue;
		r[n++] = (struct ref){ row->category, row->community,
				       row->contact_hash && *row->contact_hash ? row->contact_hash : NULL,
				       i, day };
	}
	qsort(r, n, sizeof(*r), cmp_ref);
	for (i = 0; i < n && !rc; i = j) {
		for (j = i; j < n && !detect_name_cmp(r[j].cat, r[i].cat) && !detect_name_cmp(r[j].comm, r[i].comm); j++)
			;
		rc = group(ctx, &r[i], j - i, today, known);
	}
	free(r);
	return rc;
}

const struct sq_detector detector_surge = { "surge", lookback, run };
