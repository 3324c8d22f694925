/*
 * test_http.c — the shared HTTP client against a real server on 127.0.0.1
 * (tests/support/httpd.py, started here on a free port), plus table-driven
 * tests of charset decoding, Content-Type parsing and the retry policy.
 *
 * The server script is found through $SUQIU_TOP (set by scripts/run-tests.sh)
 * or the current directory.  It is stopped in the group teardown, and it
 * exits by itself if this process dies first.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "config.h"
#include "error.h"
#include "http.h"
#include "banned.h"

#ifndef SUQIU_VERSION
#define SUQIU_VERSION "0.0.0"
#endif

#define UTF8_JSON "{\"msg\":\"成功\",\"text\":\"恩宁路88号工地夜间施工\"}"
#define GBK_JSON "{\"subject\":\"反映恩宁路工地夜间施工扰民问题\",\"station\":\"金花街道\"}"

struct server {
	pid_t pid;
	int port;
	char dir[PATH_MAX - 16];      /* room for "/port" in port_file */
	char port_file[PATH_MAX];
	struct sq_http *http;        /* shared client: reused across tests on purpose */
};

/* ---- helpers ---- */

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
}

static struct sq_http_config test_conf(void)
{
	struct sq_http_config c;

	memset(&c, 0, sizeof(c));
	c.connect_timeout_ms = 1000;
	c.total_timeout_ms = 2000;
	c.low_speed_bytes = 1;
	c.low_speed_time_ms = 5000;
	c.max_body_bytes = 64 * 1024;
	c.max_attempts = 3;
	c.backoff_base_ms = 500;
	c.backoff_max_ms = 30000;
	c.retry_after_max_ms = 60000;
	c.budget_ms = 60000;
	return c;
}

static void url_for(const struct server *s, const char *path, char *out, size_t size)
{
	snprintf(out, size, "http://127.0.0.1:%d%s", s->port, path);
}

/* GET path on the shared client with the given headers. */
static sq_err get_h(struct server *s, struct sq_http *h, const char *path,
		    const char *const *headers, size_t nheaders,
		    struct sq_http_response *resp, struct sq_error *err)
{
	char url[128];
	struct sq_http_request req;

	url_for(s, path, url, sizeof(url));
	req.url = url;
	req.headers = headers;
	req.nheaders = nheaders;
	sq_error_clear(err);
	return http_get(h ? h : s->http, &req, resp, err);
}

static sq_err get(struct server *s, const char *path, struct sq_http_response *resp,
		  struct sq_error *err)
{
	return get_h(s, NULL, path, NULL, 0, resp, err);
}

static int find_script(char *out, size_t size)
{
	const char *top = getenv("SUQIU_TOP");

	if (top && *top) {
		snprintf(out, size, "%s/tests/support/httpd.py", top);
		if (access(out, R_OK) == 0)
			return 0;
	}
	snprintf(out, size, "tests/support/httpd.py");
	return access(out, R_OK);
}

/* A port on 127.0.0.1 that nothing listens on (bound, then closed). */
static int closed_port(void)
{
	struct sockaddr_in a;
	socklen_t alen = sizeof(a);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port;

	assert_true(fd >= 0);
	memset(&a, 0, sizeof(a));
	a.sin_family = AF_INET;
	a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&a, sizeof(a)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&a, &alen), 0);
	port = ntohs(a.sin_port);
	close(fd);
	return port;
}

static void stop_server(struct server *s)
{
	if (s->pid > 0) {
		kill(s->pid, SIGTERM);
		waitpid(s->pid, NULL, 0);
		s->pid = 0;
	}
	if (s->port_file[0])
		unlink(s->port_file);
	if (s->dir[0])
		rmdir(s->dir);
}

static int group_teardown(void **state);

