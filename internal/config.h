/*
 * config.h — suqiu's YAML configuration (DESIGN.md, "Configuration") loaded
 * with libyaml into typed structs with defaults.
 *
 * Every error is one line "FILE:LINE:COL: message" in err->msg with code
 * SQ_ECONFIG, raised before any network or database work: unknown keys,
 * wrong types, bad durations and URLs, duplicate source names, unreadable
 * secret files.  (A file that cannot be read at all gives "FILE: cannot
 * read: reason"; running out of memory gives SQ_ENOMEM.)
 *
 * Secrets (struct sq_secret) come, in this order of precedence, from a
 * `KEY_file` entry or an inline `KEY:` value (at most one of the two), from
 * $CREDENTIALS_DIRECTORY/<owner>.<key> (systemd LoadCredential=), or from
 * the environment variable SUQIU_<OWNER>_<KEY> (upper case, other
 * characters as '_'); the owner is the source name, "smtp" or "privacy"
 * (so no source may be called smtp or privacy).  One trailing newline of a
 * secret file is dropped.  Secret values are never part of an error message.
 *
 * Relative file names (`database`, `taxonomy`, `ca_file`, `*_file`) are
 * resolved against the directory of the configuration file, so a
 * configuration and its files can move together.
 *
 * Scalar sections are declared by option tables (options.h) exported below,
 * so that the documentation check can list every key.
 */
#ifndef SUQIU_CONFIG_H
#define SUQIU_CONFIG_H

#include <stddef.h>
#include <stdint.h>

#include "dedup_levels.h"
#include "error.h"
#include "options.h"

struct sq_connector;

struct sq_source_config {
	char *name;                          /* unique */
	char *type;                          /* connector type */
	const struct sq_connector *connector;
	char *base_url;
	int64_t start_from;                  /* Unix s; where the first run starts */
	int enabled;
	void *conf;                          /* connector's own struct, conf_size bytes */
	int line, col;                       /* where the entry starts, for messages */
};

struct sq_area {
	char *name;
	struct sq_strlist aliases;
	char *grid_prefix;                   /* NULL: none */
	double lon, lat;                     /* WGS 84 centre */
	int has_center;
};

struct sq_areas {
	char *district;
	char *street;
	struct sq_area *communities;
	size_t ncommunities;
};

/* Shared HTTP client settings (section `http:`). */
struct sq_http_config {
	int64_t connect_timeout_ms;
	int64_t total_timeout_ms;
	int64_t low_speed_bytes;             /* abort below this many bytes/s ... */
	int64_t low_speed_time_ms;           /* ... for this long */
	int64_t max_body_bytes;
	int64_t max_attempts;                /* per page, including the first */
	int64_t backoff_base_ms;
	int64_t backoff_max_ms;
	int64_t retry_after_max_ms;          /* clamp for Retry-After and 42901 hints */
	int64_t budget_ms;                   /* total time one source may spend per run */
	char *ca_file;
	char *user_agent;                    /* default "suqiu/VERSION" */
};

/* One duty-roster row (section `alerts.duty`). */
struct sq_duty {
	char *email;
	unsigned days;                       /* bit 0 = Monday ... bit 6 = Sunday; 0x7f all */
	int hour_from, hour_to;              /* [from, to) local hours; 0,24 = all day;
					      * from > to runs past midnight (22-08) */
	struct sq_strlist communities;       /* empty: any; aliases already mapped to names */
	struct sq_strlist categories;        /* empty: any */
};

struct sq_smtp_config {
	char *url;                           /* smtp:// or smtps:// */
	char *from;
	char *username;
	struct sq_secret password;
	int require_tls;                     /* -1 auto: required off loopback */
	char *ca_file;
	int64_t timeout_ms;
	int64_t retry_base_ms;
	int64_t retry_max_ms;
	int64_t in_doubt_after_ms;           /* a row `sending` this long is re-sent (same Message-ID) */
};

struct sq_alerts_config {
	struct sq_smtp_config smtp;
	struct sq_duty *duty;
	size_t nduty;
	struct sq_strlist digest_to;         /* recipients of `digest --mail` */
};

/* Record linkage (section `dedup:`); see docs/dedup.md for tuning. */
struct sq_dedup_config {
	double threshold;                    /* match score needed to link */
	int64_t window_ms;                   /* candidate time window */
	int64_t index_keep_ms;               /* blocking index reach behind the newest (0: all) */
	double radius_m;                     /* coordinate blocking radius */
	char *mode;                          /* "linkage" (default) or "naive" (eval baseline) */
	struct sq_strlist boilerplate;       /* operators' stock phrases left out of text comparison */
	double weights[DEDUP_LEVEL_COUNT];   /* weight_<field>_<level>, see dedup_levels.h */
};

