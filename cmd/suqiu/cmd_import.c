/*
 * suqiu import — backfill from saved feed pages: the same parse, normalize,
 * store and link path as poll, without touching the source's cursor (a
 * backfill must not make the next poll skip anything).
 *
 * Pages are committed IMPORT_BATCH_RECORDS records at a time, not one by
 * one: each commit writes the linkage index's changed B-tree pages to the
 * write-ahead log, and those are spread all over the index, so a commit
 * per 200-record page rewrote most of it every time.  Without a cursor to
 * keep in step there is nothing to lose: a run that dies loses the pages
 * since the last commit, which the summary does not count, and importing
 * the same file again stores them (what is already stored is unchanged).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

#include "buf.h"
#include "cli.h"
#include "http.h"
#include "poll.h"
#include "pollenv.h"
#include "progress.h"
#include "store.h"
#include "banned.h"

static const char import_usage[] =
	"usage: suqiu import --source NAME [--charset CHARSET] [--stats] FILE\n"
	"\n"
	"Store the pages saved in FILE ('-' for standard input) as pages of the\n"
	"source NAME, in that source's feed format: one page, several pages one\n"
	"after another, or a JSON array of pages.  The source's cursor is left\n"
	"alone.  A page that cannot be read is reported and skipped; bad records\n"
	"inside a good page are quarantined.  Pages are stored and linked 5000\n"
	"records to a transaction: a failed or killed import loses only the pages\n"
	"since its last commit (not counted as stored); import FILE again for them.\n"
	"\n"
	"  --source NAME      the configured source whose format FILE is in\n"
	"  --charset CHARSET  FILE's charset: utf-8 (default), gbk or gb18030\n"
	"  --stats            print where the time went (storing, linking) and the\n"
	"                     peak memory, one line on standard error (benchmarks)\n"
	"\n"
	"Exit status: 0 every page was stored; 1 a page was refused or storing\n"
	"failed; 2 usage or configuration error, or FILE cannot be read.\n";

enum { IMPORT_BATCH_RECORDS = 5000 };

struct import_ui {
	const struct cli *cli;
	struct progress bar;
};

/* Each refused page gets its own line. */
static void print_refused(void *ctx, const char *msg)
{
	const struct import_ui *ui = ctx;

	cli_log(ui->cli, CLI_ERR, "suqiu: import: %s", msg);
}

static void show_progress(void *ctx, const struct poll_source_result *r)
{
	struct import_ui *ui = ctx;

	progress_update(&ui->bar, r->stats.fetched);
}

/* Wall and CPU nanoseconds at one instant, for --stats. */
struct import_clock {
	int64_t wall, cpu;
};

static void clock_now(struct import_clock *c)
{
	c->wall = pollenv_clock_ns(CLOCK_MONOTONIC);
	c->cpu = pollenv_clock_ns(CLOCK_PROCESS_CPUTIME_ID);
}

/*
 * One machine-readable line for scripts/bench/run.sh: the whole command
 * (reading, parsing, normalizing, storing, linking), the linking part, and
 * the storing part as the difference, all in seconds.
 */
static void print_stats(const struct cli *cli, const struct pollenv *env,
			const struct poll_import_result *result, const struct import_clock *t0)
{
	const struct dedup_stats *ds = env->dedup ? dedup_get_stats(env->dedup) : NULL;
	struct import_clock t1;
	struct rusage ru;
	double wall, cpu, lwall = env->timing.link_ns / 1e9, lcpu = env->timing.link_cpu_ns / 1e9;

	(void)cli;
	clock_now(&t1);
	wall = (t1.wall - t0->wall) / 1e9;
	cpu = (t1.cpu - t0->cpu) / 1e9;
	if (getrusage(RUSAGE_SELF, &ru))
		ru.ru_maxrss = 0;
	fprintf(stderr,
		"suqiu: import: stats: records=%lld new=%lld updated=%lld wall_s=%.3f cpu_s=%.3f "
		"store_wall_s=%.3f store_cpu_s=%.3f link_wall_s=%.3f link_cpu_s=%.3f "
		"candidates=%lld peak_rss_kib=%ld\n",
		(long long)result->stats.fetched, (long long)result->stats.new_records,
		(long long)result->stats.updated, wall, cpu, wall - lwall, cpu - lcpu, lwall, lcpu,
		ds ? (long long)ds->candidates : 0LL, (long)ru.ru_maxrss);
}

/*
 * FILE ("-": standard input) into out.  -1 with errno set on failure.
 * errno is read only where a call just failed: a successful call may leave
 * any value there (madvise in sq_buf_grow fails harmlessly under valgrind
 * with ENOMEM, which an earlier version took for its own failure and
 * refused any input above 4 MB).
 */