static int group_setup(void **state)
{
	struct server *s = calloc(1, sizeof(*s));
	struct sq_http_config conf = test_conf();
	struct sq_error err;
	char script[PATH_MAX], buf[32];
	const char *tmp = getenv("TMPDIR");
	double deadline;

	if (!s)
		return -1;
	*state = s;
	s->pid = -1;
	if (http_global_init(&err)) {
		fprintf(stderr, "%s\n", err.msg);
		goto fail;
	}
	if (find_script(script, sizeof(script))) {
		fprintf(stderr, "test_http: tests/support/httpd.py not found (set SUQIU_TOP)\n");
		goto fail;
	}
	snprintf(s->dir, sizeof(s->dir), "%s/suqiu-httpd-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(s->dir)) {
		s->dir[0] = '\0';
		perror("mkdtemp");
		goto fail;
	}
	snprintf(s->port_file, sizeof(s->port_file), "%s/port", s->dir);

	s->pid = fork();
	if (s->pid < 0)
		goto fail;
	if (s->pid == 0) {
		execl("/usr/bin/python3", "python3", script, "--remove-dir", s->port_file,
		      (char *)NULL);
		_exit(127);
	}
	deadline = now_s() + 10.0;
	while (now_s() < deadline) {
		FILE *f = fopen(s->port_file, "r");

		if (f) {
			if (fgets(buf, sizeof(buf), f))
				s->port = (int)strtol(buf, NULL, 10);
			fclose(f);
			break;
		}
		if (waitpid(s->pid, NULL, WNOHANG) == s->pid) {
			s->pid = 0;
			fprintf(stderr, "test_http: %s exited early\n", script);
			goto fail;
		}
		sleep_ms(20);
	}
	if (s->port <= 0) {
		fprintf(stderr, "test_http: server did not write its port\n");
		goto fail;
	}
	if (http_new(&conf, &s->http, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		goto fail;
	}
	return 0;
fail:
	/* cmocka skips the group teardown when the setup fails */
	group_teardown(state);
	*state = NULL;
	return -1;
}

static int group_teardown(void **state)
{
	struct server *s = *state;

	if (s) {
		http_free(s->http);
		stop_server(s);
		free(s);
	}
	http_global_cleanup();
	return 0;
}

/* ---- against the server ---- */

static void test_get_utf8(void **state)
{
	struct sq_http_response r;
	struct sq_error err;

	assert_int_equal(get(*state, "/utf8", &r, &err), SQ_OK);
	assert_int_equal(r.status, 200);
	assert_string_equal(sq_buf_str(&r.body), UTF8_JSON);
	assert_int_equal(r.body.len, strlen(UTF8_JSON));
	assert_string_equal(r.content_type, "application/json; charset=utf-8");
	assert_string_equal(r.charset, "utf-8");
	assert_null(r.etag);
	assert_int_equal(r.retry_after_ms, -1);
	http_response_release(&r);
}

static void test_get_undeclared_utf8_and_bom(void **state)
{
	struct sq_http_response r;
	struct sq_error err;

	assert_int_equal(get(*state, "/undeclared-utf8", &r, &err), SQ_OK);
	assert_null(r.charset);
	assert_string_equal(sq_buf_str(&r.body), UTF8_JSON);
	http_response_release(&r);

	assert_int_equal(get(*state, "/utf8-bom", &r, &err), SQ_OK);
	assert_string_equal(r.charset, "utf-8");
	assert_string_equal(sq_buf_str(&r.body), UTF8_JSON);
	http_response_release(&r);
}

static void test_get_gbk(void **state)
{
	struct sq_http_response r;
	struct sq_error err;

	assert_int_equal(get(*state, "/gbk", &r, &err), SQ_OK);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.charset, "gbk");
	assert_string_equal(sq_buf_str(&r.body), GBK_JSON);
	http_response_release(&r);
}

static void test_get_gb18030_four_byte(void **state)
{
	struct sq_http_response r;
	struct sq_error err;

	assert_int_equal(get(*state, "/gb18030", &r, &err), SQ_OK);
	assert_string_equal(r.charset, "gb18030");
	assert_string_equal(sq_buf_str(&r.body), "{\"name\":\"\xf0\xa0\xae\xb7野家\"}");
	http_response_release(&r);
}

static void test_get_gbk_invalid(void **state)
{
	struct sq_http_response r;
	struct sq_error err;

	assert_int_equal(get(*state, "/gbk-invalid", &r, &err), SQ_ECHARSET);
	assert_int_equal(err.code, SQ_ECHARSET);
	assert_non_null(strstr(err.msg, "/gbk-invalid"));
	assert_non_null(strstr(err.msg, "byte offset 6"));
	/* status and headers stay for the caller's message */
	assert_int_equal(r.status, 200);
	assert_string_equal(r.charset, "gbk");
	http_response_release(&r);
}

static void test_get_undeclared_gbk(void **state)
{
	struct sq_http_response r;
	struct sq_error err;

	assert_int_equal(get(*state, "/undeclared-gbk", &r, &err), SQ_ECHARSET);
	assert_non_null(strstr(err.msg, "undeclared charset and bytes are not UTF-8"));
	assert_non_null(strstr(err.msg, "/undeclared-gbk"));
	assert_null(r.charset);
	http_response_release(&r);
}

static void test_get_unknown_charset(void **state)
{
	struct sq_http_response r;
	struct sq_error err;

	assert_int_equal(get(*state, "/unknown-charset", &r, &err), SQ_ECHARSET);
	assert_non_null(strstr(err.msg, "unsupported charset 'iso-8859-1'"));
	http_response_release(&r);
}

static void test_error_page_charset_does_not_hide_status(void **state)
{
	struct sq_http_response r;
	struct sq_error err;

	assert_int_equal(get(*state, "/error-latin1", &r, &err), SQ_OK);
	assert_int_equal(r.status, 500);
	assert_int_equal(r.body.len, 0);
	assert_string_equal(r.charset, "iso-8859-1");
	http_response_release(&r);
}

