/*
 * normalize.c — text folding, times, phone numbers, coordinates, address
 * keys, and normalize_record() (see normalize.h for the contracts).
 */
#include "normalize.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <uninorm.h>

#include "buf.h"
#include "taxonomy.h"
#include "banned.h"

/* ================================================================== */
/* UTF-8                                                               */

/*
 * Decode the code point at s[0] (len > 0 bytes available).  Returns its
 * length, or 0 with *why saying what is wrong.  The ranges are those of
 * the Unicode standard's table 3-7 (well-formed byte sequences), so
 * overlongs, surrogates and values above U+10FFFF are all refused.
 */
static size_t utf8_decode(const unsigned char *s, size_t len, uint32_t *cp,
			  const char **why)
{
	unsigned char b = s[0], lo = 0x80, hi = 0xBF;
	size_t n, i;
	uint32_t c;

	if (b < 0x80) {
		*cp = b;
		return 1;
	}
	if (b < 0xC0) {
		*why = "unexpected continuation byte";
		return 0;
	}
	if (b < 0xC2) {
		*why = "overlong encoding";
		return 0;
	}
	if (b < 0xE0) {
		n = 2;
		c = b & 0x1F;
	} else if (b < 0xF0) {
		n = 3;
		c = b & 0x0F;
		if (b == 0xE0)
			lo = 0xA0;
		else if (b == 0xED)
			hi = 0x9F;
	} else if (b < 0xF5) {
		n = 4;
		c = b & 0x07;
		if (b == 0xF0)
			lo = 0x90;
		else if (b == 0xF4)
			hi = 0x8F;
	} else {
		*why = b < 0xF8 ? "code point above U+10FFFF" : "invalid byte";
		return 0;
	}
	for (i = 1; i < n; i++) {
		unsigned char t;

		if (i >= len) {
			*why = "truncated sequence";
			return 0;
		}
		t = s[i];
		if (t < 0x80 || t > 0xBF) {
			*why = "truncated sequence";
			return 0;
		}
		if (i == 1 && (t < lo || t > hi)) {
			if (b == 0xED)
				*why = "surrogate code point";
			else if (b == 0xF4)
				*why = "code point above U+10FFFF";
			else
				*why = "overlong encoding";
			return 0;
		}
		c = (c << 6) | (t & 0x3F);
	}
	*cp = c;
	return n;
}

/* Encode cp (a valid scalar value) at out; returns the length (1..4). */
static size_t utf8_encode(uint32_t cp, char *out)
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xC0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xE0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		out[2] = (char)(0x80 | (cp & 0x3F));
		return 3;
	}
	out[0] = (char)(0xF0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
	out[3] = (char)(0x80 | (cp & 0x3F));
	return 4;
}

sq_err norm_utf8_check(const char *s, size_t len, struct sq_error *err)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0, n;
	const char *why = "";
	uint32_t cp;

	while (i < len) {
		if (p[i] < 0x80) {
			i++;
			continue;
		}
		n = utf8_decode(p + i, len - i, &cp, &why);
		if (!n)
			return sq_fail(err, SQ_ECHARSET, "invalid UTF-8 at byte %zu: %s", i, why);
		i += n;
	}
	return SQ_OK;
}

/* ================================================================== */
/* Text folding                                                        */

enum fold_class { FOLD_KEEP, FOLD_SPACE, FOLD_DROP };

static enum fold_class fold_class_of(uint32_t cp)
{
	if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0xA0 ||
	    cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
	    cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000)
		return FOLD_SPACE;
	if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0xFEFF || cp == 0x200B)
		return FOLD_DROP;
	return FOLD_KEEP;
}

/*
 * Chinese punctuation that Unicode happens to place among the full-width
 * forms (GB/T 15834's ！（），：；？).  In Chinese text these are the normal
 * marks, not ASCII typed in the wrong mode, so they are kept.
 */
static int is_cjk_punct(uint32_t cp)
{
	switch (cp) {
	case 0xFF01: case 0xFF08: case 0xFF09: case 0xFF0C:
	case 0xFF1A: case 0xFF1B: case 0xFF1F:
		return 1;
	default:
		return 0;
	}
}

sq_err norm_text(const char *in, size_t len, char **out, struct sq_error *err)
{
	const unsigned char *p = (const unsigned char *)in;
	struct sq_buf b = SQ_BUF_INIT;
	const char *why = "";
	int space = 0, ascii = 1;
	size_t i = 0, n;
	uint8_t *nfc;
	size_t nfclen;
	char *res;

	*out = NULL;
	/* Folding never lengthens the text, so one allocation suffices. */
	if (sq_buf_grow(&b, len))
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	b.data[0] = '\0';
	while (i < len) {
		uint32_t cp;
		char enc[4];

		n = utf8_decode(p + i, len - i, &cp, &why);
		if (!n) {
			sq_buf_release(&b);
			return sq_fail(err, SQ_ECHARSET, "invalid UTF-8 at byte %zu: %s", i, why);
		}
		i += n;
		if (cp >= 0xFF01 && cp <= 0xFF5E && !is_cjk_punct(cp))
			cp -= 0xFEE0;
		switch (fold_class_of(cp)) {
		case FOLD_SPACE:
			space = 1;
			continue;
		case FOLD_DROP:
			continue;
		case FOLD_KEEP:
			break;
		}
		if (space && b.len)
			b.data[b.len++] = ' ';
		space = 0;
		if (cp >= 0x80)
			ascii = 0;
		n = utf8_encode(cp, enc);
		memcpy(b.data + b.len, enc, n);
		b.len += n;
	}
	b.data[b.len] = '\0';
	if (ascii) {
		*out = b.data;
		return SQ_OK;
	}
	/*
	 * NFC after folding: a full-width letter followed by a combining mark
	 * only composes once the letter is ASCII.  NFC never produces spaces,
	 * controls or full-width forms, so the folding stays done.
	 */
	nfc = u8_normalize(UNINORM_NFC, (const uint8_t *)b.data, b.len, NULL, &nfclen);
	sq_buf_release(&b);
	if (!nfc)
		return sq_fail(err, errno == ENOMEM ? SQ_ENOMEM : SQ_ECHARSET,
			       "Unicode normalization failed: %s", strerror(errno));
	res = realloc(nfc, nfclen + 1);
	if (!res) {
		free(nfc);
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	}
	res[nfclen] = '\0';
	*out = res;
	return SQ_OK;
}

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

/* ================================================================== */
/* Phone numbers                                                       */

/* Longest digit string worth looking at ("0086" + a 12-digit landline). */
#define PHONE_DIGITS_MAX 20

