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
	SQ_OPT_PATH,     /* char *, a file name; the loader resolves a relative
			  * name against the configuration file's directory */
	SQ_OPT_SMTP_URL, /* char *, smtp:// or smtps:// with a host           */
};

struct sq_option {
	const char *key;
	enum sq_opt_type type;
	const char *def;   /* default as written in YAML; NULL: none.  STRLIST
			    * defaults use the flow form "[a, b]"; a BOOL whose
			    * default is "auto" also accepts auto (stored as -1) */
	size_t offset;     /* offsetof(struct ..., field) */
	const char *help;  /* one line, shown by doctor --help-config and the man page check */
	int64_t min, max;  /* inclusive bounds for INT/DOUBLE/DURATION/SIZE, in
			    * the field's unit (ms, bytes); both 0: unbounded;
			    * max 0 with min non-zero: no upper bound */
	unsigned flags;    /* SQ_OPT_REQUIRED, SQ_OPT_EMAIL */
};

/* The key must be given (secrets: from any of their origins). */
#define SQ_OPT_REQUIRED 1u
/* STRING or STRLIST: the value (each item) must be an e-mail address. */
#define SQ_OPT_EMAIL 2u

/*
 * A secret value and where it came from: "file" (KEY_file), "credentials"
 * ($CREDENTIALS_DIRECTORY), "env" (SUQIU_OWNER_KEY) or "inline" (KEY: value
 * in the configuration itself, allowed but worth a warning from doctor).
 */
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
 * names opt->key but no file position (the caller prefixes it); the code is
 * SQ_ECONFIG, or SQ_ENOMEM.  Values are quoted with options_quote(), so a
 * message stays on one line.  Empty strings and control characters are
 * rejected for every string type.  STRLIST takes the flow form "[a, b]"
 * (used for defaults; the loader fills lists from YAML sequences with
 * options_list_add).  SECRET is not parsed here: the loader handles it.
 */
sq_err options_set(const struct sq_option *opt, void *base, const char *text,
		   struct sq_error *err);

/* Fill every field of base from the table's defaults. */
sq_err options_defaults(const struct sq_option *table, void *base,
			struct sq_error *err);

/* Free the strings, secrets and lists a table's fields own. */
void options_release(const struct sq_option *table, void *base);

/* Free what one field owns and zero it (numbers become 0). */
void options_clear(const struct sq_option *opt, void *base);

/*
 * Append a copy of item to the STRLIST field of opt, checked like a STRING
 * (not empty, no control characters, an address when SQ_OPT_EMAIL).
 * Errors as options_set.
 */
sq_err options_list_add(const struct sq_option *opt, void *base, const char *item,
			struct sq_error *err);

/* Find a row by key; NULL when absent. */
const struct sq_option *options_find(const struct sq_option *table, const char *key);

/*
 * Helpers also used outside tables (e.g. for command-line arguments).  They
 * return SQ_EPARSE with a message that quotes text but names no key.
 *
 * Durations: one or more whole numbers each followed by a unit, ms, s, m,
 *   h or d ("500ms", "90s", "1h30m", "7d"); no sign, no missing unit.
 * Sizes: a whole number of bytes, optionally followed by B, KiB, MiB, GiB,
 *   TiB (powers of 1024) or KB, kB, MB, GB, TB (powers of 1000, as SI and
 *   IEC 80000-13 define them): "512", "64KiB", "8MiB", "16MB" = 16000000.
 * Bools: true/false, yes/no, on/off, in any letter case.
 * Times: RFC 3339 date-time with a UTC offset or Z, e.g.
 *   2024-05-01T00:00:00+08:00; fractions of a second are dropped.
 */
sq_err options_parse_duration(const char *text, int64_t *ms, struct sq_error *err);
sq_err options_parse_size(const char *text, int64_t *bytes, struct sq_error *err);
sq_err options_parse_bool(const char *text, int *value, struct sq_error *err);
sq_err options_parse_time(const char *text, int64_t *unix_s, struct sq_error *err);

/* "a duration", "a URL", ...: what a value of type is, for messages. */
const char *options_type_name(enum sq_opt_type type);

/*
 * Copy text into out (size bytes) for an error message: control characters
 * as \xNN, cut after about 60 bytes (at a UTF-8 boundary) with "...".
 * Returns out.  Never use it on a secret: secrets are not shown at all.
 */
const char *options_quote(const char *text, char *out, size_t size);
#define OPTIONS_QUOTE_MAX 256

void sq_strlist_release(struct sq_strlist *l);
void sq_secret_release(struct sq_secret *s);

#endif