static void test_etag_and_304(void **state)
{
	const char *inm[] = { "If-None-Match: \"v1-abc\"" };
	struct sq_http_response r;
	struct sq_error err;

	assert_int_equal(get(*state, "/etag", &r, &err), SQ_OK);
	assert_int_equal(r.status, 200);
	assert_string_equal(r.etag, "\"v1-abc\"");
	assert_string_equal(sq_buf_str(&r.body), "{\"items\":[]}");
	http_response_release(&r);

	assert_int_equal(get_h(*state, NULL, "/etag", inm, 1, &r, &err), SQ_OK);
	assert_int_equal(r.status, 304);
	assert_string_equal(r.etag, "\"v1-abc\"");
	assert_int_equal(r.body.len, 0);
	assert_null(r.content_type);
	http_response_release(&r);
}

static void test_retry_after(void **state)
{
	struct sq_http_response r;
	struct sq_error err;

	assert_int_equal(get(*state, "/429-seconds", &r, &err), SQ_OK);
	assert_int_equal(r.status, 429);
	assert_true(http_status_transient(r.status));
	assert_int_equal(r.retry_after_ms, 7000);
	http_response_release(&r);

	assert_int_equal(get(*state, "/429-date", &r, &err), SQ_OK);
	assert_int_equal(r.status, 429);
	/* 120 s ahead, whole seconds, allow for a slow machine */
	assert_in_range(r.retry_after_ms, 110000, 121000);
	http_response_release(&r);

	assert_int_equal(get(*state, "/503-zero", &r, &err), SQ_OK);
	assert_int_equal(r.status, 503);
	assert_int_equal(r.retry_after_ms, 0);
	http_response_release(&r);

	assert_int_equal(get(*state, "/503-bogus", &r, &err), SQ_OK);
	assert_int_equal(r.retry_after_ms, -1);
	http_response_release(&r);

	/* a later response without the header must not inherit the old value */
	assert_int_equal(get(*state, "/utf8", &r, &err), SQ_OK);
	assert_int_equal(r.retry_after_ms, -1);
	http_response_release(&r);
}

static void test_server_errors_are_statuses(void **state)
{
	struct sq_http_response r;
	struct sq_error err;

	assert_int_equal(get(*state, "/500", &r, &err), SQ_OK);
	assert_int_equal(r.status, 500);
	assert_string_equal(sq_buf_str(&r.body), "{\"code\":50000}");
	http_response_release(&r);

	assert_int_equal(get(*state, "/503", &r, &err), SQ_OK);
	assert_int_equal(r.status, 503);
	assert_string_equal(sq_buf_str(&r.body), "busy");
	http_response_release(&r);

	assert_int_equal(get(*state, "/no-such-path", &r, &err), SQ_OK);
	assert_int_equal(r.status, 404);
	assert_false(http_status_transient(r.status));
	http_response_release(&r);
}

static void test_redirect_not_followed(void **state)
{
	struct sq_http_response r;
	struct sq_error err;

	assert_int_equal(get(*state, "/redirect", &r, &err), SQ_OK);
	assert_int_equal(r.status, 302);
	assert_int_equal(r.body.len, 0);
	http_response_release(&r);
}

static void test_gzip_decoded(void **state)
{
	struct sq_http_response r;
	struct sq_error err;

	assert_int_equal(get(*state, "/gzip", &r, &err), SQ_OK);
	assert_string_equal(sq_buf_str(&r.body), UTF8_JSON);
	http_response_release(&r);
}

static void test_total_timeout(void **state)
{
	struct sq_http_config conf = test_conf();
	struct sq_http_response r;
	struct sq_http *h;
	struct sq_error err;
	double t0;

	conf.total_timeout_ms = 600;
	assert_int_equal(http_new(&conf, &h, &err), SQ_OK);
	t0 = now_s();
	assert_int_equal(get_h(*state, h, "/slow", NULL, 0, &r, &err), SQ_ERETRY);
	assert_true(now_s() - t0 < 2.0);
	assert_non_null(strstr(err.msg, "/slow"));
	assert_non_null(strstr(err.msg, "timed out"));
	assert_non_null(strstr(err.msg, "curl error 28"));
	http_response_release(&r);
	http_free(h);
}

static void test_low_speed_abort(void **state)
{
	struct sq_http_config conf = test_conf();
	struct sq_http_response r;
	struct sq_http *h;
	struct sq_error err;
	double t0;

	conf.total_timeout_ms = 8000;
	conf.low_speed_bytes = 1000;
	conf.low_speed_time_ms = 1000;
	assert_int_equal(http_new(&conf, &h, &err), SQ_OK);
	t0 = now_s();
	assert_int_equal(get_h(*state, h, "/stall", NULL, 0, &r, &err), SQ_ERETRY);
	assert_true(now_s() - t0 < 4.0);
	assert_non_null(strstr(err.msg, "too slow"));
	http_response_release(&r);
	http_free(h);
}

static void test_body_cap(void **state)
{
	static const char *const paths[] = { "/big", "/big-unsized", "/gzip-bomb" };
	struct sq_http_response r;
	struct sq_error err;
	size_t i;

	for (i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
		assert_int_equal(get(*state, paths[i], &r, &err), SQ_EFATAL);
		assert_non_null(strstr(err.msg, "response body larger than 65536 bytes"));
		assert_non_null(strstr(err.msg, paths[i]));
		assert_int_equal(r.body.len, 0);
		http_response_release(&r);
	}
	/* the handle is still good after an aborted transfer */
	assert_int_equal(get(*state, "/utf8", &r, &err), SQ_OK);
	assert_string_equal(sq_buf_str(&r.body), UTF8_JSON);
	http_response_release(&r);
}

