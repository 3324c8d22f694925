/*
 * test_poll.c — the poll pipeline's retry loop, budget and hooks, against
 * the feed simulator (scripts/feedsim.py, started here on a free port) with
 * a fake clock: sleeps are recorded instead of slept, the monotonic clock
 * advances by what was slept, jitter is fixed at 0.5.  So the policy is
 * checked to the millisecond and the test takes no time.  Also the hooks
 * around a page's transaction, and imports committing several pages at once.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "config.h"
#include "error.h"
#include "http.h"
#include "normalize.h"
#include "poll.h"
#include "store.h"
#include "banned.h"

#define SIM_NOW "2024-05-14T20:00:00+08:00"
#define SIM_NOW_MS 1715688000000LL
#define HOTLINE_TOTAL 62

struct sim {
	pid_t pid;
	int port;
	char dir[PATH_MAX - 64];
	int ndb;
};

/* ---- the fake clock ---------------------------------------------------- */

struct fake_clock {
	int64_t mono;
	int64_t sleeps[64];
	int nsleeps;
};

static int64_t fake_now(void *ctx)
{
	(void)ctx;
	return SIM_NOW_MS;
}

static int64_t fake_wall(void *ctx)
{
	struct timespec ts;

	(void)ctx;
	/* The simulator checks signatures against its real clock. */
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int64_t fake_mono(void *ctx)
{
	return ((struct fake_clock *)ctx)->mono;
}

static void fake_sleep(void *ctx, int64_t ms)
{
	struct fake_clock *c = ctx;

	if (c->nsleeps < 64)
		c->sleeps[c->nsleeps++] = ms;
	c->mono += ms;
}

static double fake_rand(void *ctx)
{
	(void)ctx;
	return 0.5;
}

/* ---- hooks ---------------------------------------------------------------- */

struct hooks {
	char points[4096];
	int after_fetch, mid_page, before_commit, after_commit;
	int64_t ids_seen;
	int calls;
	char notes[4096];
};

static void on_fault(void *ctx, const char *point)
{
	struct hooks *h = ctx;
	size_t len = strlen(h->points);

	if (!strcmp(point, "after_fetch"))
		h->after_fetch++;
	else if (!strcmp(point, "mid_page"))
		h->mid_page++;
	else if (!strcmp(point, "before_commit"))
		h->before_commit++;
	else if (!strcmp(point, "after_commit"))
		h->after_commit++;
	/* One letter per point: the order is what matters. */
	if (len + 2 < sizeof(h->points)) {
		h->points[len] = point[0] == 'a' ? (point[6] == 'f' ? 'F' : 'C') :
				 point[0] == 'm' ? 'm' : 'B';
		h->points[len + 1] = '\0';
	}
}

static sq_err on_page(void *ctx, const int64_t *ids, size_t n, struct sq_error *err)
{
	struct hooks *h = ctx;
	size_t i;

	(void)err;
	h->calls++;
	for (i = 0; i < n; i++)
		assert_true(ids[i] > 0);
	h->ids_seen += (int64_t)n;
	return SQ_OK;
}

static void on_note(void *ctx, const char *msg)
{
	struct hooks *h = ctx;
	size_t len = strlen(h->notes), n = strlen(msg);

	if (len + n + 2 < sizeof(h->notes)) {
		memcpy(h->notes + len, msg, n);
		h->notes[len + n] = '\n';
		h->notes[len + n + 1] = '\0';
	}
}

/* ---- the simulator ------------------------------------------------------------ */

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static size_t discard(char *p, size_t size, size_t n, void *ctx)
{
	(void)p;
	(void)ctx;
	return size * n;
}

static void sim_post(const struct sim *s, const char *json)
{
	CURL *c = curl_easy_init();
	char url[64];
	long code = 0;

	assert_non_null(c);
	snprintf(url, sizeof(url), "http://127.0.0.1:%d/_control", s->port);
	curl_easy_setopt(c, CURLOPT_URL, url);
	curl_easy_setopt(c, CURLOPT_POSTFIELDS, json);
	curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard);
	assert_int_equal(curl_easy_perform(c), CURLE_OK);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	curl_easy_cleanup(c);
	assert_int_equal(code, 200);
}

