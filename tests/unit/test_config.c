/*
 * test_config.c — the configuration loader (config.h), option parsing
 * (options.h) and secrets (secret.h).
 *
 * Data-driven: every .yaml file in tests/data/config/bad must fail with the
 * message in its "# expect:" header, every one in good/ must load (see the
 * README there).  Files are found under $SUQIU_TOP, else the current directory.
 * Table tests cover durations, sizes, times, booleans, URLs and time zones;
 * a failing allocator proves that every allocation failure is handled and
 * leaks nothing (not under ASan, which brings its own allocator).
 */
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>

#include "buf.h"
#include "config.h"
#include "connectors/registry.h"
#include "options.h"
#include "readfile.h"
#include "secret.h"
#include "banned.h"

extern char **environ;

/* Every secret in the test data contains this; no message may. */
#define SECRET_MARK "SECRET-VALUE"

/* ---- files and the environment ------------------------------------------------ */

static char top[1024];   /* the checkout: $SUQIU_TOP or the current directory */

static const char *data_path(const char *rel, char *out, size_t size)
{
	snprintf(out, size, "%s/tests/data/config/%s", top, rel);
	return out;
}

static char *read_text(const char *path)
{
	struct sq_buf b = SQ_BUF_INIT;
	int e = sq_read_file(path, 1 << 20, &b);

	if (e)
		fail_msg("cannot read %s: %s", path, strerror(e));
	return sq_buf_detach(&b);
}

static void write_text(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	assert_non_null(f);
	assert_int_equal(fputs(text, f) < 0, 0);
	assert_int_equal(fclose(f), 0);
}

/* Forget CREDENTIALS_DIRECTORY and SUQIU_* (but not the test runner's own). */
static void clean_env(void)
{
	char names[64][128];
	size_t n = 0, i, len;
	char **e;

	for (e = environ; *e && n < 64; e++) {
		len = strcspn(*e, "=");
		if (len >= sizeof(names[0]))
			continue;
		if ((!strncmp(*e, "SUQIU_", 6) && strncmp(*e, "SUQIU_TOP=", 10) &&
		     strncmp(*e, "SUQIU_BIN=", 10) && strncmp(*e, "SUQIU_BUILD=", 12)) ||
		    !strncmp(*e, "CREDENTIALS_DIRECTORY=", 22)) {
			memcpy(names[n], *e, len);
			names[n++][len] = '\0';
		}
	}
	for (i = 0; i < n; i++)
		unsetenv(names[i]);
}

/* "# env: NAME=VALUE" header lines, with {data} as the data directory. */
static void apply_env_headers(const char *text)
{
	char line[1024], data[4096], value[4096], *eq, *at;
	const char *p = text, *nl;

	data_path("", data, sizeof(data));
	data[strlen(data) - 1] = '\0';
	for (; *p == '#'; p = nl + 1) {
		nl = strchr(p, '\n');
		if (!nl || (size_t)(nl - p) >= sizeof(line))
			break;
		memcpy(line, p, (size_t)(nl - p));
		line[nl - p] = '\0';
		if (strncmp(line, "# env: ", 7) || !(eq = strchr(line, '=')))
			continue;
		*eq = '\0';
		at = strstr(eq + 1, "{data}");
		if (at) {
			*at = '\0';
			snprintf(value, sizeof(value), "%s%s%s", eq + 1, data, at + 6);
		} else {
			snprintf(value, sizeof(value), "%s", eq + 1);
		}
		assert_int_equal(setenv(line + 7, value, 1), 0);
	}
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st, (void)flag, (void)ftw;
	return remove(path);
}

static void remove_tree(const char *dir)
{
	assert_int_equal(nftw(dir, remove_entry, 8, FTW_DEPTH | FTW_PHYS), 0);
}

static char *make_tmpdir(void)
{
	char *dir = strdup("/tmp/suqiu-test-config-XXXXXX");

	assert_non_null(dir);
	assert_non_null(mkdtemp(dir));
	return dir;
}

static void assert_released(const struct sq_config *cfg)
{
	static const struct sq_config zero;

	assert_memory_equal(cfg, &zero, sizeof(zero));
}

/* ---- data-driven cases ---------------------------------------------------------- */

static void bad_case(void **state)
{
	const char *path = *state;
	char *text = read_text(path), *expect, *nl, want[1024];
	struct sq_config cfg;
	struct sq_error err;
	size_t n;
	sq_err rc;

	clean_env();
	apply_env_headers(text);
	expect = strstr(text, "# expect: ");
	if (!expect)
		fail_msg("%s has no '# expect: LINE:COL: message' header", path);
	expect += 10;
	nl = strchr(expect, '\n');
	if (nl)
		*nl = '\0';
	rc = config_load(path, &cfg, &err);
	clean_env();
	snprintf(want, sizeof(want), "%s:%s", path, expect);
	n = strlen(want);
	if (n > 3 && !strcmp(want + n - 3, "..."))
		n -= 3;
	else
		n++; /* compare the NUL too: exact match */
	if (rc != SQ_ECONFIG || strncmp(err.msg, want, n))
		fail_msg("code %d\nwant: %s\n got: %s", rc, want, rc ? err.msg : "(loaded)");
	assert_null(strchr(err.msg, '\n'));
	assert_null(strstr(err.msg, SECRET_MARK));
	assert_released(&cfg);
	free(text);
}

static void good_case(void **state)
{
	const char *path = *state;
	char *text = read_text(path);
	struct sq_config cfg;
	struct sq_error err;
	sq_err rc;

	clean_env();
	apply_env_headers(text);
	rc = config_load(path, &cfg, &err);
	clean_env();
	if (rc)
		fail_msg("%s", err.msg);
	assert_string_equal(cfg.path, path);
	config_release(&cfg);
	assert_released(&cfg);
	free(text);
}

static int yaml_file(const struct dirent *d)
{
	size_t n = strlen(d->d_name);

	return n > 5 && !strcmp(d->d_name + n - 5, ".yaml");
}

/* One cmocka test per file in dir (sorted), so a failure names its file. */
static int run_dir(const char *group, const char *dir, CMUnitTestFunction fn)
{
	char path[4096];
	struct dirent **names;
	struct CMUnitTest *tests;
	char **paths;
	int n, i, failed;

	n = scandir(data_path(dir, path, sizeof(path)), &names, yaml_file, alphasort);
	if (n <= 0) {
		fprintf(stderr, "no cases in %s: %s\n", path, n ? strerror(errno) : "empty");
		return 1;
	}
	tests = calloc((size_t)n, sizeof(*tests));
	paths = calloc((size_t)n, sizeof(*paths));
	if (!tests || !paths)
		return 1;
	for (i = 0; i < n; i++) {
		snprintf(path, sizeof(path), "%s/tests/data/config/%s/%s", top, dir, names[i]->d_name);
		paths[i] = strdup(path);
		tests[i].name = names[i]->d_name;
		tests[i].test_func = fn;
		tests[i].initial_state = paths[i];
	}
	failed = _cmocka_run_group_tests(group, tests, (size_t)n, NULL, NULL);
	for (i = 0; i < n; i++) {
		free(paths[i]);
		free(names[i]);
	}
	free(paths);
	free(names);
	free(tests);
	return failed;
}

