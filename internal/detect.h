/*
 * detect.h — early warning: run every detector over the stored incidents
 * and turn their findings into flags (DESIGN.md, "Early warning").
 *
 * Detectors (one per file in internal/detect/, listed in
 * internal/detect/registry.c) only read: they get the complaints of the
 * look-back period grouped into incidents, and propose findings — a kind,
 * a stable cause key, members, a severity, a plain-Chinese summary.
 * detect_run then, in ONE transaction, closes flags that went quiet, opens
 * a flag per new cause, adds members to the live flag of a known cause,
 * escalates flags that grew past their next size threshold, and queues the
 * alert mail of every opened or escalated flag (notify.h) — so a run killed
 * at any instant leaves either all of it or none.
 */
#ifndef SUQIU_DETECT_H
#define SUQIU_DETECT_H

#include <stdint.h>

#include "config.h"
#include "error.h"

struct sq_store;

struct detect_stats {
	int64_t complaints;   /* complaints read for the look-back period */
	int64_t units;        /* incidents among them (a lone complaint is one) */
	int64_t findings;     /* findings proposed by the detectors */
	int64_t opened;       /* flags opened */
	int64_t grown;        /* flags that gained members without escalating */
	int64_t escalated;    /* flags that reached a new revision */
	int64_t expired;      /* flags closed because nothing joined them */
	int64_t queued;       /* alert mails written to the outbox */
	int64_t urgent;       /* of the opened flags, urgent ones */
	int64_t scans;        /* space-time scans actually computed */
	int64_t replicates;   /* their Monte Carlo replicates (a scan stops early
			       * once no category can be flagged) */
};

/*
 * Run the enabled detectors as of `now` (Unix seconds; the evaluation moves
 * it through recorded days) and apply their findings.  stats is zeroed
 * first.  Fails with the store's error; on failure nothing is written.
 */
sq_err detect_run(struct sq_store *st, const struct sq_config *cfg, int64_t now,
		  struct detect_stats *stats, struct sq_error *err);

/* Names of the registered detectors, NULL-terminated (for docs and doctor). */
const char *const *detect_detector_names(void);

#endif
