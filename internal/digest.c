/* The digest's figures: asks the store for each and assembles them. */
#include "digest.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "normalize.h"
#include "notify.h"
#include "banned.h"

#define DAY 86400

const char *const digest_default_enterprise[] = { "wages", "labour", "market_regulation" };
const size_t digest_default_nenterprise =
	sizeof(digest_default_enterprise) / sizeof(digest_default_enterprise[0]);

static const char *const by_names[DIGEST_BY_LAST] = {
	NULL, "community", "category", "source", "day",
};

const char *digest_by_name(enum digest_by by)
{
	return (unsigned)by < DIGEST_BY_LAST ? by_names[by] : NULL;
}

int digest_by_parse(const char *name)
{
	int i;

	for (i = 1; i < DIGEST_BY_LAST; i++)
		if (name && !strcmp(name, by_names[i]))
			return i;
	return -1;
}

int digest_rate(int64_t num, int64_t den, double *rate)
{
	*rate = den > 0 ? (double)num / (double)den : 0.0;
	return den > 0;
}

static sq_err parse_digits(const char *s, size_t n, int *v)
{
	size_t i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return SQ_EUSAGE;
		*v = *v * 10 + (s[i] - '0');
	}
	return SQ_OK;
}

sq_err digest_period_parse(const char *text, int tz_offset_s, int64_t *since, int64_t *until,
			   struct sq_error *err)
{
	size_t len = text ? strlen(text) : 0;
	int year = 0, month = 0;
	int64_t d0, d1;

	if ((len != 4 && len != 7) || parse_digits(text, 4, &year) ||
	    (len == 7 && (text[4] != '-' || parse_digits(text + 5, 2, &month))) ||
	    year < NORM_YEAR_MIN || year > NORM_YEAR_MAX || (len == 7 && (month < 1 || month > 12)))
		return sq_fail(err, SQ_EUSAGE,
			       "--period '%s': expected a year (2024) or a month (2024-05)",
			       text ? text : "");
	if (len == 4) {
		d0 = norm_days_from_civil(year, 1, 1);
		d1 = norm_days_from_civil(year + 1, 1, 1);
	} else {
		d0 = norm_days_from_civil(year, month, 1);
		d1 = month == 12 ? norm_days_from_civil(year + 1, 1, 1)
				 : norm_days_from_civil(year, month + 1, 1);
	}
	/* Local midnight is UTC midnight minus the zone's offset. */
	*since = d0 * DAY - tz_offset_s;
	*until = d1 * DAY - tz_offset_s;
	return SQ_OK;
}

void digest_release(struct digest *d)
{
	size_t i;

	free(d->total.key);
	free(d->total.key2);
	store_group_rows_release(&d->by_source_channel);
	store_group_rows_release(&d->categories);
	store_group_rows_release(&d->communities);
	store_group_rows_release(&d->unmapped);
	store_group_rows_release(&d->quarantine);
	store_digest_incidents_release(&d->new_list);
	store_digest_flags_release(&d->flags);
	store_items_release(&d->overdue_list);
	for (i = 0; i < d->nhealth; i++) {
		free(d->health[i].source);
		free(d->health[i].last_error);
	}
	free(d->health);
	store_group_rows_release(&d->pivot);
	free(d->days);
	store_group_rows_release(&d->trend);
	store_group_rows_release(&d->heat);
	store_group_rows_release(&d->channels);
	store_group_rows_release(&d->sources);
	for (i = 0; i < d->nexplain; i++) {
		free(d->explain[i].key);
		free(d->explain[i].ids);
	}
	free(d->explain);
	memset(d, 0, sizeof(*d));
}

static int64_t local_day(int64_t t, int tz)
{
	int64_t x = t + tz;

	return x >= 0 ? x / DAY : -((-x + DAY - 1) / DAY);
}

static void format_day(int64_t day, char out[11])
{
	int64_t y;
	int m, dd;
	char tmp[32];

	norm_civil_from_days(day, &y, &m, &dd);
	/* Years stay within NORM_YEAR_MIN..MAX; the wide buffer is for gcc. */
	snprintf(tmp, sizeof(tmp), "%04d-%02d-%02d", (int)(y % 10000), m % 100, dd % 100);
	memcpy(out, tmp, 10);
	out[10] = '\0';
}