/* ---- option parsing tables ------------------------------------------------------ */

struct num_case {
	const char *text;
	int64_t want;   /* when ok */
	int ok;
};

static void test_durations(void **state)
{
	static const struct num_case cases[] = {
		{ "500ms", 500, 1 }, { "90s", 90000, 1 }, { "15m", 900000, 1 },
		{ "48h", 172800000, 1 }, { "7d", 604800000, 1 }, { "0s", 0, 1 },
		{ "1h30m", 5400000, 1 }, { "1d12h", 129600000, 1 }, { "2s500ms", 2500, 1 },
		{ "106751991167d", INT64_C(9223372036828800000), 1 },
		{ "106751991167300d", 0, 0 }, /* too large */
		{ "99999999999999999999s", 0, 0 },
		{ "90", 0, 0 }, { "0", 0, 0 }, { "-5s", 0, 0 }, { "", 0, 0 }, { "s", 0, 0 },
		{ "5 s", 0, 0 }, { "5sec", 0, 0 }, { "1.5h", 0, 0 }, { "5S", 0, 0 }, { "h5", 0, 0 },
		{ "5s ", 0, 0 }, { " 5s", 0, 0 }, { "5w", 0, 0 }, { "+5s", 0, 0 }, { "1h30", 0, 0 },
	};
	struct sq_error err;
	int64_t v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = -1;
		sq_error_clear(&err);
		if ((options_parse_duration(cases[i].text, &v, &err) == SQ_OK) != cases[i].ok)
			fail_msg("'%s': %s", cases[i].text, err.msg[0] ? err.msg : "accepted");
		if (cases[i].ok)
			assert_int_equal(v, cases[i].want);
		else
			assert_int_equal(err.code, SQ_EPARSE);
	}
	assert_int_not_equal(options_parse_duration("90", &v, &err), SQ_OK);
	assert_string_equal(err.msg, "'90' has no unit (write e.g. 90s, 15m, 48h, 7d; ms for milliseconds)");
	assert_int_not_equal(options_parse_duration("-1s", &v, &err), SQ_OK);
	assert_string_equal(err.msg, "'-1s' is negative; durations are 0 or more");
}

static void test_sizes(void **state)
{
	static const struct num_case cases[] = {
		{ "512", 512, 1 }, { "0", 0, 1 }, { "512B", 512, 1 }, { "64KiB", 65536, 1 },
		{ "8MiB", 8388608, 1 }, { "1GiB", 1073741824, 1 }, { "2TiB", INT64_C(2199023255552), 1 },
		{ "64KB", 64000, 1 }, { "64kB", 64000, 1 }, { "16MB", 16000000, 1 },
		{ "1GB", 1000000000, 1 }, { "3TB", INT64_C(3000000000000), 1 },
		{ "8388607TiB", INT64_C(9223370937343148032), 1 },
		{ "8388608TiB", 0, 0 }, { "99999999999999999999", 0, 0 },
		{ "16M", 0, 0 }, { "16m", 0, 0 }, { "16mb", 0, 0 }, { "16 MiB", 0, 0 }, { "-1", 0, 0 },
		{ "", 0, 0 }, { "MiB", 0, 0 }, { "1.5MiB", 0, 0 }, { "0x10", 0, 0 }, { "16Mi", 0, 0 },
	};
	struct sq_error err;
	int64_t v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = -1;
		sq_error_clear(&err);
		if ((options_parse_size(cases[i].text, &v, &err) == SQ_OK) != cases[i].ok)
			fail_msg("'%s': %s", cases[i].text, err.msg[0] ? err.msg : "accepted");
		if (cases[i].ok)
			assert_int_equal(v, cases[i].want);
	}
}

static void test_bools(void **state)
{
	static const struct num_case cases[] = {
		{ "true", 1, 1 }, { "True", 1, 1 }, { "TRUE", 1, 1 }, { "yes", 1, 1 }, { "on", 1, 1 },
		{ "false", 0, 1 }, { "No", 0, 1 }, { "off", 0, 1 }, { "OFF", 0, 1 },
		{ "1", 0, 0 }, { "0", 0, 0 }, { "y", 0, 0 }, { "", 0, 0 }, { "auto", 0, 0 }, { "truee", 0, 0 },
	};
	struct sq_error err;
	size_t i;
	int v;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = -7;
		if ((options_parse_bool(cases[i].text, &v, &err) == SQ_OK) != cases[i].ok)
			fail_msg("'%s'", cases[i].text);
		assert_int_equal(v, cases[i].ok ? cases[i].want : -7);
	}
}

static void test_times(void **state)
{
	static const struct num_case cases[] = {
		{ "1970-01-01T00:00:00Z", 0, 1 },
		{ "2024-05-01T00:00:00+08:00", 1714492800, 1 },
		{ "2024-04-30T16:00:00Z", 1714492800, 1 },
		{ "2024-04-30t16:00:00z", 1714492800, 1 },
		{ "2024-04-30 16:00:00Z", 1714492800, 1 },
		{ "2024-05-01T00:00:00.999+08:00", 1714492800, 1 },
		{ "2024-04-30T11:00:00-05:00", 1714492800, 1 },
		{ "2024-02-29T12:00:00Z", 1709208000, 1 },
		{ "2000-02-29T00:00:00Z", 951782400, 1 },
		{ "1969-12-31T23:59:59Z", -1, 1 },
		{ "2016-12-31T23:59:60Z", 1483228800, 1 },   /* leap second: the next :00 */
		{ "2038-01-19T03:14:08Z", INT64_C(2147483648), 1 },
		{ "9999-12-31T23:59:59Z", INT64_C(253402300799), 1 },
		{ "2023-02-29T00:00:00Z", 0, 0 }, { "1900-02-29T00:00:00Z", 0, 0 },
		{ "2024-04-31T00:00:00Z", 0, 0 }, { "2024-13-01T00:00:00Z", 0, 0 },
		{ "2024-00-01T00:00:00Z", 0, 0 }, { "2024-05-00T00:00:00Z", 0, 0 },
		{ "2024-05-01T24:00:00Z", 0, 0 }, { "2024-05-01T00:60:00Z", 0, 0 },
		{ "2024-05-01T00:00:61Z", 0, 0 }, { "2024-05-01T00:00:00", 0, 0 },
		{ "2024-05-01", 0, 0 }, { "2024-5-1T00:00:00Z", 0, 0 }, { "2024-05-01T00:00Z", 0, 0 },
		{ "2024-05-01T00:00:00+0800", 0, 0 }, { "2024-05-01T00:00:00+8:00", 0, 0 },
		{ "2024-05-01T00:00:00+24:00", 0, 0 }, { "2024-05-01T00:00:00Z ", 0, 0 },
		{ "2024-05-01T00:00:00.Z", 0, 0 }, { "", 0, 0 }, { "yesterday", 0, 0 },
		{ "1714492800", 0, 0 },
	};
	struct sq_error err;
	int64_t v;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		v = 42;
		sq_error_clear(&err);
		if ((options_parse_time(cases[i].text, &v, &err) == SQ_OK) != cases[i].ok)
			fail_msg("'%s': %s", cases[i].text, err.msg[0] ? err.msg : "accepted");
		if (cases[i].ok)
			assert_int_equal(v, cases[i].want);
	}
}

