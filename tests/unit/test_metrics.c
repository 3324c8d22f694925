/* The Prometheus textfile: exact text for known figures, escaping of label
 * values, the exposition format's rules over the whole output, and the
 * atomic replacement of the file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <dirent.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "failmalloc.h"
#include "metrics.h"
#include "testutil.h"
#include "banned.h"

static char name_hotline[] = "hotline";
static char name_odd[] = "we\"ird\\name\nx";
static char st_open[] = "open";
static char st_pending[] = "pending";
static char cmd_poll[] = "poll";

/* Two sources (one never polled), flags and an outbox. */
static void sample_metrics(struct store_metrics *m, struct store_metrics_source src[2],
			   struct store_metrics_count *flags, struct store_metrics_count *outbox)
{
	memset(m, 0, sizeof(*m));
	memset(src, 0, 2 * sizeof(src[0]));
	src[0].source = name_hotline;
	src[0].last_ok = 1715731200;
	src[0].last_error_at = 1715727600;
	src[0].runs = 12;
	src[0].new_total = 62;
	src[0].updated_total = 30;
	src[0].unchanged_total = 7;
	src[0].quarantined_total = 2;
	src[0].errors_total = 3;
	src[0].has_last = 1;
	src[0].last_new = 4;
	src[0].last_updated = 1;
	src[0].last_unchanged = 0;
	src[0].last_errors = 0;
	src[0].last_duration_ms = 1502;
	src[0].complaints = 62;
	src[0].quarantine = 2;
	src[1].source = name_odd;
	m->sources = src;
	m->nsources = 2;
	m->schema_version = 6;
	m->complaints = 62;
	m->has_incidents = 1;
	m->incidents = 50;
	m->has_last_run = 1;
	m->last_run_command = cmd_poll;
	m->last_run_started = 1715731200;
	m->last_run_finished = 1715731202;
	m->last_run_exit = 0;
	flags->label = st_open;
	flags->n = 3;
	m->has_flags = 1;
	m->flags = flags;
	m->nflags = 1;
	m->flags_open = 3;
	outbox->label = st_pending;
	outbox->n = 2;
	m->has_outbox = 1;
	m->outbox = outbox;
	m->noutbox = 1;
	m->outbox_backlog = 2;
	m->outbox_oldest = 1715731100;
	m->outbox_in_doubt = 1;
}

static void test_escape_label(void **state)
{
	struct sq_buf b = SQ_BUF_INIT;

	(void)state;
	assert_int_equal(metrics_escape_label(&b, "a\\b\"c\nd 西华路"), SQ_OK);
	assert_string_equal(b.data, "a\\\\b\\\"c\\nd 西华路");
	sq_buf_reset(&b);
	assert_int_equal(metrics_escape_label(&b, NULL), SQ_OK);
	assert_string_equal(sq_buf_str(&b), "");
	sq_buf_release(&b);
}

static void test_known_lines(void **state)
{
	struct store_metrics m;
	struct store_metrics_source src[2];
	struct store_metrics_count flags, outbox;
	struct metrics_run run = { "poll", 1, 1715731203, 2345 };
	struct sq_buf b = SQ_BUF_INIT;
	struct sq_error err = { 0 };
	static const char *const want[] = {
		"# HELP suqiu_build_info The suqiu version that wrote this file.\n"
		"# TYPE suqiu_build_info gauge\n"
		"suqiu_build_info{version=\"0.1.0\"} 1\n",
		"suqiu_schema_version 6\n",
		"# TYPE suqiu_run_duration_seconds gauge\n"
		"suqiu_run_duration_seconds{command=\"poll\"} 2.345\n",
		"suqiu_run_exit_status{command=\"poll\"} 1\n",
		"suqiu_run_finished_timestamp_seconds{command=\"poll\"} 1715731203\n",
		"suqiu_runlog_last_exit_status{command=\"poll\"} 0\n",
		"suqiu_source_last_success_timestamp_seconds{source=\"hotline\"} 1715731200\n"
		"suqiu_source_last_success_timestamp_seconds{source=\"we\\\"ird\\\\name\\nx\"} 0\n",
		"# TYPE suqiu_source_polls_total counter\n"
		"suqiu_source_polls_total{source=\"hotline\"} 12\n",
		"suqiu_source_errors_total{source=\"hotline\"} 3\n",
		"# TYPE suqiu_source_records_total counter\n"
		"suqiu_source_records_total{source=\"hotline\",change=\"new\"} 62\n"
		"suqiu_source_records_total{source=\"hotline\",change=\"updated\"} 30\n"
		"suqiu_source_records_total{source=\"hotline\",change=\"unchanged\"} 7\n",
		"suqiu_source_last_run_records{source=\"hotline\",change=\"new\"} 4\n",
		"suqiu_source_last_run_duration_seconds{source=\"hotline\"} 1.502\n",
		"suqiu_complaints{source=\"hotline\"} 62\n",
		"suqiu_quarantine{source=\"hotline\"} 2\n",
		"suqiu_complaints_stored 62\n",
		"suqiu_incidents 50\n",
		"suqiu_flags{state=\"open\"} 3\n",
		"suqiu_flags_open 3\n",
		"suqiu_outbox_messages{state=\"pending\"} 2\n",
		"suqiu_outbox_backlog 2\n",
		"suqiu_outbox_oldest_backlog_timestamp_seconds 1715731100\n",
		"suqiu_outbox_in_doubt 1\n",
	};
	size_t i;

	(void)state;
	sample_metrics(&m, src, &flags, &outbox);
	assert_int_equal(metrics_format(&b, &m, &run, "0.1.0", &err), SQ_OK);
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		if (!strstr(b.data, want[i]))
			fail_msg("missing:\n%s\nin:\n%s", want[i], b.data);
	}
	/* A source never polled has no last-run samples. */
	assert_null(strstr(b.data, "suqiu_source_last_run_records{source=\"we"));
	assert_null(strstr(b.data, "suqiu_source_last_run_duration_seconds{source=\"we"));
	sq_buf_release(&b);
}