/*
 * Classify s[0..len) and write its normalized form to out (NORM_PHONE_MAX
 * bytes).  Returns 0 or -1.  The single parser behind norm_phone() and
 * norm_scrub_phones(), so that whatever the scrubber masks is exactly what
 * would be recognised as a contact.
 */
static int phone_parse(const char *s, size_t len, char *out, enum norm_phone_kind *kind)
{
	const unsigned char *p = (const unsigned char *)s;
	char d[PHONE_DIGITS_MAX + 2];
	size_t nd = 0, i = 0, n, stars = 0, star_at = 0, area, local;
	int plus = 0, cc = 0, in_stars = 0, star_runs = 0;
	const char *why;
	char *q;

	while (i < len) {
		uint32_t cp;
		char c;

		n = utf8_decode(p + i, len - i, &cp, &why);
		if (!n)
			return -1;
		i += n;
		if (cp >= 0xFF01 && cp <= 0xFF5E)
			cp -= 0xFEE0;
		if (cp >= '0' && cp <= '9')
			c = (char)cp;
		else if (cp == '*')
			c = '*';
		else if (cp == '+')
			c = '+';
		else if (cp == ' ' || cp == '-' || cp == '.' || cp == '(' || cp == ')' ||
			 cp == 0x3000 || cp == 0xA0 || cp == '\t' ||
			 (cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212)
			c = ' ';
		else
			return -1;
		if (c == ' ') {
			in_stars = 0;
			continue;
		}
		if (c == '+') {
			if (nd || plus)
				return -1;
			plus = 1;
			continue;
		}
		if (nd >= PHONE_DIGITS_MAX)
			return -1;
		if (c == '*') {
			if (!in_stars) {
				if (star_runs++)
					return -1;
				star_at = nd;
			}
			in_stars = 1;
			stars++;
		} else {
			in_stars = 0;
		}
		d[nd++] = c;
	}
	d[nd] = '\0';
	q = d;
	/* Country code: only China's, written +86, 0086 or (before a mobile) 86. */
	if (plus) {
		if (nd < 2 || q[0] != '8' || q[1] != '6')
			return -1;
		q += 2;
		cc = 1;
	} else if (nd > 4 && !memcmp(q, "0086", 4)) {
		q += 4;
		cc = 1;
	} else if (nd == 13 && q[0] == '8' && q[1] == '6' && q[2] == '1') {
		q += 2;
		cc = 1;
	}
	if (stars && star_at < (size_t)(q - d))
		return -1;
	star_at -= (size_t)(q - d);
	nd -= (size_t)(q - d);
	/* Call centres dial mobiles with a leading 0 from out of town. */
	if (!stars && nd == 12 && q[0] == '0' && q[1] == '1' && q[2] >= '3' && q[2] <= '9') {
		q++;
		nd--;
	}
	if (!stars && nd == 11 && q[0] == '1' && q[1] >= '3' && q[1] <= '9') {
		memcpy(out, q, 11);
		out[11] = '\0';
		*kind = NORM_PHONE_MOBILE;
		return 0;
	}
	if (stars && star_at == 3 && nd == 3 + stars + 4 && stars >= 3 && stars <= 6 && q[0] == '1' &&
	    q[1] >= '3' && q[1] <= '9') {
		snprintf(out, NORM_PHONE_MAX, "%.3s****%.4s", q, q + nd - 4);
		*kind = NORM_PHONE_MASKED;
		return 0;
	}
	/* A landline: the trunk 0 (restored after a country code), area code, number. */
	if (nd && q[0] == '0') {
		q++;
		nd--;
		if (stars)
			star_at--;
	} else if (!cc) {
		return -1;
	}
	if (!nd || q[0] == '0')
		return -1;
	area = q[0] == '1' || q[0] == '2' ? 2 : 3;
	if (nd <= area)
		return -1;
	local = nd - area;
	if (stars) {
		if (star_at != area || stars < 3 || stars > 6 || local != stars + 4)
			return -1;
		snprintf(out, NORM_PHONE_MAX, "0%.*s-****%.4s", (int)area, q, q + nd - 4);
		*kind = NORM_PHONE_MASKED;
		return 0;
	}
	if (local < 7 || local > 8 || q[area] == '0' || q[area] == '1')
		return -1;
	snprintf(out, NORM_PHONE_MAX, "0%.*s-%.*s", (int)area, q, (int)local, q + area);
	*kind = NORM_PHONE_LANDLINE;
	return 0;
}

sq_err norm_phone(const char *raw, char **normalized, enum norm_phone_kind *kind,
		  struct sq_error *err)
{
	char buf[NORM_PHONE_MAX];
	enum norm_phone_kind k;

	*normalized = NULL;
	if (!raw || phone_parse(raw, strlen(raw), buf, &k))
		return sq_fail(err, SQ_EPARSE, "not a Chinese mobile or landline number");
	*normalized = sq_strdup(buf);
	if (!*normalized)
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	if (kind)
		*kind = k;
	return SQ_OK;
}

static int all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

/* Mask into out (NORM_PHONE_MAX bytes); 0 or -1. */
static int phone_mask(const char *s, char *out)
{
	size_t n = strlen(s);
	const char *dash;

	if (strchr(s, '*')) {
		if (n >= NORM_PHONE_MAX)
			return -1;
		memcpy(out, s, n + 1);
		return 0;
	}
	if (n == 11 && s[0] == '1' && all_digits(s, n)) {
		snprintf(out, NORM_PHONE_MAX, "%.3s****%.4s", s, s + 7);
		return 0;
	}
	dash = strchr(s, '-');
	if (s[0] == '0' && dash && (dash - s == 3 || dash - s == 4) &&
	    all_digits(s, (size_t)(dash - s)) && strlen(dash + 1) >= 7 &&
	    strlen(dash + 1) <= 8 && all_digits(dash + 1, strlen(dash + 1))) {
		snprintf(out, NORM_PHONE_MAX, "%.*s-****%s", (int)(dash - s), s, s + n - 4);
		return 0;
	}
	return -1;
}

char *norm_phone_mask(const char *normalized)
{
	char buf[NORM_PHONE_MAX];

	if (!normalized || phone_mask(normalized, buf))
		return NULL;
	return sq_strdup(buf);
}

sq_err norm_contact_hash(const unsigned char *key, size_t keylen,
			 const char *normalized, char out_hex[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	out_hex[0] = '\0';
	if (!key || !keylen || keylen > INT_MAX)
		return SQ_ECONFIG;
	if (!normalized)
		return SQ_EPARSE;
	if (!HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)normalized,
		  strlen(normalized), md, &mdlen) || mdlen != 32)
		return SQ_ENOMEM;
	for (i = 0; i < mdlen; i++) {
		out_hex[2 * i] = hex[md[i] >> 4];
		out_hex[2 * i + 1] = hex[md[i] & 15];
	}
	out_hex[64] = '\0';
	return SQ_OK;
}

