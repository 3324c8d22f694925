/*
 * The configuration man page cannot drift from the option tables: every key
 * of every exported config_*_options[] table and of every connector's
 * option table is the tag of an entry in its section of doc/suqiu.yaml.5,
 * with its default and "required" where it is; secrets also name KEY_file;
 * and the sections tied to a table document no key the table lacks.
 * (tests/cli/t0940-docs.sh checks that this file names every table that
 * config.h exports.)
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>

#include "buf.h"
#include "config.h"
#include "connectors/connector.h"
#include "testutil.h"
#include "banned.h"

/* One .TP entry: its tag line and its body, both as plain text. */
struct entry {
	char *tag;
	char *body;
};

struct section {
	char *title;
	struct entry *entries;
	size_t n;
};

struct page {
	struct section *sections;
	size_t n;
};

/* Append the UTF-8 encoding of code point c. */
static void add_utf8(struct sq_buf *b, unsigned long c)
{
	if (c < 0x80) {
		assert_int_equal(sq_buf_addc(b, (char)c), SQ_OK);
	} else if (c < 0x800) {
		assert_int_equal(sq_buf_addc(b, (char)(0xc0 | (c >> 6))), SQ_OK);
		assert_int_equal(sq_buf_addc(b, (char)(0x80 | (c & 0x3f))), SQ_OK);
	} else {
		assert_int_equal(sq_buf_addc(b, (char)(0xe0 | (c >> 12))), SQ_OK);
		assert_int_equal(sq_buf_addc(b, (char)(0x80 | ((c >> 6) & 0x3f))), SQ_OK);
		assert_int_equal(sq_buf_addc(b, (char)(0x80 | (c & 0x3f))), SQ_OK);
	}
}

/*
 * One line of roff source as the text it shows: macro names and quotes
 * dropped, \[uXXXX] decoded, \- \(dq \& and font changes resolved.
 */
static void plain_line(const char *line, struct sq_buf *out)
{
	const char *p = line;

	if (*p == '.') {
		if (!strncmp(p, ".\\\"", 3) || !strncmp(p, ".ie ", 4) || !strncmp(p, ".el ", 4) ||
		    !strncmp(p, ".\\}", 3))
			return;
		while (*p && *p != ' ')
			p++;
		while (*p == ' ')
			p++;
	}
	for (; *p; p++) {
		if (*p == '"')
			continue;
		if (*p != '\\') {
			assert_int_equal(sq_buf_addc(out, *p), SQ_OK);
			continue;
		}
		p++;
		if (*p == '-' || *p == 'e') {
			assert_int_equal(sq_buf_addc(out, *p == 'e' ? '\\' : '-'), SQ_OK);
		} else if (*p == 'f') {
			p++;   /* \fB \fI \fR \fP */
		} else if (*p == '(') {
			if (!strncmp(p + 1, "dq", 2))
				assert_int_equal(sq_buf_addc(out, '"'), SQ_OK);
			p += 2;
		} else if (*p == '[' && p[1] == 'u') {
			unsigned long c = strtoul(p + 2, NULL, 16);

			add_utf8(out, c);
			p = strchr(p, ']');
			assert_non_null(p);
		} else if (*p == '&' || *p == 'c' || *p == '{' || *p == '}') {
			/* nothing shown */
		} else if (*p == '\0') {
			p--;
		} else {
			assert_int_equal(sq_buf_addc(out, *p), SQ_OK);
		}
	}
	assert_int_equal(sq_buf_addc(out, ' '), SQ_OK);
}

static char *read_page(const char *name)
{
	char *path = test_path(test_top(), name);
	FILE *fp = fopen(path, "r");
	struct sq_buf b = SQ_BUF_INIT;
	char chunk[4096];
	size_t n;

	if (!fp)
		fail_msg("cannot open %s", path);
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
		assert_int_equal(sq_buf_add(&b, chunk, n), SQ_OK);
	fclose(fp);
	free(path);
	return sq_buf_detach(&b);
}