static void test_truncated_body(void **state)
{
	struct sq_http_response r;
	struct sq_error err;

	assert_int_equal(get(*state, "/truncated", &r, &err), SQ_ERETRY);
	assert_non_null(strstr(err.msg, "/truncated"));
	assert_non_null(strstr(err.msg, "curl error 18"));
	http_response_release(&r);
}

static void test_connection_refused(void **state)
{
	struct sq_http_request req;
	struct sq_http_response r;
	struct sq_error err;
	char url[128];

	(void)state;
	snprintf(url, sizeof(url), "http://user:hunter2@127.0.0.1:%d/feed?page=2", closed_port());
	req.url = url;
	req.headers = NULL;
	req.nheaders = 0;
	assert_int_equal(http_get(((struct server *)*state)->http, &req, &r, &err), SQ_ERETRY);
	assert_non_null(strstr(err.msg, "curl error 7"));
	assert_non_null(strstr(err.msg, "/feed?page=2"));
	assert_null(strstr(err.msg, "hunter2"));
	http_response_release(&r);
}

static void test_bad_urls_are_fatal(void **state)
{
	static const char *const urls[] = {
		"ftp://127.0.0.1:1/x", "file:///etc/passwd", "http://", "not a url",
	};
	struct server *s = *state;
	struct sq_http_request req = { NULL, NULL, 0 };
	struct sq_http_response r;
	struct sq_error err;
	size_t i;

	for (i = 0; i < sizeof(urls) / sizeof(urls[0]); i++) {
		req.url = urls[i];
		assert_int_equal(http_get(s->http, &req, &r, &err), SQ_EFATAL);
		assert_non_null(strstr(err.msg, "curl error"));
		http_response_release(&r);
	}
}

static const char *echo_value(const struct sq_buf *body, const char *name, char *out, size_t size)
{
	const char *p = sq_buf_str(body), *eol;
	size_t n = strlen(name);

	while (*p) {
		eol = strchr(p, '\n');
		if (!eol)
			eol = p + strlen(p);
		if ((size_t)(eol - p) > n + 1 && !strncmp(p, name, n) && p[n] == ':') {
			snprintf(out, size, "%.*s", (int)(eol - p - n - 2), p + n + 2);
			return out;
		}
		p = *eol ? eol + 1 : eol;
	}
	return NULL;
}

static void test_headers_sent(void **state)
{
	const char *hdrs[] = { "X-Api-Key: k-123", "Authorization: Bearer tok" };
	struct sq_http_response r;
	struct sq_error err;
	char v[256], port1[32];

	assert_int_equal(get_h(*state, NULL, "/echo", hdrs, 2, &r, &err), SQ_OK);
	assert_non_null(echo_value(&r.body, "user-agent", v, sizeof(v)));
	assert_string_equal(v, "suqiu/" SUQIU_VERSION);
	assert_non_null(echo_value(&r.body, "x-api-key", v, sizeof(v)));
	assert_string_equal(v, "k-123");
	assert_non_null(echo_value(&r.body, "authorization", v, sizeof(v)));
	assert_string_equal(v, "Bearer tok");
	assert_non_null(echo_value(&r.body, "accept-encoding", v, sizeof(v)));
	assert_non_null(strstr(v, "gzip"));
	assert_non_null(echo_value(&r.body, "x-client-port", port1, sizeof(port1)));
	http_response_release(&r);

	/* headers do not leak into the next request; the connection is reused */
	assert_int_equal(get(*state, "/echo", &r, &err), SQ_OK);
	assert_null(echo_value(&r.body, "x-api-key", v, sizeof(v)));
	assert_non_null(echo_value(&r.body, "x-client-port", v, sizeof(v)));
	assert_string_equal(v, port1);
	http_response_release(&r);
}

static void test_header_injection_refused(void **state)
{
	const char *hdrs[] = { "X-Api-Key: k-123\n", };
	const char *hdrs2[] = { "X-Ok: 1", "X-Api-Key: a\r\nX-Evil: 1" };
	struct sq_http_response r;
	struct sq_error err;

	assert_int_equal(get_h(*state, NULL, "/echo", hdrs, 1, &r, &err), SQ_EFATAL);
	assert_non_null(strstr(err.msg, "header 1 contains a line break"));
	assert_null(strstr(err.msg, "k-123"));
	http_response_release(&r);
	assert_int_equal(get_h(*state, NULL, "/echo", hdrs2, 2, &r, &err), SQ_EFATAL);
	assert_non_null(strstr(err.msg, "header 2"));
	http_response_release(&r);
}

