/*
 * audit.h — who is running this command, for the append-only audit log,
 * and the --unmask gate that show and export pass before they print a full
 * contact number.
 *
 * The identity is the process's effective uid and its user name (the
 * password database, never $USER, which anyone can set) plus $SUDO_USER
 * when the command runs through sudo, and the whole command line.  The
 * environment is read here, in cmd/; internal/ only stores what it is given.
 */
#ifndef SUQIU_CMD_AUDIT_H
#define SUQIU_CMD_AUDIT_H

#include <stdint.h>

#include "buf.h"
#include "cli.h"
#include "store.h"

struct audit_who {
	int64_t uid;
	char user[64];           /* user name of uid, or "uid N" */
	const char *sudo_user;   /* $SUDO_USER or NULL */
	struct sq_buf cmdline;   /* argv shell-quoted */
};

/* Fill w for this process.  0, or -1 when out of memory. */
int audit_who_init(struct audit_who *w, const struct cli *cli);

/* An audit entry naming w as the actor of action, at the current time. */
struct store_audit_entry audit_who_entry(const struct audit_who *w, const char *action,
					 int64_t rows, const char *detail);

void audit_who_release(struct audit_who *w);

/*
 * Before `command` shows `rows` full contact numbers: when rows is 0, say
 * there is nothing to unmask (why depends on privacy.keep_raw_contact) and
 * return EXIT_USAGE; otherwise append the unmasking to the audit log, log
 * one line (to the journal under systemd), and return EXIT_OK.  Nothing may
 * be shown unless this returned EXIT_OK: a failure to record it is
 * EXIT_PARTIAL with the error printed.
 */
int audit_unmask(const struct cli *cli, struct sq_store *st, const char *command, int64_t rows,
		 const char *what);

#endif
