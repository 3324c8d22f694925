/*
 * taxonomy.c — load config/taxonomy.yaml with libyaml's document API and
 * answer label and compatibility look-ups (see taxonomy.h).
 *
 * The label and category tables are small (tens of keys, a few hundred
 * labels), so their look-ups are linear scans over canonical strings:
 * simpler than a hash table and far below the cost of anything else done
 * per record.  The problem words are the exception: linking looks for them
 * at every character of every candidate's text, so each first character
 * leads through a small hash table to its run of words.
 */
#include "taxonomy.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <yaml.h>

#include "buf.h"
#include "yamlcfg.h"
#include "banned.h"

/* Longest label looked up; longer raw labels are simply unmapped. */
#define TAX_LABEL_MAX 512
/* Largest taxonomy file read. */
#define TAX_FILE_MAX (4u << 20)

struct tax_cat {
	char *key;
	char *name;
};

struct tax_entry {
	char *label;       /* canonical */
	const char *key;   /* a tax_cat key */
	int line;          /* for "mapped twice" messages */
};

struct tax_feed {
	char *type;
	char *sep;         /* NULL: exact labels */
	struct tax_entry *entries;
	size_t n;
};

struct tax_pair {
	const char *a, *b;
};

/* No problem: a word of not_problems:. */
#define TAX_NO_PROBLEM ((size_t)-1)

/* A word of problems:, and the problem (index into problems) it names. */
struct tax_word {
	char *word;        /* as written, ASCII lower-cased */
	size_t len;
	size_t problem;    /* or TAX_NO_PROBLEM */
};

/* words[first, end) begin with the character ch (its UTF-8 bytes, 0: free). */
struct tax_run {
	uint32_t ch;
	uint32_t first, end;
};

struct sq_taxonomy {
	struct tax_cat *cats;
	size_t ncats;
	struct tax_pair *related;
	size_t nrelated;
	struct tax_feed *feeds;
	size_t nfeeds;
	char **problems;          /* keys of problems:, in file order */
	size_t nproblems;
	struct tax_word *words;   /* sorted by word (strcmp) once loaded */
	size_t nwords;
	/* The run of words beginning with each first character, found by
	 * hashing the character: most characters of a text begin no word and
	 * are passed over after one probe. */
	struct tax_run *runs;
	size_t run_mask;          /* slots - 1 (a power of two) */
	unsigned char *prelated;  /* nproblems x nproblems: related_problems: */
	unsigned char *crelated;  /* ncats x ncats: related: (built from related) */
};

/* Bytes of the UTF-8 character s starts with (1 for a stray byte). */
static size_t char_len(const char *s)
{
	unsigned char c = (unsigned char)*s;
	size_t n = c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 1, i;

	for (i = 1; i < n; i++)
		if (((unsigned char)s[i] & 0xc0) != 0x80)
			return 1;
	return n;
}

/* The character of n (1-4) bytes at s as one number: its UTF-8 bytes. */
static uint32_t char_code(const char *s, size_t n)
{
	uint32_t c = 0;
	size_t i;

	for (i = 0; i < n; i++)
		c = c << 8 | (unsigned char)s[i];
	return c;
}

static size_t run_slot(const struct sq_taxonomy *tax, uint32_t ch)
{
	size_t slot = (size_t)((ch * 2654435761u) >> 7) & tax->run_mask;

	while (tax->runs[slot].ch && tax->runs[slot].ch != ch)
		slot = (slot + 1) & tax->run_mask;
	return slot;
}

/*
 * The words beginning with the n bytes of one character at s: [*first, end)
 * (empty at a free slot, which calloc left 0, 0).
 */
static size_t words_starting(const struct sq_taxonomy *tax, const char *s, size_t n,
			     size_t *first)
{
	const struct tax_run *r = &tax->runs[run_slot(tax, char_code(s, n))];

	*first = r->first;
	return r->end;
}

/* The runs of the sorted words, at most half the slots full. */
static sq_err index_first_chars(struct sq_taxonomy *tax, struct sq_error *err)
{
	size_t slots = 16, i;

	while (slots < 2 * tax->nwords)
		slots *= 2;
	tax->runs = calloc(slots, sizeof(*tax->runs));
	if (!tax->runs)
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	tax->run_mask = slots - 1;
	for (i = 0; i < tax->nwords; i++) {
		uint32_t ch = char_code(tax->words[i].word, char_len(tax->words[i].word));
		struct tax_run *r = &tax->runs[run_slot(tax, ch)];

		if (!r->ch) {
			r->ch = ch;
			r->first = (uint32_t)i;
		}
		r->end = (uint32_t)i + 1;
	}
	return SQ_OK;
}

/* Loading state: the parsed document and where messages point. */
struct loader {
	const char *name;
	yaml_document_t *doc;
	struct sq_taxonomy *tax;
	struct sq_error *err;
};