static void test_custom_user_agent(void **state)
{
	struct sq_http_config conf = test_conf();
	struct sq_http_response r;
	struct sq_http *h;
	struct sq_error err;
	char ua[] = "suqiu-test/9 (+ops@example.gov.cn)", v[128];

	conf.user_agent = ua;
	assert_int_equal(http_new(&conf, &h, &err), SQ_OK);
	ua[0] = 'X';   /* the client keeps its own copy */
	assert_int_equal(get_h(*state, h, "/echo", NULL, 0, &r, &err), SQ_OK);
	assert_non_null(echo_value(&r.body, "user-agent", v, sizeof(v)));
	assert_string_equal(v, "suqiu-test/9 (+ops@example.gov.cn)");
	http_response_release(&r);
	http_free(h);
}

/* ---- no server needed ---- */

static void test_http_new_rejects_unbounded(void **state)
{
	struct sq_http_config conf;
	struct sq_http *h = (struct sq_http *)&conf;
	struct sq_error err;

	(void)state;
	conf = test_conf();
	conf.total_timeout_ms = 0;
	assert_int_equal(http_new(&conf, &h, &err), SQ_ECONFIG);
	assert_null(h);
	conf = test_conf();
	conf.connect_timeout_ms = -1;
	assert_int_equal(http_new(&conf, &h, &err), SQ_ECONFIG);
	conf = test_conf();
	conf.max_body_bytes = 0;
	assert_int_equal(http_new(&conf, &h, &err), SQ_ECONFIG);
	assert_non_null(strstr(err.msg, "max_body_bytes"));
	http_free(NULL);
	http_response_release(NULL);
}

struct ct_case {
	const char *content_type;
	const char *charset;   /* NULL: none */
};

static void test_content_type_charset(void **state)
{
	static const struct ct_case cases[] = {
		{ "application/json; charset=utf-8", "utf-8" },
		{ "application/json;charset=GBK", "gbk" },
		{ "application/json ;charset=gbk", "gbk" },
		{ "text/html; Charset = \"GB2312\"", "gb2312" },
		{ "application/json; CHARSET=\"utf\\-8\"", "utf-8" },
		{ "application/json; charset=utf-8 ; q=1", "utf-8" },
		{ "application/json; format=flowed; charset=GB18030", "gb18030" },
		{ "application/json; foo=\"a;charset=x\"; charset=gb18030", "gb18030" },
		{ "application/json; foo=\"a\\\";charset=x\"; charset=cp936", "cp936" },
		{ "application/json; charset=\"gbk", "gbk" },
		{ "application/json; charset=gbk; charset=utf-8", "gbk" },
		{ "application/json;\tcharset=\tutf-8\t", "utf-8" },
		{ "application/json; xcharset=utf-8", NULL },
		{ "application/json; charsetx=utf-8", NULL },
		{ "application/json; charset", NULL },
		{ "application/json; charset=", NULL },
		{ "application/json; charset=\"\"", NULL },
		{ "application/json", NULL },
		{ "charset=utf-8", NULL },
		{ "", NULL },
		{ ";;;; ;= ; charset=utf-8", "utf-8" },
	};
	size_t i;

	(void)state;
	assert_null(http_content_type_charset(NULL));
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char *cs = http_content_type_charset(cases[i].content_type);

		if (!cases[i].charset) {
			if (cs)
				fail_msg("case %zu '%s': got '%s', want none", i, cases[i].content_type, cs);
		} else {
			if (!cs || strcmp(cs, cases[i].charset))
				fail_msg("case %zu '%s': got '%s', want '%s'", i, cases[i].content_type,
					 cs ? cs : "(null)", cases[i].charset);
		}
		free(cs);
	}
}

struct dec_case {
	const char *charset;
	const char *in;
	size_t len;
	sq_err rc;
	const char *out;       /* rc == SQ_OK: expected UTF-8 */
	const char *msg;       /* rc != SQ_OK: substring of the message */
};

#define B(s) s, sizeof(s) - 1

