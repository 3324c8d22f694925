/*
 * norm_time.c — parsing and formatting times with fixed offsets, by
 * days-from-civil arithmetic: no TZ, mktime or gmtime, no global state.
 */
#include "normalize.h"

#include <stdio.h>
#include <string.h>

#include "banned.h"

/* ================================================================== */
/* Times                                                               */

int64_t norm_days_from_civil(int64_t year, int month, int day)
{
	/* Howard Hinnant's days_from_civil: March-based years make the leap
	 * day the last day of the year, so no table is needed. */
	int64_t y = year - (month <= 2);
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

void norm_civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
	int64_t z = days + 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	int m = (int)(mp < 10 ? mp + 3 : mp - 9);

	*day = (int)(doy - (153 * mp + 2) / 5 + 1);
	*month = m;
	*year = yoe + era * 400 + (m <= 2);
}

static int64_t floor_div(int64_t a, int64_t b)
{
	int64_t q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/* Keeps t + offset and the year arithmetic far from int64 overflow. */
#define NORM_T_LIMIT ((int64_t)1 << 50)

void norm_civil(int64_t t, int tz_offset_s, struct sq_civil *c)
{
	int64_t local, days, secs, y;

	if (t > NORM_T_LIMIT)
		t = NORM_T_LIMIT;
	if (t < -NORM_T_LIMIT)
		t = -NORM_T_LIMIT;
	local = t + tz_offset_s;
	days = floor_div(local, 86400);
	secs = local - days * 86400;
	norm_civil_from_days(days, &y, &c->month, &c->day);
	c->year = (int)y;
	c->hour = (int)(secs / 3600);
	c->min = (int)(secs / 60 % 60);
	c->sec = (int)(secs % 60);
	/* 1970-01-01 was a Thursday: 3 counting from Monday = 0. */
	c->wday = (int)(days + 3 - floor_div(days + 3, 7) * 7);
}

static int is_leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int64_t y, int m)
{
	static const int dim[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };

	return m == 2 && is_leap(y) ? 29 : dim[m - 1];
}

/* What a time parser accepts beyond "YYYY-MM-DD HH:MM:SS". */
#define TP_SEP_T     0x01u /* 'T' or 't' between date and time */
#define TP_SEP_SPACE 0x02u /* ' ' between date and time */
#define TP_DATE_ONLY 0x04u /* the time may be absent (midnight) */
#define TP_NO_SEC    0x08u /* seconds may be absent */
#define TP_FRACTION  0x10u /* ".ddd" after the seconds */
#define TP_ZONE      0x20u /* an offset or Z may follow */
#define TP_NEED_ZONE 0x40u /* ... and must */
#define TP_COMPACT   0x80u /* offsets may be written +0800 */

struct when {
	int64_t year;
	int month, day, hour, min, sec;
	int has_zone;
	int offset; /* seconds east of UTC, when has_zone */
};

static int take_digits(const char **p, int n, int *v)
{
	int i, x = 0;

	for (i = 0; i < n; i++) {
		char c = (*p)[i];

		if (c < '0' || c > '9')
			return -1;
		x = x * 10 + (c - '0');
	}
	*p += n;
	*v = x;
	return 0;
}

/*
 * Parse s (already trimmed, len bytes) as a date-time allowed by flags.
 * Returns 0, or -1 with a reason in why.
 */