/* ------------------------------------------------------------------ */

/*
 * Canonical form of a label: trimmed, inner whitespace runs as one space,
 * no whitespace around the separator, ASCII lowercase.  Writes at most
 * size bytes with the NUL; returns the length or -1 if it does not fit.
 */
static long canon(const char *s, const char *sep, char *out, size_t size)
{
	size_t seplen = sep ? strlen(sep) : 0, n = 0;
	int space = 0, after_sep = 0;

	while (*s) {
		char c = *s;

		if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
			space = 1;
			s++;
			continue;
		}
		if (seplen && !strncmp(s, sep, seplen)) {
			if (n + seplen >= size)
				return -1;
			memcpy(out + n, sep, seplen);
			n += seplen;
			s += seplen;
			space = 0;
			after_sep = 1;
			continue;
		}
		if (space && n && !after_sep) {
			if (n + 1 >= size)
				return -1;
			out[n++] = ' ';
		}
		space = after_sep = 0;
		if (n + 1 >= size)
			return -1;
		out[n++] = c >= 'A' && c <= 'Z' ? (char)(c - 'A' + 'a') : c;
		s++;
	}
	out[n] = '\0';
	return (long)n;
}

static sq_err fail_at(struct loader *L, const yaml_node_t *node, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static sq_err fail_at(struct loader *L, const yaml_node_t *node, const char *fmt, ...)
{
	char msg[SQ_ERRMSG_MAX];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sq_fail(L->err, SQ_ECONFIG, "%s:%lu:%lu: %s", L->name,
		       node ? (unsigned long)node->start_mark.line + 1 : 1UL,
		       node ? (unsigned long)node->start_mark.column + 1 : 1UL, msg);
}

static const char *scalar(const yaml_node_t *node)
{
	return node && node->type == YAML_SCALAR_NODE ? (const char *)node->data.scalar.value : NULL;
}

static int valid_key(const char *s)
{
	if (!s || !(*s >= 'a' && *s <= 'z'))
		return 0;
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') || *s == '_'))
			return 0;
	return 1;
}

static const struct tax_cat *find_cat(const struct sq_taxonomy *tax, const char *key)
{
	size_t i;

	/* Record linkage asks for two keys per candidate pair: the first
	 * byte rules out most categories without a call to strcmp. */
	for (i = 0; key && i < tax->ncats; i++)
		if (tax->cats[i].key[0] == key[0] && !strcmp(tax->cats[i].key, key))
			return &tax->cats[i];
	return NULL;
}

static void *grow_array(void *p, size_t n, size_t elem)
{
	if (n > ((size_t)-1) / elem / 2)
		return NULL;
	return realloc(p, (n ? n : 1) * elem);
}

#define NODE(L, id) yaml_document_get_node((L)->doc, (id))

static sq_err load_categories(struct loader *L, yaml_node_t *node)
{
	yaml_node_pair_t *p;

	if (node->type != YAML_MAPPING_NODE)
		return fail_at(L, node, "categories: expected a mapping of key: display name");
	for (p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *k = NODE(L, p->key), *v = NODE(L, p->value);
		const char *key = scalar(k), *name = scalar(v);
		struct tax_cat *cats;

		if (!valid_key(key))
			return fail_at(L, k, "categories: bad key \"%s\" (use lowercase letters, digits and _)",
				       key ? key : "");
		if (find_cat(L->tax, key))
			return fail_at(L, k, "categories: %s declared twice", key);
		if (!name || !*name)
			return fail_at(L, v ? v : k, "categories: %s needs a display name", key);
		cats = grow_array(L->tax->cats, L->tax->ncats + 1, sizeof(*cats));
		if (!cats)
			return sq_fail(L->err, SQ_ENOMEM, "out of memory");
		L->tax->cats = cats;
		cats[L->tax->ncats].key = sq_strdup(key);
		cats[L->tax->ncats].name = sq_strdup(name);
		if (!cats[L->tax->ncats].key || !cats[L->tax->ncats].name) {
			free(cats[L->tax->ncats].key);
			free(cats[L->tax->ncats].name);
			return sq_fail(L->err, SQ_ENOMEM, "out of memory");
		}
		L->tax->ncats++;
	}
	if (!L->tax->ncats)
		return fail_at(L, node, "categories: no category declared");
	return SQ_OK;
}

static sq_err add_pair(struct loader *L, const char *a, const char *b)
{
	struct tax_pair *pairs;

	pairs = grow_array(L->tax->related, L->tax->nrelated + 1, sizeof(*pairs));
	if (!pairs)
		return sq_fail(L->err, SQ_ENOMEM, "out of memory");
	L->tax->related = pairs;
	pairs[L->tax->nrelated].a = a;
	pairs[L->tax->nrelated].b = b;
	L->tax->nrelated++;
	return SQ_OK;
}

/* related: a sequence of lists; every two keys in one list are related. */
static sq_err load_related(struct loader *L, yaml_node_t *node)
{
	yaml_node_item_t *it, *a, *b;

	if (node->type != YAML_SEQUENCE_NODE)
		return fail_at(L, node, "related: expected a list of [key, key, ...] lists");
	for (it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
		yaml_node_t *group = NODE(L, *it);

		if (!group || group->type != YAML_SEQUENCE_NODE ||
		    group->data.sequence.items.top - group->data.sequence.items.start < 2)
			return fail_at(L, group, "related: each entry is a list of two or more keys");
		for (a = group->data.sequence.items.start; a < group->data.sequence.items.top; a++) {
			yaml_node_t *na = NODE(L, *a);
			const struct tax_cat *ca = find_cat(L->tax, scalar(na));

			if (!ca)
				return fail_at(L, na, "related: \"%s\" is not a declared category",
					       scalar(na) ? scalar(na) : "");
			for (b = group->data.sequence.items.start; b < a; b++) {
				const struct tax_cat *cb = find_cat(L->tax, scalar(NODE(L, *b)));

				if (cb == ca)
					return fail_at(L, na, "related: %s listed twice in one entry", ca->key);
				if (add_pair(L, cb->key, ca->key))
					return SQ_ENOMEM;
			}
		}
	}
	return SQ_OK;
}

static sq_err load_map(struct loader *L, struct tax_feed *f, yaml_node_t *node)
{
	yaml_node_pair_t *p;

	if (node->type != YAML_MAPPING_NODE)
		return fail_at(L, node, "feeds.%s.map: expected a mapping of label: key", f->type);
	for (p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *k = NODE(L, p->key), *v = NODE(L, p->value);
		const char *label = scalar(k), *key = scalar(v);
		const struct tax_cat *cat;
		struct tax_entry *e;
		char buf[TAX_LABEL_MAX];
		size_t i;

		if (!label || canon(label, f->sep, buf, sizeof(buf)) <= 0)
			return fail_at(L, k, "feeds.%s.map: a label must be a non-empty string of at most %d bytes",
				       f->type, TAX_LABEL_MAX - 1);
		cat = find_cat(L->tax, key);
		if (!cat)
			return fail_at(L, v ? v : k, "feeds.%s.map: \"%s\" is not a declared category",
				       f->type, key ? key : "");
		for (i = 0; i < f->n; i++)
			if (!strcmp(f->entries[i].label, buf))
				return fail_at(L, k, "feeds.%s.map: label \"%s\" mapped twice (first on line %d)",
					       f->type, label, f->entries[i].line);
		e = grow_array(f->entries, f->n + 1, sizeof(*e));
		if (!e)
			return sq_fail(L->err, SQ_ENOMEM, "out of memory");
		f->entries = e;
		e[f->n].label = sq_strdup(buf);
		if (!e[f->n].label)
			return sq_fail(L->err, SQ_ENOMEM, "out of memory");
		e[f->n].key = cat->key;
		e[f->n].line = (int)k->start_mark.line + 1;
		f->n++;
	}
	return SQ_OK;
}

static sq_err load_feed(struct loader *L, yaml_node_t *kn, yaml_node_t *node)
{
	const char *type = scalar(kn);
	yaml_node_t *map = NULL;
	yaml_node_pair_t *p;
	struct tax_feed *feeds, *f;
	size_t i;

	if (!valid_key(type))
		return fail_at(L, kn, "feeds: bad feed type \"%s\"", type ? type : "");
	for (i = 0; i < L->tax->nfeeds; i++)
		if (!strcmp(L->tax->feeds[i].type, type))
			return fail_at(L, kn, "feeds: %s declared twice", type);
	if (node->type != YAML_MAPPING_NODE)
		return fail_at(L, node, "feeds.%s: expected a mapping with map: (and separator:)", type);
	feeds = grow_array(L->tax->feeds, L->tax->nfeeds + 1, sizeof(*feeds));
	if (!feeds)
		return sq_fail(L->err, SQ_ENOMEM, "out of memory");
	L->tax->feeds = feeds;
	f = &feeds[L->tax->nfeeds];
	memset(f, 0, sizeof(*f));
	f->type = sq_strdup(type);
	if (!f->type)
		return sq_fail(L->err, SQ_ENOMEM, "out of memory");
	L->tax->nfeeds++;
	for (p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *k = NODE(L, p->key), *v = NODE(L, p->value);
		const char *name = scalar(k);

		if (name && !strcmp(name, "separator")) {
			const char *sep = scalar(v);

			if (f->sep)
				return fail_at(L, k, "feeds.%s: separator given twice", type);
			if (!sep || !*sep || strlen(sep) > 8 || strpbrk(sep, " \t\r\n"))
				return fail_at(L, v ? v : k,
					       "feeds.%s.separator: expected 1 to 8 characters without spaces", type);
			f->sep = sq_strdup(sep);
			if (!f->sep)
				return sq_fail(L->err, SQ_ENOMEM, "out of memory");
		} else if (name && !strcmp(name, "map")) {
			if (map)
				return fail_at(L, k, "feeds.%s: map given twice", type);
			map = v;
		} else {
			return fail_at(L, k, "feeds.%s: unknown key \"%s\" (expected separator or map)",
				       type, name ? name : "");
		}
	}
	if (!map)
		return fail_at(L, node, "feeds.%s: missing map:", type);
	/* The separator shapes the canonical labels, so map comes after it. */
	return load_map(L, f, map);
}

static sq_err load_feeds(struct loader *L, yaml_node_t *node)
{
	yaml_node_pair_t *p;
	sq_err rc;

	if (node->type != YAML_MAPPING_NODE)
		return fail_at(L, node, "feeds: expected a mapping of feed type: {separator, map}");
	for (p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++)
		if ((rc = load_feed(L, NODE(L, p->key), NODE(L, p->value))))
			return rc;
	return SQ_OK;
}

/* Longest word of problems:, in bytes. */
#define TAX_WORD_MAX 64

/* Word node, for problem (or TAX_NO_PROBLEM) of section key ("problems.lift"). */
static sq_err add_word(struct loader *L, yaml_node_t *node, const char *key, size_t problem)
{
	const char *w = scalar(node);
	struct tax_word *words;
	size_t i, len;
	char *copy;

	len = w ? strlen(w) : 0;
	if (!len || len > TAX_WORD_MAX || strpbrk(w, " \t\r\n"))
		return fail_at(L, node, "%s: a word must be a non-empty string of at most %d bytes without spaces",
			       key, TAX_WORD_MAX);
	copy = sq_strdup(w);
	if (!copy)
		return sq_fail(L->err, SQ_ENOMEM, "out of memory");
	/* the texts it is looked for in are folded: ASCII lower-cased */
	for (i = 0; i < len; i++)
		if (copy[i] >= 'A' && copy[i] <= 'Z')
			copy[i] = (char)(copy[i] - 'A' + 'a');
	for (i = 0; i < L->tax->nwords; i++)
		if (!strcmp(L->tax->words[i].word, copy)) {
			free(copy);
			return fail_at(L, node, "%s: \"%s\" is already a word of %s", key, w,
				       L->tax->words[i].problem == TAX_NO_PROBLEM ? "not_problems"
					       : L->tax->problems[L->tax->words[i].problem]);
		}
	words = grow_array(L->tax->words, L->tax->nwords + 1, sizeof(*words));
	if (!words) {
		free(copy);
		return sq_fail(L->err, SQ_ENOMEM, "out of memory");
	}
	L->tax->words = words;
	words[L->tax->nwords].word = copy;
	words[L->tax->nwords].len = len;
	words[L->tax->nwords].problem = problem;
	L->tax->nwords++;
	return SQ_OK;
}

static int cmp_word(const void *a, const void *b)
{
	return strcmp(((const struct tax_word *)a)->word, ((const struct tax_word *)b)->word);
}

/* problems: key -> list of words that name it. */
static sq_err load_problems(struct loader *L, yaml_node_t *node)
{
	yaml_node_pair_t *p;
	yaml_node_item_t *it;
	char section[96];
	size_t i;
	sq_err rc;

	if (node->type != YAML_MAPPING_NODE)
		return fail_at(L, node, "problems: expected a mapping of key: [word, ...]");
	for (p = node->data.mapping.pairs.start; p < node->data.mapping.pairs.top; p++) {
		yaml_node_t *k = NODE(L, p->key), *v = NODE(L, p->value);
		const char *key = scalar(k);
		char **problems;

		if (!valid_key(key))
			return fail_at(L, k, "problems: bad key \"%s\" (use lowercase letters, digits and _)",
				       key ? key : "");
		for (i = 0; i < L->tax->nproblems; i++)
			if (!strcmp(L->tax->problems[i], key))
				return fail_at(L, k, "problems: %s declared twice", key);
		if (!v || v->type != YAML_SEQUENCE_NODE ||
		    v->data.sequence.items.top == v->data.sequence.items.start)
			return fail_at(L, v ? v : k, "problems.%s: expected a list of one or more words", key);
		problems = grow_array(L->tax->problems, L->tax->nproblems + 1, sizeof(*problems));
		if (!problems)
			return sq_fail(L->err, SQ_ENOMEM, "out of memory");
		L->tax->problems = problems;
		problems[L->tax->nproblems] = sq_strdup(key);
		if (!problems[L->tax->nproblems])
			return sq_fail(L->err, SQ_ENOMEM, "out of memory");
		L->tax->nproblems++;
		snprintf(section, sizeof(section), "problems.%s", key);
		for (it = v->data.sequence.items.start; it < v->data.sequence.items.top; it++)
			if ((rc = add_word(L, NODE(L, *it), section, L->tax->nproblems - 1)))
				return rc;
	}
	return SQ_OK;
}

/*
 * not_problems: words that contain a problem's word but name a place or
 * someone to call (停车场, 电梯口, 燃气公司): found like any word, so the
 * shorter word inside does not count, and naming nothing.
 */
static sq_err load_not_problems(struct loader *L, yaml_node_t *node)
{
	yaml_node_item_t *it;
	sq_err rc;

	if (node->type != YAML_SEQUENCE_NODE)
		return fail_at(L, node, "not_problems: expected a list of words");
	for (it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++)
		if ((rc = add_word(L, NODE(L, *it), "not_problems", TAX_NO_PROBLEM)))
			return rc;
	return SQ_OK;
}

static long find_problem(const struct sq_taxonomy *tax, const char *key, size_t len)
{
	size_t i;

	for (i = 0; key && i < tax->nproblems; i++)
		if (!strncmp(tax->problems[i], key, len) && !tax->problems[i][len])
			return (long)i;
	return -1;
}

/* crelated from the related: pairs, one byte per two categories. */
static sq_err relate_categories(struct loader *L)
{
	struct sq_taxonomy *tax = L->tax;
	size_t n = tax->ncats, i, a, b;

	tax->crelated = calloc(n ? n * n : 1, 1);
	if (!tax->crelated)
		return sq_fail(L->err, SQ_ENOMEM, "out of memory");
	for (i = 0; i < tax->nrelated; i++) {
		a = taxonomy_category_ref(tax, tax->related[i].a);
		b = taxonomy_category_ref(tax, tax->related[i].b);
		if (!a || !b)
			continue;   /* add_pair takes declared keys only */
		tax->crelated[(a - 1) * n + (b - 1)] = 1;
		tax->crelated[(b - 1) * n + (a - 1)] = 1;
	}
	return SQ_OK;
}

/* related_problems: lists of problem keys; every two in one list are related. */
static sq_err load_related_problems(struct loader *L, yaml_node_t *node)
{
	size_t n = L->tax->nproblems;
	yaml_node_item_t *it, *a, *b;

	if (node->type != YAML_SEQUENCE_NODE)
		return fail_at(L, node, "related_problems: expected a list of [key, key, ...] lists");
	L->tax->prelated = calloc(n ? n * n : 1, 1);
	if (!L->tax->prelated)
		return sq_fail(L->err, SQ_ENOMEM, "out of memory");
	for (it = node->data.sequence.items.start; it < node->data.sequence.items.top; it++) {
		yaml_node_t *group = NODE(L, *it);

		if (!group || group->type != YAML_SEQUENCE_NODE ||
		    group->data.sequence.items.top - group->data.sequence.items.start < 2)
			return fail_at(L, group, "related_problems: each entry is a list of two or more keys");
		for (a = group->data.sequence.items.start; a < group->data.sequence.items.top; a++) {
			yaml_node_t *na = NODE(L, *a);
			const char *ka = scalar(na);
			long ia = ka ? find_problem(L->tax, ka, strlen(ka)) : -1;

			if (ia < 0)
				return fail_at(L, na, "related_problems: \"%s\" is not a key of problems:",
					       ka ? ka : "");
			for (b = group->data.sequence.items.start; b < a; b++) {
				const char *kb = scalar(NODE(L, *b));
				long ib = find_problem(L->tax, kb, strlen(kb));

				if (ib == ia)
					return fail_at(L, na, "related_problems: %s listed twice in one entry", ka);
				L->tax->prelated[(size_t)ia * n + (size_t)ib] = 1;
				L->tax->prelated[(size_t)ib * n + (size_t)ia] = 1;
			}
		}
	}
	return SQ_OK;
}

static sq_err load_root(struct loader *L)
{
	yaml_node_t *root = yaml_document_get_root_node(L->doc);
	yaml_node_t *cats = NULL, *related = NULL, *feeds = NULL, *problems = NULL;
	yaml_node_t *related_problems = NULL, *not_problems = NULL;
	yaml_node_pair_t *p;
	sq_err rc;

	if (!root)
		return fail_at(L, NULL, "empty taxonomy (expected categories:, related:, feeds:)");
	if (root->type != YAML_MAPPING_NODE)
		return fail_at(L, root, "expected a mapping with categories:, related: and feeds:");
	for (p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
		yaml_node_t *k = NODE(L, p->key), *v = NODE(L, p->value), **slot;
		const char *name = scalar(k);

		if (name && !strcmp(name, "categories"))
			slot = &cats;
		else if (name && !strcmp(name, "related"))
			slot = &related;
		else if (name && !strcmp(name, "feeds"))
			slot = &feeds;
		else if (name && !strcmp(name, "problems"))
			slot = &problems;
		else if (name && !strcmp(name, "related_problems"))
			slot = &related_problems;
		else if (name && !strcmp(name, "not_problems"))
			slot = &not_problems;
		else
			return fail_at(L, k, "unknown key \"%s\" (expected categories, related, feeds, problems, related_problems or not_problems)",
				       name ? name : "");
		if (*slot)
			return fail_at(L, k, "%s given twice", name);
		*slot = v;
	}
	if (!cats)
		return fail_at(L, root, "missing categories:");
	/* Categories first: related and feeds refer to them, wherever they are written. */
	if ((rc = load_categories(L, cats)))
		return rc;
	if (related && (rc = load_related(L, related)))
		return rc;
	if ((rc = relate_categories(L)))
		return rc;
	if (feeds && (rc = load_feeds(L, feeds)))
		return rc;
	if (problems && (rc = load_problems(L, problems)))
		return rc;
	if (related_problems && (rc = load_related_problems(L, related_problems)))
		return rc;
	if (not_problems && (rc = load_not_problems(L, not_problems)))
		return rc;
	if (!L->tax->nwords)
		return SQ_OK;
	qsort(L->tax->words, L->tax->nwords, sizeof(*L->tax->words), cmp_word);
	return index_first_chars(L->tax, L->err);
}

/* Line and column (from 1, columns in bytes) of byte offset in text. */
static void offset_to_mark(const char *text, size_t len, size_t offset,
			   unsigned long *line, unsigned long *col)
{
	size_t i;

	*line = 1;
	*col = 1;
	for (i = 0; i < offset && i < len; i++) {
		if (text[i] == '\n') {
			(*line)++;
			*col = 1;
		} else {
			(*col)++;
		}
	}
}

sq_err taxonomy_load_buffer(const char *name, const char *text, size_t len,
			    struct sq_taxonomy **out, struct sq_error *err)
{
	struct loader L = { name ? name : "taxonomy", NULL, NULL, err };
	yaml_parser_t parser;
	yaml_document_t doc;
	sq_err rc;

	*out = NULL;
	L.tax = calloc(1, sizeof(*L.tax));
	if (!L.tax)
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	if (!yaml_parser_initialize(&parser)) {
		free(L.tax);
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &doc)) {
		unsigned long line = parser.problem_mark.line + 1, col = parser.problem_mark.column + 1;

		/* The reader (bad UTF-8) gives a byte offset, not a mark. */
		if (parser.error == YAML_READER_ERROR)
			offset_to_mark(text, len, parser.problem_offset, &line, &col);
		if (ycfg_parser_out_of_memory(&parser))
			rc = sq_fail(err, SQ_ENOMEM, "out of memory");
		else
			rc = sq_fail(err, SQ_ECONFIG, "%s:%lu:%lu: %s%s%s", L.name, line, col,
				     parser.problem ? parser.problem : "YAML error",
				     parser.context ? " " : "", parser.context ? parser.context : "");
		yaml_parser_delete(&parser);
		free(L.tax);
		return rc;
	}
	L.doc = &doc;
	rc = load_root(&L);
	yaml_document_delete(&doc);
	yaml_parser_delete(&parser);
	if (rc) {
		taxonomy_free(L.tax);
		return rc;
	}
	*out = L.tax;
	return SQ_OK;
}

