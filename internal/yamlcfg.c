/*
 * yamlcfg.c — load YAML mappings into structs by option tables (yamlcfg.h).
 *
 * The document API keeps every node with its start mark, so each error can
 * point at the offending key or value after the whole file parsed; the file
 * is small, so holding the tree costs nothing worth saving.
 */
#include "yamlcfg.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "readfile.h"
#include "secret.h"
#include "banned.h"

#define FIELD(row, base) ((void *)((char *)(base) + (row)->offset))

yaml_node_t *ycfg_node(struct ycfg *y, int index)
{
	return yaml_document_get_node(&y->doc, index);
}

const char *ycfg_text(const yaml_node_t *n)
{
	return (const char *)n->data.scalar.value;
}

int ycfg_is_null(const yaml_node_t *n)
{
	const char *t;

	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return 0;
	t = ycfg_text(n);
	return !*t || !strcmp(t, "~") || !strcmp(t, "null") || !strcmp(t, "Null") ||
	       !strcmp(t, "NULL");
}

const char *ycfg_kind(const yaml_node_t *n)
{
	if (ycfg_is_null(n))
		return "nothing";
	if (n->type == YAML_MAPPING_NODE)
		return "a mapping";
	if (n->type == YAML_SEQUENCE_NODE)
		return "a list";
	return "a single value";
}