/* A struct with one field of each kind, for options_set on made-up rows. */
struct sample {
	char *s;
	int64_t n;
	double d;
	int b;
	struct sq_strlist l;
	struct sq_secret secret;
};

static const struct sq_option sample_rows[] = {
	{ "url", SQ_OPT_URL, NULL, offsetof(struct sample, s), "u", 0, 0, 0 },
	{ "smtp", SQ_OPT_SMTP_URL, NULL, offsetof(struct sample, s), "m", 0, 0, 0 },
	{ "count", SQ_OPT_INT, "3", offsetof(struct sample, n), "c", -5, 10, 0 },
	{ "window", SQ_OPT_DURATION, "1h", offsetof(struct sample, n), "w", 60000, 0, 0 },
	{ "body", SQ_OPT_SIZE, "1MiB", offsetof(struct sample, n), "b", 1024, 16 << 20, 0 },
	{ "ratio", SQ_OPT_DOUBLE, "0.5", offsetof(struct sample, d), "r", -1, 1, 0 },
	{ "tls", SQ_OPT_BOOL, "auto", offsetof(struct sample, b), "t", 0, 0, 0 },
	{ "plain", SQ_OPT_BOOL, "false", offsetof(struct sample, b), "p", 0, 0, 0 },
	{ "to", SQ_OPT_STRLIST, "[a@example.org, b@example.org]", offsetof(struct sample, l),
	  "to", 0, 0, SQ_OPT_EMAIL },
	{ "key", SQ_OPT_SECRET, NULL, offsetof(struct sample, secret), "k", 0, 0, 0 },
	{ "name", SQ_OPT_STRING, "x", offsetof(struct sample, s), "n", 0, 0, 0 },
	{ NULL, 0, NULL, 0, NULL, 0, 0, 0 },
};

static const struct sq_option *row(const char *key)
{
	const struct sq_option *o = options_find(sample_rows, key);

	assert_non_null(o);
	return o;
}

static void test_urls(void **state)
{
	static const struct {
		const char *key, *text;
		int ok;
	} cases[] = {
		{ "url", "https://12345.example.gov.cn", 1 }, { "url", "http://127.0.0.1:8080/x?y=1#z", 1 },
		{ "url", "http://[::1]:8311", 1 }, { "url", "HTTPS://Example.ORG/", 1 },
		{ "url", "https://例子.中国/路径", 1 }, { "url", "http://a_b.example:1", 1 },
		{ "url", "http://a.example:65535", 1 },
		{ "url", "ftp://example.org", 0 }, { "url", "https//example.org", 0 }, { "url", "example.org", 0 },
		{ "url", "https://", 0 }, { "url", "https:///x", 0 }, { "url", "https://:80", 0 },
		{ "url", "https://a b", 0 }, { "url", "https://ab/c d", 0 }, { "url", "https://ab/\x7f", 0 },
		{ "url", "https://u:p@ab", 0 }, { "url", "https://ab:0", 0 }, { "url", "https://ab:65536", 0 },
		{ "url", "https://ab:", 0 }, { "url", "https://ab:8x", 0 }, { "url", "http://[::1", 0 },
		{ "url", "http://[]/", 0 }, { "url", "http://a!b/", 0 }, { "url", "smtp://mail", 0 },
		{ "smtp", "smtp://127.0.0.1:2525", 1 }, { "smtp", "smtps://mail.example.gov.cn:465", 1 },
		{ "smtp", "https://mail", 0 }, { "smtp", "smtp://", 0 }, { "smtp", "mailto:a@b", 0 },
	};
	struct sample s = { 0 };
	struct sq_error err;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		sq_error_clear(&err);
		if ((options_set(row(cases[i].key), &s, cases[i].text, &err) == SQ_OK) != cases[i].ok)
			fail_msg("%s '%s': %s", cases[i].key, cases[i].text, err.msg[0] ? err.msg : "accepted");
		if (!cases[i].ok)
			assert_int_equal(err.code, SQ_ECONFIG);
	}
	options_set(row("url"), &s, "https://a\nb", &err);
	assert_string_equal(err.msg, "url: 'https://a\\x0ab' contains a control character");
	options_clear(row("url"), &s);
	assert_null(s.s);
}

static void test_bounds_and_defaults(void **state)
{
	struct sample s = { 0 };
	struct sq_error err;

	(void)state;
	assert_int_equal(options_defaults(sample_rows, &s, &err), SQ_OK);
	assert_string_equal(s.s, "x");
	assert_int_equal(s.n, 1048576); /* the last row that fills n wins */
	assert_true(s.d == 0.5);
	assert_int_equal(s.b, 0);
	assert_int_equal(s.l.n, 2);
	assert_string_equal(s.l.items[1], "b@example.org");
	assert_int_equal(options_set(row("tls"), &s, "auto", &err), SQ_OK);
	assert_int_equal(s.b, -1);
	assert_int_not_equal(options_set(row("plain"), &s, "auto", &err), SQ_OK);
	assert_int_equal(options_set(row("count"), &s, "-5", &err), SQ_OK);
	assert_int_equal(options_set(row("count"), &s, "10", &err), SQ_OK);
	assert_int_equal(options_set(row("count"), &s, "11", &err), SQ_ECONFIG);
	assert_string_equal(err.msg, "count: 11 is out of range (-5..10)");
	assert_int_equal(options_set(row("count"), &s, "9223372036854775808", &err), SQ_ECONFIG);
	assert_string_equal(err.msg, "count: '9223372036854775808' is too large");
	assert_int_equal(options_set(row("window"), &s, "59s", &err), SQ_ECONFIG);
	assert_string_equal(err.msg, "window: 59s is less than the minimum 1m");
	assert_int_equal(options_set(row("window"), &s, "3650d", &err), SQ_OK);
	assert_int_equal(options_set(row("body"), &s, "32MiB", &err), SQ_ECONFIG);
	assert_string_equal(err.msg, "body: 32MiB is out of range (1KiB..16MiB)");
	assert_int_equal(options_set(row("ratio"), &s, "1.01", &err), SQ_ECONFIG);
	assert_int_equal(options_set(row("ratio"), &s, "nan", &err), SQ_ECONFIG);
	assert_int_equal(options_set(row("ratio"), &s, "-1", &err), SQ_OK);
	assert_int_equal(options_set(row("to"), &s, "[]", &err), SQ_OK);
	assert_int_equal(s.l.n, 0);
	assert_int_equal(options_set(row("to"), &s, "[x@y.org, bad]", &err), SQ_ECONFIG);
	assert_string_equal(err.msg, "to: 'bad' is not an e-mail address (name@example.gov.cn)");
	assert_int_equal(options_list_add(row("to"), &s, "c@example.org", &err), SQ_OK);
	assert_int_equal(options_set(row("key"), &s, "v", &err), SQ_ECONFIG);
	assert_int_equal(options_set(row("name"), &s, "", &err), SQ_ECONFIG);
	assert_string_equal(err.msg, "name: empty value; remove the key to leave it unset");
	options_release(sample_rows, &s);
	assert_null(s.s);
	assert_null(s.l.items);
}

