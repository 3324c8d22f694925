/*
 * fault.h — named fault points for crash tests, with no global state.
 *
 * cmd/ parses SUQIU_CRASH_AT=POINT:N (e.g. "after_send:1": the first time
 * the sender passes "after_send") into a struct sq_faults and passes it
 * down; library code calls sq_fault_hit() at each point.  When the N-th hit
 * of the named point happens, the caller-supplied crash callback runs (cmd/
 * makes it kill the process with SIGKILL, so nothing is flushed or rolled
 * back); library code itself never exits.
 *
 * Points in use: "after_claim" (a message marked sending, before any SMTP),
 * "after_send" (the server accepted it, before it is marked sent),
 * "after_detect" (flags committed, before mail is sent).
 */
#ifndef SUQIU_FAULT_H
#define SUQIU_FAULT_H

#include "error.h"

struct sq_faults {
	char point[64];      /* "" when no fault is armed */
	long count;          /* crash on this hit (1 = the first) */
	long seen;           /* hits so far */
	void (*crash)(void *arg, const char *point);
	void *arg;
};

/* Parse "POINT" or "POINT:N" (N >= 1) into f; spec NULL or "" arms nothing. */
sq_err sq_faults_parse(struct sq_faults *f, const char *spec, struct sq_error *err);

/*
 * Count a hit of `point`.  Returns 1 when this is the armed hit (after the
 * crash callback returned, if it did), else 0.  f may be NULL.
 */
int sq_fault_hit(struct sq_faults *f, const char *point);

#endif