/* Families that need tables the schema lacks are left out, not zero. */
static void test_absent_tables_and_run(void **state)
{
	struct store_metrics m;
	struct store_metrics_source src[2];
	struct store_metrics_count flags, outbox;
	struct sq_buf b = SQ_BUF_INIT;
	struct sq_error err = { 0 };

	(void)state;
	sample_metrics(&m, src, &flags, &outbox);
	m.has_flags = m.has_outbox = m.has_incidents = m.has_last_run = 0;
	assert_int_equal(metrics_format(&b, &m, NULL, NULL, &err), SQ_OK);
	assert_null(strstr(b.data, "suqiu_flags"));
	assert_null(strstr(b.data, "suqiu_outbox"));
	assert_null(strstr(b.data, "suqiu_incidents"));
	assert_null(strstr(b.data, "suqiu_run_"));
	assert_null(strstr(b.data, "suqiu_runlog_"));
	assert_non_null(strstr(b.data, "suqiu_build_info{version=\"unknown\"} 1\n"));
	sq_buf_release(&b);
}

static int valid_name(const char *p, size_t n)
{
	size_t i;

	if (!n || !(p[0] == '_' || p[0] == ':' || (p[0] >= 'a' && p[0] <= 'z') ||
		    (p[0] >= 'A' && p[0] <= 'Z')))
		return 0;
	for (i = 1; i < n; i++)
		if (!(p[i] == '_' || p[i] == ':' || (p[i] >= 'a' && p[i] <= 'z') ||
		      (p[i] >= 'A' && p[i] <= 'Z') || (p[i] >= '0' && p[i] <= '9')))
			return 0;
	return 1;
}

/*
 * The rules a Prometheus parser enforces, over every line: HELP then TYPE
 * once per family, samples only after their own TYPE and all together,
 * valid names, quoted label values with only \\ \" \n escapes, a numeric
 * value, counters named *_total, a final newline.
 */
static void check_exposition(const char *text)
{
	char family[128] = "", type[16] = "";
	char seen[64][128];
	int nseen = 0, i;
	const char *line = text, *nl;

	assert_true(strlen(text) > 0 && text[strlen(text) - 1] == '\n');
	for (; *line; line = nl + 1) {
		size_t len;
		const char *p, *end;
		char name[128];

		nl = strchr(line, '\n');
		assert_non_null(nl);
		len = (size_t)(nl - line);
		if (!strncmp(line, "# HELP ", 7)) {
			p = line + 7;
			end = memchr(p, ' ', len - 7);
			assert_non_null(end);
			assert_true(valid_name(p, (size_t)(end - p)));
			snprintf(family, sizeof(family), "%.*s", (int)(end - p), p);
			for (i = 0; i < nseen; i++)
				if (!strcmp(seen[i], family))
					fail_msg("family %s appears twice", family);
			assert_true(nseen < 64);
			snprintf(seen[nseen++], sizeof(seen[0]), "%s", family);
			type[0] = '\0';
			continue;
		}
		if (!strncmp(line, "# TYPE ", 7)) {
			p = line + 7;
			assert_int_equal(strncmp(p, family, strlen(family)), 0);
			p += strlen(family);
			assert_true(*p == ' ');
			snprintf(type, sizeof(type), "%.*s", (int)(nl - p - 1), p + 1);
			assert_true(!strcmp(type, "gauge") || !strcmp(type, "counter"));
			if (!strcmp(type, "counter"))
				assert_true(strlen(family) > 6 &&
					    !strcmp(family + strlen(family) - 6, "_total"));
			continue;
		}
		assert_true(line[0] != '#');
		assert_true(type[0] != '\0');
		for (p = line; p < nl && *p != '{' && *p != ' '; p++)
			;
		snprintf(name, sizeof(name), "%.*s", (int)(p - line), line);
		if (strcmp(name, family))
			fail_msg("sample %s outside its family (in %s)", name, family);
		if (*p == '{') {
			p++;
			while (*p != '}') {
				const char *k = p;

				while (*p != '=')
					p++;
				assert_true(valid_name(k, (size_t)(p - k)));
				assert_true(p[1] == '"');
				for (p += 2; *p != '"'; p++) {
					assert_true(*p != '\n');
					if (*p == '\\') {
						p++;
						assert_true(*p == '\\' || *p == '"' || *p == 'n');
					}
				}
				p++;
				if (*p == ',')
					p++;
			}
			p++;
		}
		assert_true(*p == ' ');
		{
			char *num_end;

			strtod(p + 1, &num_end);
			assert_true(num_end == nl);
		}
	}
}