static void test_quote(void **state)
{
	char out[OPTIONS_QUOTE_MAX], small[8];
	char long_text[200];

	(void)state;
	assert_string_equal(options_quote("a\tb\x1b[31m", out, sizeof(out)), "a\\x09b\\x1b[31m");
	memset(long_text, 'x', sizeof(long_text) - 1);
	long_text[sizeof(long_text) - 1] = '\0';
	options_quote(long_text, out, sizeof(out));
	assert_int_equal(strlen(out), 63);
	assert_string_equal(out + 60, "...");
	/* 22 three-byte characters: the cut falls between characters, not inside one */
	options_quote("一二三四五六七八九十一二三四五六七八九十一二", out, sizeof(out));
	assert_string_equal(out, "一二三四五六七八九十一二三四五六七八九十...");
	options_quote("abcdefghij", small, sizeof(small));
	assert_true(strlen(small) < sizeof(small));
}

static void test_timezones(void **state)
{
	static const struct {
		const char *tz;
		int offset, ok;
	} cases[] = {
		{ "Asia/Shanghai", 28800, 1 }, { "Asia/Chongqing", 28800, 1 }, { "Asia/Harbin", 28800, 1 },
		{ "PRC", 28800, 1 }, { "Asia/Hong_Kong", 28800, 1 }, { "Asia/Macau", 28800, 1 },
		{ "Asia/Taipei", 28800, 1 }, { "UTC", 0, 1 }, { "Etc/UTC", 0, 1 },
		{ "+08:00", 28800, 1 }, { "-05:30", -19800, 1 }, { "+00:00", 0, 1 }, { "-00:00", 0, 1 },
		{ "+14:00", 50400, 1 }, { "-12:00", -43200, 1 }, { "+05:45", 20700, 1 },
		{ "+14:01", 0, 0 }, { "+15:00", 0, 0 }, { "+8:00", 0, 0 }, { "+0800", 0, 0 },
		{ "+08", 0, 0 }, { "+08:60", 0, 0 }, { "+08:00 ", 0, 0 }, { "08:00", 0, 0 },
		{ "Europe/Berlin", 0, 0 }, { "America/New_York", 0, 0 }, { "asia/shanghai", 0, 0 },
		{ "Asia/Urumqi", 0, 0 }, { "CST", 0, 0 }, { "", 0, 0 },
	};
	struct sq_error err;
	size_t i;
	int off;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		off = 12345;
		if ((config_timezone_offset(cases[i].tz, &off, &err) == SQ_OK) != cases[i].ok)
			fail_msg("'%s'", cases[i].tz);
		assert_int_equal(off, cases[i].ok ? cases[i].offset : 12345);
	}
	config_timezone_offset("Europe/Berlin", &off, &err);
	assert_non_null(strstr(err.msg, "daylight saving time"));
}

/* ---- configurations --------------------------------------------------------------- */

static void test_defaults(void **state)
{
	struct sq_config cfg;
	struct sq_error err;

	(void)state;
	assert_int_equal(config_defaults(&cfg, &err), SQ_OK);
	assert_null(cfg.path);
	assert_string_equal(cfg.database, "/var/lib/suqiu/suqiu.db");
	assert_string_equal(cfg.timezone, "Asia/Shanghai");
	assert_int_equal(cfg.tz_offset_s, 8 * 3600);
	assert_string_equal(cfg.taxonomy, "taxonomy.yaml");
	assert_int_equal(cfg.nsources, 0);
	assert_int_equal(cfg.areas.ncommunities, 0);
	assert_int_equal(cfg.http.connect_timeout_ms, 10000);
	assert_int_equal(cfg.http.total_timeout_ms, 60000);
	assert_int_equal(cfg.http.low_speed_bytes, 1);
	assert_int_equal(cfg.http.low_speed_time_ms, 30000);
	assert_int_equal(cfg.http.max_body_bytes, 16 << 20);
	assert_int_equal(cfg.http.max_attempts, 5);
	assert_int_equal(cfg.http.backoff_base_ms, 500);
	assert_int_equal(cfg.http.backoff_max_ms, 30000);
	assert_int_equal(cfg.http.retry_after_max_ms, 120000);
	assert_int_equal(cfg.http.budget_ms, 600000);
	assert_null(cfg.http.ca_file);
	assert_string_equal(cfg.http.user_agent, "suqiu/" SUQIU_VERSION);
	assert_null(cfg.alerts.smtp.url);
	assert_null(cfg.alerts.smtp.password.value);
	assert_int_equal(cfg.alerts.smtp.require_tls, -1);
	assert_int_equal(cfg.alerts.smtp.timeout_ms, 30000);
	assert_int_equal(cfg.alerts.smtp.retry_base_ms, 60000);
	assert_int_equal(cfg.alerts.smtp.retry_max_ms, 3600000);
	assert_int_equal(cfg.alerts.nduty, 0);
	assert_int_equal(cfg.alerts.digest_to.n, 0);
	assert_true(cfg.dedup.threshold == 9.0);
	assert_int_equal(cfg.dedup.window_ms, 7 * 86400000LL);
	assert_true(cfg.dedup.radius_m == 150.0);
	assert_int_equal(cfg.detect.urgent_words.n, 12);
	assert_string_equal(cfg.detect.urgent_words.items[0], "跳楼");
	assert_string_equal(cfg.detect.urgent_words.items[3], "集体上访");
	assert_string_equal(cfg.detect.urgent_words.items[11], "触电");
	assert_int_equal(cfg.detect.cluster_window_ms, 72 * 3600000LL);
	assert_int_equal(cfg.detect.cluster_min, 5);
	assert_null(cfg.privacy.site_key.value);
	assert_int_equal(cfg.privacy.keep_raw_contact, 0);
	assert_int_equal(cfg.privacy.retention_ms, 730 * 86400000LL);
	config_release(&cfg);
	assert_released(&cfg);
}

static void load_ok(const char *rel, struct sq_config *cfg)
{
	char path[4096], *text;
	struct sq_error err;

	data_path(rel, path, sizeof(path));
	text = read_text(path);
	clean_env();
	apply_env_headers(text);
	free(text);
	if (config_load(path, cfg, &err))
		fail_msg("%s", err.msg);
	clean_env();
}

