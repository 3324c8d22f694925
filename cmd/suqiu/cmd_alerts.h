/*
 * cmd_alerts.h — the parts of `suqiu alerts` that `suqiu poll` runs at the
 * end of every collection: the detectors, then the outbox.
 */
#ifndef SUQIU_CMD_ALERTS_H
#define SUQIU_CMD_ALERTS_H

#include <stdint.h>

#include "cli.h"
#include "pollenv.h"

/*
 * Run the detectors over env->store as of now and print one line when a
 * flag was opened or escalated (or always at -v).  EXIT_OK or EXIT_PARTIAL.
 */
int alerts_detect(struct cli *cli, const char *command, struct pollenv *env, int64_t now);

/*
 * Deliver the outbox (at most max messages; 0: all due; ignore_backoff:
 * also those waiting for their retry time).  One line of
 * figures (always, or with quiet_when_idle only when something happened).
 * EXIT_PARTIAL when a message could not be delivered (it stays queued).
 * With no SMTP server configured: EXIT_USAGE, or EXIT_OK and a note at -v
 * when quiet_when_idle (poll: flags are kept, mail is off).
 */
int alerts_send_outbox(struct cli *cli, const char *command, struct pollenv *env, int64_t now,
		       int max, int ignore_backoff, int quiet_when_idle);

#endif
