/* Who runs this command, and the --unmask gate (audit.h). */
#include "audit.h"

#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "banned.h"

/* Append arg so that a POSIX shell reads it back as one word. */
static sq_err shell_quote(struct sq_buf *b, const char *arg)
{
	static const char safe[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_@%+=:,./-";
	const char *p;
	sq_err rc;

	if (*arg && strspn(arg, safe) == strlen(arg))
		return sq_buf_adds(b, arg);
	rc = sq_buf_addc(b, '\'');
	for (p = arg; !rc && *p; p++)
		rc = *p == '\'' ? sq_buf_adds(b, "'\\''") : sq_buf_addc(b, *p);
	if (!rc)
		rc = sq_buf_addc(b, '\'');
	return rc;
}

int audit_who_init(struct audit_who *w, const struct cli *cli)
{
	struct passwd pw, *found = NULL;
	char pwbuf[4096];
	const char *sudo = getenv("SUDO_USER");
	uid_t uid = geteuid();
	int i;

	memset(w, 0, sizeof(*w));
	w->uid = (int64_t)uid;
	if (getpwuid_r(uid, &pw, pwbuf, sizeof(pwbuf), &found) == 0 && found && found->pw_name)
		snprintf(w->user, sizeof(w->user), "%s", found->pw_name);
	else
		snprintf(w->user, sizeof(w->user), "uid %lld", (long long)uid);
	w->sudo_user = sudo && *sudo ? sudo : NULL;
	if (sq_buf_adds(&w->cmdline, "suqiu"))
		return -1;
	for (i = 1; i < cli->argc; i++)
		if (sq_buf_addc(&w->cmdline, ' ') || shell_quote(&w->cmdline, cli->argv[i]))
			return -1;
	return 0;
}

struct store_audit_entry audit_who_entry(const struct audit_who *w, const char *action,
					 int64_t rows, const char *detail)
{
	struct store_audit_entry e = {
		.at = (int64_t)time(NULL),
		.uid = w->uid,
		.os_user = w->user,
		.sudo_user = w->sudo_user,
		.action = action,
		.command = sq_buf_str(&w->cmdline),
		.rows = rows,
		.detail = detail,
	};

	return e;
}

void audit_who_release(struct audit_who *w)
{
	sq_buf_release(&w->cmdline);
}

int audit_unmask(const struct cli *cli, struct sq_store *st, const char *command, int64_t rows,
		 const char *what)
{
	struct audit_who who;
	struct store_audit_entry e;
	struct sq_error err = { 0 };
	int status = EXIT_OK;

	if (rows == 0) {
		if (!cli->cfg.privacy.keep_raw_contact)
			return cli_usage_error(command, "--unmask: nothing to unmask: "
					       "privacy.keep_raw_contact is off, so only masked "
					       "numbers are stored");
		return cli_usage_error(command, "--unmask: nothing to unmask: %s holds no full "
				       "contact number (none given, or pruned)", what);
	}
	if (audit_who_init(&who, cli)) {
		audit_who_release(&who);
		fprintf(stderr, "suqiu: %s: out of memory\n", command);
		return EXIT_PARTIAL;
	}
	e = audit_who_entry(&who, "unmask", rows, what);
	if (store_audit_append(st, &e, NULL, &err)) {
		cli_error(command, &err);
		status = EXIT_PARTIAL;
	} else {
		/* A second record outside the database, in the system log
		 * (the journal on Debian), for whoever can rewrite the file. */
		openlog("suqiu", LOG_PID, LOG_AUTHPRIV);
		syslog(LOG_NOTICE, "unmask: %s: %lld full contact number%s shown to uid %lld (%s)%s%s: %s",
		       command, (long long)rows, rows == 1 ? "" : "s", (long long)who.uid, who.user,
		       who.sudo_user ? " via sudo from " : "", who.sudo_user ? who.sudo_user : "",
		       sq_buf_str(&who.cmdline));
		closelog();
		cli_log(cli, CLI_NOTICE, "suqiu: %s: %lld full contact number%s shown to %s%s%s "
			"(recorded in the audit log)", command, (long long)rows, rows == 1 ? "" : "s",
			who.user, who.sudo_user ? " via sudo from " : "",
			who.sudo_user ? who.sudo_user : "");
	}
	audit_who_release(&who);
	return status;
}