static int group_setup(void **state)
{
	struct sim *s = calloc(1, sizeof(*s));
	const char *top = getenv("SUQIU_TOP"), *tmp = getenv("TMPDIR");
	char script[PATH_MAX], port_file[PATH_MAX], buf[32];
	struct sq_error err;
	int i;

	if (!s)
		return -1;
	*state = s;
	snprintf(script, sizeof(script), "%s/scripts/feedsim.py", top && *top ? top : ".");
	snprintf(s->dir, sizeof(s->dir), "%s/suqiu-test-poll-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(s->dir) || http_global_init(&err))
		return -1;
	snprintf(port_file, sizeof(port_file), "%s/port", s->dir);
	s->pid = fork();
	if (s->pid < 0)
		return -1;
	if (s->pid == 0) {
		int null = open("/dev/null", 1);

		if (null >= 0)
			dup2(null, 2);
		execl("/usr/bin/python3", "python3", script, "--port", "0", "--port-file", port_file,
		      "--now", SIM_NOW, (char *)NULL);
		_exit(127);
	}
	for (i = 0; i < 500 && s->port <= 0; i++) {
		FILE *f = fopen(port_file, "r");

		if (f) {
			if (fgets(buf, sizeof(buf), f))
				s->port = (int)strtol(buf, NULL, 10);
			fclose(f);
		} else {
			sleep_ms(20);
		}
	}
	if (s->port <= 0) {
		fprintf(stderr, "test_poll: the simulator did not start (%s)\n", script);
		return -1;
	}
	return 0;
}

static int group_teardown(void **state)
{
	struct sim *s = *state;
	char cmd[PATH_MAX + 16];

	if (!s)
		return 0;
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
	}
	if (s->dir[0] && strstr(s->dir, "suqiu-test-poll-")) {
		snprintf(cmd, sizeof(cmd), "rm -rf '%s'", s->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "test_poll: could not remove %s\n", s->dir);
	}
	free(s);
	http_global_cleanup();
	return 0;
}

/* ---- one poll run with a fresh store ---------------------------------------------- */

struct run {
	struct sq_config cfg;
	struct sq_store *st;
	struct sq_http *http;
	struct sq_normalizer norm;
	struct fake_clock clock;
	struct hooks hooks;
	struct poll_options opt;
	struct poll_result result;
};

static const unsigned char site_key[] = "0123456789abcdef0123456789abcdef";

static void run_setup(struct sim *s, struct run *r, const char *http_yaml)
{
	char cfg_path[PATH_MAX], db_path[PATH_MAX];
	struct sq_error err = { 0 };
	FILE *f;

	memset(r, 0, sizeof(*r));
	snprintf(cfg_path, sizeof(cfg_path), "%s/suqiu-%d.yaml", s->dir, ++s->ndb);
	snprintf(db_path, sizeof(db_path), "%s/suqiu-%d.db", s->dir, s->ndb);
	f = fopen(cfg_path, "w");
	assert_non_null(f);
	fprintf(f,
		"database: %s\n"
		"sources:\n"
		"  - name: hotline\n"
		"    type: hotline12345\n"
		"    base_url: http://127.0.0.1:%d/hotline\n"
		"    app_key: demo\n"
		"    app_secret: demo-secret\n"
		"    page_size: 10\n"
		"    start_from: 2024-05-01T00:00:00+08:00\n"
		"http:\n"
		"  backoff_base: 100ms\n"
		"  backoff_max: 400ms\n"
		"  retry_after_max: 1s\n"
		"  max_attempts: 4\n"
		"%s",
		db_path, s->port, http_yaml ? http_yaml : "");
	assert_int_equal(fclose(f), 0);
	if (config_load(cfg_path, &r->cfg, &err))
		fail_msg("%s", err.msg);
	if (store_open(db_path, &r->st, &err) || http_new(&r->cfg.http, &r->http, &err))
		fail_msg("%s", err.msg);
	normalizer_init(&r->norm, &r->cfg, NULL, site_key, sizeof(site_key) - 1);
	r->opt.clock.now_ms = fake_now;
	r->opt.clock.wall_ms = fake_wall;
	r->opt.clock.mono_ms = fake_mono;
	r->opt.clock.sleep_ms = fake_sleep;
	r->opt.clock.rand01 = fake_rand;
	r->opt.clock.ctx = &r->clock;
	r->opt.fault = on_fault;
	r->opt.fault_ctx = &r->hooks;
	r->opt.after_page = on_page;
	r->opt.after_page_ctx = &r->hooks;
	r->opt.note = on_note;
	r->opt.note_ctx = &r->hooks;
	sim_post(s, "{\"reset\": true}");
}

