/*
 * progress.h — one self-overwriting progress line on a terminal for long
 * work (a large import, a first poll that backfills months): records done,
 * rate, and estimated time left when the total is known.  Silent when
 * stderr is not a terminal (timers, pipes, the journal).
 */
#ifndef SUQIU_PROGRESS_H
#define SUQIU_PROGRESS_H

#include <stdint.h>

struct progress {
	int enabled;
	const char *label;
	int64_t total;        /* 0: unknown */
	int64_t done;
	double started;       /* monotonic seconds */
	double last_draw;
};

/* Start; enabled only if stderr is a terminal and quiet is off. */
void progress_start(struct progress *p, const char *label, int64_t total, int quiet);

/* Record that done items are finished (cumulative); redraws at most 4 times a second. */
void progress_update(struct progress *p, int64_t done);

/* Clear the line. */
void progress_finish(struct progress *p);

#endif
