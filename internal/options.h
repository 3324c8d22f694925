/*
 * options.h — declarative option tables (after Fluent Bit's config_map).
 *
 * A table row names a key, its type, its default as text ("30s"), the offset
 * of the field it fills in some struct, and a help line.  One table gives the
 * defaults, the validation, the filled struct and the documentation; the
 * configuration loader uses it for the top-level sections and for each
 * connector's own keys.  Tables end with a row whose key is NULL.
 */
#ifndef SUQIU_OPTIONS_H
#define SUQIU_OPTIONS_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

enum sq_opt_type {
	SQ_OPT_STRING,   /* char *                                            */
	SQ_OPT_SECRET,   /* struct sq_secret; key K or K_file, env, credentials */
	SQ_OPT_INT,      /* int64_t                                           */
	SQ_OPT_DOUBLE,   /* double                                            */
	SQ_OPT_BOOL,     /* int: true/false/yes/no/on/off                     */
	SQ_OPT_DURATION, /* int64_t milliseconds: 500ms, 90s, 15m, 48h, 7d    */
	SQ_OPT_SIZE,     /* int64_t bytes: 512, 64KiB, 8MiB, 1GiB             */
	SQ_OPT_URL,      /* char *, http:// or https:// with a host           */
	SQ_OPT_TIME,     /* int64_t Unix seconds from RFC 3339                */
	SQ_OPT_STRLIST,  /* struct sq_strlist: a YAML sequence of strings     */
};

struct sq_option {
	const char *key;
	enum sq_opt_type type;
	const char *def;   /* default as written in YAML; NULL: none */
	size_t offset;     /* offsetof(struct ..., field) */
	const char *help;  /* one line, shown by doctor --help-config and the man page check */
	int64_t min, max;  /* inclusive bounds for INT/DURATION/SIZE; both 0: unbounded */
	unsigned flags;    /* SQ_OPT_REQUIRED */
};

/* The key must be given (secrets: from any of their origins). */
#define SQ_OPT_REQUIRED 1u

/* A secret value and where it came from ("file", "credentials", "env"). */
struct sq_secret {
	char *value;        /* NULL: not configured */
	const char *origin; /* static string or NULL */
};

struct sq_strlist {
	char **items;
	size_t n;
};

/*
 * Parse text as a value of type and store it at base + opt->offset (freeing
 * any previous string value).  On failure fills err with a message that
 * names opt->key but no file position (the caller prefixes it).
 * SECRET and STRLIST are not parsed here: the loader handles them.
 */
sq_err options_set(const struct sq_option *opt, void *base, const char *text,
		   struct sq_error *err);

/* Fill every field of base from the table's defaults. */
sq_err options_defaults(const struct sq_option *table, void *base,
			struct sq_error *err);

/* Free the strings, secrets and lists a table's fields own. */
void options_release(const struct sq_option *table, void *base);

/* Find a row by key; NULL when absent. */
const struct sq_option *options_find(const struct sq_option *table, const char *key);

/* Helpers also used outside tables. */
sq_err options_parse_duration(const char *text, int64_t *ms, struct sq_error *err);
sq_err options_parse_size(const char *text, int64_t *bytes, struct sq_error *err);
sq_err options_parse_bool(const char *text, int *value, struct sq_error *err);
void sq_strlist_release(struct sq_strlist *l);
void sq_secret_release(struct sq_secret *s);

#endif