/* The local days from `from` up to the one holding until - 1. */
static sq_err make_days(struct digest *d, int64_t from, struct sq_error *err)
{
	int64_t first = local_day(from, d->o.tz_offset_s);
	int64_t last = local_day(d->o.until - 1, d->o.tz_offset_s);
	size_t i, n;

	if (last < first)
		last = first;
	if (last - first + 1 > DIGEST_MAX_DAYS)
		first = last - DIGEST_MAX_DAYS + 1;
	n = (size_t)(last - first + 1);
	d->days = calloc(n, sizeof(*d->days));
	if (!d->days)
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	for (i = 0; i < n; i++)
		format_day(first + (int64_t)i, d->days[i]);
	d->ndays = n;
	d->trend_since = first * DAY - d->o.tz_offset_s;
	return SQ_OK;
}

/*
 * Pivot by day lists every day of the period, quiet ones included, so that
 * a day without complaints is a visible 0 rather than a missing row.
 */
static sq_err fill_days(struct digest *d, struct sq_error *err)
{
	struct store_group_rows all = { 0 };
	size_t i, j;
	sq_err rc;

	rc = make_days(d, d->o.since, err);
	if (rc)
		return rc;
	all.v = calloc(d->ndays, sizeof(*all.v));
	if (!all.v)
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	for (i = 0; i < d->ndays; i++) {
		struct store_group_row *r = &all.v[all.n++];

		for (j = 0; j < d->pivot.n; j++) {
			if (d->pivot.v[j].key && !strcmp(d->pivot.v[j].key, d->days[i])) {
				*r = d->pivot.v[j];
				d->pivot.v[j].key = NULL;
				d->pivot.v[j].key2 = NULL;
				break;
			}
		}
		if (!r->key && !(r->key = sq_strdup(d->days[i]))) {
			store_group_rows_release(&all);
			return sq_fail(err, SQ_ENOMEM, "out of memory");
		}
	}
	free(d->days);
	d->days = NULL;
	d->ndays = 0;
	store_group_rows_release(&d->pivot);
	d->pivot = all;
	return SQ_OK;
}

static int has_name(char **v, size_t n, const char *name)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (!strcmp(v[i], name))
			return 1;
	return 0;
}

