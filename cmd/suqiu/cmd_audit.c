/*
 * suqiu audit [--since T] [--format text|json] — the append-only audit
 * log: every unmasking of full contact numbers and every prune.
 */
#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "normalize.h"
#include "store.h"
#include "banned.h"

static const char audit_usage[] =
	"usage: suqiu audit [--since T] [--format text|json]\n"
	"\n"
	"Lists the audit log, oldest first: every `show --unmask` and\n"
	"`export --unmask` (who, when, the command line, how many full numbers it\n"
	"showed) and every prune (how many rows it changed).  The log is\n"
	"append-only: the database refuses to change or delete its rows.\n"
	"\n"
	"  --since T         entries at or after T: a date or time in the\n"
	"                    configured zone (2024-05-01, 2024-05-01T08:00+08:00)\n"
	"                    or a duration ago (7d)\n"
	"  --format FORMAT   text (default) or json (an array of objects with id,\n"
	"                    at, uid, user, sudo_user, action, command, rows, detail)\n";

struct audit_out {
	const struct cli *cli;
	cJSON *array;   /* json: the entries; NULL for text */
	int64_t n;
};

static sq_err text_cb(void *ctx, const struct store_audit_entry *e)
{
	struct audit_out *out = ctx;
	char when[NORM_TIME_BUFSZ];

	norm_format_time(e->at, out->cli->cfg.tz_offset_s, when, sizeof(when));
	printf("%s  %-6s %6lld row%s  %s%s%s (uid %lld)  %s%s%s\n", when, e->action,
	       (long long)e->rows, e->rows == 1 ? " " : "s", e->os_user,
	       e->sudo_user ? " via sudo from " : "", e->sudo_user ? e->sudo_user : "",
	       (long long)e->uid, e->command, e->detail ? "  # " : "", e->detail ? e->detail : "");
	out->n++;
	return ferror(stdout) ? SQ_EIO : SQ_OK;
}

static sq_err json_cb(void *ctx, const struct store_audit_entry *e)
{
	struct audit_out *out = ctx;
	cJSON *o = cJSON_CreateObject();
	char when[NORM_TIME_BUFSZ];
	int ok;

	if (!o)
		return SQ_ENOMEM;
	norm_format_time(e->at, out->cli->cfg.tz_offset_s, when, sizeof(when));
	ok = cJSON_AddNumberToObject(o, "id", (double)e->id) &&
	     cJSON_AddStringToObject(o, "at", when) &&
	     cJSON_AddNumberToObject(o, "uid", (double)e->uid) &&
	     cJSON_AddStringToObject(o, "user", e->os_user) &&
	     (e->sudo_user ? cJSON_AddStringToObject(o, "sudo_user", e->sudo_user)
			   : cJSON_AddNullToObject(o, "sudo_user")) &&
	     cJSON_AddStringToObject(o, "action", e->action) &&
	     cJSON_AddStringToObject(o, "command", e->command) &&
	     cJSON_AddNumberToObject(o, "rows", (double)e->rows) &&
	     (e->detail ? cJSON_AddStringToObject(o, "detail", e->detail)
			: cJSON_AddNullToObject(o, "detail"));
	if (!ok || !cJSON_AddItemToArray(out->array, o)) {
		cJSON_Delete(o);
		return SQ_ENOMEM;
	}
	out->n++;
	return SQ_OK;
}

CMD(audit)
{
	struct audit_out out = { .cli = cli };
	struct sq_error err = { 0 };
	struct sq_store *st = NULL;
	const char *since_arg = NULL, *format = "text";
	int64_t since = 0;
	int i, status;
	sq_err rc;

	if (cli_wants_help(argc, argv)) {
		fputs(audit_usage, stdout);
		return EXIT_OK;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--since") && i + 1 < argc)
			since_arg = argv[++i];
		else if (!strncmp(argv[i], "--since=", 8))
			since_arg = argv[i] + 8;
		else if (!strcmp(argv[i], "--format") && i + 1 < argc)
			format = argv[++i];
		else if (!strncmp(argv[i], "--format=", 9))
			format = argv[i] + 9;
		else
			return cli_usage_error("audit", "unexpected '%s'\n%s", argv[i], audit_usage);
	}
	if (strcmp(format, "text") && strcmp(format, "json"))
		return cli_usage_error("audit", "--format: '%s' is neither text nor json", format);
	if (since_arg && norm_time_arg(since_arg, cli->cfg.tz_offset_s, (int64_t)time(NULL),
				       &since, &err)) {
		cli_error("audit: --since", &err);
		return EXIT_USAGE;
	}
	status = cli_open_store(cli, &st);
	if (status)
		return status;
	if (!strcmp(format, "json")) {
		out.array = cJSON_CreateArray();
		rc = out.array ? store_audit_each(st, since, json_cb, &out, &err) : SQ_ENOMEM;
		if (!rc) {
			char *text = cJSON_Print(out.array);

			if (text) {
				puts(text);
				free(text);
			} else {
				rc = SQ_ENOMEM;
			}
		}
		cJSON_Delete(out.array);
	} else {
		rc = store_audit_each(st, since, text_cb, &out, &err);
		if (!rc && out.n == 0)
			printf("no audit entries%s\n", since_arg ? " in that time" : "");
	}
	if (rc == SQ_ENOMEM || rc == SQ_EIO)
		sq_fail(&err, rc, "%s", rc == SQ_EIO ? "writing output failed" : "out of memory");
	if (rc)
		cli_error("audit", &err);
	store_close(st);
	return rc ? EXIT_PARTIAL : EXIT_OK;
}
