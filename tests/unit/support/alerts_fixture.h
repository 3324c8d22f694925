/*
 * Helpers for the early-warning and alert tests: a configuration with the
 * detectors' defaults and the fictional street of docs/GEOGRAPHY.md, and
 * complaints put into a real store.
 */
#ifndef SUQIU_ALERTS_FIXTURE_H
#define SUQIU_ALERTS_FIXTURE_H

#include <stdint.h>

#include "config.h"
#include "store.h"

/* Defaults of the detect and smtp sections, zone +08:00, eight communities. */
void fixture_config(struct sq_config *cfg);
/* Free what fixture_config and fixture_add_duty allocated. */
void fixture_config_release(struct sq_config *cfg);

/* Append a duty-roster row (days bitmask, hours [from, to), filters may be NULL). */
void fixture_add_duty(struct sq_config *cfg, const char *email, unsigned days, int from, int to,
		      const char *community, const char *category);

struct fixture_complaint {
	const char *source;        /* default "hotline" */
	const char *source_id;     /* required */
	int64_t received_at;
	const char *category, *community, *grid;
	const char *title, *text;
	const char *contact_hash, *contact_masked, *contact_raw;
	const char *status;        /* default "open" */
	int64_t deadline;
	double lat, lon;           /* used when has_pos */
	int has_pos;
	const char *kind;          /* default "complaint" */
};

/* Store c (its own transaction) and return its complaint id; aborts on failure. */
int64_t fixture_put(struct sq_store *st, const struct fixture_complaint *c);

/* Put complaint id into incident *incident (0: a new one); aborts on failure. */
void fixture_link(struct sq_store *st, int64_t complaint_id, int64_t *incident);

/* 2024-05-06 00:00:00 +08:00 (a Monday) plus days and hours, as Unix seconds. */
int64_t fixture_time(int day, int hour, int minute);

#endif