static int parse_when(const char *s, size_t len, unsigned flags, struct when *w,
		      char *why, size_t whysz)
{
	const char *p = s, *end = s + len;
	int y, v;

	memset(w, 0, sizeof(*w));
	if (len < 10 || take_digits(&p, 4, &y) || *p++ != '-' ||
	    take_digits(&p, 2, &w->month) || *p++ != '-' || take_digits(&p, 2, &w->day)) {
		snprintf(why, whysz, "expected a date YYYY-MM-DD");
		return -1;
	}
	w->year = y;
	if (p == end) {
		if (!(flags & TP_DATE_ONLY)) {
			snprintf(why, whysz, "missing the time of day");
			return -1;
		}
		goto check;
	}
	if (!(((*p == 'T' || *p == 't') && (flags & TP_SEP_T)) ||
	      (*p == ' ' && (flags & TP_SEP_SPACE)))) {
		snprintf(why, whysz, "expected 'T' or a space after the date");
		return -1;
	}
	p++;
	if (end - p < 5 || take_digits(&p, 2, &w->hour) || *p++ != ':' ||
	    take_digits(&p, 2, &w->min)) {
		snprintf(why, whysz, "expected a time HH:MM%s", flags & TP_NO_SEC ? "" : ":SS");
		return -1;
	}
	if (p < end && *p == ':') {
		p++;
		if (end - p < 2 || take_digits(&p, 2, &w->sec)) {
			snprintf(why, whysz, "expected two digits of seconds");
			return -1;
		}
		if (p < end && *p == '.' && (flags & TP_FRACTION)) {
			const char *f = ++p;

			while (p < end && *p >= '0' && *p <= '9')
				p++;
			if (p == f) {
				snprintf(why, whysz, "expected digits after '.'");
				return -1;
			}
		}
	} else if (!(flags & TP_NO_SEC)) {
		snprintf(why, whysz, "missing the seconds");
		return -1;
	}
	if (p < end && (flags & TP_ZONE)) {
		if (*p == 'Z' || *p == 'z') {
			p++;
			w->has_zone = 1;
		} else if (*p == '+' || *p == '-') {
			int sign = *p++ == '-' ? -1 : 1, oh, om;

			if (end - p < 2 || take_digits(&p, 2, &oh)) {
				snprintf(why, whysz, "expected an offset +HH:MM");
				return -1;
			}
			if (p < end && *p == ':')
				p++;
			else if (!(flags & TP_COMPACT)) {
				snprintf(why, whysz, "expected an offset +HH:MM");
				return -1;
			}
			if (end - p < 2 || take_digits(&p, 2, &om)) {
				snprintf(why, whysz, "expected an offset +HH:MM");
				return -1;
			}
			if (oh > 23 || om > 59) {
				snprintf(why, whysz, "offset out of range");
				return -1;
			}
			w->has_zone = 1;
			w->offset = sign * (oh * 3600 + om * 60);
		}
	}
	if (p != end) {
		snprintf(why, whysz, "unexpected text after the %s",
			 w->has_zone ? "offset" : "time");
		return -1;
	}
	if ((flags & TP_NEED_ZONE) && !w->has_zone) {
		snprintf(why, whysz, "missing the offset (Z or +HH:MM)");
		return -1;
	}
check:
	if (w->year < NORM_YEAR_MIN || w->year > NORM_YEAR_MAX) {
		snprintf(why, whysz, "year %d out of range %d..%d", (int)w->year,
			 NORM_YEAR_MIN, NORM_YEAR_MAX);
		return -1;
	}
	if (w->month < 1 || w->month > 12) {
		snprintf(why, whysz, "month %d out of range", w->month);
		return -1;
	}
	v = days_in_month(w->year, w->month);
	if (w->day < 1 || w->day > v) {
		snprintf(why, whysz, "day %d out of range for %04d-%02d", w->day,
			 (int)w->year, w->month);
		return -1;
	}
	if (w->hour > 23) {
		snprintf(why, whysz, "hour %d out of range", w->hour);
		return -1;
	}
	if (w->min > 59) {
		snprintf(why, whysz, "minute %d out of range", w->min);
		return -1;
	}
	if (w->sec > 59) {
		snprintf(why, whysz, "second %d out of range", w->sec);
		return -1;
	}
	return 0;
}

static int64_t when_to_time(const struct when *w, int offset)
{
	return norm_days_from_civil(w->year, w->month, w->day) * 86400 +
	       w->hour * 3600 + w->min * 60 + w->sec - offset;
}

/* Trim ASCII spaces; returns the start and sets *len. */
static const char *trim(const char *s, size_t *len)
{
	size_t n = strlen(s);

	while (n && (*s == ' ' || *s == '\t')) {
		s++;
		n--;
	}
	while (n && (s[n - 1] == ' ' || s[n - 1] == '\t' || s[n - 1] == '\n' || s[n - 1] == '\r'))
		n--;
	*len = n;
	return s;
}