sq_err taxonomy_load(const char *path, struct sq_taxonomy **out, struct sq_error *err)
{
	struct sq_buf b = SQ_BUF_INIT;
	char chunk[8192];
	size_t n;
	FILE *fp;
	sq_err rc;

	*out = NULL;
	fp = fopen(path, "rb");
	if (!fp)
		return sq_fail(err, SQ_EIO, "%s: cannot open taxonomy: %s", path, strerror(errno));
	while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0) {
		if (b.len + n > TAX_FILE_MAX) {
			fclose(fp);
			sq_buf_release(&b);
			return sq_fail(err, SQ_ECONFIG, "%s: taxonomy file is larger than %u bytes",
				       path, TAX_FILE_MAX);
		}
		if (sq_buf_add(&b, chunk, n)) {
			fclose(fp);
			sq_buf_release(&b);
			return sq_fail(err, SQ_ENOMEM, "out of memory");
		}
	}
	if (ferror(fp)) {
		rc = sq_fail(err, SQ_EIO, "%s: cannot read taxonomy: %s", path, strerror(errno));
		fclose(fp);
		sq_buf_release(&b);
		return rc;
	}
	fclose(fp);
	rc = taxonomy_load_buffer(path, b.data ? b.data : "", b.len, out, err);
	sq_buf_release(&b);
	return rc;
}