/*
 * The scrubber works on bytes, before text is folded (so that a record
 * refused for bad UTF-8 elsewhere is scrubbed all the same): digits and
 * separators may be ASCII or full-width.  Each helper returns the length
 * of what it recognises at p[i], or 0.
 */
static size_t fw_at(const char *p, size_t i, size_t n, unsigned char lo, unsigned char hi)
{
	const unsigned char *u = (const unsigned char *)p + i;

	return i + 2 < n && u[0] == 0xEF && u[1] == 0xBC && u[2] >= lo && u[2] <= hi ? 3 : 0;
}

static size_t digit_at(const char *p, size_t i, size_t n)
{
	if (p[i] >= '0' && p[i] <= '9')
		return 1;
	return fw_at(p, i, n, 0x90, 0x99); /* ０..９ */
}

/* Separators a number may run across: "138 1234-5678", "(020)8123". */
static size_t sep_at(const char *p, size_t i, size_t n)
{
	const unsigned char *u = (const unsigned char *)p + i;

	if (p[i] == ' ' || p[i] == '-' || p[i] == ')' || p[i] == '.')
		return 1;
	if (i + 2 < n && u[0] == 0xE3 && u[1] == 0x80 && u[2] == 0x80) /* U+3000 */
		return 3;
	return fw_at(p, i, n, 0x89, 0x89) ? 3 : fw_at(p, i, n, 0x8D, 0x8D); /* ）－ */
}

/* Does a digit end at p[i-1]?  Then p[i] does not start a number. */
static int digit_before(const char *p, size_t i, size_t n)
{
	return (i >= 1 && digit_at(p, i - 1, n) == 1) || (i >= 3 && digit_at(p, i - 3, n) == 3);
}

/* Length of a '+' or '(' just before p[i] that belongs to the number. */
static size_t opener_before(const char *p, size_t i, size_t n)
{
	if (i >= 1 && (p[i - 1] == '+' || p[i - 1] == '('))
		return 1;
	if (i >= 3 && (fw_at(p, i - 3, n, 0x8B, 0x8B) || fw_at(p, i - 3, n, 0x88, 0x88)))
		return 3; /* ＋（ */
	return 0;
}

sq_err norm_scrub_phones(char **s, size_t *count)
{
	struct sq_buf b = SQ_BUF_INIT;
	const char *p;
	size_t n, i = 0, copied = 0, found = 0;

	if (count)
		*count = 0;
	if (!s || !*s)
		return SQ_OK;
	p = *s;
	n = strlen(p);
	while (i < n) {
		size_t ends[8], nends = 0, j = i, ndig = 0, start, e, k;
		int matched = 0;

		if (!digit_at(p, i, n) || digit_before(p, i, n)) {
			i++;
			continue;
		}
		/* The digit groups that follow, each end a place a number may stop. */
		while (nends < 8) {
			size_t seps = 0, l;

			while (j < n && (l = digit_at(p, j, n))) {
				j += l;
				ndig++;
			}
			ends[nends++] = j;
			if (ndig > PHONE_DIGITS_MAX)
				break;
			for (k = j; k < n && seps < 3 && (l = sep_at(p, k, n)); k += l)
				seps++;
			if (!seps || k >= n || !digit_at(p, k, n))
				break;
			j = k;
		}
		start = i - opener_before(p, i, n);
		for (e = nends; e-- > 0 && !matched;) {
			char norm[NORM_PHONE_MAX], mask[NORM_PHONE_MAX];
			enum norm_phone_kind kind;

			if (ends[e] - start > 96)
				continue;
			if (phone_parse(p + start, ends[e] - start, norm, &kind) ||
			    kind == NORM_PHONE_MASKED || phone_mask(norm, mask))
				continue;
			if (sq_buf_add(&b, p + copied, start - copied) || sq_buf_adds(&b, mask)) {
				sq_buf_release(&b);
				return SQ_ENOMEM;
			}
			copied = i = ends[e];
			found++;
			matched = 1;
		}
		if (!matched)
			i = ends[0];
	}
	if (found) {
		char *res;

		if (sq_buf_add(&b, p + copied, n - copied)) {
			sq_buf_release(&b);
			return SQ_ENOMEM;
		}
		res = sq_buf_detach(&b);
		if (!res)
			return SQ_ENOMEM;
		free(*s);
		*s = res;
	}
	if (count)
		*count = found;
	return SQ_OK;
}

/* ------------------------------------------------------------------ */
/* The site key                                                        */

void norm_key_free(unsigned char *key, size_t len)
{
	if (!key)
		return;
	OPENSSL_cleanse(key, len);
	free(key);
}

/* Copy n bytes of key material, without a trailing newline. */
static sq_err key_from_bytes(const char *what, const char *data, size_t n,
			     unsigned char **key, size_t *len, struct sq_error *err)
{
	while (n && (data[n - 1] == '\n' || data[n - 1] == '\r'))
		n--;
	if (n < NORM_SITE_KEY_MIN)
		return sq_fail(err, SQ_ECONFIG,
			       "%s: site key is %s (%zu bytes; at least %d needed); "
			       "remove it to have one generated, or write 64 random hex digits",
			       what, n ? "too short" : "empty", n, NORM_SITE_KEY_MIN);
	*key = malloc(n);
	if (!*key)
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	memcpy(*key, data, n);
	*len = n;
	return SQ_OK;
}

