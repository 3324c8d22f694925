/*
 * options.c — parse option values by type and fill the fields an option
 * table describes (options.h).
 *
 * Parsers are strict on purpose: a configuration that says "90" where it
 * meant "90s", or "16M" where it meant "16MiB", fails at load time with a
 * message that says what to write, instead of surprising someone at 3 a.m.
 */
#include "options.h"

#include <ctype.h>
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "buf.h"
#include "banned.h"

#define FIELD(opt, base, type) ((type *)(void *)((char *)(base) + (opt)->offset))

struct unit {
	const char *name;
	int64_t factor;
};

static const struct unit duration_units[] = {
	{ "ms", 1 }, { "s", 1000 }, { "m", 60000 }, { "h", 3600000 }, { "d", 86400000 },
	{ NULL, 0 },
};

static const struct unit size_units[] = {
	{ "", 1 }, { "B", 1 },
	{ "KiB", INT64_C(1) << 10 }, { "MiB", INT64_C(1) << 20 },
	{ "GiB", INT64_C(1) << 30 }, { "TiB", INT64_C(1) << 40 },
	{ "KB", 1000 }, { "kB", 1000 }, { "MB", 1000000 },
	{ "GB", 1000000000 }, { "TB", INT64_C(1000000000000) },
	{ NULL, 0 },
};

const char *options_quote(const char *text, char *out, size_t size)
{
	const unsigned char *p = (const unsigned char *)text;
	size_t n = 0, used = 0;

	if (!size)
		return out;
	for (; *p && n + 5 < size; p++, used++) {
		/* stop before a character that would pass the limit, not inside it */
		if (used >= 60 && (*p & 0xc0) != 0x80)
			break;
		if (*p < 0x20 || *p == 0x7f)
			n += (size_t)snprintf(out + n, size - n, "\\x%02x", *p);
		else
			out[n++] = (char)*p;
	}
	if (*p && n + 4 <= size) {
		memcpy(out + n, "...", 3);
		n += 3;
	}
	out[n < size ? n : size - 1] = '\0';
	return out;
}

const char *options_type_name(enum sq_opt_type type)
{
	switch (type) {
	case SQ_OPT_STRING: return "a string";
	case SQ_OPT_SECRET: return "a secret";
	case SQ_OPT_INT: return "an integer";
	case SQ_OPT_DOUBLE: return "a number";
	case SQ_OPT_BOOL: return "true or false";
	case SQ_OPT_DURATION: return "a duration";
	case SQ_OPT_SIZE: return "a size";
	case SQ_OPT_URL: return "a URL";
	case SQ_OPT_TIME: return "an RFC 3339 time";
	case SQ_OPT_STRLIST: return "a list of strings";
	case SQ_OPT_PATH: return "a file name";
	case SQ_OPT_SMTP_URL: return "an smtp:// or smtps:// URL";
	}
	return "a value";
}

/* Read leading decimal digits into *v; returns the count, -1 on overflow. */
static int read_digits(const char **pp, uint64_t *v)
{
	const char *p = *pp;
	int n = 0;

	*v = 0;
	for (; *p >= '0' && *p <= '9'; p++, n++) {
		if (*v > (UINT64_MAX - 9) / 10)
			return -1;
		*v = *v * 10 + (uint64_t)(*p - '0');
	}
	*pp = p;
	return n;
}

static const struct unit *find_unit(const struct unit *units, const char *s, size_t n)
{
	for (; units->name; units++)
		if (strlen(units->name) == n && !strncmp(units->name, s, n))
			return units;
	return NULL;
}

/* *acc += v * factor, refusing anything past INT64_MAX. */
static int add_scaled(int64_t *acc, uint64_t v, int64_t factor)
{
	if (v > (uint64_t)(INT64_MAX / factor))
		return -1;
	if ((int64_t)v * factor > INT64_MAX - *acc)
		return -1;
	*acc += (int64_t)v * factor;
	return 0;
}