void taxonomy_free(struct sq_taxonomy *tax)
{
	size_t i, j;

	if (!tax)
		return;
	for (i = 0; i < tax->ncats; i++) {
		free(tax->cats[i].key);
		free(tax->cats[i].name);
	}
	free(tax->cats);
	free(tax->related);
	for (i = 0; i < tax->nfeeds; i++) {
		for (j = 0; j < tax->feeds[i].n; j++)
			free(tax->feeds[i].entries[j].label);
		free(tax->feeds[i].entries);
		free(tax->feeds[i].type);
		free(tax->feeds[i].sep);
	}
	free(tax->feeds);
	for (i = 0; i < tax->nproblems; i++)
		free(tax->problems[i]);
	free(tax->problems);
	for (i = 0; i < tax->nwords; i++)
		free(tax->words[i].word);
	free(tax->words);
	free(tax->runs);
	free(tax->prelated);
	free(tax->crelated);
	free(tax);
}

static const char *lookup(const struct tax_feed *f, const char *label, size_t len)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (!strncmp(f->entries[i].label, label, len) && f->entries[i].label[len] == '\0')
			return f->entries[i].key;
	return NULL;
}

const char *taxonomy_map(const struct sq_taxonomy *tax, const char *feed_type,
			 const char *raw_label)
{
	const struct tax_feed *f = NULL;
	char buf[TAX_LABEL_MAX];
	size_t i, seplen;
	long len;

	if (!tax || !feed_type || !raw_label)
		return NULL;
	for (i = 0; i < tax->nfeeds; i++)
		if (!strcmp(tax->feeds[i].type, feed_type))
			f = &tax->feeds[i];
	if (!f)
		return NULL;
	len = canon(raw_label, f->sep, buf, sizeof(buf));
	if (len <= 0)
		return NULL;
	if (!f->sep)
		return lookup(f, buf, (size_t)len);
	/* Longest prefix that ends at a level boundary. */
	seplen = strlen(f->sep);
	for (;;) {
		const char *key = lookup(f, buf, (size_t)len), *cut = NULL, *s;

		if (key)
			return key;
		for (s = buf; (s = strstr(s, f->sep)) && s < buf + len; s += seplen)
			cut = s;
		if (!cut || cut == buf)
			return NULL;
		len = cut - buf;
		buf[len] = '\0';
	}
}