/* Split the page into .SS sections of .TP entries. */
static void parse_page(char *text, struct page *pg)
{
	struct section *sec = NULL;
	struct entry *ent = NULL;
	struct sq_buf acc = SQ_BUF_INIT;
	int want_tag = 0;
	char *line, *next;

	memset(pg, 0, sizeof(*pg));
	for (line = text; line && *line; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		if (!strncmp(line, ".SH", 3) || !strncmp(line, ".SS", 3)) {
			if (ent) {
				ent->body = sq_buf_detach(&acc);
				ent = NULL;
			}
			sec = NULL;
			if (!strncmp(line, ".SS", 3)) {
				struct sq_buf t = SQ_BUF_INIT;

				plain_line(line, &t);
				t.data[--t.len] = '\0';   /* the trailing space */
				pg->sections = realloc(pg->sections, (pg->n + 1) * sizeof(*pg->sections));
				assert_non_null(pg->sections);
				sec = &pg->sections[pg->n++];
				memset(sec, 0, sizeof(*sec));
				sec->title = sq_buf_detach(&t);
			}
			continue;
		}
		if (!sec)
			continue;
		if (!strncmp(line, ".TP", 3)) {
			if (ent)
				ent->body = sq_buf_detach(&acc);
			sec->entries = realloc(sec->entries, (sec->n + 1) * sizeof(*sec->entries));
			assert_non_null(sec->entries);
			ent = &sec->entries[sec->n++];
			memset(ent, 0, sizeof(*ent));
			want_tag = 1;
			continue;
		}
		if (!strncmp(line, ".PP", 3)) {
			if (ent)
				ent->body = sq_buf_detach(&acc);
			ent = NULL;
			continue;
		}
		if (!ent)
			continue;
		if (want_tag) {
			struct sq_buf t = SQ_BUF_INIT;

			plain_line(line, &t);
			ent->tag = sq_buf_detach(&t);
			want_tag = 0;
		} else {
			plain_line(line, &acc);
		}
	}
	if (ent)
		ent->body = sq_buf_detach(&acc);
	sq_buf_release(&acc);
}

static void page_free(struct page *pg)
{
	size_t i, j;

	for (i = 0; i < pg->n; i++) {
		for (j = 0; j < pg->sections[i].n; j++) {
			free(pg->sections[i].entries[j].tag);
			free(pg->sections[i].entries[j].body);
		}
		free(pg->sections[i].entries);
		free(pg->sections[i].title);
	}
	free(pg->sections);
}

static const struct section *find_section(const struct page *pg, const char *title)
{
	size_t i;

	for (i = 0; i < pg->n; i++)
		if (!strcmp(pg->sections[i].title, title))
			return &pg->sections[i];
	return NULL;
}

/* Is word one of the tag's words (separated by anything but [a-z0-9_.[]])? */
static int tag_has(const char *tag, const char *word)
{
	size_t n = strlen(word);
	const char *p;

	for (p = tag; (p = strstr(p, word)); p++) {
		int before = p == tag || !strchr("abcdefghijklmnopqrstuvwxyz0123456789_.[]", p[-1]);
		int after = !p[n] || !strchr("abcdefghijklmnopqrstuvwxyz0123456789_.[]", p[n]);

		if (before && after)
			return 1;
	}
	return 0;
}

static const struct entry *find_entry(const struct section *sec, const char *key)
{
	size_t i;

	for (i = 0; i < sec->n; i++)
		if (sec->entries[i].tag && tag_has(sec->entries[i].tag, key))
			return &sec->entries[i];
	return NULL;
}

/* "suqiu/" SUQIU_VERSION is documented as suqiu/VERSION. */
static void default_as_documented(const char *def, char *out, size_t size)
{
	const char *v = strstr(def, SUQIU_VERSION);

	if (v && strlen(SUQIU_VERSION))
		snprintf(out, size, "%.*sVERSION%s", (int)(v - def), def, v + strlen(SUQIU_VERSION));
	else
		snprintf(out, size, "%s", def);
}