sq_err options_parse_duration(const char *text, int64_t *ms, struct sq_error *err)
{
	char q[OPTIONS_QUOTE_MAX];
	const char *p = text, *u;
	const struct unit *unit;
	int64_t total = 0;
	uint64_t v;
	int nd;

	options_quote(text, q, sizeof(q));
	if (*p == '-')
		return sq_fail(err, SQ_EPARSE, "'%s' is negative; durations are 0 or more", q);
	do {
		nd = read_digits(&p, &v);
		if (nd < 0)
			return sq_fail(err, SQ_EPARSE, "'%s' is too large", q);
		for (u = p; isalpha((unsigned char)*p); p++)
			;
		if (nd == 0 || (p == u && *p))
			return sq_fail(err, SQ_EPARSE, "'%s' is not a duration (write a whole "
				       "number and a unit: 500ms, 90s, 15m, 48h, 7d)", q);
		if (p == u)
			return sq_fail(err, SQ_EPARSE, "'%s' has no unit (write e.g. 90s, 15m, 48h, "
				       "7d; ms for milliseconds)", q);
		unit = find_unit(duration_units, u, (size_t)(p - u));
		if (!unit)
			return sq_fail(err, SQ_EPARSE, "'%s' has an unknown unit (use ms, s, m, h or d)", q);
		if (add_scaled(&total, v, unit->factor))
			return sq_fail(err, SQ_EPARSE, "'%s' is too large", q);
	} while (*p);
	*ms = total;
	return SQ_OK;
}

sq_err options_parse_size(const char *text, int64_t *bytes, struct sq_error *err)
{
	char q[OPTIONS_QUOTE_MAX];
	const char *p = text;
	const struct unit *unit;
	int64_t total = 0;
	uint64_t v;
	int nd;

	options_quote(text, q, sizeof(q));
	if (*p == '-')
		return sq_fail(err, SQ_EPARSE, "'%s' is negative; sizes are 0 or more", q);
	nd = read_digits(&p, &v);
	if (nd < 0)
		return sq_fail(err, SQ_EPARSE, "'%s' is too large", q);
	unit = nd ? find_unit(size_units, p, strlen(p)) : NULL;
	if (!unit)
		return sq_fail(err, SQ_EPARSE, "'%s' is not a size (write a whole number of bytes, "
			       "optionally with KiB, MiB, GiB (1024) or KB, MB, GB (1000): 64KiB, 16MiB)", q);
	if (add_scaled(&total, v, unit->factor))
		return sq_fail(err, SQ_EPARSE, "'%s' is too large", q);
	*bytes = total;
	return SQ_OK;
}

sq_err options_parse_bool(const char *text, int *value, struct sq_error *err)
{
	static const char *const yes[] = { "true", "yes", "on" }, *const no[] = { "false", "no", "off" };
	char q[OPTIONS_QUOTE_MAX];
	size_t i;

	for (i = 0; i < 3; i++) {
		if (!strcasecmp(text, yes[i]))
			return *value = 1, SQ_OK;
		if (!strcasecmp(text, no[i]))
			return *value = 0, SQ_OK;
	}
	return sq_fail(err, SQ_EPARSE, "'%s' is not true or false (also yes/no, on/off)",
		       options_quote(text, q, sizeof(q)));
}