static int read_input(const char *path, struct sq_buf *out)
{
	FILE *f = strcmp(path, "-") ? fopen(path, "rb") : stdin;
	char chunk[65536];
	size_t n;
	int e = 0;

	if (!f)
		return -1;
	while (!e && (n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		if (sq_buf_add(out, chunk, n))
			e = ENOMEM;
	if (!e && ferror(f))
		e = errno ? errno : EIO;
	if (f != stdin)
		fclose(f);
	errno = e;
	return e ? -1 : 0;
}

int cmd_import(struct cli *cli, int argc, char **argv)
{
	const char *name = NULL, *file = NULL, *charset = NULL;
	const struct sq_source_config *src;
	struct sq_buf raw = SQ_BUF_INIT, text = SQ_BUF_INIT;
	struct poll_import_result result;
	struct poll_options opt = { 0 };
	struct sq_error err = { 0 };
	struct pollenv env;
	struct import_ui ui = { 0 };
	struct import_clock t0;
	int64_t run_id = 0;
	int status, i, stats = 0, lock_fd = -1;
	sq_err rc;

	if (cli_wants_help(argc, argv)) {
		fputs(import_usage, stdout);
		return EXIT_OK;
	}
	clock_now(&t0);
	for (i = 1; i < argc; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--stats")) {
			stats = 1;
		} else if (!strcmp(a, "--source") || !strcmp(a, "--charset")) {
			if (i + 1 >= argc)
				return cli_usage_error("import", "%s needs a value\n%s", a, import_usage);
			if (a[2] == 's')
				name = argv[++i];
			else
				charset = argv[++i];
		} else if (!strncmp(a, "--source=", 9)) {
			name = a + 9;
		} else if (!strncmp(a, "--charset=", 10)) {
			charset = a + 10;
		} else if (a[0] == '-' && a[1]) {
			return cli_usage_error("import", "unknown option '%s'\n%s", a, import_usage);
		} else if (!file) {
			file = a;
		} else {
			return cli_usage_error("import", "one FILE only\n%s", import_usage);
		}
	}
	if (!name || !file)
		return cli_usage_error("import", "--source NAME and FILE are required\n%s",
				       import_usage);
	src = config_find_source(&cli->cfg, name);
	if (!src)
		return cli_usage_error("import", "no source named '%s' in %s", name,
				       cli->cfg.path ? cli->cfg.path : cli->config_path);
	if (read_input(file, &raw)) {
		cli_log(cli, CLI_ERR, "suqiu: import: %s: %s", file, strerror(errno));
		sq_buf_release(&raw);
		return EXIT_USAGE;
	}
	rc = http_decode_charset(charset, raw.data, raw.len, &text, &err);
	sq_buf_release(&raw);
	if (rc) {
		cli_log(cli, CLI_ERR, "suqiu: import: %s: %s: %s", name, file, err.msg);
		sq_buf_release(&text);
		return rc == SQ_ENOMEM ? EXIT_PARTIAL : EXIT_USAGE;
	}

	status = pollenv_open(cli, "import", &env);
	if (status)
		goto out;
	/* Import links into the same incidents as poll: never both at once. */
	rc = store_lock_poll(env.db_path, &lock_fd, &err);
	if (rc) {
		if (rc == SQ_ELOCKED)
			cli_log(cli, CLI_ERR, "suqiu: import: a poll or import is running on %s; "
				"not importing", env.db_path);
		else
			cli_error("import", &err);
		status = rc == SQ_ELOCKED ? EXIT_PARTIAL : EXIT_USAGE;
		goto out;
	}
	status = pollenv_store(cli, "import", &env);
	if (status)
		goto out;
	opt.clock = env.clock;
	opt.batch_records = IMPORT_BATCH_RECORDS;
	opt.fault = pollenv_crash_point;
	opt.fault_ctx = &env.crash;
	status = pollenv_dedup(cli, "import", &env, &opt);
	if (status)
		goto out;
	ui.cli = cli;
	opt.note = print_refused;
	opt.note_ctx = &ui;
	opt.progress = show_progress;
	opt.progress_ctx = &ui;
	progress_start(&ui.bar, "import: records", 0, cli->verbosity < 1);
	if (store_run_begin(env.store, "import", env.clock.now_ms(env.clock.ctx) / 1000, &run_id,
			    &err)) {
		cli_error("import", &err);
		status = EXIT_PARTIAL;
		goto out;
	}
	rc = poll_import(src, env.store, &env.norm, &opt, file, sq_buf_str(&text), text.len,
			 &result, &err);
	progress_finish(&ui.bar);
	if (rc)
		cli_error("import", &err);
	pollenv_dedup_summary(cli, "import", &env);
	cli_log(cli, rc || result.failed_pages ? CLI_WARNING : CLI_NOTICE,
		"suqiu: import: %s: %s: %lld page%s stored, %lld fetched: %lld new, %lld updated, "
		"%lld unchanged, %lld quarantined; %lld page%s refused",
		name, file, (long long)result.stats.pages, result.stats.pages == 1 ? "" : "s",
		(long long)result.stats.fetched, (long long)result.stats.new_records,
		(long long)result.stats.updated, (long long)result.stats.unchanged,
		(long long)result.stats.quarantined, (long long)result.failed_pages,
		result.failed_pages == 1 ? "" : "s");
	if (stats)
		print_stats(cli, &env, &result, &t0);
	status = rc || result.failed_pages ? EXIT_PARTIAL : EXIT_OK;
	if (rc && !result.stats.error) {
		result.stats.errors++;
		result.stats.error = err.msg;
	}
	if (store_run_source(env.store, run_id, &result.stats, &err) ||
	    store_run_end(env.store, run_id, env.clock.now_ms(env.clock.ctx) / 1000, status, &err)) {
		cli_error("import", &err);
		status = EXIT_PARTIAL;
	}
out:
	pollenv_close(&env);
	if (lock_fd >= 0)
		store_unlock_poll(lock_fd);
	sq_buf_release(&text);
	return status;
}
