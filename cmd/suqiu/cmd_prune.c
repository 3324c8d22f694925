/*
 * suqiu prune [--dry-run] — personal-information minimisation: drop raw
 * feed payloads, contact hashes and full numbers older than
 * privacy.retention, keeping the rows that digests count.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "audit.h"
#include "cli.h"
#include "normalize.h"
#include "store.h"
#include "banned.h"

static const char prune_usage[] =
	"usage: suqiu prune [--dry-run]\n"
	"\n"
	"Personal-information minimisation.  For complaints their feed last\n"
	"updated longer ago than privacy.retention (default 730d), remove the raw\n"
	"feed payload, the contact hash and any full contact number; remove the\n"
	"raw payload of earlier states and of quarantined records as old, and the\n"
	"bodies of alert and digest mails sent that long ago.  Rows\n"
	"stay, so digests, searches and exports still count them, and masked\n"
	"numbers (138****5678) stay.  Prints how many rows changed and records the\n"
	"prune in the audit log (suqiu audit).\n"
	"\n"
	"  --dry-run   count what would change; change nothing\n"
	"\n"
	"Copies made earlier (suqiu backup) still hold what was pruned.\n"
	"SUQIU_NOW=RFC3339 takes that as the current time (tests).\n"
	"Exit status: 0 done; 1 the database failed or a poll is running;\n"
	"2 usage or configuration error.\n";

/* 730d, 36h, 90m: the largest whole unit. */
static void format_duration(int64_t ms, char *buf, size_t size)
{
	static const struct { int64_t ms; const char *unit; } units[] = {
		{ 86400000, "d" }, { 3600000, "h" }, { 60000, "m" }, { 1000, "s" }, { 1, "ms" },
	};
	size_t i;

	for (i = 0; i < sizeof(units) / sizeof(units[0]); i++)
		if (ms % units[i].ms == 0 || i + 1 == sizeof(units) / sizeof(units[0]))
			break;
	snprintf(buf, size, "%lld%s", (long long)(ms / units[i].ms), units[i].unit);
}

static void report(const struct store_prune_counts *c, int dry_run)
{
	int64_t total = c->complaints + c->history + c->quarantine + c->outbox;
	const char *verb = dry_run ? "would change" : "changed";

	printf("  complaints       %6lld row%s (raw payload %lld, contact hash or number %lld)\n",
	       (long long)c->complaints, c->complaints == 1 ? "" : "s",
	       (long long)c->complaints_raw, (long long)c->complaints_contact);
	printf("  earlier states   %6lld row%s (raw payload)\n", (long long)c->history,
	       c->history == 1 ? "" : "s");
	printf("  quarantine       %6lld row%s (raw payload)\n", (long long)c->quarantine,
	       c->quarantine == 1 ? "" : "s");
	printf("  sent mail        %6lld row%s (bodies)\n", (long long)c->outbox,
	       c->outbox == 1 ? "" : "s");
	printf("  %lld row%s %s\n", (long long)total, total == 1 ? "" : "s", verb);
}

CMD(prune)
{
	struct sq_error err = { 0 };
	struct store_prune_counts counts;
	struct store_audit_entry entry;
	struct audit_who who;
	struct sq_store *st = NULL;
	const char *now_env = getenv("SUQIU_NOW");
	const char *db = cli_db_path(cli);
	char when[NORM_TIME_BUFSZ], retention[32], detail[128];
	int64_t now = (int64_t)time(NULL), before;
	int dry_run = 0, lock_fd = -1, status = EXIT_OK, i;
	sq_err rc;

	if (cli_wants_help(argc, argv)) {
		fputs(prune_usage, stdout);
		return EXIT_OK;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--dry-run"))
			dry_run = 1;
		else
			return cli_usage_error("prune", "unexpected '%s'\n%s", argv[i], prune_usage);
	}
	if (now_env && *now_env && norm_time_rfc3339(now_env, &now, &err))
		return cli_usage_error("prune", "SUQIU_NOW: %s", err.msg);
	if (!db || !*db)
		return cli_usage_error("prune", "no database: set `database:` or give --db FILE");
	before = now - cli->cfg.privacy.retention_ms / 1000;
	format_duration(cli->cfg.privacy.retention_ms, retention, sizeof(retention));
	norm_format_time(before, cli->cfg.tz_offset_s, when, sizeof(when));

	/* A poll commits page by page; a long prune would make its pages wait
	 * on the write lock, so the two take turns. */
	if (!dry_run) {
		rc = store_lock_poll(db, &lock_fd, &err);
		if (rc == SQ_ELOCKED) {
			fprintf(stderr, "suqiu: prune: a poll is running on %s; try again after it\n", db);
			return EXIT_PARTIAL;
		}
		if (rc) {
			cli_error("prune", &err);
			return EXIT_PARTIAL;
		}
	}
	if (audit_who_init(&who, cli)) {
		audit_who_release(&who);
		store_unlock_poll(lock_fd);
		fputs("suqiu: prune: out of memory\n", stderr);
		return EXIT_PARTIAL;
	}
	snprintf(detail, sizeof(detail), "privacy.retention %s: before %s", retention, when);
	entry = audit_who_entry(&who, "prune", 0, detail);
	status = cli_open_store(cli, &st);
	if (!status) {
		rc = store_prune(st, before, dry_run, &entry, &counts, &err);
		if (rc) {
			cli_error("prune", &err);
			status = EXIT_PARTIAL;
		} else {
			printf("prune%s: data last updated before %s (privacy.retention %s)\n",
			       dry_run ? " --dry-run" : "", when, retention);
			report(&counts, dry_run);
			if (!dry_run && !counts.checkpointed)
				cli_log(cli, CLI_WARNING, "suqiu: prune: a reader kept the WAL from being "
					"truncated; old pages leave it at the next checkpoint");
		}
	}
	store_close(st);
	audit_who_release(&who);
	store_unlock_poll(lock_fd);
	return status;
}