static void test_minimal(void **state)
{
	struct sq_config cfg;
	const struct sq_source_config *src;
	const struct open311_conf *conf;
	char want[4096];

	(void)state;
	load_ok("good/minimal.yaml", &cfg);
	assert_string_equal(cfg.taxonomy, data_path("good/taxonomy.yaml", want, sizeof(want)));
	assert_string_equal(cfg.database, "/var/lib/suqiu/suqiu.db");
	assert_int_equal(cfg.nsources, 1);
	src = config_find_source(&cfg, "district311");
	assert_ptr_equal(src, &cfg.sources[0]);
	assert_null(config_find_source(&cfg, "hotline"));
	assert_null(config_find_source(&cfg, NULL));
	assert_string_equal(src->type, "open311");
	assert_ptr_equal(src->connector, &connector_open311);
	assert_string_equal(src->base_url, "https://311.example.gov.cn/open311/v2");
	assert_int_equal(src->start_from, 0);
	assert_int_equal(src->enabled, 1);
	assert_int_equal(src->line, 3);
	assert_int_equal(src->col, 5);
	conf = src->conf;
	assert_null(conf->api_key.value);
	assert_null(conf->api_key.origin);
	assert_null(conf->jurisdiction_id);
	assert_int_equal(conf->page_size, 100);
	assert_int_equal(conf->window_ms, 7 * 86400000LL);
	config_release(&cfg);
}

static void test_full(void **state)
{
	const struct hotline_conf *hot;
	const struct liaison_conf *lia;
	const struct citymgmt_conf *cm;
	const struct open311_conf *o311;
	const struct sq_duty *d;
	struct sq_config cfg;
	char want[4096];

	(void)state;
	load_ok("good/full.yaml", &cfg);
	assert_string_equal(cfg.database, data_path("good/data/suqiu.db", want, sizeof(want)));
	assert_string_equal(cfg.timezone, "Asia/Taipei");
	assert_int_equal(cfg.tz_offset_s, 28800);
	assert_string_equal(cfg.taxonomy, "/etc/suqiu/taxonomy.yaml");
	assert_int_equal(cfg.nsources, 4);

	assert_int_equal(cfg.sources[0].enabled, 0);
	assert_int_equal(cfg.sources[0].start_from, 1714492800);
	assert_string_equal(cfg.sources[0].base_url, "https://12345.example.gov.cn:8443/api?x=1");
	hot = cfg.sources[0].conf;
	assert_string_equal(hot->app_key, "jinhua");
	assert_string_equal(hot->app_secret.value, "SECRET-VALUE-hotline");
	assert_string_equal(hot->app_secret.origin, "file");
	assert_int_equal(hot->page_size, 200);

	lia = cfg.sources[1].conf;
	assert_string_equal(cfg.sources[1].base_url, "http://[::1]:8080");
	assert_string_equal(lia->token.value, "SECRET-VALUE-liaison");
	assert_int_equal(lia->page_size, 1);

	cm = cfg.sources[2].conf;
	assert_string_equal(cm->api_key.value, "SECRET-VALUE-citymgmt");
	assert_int_equal(cm->page_size, 500);
	assert_int_equal(cm->window_ms, 3600000);

	o311 = cfg.sources[3].conf;
	assert_string_equal(cfg.sources[3].name, "district_311");
	assert_string_equal(o311->api_key.value, "SECRET-VALUE-inline");
	assert_string_equal(o311->api_key.origin, "inline");
	assert_string_equal(o311->jurisdiction_id, "liwan.example.gov.cn");
	assert_int_equal(o311->window_ms, 30 * 86400000LL);
	assert_int_equal(cfg.sources[3].start_from, 1706716800);

	assert_string_equal(cfg.areas.district, "荔湾区");
	assert_string_equal(cfg.areas.street, "金花街道");
	assert_int_equal(cfg.areas.ncommunities, 2);
	assert_string_equal(cfg.areas.communities[0].name, "西华路社区");
	assert_int_equal(cfg.areas.communities[0].aliases.n, 2);
	assert_string_equal(cfg.areas.communities[0].aliases.items[1], "西华");
	assert_string_equal(cfg.areas.communities[0].grid_prefix, "440103009001");
	assert_int_equal(cfg.areas.communities[0].has_center, 1);
	assert_true(cfg.areas.communities[0].lon == 113.2440);
	assert_true(cfg.areas.communities[0].lat == 23.1293);
	assert_string_equal(cfg.areas.communities[1].grid_prefix, "440103009002");
	assert_true(cfg.areas.communities[1].lon == -113.5);
	assert_true(cfg.areas.communities[1].lat == -23.25);

	assert_int_equal(cfg.http.connect_timeout_ms, 5000);
	assert_int_equal(cfg.http.total_timeout_ms, 120000);
	assert_int_equal(cfg.http.low_speed_bytes, 0);
	assert_int_equal(cfg.http.low_speed_time_ms, 60000);
	assert_int_equal(cfg.http.max_body_bytes, 8000000);
	assert_int_equal(cfg.http.max_attempts, 3);
	assert_int_equal(cfg.http.backoff_base_ms, 250);
	assert_int_equal(cfg.http.backoff_max_ms, 60000);
	assert_int_equal(cfg.http.retry_after_max_ms, 300000);
	assert_int_equal(cfg.http.budget_ms, 5400000);
	assert_string_equal(cfg.http.ca_file, data_path("good/certs/ca.pem", want, sizeof(want)));
	assert_string_equal(cfg.http.user_agent, "suqiu-test/1");

	assert_string_equal(cfg.alerts.smtp.url, "smtps://mail.example.gov.cn:465");
	assert_string_equal(cfg.alerts.smtp.from, "suqiu@example.gov.cn");
	assert_string_equal(cfg.alerts.smtp.username, "suqiu");
	assert_string_equal(cfg.alerts.smtp.password.value, "SECRET-VALUE-smtp");
	assert_string_equal(cfg.alerts.smtp.password.origin, "file");
	assert_int_equal(cfg.alerts.smtp.require_tls, 1);
	assert_string_equal(cfg.alerts.smtp.ca_file, "/etc/ssl/mail.pem");
	assert_int_equal(cfg.alerts.smtp.timeout_ms, 10000);
	assert_int_equal(cfg.alerts.smtp.retry_base_ms, 30000);
	assert_int_equal(cfg.alerts.smtp.retry_max_ms, 7200000);
	assert_int_equal(cfg.alerts.nduty, 2);
	d = &cfg.alerts.duty[0];
	assert_string_equal(d->email, "night@example.gov.cn");
	assert_int_equal(d->days, 0x1f | 0x40);
	assert_int_equal(d->hour_from, 22);
	assert_int_equal(d->hour_to, 8);
	assert_int_equal(d->communities.n, 2);
	assert_string_equal(d->communities.items[0], "西华路社区"); /* alias mapped to its name */
	assert_string_equal(d->communities.items[1], "恩宁路社区");
	assert_int_equal(d->categories.n, 2);
	assert_string_equal(d->categories.items[1], "fire_safety");
	d = &cfg.alerts.duty[1];
	assert_int_equal(d->days, 0x60);
	assert_int_equal(d->hour_from, 0);
	assert_int_equal(d->hour_to, 24);
	assert_int_equal(d->communities.n, 0);
	assert_int_equal(cfg.alerts.digest_to.n, 2);
	assert_string_equal(cfg.alerts.digest_to.items[1], "chief@example.gov.cn");

	assert_true(cfg.dedup.threshold == -2.5);
	assert_int_equal(cfg.dedup.window_ms, 3 * 86400000LL);
	assert_true(cfg.dedup.radius_m == 80.5);
	assert_int_equal(cfg.detect.urgent_words.n, 2);
	assert_string_equal(cfg.detect.urgent_words.items[1], "讨薪");
	assert_int_equal(cfg.detect.cluster_window_ms, 86400000);
	assert_int_equal(cfg.detect.cluster_min, 3);
	assert_string_equal(cfg.privacy.site_key.value, "SECRET-VALUE-site");
	assert_int_equal(cfg.privacy.keep_raw_contact, 1);
	assert_int_equal(cfg.privacy.retention_ms, 365 * 86400000LL);
	config_release(&cfg);
}