const char *taxonomy_display(const struct sq_taxonomy *tax, const char *key)
{
	const struct tax_cat *c = tax ? find_cat(tax, key) : NULL;

	return c ? c->name : NULL;
}

int taxonomy_has(const struct sq_taxonomy *tax, const char *key)
{
	return tax && find_cat(tax, key) != NULL;
}

size_t taxonomy_count(const struct sq_taxonomy *tax)
{
	return tax ? tax->ncats : 0;
}

const char *taxonomy_key_at(const struct sq_taxonomy *tax, size_t i)
{
	return tax && i < tax->ncats ? tax->cats[i].key : NULL;
}

enum tax_compat taxonomy_compatible(const struct sq_taxonomy *tax, const char *key_a,
				    const char *key_b)
{
	return taxonomy_compatible_ref(tax, taxonomy_category_ref(tax, key_a),
				       taxonomy_category_ref(tax, key_b));
}

size_t taxonomy_category_ref(const struct sq_taxonomy *tax, const char *key)
{
	const struct tax_cat *c = tax ? find_cat(tax, key) : NULL;

	return c ? (size_t)(c - tax->cats) + 1 : 0;
}

enum tax_compat taxonomy_compatible_ref(const struct sq_taxonomy *tax, size_t ref_a,
					size_t ref_b)
{
	if (!tax || !ref_a || !ref_b || ref_a > tax->ncats || ref_b > tax->ncats)
		return TAX_UNKNOWN;
	if (ref_a == ref_b)
		return TAX_SAME;
	return tax->crelated && tax->crelated[(ref_a - 1) * tax->ncats + (ref_b - 1)]
		       ? TAX_RELATED
		       : TAX_UNRELATED;
}

