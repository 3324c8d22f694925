/*
 * test_connectors.c — the connectors' callbacks, driven by files.
 *
 *   tests/data/pages/<type>/NAME.json     a response body (any bytes)
 *   tests/data/pages/<type>/NAME.expect   how the response came, and what
 *                                         parse_page must make of it
 *   tests/data/requests/<type>/NAME.expect  a cursor and clock, and the
 *                                         request build_request must make
 *
 * An .expect file holds input lines starting with '@' and expected output
 * lines; '#' lines are comments.  Inputs (all optional):
 *
 *   @status 429                 HTTP status (200)
 *   @etag "abc"                 the response's ETag
 *   @retry-after 2000           the response's Retry-After in ms (-1)
 *   @cursor {...}               the cursor the request was built from (none)
 *   @now 2024-05-10T12:00:00+08:00   the logical now
 *   @wall 1714708800000         the real clock in ms (signatures)
 *   @nonce 0123456789abcdef0123456789abcdef
 *   @start_from 2024-05-01T00:00:00+08:00
 *   @page_size 2                @window 3600000     @api_key none
 *
 * Expected output is what format_page()/format_request() below print: the
 * verdict, error message, more, cursor, then each record with its fields
 * (one "  name value" line per field that is set) and each quarantined
 * record.  Adding a case is adding a file.  With SUQIU_UPDATE_EXPECT=1 the
 * test rewrites each .expect with what it got (keeping the inputs), for
 * reviewing by eye with git diff.
 */
#include <dirent.h>
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <cjson/cJSON.h>

#include "buf.h"
#include "config.h"
#include "connectors/connector.h"
#include "connectors/registry.h"
#include "error.h"
#include "http.h"
#include "normalize.h"
#include "record.h"
#include "banned.h"

#define CST (8 * 3600)

/* ---- reading files ------------------------------------------------------ */

static const char *top_dir(void)
{
	const char *top = getenv("SUQIU_TOP");

	return top && *top ? top : ".";
}

static int read_file(const char *path, struct sq_buf *out)
{
	FILE *f = fopen(path, "rb");
	char chunk[8192];
	size_t n;

	if (!f)
		return -1;
	while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
		assert_int_equal(sq_buf_add(out, chunk, n), SQ_OK);
	fclose(f);
	return 0;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "wb");

	if (!f)
		return -1;
	fputs(text, f);
	return fclose(f);
}

/* ---- one case's inputs ---------------------------------------------------- */

struct case_in {
	long status;
	char etag[128];
	int64_t retry_after_ms;
	char *cursor;
	int64_t now_ms, wall_ms;
	char nonce[64];
	int64_t start_from;
	int64_t page_size, window_ms;
	int no_key;
	struct sq_buf inputs;     /* the '@' and '#' lines, to keep when rewriting */
	struct sq_buf expected;   /* the other lines */
};

static void case_release(struct case_in *c)
{
	free(c->cursor);
	sq_buf_release(&c->inputs);
	sq_buf_release(&c->expected);
}