static void test_decode_charset(void **state)
{
	static const struct dec_case cases[] = {
		/* undeclared: must be UTF-8 */
		{ NULL, B(""), SQ_OK, "", NULL },
		{ NULL, B("plain ascii {}"), SQ_OK, "plain ascii {}", NULL },
		{ NULL, B("成功 \xf0\x9f\x98\x80"), SQ_OK, "成功 \xf0\x9f\x98\x80", NULL },
		{ NULL, B("\xb3\xc9\xb9\xa6"), SQ_ECHARSET, NULL,
		  "undeclared charset and bytes are not UTF-8 (byte offset 0" },
		{ NULL, B("ok\xff"), SQ_ECHARSET, NULL, "byte offset 2" },
		/* declared UTF-8, strictly */
		{ "utf-8", B("成功"), SQ_OK, "成功", NULL },
		{ "UTF8", B("\xef\xbb\xbf{}"), SQ_OK, "{}", NULL },
		{ " Utf-8 ", B("a\0b"), SQ_OK, NULL, NULL },
		{ "utf-8", B("\xc0\xaf"), SQ_ECHARSET, NULL, "byte offset 0" },          /* overlong '/' */
		{ "utf-8", B("\xc1\xbf"), SQ_ECHARSET, NULL, "byte offset 0" },
		{ "utf-8", B("a\xe0\x80\xaf"), SQ_ECHARSET, NULL, "byte offset 1" },     /* overlong 3 */
		{ "utf-8", B("ab\xf0\x80\x80\xaf"), SQ_ECHARSET, NULL, "byte offset 2" }, /* overlong 4 */
		{ "utf-8", B("\xed\xa0\x80"), SQ_ECHARSET, NULL, "byte offset 0" },      /* U+D800 */
		{ "utf-8", B("x\xed\xbf\xbf"), SQ_ECHARSET, NULL, "byte offset 1" },     /* U+DFFF */
		{ "utf-8", B("\xed\x9f\xbf"), SQ_OK, "\xed\x9f\xbf", NULL },             /* U+D7FF */
		{ "utf-8", B("\xf4\x8f\xbf\xbf"), SQ_OK, "\xf4\x8f\xbf\xbf", NULL },     /* U+10FFFF */
		{ "utf-8", B("\xf4\x90\x80\x80"), SQ_ECHARSET, NULL, "byte offset 0" },  /* > U+10FFFF */
		{ "utf-8", B("\xf5\x80\x80\x80"), SQ_ECHARSET, NULL, "byte offset 0" },
		{ "utf-8", B("ab\xe6\x88"), SQ_ECHARSET, NULL, "byte offset 2" },        /* cut short */
		{ "utf-8", B("\xe6\x88" "a"), SQ_ECHARSET, NULL, "byte offset 0" },
		{ "utf-8", B("\x80"), SQ_ECHARSET, NULL, "byte offset 0" },
		{ "utf-8", B("\xef\xbb\xbf\xff"), SQ_ECHARSET, NULL, "byte offset 3" },
		/* GBK and its aliases */
		{ "gbk", B("\xb3\xc9\xb9\xa6"), SQ_OK, "成功", NULL },
		{ "GB2312", B("{\"a\":\"\xbd\xf0\xbb\xa8\"}"), SQ_OK, "{\"a\":\"金花\"}", NULL },
		{ "cp936", B("\xb3\xc9\xb9\xa6"), SQ_OK, "成功", NULL },
		{ "gbk", B("\x81\x40"), SQ_OK, "丂", NULL },                              /* GBK-only, not GB2312 */
		{ "gbk", B("\x81\x20"), SQ_ECHARSET, NULL, "invalid GBK bytes at byte offset 0 (81 20)" },
		{ "gbk", B("ab\x81\x7f"), SQ_ECHARSET, NULL, "byte offset 2" },
		{ "gbk", B("\xb3\xc9\xff\xff"), SQ_ECHARSET, NULL, "byte offset 2" },
		{ "gbk", B("ab\xb3"), SQ_ECHARSET, NULL, "incomplete GBK sequence at end of body (byte offset 2" },
		{ "gbk", B("\x95\x34\xb2\x35"), SQ_ECHARSET, NULL, "byte offset 0" },     /* 4-byte is GB18030 only */
		/* GB18030 */
		{ "gb18030", B("\xb3\xc9\xb9\xa6"), SQ_OK, "成功", NULL },
		{ "GB18030", B("\x95\x34\xb2\x35"), SQ_OK, "\xf0\xa0\xae\xb7", NULL },    /* U+20BB7 */
		{ "gb18030", B("\x95\x32\x82\x36"), SQ_OK, "\xf0\xa0\x80\x80", NULL },    /* U+20000 */
		{ "gb18030", B("\x81\x30\x81\x30"), SQ_OK, "\xc2\x80", NULL },            /* U+0080 */
		{ "gb18030", B("\x84\x31\xa4\x39"), SQ_OK, "\xef\xbf\xbf", NULL },        /* U+FFFF */
		{ "gb18030", B("\xe3\x32\x9a\x35"), SQ_OK, "\xf4\x8f\xbf\xbf", NULL },    /* U+10FFFF */
		{ "gb18030", B("x\x95\x34\xb2"), SQ_ECHARSET, NULL, "incomplete GB18030 sequence at end of body (byte offset 1" },
		{ "gb18030", B("\x81\x30\xff\x30"), SQ_ECHARSET, NULL, "byte offset 0" },
		{ "gb18030", B("\x80"), SQ_ECHARSET, NULL, "byte offset 0" },
		{ "gb18030", B("ok\xff"), SQ_ECHARSET, NULL, "byte offset 2" },
		/* not supported */
		{ "latin1", B("abc"), SQ_ECHARSET, NULL, "unsupported charset 'latin1'" },
		{ "", B("abc"), SQ_ECHARSET, NULL, "unsupported charset ''" },
		{ "utf-16", B("abc"), SQ_ECHARSET, NULL, "unsupported charset" },
		{ "gbk\x1b[31m", B("abc"), SQ_ECHARSET, NULL, "unsupported charset 'gbk?[31m'" },
	};
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct dec_case *c = &cases[i];
		struct sq_buf out = SQ_BUF_INIT;
		struct sq_error err;
		sq_err rc;

		sq_error_clear(&err);
		assert_int_equal(sq_buf_adds(&out, "keep:"), SQ_OK);
		rc = http_decode_charset(c->charset, c->in, c->len, &out, &err);
		if (rc != c->rc)
			fail_msg("case %zu (%s): rc %d, want %d: %s", i, c->charset ? c->charset : "NULL",
				 rc, c->rc, err.msg);
		if (rc == SQ_OK) {
			assert_true(out.len >= 5);
			assert_memory_equal(out.data, "keep:", 5);
			if (c->out && strcmp(out.data + 5, c->out))
				fail_msg("case %zu: got '%s', want '%s'", i, out.data + 5, c->out);
			if (!c->out) {   /* binary-safe copy (the NUL case) */
				assert_int_equal(out.len, 5 + c->len);
				assert_memory_equal(out.data + 5, c->in, c->len);
			}
		} else {
			assert_int_equal(err.code, rc);
			if (!strstr(err.msg, c->msg))
				fail_msg("case %zu: message '%s' lacks '%s'", i, err.msg, c->msg);
			/* out untouched on failure */
			assert_int_equal(out.len, 5);
			assert_string_equal(out.data, "keep:");
		}
		sq_buf_release(&out);
	}
}