const char *taxonomy_compat_name(enum tax_compat c)
{
	switch (c) {
	case TAX_SAME: return "same";
	case TAX_RELATED: return "related";
	case TAX_UNRELATED: return "unrelated";
	case TAX_UNKNOWN: break;
	}
	return "unknown";
}

size_t taxonomy_problem_count(const struct sq_taxonomy *tax)
{
	return tax ? tax->nproblems : 0;
}

/* A word found in a text: where, how long, which problem. */
struct tax_hit {
	size_t pos, len, problem;
};

/* Longest first; of two as long, the earlier. */
static int cmp_hit(const void *a, const void *b)
{
	const struct tax_hit *x = a, *y = b;

	if (x->len != y->len)
		return x->len < y->len ? 1 : -1;
	return x->pos < y->pos ? -1 : x->pos > y->pos;
}

/* Every word occurring in text, into *hits (malloc'd). */
static sq_err find_words(const struct sq_taxonomy *tax, const char *text, size_t len,
			 struct tax_hit **hits, size_t *nhits)
{
	size_t pos, n, i, end, cap = 0;

	*hits = NULL;
	*nhits = 0;
	for (pos = 0; pos < len; pos += n) {
		n = char_len(text + pos);
		/* a few words per character; their first character matches */
		for (end = words_starting(tax, text + pos, n, &i); i < end; i++) {
			const struct tax_word *w = &tax->words[i];

			if (w->len > len - pos || memcmp(w->word + n, text + pos + n, w->len - n))
				continue;
			if (sq_array_reserve((void **)hits, &cap, *nhits + 1, sizeof(**hits)))
				return SQ_ENOMEM;
			(*hits)[*nhits].pos = pos;
			(*hits)[*nhits].len = w->len;
			(*hits)[*nhits].problem = w->problem;
			(*nhits)++;
		}
	}
	return SQ_OK;
}