static void test_exposition_rules(void **state)
{
	struct store_metrics m;
	struct store_metrics_source src[2];
	struct store_metrics_count flags, outbox;
	struct metrics_run run = { "poll", 0, 1715731203, 15 };
	struct sq_buf b = SQ_BUF_INIT;
	struct sq_error err = { 0 };

	(void)state;
	sample_metrics(&m, src, &flags, &outbox);
	assert_int_equal(metrics_format(&b, &m, &run, "0.1.0", &err), SQ_OK);
	check_exposition(b.data);
	assert_non_null(strstr(b.data, "suqiu_run_duration_seconds{command=\"poll\"} 0.015\n"));
	sq_buf_release(&b);

	/* No sources at all still gives a valid file. */
	memset(&m, 0, sizeof(m));
	assert_int_equal(metrics_format(&b, &m, NULL, "0.1.0", &err), SQ_OK);
	check_exposition(b.data);
	sq_buf_release(&b);
}

static void test_write_file_atomically(void **state)
{
	char *dir = test_tmpdir();
	char *path = test_path(dir, "suqiu.prom");
	struct sq_error err = { 0 };
	char got[64] = "";
	FILE *fp;
	DIR *d;
	struct dirent *de;
	int entries = 0;

	struct stat sb;
	mode_t old_umask;

	(void)state;
	assert_int_equal(test_write_file(path, "old\n"), 0);
	/* Under the units' UMask=0077 it is still readable by node_exporter. */
	old_umask = umask(077);
	assert_int_equal(metrics_write_file(path, "suqiu_up 1\n", 11, &err), SQ_OK);
	umask(old_umask);
	assert_int_equal(stat(path, &sb), 0);
	assert_int_equal(sb.st_mode & 0777, 0644);
	fp = fopen(path, "r");
	assert_non_null(fp);
	assert_non_null(fgets(got, sizeof(got), fp));
	fclose(fp);
	assert_string_equal(got, "suqiu_up 1\n");
	/* No temporary file is left beside it. */
	d = opendir(dir);
	assert_non_null(d);
	while ((de = readdir(d)))
		if (de->d_name[0] != '.')
			entries++;
	closedir(d);
	assert_int_equal(entries, 1);
	free(path);

	/* A directory that does not exist: SQ_EIO naming the file, nothing left. */
	path = test_path(dir, "missing/suqiu.prom");
	assert_int_equal(metrics_write_file(path, "x\n", 2, &err), SQ_EIO);
	assert_non_null(strstr(err.msg, "missing/suqiu.prom"));
	free(path);
	test_rmtree(dir);
	free(dir);
}

/* Every allocation metrics_format makes may fail: it says SQ_ENOMEM and
 * leaves a buffer that can simply be released. */
static void test_format_out_of_memory(void **state)
{
	struct store_metrics m;
	struct store_metrics_source src[2];
	struct store_metrics_count flags, outbox;
	struct metrics_run run = { "poll", 0, 1715731203, 15 };
	struct sq_error err = { 0 };
	long n;

	(void)state;
	if (!FAILMALLOC_AVAILABLE)
		skip();
	sample_metrics(&m, src, &flags, &outbox);
	for (n = 1; n < 10000; n++) {
		struct sq_buf b = SQ_BUF_INIT;
		sq_err rc;

		failmalloc_arm(n);
		rc = metrics_format(&b, &m, &run, "0.1.0", &err);
		if (!failmalloc_disarm()) {
			assert_int_equal(rc, SQ_OK);
			sq_buf_release(&b);
			break;
		}
		assert_int_equal(rc, SQ_ENOMEM);
		sq_buf_release(&b);
	}
	assert_true(n > 1 && n < 10000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_escape_label),
		cmocka_unit_test(test_known_lines),
		cmocka_unit_test(test_absent_tables_and_run),
		cmocka_unit_test(test_exposition_rules),
		cmocka_unit_test(test_write_file_atomically),
		cmocka_unit_test(test_format_out_of_memory),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