static sq_err run_poll(struct run *r, struct sq_error *err)
{
	return poll_run(&r->cfg, r->st, r->http, &r->norm, &r->opt, &r->result, err);
}

static void run_teardown(struct run *r)
{
	poll_result_release(&r->result);
	http_free(r->http);
	store_close(r->st);
	config_release(&r->cfg);
}

static const struct poll_source_result *only_result(const struct run *r)
{
	assert_int_equal(r->result.n, 1);
	return &r->result.sources[0];
}

static int64_t stored(struct run *r)
{
	struct sq_error err = { 0 };
	int64_t n = -1;

	assert_int_equal(store_count_complaints(r->st, &n, &err), SQ_OK);
	return n;
}

/* ---- the tests --------------------------------------------------------------------- */

/* A clean run: every page committed, the hooks in order, ids of every new row. */
static void test_clean_run_and_hooks(void **state)
{
	struct run r;
	struct sq_error err = { 0 };
	const struct poll_source_result *res;
	size_t i;

	run_setup(*state, &r, NULL);
	assert_int_equal(run_poll(&r, &err), SQ_OK);
	res = only_result(&r);
	assert_int_equal(res->rc, SQ_OK);
	assert_int_equal(r.result.failed, 0);
	assert_int_equal(stored(&r), HOTLINE_TOTAL);
	assert_int_equal(res->stats.new_records, HOTLINE_TOTAL);
	assert_int_equal(res->stats.pages, 7);
	assert_int_equal(r.clock.nsleeps, 0);
	/* Per page: a fetch, one mid_page per record, then the commit. */
	assert_int_equal(r.hooks.after_fetch, 7);
	assert_int_equal(r.hooks.before_commit, 7);
	assert_int_equal(r.hooks.after_commit, 7);
	assert_int_equal(r.hooks.mid_page, res->stats.fetched);
	for (i = 0; r.hooks.points[i]; i++) {
		char c = r.hooks.points[i];

		if (c == 'F')
			assert_true(i == 0 || r.hooks.points[i - 1] == 'C');
		if (c == 'B')
			assert_true(r.hooks.points[i + 1] == 'C');
	}
	assert_int_equal(r.hooks.calls, 7);
	assert_int_equal(r.hooks.ids_seen, HOTLINE_TOTAL);
	run_teardown(&r);
}

/* 5xx: full-jitter exponential backoff (base 100 ms, jitter 0.5). */
static void test_backoff(void **state)
{
	struct run r;
	struct sq_error err = { 0 };

	run_setup(*state, &r, NULL);
	sim_post(*state, "{\"faults\": [{\"feed\": \"hotline\", \"kind\": \"http503\", \"count\": 3}]}");
	assert_int_equal(run_poll(&r, &err), SQ_OK);
	assert_int_equal(only_result(&r)->rc, SQ_OK);
	assert_int_equal(only_result(&r)->retries, 3);
	assert_int_equal(r.clock.nsleeps, 3);
	assert_int_equal(r.clock.sleeps[0], 50);
	assert_int_equal(r.clock.sleeps[1], 100);
	assert_int_equal(r.clock.sleeps[2], 200);
	assert_int_equal(stored(&r), HOTLINE_TOTAL);
	assert_non_null(strstr(r.hooks.notes, "hotline: page 1 (updatedFrom=2024-05-01 00:00:00 pageNo=1): "
					       "HTTP 503"));
	run_teardown(&r);
}