sq_err taxonomy_problem_set(const struct sq_taxonomy *tax, const char *text,
			    struct tax_problem_set *out)
{
	struct tax_hit *hits = NULL;
	char *used = NULL, *named = NULL;
	size_t nhits = 0, len = text ? strlen(text) : 0, i, j;
	sq_err rc = SQ_ENOMEM;

	out->n = 0;
	if (!tax || !tax->nwords || !len)
		return SQ_OK;
	if (find_words(tax, text, len, &hits, &nhits))
		goto out;
	used = calloc(len, 1);
	named = calloc(tax->nproblems, 1);
	if (!used || !named)
		goto out;
	/*
	 * Overlapping words: the longest wins, so 建筑垃圾 is debris and not
	 * also rubbish, and 乱停电动车 parks an e-bike rather than cutting
	 * the power (停电 inside it).
	 */
	if (nhits)
		qsort(hits, nhits, sizeof(*hits), cmp_hit);
	for (i = 0; i < nhits; i++) {
		for (j = 0; j < hits[i].len && !used[hits[i].pos + j]; j++)
			;
		if (j < hits[i].len)
			continue;
		memset(used + hits[i].pos, 1, hits[i].len);
		if (hits[i].problem != TAX_NO_PROBLEM)
			named[hits[i].problem] = 1;
	}
	for (i = 0; i < tax->nproblems && out->n < TAX_PROBLEMS_MAX; i++)
		if (named[i])
			out->key[out->n++] = (uint32_t)i;
	rc = SQ_OK;
out:
	free(hits);
	free(used);
	free(named);
	return rc;
}