size_t ycfg_count(const yaml_node_t *seq)
{
	return (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

yaml_node_t *ycfg_item(struct ycfg *y, const yaml_node_t *seq, size_t i)
{
	return ycfg_node(y, seq->data.sequence.items.start[i]);
}

yaml_node_t *ycfg_get(struct ycfg *y, yaml_node_t *map, const char *key)
{
	yaml_node_pair_t *p;
	yaml_node_t *k;

	if (!map || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		k = ycfg_node(y, p->key);
		if (k->type == YAML_SCALAR_NODE && !strcmp(ycfg_text(k), key))
			return ycfg_node(y, p->value);
	}
	return NULL;
}

static sq_err vfail_mark(struct ycfg *y, yaml_mark_t m, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static sq_err vfail_mark(struct ycfg *y, yaml_mark_t m, const char *fmt, va_list ap)
{
	char msg[SQ_ERRMSG_MAX];

	vsnprintf(msg, sizeof(msg), fmt, ap);
	return sq_fail(y->err, SQ_ECONFIG, "%s:%zu:%zu: %s", y->path, m.line + 1, m.column + 1, msg);
}

static sq_err fail_mark(struct ycfg *y, yaml_mark_t m, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static sq_err fail_mark(struct ycfg *y, yaml_mark_t m, const char *fmt, ...)
{
	va_list ap;
	sq_err rc;

	va_start(ap, fmt);
	rc = vfail_mark(y, m, fmt, ap);
	va_end(ap);
	return rc;
}

sq_err ycfg_fail_at(struct ycfg *y, const yaml_node_t *n, const char *fmt, ...)
{
	va_list ap;
	sq_err rc;

	va_start(ap, fmt);
	rc = vfail_mark(y, n->start_mark, fmt, ap);
	va_end(ap);
	return rc;
}

sq_err ycfg_at(struct ycfg *y, const yaml_node_t *n)
{
	return sq_error_prefix(y->err, "%s:%zu:%zu: ", y->path, n->start_mark.line + 1,
			       n->start_mark.column + 1);
}

static sq_err oom(struct ycfg *y)
{
	return sq_fail(y->err, SQ_ENOMEM, "%s: out of memory", y->path);
}

sq_err ycfg_want_scalar(struct ycfg *y, const char *key, const yaml_node_t *null_pos,
			const yaml_node_t *v, enum sq_opt_type type)
{
	if (v->type == YAML_SCALAR_NODE && !ycfg_is_null(v))
		return SQ_OK;
	if (ycfg_is_null(v))
		return ycfg_fail_at(y, null_pos, "%s: no value; give %s or remove the key", key,
				    options_type_name(type));
	return ycfg_fail_at(y, v, "%s: expected %s, found %s", key, options_type_name(type),
			    ycfg_kind(v));
}

sq_err ycfg_resolve(struct ycfg *y, const char *name, char **out)
{
	struct sq_buf b = SQ_BUF_INIT;
	size_t n = strlen(y->dir);

	if (name[0] == '/' || !n)
		*out = strdup(name);
	else if (sq_buf_addf(&b, "%s%s%s", y->dir, y->dir[n - 1] == '/' ? "" : "/", name))
		*out = NULL;
	else
		*out = sq_buf_detach(&b);
	sq_buf_release(&b);
	return *out ? SQ_OK : oom(y);
}

/* ---- keys ---------------------------------------------------------------- */

/* The row that key names: "K", or "K_file" for a SECRET row K. */
static const struct sq_option *find_row(const struct ycfg_schema *s, const char *key,
					int *t, int *is_file)
{
	const struct sq_option *row;
	size_t n = strlen(key);

	for (*t = 0; *t < 2; (*t)++)
		for (row = s->table[*t]; row && row->key; row++) {
			*is_file = 0;
			if (!strcmp(row->key, key))
				return row;
			*is_file = 1;
			if (row->type == SQ_OPT_SECRET && n > 5 && !strcmp(key + n - 5, "_file") &&
			    strlen(row->key) == n - 5 && !strncmp(row->key, key, n - 5))
				return row;
		}
	return NULL;
}

static const struct ycfg_section *find_section(const struct ycfg_section *sub, const char *key)
{
	for (; sub && sub->key; sub++)
		if (!strcmp(sub->key, key))
			return sub;
	return NULL;
}

/* Edit distance with adjacent transpositions (optimal string alignment). */
static int edit_distance(const char *a, const char *b)
{
	size_t n = strlen(a), m = strlen(b), i, j;
	int d[33][33], best;

	if (n > 32 || m > 32)
		return INT_MAX;
	for (i = 0; i <= n; i++)
		for (j = 0; j <= m; j++) {
			if (!i || !j) {
				d[i][j] = (int)(i + j);
				continue;
			}
			best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
			if (d[i - 1][j] + 1 < best)
				best = d[i - 1][j] + 1;
			if (d[i][j - 1] + 1 < best)
				best = d[i][j - 1] + 1;
			if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
			    d[i - 2][j - 2] + 1 < best)
				best = d[i - 2][j - 2] + 1;
			d[i][j] = best;
		}
	return d[n][m];
}

struct suggestion {
	const char *key;
	char best[80];
	int distance;
	struct sq_buf allowed;
	int oom;
};

static void consider(struct suggestion *sg, const char *candidate)
{
	int d = edit_distance(sg->key, candidate);

	if (d < sg->distance) {
		sg->distance = d;
		snprintf(sg->best, sizeof(sg->best), "%s", candidate);
	}
	if ((sg->allowed.len && sq_buf_adds(&sg->allowed, ", ")) ||
	    sq_buf_adds(&sg->allowed, candidate))
		sg->oom = 1;
}

static const char *where(const struct ycfg_schema *s, char *out, size_t size)
{
	if (!*s->name)
		return "at the top level";
	snprintf(out, size, "in %s", s->name);
	return out;
}

static sq_err unknown_key(struct ycfg *y, const yaml_node_t *k, const struct ycfg_schema *s)
{
	struct suggestion sg = { .key = ycfg_text(k), .distance = INT_MAX, .allowed = SQ_BUF_INIT };
	char q[OPTIONS_QUOTE_MAX], file[80], w[128];
	const struct sq_option *row;
	const struct ycfg_section *sec;
	size_t n = strlen(sg.key);
	int t;
	sq_err rc;

	for (t = 0; t < 2; t++)
		for (row = s->table[t]; row && row->key; row++) {
			consider(&sg, row->key);
			snprintf(file, sizeof(file), "%s_file", row->key);
			if (row->type == SQ_OPT_SECRET)
				consider(&sg, file);
		}
	for (sec = s->sub; sec && sec->key; sec++)
		consider(&sg, sec->key);
	options_quote(sg.key, q, sizeof(q));
	if (sg.oom)
		rc = oom(y);
	else if (sg.distance <= (n <= 4 ? 1 : n <= 8 ? 2 : 3))
		rc = ycfg_fail_at(y, k, "unknown key '%s' %s (did you mean '%s'?)", q,
				  where(s, w, sizeof(w)), sg.best);
	else
		rc = ycfg_fail_at(y, k, "unknown key '%s' %s (allowed: %s)", q,
				  where(s, w, sizeof(w)), sq_buf_str(&sg.allowed));
	sq_buf_release(&sg.allowed);
	return rc;
}

static sq_err check_keys(struct ycfg *y, yaml_node_t *map, const struct ycfg_schema *s)
{
	yaml_node_pair_t *p, *q;
	yaml_node_t *k, *first;
	char qk[OPTIONS_QUOTE_MAX];
	int t, is_file;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		k = ycfg_node(y, p->key);
		if (k->type != YAML_SCALAR_NODE || ycfg_is_null(k))
			return ycfg_fail_at(y, k, "keys must be plain names, found %s", ycfg_kind(k));
		options_quote(ycfg_text(k), qk, sizeof(qk));
		for (q = map->data.mapping.pairs.start; q < p; q++) {
			first = ycfg_node(y, q->key);
			if (!strcmp(ycfg_text(first), ycfg_text(k)))
				return ycfg_fail_at(y, k, "duplicate key '%s' (first at line %zu)", qk,
						    first->start_mark.line + 1);
		}
		if (!find_section(s->sub, ycfg_text(k)) && !find_row(s, ycfg_text(k), &t, &is_file))
			return unknown_key(y, k, s);
	}
	return SQ_OK;
}

/* ---- values -------------------------------------------------------------- */

static sq_err set_secret(struct ycfg *y, const struct sq_option *row, void *base,
			 const yaml_node_t *k, const yaml_node_t *v, int is_file)
{
	struct sq_secret *s = FIELD(row, base);
	char *path;
	sq_err rc;

	if (s->value)
		return ycfg_fail_at(y, k, "give either %s or %s_file, not both", row->key, row->key);
	if (!*ycfg_text(v))
		return ycfg_fail_at(y, v, "%s: empty value; remove the key to leave it unset",
				    ycfg_text(k));
	if (!is_file) {
		s->value = strdup(ycfg_text(v));
		if (!s->value)
			return oom(y);
		s->origin = "inline";
		return SQ_OK;
	}
	rc = ycfg_resolve(y, ycfg_text(v), &path);
	if (rc)
		return rc;
	rc = secret_read_file(path, ycfg_text(v), &s->value, y->err);
	free(path);
	if (rc) {
		sq_error_prefix(y->err, "%s: ", ycfg_text(k));
		return ycfg_at(y, v);
	}
	s->origin = "file";
	return SQ_OK;
}

static sq_err set_list(struct ycfg *y, const struct sq_option *row, void *base,
		       const yaml_node_t *k, const yaml_node_t *v)
{
	yaml_node_t *item;
	size_t i;
	sq_err rc;

	if (v->type != YAML_SEQUENCE_NODE)
		return ycfg_fail_at(y, ycfg_is_null(v) ? k : v, "%s: expected a list ([a, b] or "
				    "'- a' lines), found %s", row->key, ycfg_kind(v));
	options_clear(row, base);
	for (i = 0; i < ycfg_count(v); i++) {
		item = ycfg_item(y, v, i);
		rc = ycfg_want_scalar(y, row->key, item, item, SQ_OPT_STRING);
		if (!rc && options_list_add(row, base, ycfg_text(item), y->err))
			rc = ycfg_at(y, item);
		if (rc)
			return rc;
	}
	return SQ_OK;
}

static sq_err set_value(struct ycfg *y, const struct sq_option *row, void *base,
			const yaml_node_t *k, const yaml_node_t *v, int is_file)
{
	sq_err rc;

	if (row->type == SQ_OPT_STRLIST)
		return set_list(y, row, base, k, v);
	rc = ycfg_want_scalar(y, ycfg_text(k), k, v, is_file ? SQ_OPT_PATH : row->type);
	if (rc)
		return rc;
	if (row->type == SQ_OPT_SECRET)
		return set_secret(y, row, base, k, v, is_file);
	if (options_set(row, base, ycfg_text(v), y->err))
		return ycfg_at(y, v);
	return SQ_OK;
}

static sq_err set_pairs(struct ycfg *y, yaml_node_t *map, const struct ycfg_schema *s)
{
	const struct sq_option *row;
	yaml_node_pair_t *p;
	yaml_node_t *k;
	int t, is_file;
	sq_err rc;

	for (p = map->data.mapping.pairs.start; p < map->data.mapping.pairs.top; p++) {
		k = ycfg_node(y, p->key);
		if (find_section(s->sub, ycfg_text(k)))
			continue;
		row = find_row(s, ycfg_text(k), &t, &is_file);
		rc = set_value(y, row, s->base[t], k, ycfg_node(y, p->value), is_file);
		if (rc)
			return rc;
	}
	return SQ_OK;
}

/* ---- after the keys: secrets from elsewhere, required keys, file names --- */

static sq_err missing_secret(struct ycfg *y, const yaml_node_t *pos, const struct ycfg_schema *s,
			     const struct sq_option *row)
{
	struct sq_buf env = SQ_BUF_INIT;
	sq_err rc;

	if (!s->owner)
		return ycfg_fail_at(y, pos, "%s needs %s_file", s->name, row->key);
	if (secret_env_name(s->owner, row->key, &env))
		return oom(y);
	rc = ycfg_fail_at(y, pos, "%s needs %s: set %s_file, put it in "
			  "$CREDENTIALS_DIRECTORY/%s.%s, or set %s", s->name, row->key,
			  row->key, s->owner, row->key, env.data);
	sq_buf_release(&env);
	return rc;
}

static sq_err finish_secret(struct ycfg *y, const yaml_node_t *pos, const struct ycfg_schema *s,
			    const struct sq_option *row, struct sq_secret *secret)
{
	if (!secret->value && s->owner &&
	    secret_from_environment(secret, s->owner, row->key, y->err)) {
		sq_error_prefix(y->err, "%s%s%s: ", s->name, *s->name ? " " : "", row->key);
		return ycfg_at(y, pos);
	}
	if (!secret->value && (row->flags & SQ_OPT_REQUIRED))
		return missing_secret(y, pos, s, row);
	return SQ_OK;
}

static sq_err finish_row(struct ycfg *y, yaml_node_t *map, const struct ycfg_schema *s,
			 const struct sq_option *row, void *base)
{
	const yaml_node_t *pos = map ? map : y->root;
	char **name = FIELD(row, base), *resolved;
	sq_err rc;

	if (row->type == SQ_OPT_SECRET)
		return finish_secret(y, pos, s, row, FIELD(row, base));
	if ((row->flags & SQ_OPT_REQUIRED) && !ycfg_get(y, map, row->key))
		return ycfg_fail_at(y, pos, "%s needs '%s' (%s)", *s->name ? s->name : "the top level",
				    row->key, row->help ? row->help : options_type_name(row->type));
	if (row->type != SQ_OPT_PATH || !*name || **name == '/')
		return SQ_OK;
	rc = ycfg_resolve(y, *name, &resolved);
	if (!rc) {
		free(*name);
		*name = resolved;
	}
	return rc;
}

static sq_err finish_rows(struct ycfg *y, yaml_node_t *map, const struct ycfg_schema *s)
{
	const struct sq_option *row;
	sq_err rc;
	int t;

	for (t = 0; t < 2; t++)
		for (row = s->table[t]; row && row->key; row++) {
			rc = finish_row(y, map, s, row, s->base[t]);
			if (rc)
				return rc;
		}
	return SQ_OK;
}

sq_err ycfg_load_mapping(struct ycfg *y, yaml_node_t *map, const struct ycfg_schema *s)
{
	const struct ycfg_section *sec;
	sq_err rc;

	if (map && ycfg_is_null(map))
		map = NULL;
	if (map && map->type != YAML_MAPPING_NODE)
		return ycfg_fail_at(y, map, "%s: expected a mapping (key: value lines), found %s",
				    *s->name ? s->name : "the top level", ycfg_kind(map));
	if (map && ((rc = check_keys(y, map, s)) || (rc = set_pairs(y, map, s))))
		return rc;
	rc = finish_rows(y, map, s);
	for (sec = s->sub; !rc && sec && sec->key; sec++)
		rc = ycfg_load_section(y, sec, ycfg_get(y, map, sec->key),
				       (char *)s->base[0] + sec->offset, s->name);
	return rc;
}

sq_err ycfg_load_section(struct ycfg *y, const struct ycfg_section *sec, yaml_node_t *node,
			 void *base, const char *parent)
{
	char name[96];
	struct ycfg_schema s = { name, sec->owner, { sec->table, NULL }, { base, NULL }, sec->sub };
	sq_err rc;

	if (sec->load)
		return sec->load(y, node, base);
	snprintf(name, sizeof(name), "%s%s%s", parent, *parent && *sec->key ? "." : "", sec->key);
	rc = ycfg_load_mapping(y, node, &s);
	if (!rc && sec->check)
		rc = sec->check(y, node && !ycfg_is_null(node) ? node : NULL, base);
	return rc;
}

sq_err ycfg_section_defaults(const struct ycfg_section *sec, void *base, struct sq_error *err)
{
	const struct ycfg_section *s;
	sq_err rc;

	if (sec->table && (rc = options_defaults(sec->table, base, err)))
		return rc;
	for (s = sec->sub; s && s->key; s++)
		if ((rc = ycfg_section_defaults(s, (char *)base + s->offset, err)))
			return rc;
	return SQ_OK;
}

void ycfg_section_release(const struct ycfg_section *sec, void *base)
{
	const struct ycfg_section *s;

	if (sec->table)
		options_release(sec->table, base);
	for (s = sec->sub; s && s->key; s++)
		ycfg_section_release(s, (char *)base + s->offset);
	if (sec->release)
		sec->release(base);
}

/* ---- the file ------------------------------------------------------------ */

/* libyaml gives reader errors (bad UTF-8) as a byte offset only. */
static yaml_mark_t mark_at(const struct sq_buf *text, size_t offset)
{
	yaml_mark_t m = { offset, 0, 0 };
	size_t i;

	for (i = 0; i < offset && i < text->len; i++) {
		if (text->data[i] == '\n') {
			m.line++;
			m.column = 0;
		} else if (((unsigned char)text->data[i] & 0xc0) != 0x80) {
			m.column++;
		}
	}
	return m;
}

int ycfg_parser_out_of_memory(const yaml_parser_t *p)
{
	return p->error == YAML_MEMORY_ERROR || p->error == YAML_NO_ERROR;
}

static sq_err yaml_failure(struct ycfg *y, const yaml_parser_t *p, const struct sq_buf *text)
{
	yaml_mark_t m = p->problem_mark;
	const char *problem = p->problem ? p->problem : "unknown error";

	if (ycfg_parser_out_of_memory(p))
		return oom(y);
	if (p->error == YAML_READER_ERROR) {
		m = mark_at(text, p->problem_offset);
		if (p->problem_value != -1)
			return fail_mark(y, m, "invalid YAML: %s (byte 0x%02x)", problem,
					 (unsigned)p->problem_value & 0xffu);
	}
	if (p->context)
		return fail_mark(y, m, "invalid YAML: %s (%s at line %zu)", problem, p->context,
				 p->context_mark.line + 1);
	return fail_mark(y, m, "invalid YAML: %s", problem);
}

/* Core tags (!!str, !!int, ...) are harmless; others (!include) mean a feature we lack. */
static sq_err check_nodes(struct ycfg *y)
{
	char q[OPTIONS_QUOTE_MAX];
	yaml_node_t *n;

	for (n = y->doc.nodes.start; n < y->doc.nodes.top; n++) {
		if (n->tag && strncmp((const char *)n->tag, "tag:yaml.org,2002:", 18))
			return ycfg_fail_at(y, n, "YAML tags such as '%s' are not supported",
					    options_quote((const char *)n->tag, q, sizeof(q)));
		if (n->type == YAML_SCALAR_NODE && strlen(ycfg_text(n)) != n->data.scalar.length)
			return ycfg_fail_at(y, n, "a value holds a NUL character");
	}
	return SQ_OK;
}

static sq_err parse(struct ycfg *y, const struct sq_buf *text)
{
	yaml_parser_t parser;
	yaml_document_t extra;
	sq_err rc = SQ_OK;

	if (!yaml_parser_initialize(&parser))
		return oom(y);
	yaml_parser_set_input_string(&parser, (const unsigned char *)sq_buf_str(text), text->len);
	if (!yaml_parser_load(&parser, &y->doc)) {
		rc = yaml_failure(y, &parser, text);
		goto out;
	}
	y->have_doc = 1;
	y->root = yaml_document_get_root_node(&y->doc);
	if (!y->root) {
		rc = sq_fail(y->err, SQ_ECONFIG, "%s:1:1: the file is empty", y->path);
		goto out;
	}
	if (!yaml_parser_load(&parser, &extra)) {
		rc = yaml_failure(y, &parser, text);
		goto out;
	}
	if (yaml_document_get_root_node(&extra))
		rc = fail_mark(y, extra.start_mark, "a second YAML document starts here; "
			       "keep the whole configuration in one");
	yaml_document_delete(&extra);
	if (!rc)
		rc = check_nodes(y);
out:
	yaml_parser_delete(&parser);
	return rc;
}

static sq_err set_dir(struct ycfg *y)
{
	const char *slash = strrchr(y->path, '/');

	if (!slash)
		y->dir = strdup("");
	else
		y->dir = sq_strndup(y->path, slash == y->path ? 1 : (size_t)(slash - y->path));
	return y->dir ? SQ_OK : oom(y);
}

sq_err ycfg_open(struct ycfg *y, const char *path, size_t max_bytes, struct sq_error *err)
{
	struct sq_buf text = SQ_BUF_INIT;
	sq_err rc;
	int e;

	memset(y, 0, sizeof(*y));
	y->path = path;
	y->err = err;
	rc = set_dir(y);
	if (rc)
		return rc;
	e = sq_read_file(path, max_bytes, &text);
	if (e == ENOMEM)
		rc = oom(y);
	else if (e == EFBIG)
		rc = sq_fail(err, SQ_ECONFIG, "%s: larger than %zu KiB; is it the right file?",
			     path, max_bytes / 1024);
	else if (e)
		rc = sq_fail(err, SQ_ECONFIG, "%s: cannot read: %s", path, strerror(e));
	else
		rc = parse(y, &text);
	sq_buf_release(&text);
	return rc;
}

void ycfg_close(struct ycfg *y)
{
	if (y->have_doc)
		yaml_document_delete(&y->doc);
	y->have_doc = 0;
	y->root = NULL;
	free(y->dir);
	y->dir = NULL;
}