static void test_flow_and_anchors(void **state)
{
	struct sq_config cfg;
	const struct open311_conf *conf;

	(void)state;
	load_ok("good/flow-style.yaml", &cfg);
	assert_int_equal(cfg.tz_offset_s, 28800);
	assert_int_equal(cfg.sources[0].enabled, 0);
	conf = cfg.sources[0].conf;
	assert_int_equal(conf->window_ms, 5400000);
	assert_int_equal(cfg.detect.urgent_words.n, 0);
	config_release(&cfg);

	load_ok("good/anchors.yaml", &cfg);
	assert_int_equal(cfg.alerts.nduty, 2);
	assert_string_equal(cfg.alerts.duty[1].categories.items[0], "wages");
	assert_string_equal(cfg.alerts.duty[1].communities.items[0], "西华路社区");
	config_release(&cfg);

	load_ok("good/empty-sections.yaml", &cfg);
	assert_int_equal(cfg.http.total_timeout_ms, 60000);
	assert_int_equal(cfg.detect.urgent_words.n, 12);
	config_release(&cfg);
}

/* ---- secrets --------------------------------------------------------------------- */

struct secret_env {
	char *dir;           /* holds suqiu.yaml and the secret files */
	char *creds;         /* a $CREDENTIALS_DIRECTORY */
	char path[4200];
};

static void secret_env_setup(struct secret_env *se, const char *source_extra)
{
	char yaml[2048], p[4200];

	clean_env();
	se->dir = make_tmpdir();
	snprintf(p, sizeof(p), "%s/creds", se->dir);
	assert_int_equal(mkdir(p, 0700), 0);
	se->creds = strdup(p);
	snprintf(se->path, sizeof(se->path), "%s/suqiu.yaml", se->dir);
	snprintf(yaml, sizeof(yaml),
		 "sources:\n"
		 "  - name: hotline\n"
		 "    type: hotline12345\n"
		 "    base_url: https://12345.example.gov.cn\n"
		 "    app_key: jinhua\n"
		 "%s"
		 "privacy:\n"
		 "  keep_raw_contact: false\n", source_extra);
	write_text(se->path, yaml);
}

static void secret_env_put(struct secret_env *se, const char *rel, const char *text)
{
	char p[4200];

	snprintf(p, sizeof(p), "%s/%s", se->dir, rel);
	write_text(p, text);
}

static void secret_env_teardown(struct secret_env *se)
{
	clean_env();
	remove_tree(se->dir);
	free(se->dir);
	free(se->creds);
}

/* Load se's file; return the hotline's app_secret as "origin:value". */
static const char *hotline_secret(struct secret_env *se, char *out, size_t size)
{
	struct sq_config cfg;
	struct sq_error err;
	const struct hotline_conf *hot;

	if (config_load(se->path, &cfg, &err)) {
		snprintf(out, size, "error: %s", err.msg);
		return out;
	}
	hot = cfg.sources[0].conf;
	snprintf(out, size, "%s:%s", hot->app_secret.origin, hot->app_secret.value);
	config_release(&cfg);
	return out;
}

static void test_secret_origins(void **state)
{
	struct secret_env se;
	char got[1024], want[8400];

	(void)state;
	secret_env_setup(&se, "    app_secret_file: hotline.secret\n");
	secret_env_put(&se, "hotline.secret", "from-file\n");
	secret_env_put(&se, "creds/hotline.app_secret", "from-credentials");
	setenv("CREDENTIALS_DIRECTORY", se.creds, 1);
	setenv("SUQIU_HOTLINE_APP_SECRET", "from-env", 1);
	/* KEY_file beats the credentials directory, which beats the environment */
	assert_string_equal(hotline_secret(&se, got, sizeof(got)), "file:from-file");
	secret_env_teardown(&se);

	secret_env_setup(&se, "");
	secret_env_put(&se, "creds/hotline.app_secret", "from-credentials\r\n");
	setenv("CREDENTIALS_DIRECTORY", se.creds, 1);
	setenv("SUQIU_HOTLINE_APP_SECRET", "from-env", 1);
	assert_string_equal(hotline_secret(&se, got, sizeof(got)), "credentials:from-credentials");
	unsetenv("CREDENTIALS_DIRECTORY");
	assert_string_equal(hotline_secret(&se, got, sizeof(got)), "env:from-env");
	/* a credentials directory without this credential falls through to the environment */
	setenv("CREDENTIALS_DIRECTORY", se.dir, 1);
	assert_string_equal(hotline_secret(&se, got, sizeof(got)), "env:from-env");
	unsetenv("SUQIU_HOTLINE_APP_SECRET");
	snprintf(want, sizeof(want), "error: %s:2:5: source 'hotline' needs app_secret: set "
		 "app_secret_file, put it in $CREDENTIALS_DIRECTORY/hotline.app_secret, or set "
		 "SUQIU_HOTLINE_APP_SECRET", se.path);
	assert_string_equal(hotline_secret(&se, got, sizeof(got)), want);
	secret_env_teardown(&se);

	secret_env_setup(&se, "    app_secret: from-inline\n");
	setenv("SUQIU_HOTLINE_APP_SECRET", "from-env", 1);
	assert_string_equal(hotline_secret(&se, got, sizeof(got)), "inline:from-inline");
	secret_env_teardown(&se);
}

static void test_secret_files(void **state)
{
	static const struct {
		const char *content, *want;
	} cases[] = {
		{ "abc\n", "file:abc" }, { "abc", "file:abc" }, { "abc\r\n", "file:abc" },
		{ "abc\n\n", "file:abc\n" }, { "  abc  \n", "file:  abc  " },
		{ "line1\nline2\n", "file:line1\nline2" },
	};
	struct secret_env se;
	char got[1024];
	size_t i;

	(void)state;
	secret_env_setup(&se, "    app_secret_file: s/hotline.secret\n");
	secret_env_put(&se, "s", "");
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		char p[4300];

		snprintf(p, sizeof(p), "%s/s", se.dir);
		remove(p);
		assert_int_equal(mkdir(p, 0700), 0);
		secret_env_put(&se, "s/hotline.secret", cases[i].content);
		assert_string_equal(hotline_secret(&se, got, sizeof(got)), cases[i].want);
		remove_tree(p);
	}
	secret_env_teardown(&se);
}