static void test_decode_charset_large_gbk(void **state)
{
	struct sq_buf in = SQ_BUF_INIT, out = SQ_BUF_INIT;
	struct sq_error err;
	size_t i;

	(void)state;
	/* long enough that the output buffer has to grow several times */
	for (i = 0; i < 50000; i++)
		assert_int_equal(sq_buf_add(&in, "\xb3\xc9\xb9\xa6z", 5), SQ_OK);
	assert_int_equal(http_decode_charset("gbk", in.data, in.len, &out, &err), SQ_OK);
	assert_int_equal(out.len, 50000 * 7);
	assert_memory_equal(out.data + 7 * 49999, "成功z", 7);
	/* and a bad byte far in is reported at its offset */
	in.data[123457] = '\xff';
	sq_buf_reset(&out);
	assert_int_equal(http_decode_charset("gbk", in.data, in.len, &out, &err), SQ_ECHARSET);
	assert_non_null(strstr(err.msg, "byte offset 123457"));
	assert_int_equal(out.len, 0);
	sq_buf_release(&in);
	sq_buf_release(&out);
	/* NULL body with zero length */
	assert_int_equal(http_decode_charset(NULL, NULL, 0, &out, &err), SQ_OK);
	assert_int_equal(http_decode_charset("gbk", NULL, 0, &out, &err), SQ_OK);
	assert_int_equal(out.len, 0);
	sq_buf_release(&out);
}

static void test_status_transient(void **state)
{
	static const long yes[] = { 408, 429, 500, 502, 503, 504 };
	static const long no[] = { 0, 200, 204, 301, 304, 400, 401, 403, 404, 409, 501, 505, 599, -1 };
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(yes) / sizeof(yes[0]); i++)
		assert_true(http_status_transient(yes[i]));
	for (i = 0; i < sizeof(no) / sizeof(no[0]); i++)
		assert_false(http_status_transient(no[i]));
}

static void test_retry_delay_values(void **state)
{
	struct sq_http_config c = test_conf();   /* base 500, max 30000, hint max 60000 */

	(void)state;
	assert_int_equal(http_retry_delay_ms(&c, 1, -1, 0.0), 0);
	assert_int_equal(http_retry_delay_ms(&c, 1, -1, 0.5), 250);
	assert_int_equal(http_retry_delay_ms(&c, 1, -1, 0.999999), 499);
	assert_int_equal(http_retry_delay_ms(&c, 2, -1, 0.5), 500);
	assert_int_equal(http_retry_delay_ms(&c, 3, -1, 0.5), 1000);
	assert_int_equal(http_retry_delay_ms(&c, 7, -1, 0.5), 15000);   /* 32000 capped */
	assert_int_equal(http_retry_delay_ms(&c, 10, -1, 0.5), 15000);
	assert_int_equal(http_retry_delay_ms(&c, 63, -1, 0.5), 15000);
	assert_int_equal(http_retry_delay_ms(&c, 64, -1, 0.5), 15000);
	assert_int_equal(http_retry_delay_ms(&c, INT_MAX, -1, 0.5), 15000);
	/* attempts below 1 are the first retry */
	assert_int_equal(http_retry_delay_ms(&c, 0, -1, 0.5), 250);
	assert_int_equal(http_retry_delay_ms(&c, INT_MIN, -1, 0.5), 250);
	/* out-of-range samples are clamped, never negative */
	assert_int_equal(http_retry_delay_ms(&c, 3, -1, -1.0), 0);
	assert_int_equal(http_retry_delay_ms(&c, 3, -1, NAN), 0);
	assert_int_equal(http_retry_delay_ms(&c, 3, -1, 1.0), 2000);
	assert_int_equal(http_retry_delay_ms(&c, 3, -1, INFINITY), 2000);
	/* the server's hint wins, clamped, without jitter */
	assert_int_equal(http_retry_delay_ms(&c, 1, 7000, 0.1), 7000);
	assert_int_equal(http_retry_delay_ms(&c, 9, 0, 0.9), 0);
	assert_int_equal(http_retry_delay_ms(&c, 1, 120000, 0.5), 60000);
	assert_int_equal(http_retry_delay_ms(&c, 1, INT64_MAX, 0.5), 60000);
	assert_int_equal(http_retry_delay_ms(&c, 1, -5, 0.5), 250);
}