/* Copy a C string into a fixed field, cut to fit (no format-truncation games). */
static void copy_str(char *dst, size_t size, const char *src)
{
	size_t n = strlen(src);

	if (n >= size)
		n = size - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static int64_t parse_time(const char *text)
{
	struct sq_error err = { 0 };
	int64_t t = 0;

	if (norm_time_rfc3339(text, &t, &err))
		fail_msg("bad time in .expect: %s", err.msg);
	return t;
}

static void parse_expect(const char *text, struct case_in *c)
{
	const char *line = text;

	memset(c, 0, sizeof(*c));
	c->status = 200;
	c->retry_after_ms = -1;
	c->now_ms = parse_time("2024-05-15T00:00:00+08:00") * 1000;
	c->wall_ms = 1714708800000LL;
	snprintf(c->nonce, sizeof(c->nonce), "00112233445566778899aabbccddeeff");
	while (*line) {
		const char *nl = strchr(line, '\n');
		size_t len = nl ? (size_t)(nl - line) : strlen(line);
		char buf[4096];

		snprintf(buf, sizeof(buf), "%.*s", (int)len, line);
		if (buf[0] == '@' || buf[0] == '#') {
			assert_int_equal(sq_buf_addf(&c->inputs, "%s\n", buf), SQ_OK);
			if (!strncmp(buf, "@status ", 8))
				c->status = strtol(buf + 8, NULL, 10);
			else if (!strncmp(buf, "@etag ", 6))
				copy_str(c->etag, sizeof(c->etag), buf + 6);
			else if (!strncmp(buf, "@retry-after ", 13))
				c->retry_after_ms = strtoll(buf + 13, NULL, 10);
			else if (!strncmp(buf, "@cursor ", 8))
				c->cursor = sq_strdup(buf + 8);
			else if (!strncmp(buf, "@now ", 5))
				c->now_ms = parse_time(buf + 5) * 1000;
			else if (!strncmp(buf, "@wall ", 6))
				c->wall_ms = strtoll(buf + 6, NULL, 10);
			else if (!strncmp(buf, "@nonce ", 7))
				copy_str(c->nonce, sizeof(c->nonce), buf + 7);
			else if (!strncmp(buf, "@start_from ", 12))
				c->start_from = parse_time(buf + 12);
			else if (!strncmp(buf, "@page_size ", 11))
				c->page_size = strtoll(buf + 11, NULL, 10);
			else if (!strncmp(buf, "@window ", 8))
				c->window_ms = strtoll(buf + 8, NULL, 10);
			else if (!strcmp(buf, "@api_key none"))
				c->no_key = 1;
			else if (buf[0] == '@')
				fail_msg("unknown input line: %s", buf);
		} else if (len) {
			assert_int_equal(sq_buf_addf(&c->expected, "%s\n", buf), SQ_OK);
		}
		line = nl ? nl + 1 : line + len;
	}
}

/* ---- a source of each type, as the configuration loader would fill it ------ */

struct test_source {
	struct sq_source_config src;
	struct hotline_conf hotline;
	struct liaison_conf liaison;
	struct citymgmt_conf city;
	struct open311_conf open311;
};

static void make_source(struct test_source *t, const char *type, const struct case_in *c)
{
	memset(t, 0, sizeof(*t));
	t->src.name = (char *)"src";
	t->src.type = (char *)type;
	t->src.connector = connector_find(type);
	assert_non_null(t->src.connector);
	t->src.start_from = c->start_from;
	t->src.enabled = 1;
	if (!strcmp(type, "hotline12345")) {
		t->src.base_url = (char *)"http://127.0.0.1:8311/hotline";
		t->hotline.app_key = (char *)"demo";
		t->hotline.app_secret.value = (char *)"demo-secret";
		t->hotline.page_size = c->page_size ? c->page_size : 100;
		t->src.conf = &t->hotline;
	} else if (!strcmp(type, "deputy_liaison")) {
		t->src.base_url = (char *)"http://127.0.0.1:8311/liaison/";
		t->liaison.token.value = (char *)"demo-token";
		t->liaison.page_size = c->page_size ? c->page_size : 50;
		t->src.conf = &t->liaison;
	} else if (!strcmp(type, "city_mgmt")) {
		t->src.base_url = (char *)"http://127.0.0.1:8311/citymgmt";
		t->city.api_key.value = (char *)"demo-key";
		t->city.page_size = c->page_size ? c->page_size : 100;
		t->city.window_ms = c->window_ms ? c->window_ms : 86400000;
		t->src.conf = &t->city;
	} else {
		t->src.base_url = (char *)"http://127.0.0.1:8311/open311";
		t->open311.api_key.value = c->no_key ? NULL : (char *)"k 1";
		t->open311.page_size = c->page_size ? c->page_size : 100;
		t->open311.window_ms = c->window_ms ? c->window_ms : 7 * 86400000LL;
		t->src.conf = &t->open311;
	}
}

/* ---- printing what we got -------------------------------------------------- */

static void add_time(struct sq_buf *out, const char *name, int64_t t)
{
	char buf[NORM_TIME_BUFSZ];

	if (!t)
		return;
	norm_format_time(t, CST, buf, sizeof(buf));
	assert_int_equal(sq_buf_addf(out, "  %s %s\n", name, buf), SQ_OK);
}

/* One line per field: control characters are written as \n, \t, \xNN. */
static void add_str(struct sq_buf *out, const char *name, const char *v)
{
	const unsigned char *p;

	if (!v)
		return;
	assert_int_equal(sq_buf_addf(out, "  %s ", name), SQ_OK);
	for (p = (const unsigned char *)v; *p; p++) {
		if (*p == '\n')
			assert_int_equal(sq_buf_adds(out, "\\n"), SQ_OK);
		else if (*p == '\t')
			assert_int_equal(sq_buf_adds(out, "\\t"), SQ_OK);
		else if (*p < 0x20 || *p == 0x7f)
			assert_int_equal(sq_buf_addf(out, "\\x%02x", *p), SQ_OK);
		else
			assert_int_equal(sq_buf_addc(out, (char)*p), SQ_OK);
	}
	assert_int_equal(sq_buf_addc(out, '\n'), SQ_OK);
}

static const char *crs_name(enum sq_crs crs)
{
	switch (crs) {
	case SQ_CRS_WGS84: return "WGS84";
	case SQ_CRS_GCJ02: return "GCJ02";
	case SQ_CRS_BD09: return "BD09";
	default: return "none";
	}
}

static void format_record(struct sq_buf *out, const struct sq_record *r)
{
	size_t i;
	cJSON *raw;

	assert_int_equal(sq_buf_addf(out, "record %s\n", r->source_id ? r->source_id : "(null)"),
			 SQ_OK);
	/* Every record names its source and keeps its JSON for audit. */
	assert_string_equal(r->source, "src");
	assert_non_null(r->source_type);
	assert_non_null(r->raw);
	raw = cJSON_Parse(r->raw);
	assert_non_null(raw);
	cJSON_Delete(raw);
	add_time(out, "received", r->received_at);
	add_time(out, "updated", r->updated_at);
	add_str(out, "kind", record_kind_name(r->kind));
	add_str(out, "status", record_status_name(r->status));
	add_str(out, "status_raw", r->status_raw);
	add_str(out, "channel", r->channel);
	add_str(out, "title", r->title);
	add_str(out, "text", r->text);
	add_str(out, "category_raw", r->category_raw);
	add_str(out, "street", r->street);
	add_str(out, "community", r->community);
	add_str(out, "grid", r->grid);
	add_str(out, "address", r->address);
	if (r->crs != SQ_CRS_NONE)
		assert_int_equal(sq_buf_addf(out, "  position %.6f,%.6f %s\n", r->lon, r->lat,
					     crs_name(r->crs)), SQ_OK);
	add_str(out, "contact_raw", r->contact_raw);
	add_str(out, "contact_masked", r->contact_masked);
	add_time(out, "deadline", r->deadline);
	add_str(out, "satisfaction", r->satisfaction);
	add_str(out, "handler", r->handler);
	for (i = 0; i < r->nlinks; i++)
		assert_int_equal(sq_buf_addf(out, "  link %s %s %s\n", r->links[i].kind,
					     r->links[i].target_type, r->links[i].target_id), SQ_OK);
}

static void format_page(struct sq_buf *out, const struct sq_conn_page *page,
			const struct sq_error *err)
{
	size_t i;

	assert_int_equal(sq_buf_addf(out, "verdict %s\n", conn_verdict_name(page->verdict)), SQ_OK);
	if (page->verdict != SQ_VERDICT_PAGE && page->verdict != SQ_VERDICT_NOT_MODIFIED)
		assert_int_equal(sq_buf_addf(out, "error %s: %s\n", sq_strerror(err->code), err->msg),
				 SQ_OK);
	if (page->verdict == SQ_VERDICT_RETRY && page->retry_after_ms >= 0)
		assert_int_equal(sq_buf_addf(out, "retry_after %lld\n",
					     (long long)page->retry_after_ms), SQ_OK);
	if (page->verdict == SQ_VERDICT_PAGE || page->verdict == SQ_VERDICT_NOT_MODIFIED)
		assert_int_equal(sq_buf_addf(out, "more %d\n", page->more), SQ_OK);
	if (page->cursor)
		assert_int_equal(sq_buf_addf(out, "cursor %s\n", page->cursor), SQ_OK);
	for (i = 0; i < page->nrecords; i++)
		format_record(out, &page->records[i]);
	for (i = 0; i < page->nbad; i++) {
		cJSON *raw = cJSON_Parse(page->bad[i].raw);

		assert_non_null(raw);   /* quarantine keeps valid JSON */
		cJSON_Delete(raw);
		assert_int_equal(sq_buf_addf(out, "bad %s: %s\n",
					     page->bad[i].source_id ? page->bad[i].source_id : "-",
					     page->bad[i].reason), SQ_OK);
	}
}

/* ---- running the cases ------------------------------------------------------ */

static int compare_or_update(const char *expect_path, const struct case_in *c,
			     const struct sq_buf *got)
{
	const char *update = getenv("SUQIU_UPDATE_EXPECT");

	if (!strcmp(sq_buf_str(&c->expected), sq_buf_str(got)))
		return 0;
	if (update && !strcmp(update, "1")) {
		struct sq_buf all = SQ_BUF_INIT;

		assert_int_equal(sq_buf_adds(&all, sq_buf_str(&c->inputs)), SQ_OK);
		assert_int_equal(sq_buf_adds(&all, sq_buf_str(got)), SQ_OK);
		assert_int_equal(write_file(expect_path, all.data), 0);
		sq_buf_release(&all);
		fprintf(stderr, "updated %s\n", expect_path);
		return 0;
	}
	fprintf(stderr, "---- %s: expected\n%s---- got\n%s----\n", expect_path,
		sq_buf_str(&c->expected), sq_buf_str(got));
	return 1;
}

static int run_page_case(const char *type, const char *dir, const char *name)
{
	struct sq_buf json_path = SQ_BUF_INIT, expect_path = SQ_BUF_INIT;
	struct sq_buf body = SQ_BUF_INIT, expect = SQ_BUF_INIT, got = SQ_BUF_INIT;
	struct sq_http_response resp = { 0 };
	struct sq_conn_page page = { 0 };
	struct sq_error err = { 0 };
	struct test_source t;
	struct case_in c;
	struct sq_conn_env env;
	int failed;

	assert_int_equal(sq_buf_addf(&json_path, "%s/%s.json", dir, name), SQ_OK);
	assert_int_equal(sq_buf_addf(&expect_path, "%s/%s.expect", dir, name), SQ_OK);
	if (read_file(json_path.data, &body))
		fail_msg("%s: missing", json_path.data);
	if (read_file(expect_path.data, &expect))
		fail_msg("%s: missing", expect_path.data);
	parse_expect(sq_buf_str(&expect), &c);
	make_source(&t, type, &c);
	env.now_ms = c.now_ms;
	env.wall_ms = c.wall_ms;
	env.nonce = c.nonce;
	resp.status = c.status;
	resp.body = body;
	resp.retry_after_ms = c.retry_after_ms;
	resp.etag = c.etag[0] ? c.etag : NULL;
	assert_int_equal(t.src.connector->parse_page(&t.src, c.cursor, &env, &resp, &page, &err),
			 SQ_OK);
	format_page(&got, &page, &err);
	failed = compare_or_update(expect_path.data, &c, &got);
	conn_page_release(&page);
	sq_buf_release(&json_path);
	sq_buf_release(&expect_path);
	sq_buf_release(&body);
	sq_buf_release(&expect);
	sq_buf_release(&got);
	case_release(&c);
	return failed;
}

static int run_request_case(const char *type, const char *dir, const char *name)
{
	struct sq_buf expect_path = SQ_BUF_INIT;
	struct sq_buf expect = SQ_BUF_INIT, got = SQ_BUF_INIT;
	struct sq_conn_request req = { 0 };
	struct sq_error err = { 0 };
	struct test_source t;
	struct case_in c;
	struct sq_conn_env env;
	size_t i;
	sq_err rc;
	int failed;

	assert_int_equal(sq_buf_addf(&expect_path, "%s/%s.expect", dir, name), SQ_OK);
	assert_int_equal(read_file(expect_path.data, &expect), 0);
	parse_expect(sq_buf_str(&expect), &c);
	make_source(&t, type, &c);
	env.now_ms = c.now_ms;
	env.wall_ms = c.wall_ms;
	env.nonce = c.nonce;
	rc = t.src.connector->build_request(&t.src, c.cursor, &env, &req, &err);
	if (rc) {
		assert_int_equal(sq_buf_addf(&got, "error %s: %s\n", sq_strerror(rc), err.msg),
				 SQ_OK);
	} else {
		if (req.idle)
			assert_int_equal(sq_buf_adds(&got, "idle\n"), SQ_OK);
		if (req.url)
			assert_int_equal(sq_buf_addf(&got, "url %s\n", req.url), SQ_OK);
		for (i = 0; i < req.nheaders; i++)
			assert_int_equal(sq_buf_addf(&got, "header %s\n", req.headers[i]), SQ_OK);
		assert_int_equal(sq_buf_addf(&got, "what %s\n", req.what ? req.what : "-"), SQ_OK);
	}
	failed = compare_or_update(expect_path.data, &c, &got);
	conn_request_release(&req);
	sq_buf_release(&expect_path);
	sq_buf_release(&expect);
	sq_buf_release(&got);
	case_release(&c);
	return failed;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Run every case of kind ("pages"/"requests") for one type; returns the count. */
static int run_dir(const char *kind, const char *type, int *failures)
{
	struct sq_buf dirb = SQ_BUF_INIT;
	const char *dir;
	char *names[1024];
	size_t n = 0, i;
	struct dirent *e;
	DIR *d;

	assert_int_equal(sq_buf_addf(&dirb, "%s/tests/data/%s/%s", top_dir(), kind, type), SQ_OK);
	dir = dirb.data;
	d = opendir(dir);
	if (!d)
		fail_msg("%s: %s (set SUQIU_TOP)", dir, strerror(errno));
	while ((e = readdir(d)) && n < 1024) {
		size_t len = strlen(e->d_name);

		if (len > 7 && !strcmp(e->d_name + len - 7, ".expect"))
			names[n++] = sq_strndup(e->d_name, len - 7);
	}
	closedir(d);
	qsort(names, n, sizeof(names[0]), by_name);
	for (i = 0; i < n; i++) {
		int f = !strcmp(kind, "pages") ? run_page_case(type, dir, names[i])
					       : run_request_case(type, dir, names[i]);

		if (f)
			fprintf(stderr, "FAILED: %s/%s/%s\n", kind, type, names[i]);
		*failures += f;
		free(names[i]);
	}
	sq_buf_release(&dirb);
	return (int)n;
}

static void test_pages(void **state)
{
	const char *type = *state;
	int failures = 0, n = run_dir("pages", type, &failures);

	assert_true(n >= 5);
	assert_int_equal(failures, 0);
}

static void test_requests(void **state)
{
	const char *type = *state;
	int failures = 0, n = run_dir("requests", type, &failures);

	assert_true(n >= 2);
	assert_int_equal(failures, 0);
}

/* ---- the hotline signature against a vector computed by hand ------------------ */

/*
 * printf 'demo\n1714708800000\n00112233445566778899aabbccddeeff\n/hotline/openapi/v2/workorders?updatedFrom=2024-05-01%%2000:00:00&pageNo=1&pageSize=100' |
 *   openssl dgst -sha256 -hmac demo-secret
 */
static void test_hotline_signature(void **state)
{
	char sig[65];

	(void)state;
	assert_int_equal(hotline_sign("demo-secret", "demo", "1714708800000",
				      "00112233445566778899aabbccddeeff",
				      "/hotline/openapi/v2/workorders?updatedFrom=2024-05-01%2000:00:00"
				      "&pageNo=1&pageSize=100", sig), SQ_OK);
	assert_string_equal(sig, "dfe2435934d3e5755b50113b1b447fbc2cec6e87da9a5bf0f21034fb4dc193ce");
	/* printf 'what do ya want \nfor\nnothing?\n' | openssl dgst -sha256 -hmac Jefe */
	assert_int_equal(hotline_sign("Jefe", "what do ya want ", "for", "nothing?", "", sig),
			 SQ_OK);
	assert_string_equal(sig, "a23c33b6886698a166e184711eb3087eb93fd529044daa38f8a3ffcb727a7edf");
}

/* A fresh nonce for every request: 32 hex digits from RAND_bytes, never twice. */
static void test_hotline_nonce(void **state)
{
	struct case_in c;
	struct test_source t;
	struct sq_conn_env env = { 1715702400000LL, 1715702400000LL, NULL };
	struct sq_conn_request a = { 0 }, b = { 0 };
	struct sq_error err = { 0 };
	const char *na = NULL, *nb = NULL;
	size_t i;

	(void)state;
	parse_expect("", &c);
	make_source(&t, "hotline12345", &c);
	assert_int_equal(t.src.connector->build_request(&t.src, NULL, &env, &a, &err), SQ_OK);
	assert_int_equal(t.src.connector->build_request(&t.src, NULL, &env, &b, &err), SQ_OK);
	for (i = 0; i < a.nheaders; i++)
		if (!strncmp(a.headers[i], "X-Nonce: ", 9))
			na = a.headers[i] + 9;
	for (i = 0; i < b.nheaders; i++)
		if (!strncmp(b.headers[i], "X-Nonce: ", 9))
			nb = b.headers[i] + 9;
	assert_non_null(na);
	assert_non_null(nb);
	assert_int_equal((int)strlen(na), 32);
	assert_int_equal((int)strspn(na, "0123456789abcdef"), 32);
	assert_string_not_equal(na, nb);
	conn_request_release(&a);
	conn_request_release(&b);
	case_release(&c);
}

/* ---- splitting a saved dump into pages (import) --------------------------------- */

struct split_seen {
	char pages[8][256];
	int n;
};

static sq_err collect(void *ctx, const char *page, size_t len, int number)
{
	struct split_seen *s = ctx;

	assert_int_equal(number, s->n + 1);
	assert_int_equal(strlen(page), len);
	if (s->n < 8)
		snprintf(s->pages[s->n], sizeof(s->pages[0]), "%s", page);
	s->n++;
	return SQ_OK;
}

/* A dump, how it is read (array_is_page), its page count and the pages
 * checked (NULL: not checked). */
static const struct split_case {
	const char *text;
	int array_is_page, n;
	const char *pages[3];
} split_cases[] = {
	{ "{\"code\":0}", 0, 1, { "{\"code\":0}" } },
	{ " {\"a\":1}\n{\"b\":2}\n\n{\"c\":3} ", 0, 3, { NULL, NULL, "{\"c\":3}" } },
	{ "[{\"a\":1},{\"b\":2}]", 0, 2, { NULL, "{\"b\":2}" } },
	/* Open311: an array is a page, an array of arrays a list of pages. */
	{ "[{\"a\":1},{\"b\":2}]", 1, 1, { NULL } },
	{ "[[{\"a\":1}],[]]", 1, 2, { NULL, "[]" } },
	/* Broken text is handed on as the last page, for the page parser to refuse. */
	{ "{\"a\":1} {\"b\":", 0, 2, { NULL, "{\"b\":" } },
	/* Braces, brackets and escaped quotes inside strings are text; nested
	 * objects and arrays close where they open. */
	{ "{\"t\":\"}{ \\\"]\\\\\",\"l\":[{\"x\":[1,{}]}]}{\"b\":\"\\\\\"}\n{}", 0, 3,
	  { "{\"t\":\"}{ \\\"]\\\\\",\"l\":[{\"x\":[1,{}]}]}", "{\"b\":\"\\\\\"}", "{}" } },
	/* A page that is not JSON but closes is refused alone: the pages
	 * after it are still read. */
	{ "{\"a\":1}{\"b\":nope}{\"c\":3}", 0, 3, { NULL, "{\"b\":nope}", "{\"c\":3}" } },
	/* A string cut short inside the last page: the rest, as it is. */
	{ "{\"a\":1}{\"b\":\"}\\\"}", 0, 2, { NULL, "{\"b\":\"}\\\"}" } },
};

static void test_split_pages(void **state)
{
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(split_cases) / sizeof(split_cases[0]); i++) {
		const struct split_case *c = &split_cases[i];
		struct split_seen s;

		memset(&s, 0, sizeof(s));
		assert_int_equal(conn_split_pages(c->text, strlen(c->text), c->array_is_page,
						  collect, &s), SQ_OK);
		if (s.n != c->n)
			fail_msg("split case %zu: %d pages, expected %d", i, s.n, c->n);
		for (k = 0; k < 3; k++)
			if (c->pages[k] && strcmp(s.pages[k], c->pages[k]))
				fail_msg("split case %zu, page %zu: \"%s\", expected \"%s\"", i, k,
					 s.pages[k], c->pages[k]);
	}
}

/* Every connector is complete and findable; unknown types are not. */
static void test_registry(void **state)
{
	const struct sq_connector *const *all = connector_all();
	size_t i;

	(void)state;
	for (i = 0; all[i]; i++) {
		assert_ptr_equal(connector_find(all[i]->type), all[i]);
		assert_non_null(all[i]->build_request);
		assert_non_null(all[i]->parse_page);
		assert_non_null(all[i]->options);
		assert_true(all[i]->conf_size > 0);
	}
	assert_int_equal((int)i, 4);
	assert_null(connector_find("nosuch"));
	assert_null(connector_find(NULL));
}

int main(void)
{
	static const char *types[] = { "hotline12345", "deputy_liaison", "city_mgmt", "open311" };
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_registry),
		cmocka_unit_test(test_hotline_signature),
		cmocka_unit_test(test_hotline_nonce),
		cmocka_unit_test(test_split_pages),
		cmocka_unit_test_prestate(test_pages, (void *)types[0]),
		cmocka_unit_test_prestate(test_pages, (void *)types[1]),
		cmocka_unit_test_prestate(test_pages, (void *)types[2]),
		cmocka_unit_test_prestate(test_pages, (void *)types[3]),
		cmocka_unit_test_prestate(test_requests, (void *)types[0]),
		cmocka_unit_test_prestate(test_requests, (void *)types[1]),
		cmocka_unit_test_prestate(test_requests, (void *)types[2]),
		cmocka_unit_test_prestate(test_requests, (void *)types[3]),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