/* Early warning (section `detect:`); docs/alerts.md explains each key. */
struct sq_detect_config {
	struct sq_strlist urgent_words;
	int64_t cluster_window_ms;
	int64_t cluster_min;
	/* added with the detectors (branch alerts) */
	struct sq_strlist disable;           /* detectors not to run, by name */
	double cluster_alpha;                /* Poisson tail probability a cluster must beat */
	double cluster_radius_m;             /* radius clusters; 0 turns them off */
	int64_t surge_min;                   /* smallest daily count that can be a surge */
	double surge_threshold;              /* EARS C2 statistic that flags */
	double surge_alpha;                  /* ... and the day's Poisson tail against the baseline */
	int64_t surge_baseline_days;         /* EARS baseline length (after a 2-day guard band) */
	int64_t surge_history_days;          /* days whose mean rate the tail probability uses */
	int64_t spacetime_days;              /* study period of the scan */
	int64_t spacetime_max_days;          /* longest cylinder (days ending today) */
	int64_t spacetime_replicates;        /* Monte Carlo replicates */
	int64_t spacetime_recurrence_ms;     /* flag clusters recurring less often than this */
	int64_t spacetime_interval_ms;       /* run the scan at most this often */
	int64_t spacetime_min_cases;         /* smallest cylinder worth reporting */
	int64_t spacetime_seed;              /* PRNG seed (with the day), for reproducible runs */
	int64_t common_window_ms;            /* common-cause look-back */
	int64_t common_min;                  /* distinct complainants naming one entity */
	double common_alpha;                 /* Poisson tail against the entity's own history */
	int64_t urgent_max_age_ms;           /* older items with urgent words are history, not news */
	int64_t flag_quiet_ms;               /* a flag nothing joined for this long closes */
	int64_t overdue_grace_ms;            /* past the deadline by this much before an item counts */
	int64_t overdue_min;                 /* overdue items in a community that open its flag */
	int64_t overdue_step;                /* ... and that escalate it at step, 2*step, 4*step, ... */
	int64_t overdue_window_ms;           /* items read: those that became overdue this recently */
};

/* Personal data (section `privacy:`). */
struct sq_privacy_config {
	struct sq_secret site_key;           /* HMAC key for contact hashes; generated if missing */
	int keep_raw_contact;                /* store full numbers too (off by default) */
	int64_t retention_ms;                /* raw payloads and contact hashes older than this are pruned */
};

struct sq_config {
	char *path;                          /* the file it was loaded from */
	char *database;
	char *timezone;                      /* IANA name or +HH:MM */
	int tz_offset_s;                     /* derived; zones with DST are rejected */
	char *taxonomy;                      /* category taxonomy file */
	struct sq_source_config *sources;
	size_t nsources;
	struct sq_areas areas;
	struct sq_http_config http;
	struct sq_alerts_config alerts;
	struct sq_dedup_config dedup;
	struct sq_detect_config detect;
	struct sq_privacy_config privacy;
};

/* Option tables of the scalar sections (key NULL terminates). */
extern const struct sq_option config_top_options[];
extern const struct sq_option config_source_options[]; /* keys every source has */
extern const struct sq_option config_http_options[];
extern const struct sq_option config_smtp_options[];
extern const struct sq_option config_dedup_options[];
extern const struct sq_option config_detect_options[];
extern const struct sq_option config_privacy_options[];

/* Fill cfg with every default (no sources, no areas).  SQ_ENOMEM only. */
sq_err config_defaults(struct sq_config *cfg, struct sq_error *err);

/*
 * Load and validate path into cfg (which the call initializes).  On failure
 * cfg is released and err holds "FILE:LINE:COL: message".
 */
sq_err config_load(const char *path, struct sq_config *cfg, struct sq_error *err);

/* Free everything cfg owns. */
void config_release(struct sq_config *cfg);

/*
 * The UTC offset of a timezone value: Asia/Shanghai and the other China
 * zones, Asia/Hong_Kong, Asia/Macau, Asia/Taipei, UTC, Etc/UTC, or a fixed
 * "+HH:MM"/"-HH:MM".  Zones with daylight saving time are refused
 * (SQ_ECONFIG, "timezone: ..."), because suqiu keeps one offset per run.
 */
sq_err config_timezone_offset(const char *tz, int *offset_s, struct sq_error *err);

/* The source named name, or NULL. */
const struct sq_source_config *config_find_source(const struct sq_config *cfg,
						   const char *name);

#endif