/* Exactly n digits at *pp, as a number in [lo, hi]. */
static int fixed_digits(const char **pp, int n, int lo, int hi, int *out)
{
	int v = 0, i;

	for (i = 0; i < n; i++) {
		if ((*pp)[i] < '0' || (*pp)[i] > '9')
			return -1;
		v = v * 10 + ((*pp)[i] - '0');
	}
	if (v < lo || v > hi)
		return -1;
	*pp += n;
	*out = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant's algorithm). */
static int64_t days_from_civil(int64_t y, int m, int d)
{
	int64_t era, yoe, doy, doe;

	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = y - era * 400;
	doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static int days_in_month(int y, int m)
{
	static const int days[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;

	return days[m - 1] + (m == 2 && leap);
}

/* "Z" or "+HH:MM"/"-HH:MM" at p; offset east of UTC in seconds. */
static int parse_offset(const char *p, int *offset_s)
{
	int sign, hh, mm;

	if ((*p == 'Z' || *p == 'z') && !p[1])
		return *offset_s = 0, 0;
	if (*p != '+' && *p != '-')
		return -1;
	sign = *p++ == '-' ? -1 : 1;
	if (fixed_digits(&p, 2, 0, 23, &hh) || *p++ != ':' || fixed_digits(&p, 2, 0, 59, &mm) || *p)
		return -1;
	*offset_s = sign * (hh * 3600 + mm * 60);
	return 0;
}

/* "YYYY-MM-DD" at *pp. */
static int parse_date(const char **pp, int *y, int *mo, int *d)
{
	if (fixed_digits(pp, 4, 0, 9999, y) || *(*pp)++ != '-' ||
	    fixed_digits(pp, 2, 1, 12, mo) || *(*pp)++ != '-' ||
	    fixed_digits(pp, 2, 1, 31, d))
		return -1;
	return 0;
}

/* "THH:MM:SS[.fraction]" at *pp; RFC 3339 also allows 't' or a space. */
static int parse_clock(const char **pp, int *h, int *mi, int *s)
{
	const char *p = *pp;

	if (*p != 'T' && *p != 't' && *p != ' ')
		return -1;
	p++;
	if (fixed_digits(&p, 2, 0, 23, h) || *p++ != ':' || fixed_digits(&p, 2, 0, 59, mi) ||
	    *p++ != ':' || fixed_digits(&p, 2, 0, 60, s))
		return -1;
	if (*p == '.' && isdigit((unsigned char)p[1]))
		for (p++; isdigit((unsigned char)*p); p++)
			;
	*pp = p;
	return 0;
}

sq_err options_parse_time(const char *text, int64_t *unix_s, struct sq_error *err)
{
	char q[OPTIONS_QUOTE_MAX];
	const char *p = text;
	int y, mo, d, h, mi, s, off;

	options_quote(text, q, sizeof(q));
	if (parse_date(&p, &y, &mo, &d))
		return sq_fail(err, SQ_EPARSE, "'%s' is not an RFC 3339 time "
			       "(write e.g. 2024-05-01T00:00:00+08:00)", q);
	if (d > days_in_month(y, mo))
		return sq_fail(err, SQ_EPARSE, "'%s' names a day that does not exist", q);
	if (!*p)
		return sq_fail(err, SQ_EPARSE, "'%s' has no time of day (write e.g. "
			       "%sT00:00:00+08:00)", q, q);
	if (parse_clock(&p, &h, &mi, &s))
		return sq_fail(err, SQ_EPARSE, "'%s' is not an RFC 3339 time "
			       "(write e.g. 2024-05-01T00:00:00+08:00)", q);
	if (!*p)
		return sq_fail(err, SQ_EPARSE, "'%s' has no UTC offset (add Z or e.g. +08:00)", q);
	if (parse_offset(p, &off))
		return sq_fail(err, SQ_EPARSE, "'%s' has a bad UTC offset (write Z or +HH:MM)", q);
	/* a leap second (:60) lands on the next minute's :00, as POSIX time has no room for it */
	*unix_s = days_from_civil(y, mo, d) * 86400 + h * 3600 + mi * 60 + s - off;
	return SQ_OK;
}

static sq_err parse_int(const char *text, int64_t *v, struct sq_error *err)
{
	char q[OPTIONS_QUOTE_MAX];
	char *end;
	long long n;

	errno = 0;
	n = strtoll(text, &end, 10);
	if (!*text || isspace((unsigned char)*text) || *end)
		return sq_fail(err, SQ_EPARSE, "'%s' is not a whole number",
			       options_quote(text, q, sizeof(q)));
	if (errno == ERANGE)
		return sq_fail(err, SQ_EPARSE, "'%s' is too large", options_quote(text, q, sizeof(q)));
	*v = n;
	return SQ_OK;
}

static sq_err parse_double(const char *text, double *v, struct sq_error *err)
{
	char q[OPTIONS_QUOTE_MAX];
	char *end;

	errno = 0;
	*v = strtod(text, &end);
	if (!*text || isspace((unsigned char)*text) || *end || !isfinite(*v) || errno == ERANGE)
		return sq_fail(err, SQ_EPARSE, "'%s' is not a number", options_quote(text, q, sizeof(q)));
	return SQ_OK;
}

/* A bound as the user would write it: 90s rather than 90000, 16MiB. */
static void format_value(enum sq_opt_type type, int64_t v, char *out, size_t size)
{
	const struct unit *u, *best = NULL;

	/* both unit tables are in increasing order: the last fit is the largest */
	if (type == SQ_OPT_DURATION)
		for (u = duration_units; u->name; u++)
			if (v % u->factor == 0)
				best = u;
	if (type == SQ_OPT_SIZE)
		for (u = size_units; u->name; u++)
			if (strchr(u->name, 'i') && v % u->factor == 0)
				best = u;
	if (type == SQ_OPT_DURATION && !v)
		snprintf(out, size, "0s");
	else if (best && v)
		snprintf(out, size, "%" PRId64 "%s", v / best->factor, best->name);
	else
		snprintf(out, size, "%" PRId64, v);
}

/* v for integer types, d for DOUBLE; text is what the user wrote. */
static sq_err check_bounds(const struct sq_option *opt, int64_t v, double d, const char *text,
			   struct sq_error *err)
{
	char q[OPTIONS_QUOTE_MAX], lo[32], hi[32];
	int dbl = opt->type == SQ_OPT_DOUBLE, below, above;

	if (!opt->min && !opt->max)
		return SQ_OK;
	below = dbl ? d < (double)opt->min : v < opt->min;
	above = opt->max && (dbl ? d > (double)opt->max : v > opt->max);
	if (!below && !above)
		return SQ_OK;
	options_quote(text, q, sizeof(q));
	format_value(opt->type, opt->min, lo, sizeof(lo));
	format_value(opt->type, opt->max, hi, sizeof(hi));
	if (!opt->max)
		return sq_fail(err, SQ_ECONFIG, "%s is less than the minimum %s", q, lo);
	return sq_fail(err, SQ_ECONFIG, "%s is out of range (%s..%s)", q, lo, hi);
}

static int is_email(const char *s)
{
	const char *at = strchr(s, '@');
	const unsigned char *p;

	if (!at || at == s || !at[1] || strchr(at + 1, '@') || strlen(s) > 254)
		return 0;
	for (p = (const unsigned char *)s; *p; p++)
		if (*p <= ' ' || *p == 0x7f || strchr("<>()[],;:\"\\", *p))
			return 0;
	return at[1] != '.' && s[strlen(s) - 1] != '.';
}

/* Host of a URL authority: a name, an IPv4 address or [IPv6]; then :port. */
static int check_authority(const char *a, size_t n)
{
	size_t i = 0, h;
	long port = 0;

	if (n && a[0] == '[') {
		for (i = 1; i < n && (isxdigit((unsigned char)a[i]) || a[i] == ':' || a[i] == '.'); i++)
			;
		if (i == 1 || i >= n || a[i++] != ']')
			return -1;
	} else {
		for (; i < n && a[i] != ':'; i++)
			if (!isalnum((unsigned char)a[i]) && !strchr("-._", a[i]) &&
			    !((unsigned char)a[i] & 0x80))
				return -1;
		if (i == 0)
			return -1;
	}
	if (i == n)
		return 0;
	if (a[i++] != ':' || i == n || n - i > 5)
		return -1;
	for (h = i; h < n; h++) {
		if (!isdigit((unsigned char)a[h]))
			return -1;
		port = port * 10 + (a[h] - '0');
	}
	return port >= 1 && port <= 65535 ? 0 : -1;
}

static sq_err check_url(const char *text, const char *const schemes[2], struct sq_error *err)
{
	char q[OPTIONS_QUOTE_MAX];
	const char *rest = NULL, *end;
	size_t i;

	options_quote(text, q, sizeof(q));
	for (i = 0; i < 2 && !rest; i++)
		if (!strncasecmp(text, schemes[i], strlen(schemes[i])))
			rest = text + strlen(schemes[i]);
	if (!rest)
		return sq_fail(err, SQ_EPARSE, "'%s' must start with %s or %s", q, schemes[0], schemes[1]);
	for (i = 0; text[i]; i++)
		if ((unsigned char)text[i] <= ' ' || text[i] == 0x7f)
			return sq_fail(err, SQ_EPARSE, "'%s' contains a space or control character "
				       "(percent-encode it)", q);
	end = rest + strcspn(rest, "/?#");
	if (memchr(rest, '@', (size_t)(end - rest)))
		return sq_fail(err, SQ_EPARSE, "'%s' must not carry a user name or password; "
			       "use the secret keys", q);
	if (check_authority(rest, (size_t)(end - rest)))
		return sq_fail(err, SQ_EPARSE, "'%s' has no valid host (and optional :port)", q);
	return SQ_OK;
}

static sq_err check_string(const struct sq_option *opt, const char *text, struct sq_error *err)
{
	static const char *const http[2] = { "http://", "https://" };
	static const char *const smtp[2] = { "smtp://", "smtps://" };
	char q[OPTIONS_QUOTE_MAX];
	const unsigned char *p;

	if (!*text)
		return sq_fail(err, SQ_EPARSE, "empty value; remove the key to leave it unset");
	for (p = (const unsigned char *)text; *p; p++)
		if (*p < ' ' || *p == 0x7f)
			return sq_fail(err, SQ_EPARSE, "'%s' contains a control character",
				       options_quote(text, q, sizeof(q)));
	if (opt->type == SQ_OPT_URL)
		return check_url(text, http, err);
	if (opt->type == SQ_OPT_SMTP_URL)
		return check_url(text, smtp, err);
	if ((opt->flags & SQ_OPT_EMAIL) && !is_email(text))
		return sq_fail(err, SQ_EPARSE, "'%s' is not an e-mail address (name@example.gov.cn)",
			       options_quote(text, q, sizeof(q)));
	return SQ_OK;
}

static sq_err set_string(const struct sq_option *opt, void *base, const char *text,
			 struct sq_error *err)
{
	char **field = FIELD(opt, base, char *);
	char *copy;
	sq_err rc = check_string(opt, text, err);

	if (rc)
		return rc;
	copy = strdup(text);
	if (!copy)
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	free(*field);
	*field = copy;
	return SQ_OK;
}

static sq_err set_bool(const struct sq_option *opt, void *base, const char *text,
		       struct sq_error *err)
{
	if (opt->def && !strcmp(opt->def, "auto") && !strcasecmp(text, "auto"))
		return *FIELD(opt, base, int) = -1, SQ_OK;
	return options_parse_bool(text, FIELD(opt, base, int), err);
}

static sq_err set_number(const struct sq_option *opt, void *base, const char *text,
			 struct sq_error *err)
{
	int64_t v = 0;
	double d = 0;
	sq_err rc;

	switch (opt->type) {
	case SQ_OPT_INT: rc = parse_int(text, &v, err); break;
	case SQ_OPT_DURATION: rc = options_parse_duration(text, &v, err); break;
	case SQ_OPT_SIZE: rc = options_parse_size(text, &v, err); break;
	case SQ_OPT_TIME: rc = options_parse_time(text, &v, err); break;
	default: rc = parse_double(text, &d, err); break;
	}
	if (!rc && opt->type != SQ_OPT_TIME)
		rc = check_bounds(opt, v, d, text, err);
	if (rc)
		return rc;
	if (opt->type == SQ_OPT_DOUBLE)
		*FIELD(opt, base, double) = d;
	else
		*FIELD(opt, base, int64_t) = v;
	return SQ_OK;
}

static char *trim(char *s)
{
	size_t n;

	while (*s == ' ')
		s++;
	for (n = strlen(s); n && s[n - 1] == ' '; n--)
		s[n - 1] = '\0';
	return s;
}

static sq_err list_add(const struct sq_option *opt, void *base, const char *item,
		       struct sq_error *err)
{
	struct sq_strlist *l = FIELD(opt, base, struct sq_strlist);
	char **items;
	sq_err rc = check_string(opt, item, err);

	if (rc)
		return rc;
	items = realloc(l->items, (l->n + 1) * sizeof(*items));
	if (!items)
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	l->items = items;
	items[l->n] = strdup(item);
	if (!items[l->n])
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	l->n++;
	return SQ_OK;
}

/* The flow form of a list, "[a, b]" (for defaults): no commas inside items. */
static sq_err set_flow_list(const struct sq_option *opt, void *base, const char *text,
			    struct sq_error *err)
{
	size_t n = strlen(text);
	char *copy, *p, *next, *item;
	sq_err rc = SQ_OK;

	if (n < 2 || text[0] != '[' || text[n - 1] != ']')
		return sq_fail(err, SQ_EPARSE, "a list is written [a, b]");
	copy = sq_strndup(text + 1, n - 2);
	if (!copy)
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	options_clear(opt, base);
	for (p = copy; p && !rc; p = next) {
		next = strchr(p, ',');
		if (next)
			*next++ = '\0';
		item = trim(p);
		if (!*item && p == copy && !next)
			break; /* "[]" */
		rc = list_add(opt, base, item, err);
	}
	free(copy);
	return rc;
}

sq_err options_set(const struct sq_option *opt, void *base, const char *text,
		   struct sq_error *err)
{
	sq_err rc;

	switch (opt->type) {
	case SQ_OPT_STRING:
	case SQ_OPT_PATH:
	case SQ_OPT_URL:
	case SQ_OPT_SMTP_URL:
		rc = set_string(opt, base, text, err);
		break;
	case SQ_OPT_BOOL:
		rc = set_bool(opt, base, text, err);
		break;
	case SQ_OPT_STRLIST:
		rc = set_flow_list(opt, base, text, err);
		break;
	case SQ_OPT_SECRET:
		return sq_fail(err, SQ_ECONFIG, "%s: secrets are set by the configuration loader",
			       opt->key);
	default:
		rc = set_number(opt, base, text, err);
		break;
	}
	if (rc == SQ_EPARSE && err)
		err->code = rc = SQ_ECONFIG;
	if (rc)
		sq_error_prefix(err, "%s: ", opt->key);
	return rc;
}

sq_err options_list_add(const struct sq_option *opt, void *base, const char *item,
			struct sq_error *err)
{
	sq_err rc = list_add(opt, base, item, err);

	if (rc == SQ_EPARSE && err)
		err->code = rc = SQ_ECONFIG;
	if (rc)
		sq_error_prefix(err, "%s: ", opt->key);
	return rc;
}

sq_err options_defaults(const struct sq_option *table, void *base, struct sq_error *err)
{
	sq_err rc;

	for (; table->key; table++) {
		if (!table->def || table->type == SQ_OPT_SECRET)
			continue;
		rc = options_set(table, base, table->def, err);
		if (rc)
			return sq_error_prefix(err, "default of ");
	}
	return SQ_OK;
}

void options_clear(const struct sq_option *opt, void *base)
{
	switch (opt->type) {
	case SQ_OPT_STRING:
	case SQ_OPT_PATH:
	case SQ_OPT_URL:
	case SQ_OPT_SMTP_URL:
		free(*FIELD(opt, base, char *));
		*FIELD(opt, base, char *) = NULL;
		break;
	case SQ_OPT_SECRET:
		sq_secret_release(FIELD(opt, base, struct sq_secret));
		break;
	case SQ_OPT_STRLIST:
		sq_strlist_release(FIELD(opt, base, struct sq_strlist));
		break;
	case SQ_OPT_BOOL:
		*FIELD(opt, base, int) = 0;
		break;
	case SQ_OPT_DOUBLE:
		*FIELD(opt, base, double) = 0;
		break;
	default:
		*FIELD(opt, base, int64_t) = 0;
		break;
	}
}

void options_release(const struct sq_option *table, void *base)
{
	for (; table->key; table++)
		options_clear(table, base);
}

const struct sq_option *options_find(const struct sq_option *table, const char *key)
{
	for (; table->key; table++)
		if (!strcmp(table->key, key))
			return table;
	return NULL;
}

void sq_strlist_release(struct sq_strlist *l)
{
	size_t i;

	for (i = 0; i < l->n; i++)
		free(l->items[i]);
	free(l->items);
	l->items = NULL;
	l->n = 0;
}

void sq_secret_release(struct sq_secret *s)
{
	if (s->value) {
		explicit_bzero(s->value, strlen(s->value));
		free(s->value);
	}
	s->value = NULL;
	s->origin = NULL;
}