static int check_table(const struct page *pg, const char *title, const struct sq_option *table)
{
	const struct section *sec = find_section(pg, title);
	const struct sq_option *o;
	int problems = 0;
	size_t i;

	if (!sec) {
		print_error("doc/suqiu.yaml.5: no section .SS \"%s\"\n", title);
		return 1;
	}
	for (o = table; o->key; o++) {
		const struct entry *e = find_entry(sec, o->key);
		char def[1024];

		if (!e) {
			print_error("doc/suqiu.yaml.5: section \"%s\" does not document %s\n", title,
				    o->key);
			problems++;
			continue;
		}
		if (o->def) {
			default_as_documented(o->def, def, sizeof(def));
			if (!e->body || !strstr(e->body, def)) {
				print_error("doc/suqiu.yaml.5: %s %s: default \"%s\" not stated in: %s\n",
					    title, o->key, def, e->body ? e->body : "");
				problems++;
			}
		}
		if ((o->flags & SQ_OPT_REQUIRED) && (!e->body || !strcasestr(e->body, "required"))) {
			print_error("doc/suqiu.yaml.5: %s %s: not said to be required\n", title, o->key);
			problems++;
		}
		if (o->type == SQ_OPT_SECRET) {
			char file_key[128];

			snprintf(file_key, sizeof(file_key), "%s_file", o->key);
			if (!tag_has(e->tag, file_key)) {
				print_error("doc/suqiu.yaml.5: %s %s: the entry does not name %s\n", title,
					    o->key, file_key);
				problems++;
			}
		}
	}
	/* The other way round: no entry for a key the table lacks. */
	for (i = 0; i < sec->n; i++) {
		const char *tag = sec->entries[i].tag;
		int known = 0;

		for (o = table; tag && o->key && !known; o++)
			known = tag_has(tag, o->key);
		if (!known) {
			print_error("doc/suqiu.yaml.5: section \"%s\" documents \"%s\", which is no key "
				    "of its table\n", title, tag ? tag : "(nothing)");
			problems++;
		}
	}
	return problems;
}

static void test_every_config_key_is_documented(void **state)
{
	static const struct {
		const char *title;
		const struct sq_option *table;
	} tables[] = {
		{ "Top level", config_top_options },
		{ "sources[]", config_source_options },
		{ "http", config_http_options },
		{ "alerts.smtp", config_smtp_options },
		{ "dedup", config_dedup_options },
		{ "detect", config_detect_options },
		{ "privacy", config_privacy_options },
	};
	const struct sq_connector *const *c;
	struct page pg;
	char *text = read_page("doc/suqiu.yaml.5");
	int problems = 0;
	size_t i;

	(void)state;
	parse_page(text, &pg);
	for (i = 0; i < sizeof(tables) / sizeof(tables[0]); i++) {
		/* The top level also documents its sections (sources:, http:, ...):
		 * only keys the table has are checked one way there. */
		if (!strcmp(tables[i].title, "Top level")) {
			const struct section *sec = find_section(&pg, "Top level");
			const struct sq_option *o;

			assert_non_null(sec);
			for (o = tables[i].table; o->key; o++) {
				const struct entry *e = find_entry(sec, o->key);

				if (!e || (o->def && !strstr(e->body, o->def))) {
					print_error("doc/suqiu.yaml.5: top-level %s missing or without "
						    "its default %s\n", o->key, o->def ? o->def : "");
					problems++;
				}
			}
			continue;
		}
		problems += check_table(&pg, tables[i].title, tables[i].table);
	}
	for (c = connector_all(); *c; c++) {
		char title[128];

		snprintf(title, sizeof(title), "sources[] of type %s", (*c)->type);
		problems += check_table(&pg, title, (*c)->options);
	}
	page_free(&pg);
	free(text);
	assert_int_equal(problems, 0);
}

/* The parser itself: escapes, quotes and tags as the check relies on them. */
static void test_plain_text_of_roff(void **state)
{
	struct sq_buf b = SQ_BUF_INIT;

	(void)state;
	plain_line(".BR \"[\\[u8DF3]\\[u697C], x]\" .", &b);
	assert_string_equal(b.data, "[跳楼, x] . ");
	sq_buf_reset(&b);
	plain_line("Default \\fB\\-4.0\\fR and \\(dq18\\-08\\(dq\\&.", &b);
	assert_string_equal(b.data, "Default -4.0 and \"18-08\". ");
	sq_buf_reset(&b);
	plain_line(".\\\" a comment", &b);
	assert_string_equal(sq_buf_str(&b), "");
	sq_buf_release(&b);
	assert_true(tag_has("app_secret_file, app_secret ", "app_secret"));
	assert_true(tag_has("app_secret_file, app_secret ", "app_secret_file"));
	assert_false(tag_has("app_secret_file ", "app_secret"));
	assert_false(tag_has("weight_text_high ", "weight_text"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_plain_text_of_roff),
		cmocka_unit_test(test_every_config_key_is_documented),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