/* Hints are taken as they are, clamped to retry_after_max. */
static void test_hints_clamped(void **state)
{
	struct run r;
	struct sq_error err = { 0 };

	run_setup(*state, &r, NULL);
	sim_post(*state, "{\"faults\": [{\"feed\": \"hotline\", \"kind\": \"code42901\", \"retry_after\": 30},"
			 " {\"feed\": \"hotline\", \"kind\": \"http429\", \"retry_after\": 0}]}");
	assert_int_equal(run_poll(&r, &err), SQ_OK);
	assert_int_equal(only_result(&r)->rc, SQ_OK);
	assert_int_equal(r.clock.nsleeps, 2);
	assert_int_equal(r.clock.sleeps[0], 1000);   /* 30 s asked, retry_after_max 1 s */
	assert_int_equal(r.clock.sleeps[1], 0);      /* Retry-After: 0 */
	run_teardown(&r);
}

/* The attempts per page run out: the source fails naming its page. */
static void test_attempts_exhausted(void **state)
{
	struct run r;
	struct sq_error err = { 0 };
	const struct poll_source_result *res;

	run_setup(*state, &r, NULL);
	sim_post(*state, "{\"faults\": [{\"feed\": \"hotline\", \"kind\": \"slow\", \"seconds\": 0, \"count\": 1},"
			 " {\"feed\": \"hotline\", \"kind\": \"http500\", \"count\": 4}]}");
	assert_int_equal(run_poll(&r, &err), SQ_OK);
	res = only_result(&r);
	assert_int_equal(res->rc, SQ_ERETRY);
	assert_int_equal(r.result.failed, 1);
	assert_int_equal(r.clock.nsleeps, 3);
	assert_int_equal(res->stats.pages, 1);
	assert_int_equal(res->stats.errors, 1);
	assert_ptr_equal(res->stats.error, res->err.msg);
	assert_non_null(strstr(res->err.msg, "hotline: page 2 (updatedFrom="));
	assert_non_null(strstr(res->err.msg, "): gave up after 4 attempts: HTTP 500"));
	assert_int_equal(stored(&r), 10);
	run_teardown(&r);
}

/* The budget ends the source before a wait that would overrun it. */
static void test_budget(void **state)
{
	struct run r;
	struct sq_error err = { 0 };
	const struct poll_source_result *res;

	run_setup(*state, &r, "  budget: 2500ms\n");
	sim_post(*state, "{\"faults\": [{\"feed\": \"hotline\", \"kind\": \"http429\", \"retry_after\": 1, \"count\": 3}]}");
	assert_int_equal(run_poll(&r, &err), SQ_OK);
	res = only_result(&r);
	assert_int_equal(res->rc, SQ_ERETRY);
	assert_int_equal(r.clock.nsleeps, 2);
	assert_non_null(strstr(res->err.msg, "gave up after 3 attempts (retry budget of 2500 ms spent): HTTP 429"));
	assert_int_equal(stored(&r), 0);
	run_teardown(&r);
}

/* A source that spent its budget stops between pages, successfully; the
 * next run goes on from the cursor. */
static void test_budget_between_pages(void **state)
{
	struct run r;
	struct sq_error err = { 0 };
	const struct poll_source_result *res;

	run_setup(*state, &r, "  budget: 1s\n");
	/* Page 3 is answered 429 (Retry-After 1 s): after it the budget is spent. */
	sim_post(*state, "{\"faults\": [{\"feed\": \"hotline\", \"kind\": \"slow\", \"seconds\": 0, \"count\": 2},"
			 " {\"feed\": \"hotline\", \"kind\": \"http429\", \"retry_after\": 1}]}");
	assert_int_equal(run_poll(&r, &err), SQ_OK);
	res = only_result(&r);
	assert_int_equal(res->rc, SQ_OK);
	assert_int_equal(res->more_left, 1);
	assert_int_equal(res->stats.pages, 3);
	assert_int_equal(res->stats.errors, 0);
	assert_true(stored(&r) < HOTLINE_TOTAL);
	assert_non_null(strstr(r.hooks.notes, "hotline: budget of 1000 ms spent after page 3"));

	poll_result_release(&r.result);
	r.clock.mono = 0;
	assert_int_equal(run_poll(&r, &err), SQ_OK);
	res = only_result(&r);
	assert_int_equal(res->rc, SQ_OK);
	assert_int_equal(res->more_left, 0);
	assert_int_equal(stored(&r), HOTLINE_TOTAL);
	run_teardown(&r);
}

