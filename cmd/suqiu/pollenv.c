/* Shared setup of `suqiu poll` and `suqiu import` (pollenv.h). */
#include "pollenv.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "banned.h"

static const char *const crash_points[] = {
	"after_fetch", "mid_page", "before_commit", "after_commit",
	/* early warning and alert mail (fault.h) */
	"after_detect", "after_claim", "after_send", NULL,
};

static int parse_crash(const char *text, struct pollenv_crash *c)
{
	const char *colon = strrchr(text, ':');
	char *end;
	size_t i, len;

	if (!colon)
		return -1;
	len = (size_t)(colon - text);
	for (i = 0; crash_points[i]; i++)
		if (strlen(crash_points[i]) == len && !strncmp(crash_points[i], text, len))
			break;
	if (!crash_points[i])
		return -1;
	errno = 0;
	c->n = strtol(colon + 1, &end, 10);
	if (errno || *end || end == colon + 1 || c->n < 1)
		return -1;
	snprintf(c->point, sizeof(c->point), "%s", crash_points[i]);
	return 0;
}

int pollenv_open(struct cli *cli, const char *command, struct pollenv *env)
{
	struct sq_error err = { 0 };
	const char *now = getenv("SUQIU_NOW"), *crash = getenv("SUQIU_CRASH_AT");
	int64_t fixed = 0;

	memset(env, 0, sizeof(*env));
	if (now && *now) {
		if (norm_time_rfc3339(now, &fixed, &err))
			return cli_usage_error(command, "SUQIU_NOW: %s", err.msg);
		fixed *= 1000;
	}
	if (crash && *crash && parse_crash(crash, &env->crash))
		return cli_usage_error(command,
				       "SUQIU_CRASH_AT: want POINT:N with POINT one of after_fetch, "
				       "mid_page, before_commit, after_commit, after_detect, "
				       "after_claim, after_send and N >= 1");
	poll_clock_system(&env->clock, &env->clock_state, fixed);
	env->db_path = cli_db_path(cli);
	if (!env->db_path || !*env->db_path)
		return cli_usage_error(command, "no database: set `database:` in %s or use --db",
				       cli->config_path);
	return EXIT_OK;
}

int pollenv_store(struct cli *cli, const char *command, struct pollenv *env)
{
	struct sq_error err = { 0 };
	sq_err rc;

	rc = store_open(env->db_path, &env->store, &err);
	if (rc) {
		cli_error(command, &err);
		return EXIT_PARTIAL;
	}
	if (cli->cfg.taxonomy && taxonomy_load(cli->cfg.taxonomy, &env->taxonomy, &err)) {
		cli_error(command, &err);
		return EXIT_USAGE;
	}
	rc = norm_site_key(&cli->cfg.privacy.site_key, env->db_path, &env->site_key,
			   &env->site_key_len, &err);
	if (rc) {
		cli_error(command, &err);
		return rc == SQ_ECONFIG ? EXIT_USAGE : EXIT_PARTIAL;
	}
	normalizer_init(&env->norm, &cli->cfg, env->taxonomy, env->site_key, env->site_key_len);
	return EXIT_OK;
}

