/*
 * digest.h — the analysts' summary of a period: what came in, what is new,
 * what is worse, what is late, and how the feeds are doing.  This module
 * computes the figures into a struct; report.h renders them (text, md,
 * json, csv, html).  The figures are aggregated by the store in SQL
 * (store.h, "digest, reports and search"), whose comment and
 * docs/digest.md define each of them.
 *
 * Phone-number-like runs in the listed complaints' titles and flags'
 * summaries are masked (notify_mask_phones): a digest is printed, mailed
 * and saved, and no caller's number goes out in full.
 *
 * Periods are half-open [since, until) in Unix seconds; the previous
 * period is the one of the same length just before.  Days are local days
 * of the configured zone.
 */
#ifndef SUQIU_DIGEST_H
#define SUQIU_DIGEST_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "store.h"

enum digest_by {
	DIGEST_BY_NONE = 0,
	DIGEST_BY_COMMUNITY,
	DIGEST_BY_CATEGORY,
	DIGEST_BY_SOURCE,
	DIGEST_BY_DAY,
	DIGEST_BY_LAST
};

/* "community", "category", "source", "day" (NULL for NONE), and back (-1: unknown). */
const char *digest_by_name(enum digest_by by);
int digest_by_parse(const char *name);

/* The categories counted as enterprise-related when none are configured. */
extern const char *const digest_default_enterprise[];
extern const size_t digest_default_nenterprise;

/* Days of the longest chart window (an annual report's year fits). */
#define DIGEST_MAX_DAYS 400

/* Shortest window the daily trend charts cover. */
#define DIGEST_TREND_MIN_DAYS 14

struct digest_opts {
	int64_t since, until;          /* the period [since, until) */
	int64_t now;                   /* overdue means "deadline before now" */
	int tz_offset_s;               /* the configured zone */
	enum digest_by by;             /* a pivot table instead of the summary */
	int period;                    /* a calendar period (--period): the annual-report figures */
	const char *period_label;      /* "2024", "2024-05" (borrowed; NULL otherwise) */
	int explain;                   /* collect the complaint ids behind each annual figure */
	int charts;                    /* daily series per source, community x category (html) */
	size_t top;                    /* rows of the top lists (0: 10) */
	size_t list_limit;             /* items listed: overdue, flags, new incidents (0: 20) */
	const char *const *sources;    /* configured sources, for feed health (borrowed) */
	size_t nsources;
	const char *const *enterprise; /* NULL: digest_default_enterprise (borrowed) */
	size_t nenterprise;
};

/* Feed health of one source (from the run log). */
struct digest_health {
	char *source;
	int64_t last_ok;               /* start of the last run without errors; 0: never */
	char *last_error;              /* NULL: never failed */
	int64_t last_error_at;
};

/* The complaints behind one annual figure (--explain). */
struct digest_explain {
	const char *figure;            /* JSON name: "appeals", "disputes_resolved", ... */
	char *key;                     /* for per-channel figures the channel, else NULL */
	int64_t *ids;
	size_t n;
};

/* Every figure of a digest; the struct owns all its memory. */
struct digest {
	struct digest_opts o;          /* as given, with defaults filled in */
	int64_t prev_since;            /* previous period [prev_since, o.since) */

	struct store_group_row total;  /* the whole period (keys NULL) */
	struct store_group_rows by_source_channel;
	struct store_group_rows categories;   /* every category; key NULL = unmapped */
	struct store_group_rows communities;  /* every community; key NULL = unresolved */
	struct store_group_rows unmapped;     /* key source, key2 category_raw */
	int64_t unmapped_total;
	struct store_group_rows quarantine;   /* key source, complaints = records */
	int64_t quarantine_total;

	int has_incidents;             /* the schema has incidents */
	int64_t new_incidents;
	struct store_digest_incidents new_list;

	int has_flags;                 /* the schema has flags */
	int64_t flags_open, flags_escalated;
	struct store_digest_flags flags;

	int64_t overdue;
	struct store_items overdue_list;

	struct digest_health *health;
	size_t nhealth;

	struct store_group_rows pivot;  /* o.by != NONE; DAY rows cover every day */

	/* o.charts: days[ndays] from trend_since, counts per day and source, heat */
	int64_t trend_since;
	size_t ndays;
	char (*days)[11];               /* "YYYY-MM-DD" */
	struct store_group_rows trend;  /* key day, key2 source */
	struct store_group_rows heat;   /* key community, key2 category */

	/* o.period */
	struct store_group_rows channels; /* key channel, with the resolution sums */
	struct store_group_rows sources;  /* key source, likewise */
	struct digest_explain *explain;
	size_t nexplain;
};

/*
 * Compute every figure for o into d (which the call initializes; release
 * it with digest_release even on failure).  o's pointers must outlive d.
 */
sq_err digest_compute(struct sq_store *st, const struct digest_opts *o, struct digest *d,
		       struct sq_error *err);

void digest_release(struct digest *d);

/*
 * A rate num/den into *rate; returns 0 (and *rate 0) when den is 0, so
 * that renderers print "n/a" rather than a fake 0 %.
 */
int digest_rate(int64_t num, int64_t den, double *rate);

/*
 * A calendar period as --period writes it: "2024" (the year) or "2024-05"
 * (the month), local to tz_offset_s, into [*since, *until).  SQ_EUSAGE
 * with the text in the message otherwise.
 */
sq_err digest_period_parse(const char *text, int tz_offset_s, int64_t *since, int64_t *until,
			   struct sq_error *err);

#endif
