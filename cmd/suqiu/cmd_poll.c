/*
 * suqiu poll — one collection run: what the systemd timer runs.
 *
 * Takes the poll lock (a second run at the same time exits 1 with "another
 * poll is running": the timer will simply try again, and 1 tells a person
 * running it by hand that nothing was collected), opens the store, loads
 * the taxonomy and site key, and polls each source (poll.h).  One summary
 * line per source goes to stderr; a failed source adds one error line that
 * names it and the page.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli.h"
#include "cmd_alerts.h"
#include "fault.h"
#include "pollenv.h"
#include "progress.h"
#include "http.h"
#include "normalize.h"
#include "poll.h"
#include "store.h"
#include "taxonomy.h"
#include "banned.h"

static const char poll_usage[] =
	"usage: suqiu poll [--source NAME]... [--no-notify] [--metrics FILE]\n"
	"\n"
	"Fetch what is new from every enabled source, or only from the sources\n"
	"named (a named source runs even if it is disabled), and store it.\n"
	"\n"
	"  --source NAME   poll this source (repeatable)\n"
	"  --no-notify     do not send alert mail in this run\n"
	"  --metrics FILE  afterwards, write the Prometheus textfile FILE\n"
	"                  (atomically; same as the global --metrics)\n"
	"\n"
	"Exit status: 0 every source was polled; 1 a source failed (what the\n"
	"others fetched is stored) or another poll is running; 2 usage or\n"
	"configuration error.\n"
	"\n"
	"Environment (for tests and reproducible backfills):\n"
	"  SUQIU_NOW=RFC3339       take this as the current time for windows and\n"
	"                          stored times (signatures still use the real clock)\n"
	"  SUQIU_CRASH_AT=POINT:N  end the process abruptly the Nth time POINT is\n"
	"                          reached: after_fetch, mid_page, before_commit,\n"
	"                          after_commit, after_detect, after_claim,\n"
	"                          after_send (crash tests)\n";

/* What the command's callbacks need. */
struct poll_ui {
	const struct cli *cli;
	struct progress bar;
	const struct sq_source_config *src;   /* the source the bar counts */
	char label[96];
};

static void print_note(void *ctx, const char *msg)
{
	const struct poll_ui *ui = ctx;

	cli_log(ui->cli, CLI_INFO, "suqiu: poll: %s", msg);
}

static void show_progress(void *ctx, const struct poll_source_result *r)
{
	struct poll_ui *ui = ctx;

	if (ui->src != r->src) {
		progress_finish(&ui->bar);
		ui->src = r->src;
		snprintf(ui->label, sizeof(ui->label), "poll %s: records", r->src->name);
		progress_start(&ui->bar, ui->label, 0, ui->cli->verbosity < 1);
	}
	progress_update(&ui->bar, r->stats.fetched);
}

static void print_summary(const struct cli *cli, const struct poll_source_result *r)
{
	const struct store_run_source *s = &r->stats;

	if (r->rc)
		cli_log(cli, CLI_ERR, "suqiu: poll: %s", r->err.msg);
	cli_log(cli, r->rc ? CLI_WARNING : CLI_NOTICE,
		"suqiu: poll: %s: %s%lld page%s, %lld fetched: %lld new, %lld updated, "
		"%lld unchanged, %lld quarantined; %lld retr%s; %lld.%01lld s%s",
		r->src->name, r->rc ? "FAILED after " : "", (long long)s->pages,
		s->pages == 1 ? "" : "s", (long long)s->fetched, (long long)s->new_records,
		(long long)s->updated, (long long)s->unchanged, (long long)s->quarantined,
		(long long)r->retries, r->retries == 1 ? "y" : "ies",
		(long long)(s->duration_ms / 1000), (long long)(s->duration_ms % 1000 / 100),
		r->more_left ? "; budget spent, more next run" : "");
}