/* 40101 once: signed afresh at once (no wait); twice: fatal. */
static void test_resign(void **state)
{
	struct run r;
	struct sq_error err = { 0 };

	run_setup(*state, &r, NULL);
	sim_post(*state, "{\"faults\": [{\"feed\": \"hotline\", \"kind\": \"code40101\"}]}");
	assert_int_equal(run_poll(&r, &err), SQ_OK);
	assert_int_equal(only_result(&r)->rc, SQ_OK);
	assert_int_equal(only_result(&r)->retries, 1);
	assert_int_equal(r.clock.nsleeps, 0);
	run_teardown(&r);

	run_setup(*state, &r, NULL);
	sim_post(*state, "{\"faults\": [{\"feed\": \"hotline\", \"kind\": \"code40101\", \"count\": 2}]}");
	assert_int_equal(run_poll(&r, &err), SQ_OK);
	assert_int_equal(only_result(&r)->rc, SQ_EFATAL);
	assert_non_null(strstr(only_result(&r)->err.msg, "refused again after signing afresh: code 40101"));
	run_teardown(&r);
}

/* Unknown names in --source stop the run before anything is fetched. */
static void test_unknown_source(void **state)
{
	struct run r;
	struct sq_error err = { 0 };
	const char *only[] = { "hotline", "nosuch" };

	run_setup(*state, &r, NULL);
	r.opt.only = only;
	r.opt.nonly = 2;
	assert_int_equal(run_poll(&r, &err), SQ_ENOTFOUND);
	assert_non_null(strstr(err.msg, "no source named 'nosuch'"));
	assert_int_equal(r.hooks.after_fetch, 0);
	run_teardown(&r);
}

/* A failing after_page hook stops the source; the page it followed stays. */
static sq_err failing_hook(void *ctx, const int64_t *ids, size_t n, struct sq_error *err)
{
	(void)ctx;
	(void)ids;
	(void)n;
	return sq_fail(err, SQ_EDB, "dedup: simulated failure");
}

static void test_after_page_failure(void **state)
{
	struct run r;
	struct sq_error err = { 0 };

	run_setup(*state, &r, NULL);
	r.opt.after_page = failing_hook;
	assert_int_equal(run_poll(&r, &err), SQ_OK);
	assert_int_equal(only_result(&r)->rc, SQ_EDB);
	assert_non_null(strstr(only_result(&r)->err.msg, "hotline: page 1 ("));
	assert_non_null(strstr(only_result(&r)->err.msg, "dedup: simulated failure"));
	assert_int_equal(stored(&r), 10);
	run_teardown(&r);
}

/*
 * in_page runs inside the page's transaction, before the commit: it sees
 * the page's records stored; when it fails the page is rolled back.
 */
struct in_page_probe {
	struct run *r;
	int calls, fail_at;
	int64_t ids_seen, stored_seen;
};

static sq_err probe_in_page(void *ctx, const int64_t *ids, size_t n, struct sq_error *err)
{
	struct in_page_probe *p = ctx;

	(void)ids;
	p->calls++;
	p->ids_seen += (int64_t)n;
	p->stored_seen = stored(p->r);
	if (p->calls == p->fail_at)
		return sq_fail(err, SQ_EDB, "linking: simulated failure");
	return SQ_OK;
}

static void test_in_page(void **state)
{
	struct run r;
	struct in_page_probe probe = { 0 };
	struct sq_error err = { 0 };

	run_setup(*state, &r, NULL);
	probe.r = &r;
	probe.fail_at = 3;
	r.opt.in_page = probe_in_page;
	r.opt.in_page_ctx = &probe;
	assert_int_equal(run_poll(&r, &err), SQ_OK);
	assert_int_equal(only_result(&r)->rc, SQ_EDB);
	assert_non_null(strstr(only_result(&r)->err.msg, "hotline: page 3 ("));
	assert_non_null(strstr(only_result(&r)->err.msg, "linking: simulated failure"));
	/* page 3 was stored when linked, then rolled back; no commit, no after_page */
	assert_true(probe.stored_seen > stored(&r));
	assert_int_equal(stored(&r), only_result(&r)->stats.new_records);
	assert_int_equal(only_result(&r)->stats.pages, 2);
	assert_int_equal(r.hooks.before_commit, 2);
	assert_int_equal(r.hooks.calls, 2);
	assert_int_equal(probe.ids_seen, r.hooks.ids_seen + probe.stored_seen - stored(&r));
	/* the cursor stayed after page 2: the next poll stores the rest */
	probe.fail_at = 0;
	poll_result_release(&r.result);
	assert_int_equal(run_poll(&r, &err), SQ_OK);
	assert_int_equal(only_result(&r)->rc, SQ_OK);
	assert_int_equal(stored(&r), HOTLINE_TOTAL);
	run_teardown(&r);
}