/* Read path as a key file; SQ_ENOTFOUND (no message) when it does not exist. */
static sq_err read_key_file(const char *path, unsigned char **key, size_t *len,
			    struct sq_error *err)
{
	char data[4097];
	struct stat st;
	size_t n = 0;
	sq_err rc;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return SQ_ENOTFOUND;
		return sq_fail(err, SQ_EIO, "%s: cannot open site key: %s", path, strerror(errno));
	}
	if (fstat(fd, &st)) {
		rc = sq_fail(err, SQ_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = sq_fail(err, SQ_ECONFIG, "%s: site key is not a regular file", path);
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		rc = sq_fail(err, SQ_ECONFIG,
			     "%s: site key is readable or writable by group or others "
			     "(mode %04o); run: chmod 600 %s",
			     path, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, data + n, sizeof(data) - 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = sq_fail(err, SQ_EIO, "%s: cannot read site key: %s", path,
				     strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == sizeof(data) - 1) {
			rc = sq_fail(err, SQ_ECONFIG, "%s: site key file is too large", path);
			goto out;
		}
	}
	rc = key_from_bytes(path, data, n, key, len, err);
out:
	OPENSSL_cleanse(data, sizeof(data));
	close(fd);
	return rc;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Make sure a new directory entry survives a crash (best effort). */
static void sync_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	dir = slash ? sq_strndup(path, slash == path ? 1 : (size_t)(slash - path))
		    : sq_strdup(".");
	if (!dir)
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

static sq_err create_key_file(const char *path, unsigned char **key, size_t *len,
			      struct sq_error *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[32], nonce[6];
	char text[65], suffix[32];
	struct sq_buf tmp = SQ_BUF_INIT;
	sq_err rc = SQ_OK;
	size_t i;
	int fd;

	if (RAND_bytes(raw, sizeof(raw)) != 1 || RAND_bytes(nonce, sizeof(nonce)) != 1)
		return sq_fail(err, SQ_EIO, "%s: cannot generate a site key: no randomness", path);
	for (i = 0; i < sizeof(raw); i++) {
		text[2 * i] = hex[raw[i] >> 4];
		text[2 * i + 1] = hex[raw[i] & 15];
	}
	text[64] = '\n';
	snprintf(suffix, sizeof(suffix), ".tmp%02x%02x%02x%02x%02x%02x", nonce[0],
		 nonce[1], nonce[2], nonce[3], nonce[4], nonce[5]);
	if (sq_buf_adds(&tmp, path) || sq_buf_adds(&tmp, suffix)) {
		rc = sq_fail(err, SQ_ENOMEM, "out of memory");
		goto out;
	}
	/*
	 * Written whole under a private name, then linked into place: link()
	 * fails with EEXIST if another run got there first, and no run ever
	 * reads a half-written key.
	 */
	fd = open(tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = sq_fail(err, SQ_EIO, "%s: cannot create site key: %s", tmp.data,
			     strerror(errno));
		goto out;
	}
	if (write_all(fd, text, sizeof(text)) || fsync(fd)) {
		rc = sq_fail(err, SQ_EIO, "%s: cannot write site key: %s", tmp.data,
			     strerror(errno));
		close(fd);
		unlink(tmp.data);
		goto out;
	}
	close(fd);
	if (link(tmp.data, path)) {
		int e = errno;

		unlink(tmp.data);
		if (e == EEXIST) {
			rc = read_key_file(path, key, len, err);
			if (rc == SQ_ENOTFOUND)
				rc = sq_fail(err, SQ_EIO, "%s: site key vanished while reading", path);
			goto out;
		}
		rc = sq_fail(err, SQ_EIO, "%s: cannot create site key: %s", path, strerror(e));
		goto out;
	}
	unlink(tmp.data);
	sync_dir_of(path);
	rc = key_from_bytes(path, text, 64, key, len, err);
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(text, sizeof(text));
	sq_buf_release(&tmp);
	return rc;
}

sq_err norm_site_key(const struct sq_secret *configured, const char *db_path,
		     unsigned char **key, size_t *len, struct sq_error *err)
{
	struct sq_buf path = SQ_BUF_INIT;
	sq_err rc;

	*key = NULL;
	*len = 0;
	if (configured && configured->value) {
		char what[64];

		snprintf(what, sizeof(what), "privacy.site_key (from %s)",
			 configured->origin ? configured->origin : "configuration");
		return key_from_bytes(what, configured->value, strlen(configured->value),
				      key, len, err);
	}
	if (!db_path || !*db_path)
		return sq_fail(err, SQ_ECONFIG,
			       "no privacy.site_key configured and no database path to keep one beside");
	if (sq_buf_adds(&path, db_path) || sq_buf_adds(&path, ".key"))
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	rc = read_key_file(path.data, key, len, err);
	if (rc == SQ_ENOTFOUND)
		rc = create_key_file(path.data, key, len, err);
	sq_buf_release(&path);
	return rc;
}

/* ================================================================== */
/* Coordinates                                                          */

#define GCJ_A  6378245.0                 /* Krasovsky 1940 semi-major axis */
#define GCJ_EE 0.00669342162296594323    /* and its eccentricity squared */
#define BD_XPI (M_PI * 3000.0 / 180.0)
#define EARTH_R 6371008.8               /* mean radius, metres */

int norm_in_china(double lon, double lat)
{
	return lon >= 72.004 && lon <= 137.8347 && lat >= 0.8293 && lat <= 55.8271;
}

static double gcj_dlat(double x, double y)
{
	double r = -100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sqrt(fabs(x));

	r += (20.0 * sin(6.0 * x * M_PI) + 20.0 * sin(2.0 * x * M_PI)) * 2.0 / 3.0;
	r += (20.0 * sin(y * M_PI) + 40.0 * sin(y / 3.0 * M_PI)) * 2.0 / 3.0;
	r += (160.0 * sin(y / 12.0 * M_PI) + 320.0 * sin(y * M_PI / 30.0)) * 2.0 / 3.0;
	return r;
}

static double gcj_dlon(double x, double y)
{
	double r = 300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sqrt(fabs(x));

	r += (20.0 * sin(6.0 * x * M_PI) + 20.0 * sin(2.0 * x * M_PI)) * 2.0 / 3.0;
	r += (20.0 * sin(x * M_PI) + 40.0 * sin(x / 3.0 * M_PI)) * 2.0 / 3.0;
	r += (150.0 * sin(x / 12.0 * M_PI) + 300.0 * sin(x / 30.0 * M_PI)) * 2.0 / 3.0;
	return r;
}

void norm_wgs84_to_gcj02(double lon, double lat, double *out_lon, double *out_lat)
{
	double dlat, dlon, rad, magic, sq;

	if (!norm_in_china(lon, lat)) {
		*out_lon = lon;
		*out_lat = lat;
		return;
	}
	dlat = gcj_dlat(lon - 105.0, lat - 35.0);
	dlon = gcj_dlon(lon - 105.0, lat - 35.0);
	rad = lat / 180.0 * M_PI;
	magic = sin(rad);
	magic = 1 - GCJ_EE * magic * magic;
	sq = sqrt(magic);
	dlat = (dlat * 180.0) / ((GCJ_A * (1 - GCJ_EE)) / (magic * sq) * M_PI);
	dlon = (dlon * 180.0) / (GCJ_A / sq * cos(rad) * M_PI);
	*out_lon = lon + dlon;
	*out_lat = lat + dlat;
}

void norm_gcj02_to_bd09(double lon, double lat, double *out_lon, double *out_lat)
{
	double z = sqrt(lon * lon + lat * lat) + 0.00002 * sin(lat * BD_XPI);
	double theta = atan2(lat, lon) + 0.000003 * cos(lon * BD_XPI);

	*out_lon = z * cos(theta) + 0.0065;
	*out_lat = z * sin(theta) + 0.006;
}

void norm_wgs84_to_bd09(double lon, double lat, double *out_lon, double *out_lat)
{
	double glon, glat;

	norm_wgs84_to_gcj02(lon, lat, &glon, &glat);
	norm_gcj02_to_bd09(glon, glat, out_lon, out_lat);
}

/*
 * Invert a forward transform f by fixed-point iteration: x <- x + (target
 * - f(x)).  The offsets vary by well under 1e-3 per degree, so each step
 * gains about three digits; a handful of steps reach 1e-10 degrees.
 */
static void invert(void (*f)(double, double, double *, double *), double lon,
		   double lat, double *out_lon, double *out_lat)
{
	double x = lon, y = lat, fx, fy, dx, dy;
	int i;

	for (i = 0; i < 30; i++) {
		f(x, y, &fx, &fy);
		dx = lon - fx;
		dy = lat - fy;
		x += dx;
		y += dy;
		if (fabs(dx) < 1e-10 && fabs(dy) < 1e-10)
			break;
	}
	*out_lon = x;
	*out_lat = y;
}

void norm_gcj02_to_wgs84(double lon, double lat, double *out_lon, double *out_lat)
{
	if (!norm_in_china(lon, lat)) {
		*out_lon = lon;
		*out_lat = lat;
		return;
	}
	invert(norm_wgs84_to_gcj02, lon, lat, out_lon, out_lat);
}

void norm_bd09_to_wgs84(double lon, double lat, double *out_lon, double *out_lat)
{
	invert(norm_wgs84_to_bd09, lon, lat, out_lon, out_lat);
}

double norm_distance_m(double lon1, double lat1, double lon2, double lat2)
{
	double p1 = lat1 * M_PI / 180.0, p2 = lat2 * M_PI / 180.0;
	double dp = p2 - p1, dl = (lon2 - lon1) * M_PI / 180.0;
	double a = sin(dp / 2) * sin(dp / 2) + cos(p1) * cos(p2) * sin(dl / 2) * sin(dl / 2);

	if (a > 1.0)
		a = 1.0;
	return 2.0 * EARTH_R * asin(sqrt(a));
}

/* ================================================================== */
/* Address keys                                                        */

#define CP_HAO   0x53F7u /* 号 */
#define CP_HAO_T 0x865Fu /* 號 */
#define CP_ZHI   0x4E4Bu /* 之 */
#define CP_LU    0x8DEFu /* 路 */
#define CP_JIE   0x8857u /* 街 */
#define CP_DAO   0x9053u /* 道 */
#define CP_DA    0x5927u /* 大 */
#define CP_XIANG 0x5DF7u /* 巷 */
#define CP_LI    0x91CCu /* 里 */
#define CP_FANG  0x574Au /* 坊 */
#define CP_NONG  0x5F04u /* 弄 */
#define CP_HU    0x80E1u /* 胡 */
#define CP_TONG  0x540Cu /* 同 */
#define CP_SHE   0x793Eu /* 社 */
#define CP_QU    0x533Au /* 区 */

/* Longest road name kept, in characters, before its suffix. */
#define ROAD_NAME_MAX 10

static int is_han(uint32_t c)
{
	return (c >= 0x4E00 && c <= 0x9FFF) || (c >= 0x3400 && c <= 0x4DBF) ||
	       (c >= 0xF900 && c <= 0xFAFF) || (c >= 0x20000 && c <= 0x2FFFF);
}

static int is_ascii_digit(uint32_t c)
{
	return c >= '0' && c <= '9';
}

static int cn_digit(uint32_t c)
{
	switch (c) {
	case 0x3007: case 0x96F6: return 0; /* 〇 零 */
	case 0x4E00: return 1;              /* 一 */
	case 0x4E8C: case 0x4E24: return 2; /* 二 两 */
	case 0x4E09: return 3;              /* 三 */
	case 0x56DB: return 4;              /* 四 */
	case 0x4E94: return 5;              /* 五 */
	case 0x516D: return 6;              /* 六 */
	case 0x4E03: return 7;              /* 七 */
	case 0x516B: return 8;              /* 八 */
	case 0x4E5D: return 9;              /* 九 */
	default: return -1;
	}
}

static int cn_unit(uint32_t c)
{
	switch (c) {
	case 0x5341: return 10;   /* 十 */
	case 0x767E: return 100;  /* 百 */
	case 0x5343: return 1000; /* 千 */
	default: return 0;
	}
}

static int is_cn_numeral(uint32_t c)
{
	return cn_digit(c) >= 0 || cn_unit(c);
}

/*
 * Value of a run of Chinese numerals: with units (十五 = 15, 二十 = 20,
 * 一百零八 = 108) or positional digits (八八 = 88, 一〇八 = 108).
 * -1 when the run is not a number (十十, 五五十).
 */
static long cn_number(const uint32_t *c, size_t n)
{
	long total = 0, cur = -1;
	int last_unit = 100000, has_unit = 0, zero = 0;
	size_t i;

	for (i = 0; i < n; i++)
		if (cn_unit(c[i]))
			has_unit = 1;
	if (!has_unit) {
		if (n > 6)
			return -1;
		for (i = 0; i < n; i++)
			total = total * 10 + cn_digit(c[i]);
		return total;
	}
	for (i = 0; i < n; i++) {
		int d = cn_digit(c[i]), u = cn_unit(c[i]);

		if (d == 0) {
			if (cur > 0)
				return -1;
			zero = 1;
			continue;
		}
		if (d > 0) {
			if (cur >= 0)
				return -1;
			cur = d;
			continue;
		}
		if (u >= last_unit || (zero && cur < 0))
			return -1;
		total += (cur < 0 ? 1 : cur) * u;
		cur = -1;
		zero = 0;
		last_unit = u;
	}
	if (cur > 0)
		total += cur;
	return total;
}

/* Characters after which free text, not a road name, comes. */
static int is_stop(uint32_t c)
{
	switch (c) {
	case 0x5728: /* 在 */ case 0x4E8E: /* 于 */ case 0x7684: /* 的 */
	case 0x8FD1: /* 近 */ case 0x5F80: /* 往 */ case 0x81F3: /* 至 */
	case 0x548C: /* 和 */ case 0x4E0E: /* 与 */ case 0x53CA: /* 及 */
	case 0x4F4F: /* 住 */ case 0x4ECE: /* 从 */ case 0x5BF9: /* 对 */
	case 0x662F: /* 是 */ case CP_HAO:
		return 1;
	default:
		return 0;
	}
}

/* Words of place that come between a number and the next road: 对面, 旁边, ... */
static int is_stop2(uint32_t a, uint32_t b)
{
	static const uint32_t words[][2] = {
		{ 0x5BF9, 0x9762 }, /* 对面 */ { 0x65C1, 0x8FB9 }, /* 旁边 */
		{ 0x9644, 0x8FD1 }, /* 附近 */ { 0x9694, 0x58C1 }, /* 隔壁 */
		{ 0x540E, 0x9762 }, /* 后面 */ { 0x524D, 0x9762 }, /* 前面 */
		{ 0x95E8, 0x53E3 }, /* 门口 */ { 0x8DEF, 0x53E3 }, /* 路口 */
		{ 0x4EA4, 0x754C }, /* 交界 */ { 0x4E4B, 0x95F4 }, /* 之间 */
		{ 0x697C, 0x4E0B }, /* 楼下 */ { 0x91CC, 0x9762 }, /* 里面 */
	};
	size_t i;

	for (i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (words[i][0] == a && words[i][1] == b)
			return 1;
	return 0;
}

/* One-character endings of administrative names (街道 and 社区 are two). */
static int is_admin_end(uint32_t c)
{
	switch (c) {
	case 0x7701: /* 省 */ case 0x5E02: /* 市 */ case CP_QU:
	case 0x53BF: /* 县 */ case 0x65D7: /* 旗 */ case 0x9547: /* 镇 */
	case 0x4E61: /* 乡 */ case 0x6751: /* 村 */
		return 1;
	default:
		return 0;
	}
}

/* Decode and fold an address into code points: full-width to ASCII, 號 to 号, no spaces. */
static uint32_t *addr_decode(const char *s, size_t *n_out)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t len = strlen(s), i = 0, n = 0, k;
	const char *why;
	uint32_t *c;

	c = malloc((len + 1) * sizeof(*c));
	if (!c)
		return NULL;
	while (i < len) {
		uint32_t cp;

		k = utf8_decode(p + i, len - i, &cp, &why);
		if (!k) {
			n = 0;
			break;
		}
		i += k;
		if (cp >= 0xFF01 && cp <= 0xFF5E)
			cp -= 0xFEE0;
		if (cp == CP_HAO_T)
			cp = CP_HAO;
		if (fold_class_of(cp) != FOLD_KEEP)
			continue;
		c[n++] = cp;
	}
	*n_out = n;
	return c;
}

/*
 * Skip leading administrative names: "广州市", "荔湾区", "金花街道",
 * "西华路社区".  Each is 2..10 Chinese characters ending at the first
 * admin ending, without a house number in it.
 */
static size_t strip_admin(const uint32_t *c, size_t n)
{
	size_t pos = 0;

	for (;;) {
		size_t j, next = 0;

		for (j = pos; j < n && j - pos < 10 && is_han(c[j]) && c[j] != CP_HAO; j++) {
			int end2 = j > pos && ((c[j - 1] == CP_JIE && c[j] == CP_DAO) ||
					       (c[j - 1] == CP_SHE && c[j] == CP_QU));

			if ((is_admin_end(c[j]) || end2) && j > pos) {
				next = j + 1;
				break;
			}
		}
		if (!next)
			return pos;
		pos = next;
	}
}

static int is_road_end(const uint32_t *c, size_t at, size_t lo)
{
	switch (c[at]) {
	case CP_LU: case CP_JIE: case CP_XIANG: case CP_LI: case CP_FANG: case CP_NONG:
		return 1;
	case CP_DAO:
		return !(at > lo && c[at - 1] == CP_JIE); /* 街道 is an office, not a road */
	case CP_TONG:
		return at > lo && c[at - 1] == CP_HU;
	default:
		return 0;
	}
}

/*
 * Start of the road name whose suffix is at c[suf]: back over Chinese
 * characters (and the lane digits of "3巷"), not past lo, a stop
 * character, or ROAD_NAME_MAX characters.  Returns suf when there is no
 * name of at least one Chinese character.
 */
static size_t road_start(const uint32_t *c, size_t lo, size_t suf)
{
	size_t j = suf, han = 0;

	while (j > lo && is_ascii_digit(c[j - 1]))
		j--;
	while (j > lo && is_han(c[j - 1]) && !is_stop(c[j - 1]) && han < ROAD_NAME_MAX &&
	       !(j - 1 > lo && is_stop2(c[j - 2], c[j - 1]))) {
		j--;
		han++;
	}
	return han ? j : suf;
}

struct road_match {
	size_t start, end; /* the road, suffix included: c[start..end) */
	long number;       /* 0: none */
};

/* The last road + house number in c[lo..n); 0 or -1 when none. */
static int find_numbered(const uint32_t *c, size_t lo, size_t n, struct road_match *m)
{
	size_t k;
	int found = 0;

	for (k = lo + 1; k < n; k++) {
		size_t e, rs;
		long num;
		int arabic = is_ascii_digit(c[k]);

		if (!arabic && !is_cn_numeral(c[k]))
			continue;
		if (!is_road_end(c, k - 1, lo))
			continue;
		for (e = k; e < n && (arabic ? is_ascii_digit(c[e]) : is_cn_numeral(c[e])); e++)
			;
		if (arabic) {
			if (e - k > 6)
				continue;
			num = 0;
			for (size_t i = k; i < e; i++)
				num = num * 10 + (long)(c[i] - '0');
		} else {
			num = cn_number(c + k, e - k);
		}
		if (num <= 0 || num > 99999)
			continue;
		/* What makes it a house number: 号, "-1号"/"之一号", or digits at the end. */
		if (e < n && c[e] != CP_HAO) {
			size_t f = e + 1;

			if (c[e] != '-' && c[e] != CP_ZHI)
				continue;
			while (f < n && (is_ascii_digit(c[f]) || is_cn_numeral(c[f])))
				f++;
			if (f == e + 1 || f >= n || c[f] != CP_HAO)
				continue;
		} else if (e == n && !arabic) {
			continue;
		}
		rs = road_start(c, lo, k - 1);
		if (rs == k - 1)
			continue;
		m->start = rs;
		m->end = k;
		m->number = num;
		found = 1;
		k = e;
	}
	return found ? 0 : -1;
}

/* The last road name without a number, stricter about what a road is. */
static int find_road(const uint32_t *c, size_t lo, size_t n, struct road_match *m)
{
	size_t k;
	int found = 0;

	for (k = lo + 2; k < n; k++) {
		size_t rs, end = k + 1;
		int ok;

		switch (c[k]) {
		case CP_LU: case CP_XIANG: case CP_FANG: case CP_NONG:
			ok = 1;
			break;
		case CP_JIE:
			ok = !(k + 1 < n && c[k + 1] == CP_DAO);
			break;
		case CP_DAO:
			ok = c[k - 1] == CP_DA;
			break;
		case CP_TONG:
			ok = c[k - 1] == CP_HU;
			break;
		default:
			ok = 0;
		}
		if (!ok)
			continue;
		/* A community or street office named after its road is not the road. */
		if (end + 1 < n && ((c[end] == CP_SHE && c[end + 1] == CP_QU) ||
				    (c[end] == CP_JIE && c[end + 1] == CP_DAO)))
			continue;
		rs = road_start(c, lo, k);
		if (rs == k || k - rs < 2)
			continue;
		m->start = rs;
		m->end = end;
		m->number = 0;
		found = 1;
	}
	return found ? 0 : -1;
}

static sq_err road_key_text(const uint32_t *c, const struct road_match *m, int with_number,
			    char **out)
{
	struct sq_buf b = SQ_BUF_INIT;
	size_t i;

	for (i = m->start; i < m->end; i++) {
		char enc[4];

		if (sq_buf_add(&b, enc, utf8_encode(c[i], enc)))
			goto oom;
	}
	if (with_number && sq_buf_addf(&b, "%ld\xE5\x8F\xB7", m->number)) /* 号 */
		goto oom;
	*out = sq_buf_detach(&b);
	return *out ? SQ_OK : SQ_ENOMEM;
oom:
	sq_buf_release(&b);
	return SQ_ENOMEM;
}

/* Find a road (numbered first when want_number) after the admin prefix, else anywhere. */
static sq_err address_search(const char *address, int want_number, char **out)
{
	struct road_match m;
	uint32_t *c;
	size_t n, lo;
	sq_err rc = SQ_OK;
	int found;

	*out = NULL;
	if (!address)
		return SQ_OK;
	c = addr_decode(address, &n);
	if (!c)
		return SQ_ENOMEM;
	lo = strip_admin(c, n);
	found = !find_numbered(c, lo, n, &m) || (lo && !find_numbered(c, 0, n, &m));
	if (found)
		rc = road_key_text(c, &m, want_number, out);
	else if (!want_number && (!find_road(c, lo, n, &m) || (lo && !find_road(c, 0, n, &m))))
		rc = road_key_text(c, &m, 0, out);
	free(c);
	return rc;
}

sq_err norm_address_key(const char *address, char **key)
{
	return address_search(address, 1, key);
}

sq_err norm_road_key(const char *address, char **road)
{
	return address_search(address, 0, road);
}

/* ================================================================== */
/* Records                                                             */

void normalizer_init(struct sq_normalizer *n, const struct sq_config *cfg,
		     const struct sq_taxonomy *taxonomy,
		     const unsigned char *site_key, size_t site_key_len)
{
	memset(n, 0, sizeof(*n));
	n->areas = cfg ? &cfg->areas : NULL;
	n->tz_offset_s = cfg ? cfg->tz_offset_s : 8 * 3600;
	n->taxonomy = taxonomy;
	n->site_key = site_key;
	n->site_key_len = site_key_len;
	n->keep_raw_contact = cfg ? cfg->privacy.keep_raw_contact : 0;
	n->radius_m = NORM_AREA_RADIUS_M;
}

const struct sq_area *norm_find_area(const struct sq_areas *areas, const char *name)
{
	size_t i, j;

	if (!areas || !name)
		return NULL;
	for (i = 0; i < areas->ncommunities; i++)
		if (areas->communities[i].name && !strcmp(areas->communities[i].name, name))
			return &areas->communities[i];
	for (i = 0; i < areas->ncommunities; i++)
		for (j = 0; j < areas->communities[i].aliases.n; j++)
			if (areas->communities[i].aliases.items[j] &&
			    !strcmp(areas->communities[i].aliases.items[j], name))
				return &areas->communities[i];
	return NULL;
}

static const struct sq_area *area_by_grid(const struct sq_areas *areas, const char *grid)
{
	const struct sq_area *best = NULL;
	size_t i, bestlen = 0;

	for (i = 0; grid && i < areas->ncommunities; i++) {
		const char *gp = areas->communities[i].grid_prefix;
		size_t l = gp ? strlen(gp) : 0;

		if (l > bestlen && !strncmp(grid, gp, l)) {
			best = &areas->communities[i];
			bestlen = l;
		}
	}
	return best;
}

static const struct sq_area *area_by_position(const struct sq_areas *areas, double lon,
					      double lat, double radius)
{
	const struct sq_area *best = NULL;
	double bestd = radius;
	size_t i;

	for (i = 0; i < areas->ncommunities; i++) {
		const struct sq_area *a = &areas->communities[i];
		double d;

		if (!a->has_center)
			continue;
		d = norm_distance_m(lon, lat, a->lon, a->lat);
		if (d <= bestd) {
			best = a;
			bestd = d;
		}
	}
	return best;
}

static sq_err set_string(char **field, const char *value)
{
	char *copy = NULL;

	if (value && !(copy = sq_strdup(value)))
		return SQ_ENOMEM;
	free(*field);
	*field = copy;
	return SQ_OK;
}

static sq_err normalize_contact(const struct sq_normalizer *n, struct sq_record *r,
				struct sq_error *err)
{
	char norm[NORM_PHONE_MAX], mask[NORM_PHONE_MAX], hash[65];
	enum norm_phone_kind kind;
	int ok;
	sq_err rc;

	if (!r->contact_raw)
		return SQ_OK;
	ok = !phone_parse(r->contact_raw, strlen(r->contact_raw), norm, &kind) &&
	     !phone_mask(norm, mask);
	/* The full number leaves the record before anything else can fail. */
	OPENSSL_cleanse(r->contact_raw, strlen(r->contact_raw));
	free(r->contact_raw);
	r->contact_raw = NULL;
	if (!ok)
		return SQ_OK;
	if (kind == NORM_PHONE_MASKED) {
		if (set_string(&r->contact_masked, mask) || set_string(&r->contact_hash, NULL))
			goto oom;
		return SQ_OK;
	}
	if (set_string(&r->contact_masked, mask))
		goto oom;
	if (!n->site_key || !n->site_key_len) {
		rc = sq_fail(err, SQ_ECONFIG, "contact: no site key to hash the phone number with");
		goto out;
	}
	rc = norm_contact_hash(n->site_key, n->site_key_len, norm, hash);
	if (rc) {
		sq_fail(err, rc, "contact: cannot hash the phone number");
		goto out;
	}
	if (set_string(&r->contact_hash, hash))
		goto oom;
	if (n->keep_raw_contact && set_string(&r->contact_raw, norm))
		goto oom;
	rc = SQ_OK;
	goto out;
oom:
	rc = sq_fail(err, SQ_ENOMEM, "contact: out of memory");
out:
	OPENSSL_cleanse(norm, sizeof(norm));
	return rc;
}

static sq_err fold_field(char **field, const char *name, struct sq_error *err)
{
	char *out;
	sq_err rc;

	if (!*field)
		return SQ_OK;
	rc = norm_text(*field, strlen(*field), &out, err);
	if (rc) {
		sq_error_prefix(err, "%s: ", name);
		return rc;
	}
	free(*field);
	if (!*out) {
		free(out);
		out = NULL;
	}
	*field = out;
	return SQ_OK;
}

static sq_err check_field(const char *value, const char *name, struct sq_error *err)
{
	sq_err rc;

	if (!value)
		return SQ_OK;
	rc = norm_utf8_check(value, strlen(value), err);
	if (rc)
		sq_error_prefix(err, "%s: ", name);
	return rc;
}

static sq_err check_time(int64_t t, const char *name, int required, struct sq_error *err)
{
	static const int64_t lo = 0; /* 1970-01-01T00:00:00Z */
	int64_t hi = norm_days_from_civil(NORM_YEAR_MAX + 1, 1, 1) * 86400;

	if (!t) {
		if (required)
			return sq_fail(err, SQ_EPARSE, "%s: missing", name);
		return SQ_OK;
	}
	if (t < lo || t >= hi)
		return sq_fail(err, SQ_EPARSE, "%s: %lld is outside the years %d..%d", name,
			       (long long)t, NORM_YEAR_MIN, NORM_YEAR_MAX);
	return SQ_OK;
}

static void normalize_position(struct sq_record *r)
{
	double lon = r->lon, lat = r->lat;

	if (r->crs == SQ_CRS_NONE)
		goto none;
	if (!isfinite(lon) || !isfinite(lat) || lat < -90 || lat > 90 || lon < -180 ||
	    lon > 180 || (lon == 0 && lat == 0))
		goto none;
	if (r->crs == SQ_CRS_GCJ02)
		norm_gcj02_to_wgs84(lon, lat, &r->lon, &r->lat);
	else if (r->crs == SQ_CRS_BD09)
		norm_bd09_to_wgs84(lon, lat, &r->lon, &r->lat);
	else if (r->crs != SQ_CRS_WGS84)
		goto none;
	r->crs = SQ_CRS_WGS84;
	return;
none:
	r->crs = SQ_CRS_NONE;
	r->lon = r->lat = 0;
}

static sq_err resolve_area(const struct sq_normalizer *n, struct sq_record *r)
{
	const struct sq_areas *areas = n->areas;
	const struct sq_area *a;

	if (!areas || !areas->ncommunities)
		return SQ_OK;
	a = norm_find_area(areas, r->community);
	if (!a)
		a = area_by_grid(areas, r->grid);
	if (!a && r->crs == SQ_CRS_WGS84)
		a = area_by_position(areas, r->lon, r->lat,
				     n->radius_m > 0 ? n->radius_m : NORM_AREA_RADIUS_M);
	if (!a)
		return SQ_OK;
	if (a->name && (!r->community || strcmp(r->community, a->name)) &&
	    set_string(&r->community, a->name))
		return SQ_ENOMEM;
	if (!r->street && areas->street && set_string(&r->street, areas->street))
		return SQ_ENOMEM;
	return SQ_OK;
}

sq_err normalize_record(const struct sq_normalizer *n, struct sq_record *r,
			struct sq_error *err)
{
	/* Fields that are free text, and may quote a phone number. */
	char **scrub[] = { &r->title, &r->text, &r->address, &r->handler, &r->channel,
			   &r->street, &r->community, &r->category_raw, &r->status_raw,
			   &r->raw };
	static const char *const folded_names[] = {
		"channel", "title", "text", "category", "street", "community", "grid",
		"address", "status", "satisfaction", "handler",
	};
	char **folded[] = { &r->channel, &r->title, &r->text, &r->category_raw,
			    &r->street, &r->community, &r->grid, &r->address,
			    &r->status_raw, &r->satisfaction, &r->handler };
	size_t i;
	sq_err rc;

	rc = normalize_contact(n, r, err);
	for (i = 0; i < sizeof(scrub) / sizeof(scrub[0]); i++)
		if (norm_scrub_phones(scrub[i], NULL))
			return sq_fail(err, SQ_ENOMEM, "out of memory");
	if (rc)
		return rc;
	if ((rc = check_field(r->source, "source", err)) ||
	    (rc = check_field(r->source_type, "source_type", err)) ||
	    (rc = check_field(r->source_id, "source_id", err)) ||
	    (rc = check_field(r->raw, "raw", err)))
		return rc;
	if (!r->source_id || !*r->source_id)
		return sq_fail(err, SQ_EPARSE, "source_id: missing");
	for (i = 0; i < r->nlinks; i++)
		if ((rc = check_field(r->links[i].target_id, "links", err)))
			return rc;
	for (i = 0; i < sizeof(folded) / sizeof(folded[0]); i++)
		if ((rc = fold_field(folded[i], folded_names[i], err)))
			return rc;
	/* Folding turned full-width digits into ASCII ones: look again. */
	for (i = 0; i < sizeof(scrub) / sizeof(scrub[0]) - 1; i++)
		if (norm_scrub_phones(scrub[i], NULL))
			return sq_fail(err, SQ_ENOMEM, "out of memory");
	if ((rc = check_time(r->received_at, "received_at", 1, err)) ||
	    (rc = check_time(r->updated_at, "updated_at", 0, err)) ||
	    (rc = check_time(r->deadline, "deadline", 0, err)))
		return rc;
	if (!r->updated_at)
		r->updated_at = r->received_at;
	normalize_position(r);
	if (resolve_area(n, r))
		return sq_fail(err, SQ_ENOMEM, "community: out of memory");
	if (n->taxonomy && r->category_raw) {
		const char *key = taxonomy_map(n->taxonomy, r->source_type, r->category_raw);

		if (set_string(&r->category, key))
			return sq_fail(err, SQ_ENOMEM, "category: out of memory");
	}
	return SQ_OK;
}