/* Configured sources first (in configuration order), then any other the run log knows. */
static sq_err feed_health(struct sq_store *st, struct digest *d, struct sq_error *err)
{
	char **known = NULL, **names = NULL;
	size_t nknown = 0, nnames = 0, i;
	sq_err rc;

	rc = store_known_sources(st, &known, &nknown, err);
	if (rc)
		return rc;
	names = calloc(d->o.nsources + nknown + 1, sizeof(*names));
	if (!names) {
		rc = sq_fail(err, SQ_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < d->o.nsources; i++)
		if (!has_name(names, nnames, d->o.sources[i]))
			names[nnames++] = (char *)d->o.sources[i];
	for (i = 0; i < nknown; i++)
		if (!has_name(names, nnames, known[i]))
			names[nnames++] = known[i];
	d->health = calloc(nnames + 1, sizeof(*d->health));
	if (!d->health) {
		rc = sq_fail(err, SQ_ENOMEM, "out of memory");
		goto out;
	}
	for (i = 0; i < nnames && !rc; i++) {
		struct digest_health *h = &d->health[d->nhealth];

		if (!(h->source = sq_strdup(names[i]))) {
			rc = sq_fail(err, SQ_ENOMEM, "out of memory");
			break;
		}
		d->nhealth++;
		rc = store_source_health(st, names[i], &h->last_ok, &h->last_error,
					 &h->last_error_at, err);
	}
out:
	for (i = 0; i < nknown; i++)
		free(known[i]);
	free(known);
	free(names);
	return rc;
}

static sq_err add_explain(struct sq_store *st, const struct store_span *span, struct digest *d,
			  const char *figure, enum store_group group, const char *key,
			  enum store_figure fig, struct sq_error *err)
{
	struct digest_explain *e;
	void *p;
	sq_err rc;

	p = realloc(d->explain, (d->nexplain + 1) * sizeof(*d->explain));
	if (!p)
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	d->explain = p;
	e = &d->explain[d->nexplain];
	memset(e, 0, sizeof(*e));
	e->figure = figure;
	if (key && !(e->key = sq_strdup(key)))
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	d->nexplain++;
	rc = store_digest_ids(st, span, group, key, NULL, fig, &e->ids, &e->n, err);
	return rc;
}

/* The annual figures' complaint ids, in the order the report prints them. */
static sq_err explain_all(struct sq_store *st, const struct store_span *span, struct digest *d,
			  struct sq_error *err)
{
	static const struct {
		const char *figure;
		enum store_figure fig;
	} figs[] = {
		{ "appeals", STORE_FIG_REGISTERED },
		{ "disputes", STORE_FIG_DISPUTES },
		{ "disputes_resolved", STORE_FIG_DISPUTES_RESOLVED },
		{ "resolved", STORE_FIG_RESOLVED },
		{ "due", STORE_FIG_DUE },
		{ "on_time", STORE_FIG_ON_TIME },
		{ "rated", STORE_FIG_RATED },
		{ "satisfied", STORE_FIG_SATISFIED_ANY },
		{ "enterprise", STORE_FIG_ENTERPRISE },
		{ "enterprise_resolved", STORE_FIG_ENTERPRISE_RESOLVED },
	};
	size_t i;
	sq_err rc = SQ_OK;

	for (i = 0; i < sizeof(figs) / sizeof(figs[0]) && !rc; i++)
		rc = add_explain(st, span, d, figs[i].figure, STORE_GROUP_ALL, NULL, figs[i].fig,
				 err);
	for (i = 0; i < d->channels.n && !rc; i++) {
		const struct store_group_row *r = &d->channels.v[i];

		if (!r->registered)
			continue;
		/* A NULL channel (not given) is explained under the key NULL. */
		rc = add_explain(st, span, d, "appeals_by_channel", STORE_GROUP_CHANNEL, r->key,
				 STORE_FIG_REGISTERED, err);
	}
	return rc;
}

static const enum store_group pivot_group[DIGEST_BY_LAST] = {
	STORE_GROUP_ALL, STORE_GROUP_COMMUNITY, STORE_GROUP_CATEGORY, STORE_GROUP_SOURCE,
	STORE_GROUP_DAY,
};

/* Free text from the feeds that a digest lists (complaint titles, and flag
 * summaries from before detect masked them) may hold a caller's number:
 * a digest is printed, mailed and saved, so none goes out in full. */
static sq_err mask_lists(struct digest *d, struct sq_error *err)
{
	size_t i;

	for (i = 0; i < d->overdue_list.n; i++)
		if (notify_mask_phones_in_place(&d->overdue_list.v[i].title))
			return sq_fail(err, SQ_ENOMEM, "out of memory masking phone numbers");
	for (i = 0; i < d->flags.n; i++)
		if (notify_mask_phones_in_place(&d->flags.v[i].summary))
			return sq_fail(err, SQ_ENOMEM, "out of memory masking phone numbers");
	return SQ_OK;
}

/* The lists and figures of the summary that are not groupings. */
static sq_err summary(struct sq_store *st, const struct store_span *span, struct digest *d,
		      struct sq_error *err)
{
	size_t i;
	sq_err rc;

	for (i = 0; i < d->unmapped.n; i++)
		d->unmapped_total += d->unmapped.v[i].complaints;
	rc = store_digest_quarantine(st, span, &d->quarantine, err);
	for (i = 0; !rc && i < d->quarantine.n; i++)
		d->quarantine_total += d->quarantine.v[i].complaints;
	if (!rc)
		rc = store_digest_new_incidents(st, span, d->o.list_limit, &d->has_incidents,
						&d->new_incidents, &d->new_list, err);
	if (!rc)
		rc = store_digest_flags(st, d->o.list_limit, &d->has_flags, &d->flags_open,
					&d->flags_escalated, &d->flags, err);
	if (!rc)
		rc = store_digest_overdue(st, span, d->o.list_limit, &d->overdue, &d->overdue_list,
					  err);
	if (!rc)
		rc = mask_lists(d, err);
	if (!rc)
		rc = feed_health(st, d, err);
	return rc;
}

/* Ask for one grouping of the batch; *out receives its rows afterwards. */
static void want(struct store_grouping *g, struct store_group_rows **outs, size_t *n,
		 enum store_group group, unsigned sums, struct store_group_rows *out)
{
	g[*n] = (struct store_grouping){ .group = group, .sums = sums };
	outs[(*n)++] = out;
}

/*
 * Every grouping of the period in one read of it (store_digest_groupings):
 * the totals, then what the mode shows.
 */
static sq_err groupings(struct sq_store *st, const struct store_span *span, struct digest *d,
			struct sq_error *err)
{
	struct store_grouping g[8];
	struct store_group_rows *outs[8], total = { 0 };
	size_t n = 0, i;
	sq_err rc;

	want(g, outs, &n, STORE_GROUP_ALL, STORE_SUM_ALL, &total);
	if (d->o.by != DIGEST_BY_NONE)
		/* Days have no previous row of their own to compare with. */
		want(g, outs, &n, pivot_group[d->o.by],
		     d->o.by == DIGEST_BY_DAY ? STORE_SUM_INCIDENTS | STORE_SUM_RESOLUTION
					      : STORE_SUM_ALL, &d->pivot);
	if (d->o.period) {
		want(g, outs, &n, STORE_GROUP_CHANNEL, STORE_SUM_RESOLUTION, &d->channels);
		want(g, outs, &n, STORE_GROUP_SOURCE, STORE_SUM_RESOLUTION, &d->sources);
	}
	if (d->o.by == DIGEST_BY_NONE && !d->o.period) {
		want(g, outs, &n, STORE_GROUP_SOURCE_CHANNEL, STORE_SUM_INCIDENTS,
		     &d->by_source_channel);
		want(g, outs, &n, STORE_GROUP_CATEGORY, STORE_SUM_PREVIOUS, &d->categories);
		want(g, outs, &n, STORE_GROUP_COMMUNITY, STORE_SUM_PREVIOUS, &d->communities);
		want(g, outs, &n, STORE_GROUP_UNMAPPED, 0, &d->unmapped);
	}
	if (d->o.charts)
		want(g, outs, &n, STORE_GROUP_COMMUNITY_CATEGORY, 0, &d->heat);
	rc = store_digest_groupings(st, span, g, n, err);
	for (i = 0; i < n; i++)
		*outs[i] = g[i].rows;
	if (!rc && total.n) {
		d->total = total.v[0];
		total.v[0].key = total.v[0].key2 = NULL;
	}
	store_group_rows_release(&total);
	return rc;
}

sq_err digest_compute(struct sq_store *st, const struct digest_opts *o, struct digest *d,
		       struct sq_error *err)
{
	struct store_span span;
	sq_err rc;

	memset(d, 0, sizeof(*d));
	d->o = *o;
	if (!d->o.top)
		d->o.top = 10;
	if (!d->o.list_limit)
		d->o.list_limit = 20;
	if (!d->o.enterprise) {
		d->o.enterprise = digest_default_enterprise;
		d->o.nenterprise = digest_default_nenterprise;
	}
	if ((unsigned)d->o.by >= DIGEST_BY_LAST)
		return sq_fail(err, SQ_EUSAGE, "no such pivot");
	if (d->o.until <= d->o.since)
		return sq_fail(err, SQ_EUSAGE, "the period is empty: --until must be after --since");
	d->prev_since = d->o.since - (d->o.until - d->o.since);
	span = (struct store_span){
		.since = d->o.since, .until = d->o.until, .prev_since = d->prev_since,
		.now = d->o.now, .tz_offset_s = d->o.tz_offset_s,
		.enterprise = d->o.enterprise, .nenterprise = d->o.nenterprise,
	};

	rc = groupings(st, &span, d, err);
	if (!rc && d->o.by == DIGEST_BY_DAY)
		rc = fill_days(d, err);
	if (!rc && d->o.period && d->o.explain)
		rc = explain_all(st, &span, d, err);
	if (!rc && d->o.by == DIGEST_BY_NONE && !d->o.period)
		rc = summary(st, &span, d, err);
	if (!rc && d->o.charts) {
		struct store_span ts = span;
		int64_t from = d->o.since;

		/* The trend reaches back at least DIGEST_TREND_MIN_DAYS: its own read. */
		if (d->o.until - from < (int64_t)DIGEST_TREND_MIN_DAYS * DAY)
			from = d->o.until - (int64_t)DIGEST_TREND_MIN_DAYS * DAY;
		free(d->days);
		d->days = NULL;
		rc = make_days(d, from, err);
		ts.since = d->trend_since;
		ts.prev_since = ts.since;
		if (!rc)
			rc = store_digest_groups(st, &ts, STORE_GROUP_DAY_SOURCE, 0, &d->trend, err);
	}
	return rc;
}