/* Pages first..last (from 1) of n hotline pages of `per` records each, one
 * after another (conn_split_pages). */
static void hotline_page_range(struct sq_buf *b, int first, int last, int n, int per)
{
	int page, i;

	for (page = first - 1; page < last; page++) {
		assert_int_equal(sq_buf_addf(b, "{\"code\": 0, \"msg\": \"ok\", \"data\": {"
					     "\"total\": %d, \"pageNo\": %d, \"pageSize\": %d, "
					     "\"list\": [", n * per, page + 1, per), 0);
		for (i = 0; i < per; i++) {
			int k = page * per + i;

			assert_int_equal(sq_buf_addf(b,
				"%s{\"orderNo\": \"B%04d\", \"acceptTime\": \"2024-05-01 %02d:%02d:00\", "
				"\"updateTime\": \"2024-05-01 %02d:%02d:30\", \"orderType\": \"投诉\", "
				"\"title\": \"第%d号楼前垃圾未清运\", "
				"\"content\": \"市民反映:%d号楼前的垃圾已经堆了三天没人清运\", "
				"\"community\": \"恩宁路社区\", \"address\": \"恩宁路%d号\", "
				"\"status\": \"待办理\"}", i ? ", " : "", k, k / 60, k % 60, k / 60,
				k % 60, k, k, k + 1), 0);
		}
		assert_int_equal(sq_buf_add(b, "]}}\n", 4), 0);
	}
}

/* All n pages. */
static void hotline_pages(struct sq_buf *b, int n, int per)
{
	hotline_page_range(b, 1, n, n, per);
}

struct batch_probe {
	int in_page_calls, after_calls, fail_at;
	int64_t last_after_n;
};

static sq_err batch_in_page(void *ctx, const int64_t *ids, size_t n, struct sq_error *err)
{
	struct batch_probe *p = ctx;

	(void)ids;
	assert_true(n == 10 || n == 0);   /* 0: a page imported before */
	if (++p->in_page_calls == p->fail_at)
		return sq_fail(err, SQ_EDB, "linking: simulated failure");
	return SQ_OK;
}

static sq_err batch_after(void *ctx, const int64_t *ids, size_t n, struct sq_error *err)
{
	struct batch_probe *p = ctx;
	size_t i;

	(void)err;
	for (i = 0; i < n; i++)
		assert_true(ids[i] > 0);
	p->after_calls++;
	p->last_after_n = (int64_t)n;
	return SQ_OK;
}

/* run_setup with batch_in_page counting the pages (failing the fail_at-th). */
static void probed_setup(void *state, struct run *r, struct batch_probe *probe, int fail_at)
{
	run_setup(state, r, NULL);
	memset(probe, 0, sizeof(*probe));
	probe->fail_at = fail_at;
	r->opt.in_page = batch_in_page;
	r->opt.in_page_ctx = probe;
}

/*
 * An import with batch_records 25 and pages of 10: commits after pages 3
 * and 6, the rest at the end; after_page once per commit with every id of
 * it.  A failure in page 5 rolls back pages 4 and 5 only, and only the
 * committed pages count; importing again stores the rest.
 */
