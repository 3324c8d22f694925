/*
 * detect/detector.h — what a detector is and what it is given.
 *
 * A detector is a name and a run callback (struct sq_detector), listed in
 * detect/registry.c.  run() reads ctx->in (the look-back period's
 * complaints grouped into incidents, read once per run for every
 * detector, without their texts) and, if it reads words, the texts through
 * detect_each_text(); it proposes findings with detect_emit().  It never
 * writes to the store and never decides about mail: detect.c turns
 * findings into flags and the notifier writes the mail.
 */
#ifndef SUQIU_DETECT_DETECTOR_H
#define SUQIU_DETECT_DETECTOR_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "config.h"
#include "error.h"
#include "flag.h"
#include "store.h"

struct sq_buf;

/* An incident as the detectors count it (a complaint no incident holds counts alone). */
struct detect_unit {
	int64_t key;              /* incident id, or -(complaint id) */
	int64_t at;               /* when the incident opened (first report) */
	const char *category;     /* may be NULL (unmapped) */
	const char *community;    /* may be NULL */
	const char *grid;         /* first member's grid code, may be NULL */
	double lat, lon;          /* first member's position ... */
	int has_pos;              /* ... when it has one */
	size_t *rows;             /* indices into detect_input.rows, in time order */
	size_t nrows;
};

struct detect_input {
	const struct store_detect_row *rows;  /* received in [since, now], by time */
	size_t nrows;
	struct detect_unit *units;            /* by `at`, then key */
	size_t nunits;
	const struct store_detect_rows *overdue;  /* deadline in [overdue_since, now - grace) */
	int64_t overdue_since;                /* the window's start, earlier after a gap in runs */
	int64_t since;                        /* start of the look-back period */
};

/*
 * A proposed flag.  Detectors fill it through the helpers below; detect_emit
 * takes ownership of everything it holds.
 */
struct detect_finding {
	enum flag_kind kind;
	char *cause_key;          /* stable for the same cause across runs */
	enum flag_severity severity;  /* at level 1 */
	int64_t threshold;        /* incidents for level 1; level n at threshold*2^(n-1); 0: no levels */
	int64_t min_fresh;        /* members not yet flagged for this cause needed to open a flag again */
	int match_overlap;        /* also join a live flag of this kind sharing a member */
	int known_by_kind;        /* a member in any flag of this kind is not fresh */
	char *summary;            /* plain Chinese, one line */
	char *detail;             /* the figures behind it (statistic, expected count), may be NULL */
	char *category, *community;  /* may be NULL */
	int64_t *members;         /* complaint ids, no duplicates */
	size_t nmembers, cap;
};

struct detect_findings {
	struct detect_finding *items;
	size_t n, cap;
};

struct detect_ctx {
	struct sq_store *st;      /* read only, through detect_each_text */
	const struct sq_config *cfg;
	const struct sq_detect_config *dc;
	int64_t now;
	const struct detect_input *in;
	int64_t last_run_at;      /* when this detector last reported ran (0: never) */
	int ran;                  /* set by a detector that did its periodic work */
	int64_t scans;            /* space-time scans computed (stats) */
	int64_t replicates;       /* their replicates (stats) */
	struct detect_findings *out;
	const char *name;         /* the running detector's (keys its memos) */
	struct detect_memos *memos;  /* memos derived in this run, kept by detect_run */
	struct sq_error *err;
};

/* Memos derived in one run, for detect_run to keep (detect_each_memo). */
struct detect_memos {
	struct store_detect_memo *items;
	size_t n, cap;
};

/*
 * strcmp for the input's category, community and grid names: the rows
 * share one copy of each (struct store_detect_rows), so the same name is
 * the same pointer and most comparisons in a sort end there.
 */
static inline int detect_name_cmp(const char *a, const char *b)
{
	return a == b ? 0 : strcmp(a, b);
}

struct sq_detector {
	const char *name;
	/* Seconds of history before now the detector reads (0: none). */
	int64_t (*lookback)(const struct sq_detect_config *dc);
	sq_err (*run)(struct detect_ctx *ctx);
};

/* The registry (detect/registry.c): NULL-terminated. */
const struct sq_detector *const *detect_registry(void);