static void test_retry_delay_extremes(void **state)
{
	struct sq_http_config c = test_conf();
	int64_t d;

	(void)state;
	/* base * 2^(n-1) must not overflow on the way to the cap */
	c.backoff_base_ms = INT64_MAX / 3;
	c.backoff_max_ms = INT64_MAX;
	d = http_retry_delay_ms(&c, 2, -1, 0.999);
	assert_true(d > 0 && d <= INT64_MAX);
	d = http_retry_delay_ms(&c, 1000, -1, 0.5);
	assert_true(d > 0);
	d = http_retry_delay_ms(&c, 1000, -1, 1.0);
	assert_true(d == INT64_MAX);
	/* a cap below the base caps the first retry too */
	c.backoff_base_ms = 10000;
	c.backoff_max_ms = 3000;
	assert_int_equal(http_retry_delay_ms(&c, 1, -1, 0.5), 1500);
	/* nonsense configuration gives zero, not negative, waits */
	c.backoff_base_ms = -5;
	c.backoff_max_ms = -5;
	c.retry_after_max_ms = -5;
	assert_int_equal(http_retry_delay_ms(&c, 4, -1, 0.7), 0);
	assert_int_equal(http_retry_delay_ms(&c, 4, 5000, 0.7), 0);
}

static void test_retry_delay_bounds_and_monotone_cap(void **state)
{
	struct sq_http_config c = test_conf();
	uint64_t x = 0x9e3779b97f4a7c15ull;
	int64_t prev = 0, cap = 0, d;
	int attempt, k;

	(void)state;
	for (attempt = 1; attempt <= 2000; attempt++) {
		/* the largest delay an attempt can get never shrinks */
		d = http_retry_delay_ms(&c, attempt, -1, 0.99999999);
		assert_true(d >= prev);
		assert_true(d <= c.backoff_max_ms);
		prev = d;
		cap = attempt <= 7 ? c.backoff_base_ms << (attempt - 1) : c.backoff_max_ms;
		if (cap > c.backoff_max_ms)
			cap = c.backoff_max_ms;
		for (k = 0; k < 20; k++) {
			double r;

			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			r = (double)(x >> 11) / 9007199254740992.0;   /* [0,1) */
			d = http_retry_delay_ms(&c, attempt, -1, r);
			assert_true(d >= 0);
			assert_true(d < cap);
		}
	}
}

int main(void)
{
	const struct CMUnitTest pure[] = {
		cmocka_unit_test(test_http_new_rejects_unbounded),
		cmocka_unit_test(test_content_type_charset),
		cmocka_unit_test(test_decode_charset),
		cmocka_unit_test(test_decode_charset_large_gbk),
		cmocka_unit_test(test_status_transient),
		cmocka_unit_test(test_retry_delay_values),
		cmocka_unit_test(test_retry_delay_extremes),
		cmocka_unit_test(test_retry_delay_bounds_and_monotone_cap),
	};
	const struct CMUnitTest server[] = {
		cmocka_unit_test(test_get_utf8),
		cmocka_unit_test(test_get_undeclared_utf8_and_bom),
		cmocka_unit_test(test_get_gbk),
		cmocka_unit_test(test_get_gb18030_four_byte),
		cmocka_unit_test(test_get_gbk_invalid),
		cmocka_unit_test(test_get_undeclared_gbk),
		cmocka_unit_test(test_get_unknown_charset),
		cmocka_unit_test(test_error_page_charset_does_not_hide_status),
		cmocka_unit_test(test_etag_and_304),
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_server_errors_are_statuses),
		cmocka_unit_test(test_redirect_not_followed),
		cmocka_unit_test(test_gzip_decoded),
		cmocka_unit_test(test_total_timeout),
		cmocka_unit_test(test_low_speed_abort),
		cmocka_unit_test(test_body_cap),
		cmocka_unit_test(test_truncated_body),
		cmocka_unit_test(test_connection_refused),
		cmocka_unit_test(test_bad_urls_are_fatal),
		cmocka_unit_test(test_headers_sent),
		cmocka_unit_test(test_header_injection_refused),
		cmocka_unit_test(test_custom_user_agent),
	};
	int failed;

	failed = cmocka_run_group_tests_name("http (pure)", pure, NULL, NULL);
	failed += cmocka_run_group_tests_name("http (127.0.0.1 server)", server,
					      group_setup, group_teardown);
	return failed ? 1 : 0;
}