int cmd_poll(struct cli *cli, int argc, char **argv)
{
	struct pollenv env;
	struct poll_ui ui = { 0 };
	struct poll_options opt = { 0 };
	struct poll_result result = { 0 };
	struct sq_error err = { 0 };
	struct sq_http *http = NULL;
	const char **only = NULL;
	size_t nonly = 0, i;
	int status = EXIT_OK, lock_fd = -1, no_notify = 0;
	int64_t run_id = 0;
	sq_err rc;

	if (cli_wants_help(argc, argv)) {
		fputs(poll_usage, stdout);
		return EXIT_OK;
	}
	only = calloc((size_t)argc + 1, sizeof(*only));
	if (!only) {
		cli_log(cli, CLI_ERR, "suqiu: poll: out of memory");
		return EXIT_PARTIAL;
	}
	for (i = 1; i < (size_t)argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--source")) {
			if (i + 1 >= (size_t)argc) {
				free(only);
				return cli_usage_error("poll", "--source needs a NAME\n%s", poll_usage);
			}
			only[nonly++] = argv[++i];
		} else if (!strncmp(a, "--source=", 9)) {
			only[nonly++] = a + 9;
		} else if (!strcmp(a, "--metrics")) {
			if (i + 1 >= (size_t)argc) {
				free(only);
				return cli_usage_error("poll", "--metrics needs a FILE\n%s", poll_usage);
			}
			cli->metrics_path = argv[++i];
		} else if (!strncmp(a, "--metrics=", 10)) {
			cli->metrics_path = a + 10;
		} else if (!strcmp(a, "--no-notify")) {
			no_notify = 1;
		} else {
			free(only);
			return cli_usage_error("poll", "unknown argument '%s'\n%s", a, poll_usage);
		}
	}
	for (i = 0; i < nonly; i++) {
		if (!config_find_source(&cli->cfg, only[i])) {
			int st = cli_usage_error("poll", "no source named '%s' in %s", only[i],
						 cli->cfg.path ? cli->cfg.path : cli->config_path);
			free(only);
			return st;
		}
	}

	status = pollenv_open(cli, "poll", &env);
	if (status) {
		free(only);
		return status;
	}
	rc = store_lock_poll(env.db_path, &lock_fd, &err);
	if (rc) {
		if (rc == SQ_ELOCKED)
			cli_log(cli, CLI_ERR, "suqiu: poll: another poll is running on %s; not polling",
				env.db_path);
		else
			cli_error("poll", &err);
		pollenv_close(&env);
		free(only);
		return rc == SQ_ELOCKED ? EXIT_PARTIAL : EXIT_USAGE;
	}
	status = pollenv_store(cli, "poll", &env);
	if (status)
		goto out;
	rc = http_new(&cli->cfg.http, &http, &err);
	if (rc) {
		cli_error("poll", &err);
		status = rc == SQ_ECONFIG ? EXIT_USAGE : EXIT_PARTIAL;
		goto out;
	}
	status = pollenv_dedup(cli, "poll", &env, &opt);
	if (status)
		goto out;
	rc = store_run_begin(env.store, "poll", env.clock.now_ms(env.clock.ctx) / 1000, &run_id,
			     &err);
	if (rc) {
		cli_error("poll", &err);
		status = EXIT_PARTIAL;
		goto out;
	}

	opt.only = only;
	opt.nonly = nonly;
	opt.clock = env.clock;
	opt.run_id = run_id;
	opt.fault = pollenv_crash_point;
	opt.fault_ctx = &env.crash;
	ui.cli = cli;
	opt.note = print_note;
	opt.note_ctx = &ui;
	opt.progress = show_progress;
	opt.progress_ctx = &ui;
	rc = poll_run(&cli->cfg, env.store, http, &env.norm, &opt, &result, &err);
	progress_finish(&ui.bar);
	for (i = 0; i < result.n; i++)
		print_summary(cli, &result.sources[i]);
	pollenv_dedup_summary(cli, "poll", &env);
	if (rc) {
		cli_error("poll", &err);
		status = rc == SQ_ENOTFOUND ? EXIT_USAGE : EXIT_PARTIAL;
	} else if (result.failed) {
		status = EXIT_PARTIAL;
	}
	if (!rc) {
		/* Early warning over what is stored, even when a feed failed: the
		 * others' complaints are in, and an urgent one must not wait. */
		int64_t now = env.clock.now_ms(env.clock.ctx) / 1000;
		struct sq_faults faults;
		int st = alerts_detect(cli, "poll", &env, now);

		pollenv_faults(&env, &faults);
		sq_fault_hit(&faults, "after_detect");
		if (!st && !no_notify)
			st = alerts_send_outbox(cli, "poll", &env, now, 0, 0, 1);
		if (st && !status)
			status = st;
	}
	if (store_run_end(env.store, run_id, env.clock.now_ms(env.clock.ctx) / 1000, status,
			  &err)) {
		cli_error("poll", &err);
		status = EXIT_PARTIAL;
	}
out:
	poll_result_release(&result);
	http_free(http);
	pollenv_close(&env);
	store_unlock_poll(lock_fd);
	free(only);
	return status;
}