extern const struct sq_detector detector_cluster;
extern const struct sq_detector detector_surge;
extern const struct sq_detector detector_spacetime;
extern const struct sq_detector detector_common_cause;
extern const struct sq_detector detector_urgent;
extern const struct sq_detector detector_overdue;

/* ---- helpers for detectors (detect.c) ---------------------------------- */

/* A zeroed finding of kind with severity medium, min_fresh 1. */
void detect_finding_init(struct detect_finding *f, enum flag_kind kind);
void detect_finding_release(struct detect_finding *f);

/* printf into f->cause_key / f->summary / f->detail.  SQ_ENOMEM only. */
sq_err detect_finding_key(struct detect_finding *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
sq_err detect_finding_summary(struct detect_finding *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
sq_err detect_finding_detail(struct detect_finding *f, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Copy category and community (either may be NULL). */
sq_err detect_finding_place(struct detect_finding *f, const char *category,
			    const char *community);

/* Add one complaint id (ignored when already there; linear in the members). */
sq_err detect_finding_add(struct detect_finding *f, int64_t complaint_id);
/* Add one complaint id the finding does not hold yet: no duplicate check,
 * for detectors whose rows are distinct complaints. */
sq_err detect_finding_append(struct detect_finding *f, int64_t complaint_id);
/* Add every complaint of a unit. */
sq_err detect_finding_add_unit(struct detect_finding *f, const struct detect_input *in,
			       const struct detect_unit *u);

/*
 * Hand the finding to the run (ownership moves; f is zeroed).  On failure
 * f is released and ctx->err filled.
 */
sq_err detect_emit(struct detect_ctx *ctx, struct detect_finding *f);

/*
 * Call cb(arg, row, t) for every row of ctx->in received in [since, now],
 * in row order, with its texts (t and its strings are valid during the
 * call only).  A non-zero return from cb stops the walk and is returned;
 * cb fills ctx->err.
 */
sq_err detect_each_text(struct detect_ctx *ctx, int64_t since,
			sq_err (*cb)(void *arg, size_t row, const struct store_detect_text *t),
			void *arg);

/*
 * detect_each_text for a detector that needs only something derived from
 * each text (common_cause: the names in it): cb(arg, row, memo) gets, for
 * every row of ctx->in received in [since, now], what derive(title, text,
 * out) left in out (empty on entry, so derive may use it as scratch; ""
 * for nothing; title and text may be NULL).  Memos are kept in the store
 * under the detector's name and version between runs, so each text is
 * derived once, not on every run while it is in the look-back: bump
 * version whenever derive would give another memo for the same text.
 * derive returns SQ_OK or SQ_ENOMEM.
 */
sq_err detect_each_memo(struct detect_ctx *ctx, int64_t since, int version,
			sq_err (*derive)(const char *title, const char *text, struct sq_buf *out),
			sq_err (*cb)(void *arg, size_t row, const char *memo), void *arg);

/* Local calendar day number (days since 1970-01-01 in the configured zone). */
int64_t detect_local_day(const struct detect_ctx *ctx, int64_t t);

/* "3天" / "72小时" / "30分钟" for a duration in milliseconds, into buf. */
const char *detect_duration_label(int64_t ms, char *buf, size_t size);

/* Upper tail of the Poisson distribution: P(X >= k) for mean lambda. */
double detect_poisson_sf(int64_t k, double lambda);

/*
 * How surprising is a count of k in a window, given `base` events in the
 * `blocks` windows of the same length before it?  The posterior-predictive
 * (negative binomial) upper tail P(X >= k) of a Poisson rate with a
 * Gamma(0.5) prior: unlike a Poisson with the estimated mean it allows for
 * the estimate's own uncertainty, so a quiet month does not make an
 * ordinary week look like a cluster.
 */
double detect_surprise(int64_t k, double base, double blocks);

/*
 * Distinct complainants among the rows of the given units: contact hashes
 * counted once, rows without one each as their own.
 */
size_t detect_count_complainants(const struct detect_input *in,
				 const struct detect_unit *const *units, size_t n);

/* Distinct values among keys[0..n) (sorts them in place). */
size_t detect_count_distinct(int64_t *keys, size_t n);

/* Great-circle distance in metres (WGS 84 mean radius). */
double detect_distance_m(double lat1, double lon1, double lat2, double lon2);

#endif