static void test_secret_unreadable(void **state)
{
	struct secret_env se;
	char got[1024], want[8400], big[SECRET_MAX_BYTES + 2];

	(void)state;
	secret_env_setup(&se, "    app_secret_file: hotline.secret\n");
	secret_env_put(&se, "hotline.secret", "SECRET-VALUE-x\n");
	if (geteuid() != 0) { /* root reads anything */
		snprintf(got, sizeof(got), "%s/hotline.secret", se.dir);
		assert_int_equal(chmod(got, 0), 0);
		snprintf(want, sizeof(want), "error: %s:6:22: app_secret_file: cannot read "
			 "'hotline.secret': Permission denied", se.path);
		assert_string_equal(hotline_secret(&se, got, sizeof(got)), want);
	}
	memset(big, 'k', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	secret_env_put(&se, "hotline.secret", big);
	snprintf(want, sizeof(want), "error: %s:6:22: app_secret_file: 'hotline.secret' is larger "
		 "than 64 KiB; is it the right file?", se.path);
	assert_string_equal(hotline_secret(&se, got, sizeof(got)), want);
	secret_env_teardown(&se);
}

static void test_secret_owners(void **state)
{
	struct sq_config cfg;
	struct sq_buf name = SQ_BUF_INIT;
	const struct citymgmt_conf *cm;

	(void)state;
	assert_int_equal(secret_env_name("city-mgmt.2", "api_key", &name), SQ_OK);
	assert_string_equal(name.data, "SUQIU_CITY_MGMT_2_API_KEY");
	sq_buf_release(&name);

	load_ok("good/secrets-env.yaml", &cfg);
	assert_string_equal(((const struct liaison_conf *)cfg.sources[0].conf)->token.value,
			    "SECRET-VALUE-env-liaison");
	cm = cfg.sources[1].conf;
	assert_string_equal(cm->api_key.value, "SECRET-VALUE-env-citymgmt");
	assert_string_equal(cm->api_key.origin, "env");
	assert_string_equal(cfg.alerts.smtp.password.value, "SECRET-VALUE-env-smtp");
	assert_string_equal(cfg.alerts.smtp.password.origin, "env");
	assert_null(cfg.privacy.site_key.value);
	config_release(&cfg);

	load_ok("good/secrets-credentials.yaml", &cfg);
	assert_string_equal(((const struct hotline_conf *)cfg.sources[0].conf)->app_secret.value,
			    "SECRET-VALUE-cred-hotline");
	/* no privacy: section at all, and still its secret is looked up */
	assert_string_equal(cfg.privacy.site_key.value, "SECRET-VALUE-cred-site");
	assert_string_equal(cfg.privacy.site_key.origin, "credentials");
	config_release(&cfg);
}

/* ---- the example ---------------------------------------------------------------- */

/*
 * Copy config/suqiu.example.yaml into a temporary directory with /etc/suqiu/
 * pointing there, and create every *_file it names: the example loads as
 * written, secret files and all.
 */
static char *stage_example(char **dir_out)
{
	char path[4096], *text, *dir = make_tmpdir();
	struct sq_buf out = SQ_BUF_INIT;
	const char *p, *hit, *end;

	snprintf(path, sizeof(path), "%s/config/suqiu.example.yaml", top);
	text = read_text(path);
	for (p = text; (hit = strstr(p, "/etc/suqiu/")); p = hit + 11) {
		assert_int_equal(sq_buf_add(&out, p, (size_t)(hit - p)), SQ_OK);
		assert_int_equal(sq_buf_addf(&out, "%s/", dir), SQ_OK);
		end = hit + 11 + strcspn(hit + 11, " \n#");
		snprintf(path, sizeof(path), "%s/%.*s", dir, (int)(end - hit - 11), hit + 11);
		write_text(path, "SECRET-VALUE-example\n");
	}
	assert_int_equal(sq_buf_adds(&out, p), SQ_OK);
	snprintf(path, sizeof(path), "%s/suqiu.yaml", dir);
	write_text(path, out.data);
	sq_buf_release(&out);
	free(text);
	*dir_out = dir;
	return strdup(path);
}

static void test_example(void **state)
{
	static const char *const names[] = { "西华路社区", "恩宁路社区", "多宝路社区", "宝华路社区",
					     "龙津西路社区", "华贵路社区", "逢源路社区", "昌华社区" };
	struct sq_config cfg;
	struct sq_error err;
	char *dir, *path = stage_example(&dir);
	const struct hotline_conf *hot;
	size_t i;

	(void)state;
	clean_env();
	if (config_load(path, &cfg, &err))
		fail_msg("%s", err.msg);
	assert_int_equal(cfg.nsources, 4);
	assert_string_equal(cfg.sources[0].type, "hotline12345");
	assert_string_equal(cfg.sources[1].type, "deputy_liaison");
	assert_string_equal(cfg.sources[2].type, "city_mgmt");
	assert_string_equal(cfg.sources[3].type, "open311");
	hot = cfg.sources[0].conf;
	assert_string_equal(hot->app_secret.value, "SECRET-VALUE-example");
	assert_string_equal(hot->app_secret.origin, "file");
	assert_int_equal(cfg.sources[0].start_from, 1714492800);
	assert_string_equal(cfg.areas.street, "金花街道");
	assert_int_equal(cfg.areas.ncommunities, 8);
	for (i = 0; i < 8; i++) {
		char prefix[16];

		snprintf(prefix, sizeof(prefix), "440103009%03zu", i + 1);
		assert_string_equal(cfg.areas.communities[i].name, names[i]);
		assert_string_equal(cfg.areas.communities[i].grid_prefix, prefix);
		assert_int_equal(cfg.areas.communities[i].has_center, 1);
	}
	assert_string_equal(cfg.alerts.smtp.password.value, "SECRET-VALUE-example");
	assert_int_equal(cfg.alerts.nduty, 3);
	assert_string_equal(cfg.alerts.duty[2].communities.items[1], "恩宁路社区");
	assert_string_equal(cfg.privacy.site_key.value, "SECRET-VALUE-example");
	config_release(&cfg);
	remove_tree(dir);
	free(dir);
	free(path);
}

/* Every key of every table has help text and appears in the example. */
static void test_example_documents_every_key(void **state)
{
	const struct sq_option *const tables[] = {
		config_top_options, config_source_options, config_http_options,
		config_smtp_options, config_dedup_options, config_detect_options,
		config_privacy_options,
	};
	const struct sq_connector *const *c;
	const struct sq_option *o;
	char path[4096], key[128], *text;
	size_t i, n = sizeof(tables) / sizeof(tables[0]);

	(void)state;
	snprintf(path, sizeof(path), "%s/config/suqiu.example.yaml", top);
	text = read_text(path);
	for (i = 0; i < n + 4; i++) {
		c = connector_all();
		o = i < n ? tables[i] : c[i - n]->options;
		for (; o->key; o++) {
			assert_non_null(o->help);
			snprintf(key, sizeof(key), o->type == SQ_OPT_SECRET ? "%s_file:" : "%s:", o->key);
			if (!strstr(text, key))
				fail_msg("config/suqiu.example.yaml does not show '%s'", key);
		}
	}
	assert_null(connector_all()[4]);
	free(text);
}

/* ---- odd files -------------------------------------------------------------------- */

static void test_unreadable_files(void **state)
{
	struct sq_config cfg;
	struct sq_error err;
	char path[4096], want[4200];

	(void)state;
	assert_int_equal(config_load("/nonexistent/suqiu.yaml", &cfg, &err), SQ_ECONFIG);
	assert_string_equal(err.msg, "/nonexistent/suqiu.yaml: cannot read: No such file or directory");
	assert_released(&cfg);
	data_path("good", path, sizeof(path));
	assert_int_equal(config_load(path, &cfg, &err), SQ_ECONFIG);
	snprintf(want, sizeof(want), "%s: cannot read: Is a directory", path);
	assert_string_equal(err.msg, want);
	assert_int_equal(config_load(NULL, &cfg, &err), SQ_ECONFIG);
	assert_string_equal(err.msg, "no configuration file given");
	assert_int_equal(config_load("", &cfg, NULL), SQ_ECONFIG);
	assert_released(&cfg);
}

static void test_relative_path(void **state)
{
	struct sq_config cfg;
	struct sq_error err;
	char cwd[4096];

	(void)state;
	assert_non_null(getcwd(cwd, sizeof(cwd)));
	assert_int_equal(chdir(top), 0);
	clean_env();
	assert_int_equal(config_load("tests/data/config/good/minimal.yaml", &cfg, &err), SQ_OK);
	assert_string_equal(cfg.taxonomy, "tests/data/config/good/taxonomy.yaml");
	config_release(&cfg);
	assert_int_equal(chdir("tests/data/config/good"), 0);
	assert_int_equal(config_load("minimal.yaml", &cfg, &err), SQ_OK);
	assert_string_equal(cfg.taxonomy, "taxonomy.yaml");
	config_release(&cfg);
	assert_int_equal(chdir(cwd), 0);
}

/* ---- allocation failures ------------------------------------------------------------ */

#if defined(__SANITIZE_ADDRESS__)
static void test_allocation_failures(void **state)
{
	(void)state;
	skip(); /* ASan owns malloc; the plain build runs this test */
}
#else
/*
 * Replace malloc for the whole process (glibc allows it) with one that fails
 * the Nth allocation, counting what is still allocated, so each failure
 * point in config_load is hit once and checked for leaks.
 */
extern void *__libc_malloc(size_t n);
extern void *__libc_calloc(size_t n, size_t size);
extern void *__libc_realloc(void *p, size_t n);
extern void __libc_free(void *p);

static long alloc_fail_at = -1; /* the allocation (from 0) that fails; -1: none */
static long alloc_calls;         /* allocations attempted while counting */
static long alloc_live;          /* allocated and not yet freed while counting */
static int alloc_counting;

/* Like the real malloc, a failure sets errno (fopen reports it). */
static int alloc_fails(void)
{
	if (!alloc_counting || alloc_calls++ != alloc_fail_at)
		return 0;
	errno = ENOMEM;
	return 1;
}

void *malloc(size_t n)
{
	void *p = alloc_fails() ? NULL : __libc_malloc(n);

	alloc_live += alloc_counting && p;
	return p;
}

void *calloc(size_t n, size_t size)
{
	void *p = alloc_fails() ? NULL : __libc_calloc(n, size);

	alloc_live += alloc_counting && p;
	return p;
}

void *realloc(void *old, size_t n)
{
	if (!old)
		return malloc(n);
	return alloc_fails() ? NULL : __libc_realloc(old, n);
}

void free(void *p)
{
	alloc_live -= alloc_counting && p;
	__libc_free(p);
}

/*
 * Load path with allocation fail_at failing: the result must be *normal
 * (what the load gives with no failure; set when fail_at is -1) or
 * SQ_ENOMEM, with nothing leaked.  Returns the allocations attempted.
 */
static long load_failing(const char *path, long fail_at, sq_err *normal)
{
	struct sq_config cfg;
	struct sq_error err;
	sq_err rc;

	alloc_calls = alloc_live = 0;
	alloc_fail_at = fail_at;
	alloc_counting = 1;
	rc = config_load(path, &cfg, &err);
	if (rc == SQ_OK)
		config_release(&cfg);
	alloc_counting = 0;
	if (fail_at < 0)
		*normal = rc;
	/* stdio survives a failed buffer allocation by reading unbuffered, so
	 * some failures legitimately end as if nothing had failed */
	if (rc != *normal && rc != SQ_ENOMEM)
		fail_msg("allocation %ld failing gave %d: %s", fail_at, rc, err.msg);
	if (alloc_live)
		fail_msg("allocation %ld failing leaked %ld blocks", fail_at, alloc_live);
	assert_released(&cfg);
	return alloc_calls;
}

static void test_allocation_failures(void **state)
{
	static const char *const files[] = { "good/full.yaml", "good/secrets-credentials.yaml",
					     "bad/unknown-http-key.yaml", "bad/secret-missing.yaml",
					     "bad/duty-unknown-community.yaml" };
	char path[4096];
	long total, n;
	size_t i;
	sq_err normal;

	(void)state;
	for (i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		clean_env();
		setenv("CREDENTIALS_DIRECTORY", data_path("credentials", path, sizeof(path)), 1);
		data_path(files[i], path, sizeof(path));
		total = load_failing(path, -1, &normal);
		assert_int_equal(normal, i < 2 ? SQ_OK : SQ_ECONFIG);
		for (n = 0; n < total; n++)
			load_failing(path, n, &normal);
		print_message("%s: each of %ld allocations failed in turn\n", files[i], total);
		assert_true(total > 20);
	}
	clean_env();
}
#endif

int main(void)
{
	const char *env = getenv("SUQIU_TOP");
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_durations),
		cmocka_unit_test(test_sizes),
		cmocka_unit_test(test_bools),
		cmocka_unit_test(test_times),
		cmocka_unit_test(test_urls),
		cmocka_unit_test(test_bounds_and_defaults),
		cmocka_unit_test(test_quote),
		cmocka_unit_test(test_timezones),
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_minimal),
		cmocka_unit_test(test_full),
		cmocka_unit_test(test_flow_and_anchors),
		cmocka_unit_test(test_secret_origins),
		cmocka_unit_test(test_secret_files),
		cmocka_unit_test(test_secret_unreadable),
		cmocka_unit_test(test_secret_owners),
		cmocka_unit_test(test_example),
		cmocka_unit_test(test_example_documents_every_key),
		cmocka_unit_test(test_unreadable_files),
		cmocka_unit_test(test_relative_path),
		cmocka_unit_test(test_allocation_failures),
	};
	int failed;

	if (env && *env)
		snprintf(top, sizeof(top), "%s", env);
	else if (!getcwd(top, sizeof(top)))
		return 1;
	failed = cmocka_run_group_tests_name("config", tests, NULL, NULL);
	failed += run_dir("config good files", "good", good_case);
	failed += run_dir("config bad files", "bad", bad_case);
	return failed ? 1 : 0;
}