enum tax_compat taxonomy_problem_sets_compat(const struct sq_taxonomy *tax,
					     const struct tax_problem_set *a,
					     const struct tax_problem_set *b)
{
	enum tax_compat best = TAX_UNRELATED;
	size_t i, j, n;

	if (!tax || !a || !b || !a->n || !b->n)
		return TAX_UNKNOWN;
	n = tax->nproblems;
	for (i = 0; i < a->n; i++)
		for (j = 0; j < b->n; j++) {
			if (a->key[i] == b->key[j])
				return TAX_SAME;
			if (tax->prelated && tax->prelated[(size_t)a->key[i] * n + b->key[j]])
				best = TAX_RELATED;
		}
	return best;
}

sq_err taxonomy_problems(const struct sq_taxonomy *tax, const char *text, char **out)
{
	struct tax_problem_set set;
	struct sq_buf b = SQ_BUF_INIT;
	size_t i;

	*out = NULL;
	if (taxonomy_problem_set(tax, text, &set))
		return SQ_ENOMEM;
	for (i = 0; i < set.n; i++)
		if (sq_buf_addf(&b, "%s%s", i ? " " : "", tax->problems[set.key[i]])) {
			sq_buf_release(&b);
			return SQ_ENOMEM;
		}
	*out = b.len ? sq_buf_detach(&b) : sq_strdup("");
	return *out ? SQ_OK : SQ_ENOMEM;
}

/* The keys of the space-separated list that problems: declares, as a set. */
static void problem_list_set(const struct sq_taxonomy *tax, const char *list,
			     struct tax_problem_set *out)
{
	size_t len;
	long i;

	out->n = 0;
	for (; list && *list && out->n < TAX_PROBLEMS_MAX; list += len) {
		len = strcspn(list, " ");
		i = find_problem(tax, list, len);
		if (i >= 0)
			out->key[out->n++] = (uint32_t)i;
		if (list[len])
			len++;
	}
}

enum tax_compat taxonomy_problems_compat(const struct sq_taxonomy *tax, const char *a,
					 const char *b)
{
	struct tax_problem_set sa, sb;

	if (!tax || !a || !b)
		return TAX_UNKNOWN;
	problem_list_set(tax, a, &sa);
	problem_list_set(tax, b, &sb);
	return taxonomy_problem_sets_compat(tax, &sa, &sb);
}