int64_t pollenv_clock_ns(int id)
{
	struct timespec ts;

	if (clock_gettime((clockid_t)id, &ts))
		return 0;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* When a piece of linking began, for env's --stats figures. */
struct link_clock {
	int64_t wall, cpu;
};

static struct link_clock link_begin(void)
{
	struct link_clock t = { pollenv_clock_ns(CLOCK_MONOTONIC),
				pollenv_clock_ns(CLOCK_THREAD_CPUTIME_ID) };

	return t;
}

/* Add the time since t to env's linking time; returns rc. */
static sq_err link_timed(struct pollenv *env, struct link_clock t, sq_err rc)
{
	env->timing.link_ns += pollenv_clock_ns(CLOCK_MONOTONIC) - t.wall;
	env->timing.link_cpu_ns += pollenv_clock_ns(CLOCK_THREAD_CPUTIME_ID) - t.cpu;
	return rc;
}

static int64_t now_s(const struct pollenv *env)
{
	return env->clock.now_ms(env->clock.ctx) / 1000;
}

static sq_err link_page(void *ctx, const int64_t *ids, size_t n, struct sq_error *err)
{
	struct pollenv *env = ctx;
	struct link_clock t = link_begin();

	env->timing.link_pages++;
	return link_timed(env, t, dedup_link_tx(env->dedup, ids, n, now_s(env), err));
}

/* On an import's parsing thread: reads only env->dedup's configuration. */
static sq_err prepare(void *ctx, const struct sq_record *r, void **prep, struct sq_error *err)
{
	const struct pollenv *env = ctx;
	struct dedup_prep *p = NULL;
	sq_err rc = dedup_prepare(env->dedup, r, &p, err);

	*prep = p;
	return rc;
}

static void prep_free(void *ctx, void *prep)
{
	(void)ctx;
	dedup_prep_free(prep);
}

static sq_err place(void *ctx, const struct sq_record *r, void *prep, int64_t *incident_id,
		    struct sq_error *err)
{
	struct pollenv *env = ctx;
	struct link_clock t = link_begin();

	return link_timed(env, t, dedup_place(env->dedup, r, prep, now_s(env), incident_id, err));
}

static sq_err placed(void *ctx, int64_t complaint_id, struct sq_error *err)
{
	struct pollenv *env = ctx;
	struct link_clock t = link_begin();

	return link_timed(env, t, dedup_placed(env->dedup, complaint_id, err));
}

static sq_err flush_counts(void *ctx, struct sq_error *err)
{
	struct pollenv *env = ctx;
	struct link_clock t = link_begin();

	return link_timed(env, t, dedup_flush(env->dedup, err));
}

/* source, source_id of both, score, comparisons: tab-separated. */
static void trace_pair(void *ctx, const struct dedup_doc *a, const struct dedup_doc *b,
		       const struct dedup_comparison *c, size_t n, double score)
{
	struct sq_buf json = SQ_BUF_INIT;

	if (dedup_comparisons_json(c, n, &json) == SQ_OK)
		fprintf(ctx, "%s\t%s\t%s\t%s\t%.3f\t%s\n", a->source, a->source_id, b->source,
			b->source_id, score, json.data);
	sq_buf_release(&json);
}

int pollenv_dedup(struct cli *cli, const char *command, struct pollenv *env,
		  struct poll_options *opt)
{
	const char *trace = getenv("SUQIU_DEDUP_TRACE");
	struct sq_error err = { 0 };
	sq_err rc;

	rc = dedup_new(env->store, &cli->cfg.dedup, env->taxonomy, &env->dedup, &err);
	if (rc) {
		cli_error(command, &err);
		return rc == SQ_ECONFIG ? EXIT_USAGE : EXIT_PARTIAL;
	}
	if (trace && *trace) {
		env->trace = fopen(trace, "a");
		if (!env->trace) {
			fprintf(stderr, "suqiu: %s: SUQIU_DEDUP_TRACE: %s: %s\n", command, trace,
				strerror(errno));
			return EXIT_USAGE;
		}
		dedup_set_trace(env->dedup, trace_pair, env->trace);
	}
	opt->in_page = link_page;
	opt->in_page_ctx = env;
	opt->placer.place = place;
	opt->placer.placed = placed;
	opt->placer.ctx = env;
	opt->prepare = prepare;
	opt->prep_free = prep_free;
	/* every commit of poll_run and poll_import calls before_commit */
	dedup_defer_counts(env->dedup, 1);
	opt->before_commit = flush_counts;
	opt->before_commit_ctx = env;
	return EXIT_OK;
}

void pollenv_dedup_summary(const struct cli *cli, const char *command,
			   const struct pollenv *env)
{
	const struct dedup_stats *s;

	if (!env->dedup)
		return;
	s = dedup_get_stats(env->dedup);
	cli_log(cli, CLI_INFO, "suqiu: %s: linking: %lld new incident%s, %lld joined by score, "
		 "%lld by declared link, %lld updated, %lld incident%s merged by declared links",
		 command, (long long)s->started, s->started == 1 ? "" : "s",
		 (long long)s->scored, (long long)s->declared, (long long)s->refreshed,
		 (long long)s->merged, s->merged == 1 ? "" : "s");
}

void pollenv_close(struct pollenv *env)
{
	dedup_free(env->dedup);
	env->dedup = NULL;
	if (env->trace)
		fclose(env->trace);
	env->trace = NULL;
	store_close(env->store);
	taxonomy_free(env->taxonomy);
	norm_key_free(env->site_key, env->site_key_len);
	env->store = NULL;
	env->taxonomy = NULL;
	env->site_key = NULL;
}

void pollenv_crash_point(void *ctx, const char *point)
{
	struct pollenv_crash *c = ctx;
	static const char msg[] = "suqiu: SUQIU_CRASH_AT reached; ending abruptly\n";

	if (!c->point[0] || strcmp(c->point, point) || ++c->count != c->n)
		return;
	/* As a kill would: no atexit handlers, no stdio flush, no SQLite close. */
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(137);
	_exit(137);
}

/* sq_faults' crash callback: the same abrupt end as pollenv_crash_point. */
static void crash_now(void *ctx, const char *point)
{
	static const char msg[] = "suqiu: SUQIU_CRASH_AT reached; ending abruptly\n";

	(void)ctx;
	(void)point;
	if (write(STDERR_FILENO, msg, sizeof(msg) - 1) < 0)
		_exit(137);
	_exit(137);
}

void pollenv_faults(const struct pollenv *env, struct sq_faults *f)
{
	memset(f, 0, sizeof(*f));
	if (!env->crash.point[0])
		return;
	snprintf(f->point, sizeof(f->point), "%s", env->crash.point);
	f->count = env->crash.n;
	f->crash = crash_now;
}
