/*
 * pollenv.h — what `suqiu poll` and `suqiu import` both set up before they
 * store pages: the database path, the store, the taxonomy and site key the
 * normalizer needs, the clock (SUQIU_NOW), the crash-test fault point
 * (SUQIU_CRASH_AT) and the linkage trace (SUQIU_DEDUP_TRACE=FILE appends
 * one line per scored candidate pair, for scripts/dedup_fit.py).  The environment is read here, once, in cmd/, and
 * handed down; internal/ never reads it.
 */
#ifndef SUQIU_CMD_POLLENV_H
#define SUQIU_CMD_POLLENV_H

#include <stddef.h>
#include <stdio.h>

#include "cli.h"
#include "dedup.h"
#include "fault.h"
#include "normalize.h"
#include "poll.h"
#include "store.h"
#include "taxonomy.h"

/* SUQIU_CRASH_AT=POINT:N — end the process the Nth time POINT is reached. */
struct pollenv_crash {
	char point[32];   /* "" when not set */
	long n;
	long count;
};

/* Time spent linking (`import --stats`): wall and this thread's CPU, ns. */
struct pollenv_timing {
	int64_t link_ns, link_cpu_ns;
	int64_t link_pages;
};

struct pollenv {
	const char *db_path;
	struct sq_store *store;
	struct sq_taxonomy *taxonomy;
	unsigned char *site_key;
	size_t site_key_len;
	struct sq_normalizer norm;
	struct poll_system_clock clock_state;
	struct poll_clock clock;
	struct pollenv_crash crash;
	struct sq_dedup *dedup;
	FILE *trace;              /* SUQIU_DEDUP_TRACE: scored pairs, for fitting weights */
	struct pollenv_timing timing;
};

/*
 * Read SUQIU_NOW and SUQIU_CRASH_AT and find the database path.  Prints the
 * error and returns EXIT_USAGE when one is wrong; EXIT_OK otherwise.
 */
int pollenv_open(struct cli *cli, const char *command, struct pollenv *env);

/* Open the store, load the taxonomy and site key, set up the normalizer. */
int pollenv_store(struct cli *cli, const char *command, struct pollenv *env);

/*
 * Set up record linkage and make it opt's in_page hook, so every page is
 * linked into incidents in the transaction that stores it.
 */
int pollenv_dedup(struct cli *cli, const char *command, struct pollenv *env,
		  struct poll_options *opt);

/* One line of what linking did (at info: shown with --verbose). */
void pollenv_dedup_summary(const struct cli *cli, const char *command,
			   const struct pollenv *env);

/* Nanoseconds on clock id (CLOCK_MONOTONIC, CLOCK_THREAD_CPUTIME_ID, ...). */
int64_t pollenv_clock_ns(int id);

/* Release everything pollenv_open/pollenv_store/pollenv_dedup set up. */
void pollenv_close(struct pollenv *env);

/* poll_fault_fn for struct pollenv_crash: _exit(137) at the chosen point. */
void pollenv_crash_point(void *ctx, const char *point);

/*
 * The same SUQIU_CRASH_AT as a struct sq_faults for the notifier (fault.h):
 * its points (after_claim, after_send) end the process the same way.
 */
void pollenv_faults(const struct pollenv *env, struct sq_faults *f);

#endif
