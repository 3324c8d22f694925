/*
 * yamlcfg.h — a table-driven loader of YAML mappings (libyaml document API)
 * into structs described by option tables (options.h).
 *
 * A mapping in the file is described by a section: an option table whose
 * rows fill a struct, and nested sections that are either mappings of the
 * same kind or loaded by a function of their own (lists such as sources:).
 * ycfg_load_section() checks keys (unknown ones with a "did you mean",
 * duplicates), fills the rows, resolves secrets (KEY, KEY_file, then
 * secret.h's credentials and environment) and relative file names, checks
 * required keys, and descends into the nested sections in table order.  A
 * module adding a setting adds a table row and nothing else.
 *
 * Every error is one line "FILE:LINE:COL: message" (1-based, columns in
 * characters) with code SQ_ECONFIG, or SQ_ENOMEM.  Used by config.c; private
 * to internal/ and its tests.
 */
#ifndef SUQIU_YAMLCFG_H
#define SUQIU_YAMLCFG_H

#include <stddef.h>
#include <yaml.h>

#include "error.h"
#include "options.h"

struct ycfg;

/*
 * Did yaml_parser_load() fail for memory?  libyaml's loader fails some
 * allocations (the default tag's strdup) without setting an error, so no
 * error counts as memory too.  For every loader of YAML in internal/.
 */
int ycfg_parser_out_of_memory(const yaml_parser_t *p);

/* A key whose value is a mapping or a list, filled into base + offset. */
struct ycfg_section {
	const char *key;                   /* NULL ends a list of sections */
	const struct sq_option *table;     /* a mapping: these rows ... */
	const struct ycfg_section *sub;    /* ... and these nested sections, */
	const char *owner;                 /* owning the table's secrets; */
	/* run after the mapping loaded (map may be NULL: key absent) */
	sq_err (*check)(struct ycfg *y, yaml_node_t *map, void *base);
	/* or: loads the value itself (node NULL when the key is absent) */
	sq_err (*load)(struct ycfg *y, yaml_node_t *node, void *base);
	void (*release)(void *base);       /* frees what load allocated */
	size_t offset;                     /* of its struct in the parent's */
};

/* How to load one mapping: rows of up to two tables into two structs. */
struct ycfg_schema {
	const char *name;                  /* "http", "source 'x'"; "" at the top */
	const char *owner;                 /* of secrets; NULL: no ambient lookup */
	const struct sq_option *table[2];  /* NULL when unused */
	void *base[2];
	const struct ycfg_section *sub;    /* nested sections, within base[0] */
};

struct ycfg {
	const char *path;                  /* as given, for messages */
	char *dir;                         /* its directory, for relative names */
	yaml_document_t doc;
	yaml_node_t *root;                 /* the document's root node */
	struct sq_error *err;
	void *user;                        /* the caller's struct */
	int have_doc;
};

/*
 * Read path (at most max_bytes) and parse it as one YAML document.  Fails on
 * a missing or unreadable file, invalid YAML (with libyaml's position and
 * problem), an empty document, a second document, tags other than YAML's
 * own, and NUL characters.  y->err must be set; y is zeroed first.
 * Call ycfg_close() afterwards, whatever the result.
 */
sq_err ycfg_open(struct ycfg *y, const char *path, size_t max_bytes, struct sq_error *err);
void ycfg_close(struct ycfg *y);

/* Load node (NULL or a null value: absent) as section sec into base. */
sq_err ycfg_load_section(struct ycfg *y, const struct ycfg_section *sec, yaml_node_t *node,
			 void *base, const char *parent);

/* Load one mapping (NULL or null: empty) by schema; the heart of the above. */
sq_err ycfg_load_mapping(struct ycfg *y, yaml_node_t *map, const struct ycfg_schema *s);

/* Defaults of a section's tables, nested ones included. */
sq_err ycfg_section_defaults(const struct ycfg_section *sec, void *base, struct sq_error *err);

/* Free what a section's tables and loaders own, nested ones included. */
void ycfg_section_release(const struct ycfg_section *sec, void *base);

/* Node helpers.  Indexes are libyaml's (1-based). */
yaml_node_t *ycfg_node(struct ycfg *y, int index);
yaml_node_t *ycfg_get(struct ycfg *y, yaml_node_t *map, const char *key); /* NULL: absent */
const char *ycfg_text(const yaml_node_t *n);       /* a scalar's text */
int ycfg_is_null(const yaml_node_t *n);            /* plain "", ~ or null */
const char *ycfg_kind(const yaml_node_t *n);       /* "a mapping", "a list", ... */
size_t ycfg_count(const yaml_node_t *seq);         /* items of a list */
yaml_node_t *ycfg_item(struct ycfg *y, const yaml_node_t *seq, size_t i);

/* Fail with "FILE:LINE:COL: message" at n. */
sq_err ycfg_fail_at(struct ycfg *y, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Prefix the message already in y->err with n's position; returns its code. */
sq_err ycfg_at(struct ycfg *y, const yaml_node_t *n);

/*
 * v must be a non-null scalar, else fail naming key and what was expected
 * (a null value is reported at null_pos, usually the key: libyaml places an
 * empty value wherever the next token starts).
 */
sq_err ycfg_want_scalar(struct ycfg *y, const char *key, const yaml_node_t *null_pos,
			const yaml_node_t *v, enum sq_opt_type type);

/* name, made relative to the file's directory unless absolute; caller frees. */
sq_err ycfg_resolve(struct ycfg *y, const char *name, char **out);

#endif