static sq_err parse_time(const char *text, unsigned flags, int tz, int64_t *t,
			 const char *expected, struct sq_error *err)
{
	char why[96];
	struct when w;
	const char *s;
	size_t n;

	if (!text)
		return sq_fail(err, SQ_EPARSE, "missing time (expected %s)", expected);
	s = trim(text, &n);
	if (parse_when(s, n, flags, &w, why, sizeof(why)))
		return sq_fail(err, SQ_EPARSE, "bad time \"%.64s\": %s (expected %s)",
			       text, why, expected);
	*t = when_to_time(&w, w.has_zone ? w.offset : tz);
	return SQ_OK;
}

sq_err norm_time_cst(const char *text, int64_t *t, struct sq_error *err)
{
	return parse_time(text, TP_SEP_SPACE, 8 * 3600, t, "YYYY-MM-DD HH:MM:SS", err);
}

sq_err norm_time_rfc3339(const char *text, int64_t *t, struct sq_error *err)
{
	return parse_time(text, TP_SEP_T | TP_SEP_SPACE | TP_NO_SEC | TP_FRACTION |
			  TP_ZONE | TP_NEED_ZONE | TP_COMPACT, 0, t,
			  "RFC 3339, YYYY-MM-DDTHH:MM:SS+08:00", err);
}

sq_err norm_time_local(const char *text, int tz_offset_s, int64_t *t,
		       struct sq_error *err)
{
	return parse_time(text, TP_SEP_T | TP_SEP_SPACE | TP_DATE_ONLY | TP_NO_SEC |
			  TP_FRACTION | TP_ZONE | TP_COMPACT, tz_offset_s, t,
			  "YYYY-MM-DD, YYYY-MM-DD HH:MM[:SS] or RFC 3339", err);
}

sq_err norm_time_ago(const char *text, int64_t now, int64_t *t, struct sq_error *err)
{
	int64_t n = 0, unit;
	const char *s, *p;
	size_t len, digits = 0;

	if (!text)
		return sq_fail(err, SQ_EPARSE, "missing relative time (expected e.g. 24h or 7d)");
	s = trim(text, &len);
	for (p = s; p < s + len && *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (*p - '0');
		if (++digits > 9)
			break;
	}
	if (!digits || digits > 9 || p + 1 != s + len || n == 0)
		goto bad;
	switch (*p) {
	case 's': unit = 1; break;
	case 'm': unit = 60; break;
	case 'h': unit = 3600; break;
	case 'd': unit = 86400; break;
	case 'w': unit = 7 * 86400; break;
	default: goto bad;
	}
	*t = now - n * unit;
	return SQ_OK;
bad:
	return sq_fail(err, SQ_EPARSE,
		       "bad relative time \"%.64s\" (expected a positive number and s, m, h, d or w, e.g. 24h)",
		       text);
}

sq_err norm_time_arg(const char *text, int tz_offset_s, int64_t now, int64_t *t,
		     struct sq_error *err)
{
	size_t len;
	const char *s;

	if (!text)
		return sq_fail(err, SQ_EPARSE, "missing time");
	s = trim(text, &len);
	/* A date has '-' in it; a relative time never does. */
	if (len && !memchr(s, '-', len))
		return norm_time_ago(text, now, t, err);
	if (norm_time_local(text, tz_offset_s, t, NULL) == SQ_OK)
		return SQ_OK;
	return norm_time_local(text, tz_offset_s, t, err);
}

size_t norm_format_time(int64_t t, int tz_offset_s, char *buf, size_t size)
{
	struct sq_civil c;
	int off = tz_offset_s < 0 ? -tz_offset_s : tz_offset_s, n;

	if (!buf || !size)
		return 0;
	norm_civil(t, tz_offset_s, &c);
	n = snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d%c%02d:%02d", c.year,
		     c.month, c.day, c.hour, c.min, c.sec, tz_offset_s < 0 ? '-' : '+',
		     off / 3600, off / 60 % 60);
	if (n < 0 || (size_t)n >= size) {
		buf[0] = '\0';
		return 0;
	}
	return (size_t)n;
}

size_t norm_format_local(int64_t t, int tz_offset_s, char *buf, size_t size)
{
	struct sq_civil c;
	int n;

	if (!buf || !size)
		return 0;
	norm_civil(t, tz_offset_s, &c);
	n = snprintf(buf, size, "%04d-%02d-%02d %02d:%02d", c.year, c.month, c.day,
		     c.hour, c.min);
	if (n < 0 || (size_t)n >= size) {
		buf[0] = '\0';
		return 0;
	}
	return (size_t)n;
}