static void test_import_batches(void **state)
{
	struct run r;
	struct batch_probe probe = { 0 };
	struct poll_import_result res;
	struct sq_buf pages = SQ_BUF_INIT;
	struct sq_error err = { 0 };

	probed_setup(*state, &r, &probe, 0);
	hotline_pages(&pages, 7, 10);
	r.opt.batch_records = 25;
	r.opt.after_page = batch_after;
	r.opt.after_page_ctx = &probe;
	assert_int_equal(poll_import(&r.cfg.sources[0], r.st, &r.norm, &r.opt, "pages.json",
				     pages.data, pages.len, &res, &err), SQ_OK);
	assert_int_equal(res.stats.pages, 7);
	assert_int_equal(res.stats.new_records, 70);
	assert_int_equal(stored(&r), 70);
	assert_int_equal(r.hooks.before_commit, 3);
	assert_int_equal(r.hooks.after_commit, 3);
	assert_int_equal(probe.in_page_calls, 7);
	assert_int_equal(probe.after_calls, 3);
	assert_int_equal(probe.last_after_n, 10);

	run_teardown(&r);
	probed_setup(*state, &r, &probe, 5);
	r.opt.batch_records = 25;
	assert_int_equal(poll_import(&r.cfg.sources[0], r.st, &r.norm, &r.opt, "pages.json",
				     pages.data, pages.len, &res, &err), SQ_EDB);
	assert_non_null(strstr(err.msg, "hotline: pages.json: page 5: "));
	assert_int_equal(res.stats.pages, 3);
	assert_int_equal(res.stats.new_records, 30);
	assert_int_equal(stored(&r), 30);
	probe.fail_at = 0;
	assert_int_equal(poll_import(&r.cfg.sources[0], r.st, &r.norm, &r.opt, "pages.json",
				     pages.data, pages.len, &res, &err), SQ_OK);
	assert_int_equal(res.stats.new_records, 40);
	assert_int_equal(res.stats.unchanged, 30);
	assert_int_equal(stored(&r), 70);
	sq_buf_release(&pages);
	run_teardown(&r);
}

/*
 * An import parses ahead on a second thread: 40 pages, a refused one (page
 * 7) among them, are stored in order with the refused one reported by its
 * number; a failure storing page 2, with the parsing thread pages ahead and
 * waiting, stops the import there (page 1 committed) without hanging or
 * leaking the pages parsed in advance.
 */
static void test_import_parses_ahead(void **state)
{
	struct run r;
	struct batch_probe probe = { 0 };
	struct poll_import_result res;
	struct sq_buf pages = SQ_BUF_INIT, part = SQ_BUF_INIT;
	struct sq_error err = { 0 };

	hotline_pages(&part, 40, 10);
	/* the same with page 7 a refusal of the feed */
	hotline_page_range(&pages, 1, 6, 40, 10);
	assert_int_equal(sq_buf_adds(&pages, "{\"code\": 40001, \"msg\": \"参数错误\","
				      " \"data\": null}\n"), 0);
	hotline_page_range(&pages, 8, 40, 40, 10);
	probed_setup(*state, &r, &probe, 0);
	assert_int_equal(poll_import(&r.cfg.sources[0], r.st, &r.norm, &r.opt, "pages.json",
				     pages.data, pages.len, &res, &err), SQ_OK);
	assert_int_equal(res.failed_pages, 1);
	assert_non_null(strstr(res.err.msg, "hotline: pages.json: page 7: "));
	assert_int_equal(res.stats.pages, 39);
	assert_int_equal(stored(&r), 390);
	assert_int_equal(probe.in_page_calls, 39);
	run_teardown(&r);

	probed_setup(*state, &r, &probe, 2);
	assert_int_equal(poll_import(&r.cfg.sources[0], r.st, &r.norm, &r.opt, "pages.json",
				     part.data, part.len, &res, &err), SQ_EDB);
	assert_non_null(strstr(err.msg, "hotline: pages.json: page 2: "));
	assert_int_equal(res.stats.pages, 1);
	assert_int_equal(stored(&r), 10);
	assert_int_equal(probe.in_page_calls, 2);
	sq_buf_release(&pages);
	sq_buf_release(&part);
	run_teardown(&r);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_clean_run_and_hooks),
		cmocka_unit_test(test_backoff),
		cmocka_unit_test(test_hints_clamped),
		cmocka_unit_test(test_attempts_exhausted),
		cmocka_unit_test(test_budget),
		cmocka_unit_test(test_budget_between_pages),
		cmocka_unit_test(test_resign),
		cmocka_unit_test(test_unknown_source),
		cmocka_unit_test(test_after_page_failure),
		cmocka_unit_test(test_in_page),
		cmocka_unit_test(test_import_batches),
		cmocka_unit_test(test_import_parses_ahead),
	};

	return cmocka_run_group_tests(tests, group_setup, group_teardown);
}
