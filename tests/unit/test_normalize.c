/*
 * test_normalize.c — text folding, times, phones, site key, coordinates,
 * address keys and normalize_record(), table-driven, with malformed input.
 */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <unictype.h>
#include <uninorm.h>

#include "buf.h"
#include "normalize.h"
#include "normalize_private.h"
#include "record.h"
#include "taxonomy.h"
#include "banned.h"

#define ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))

/* ================================================================== */
/* norm_text                                                           */

struct text_case {
	const char *in;
	size_t len;          /* 0: strlen(in) */
	const char *out;     /* NULL: an error is expected */
	const char *errpart; /* substring of the message */
};

static const struct text_case text_cases[] = {
	{ "hello", 0, "hello", NULL },
	{ "", 0, "", NULL },
	{ "   ", 0, "", NULL },
	{ "  a  b  ", 0, "a b", NULL },
	{ "\xEF\xBC\xA1\xEF\xBC\xA2\xEF\xBC\xA3\xEF\xBC\x91\xEF\xBC\x92\xEF\xBC\x93", 0, "ABC123", NULL }, /* ＡＢＣ１２３ */
	{ "\xEF\xBC\x82\xEF\xBD\x9E", 0, "\"~", NULL },              /* U+FF02, U+FF5E */
	{ "ａｂｃ＠ｅｘａｍｐｌｅ．ｃｏｍ", 0, "abc@example.com", NULL },
	{ "好！（注）：是，对；吗？", 0, "好！（注）：是，对；吗？", NULL },  /* Chinese punctuation kept */
	{ "\xEF\xBD\x9F", 0, "\xEF\xBD\x9F", NULL },                 /* U+FF5F is not folded */
	{ "恩宁路\xE3\x80\x80８８号", 0, "恩宁路 88号", NULL },       /* U+3000 */
	{ "\xE3\x80\x80\xE3\x80\x80标题\xE3\x80\x80", 0, "标题", NULL },
	{ "a\tb\nc\r\nd", 0, "a b c d", NULL },
	{ "a\x01" "b\x1F" "c\x7F" "d", 0, "abcd", NULL },              /* C0 and DEL removed */
	{ "a\xC2\x80" "b\xC2\x9F" "c", 0, "abc", NULL },                 /* C1 removed */
	{ "a\xC2\x85" "b", 0, "a b", NULL },                             /* NEL is a line break */
	{ "a\xC2\xA0" "b", 0, "a b", NULL },                             /* no-break space */
	{ "a\xE2\x80\x83\xE2\x80\xA8" "b", 0, "a b", NULL },             /* em space, line separator */
	{ "\xEF\xBB\xBF" "BOM", 0, "BOM", NULL },
	{ "zero\xE2\x80\x8Bwidth", 0, "zerowidth", NULL },
	{ "a\0b", 3, "ab", NULL },                                       /* NUL inside */
	{ "市民来电反映：恩宁路，噪音。", 0, "市民来电反映：恩宁路，噪音。", NULL },
	{ "“恩宁路”——《通知》【急】…々〇", 0, "“恩宁路”——《通知》【急】…々〇", NULL },
	{ "噪音e\xCC\x81", 0, "噪音\xC3\xA9", NULL },                  /* NFC after a stable start */
	{ "e\xCC\x81", 0, "\xC3\xA9", NULL },                            /* NFC: e + acute = é */
	{ "\xEF\xBC\xA1\xCC\x8A", 0, "\xC3\x85", NULL },                 /* Ａ + ring: folded, then composed to Å */
	{ "\xEF\xAC\x81", 0, "\xEF\xAC\x81", NULL },                     /* ﬁ stays: NFC, not NFKC */
	{ "\xE2\x84\xAB", 0, "\xC3\x85", NULL },                         /* Angstrom sign to Å (canonical) */
	{ "\xF0\x9F\x98\x80 ok", 0, "\xF0\x9F\x98\x80 ok", NULL },      /* 4-byte sequences pass */
	{ "\xF4\x8F\xBF\xBF", 0, "\xF4\x8F\xBF\xBF", NULL },            /* U+10FFFF is the last valid one */
	/* the basic block of ideographs, U+4E00..U+9FFF, and next to it */
	{ "\xE4\xB7\xBF\xE4\xB8\x80  \xE9\xBF\xBF\xEA\x80\x80", 0,
	  "\xE4\xB7\xBF\xE4\xB8\x80 \xE9\xBF\xBF\xEA\x80\x80", NULL },
	/* malformed */
	{ "\xE9\xBF" "a", 0, NULL, "at byte 0: truncated" },
	{ "中\xE5\xBF", 0, NULL, "at byte 3: truncated" },
	{ "\xE5" "ab", 0, NULL, "at byte 0: truncated" },
	{ "\x80", 0, NULL, "at byte 0: unexpected continuation byte" },
	{ "\xC0\xAF", 0, NULL, "at byte 0: overlong" },
	{ "ab\xC1\xBF", 0, NULL, "at byte 2: overlong" },
	{ "ab\xE0\x80\xAF", 0, NULL, "at byte 2: overlong" },
	{ "\xF0\x80\x80\xAF", 0, NULL, "at byte 0: overlong" },
	{ "x\xED\xA0\x80", 0, NULL, "at byte 1: surrogate" },
	{ "\xED\xBF\xBF", 0, NULL, "at byte 0: surrogate" },
	{ "\xF4\x90\x80\x80", 0, NULL, "at byte 0: code point above U+10FFFF" },
	{ "\xF5\x80\x80\x80", 0, NULL, "above U+10FFFF" },
	{ "\xFF", 0, NULL, "at byte 0: invalid byte" },
	{ "abc\xE6\x81", 0, NULL, "at byte 3: truncated" },
	{ "\xE6\x81" "a", 0, NULL, "at byte 0: truncated" },
	{ "中文\xF0\x9F\x98", 0, NULL, "at byte 6: truncated" },
	{ "ok\xC3", 0, NULL, "at byte 2: truncated" },
};

static void test_text_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(text_cases); i++) {
		const struct text_case *c = &text_cases[i];
		size_t len = c->len ? c->len : strlen(c->in);
		struct sq_error err = { 0, "" };
		char *out = (char *)1;
		sq_err rc;

		rc = norm_text(c->in, len, &out, &err);
		if (c->out) {
			if (rc != SQ_OK || strcmp(out, c->out))
				fail_msg("case %zu: rc %d out \"%s\" want \"%s\" (%s)", i, rc,
					 out ? out : "(null)", c->out, err.msg);
			free(out);
		} else {
			if (rc != SQ_ECHARSET || out || !strstr(err.msg, c->errpart))
				fail_msg("case %zu: rc %d msg \"%s\" want \"%s\"", i, rc, err.msg,
					 c->errpart);
			assert_int_equal(norm_utf8_check(c->in, len, NULL), SQ_ECHARSET);
		}
	}
}

/*
 * norm_text skips NFC for text made only of norm_nfc_stable() code points.
 * That is exact when each of them is a starter without a canonical
 * decomposition (NFD changes nothing, nothing to reorder) and no pair of
 * them is the decomposition of a composite (NFC composes nothing): checked
 * here over every code point, against libunistring's Unicode tables.
 */
static void test_nfc_stable_set(void **state)
{
	ucs4_t cp, dec[UC_DECOMPOSITION_MAX_LENGTH];
	size_t stable = 0;
	int n;

	(void)state;
	for (cp = 0; cp <= 0x10FFFF; cp++) {
		if (cp >= 0xD800 && cp <= 0xDFFF)
			continue;
		n = uc_canonical_decomposition(cp, dec);
		if (norm_nfc_stable(cp)) {
			stable++;
			if (uc_combining_class(cp) != 0 || n >= 0)
				fail_msg("U+%04X: combining class %d, decomposition length %d", (unsigned)cp,
					 uc_combining_class(cp), n);
		}
		if (n == 2 && norm_nfc_stable(dec[0]) && norm_nfc_stable(dec[1]))
			fail_msg("U+%04X + U+%04X compose to U+%04X", (unsigned)dec[0], (unsigned)dec[1],
				 (unsigned)cp);
	}
	assert_true(stable > 20000);   /* the CJK unified ideographs alone */
}

static void test_text_null_and_long(void **state)
{
	struct sq_buf b = SQ_BUF_INIT;
	char *out;
	size_t i;

	(void)state;
	assert_int_equal(norm_text(NULL, 0, &out, NULL), SQ_OK);
	assert_string_equal(out, "");
	free(out);
	/* A long text of mixed widths folds in one pass. */
	for (i = 0; i < 5000; i++)
		assert_int_equal(sq_buf_adds(&b, "噪音\xE3\x80\x80 ＡＢ \t"), SQ_OK);
	assert_int_equal(norm_text(b.data, b.len, &out, NULL), SQ_OK);
	assert_int_equal(strlen(out), 5000 * strlen("噪音 AB ") - 1);
	assert_memory_equal(out, "噪音 AB 噪音 AB", strlen("噪音 AB 噪音 AB"));
	free(out);
	sq_buf_release(&b);
	/* Folding is idempotent. */
	assert_int_equal(norm_text("  Ａ\xCC\x8A  x ", strlen("  Ａ\xCC\x8A  x "), &out, NULL), SQ_OK);
	{
		char *again;

		assert_int_equal(norm_text(out, strlen(out), &again, NULL), SQ_OK);
		assert_string_equal(out, again);
		free(again);
	}
	free(out);
}

/* ================================================================== */
/* Times                                                               */

enum tfn { CST, RFC, LOCAL };

struct time_case {
	enum tfn fn;
	const char *text;
	int64_t want; /* when ok */
	int ok;
	const char *errpart;
};

#define T_0501_0902 INT64_C(1714525330) /* 2024-05-01T09:02:10+08:00 */

static const struct time_case time_cases[] = {
	{ CST, "2024-05-01 09:02:10", T_0501_0902, 1, NULL },
	{ CST, " 2024-05-01 09:02:10 ", T_0501_0902, 1, NULL },
	{ CST, "2024-02-29 23:59:59", INT64_C(1709222399), 1, NULL },
	{ CST, "1970-01-01 08:00:00", 0, 1, NULL },
	{ CST, "2100-12-31 23:59:59", INT64_C(4133951999), 1, NULL },
	{ CST, "2024-05-01T09:02:10", 0, 0, "expected 'T' or a space" },
	{ CST, "2024-05-01 09:02", 0, 0, "missing the seconds" },
	{ CST, "2024-05-01", 0, 0, "missing the time" },
	{ CST, "2024-13-01 09:02:10", 0, 0, "month 13 out of range" },
	{ CST, "2024-00-01 09:02:10", 0, 0, "month 0 out of range" },
	{ CST, "2024-02-30 09:02:10", 0, 0, "day 30 out of range for 2024-02" },
	{ CST, "2023-02-29 09:02:10", 0, 0, "day 29 out of range for 2023-02" },
	{ CST, "2024-04-31 09:02:10", 0, 0, "day 31" },
	{ CST, "2024-05-00 09:02:10", 0, 0, "day 0" },
	{ CST, "2024-05-01 24:00:00", 0, 0, "hour 24 out of range" },
	{ CST, "2024-05-01 09:60:00", 0, 0, "minute 60" },
	{ CST, "2024-05-01 09:02:60", 0, 0, "second 60" },
	{ CST, "1969-12-31 23:59:59", 0, 0, "year 1969 out of range" },
	{ CST, "2101-01-01 00:00:00", 0, 0, "year 2101 out of range" },
	{ CST, "2024-5-1 9:02:10", 0, 0, "expected a date" },
	{ CST, "2024/05/01 09:02:10", 0, 0, "expected a date" },
	{ CST, "2024-05-01 09:02:10x", 0, 0, "unexpected text" },
	{ CST, "2024-05-01 09:02:10+08:00", 0, 0, "unexpected text" },
	{ CST, "", 0, 0, "expected a date" },
	{ CST, "yesterday", 0, 0, "bad time \"yesterday\"" },
	{ RFC, "2024-05-01T09:02:10+08:00", T_0501_0902, 1, NULL },
	{ RFC, "2024-05-01T01:02:10Z", T_0501_0902, 1, NULL },
	{ RFC, "2024-05-01t01:02:10z", T_0501_0902, 1, NULL },
	{ RFC, "2024-05-01 01:02:10Z", T_0501_0902, 1, NULL },
	{ RFC, "2024-05-01T01:02:10.999Z", T_0501_0902, 1, NULL },
	{ RFC, "2024-05-01T01:02:10.123456789+00:00", T_0501_0902, 1, NULL },
	{ RFC, "2024-05-01T09:02:10+0800", T_0501_0902, 1, NULL },
	{ RFC, "2024-04-30T19:32:10-05:30", T_0501_0902, 1, NULL },
	{ RFC, "2024-05-01T09:02+08:00", T_0501_0902 - 10, 1, NULL },
	{ RFC, "2024-05-01T09:02:10", 0, 0, "missing the offset" },
	{ RFC, "2024-05-01T09:02:10+8:00", 0, 0, "expected an offset" },
	{ RFC, "2024-05-01T09:02:10+08", 0, 0, "expected an offset" },
	{ RFC, "2024-05-01T09:02:10+24:00", 0, 0, "offset out of range" },
	{ RFC, "2024-05-01T09:02:10.Z", 0, 0, "digits after '.'" },
	{ RFC, "2024-02-30T09:02:10Z", 0, 0, "day 30" },
	{ RFC, "2024-05-01T24:00:00Z", 0, 0, "hour 24" },
	{ RFC, "2024-05-01", 0, 0, "missing the time" },
	{ LOCAL, "2024-05-01", INT64_C(1714492800), 1, NULL },
	{ LOCAL, "2024-05-01 08:00", INT64_C(1714521600), 1, NULL },
	{ LOCAL, "2024-05-01T08:00", INT64_C(1714521600), 1, NULL },
	{ LOCAL, "2024-05-01 08:00:00", INT64_C(1714521600), 1, NULL },
	{ LOCAL, "2024-05-01T08:00:00", INT64_C(1714521600), 1, NULL },
	{ LOCAL, "2024-05-01T08:00:00+08:00", INT64_C(1714521600), 1, NULL },
	{ LOCAL, "2024-05-01T00:00:00Z", INT64_C(1714521600), 1, NULL },
	{ LOCAL, "  2024-05-01  ", INT64_C(1714492800), 1, NULL },
	{ LOCAL, "2024-05-01 8:00", 0, 0, "expected a time" },
	{ LOCAL, "2024-05-32", 0, 0, "day 32" },
	{ LOCAL, "2024-05-01 25:00", 0, 0, "hour 25" },
	{ LOCAL, "05/01/2024", 0, 0, "expected a date" },
	{ LOCAL, "2024-05-01x", 0, 0, "expected 'T'" },
};

static void test_time_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(time_cases); i++) {
		const struct time_case *c = &time_cases[i];
		struct sq_error err = { 0, "" };
		int64_t t = -1;
		sq_err rc;

		switch (c->fn) {
		case CST: rc = norm_time_cst(c->text, &t, &err); break;
		case RFC: rc = norm_time_rfc3339(c->text, &t, &err); break;
		default: rc = norm_time_local(c->text, 8 * 3600, &t, &err); break;
		}
		if (c->ok) {
			if (rc != SQ_OK || t != c->want)
				fail_msg("case %zu \"%s\": rc %d t %lld want %lld (%s)", i, c->text,
					 rc, (long long)t, (long long)c->want, err.msg);
		} else {
			if (rc != SQ_EPARSE || !strstr(err.msg, c->errpart))
				fail_msg("case %zu \"%s\": rc %d msg \"%s\" want \"%s\"", i, c->text,
					 rc, err.msg, c->errpart);
			/* The message quotes the text it refused. */
			if (*c->text && !strstr(err.msg, c->text))
				fail_msg("case %zu: message \"%s\" does not quote the text", i, err.msg);
		}
	}
	assert_int_equal(norm_time_cst(NULL, &(int64_t){ 0 }, NULL), SQ_EPARSE);
}

static void test_time_local_zone(void **state)
{
	int64_t t;

	(void)state;
	assert_int_equal(norm_time_local("2024-05-01 09:02:10", 0, &t, NULL), SQ_OK);
	assert_int_equal(t, INT64_C(1714554130));
	assert_int_equal(norm_time_local("2024-05-01 09:02:10", -(5 * 3600 + 1800), &t, NULL), SQ_OK);
	assert_int_equal(t, INT64_C(1714573930));
	/* An explicit offset wins over the configured zone. */
	assert_int_equal(norm_time_local("2024-05-01T09:02:10+08:00", 0, &t, NULL), SQ_OK);
	assert_int_equal(t, T_0501_0902);
}

struct ago_case {
	const char *text;
	int64_t want; /* seconds before now; -1: error */
};

static const struct ago_case ago_cases[] = {
	{ "24h", 86400 }, { "7d", 7 * 86400 }, { "90s", 90 }, { "15m", 900 },
	{ "2w", 14 * 86400 }, { " 1h ", 3600 }, { "999999999s", 999999999 },
	{ "", -1 }, { "h", -1 }, { "24", -1 }, { "-1h", -1 }, { "0h", -1 },
	{ "1y", -1 }, { "24 h", -1 }, { "1h2m", -1 }, { "1234567890h", -1 },
	{ "２４h", -1 }, { "24H", -1 },
};

static void test_time_ago(void **state)
{
	const int64_t now = T_0501_0902;
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(ago_cases); i++) {
		struct sq_error err = { 0, "" };
		int64_t t = 0;
		sq_err rc = norm_time_ago(ago_cases[i].text, now, &t, &err);

		if (ago_cases[i].want < 0) {
			if (rc != SQ_EPARSE || !strstr(err.msg, "bad relative time"))
				fail_msg("\"%s\": rc %d msg %s", ago_cases[i].text, rc, err.msg);
		} else if (rc != SQ_OK || t != now - ago_cases[i].want) {
			fail_msg("\"%s\": rc %d t %lld", ago_cases[i].text, rc, (long long)t);
		}
	}
	/* norm_time_arg takes either form. */
	{
		int64_t t;

		assert_int_equal(norm_time_arg("24h", 28800, now, &t, NULL), SQ_OK);
		assert_int_equal(t, now - 86400);
		assert_int_equal(norm_time_arg("2024-05-01", 28800, now, &t, NULL), SQ_OK);
		assert_int_equal(t, INT64_C(1714492800));
		assert_int_equal(norm_time_arg("2024-05-01T00:00:00Z", 28800, now, &t, NULL), SQ_OK);
		assert_int_equal(t, INT64_C(1714521600));
		assert_int_equal(norm_time_arg("soon", 28800, now, &t, NULL), SQ_EPARSE);
		assert_int_equal(norm_time_arg("2024-13-01", 28800, now, &t, NULL), SQ_EPARSE);
	}
}

static void test_time_format(void **state)
{
	char buf[NORM_TIME_BUFSZ], small[10];

	(void)state;
	assert_int_equal(norm_format_time(T_0501_0902, 28800, buf, sizeof(buf)), 25);
	assert_string_equal(buf, "2024-05-01T09:02:10+08:00");
	norm_format_time(T_0501_0902, 0, buf, sizeof(buf));
	assert_string_equal(buf, "2024-05-01T01:02:10+00:00");
	norm_format_time(T_0501_0902, -(5 * 3600 + 1800), buf, sizeof(buf));
	assert_string_equal(buf, "2024-04-30T19:32:10-05:30");
	norm_format_time(0, 0, buf, sizeof(buf));
	assert_string_equal(buf, "1970-01-01T00:00:00+00:00");
	norm_format_time(-1, 0, buf, sizeof(buf));
	assert_string_equal(buf, "1969-12-31T23:59:59+00:00");
	assert_int_equal(norm_format_local(T_0501_0902, 28800, buf, sizeof(buf)), 16);
	assert_string_equal(buf, "2024-05-01 09:02");
	norm_format_local(INT64_C(1714492799), 28800, buf, sizeof(buf));
	assert_string_equal(buf, "2024-04-30 23:59");
	assert_int_equal(norm_format_time(T_0501_0902, 28800, small, sizeof(small)), 0);
	assert_string_equal(small, "");
	assert_int_equal(norm_format_local(T_0501_0902, 28800, small, sizeof(small)), 0);
	assert_int_equal(norm_format_time(T_0501_0902, 28800, NULL, 0), 0);
	/* Absurd instants are clamped, never overflowed. */
	assert_true(norm_format_time(INT64_MAX, 28800, buf, sizeof(buf)) > 0);
	assert_true(norm_format_time(INT64_MIN, -28800, buf, sizeof(buf)) > 0);
}

static void test_time_roundtrip(void **state)
{
	int64_t d, t;

	(void)state;
	/* days_from_civil and civil_from_days are inverse over 1600..2400. */
	for (d = norm_days_from_civil(1600, 1, 1); d < norm_days_from_civil(2400, 1, 1); d += 1) {
		int64_t y;
		int m, day;

		norm_civil_from_days(d, &y, &m, &day);
		if (norm_days_from_civil(y, m, day) != d)
			fail_msg("day %lld", (long long)d);
	}
	/* norm_civil agrees with the C library over 1970..2100, hour by odd hour. */
	for (t = 0; t <= INT64_C(4133951999); t += 3600 * 7 + 13) {
		struct sq_civil c;
		struct tm tm;
		time_t tt = (time_t)t;
		char a[NORM_TIME_BUFSZ];
		int64_t back;

		norm_civil(t, 0, &c);
		gmtime_r(&tt, &tm);
		if (c.year != tm.tm_year + 1900 || c.month != tm.tm_mon + 1 || c.day != tm.tm_mday ||
		    c.hour != tm.tm_hour || c.min != tm.tm_min || c.sec != tm.tm_sec ||
		    c.wday != (tm.tm_wday + 6) % 7)
			fail_msg("t %lld", (long long)t);
		/* Formatting and parsing are inverse. */
		norm_format_time(t, 28800, a, sizeof(a));
		if (norm_time_rfc3339(a, &back, NULL) || back != t)
			fail_msg("round trip of %s", a);
	}
	{
		struct sq_civil c;

		norm_civil(T_0501_0902, 28800, &c);
		assert_int_equal(c.wday, 2); /* a Wednesday */
		norm_civil(-1, 0, &c);
		assert_int_equal(c.year, 1969);
		assert_int_equal(c.wday, 2); /* 1969-12-31 was a Wednesday */
	}
}

/* ================================================================== */
/* Phones                                                              */

struct phone_case {
	const char *raw;
	const char *norm; /* NULL: SQ_EPARSE */
	enum norm_phone_kind kind;
	const char *mask;
};

static const struct phone_case phone_cases[] = {
	{ "13812345678", "13812345678", NORM_PHONE_MOBILE, "138****5678" },
	{ "138 1234 5678", "13812345678", NORM_PHONE_MOBILE, "138****5678" },
	{ "138-1234-5678", "13812345678", NORM_PHONE_MOBILE, "138****5678" },
	{ "138.1234.5678", "13812345678", NORM_PHONE_MOBILE, "138****5678" },
	{ " 13812345678\t", "13812345678", NORM_PHONE_MOBILE, "138****5678" },
	{ "+86 138 1234 5678", "13812345678", NORM_PHONE_MOBILE, "138****5678" },
	{ "+8613812345678", "13812345678", NORM_PHONE_MOBILE, "138****5678" },
	{ "+86-13812345678", "13812345678", NORM_PHONE_MOBILE, "138****5678" },
	{ "(+86)13812345678", "13812345678", NORM_PHONE_MOBILE, "138****5678" },
	{ "0086 13812345678", "13812345678", NORM_PHONE_MOBILE, "138****5678" },
	{ "008613812345678", "13812345678", NORM_PHONE_MOBILE, "138****5678" },
	{ "8613812345678", "13812345678", NORM_PHONE_MOBILE, "138****5678" },
	{ "86 138 1234 5678", "13812345678", NORM_PHONE_MOBILE, "138****5678" },
	{ "013812345678", "13812345678", NORM_PHONE_MOBILE, "138****5678" },
	{ "１３８１２３４５６７８", "13812345678", NORM_PHONE_MOBILE, "138****5678" },
	{ "＋８６\xE3\x80\x80１３８－１２３４－５６７８", "13812345678", NORM_PHONE_MOBILE, "138****5678" },
	{ "19912345678", "19912345678", NORM_PHONE_MOBILE, "199****5678" },
	{ "020-81234567", "020-81234567", NORM_PHONE_LANDLINE, "020-****4567" },
	{ "(020)81234567", "020-81234567", NORM_PHONE_LANDLINE, "020-****4567" },
	{ "（020）81234567", "020-81234567", NORM_PHONE_LANDLINE, "020-****4567" },
	{ "020 8123 4567", "020-81234567", NORM_PHONE_LANDLINE, "020-****4567" },
	{ "02081234567", "020-81234567", NORM_PHONE_LANDLINE, "020-****4567" },
	{ "０２０－８１２３４５６７", "020-81234567", NORM_PHONE_LANDLINE, "020-****4567" },
	{ "+86 20 8123 4567", "020-81234567", NORM_PHONE_LANDLINE, "020-****4567" },
	{ "+86 (0)20 8123 4567", "020-81234567", NORM_PHONE_LANDLINE, "020-****4567" },
	{ "0086-20-81234567", "020-81234567", NORM_PHONE_LANDLINE, "020-****4567" },
	{ "0755 8123 4567", "0755-81234567", NORM_PHONE_LANDLINE, "0755-****4567" },
	{ "+86-755-81234567", "0755-81234567", NORM_PHONE_LANDLINE, "0755-****4567" },
	{ "0755-8123456", "0755-8123456", NORM_PHONE_LANDLINE, "0755-****3456" },
	{ "010-62345678", "010-62345678", NORM_PHONE_LANDLINE, "010-****5678" },
	{ "0571 8888 6666", "0571-88886666", NORM_PHONE_LANDLINE, "0571-****6666" },
	/* masked by the feed */
	{ "138****5678", "138****5678", NORM_PHONE_MASKED, "138****5678" },
	{ "138*****5678", "138****5678", NORM_PHONE_MASKED, "138****5678" },
	{ "138***5678", "138****5678", NORM_PHONE_MASKED, "138****5678" },
	{ "138＊＊＊＊5678", "138****5678", NORM_PHONE_MASKED, "138****5678" },
	{ "+86 138****5678", "138****5678", NORM_PHONE_MASKED, "138****5678" },
	{ "020-****4567", "020-****4567", NORM_PHONE_MASKED, "020-****4567" },
	{ "0755-****4567", "0755-****4567", NORM_PHONE_MASKED, "0755-****4567" },
	/* junk */
	{ "", NULL, 0, NULL },
	{ "   ", NULL, 0, NULL },
	{ "abc", NULL, 0, NULL },
	{ "null", NULL, 0, NULL },
	{ "12345", NULL, 0, NULL },
	{ "95588", NULL, 0, NULL },
	{ "110", NULL, 0, NULL },
	{ "4008123456", NULL, 0, NULL },
	{ "400-812-3456", NULL, 0, NULL },
	{ "1381234567", NULL, 0, NULL },
	{ "138123456789", NULL, 0, NULL },
	{ "23812345678", NULL, 0, NULL },
	{ "12812345678", NULL, 0, NULL },
	{ "81234567", NULL, 0, NULL },
	{ "020-01234567", NULL, 0, NULL },
	{ "020-11234567", NULL, 0, NULL },
	{ "020-812345", NULL, 0, NULL },
	{ "020-812345678", NULL, 0, NULL },
	{ "00-81234567", NULL, 0, NULL },
	{ "+1 212 555 1234", NULL, 0, NULL },
	{ "+852 9123 4567", NULL, 0, NULL },
	{ "1+3812345678", NULL, 0, NULL },
	{ "13812345678转123", NULL, 0, NULL },
	{ "13812345678 / 13912345678", NULL, 0, NULL },
	{ "13812345678,13912345678", NULL, 0, NULL },
	{ "tel:13812345678", NULL, 0, NULL },
	{ "138****", NULL, 0, NULL },
	{ "1***5678", NULL, 0, NULL },
	{ "138**5678", NULL, 0, NULL },
	{ "138*******5678", NULL, 0, NULL },
	{ "138**12**5678", NULL, 0, NULL },
	{ "****", NULL, 0, NULL },
	{ "020-***4567", "020-****4567", NORM_PHONE_MASKED, "020-****4567" },
	{ "\xFF\xFE", NULL, 0, NULL },
	{ "138\xC0\xAF" "12345678", NULL, 0, NULL },
	{ "123456789012345678901234567890", NULL, 0, NULL },
};

static void test_phone_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(phone_cases); i++) {
		const struct phone_case *c = &phone_cases[i];
		struct sq_error err = { 0, "" };
		enum norm_phone_kind kind = 0;
		char *norm = (char *)1, *mask;
		sq_err rc = norm_phone(c->raw, &norm, &kind, &err);

		if (!c->norm) {
			if (rc != SQ_EPARSE || norm)
				fail_msg("case %zu \"%s\": rc %d, want SQ_EPARSE", i, c->raw, rc);
			/* Never echo what may be a personal number. */
			if (strlen(c->raw) > 3 && strstr(err.msg, c->raw))
				fail_msg("case %zu: message repeats the input", i);
			continue;
		}
		if (rc != SQ_OK || strcmp(norm, c->norm) || kind != c->kind)
			fail_msg("case %zu \"%s\": rc %d norm \"%s\" kind %d, want \"%s\" %d", i,
				 c->raw, rc, norm ? norm : "(null)", kind, c->norm, c->kind);
		mask = norm_phone_mask(norm);
		if (!mask || strcmp(mask, c->mask))
			fail_msg("case %zu: mask \"%s\" want \"%s\"", i, mask ? mask : "(null)", c->mask);
		/* What norm_phone returns, it accepts again unchanged. */
		{
			char *again;

			assert_int_equal(norm_phone(norm, &again, NULL, NULL), SQ_OK);
			assert_string_equal(again, norm);
			free(again);
		}
		free(mask);
		free(norm);
	}
	assert_int_equal(norm_phone(NULL, &(char *){ NULL }, NULL, NULL), SQ_EPARSE);
}

static void test_phone_mask_junk(void **state)
{
	static const char *const junk[] = {
		"", "1381234567", "abcdefghijk", "020-812", "020-812345678", "02081234567",
		"00000-81234567", "0x0-81234567",
	};
	size_t i;

	(void)state;
	assert_null(norm_phone_mask(NULL));
	for (i = 0; i < ARRAY_LEN(junk); i++)
		if (norm_phone_mask(junk[i]))
			fail_msg("\"%s\" masked", junk[i]);
}

static void test_contact_hash(void **state)
{
	static const unsigned char key[] = "0123456789abcdef0123456789abcdef";
	char hex[65];

	(void)state;
	/* The RFC 4231-style reference: HMAC-SHA256("key", pangram). */
	assert_int_equal(norm_contact_hash((const unsigned char *)"key", 3,
					   "The quick brown fox jumps over the lazy dog", hex), SQ_OK);
	assert_string_equal(hex, "f7bc83f430538424b13298e6aa6fb143ef4d59a14946175997479dbc2d1a3cd8");
	assert_int_equal(norm_contact_hash(key, 32, "13812345678", hex), SQ_OK);
	assert_string_equal(hex, "64727c7a7e107e8a0240403d14d3f0032960309afd64eb419f20e52a0946c70a");
	assert_int_equal(norm_contact_hash(key, 32, "020-81234567", hex), SQ_OK);
	assert_string_equal(hex, "73227ecd090b1023dea89635b253cece4f29e1664ef1057451805faf7f65cde8");
	assert_int_equal(norm_contact_hash(key, 0, "13812345678", hex), SQ_ECONFIG);
	assert_string_equal(hex, "");
	assert_int_equal(norm_contact_hash(NULL, 32, "13812345678", hex), SQ_ECONFIG);
	assert_int_equal(norm_contact_hash(key, 32, NULL, hex), SQ_EPARSE);
}

struct scrub_case {
	const char *in;
	const char *out;
	size_t count;
};

static const struct scrub_case scrub_cases[] = {
	{ "请回电13812345678谢谢", "请回电138****5678谢谢", 1 },
	{ "电话 138 1234 5678，", "电话 138****5678，", 1 },
	{ "电话+86 138-1234-5678。", "电话138****5678。", 1 },
	{ "座机(020)81234567", "座机020-****4567", 1 },
	{ "020-81234567 和 13912345678", "020-****4567 和 139****5678", 2 },
	{ "0755 8123 4567", "0755-****4567", 1 },
	{ "13812345678 2024", "138****5678 2024", 1 },
	{ "2024-05-01 13812345678", "2024-05-01 138****5678", 1 },
	{ "{\"phone\":\"13812345678\",\"ts\":1714523400000}",
	  "{\"phone\":\"138****5678\",\"ts\":1714523400000}", 1 },
	{ "工单2024050112345000123", NULL, 0 },
	{ "2024-05-01 08:31:22", NULL, 0 },
	{ "138****5678", NULL, 0 },
	{ "坐标113.24915,23.12677", NULL, 0 },
	{ "网格440103009003012", NULL, 0 },
	{ "身份证440103199001011234", NULL, 0 },
	{ "12345热线", NULL, 0 },
	{ "门牌81234567", NULL, 0 },
	{ "", NULL, 0 },
	{ "13812345678", "138****5678", 1 },
	{ "x13812345678y", "x138****5678y", 1 },
	{ "138123456789", NULL, 0 },
	{ "invalid \xFF\xFE 13812345678", "invalid \xFF\xFE 138****5678", 1 },
	{ "回电１３８１２３４５６７８。", "回电138****5678。", 1 },
	{ "（０２０）８１２３４５６７", "020-****4567", 1 },
	{ "＋８６\xE3\x80\x80１３８－１２３４－５６７８", "138****5678", 1 },
	{ "１３８＊＊＊＊５６７８", NULL, 0 },
	{ "２０２４－０５－０１", NULL, 0 },
	/* full-width punctuation and letters share the digits' lead byte */
	{ "请于，。！？13812345678联系", "请于，。！？138****5678联系", 1 },
	{ "ＡＢＣ13812345678", "ＡＢＣ138****5678", 1 },
};

static void test_scrub_table(void **state)
{
	size_t i, count;

	(void)state;
	for (i = 0; i < ARRAY_LEN(scrub_cases); i++) {
		const struct scrub_case *c = &scrub_cases[i];
		char *s = sq_strdup(c->in), *before = s;

		assert_non_null(s);
		assert_int_equal(norm_scrub_phones(&s, &count), SQ_OK);
		if (count != c->count || strcmp(s, c->out ? c->out : c->in))
			fail_msg("case %zu \"%s\": \"%s\" (%zu masked)", i, c->in, s, count);
		if (!c->count)
			assert_ptr_equal(s, before);
		free(s);
	}
	{
		char *s = NULL;

		assert_int_equal(norm_scrub_phones(&s, &count), SQ_OK);
		assert_null(s);
		assert_int_equal(count, 0);
		assert_int_equal(norm_scrub_phones(NULL, NULL), SQ_OK);
	}
}

/* ------------------------------------------------------------------ */
/* The site key                                                        */

struct tmpdir {
	char path[64];
};

static void tmpdir_make(struct tmpdir *d)
{
	snprintf(d->path, sizeof(d->path), "/tmp/suqiu-norm-XXXXXX");
	assert_non_null(mkdtemp(d->path));
}

static void tmpdir_remove(struct tmpdir *d)
{
	char cmd[128];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", d->path);
	assert_int_equal(system(cmd), 0);
}

static void write_file(const char *path, const char *data, mode_t mode)
{
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC, mode);

	assert_true(fd >= 0);
	assert_int_equal(write(fd, data, strlen(data)), (ssize_t)strlen(data));
	assert_int_equal(fchmod(fd, mode), 0);
	close(fd);
}

static void test_site_key(void **state)
{
	struct tmpdir d;
	char db[128], keyfile[160];
	unsigned char *key, *key2;
	size_t len, len2;
	struct sq_error err = { 0, "" };
	struct stat st;
	struct sq_secret sec = { NULL, NULL };
	size_t i;

	(void)state;
	tmpdir_make(&d);
	snprintf(db, sizeof(db), "%s/suqiu.db", d.path);
	snprintf(keyfile, sizeof(keyfile), "%s.key", db);

	/* A configured key wins, byte for byte, without its newline. */
	sec.value = "a configured site key of some length\n";
	sec.origin = "file";
	assert_int_equal(norm_site_key(&sec, db, &key, &len, &err), SQ_OK);
	assert_int_equal(len, strlen("a configured site key of some length"));
	assert_memory_equal(key, "a configured site key of some length", len);
	norm_key_free(key, len);
	assert_int_equal(stat(keyfile, &st), -1);
	sec.value = "short";
	assert_int_equal(norm_site_key(&sec, db, &key, &len, &err), SQ_ECONFIG);
	assert_null(key);
	assert_non_null(strstr(err.msg, "privacy.site_key (from file): site key is too short"));

	/* None configured, none on disk: one is made, mode 0600, 64 hex digits. */
	sec.value = NULL;
	assert_int_equal(norm_site_key(&sec, db, &key, &len, &err), SQ_OK);
	assert_int_equal(len, 64);
	for (i = 0; i < len; i++)
		assert_non_null(strchr("0123456789abcdef", key[i]));
	assert_int_equal(stat(keyfile, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0600);
	assert_int_equal(st.st_size, 65);
	/* ... and found again next time (NULL configured is the same as unset). */
	assert_int_equal(norm_site_key(NULL, db, &key2, &len2, &err), SQ_OK);
	assert_int_equal(len2, len);
	assert_memory_equal(key, key2, len);
	norm_key_free(key2, len2);
	norm_key_free(key, len);
	/* No temporary file is left behind. */
	{
		char cmd[256];

		snprintf(cmd, sizeof(cmd), "test $(ls -A '%s' | wc -l) -eq 1", d.path);
		assert_int_equal(system(cmd), 0);
	}

	/* A key file others may read is refused, with the fix in the message. */
	assert_int_equal(chmod(keyfile, 0644), 0);
	assert_int_equal(norm_site_key(NULL, db, &key, &len, &err), SQ_ECONFIG);
	assert_non_null(strstr(err.msg, "readable or writable by group or others (mode 0644)"));
	assert_non_null(strstr(err.msg, "chmod 600"));
	assert_non_null(strstr(err.msg, keyfile));
	assert_int_equal(chmod(keyfile, 0620), 0);
	assert_int_equal(norm_site_key(NULL, db, &key, &len, &err), SQ_ECONFIG);

	/* A key written by hand, trailing newline dropped. */
	write_file(keyfile, "hand-written key 0123456789\r\n", 0600);
	assert_int_equal(norm_site_key(NULL, db, &key, &len, &err), SQ_OK);
	assert_int_equal(len, strlen("hand-written key 0123456789"));
	assert_memory_equal(key, "hand-written key 0123456789", len);
	norm_key_free(key, len);
	write_file(keyfile, "", 0600);
	assert_int_equal(norm_site_key(NULL, db, &key, &len, &err), SQ_ECONFIG);
	assert_non_null(strstr(err.msg, "site key is empty"));
	write_file(keyfile, "tiny\n", 0400);
	assert_int_equal(norm_site_key(NULL, db, &key, &len, &err), SQ_ECONFIG);
	assert_non_null(strstr(err.msg, "too short"));
	assert_int_equal(unlink(keyfile), 0);
	assert_int_equal(mkdir(keyfile, 0700), 0);
	assert_int_equal(norm_site_key(NULL, db, &key, &len, &err), SQ_ECONFIG);
	assert_non_null(strstr(err.msg, "not a regular file"));
	assert_int_equal(rmdir(keyfile), 0);

	/* No place to keep one. */
	assert_int_equal(norm_site_key(NULL, NULL, &key, &len, &err), SQ_ECONFIG);
	assert_int_equal(norm_site_key(NULL, "", &key, &len, &err), SQ_ECONFIG);
	snprintf(db, sizeof(db), "%s/missing/dir/suqiu.db", d.path);
	assert_int_equal(norm_site_key(NULL, db, &key, &len, &err), SQ_EIO);
	assert_non_null(strstr(err.msg, "missing/dir/suqiu.db.key"));
	norm_key_free(NULL, 0);
	tmpdir_remove(&d);
}

/* Several processes creating the key at once all end up with the same one. */
static void test_site_key_race(void **state)
{
	enum { N = 8 };
	struct tmpdir d;
	char db[128];
	int go[2], res[2], i;
	pid_t pids[N];
	char got[N][65];

	(void)state;
	tmpdir_make(&d);
	snprintf(db, sizeof(db), "%s/race.db", d.path);
	assert_int_equal(pipe(go), 0);
	assert_int_equal(pipe(res), 0);
	for (i = 0; i < N; i++) {
		pids[i] = fork();
		assert_true(pids[i] >= 0);
		if (pids[i] == 0) {
			unsigned char *key = NULL;
			size_t len = 0;
			char c, line[65];

			close(go[1]);
			if (read(go[0], &c, 1) != 0) /* wait until the parent closes it */
				_exit(3);
			if (norm_site_key(NULL, db, &key, &len, NULL) || len != 64)
				_exit(2);
			memcpy(line, key, 64);
			line[64] = '\n';
			if (write(res[1], line, 65) != 65)
				_exit(4);
			_exit(0);
		}
	}
	close(go[0]);
	close(go[1]); /* start them together */
	close(res[1]);
	for (i = 0; i < N; i++) {
		size_t have = 0;

		while (have < 65) {
			ssize_t r = read(res[0], got[i] + have, 65 - have);

			assert_true(r > 0);
			have += (size_t)r;
		}
	}
	close(res[0]);
	for (i = 0; i < N; i++) {
		int status;

		assert_int_equal(waitpid(pids[i], &status, 0), pids[i]);
		assert_true(WIFEXITED(status));
		assert_int_equal(WEXITSTATUS(status), 0);
		assert_memory_equal(got[i], got[0], 64);
	}
	tmpdir_remove(&d);
}

/* ================================================================== */
/* Coordinates                                                          */

static void test_coords_forward(void **state)
{
	double lon, lat;

	(void)state;
	/* Published reference values (gcoord's test suite) for (123, 45). */
	norm_wgs84_to_gcj02(123, 45, &lon, &lat);
	assert_true(fabs(lon - 123.00607541) < 1e-6 && fabs(lat - 45.00197815) < 1e-6);
	norm_wgs84_to_bd09(123, 45, &lon, &lat);
	assert_true(fabs(lon - 123.0124491) < 1e-6 && fabs(lat - 45.0083293) < 1e-6);
	norm_gcj02_to_bd09(123, 45, &lon, &lat);
	assert_true(fabs(lon - 123.00636499) < 1e-6 && fabs(lat - 45.00636899) < 1e-6);
	/* Outside China GCJ-02 is WGS 84. */
	norm_wgs84_to_gcj02(2.3522, 48.8566, &lon, &lat);
	assert_true(lon == 2.3522 && lat == 48.8566);
	norm_gcj02_to_wgs84(-74.006, 40.7128, &lon, &lat);
	assert_true(lon == -74.006 && lat == 40.7128);
	assert_false(norm_in_china(139.69, 35.68)); /* Tokyo */
	assert_true(norm_in_china(113.2440, 23.1293));
}

static void test_coords_inverse(void **state)
{
	double lon, lat, glon, glat, blon, blat, wlon, wlat, worst = 0;

	(void)state;
	/* gcoord's values for (123, 45), from its closed-form approximation. */
	norm_gcj02_to_wgs84(123, 45, &wlon, &wlat);
	assert_true(norm_distance_m(wlon, wlat, 122.99395597, 44.99804071) < 1.0);
	norm_bd09_to_wgs84(123, 45, &wlon, &wlat);
	assert_true(norm_distance_m(wlon, wlat, 122.98762210, 44.99171540) < 1.0);
	/* Forward then inverse lands within 0.5 m all over China. */
	for (lon = 73.5; lon <= 135; lon += 2.5) {
		for (lat = 3.5; lat <= 53.5; lat += 2.5) {
			double e;

			norm_wgs84_to_gcj02(lon, lat, &glon, &glat);
			norm_gcj02_to_wgs84(glon, glat, &wlon, &wlat);
			e = norm_distance_m(lon, lat, wlon, wlat);
			worst = e > worst ? e : worst;
			norm_wgs84_to_bd09(lon, lat, &blon, &blat);
			norm_bd09_to_wgs84(blon, blat, &wlon, &wlat);
			e = norm_distance_m(lon, lat, wlon, wlat);
			worst = e > worst ? e : worst;
		}
	}
	if (worst >= 0.5)
		fail_msg("worst round-trip error %.3f m", worst);
	/* The city-management sample point: a few hundred metres of offset undone. */
	norm_gcj02_to_wgs84(113.24915, 23.12677, &wlon, &wlat);
	assert_true(norm_distance_m(113.24915, 23.12677, wlon, wlat) > 300);
	assert_true(norm_distance_m(113.24915, 23.12677, wlon, wlat) < 800);
	norm_wgs84_to_gcj02(wlon, wlat, &glon, &glat);
	assert_true(norm_distance_m(glon, glat, 113.24915, 23.12677) < 0.01);
	/* Not a number in, not a number out, without looping forever. */
	norm_bd09_to_wgs84(NAN, 23, &wlon, &wlat);
	assert_true(isnan(wlon));
}

static void test_distance(void **state)
{
	(void)state;
	assert_true(fabs(norm_distance_m(0, 0, 0, 1) - 111195.08) < 0.1);
	assert_true(norm_distance_m(113.2440, 23.1293, 113.2440, 23.1293) == 0);
	assert_true(fabs(norm_distance_m(113.2440, 23.1293, 113.2470, 23.1260) - 478.29) < 0.05);
	assert_true(fabs(norm_distance_m(113.2470, 23.1260, 113.2440, 23.1293) - 478.29) < 0.05);
	assert_true(fabs(norm_distance_m(0, 0, 180, 0) - 20015114.44) < 1);
	assert_true(fabs(norm_distance_m(179.9, 0, -179.9, 0) - 22239.0) < 1);
}

/* ================================================================== */
/* Address keys                                                        */

struct addr_case {
	const char *in;
	const char *key;  /* NULL: none */
	const char *road; /* NULL: none */
};

static const struct addr_case addr_cases[] = {
	{ "广州市荔湾区恩宁路八十八号之一", "恩宁路88号", "恩宁路" },
	{ "恩宁路88號", "恩宁路88号", "恩宁路" },
	{ "恩宁路８８号旁边工地", "恩宁路88号", "恩宁路" },
	{ "恩宁路88号", "恩宁路88号", "恩宁路" },
	{ "荔湾区恩宁路88号", "恩宁路88号", "恩宁路" },
	{ "广东省广州市荔湾区金花街道恩宁路88号", "恩宁路88号", "恩宁路" },
	{ "恩宁路 88 号", "恩宁路88号", "恩宁路" },
	{ "恩宁路\xE3\x80\x80８８號", "恩宁路88号", "恩宁路" },
	{ "恩宁路88-1号", "恩宁路88号", "恩宁路" },
	{ "恩宁路88之1号", "恩宁路88号", "恩宁路" },
	{ "恩宁路88", "恩宁路88号", "恩宁路" },
	{ "恩宁路088号", "恩宁路88号", "恩宁路" },
	{ "恩宁路八八号", "恩宁路88号", "恩宁路" },
	{ "恩宁路十五号", "恩宁路15号", "恩宁路" },
	{ "多宝路一百零八号", "多宝路108号", "多宝路" },
	{ "多宝路一〇八号", "多宝路108号", "多宝路" },
	{ "宝华路二十号", "宝华路20号", "宝华路" },
	{ "宝华路两百号", "宝华路200号", "宝华路" },
	{ "逢源北街九号", "逢源北街9号", "逢源北街" },
	{ "西华二巷3号", "西华二巷3号", "西华二巷" },
	{ "十五甫正街6号", "十五甫正街6号", "十五甫正街" },
	{ "昌华大街12号", "昌华大街12号", "昌华大街" },
	{ "龙津西路3号首层", "龙津西路3号", "龙津西路" },
	{ "荔湾区西华路社区西华路12号", "西华路12号", "西华路" },
	{ "恩宁路88号对面多宝路12号", "多宝路12号", "多宝路" },
	{ "恩宁路88号3栋201房", "恩宁路88号", "恩宁路" },
	{ "住在恩宁路88号", "恩宁路88号", "恩宁路" },
	{ "新市路8号", "新市路8号", "新市路" },
	/* a road named like an administrative unit (环市, 芳村, 新市) after the
	 * city and district: the name is the road's, not an office's */
	{ "广州市荔湾区环市大道225号", "环市大道225号", "环市大道" },
	{ "广州市荔湾区芳村大道106号", "芳村大道106号", "芳村大道" },
	{ "广州市荔湾区新市路8号", "新市路8号", "新市路" },
	{ "荔湾区环市东路3号", "环市东路3号", "环市东路" },
	{ "广州市越秀区环市中路", NULL, "环市中路" },
	{ "广州市荔湾区芳村大道", NULL, "芳村大道" },
	{ "广州市荔湾区西村路12号", "西村路12号", "西村路" },
	{ "广州市荔湾区石围塘街道芳村大道3号", "芳村大道3号", "芳村大道" },
	{ "广州市荔湾区冲口街道南漖村大道5号", "南漖村大道5号", "南漖村大道" },
	{ "龙津中路3巷5号", "龙津中路3巷5号", "龙津中路3巷" },
	{ "中山大道100号", "中山大道100号", "中山大道" },
	{ "上九路1号", "上九路1号", "上九路" },
	{ "恩宁路附近工地", NULL, "恩宁路" },
	{ "恩宁路小区门口", NULL, "恩宁路" },
	{ "多宝路与宝源路交界", NULL, "宝源路" },
	{ "中山大道", NULL, "中山大道" },
	{ "恩宁路八十八", NULL, "恩宁路" },
	{ "恩宁路十十号", NULL, "恩宁路" },
	{ "西华路社区", NULL, NULL },
	{ "金花街道", NULL, NULL },
	{ "在马路上", NULL, NULL },
	{ "这里", NULL, NULL },
	{ "88号", NULL, NULL },
	{ "路88号", NULL, NULL },
	{ "恩宁路0号", NULL, "恩宁路" },
	{ "恩宁路1234567号", NULL, "恩宁路" },
	{ "", NULL, NULL },
	{ "\xFF\xFE", NULL, NULL },
	{ "恩宁路88号\xFF", NULL, NULL },
};

static void test_address_table(void **state)
{
	size_t i;

	(void)state;
	for (i = 0; i < ARRAY_LEN(addr_cases); i++) {
		const struct addr_case *c = &addr_cases[i];
		char *key = (char *)1, *road = (char *)1;

		assert_int_equal(norm_address_key(c->in, &key), SQ_OK);
		assert_int_equal(norm_road_key(c->in, &road), SQ_OK);
		if ((c->key && (!key || strcmp(key, c->key))) || (!c->key && key))
			fail_msg("case %zu \"%s\": key \"%s\" want \"%s\"", i, c->in,
				 key ? key : "(null)", c->key ? c->key : "(null)");
		if ((c->road && (!road || strcmp(road, c->road))) || (!c->road && road))
			fail_msg("case %zu \"%s\": road \"%s\" want \"%s\"", i, c->in,
				 road ? road : "(null)", c->road ? c->road : "(null)");
		free(key);
		free(road);
	}
	{
		char *key = (char *)1;

		assert_int_equal(norm_address_key(NULL, &key), SQ_OK);
		assert_null(key);
	}
}

/* ================================================================== */
/* normalize_record                                                    */

static char *xihua_aliases[] = { "西华社区" };
static char *enning_aliases[] = { "恩宁社区" };
static char *duobao_aliases[] = { "多宝社区" };

static struct sq_area test_communities[] = {
	{ "西华路社区", { xihua_aliases, 1 }, "440103009001", 113.2440, 23.1293, 1 },
	{ "恩宁路社区", { enning_aliases, 1 }, "440103009002", 113.2470, 23.1260, 1 },
	{ "多宝路社区", { duobao_aliases, 1 }, "440103009003", 113.2420, 23.1240, 1 },
	/* A coarse prefix, to prove the longest one wins. */
	{ "金花街道其他", { NULL, 0 }, "440103009", 0, 0, 0 },
};

static const struct sq_areas test_areas = {
	"荔湾区", "金花街道", test_communities, ARRAY_LEN(test_communities),
};

static const unsigned char test_key[] = "0123456789abcdef0123456789abcdef";

struct fixture {
	struct sq_taxonomy *tax;
	struct sq_normalizer n;
};

static int setup_fixture(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const char *top = getenv("SUQIU_TOP");
	char path[1024];
	struct sq_error err = { 0, "" };

	if (!f)
		return -1;
	snprintf(path, sizeof(path), "%s/config/taxonomy.yaml", top ? top : ".");
	if (taxonomy_load(path, &f->tax, &err)) {
		fprintf(stderr, "%s\n", err.msg);
		free(f);
		return -1;
	}
	normalizer_init(&f->n, NULL, f->tax, test_key, 32);
	f->n.areas = &test_areas;
	*state = f;
	return 0;
}

static int teardown_fixture(void **state)
{
	struct fixture *f = *state;

	taxonomy_free(f->tax);
	free(f);
	return 0;
}

static void fill(char **field, const char *value)
{
	free(*field);
	*field = value ? sq_strdup(value) : NULL;
	if (value)
		assert_non_null(*field);
}

/* A hotline work order as the connector would fill it. */
static void hotline_record(struct sq_record *r)
{
	memset(r, 0, sizeof(*r));
	fill(&r->source, "hotline");
	fill(&r->source_type, "hotline12345");
	fill(&r->source_id, "2024050112345000123");
	r->received_at = INT64_C(1714523482);
	r->kind = SQ_KIND_COMPLAINT;
	fill(&r->channel, "电话");
	fill(&r->title, "\xE3\x80\x80恩宁路某小区夜间施工噪音扰民　");
	fill(&r->text, "市民来电反映：恩宁路８８号附近工地连续多晚施工至凌晨两点，\r\n"
		       "噪音很大，请回电13812345678或１３８１２３４５６７８。\x01");
	fill(&r->category_raw, "环境保护>噪声污染>建筑施工噪声");
	fill(&r->street, NULL);
	fill(&r->community, "西华路社区");
	fill(&r->address, "广州市荔湾区恩宁路88号");
	fill(&r->contact_raw, "138 1234 5678");
	fill(&r->status_raw, "办理中");
	fill(&r->raw, "{\"orderNo\":\"2024050112345000123\",\"caller\":{\"name\":\"陈先生\","
		      "\"phone\":\"138 1234 5678\"},\"acceptTime\":\"2024-05-01 08:31:22\"}");
}

/* No field of r holds the mobile's middle digits: it appears only masked. */
static void assert_no_full_number(const struct sq_record *r, const char *digits)
{
	const char *fields[] = { r->source, r->source_type, r->source_id, r->channel,
				 r->title, r->text, r->category, r->category_raw, r->street,
				 r->community, r->grid, r->address, r->contact_hash,
				 r->contact_masked, r->status_raw, r->satisfaction, r->handler,
				 r->raw };
	size_t i;

	for (i = 0; i < ARRAY_LEN(fields); i++)
		if (fields[i] && strstr(fields[i], digits))
			fail_msg("field %zu still holds %s: %s", i, digits, fields[i]);
}

static void test_record_hotline(void **state)
{
	struct fixture *f = *state;
	struct sq_error err = { 0, "" };
	struct sq_record r;

	hotline_record(&r);
	assert_int_equal(normalize_record(&f->n, &r, &err), SQ_OK);
	assert_string_equal(r.title, "恩宁路某小区夜间施工噪音扰民");
	assert_string_equal(r.text, "市民来电反映：恩宁路88号附近工地连续多晚施工至凌晨两点， "
				    "噪音很大，请回电138****5678或138****5678。");
	assert_null(r.contact_raw);
	assert_string_equal(r.contact_masked, "138****5678");
	assert_string_equal(r.contact_hash,
			    "64727c7a7e107e8a0240403d14d3f0032960309afd64eb419f20e52a0946c70a");
	assert_string_equal(r.category, "construction");
	assert_string_equal(r.category_raw, "环境保护>噪声污染>建筑施工噪声");
	assert_string_equal(r.community, "西华路社区");
	assert_string_equal(r.street, "金花街道");
	assert_int_equal(r.updated_at, r.received_at);
	assert_int_equal(r.crs, SQ_CRS_NONE);
	assert_non_null(strstr(r.raw, "\"phone\":\"138****5678\""));
	assert_no_full_number(&r, "12345678");
	assert_no_full_number(&r, "1234 5678");

	/* Running it again changes nothing. */
	{
		struct sq_record copy;

		memset(&copy, 0, sizeof(copy));
		fill(&copy.title, r.title);
		fill(&copy.text, r.text);
		fill(&copy.raw, r.raw);
		fill(&copy.contact_hash, r.contact_hash);
		assert_int_equal(normalize_record(&f->n, &r, &err), SQ_OK);
		assert_string_equal(copy.title, r.title);
		assert_string_equal(copy.text, r.text);
		assert_string_equal(copy.raw, r.raw);
		assert_string_equal(copy.contact_hash, r.contact_hash);
		assert_string_equal(r.contact_masked, "138****5678");
		assert_string_equal(r.category, "construction");
		record_release(&copy);
	}
	record_release(&r);
}

static void test_record_keep_raw_contact(void **state)
{
	struct fixture *f = *state;
	struct sq_normalizer n = f->n;
	struct sq_record r;

	n.keep_raw_contact = 1;
	hotline_record(&r);
	fill(&r.contact_raw, "（020）8123 4567");
	assert_int_equal(normalize_record(&n, &r, NULL), SQ_OK);
	assert_string_equal(r.contact_raw, "020-81234567");
	assert_string_equal(r.contact_masked, "020-****4567");
	assert_string_equal(r.contact_hash,
			    "73227ecd090b1023dea89635b253cece4f29e1664ef1057451805faf7f65cde8");
	/* Only contact_raw keeps it. */
	free(r.contact_raw);
	r.contact_raw = NULL;
	assert_no_full_number(&r, "81234567");
	record_release(&r);
}

static void test_record_contacts(void **state)
{
	struct fixture *f = *state;
	struct sq_record r;

	/* The liaison station masks numbers itself: kept masked, no hash. */
	hotline_record(&r);
	fill(&r.source_type, "deputy_liaison");
	fill(&r.contact_raw, "138****5678");
	assert_int_equal(normalize_record(&f->n, &r, NULL), SQ_OK);
	assert_null(r.contact_raw);
	assert_null(r.contact_hash);
	assert_string_equal(r.contact_masked, "138****5678");
	record_release(&r);

	/* Not a phone number: no contact, not an error. */
	hotline_record(&r);
	fill(&r.contact_raw, "12345");
	assert_int_equal(normalize_record(&f->n, &r, NULL), SQ_OK);
	assert_null(r.contact_raw);
	assert_null(r.contact_hash);
	assert_null(r.contact_masked);
	record_release(&r);

	hotline_record(&r);
	fill(&r.contact_raw, "13812345678 ext 9");
	assert_int_equal(normalize_record(&f->n, &r, NULL), SQ_OK);
	assert_null(r.contact_raw);
	assert_null(r.contact_masked);
	record_release(&r);

	/* A full number but no key: an error naming the field, and still no number left. */
	{
		struct sq_normalizer n = f->n;
		struct sq_error err = { 0, "" };

		n.site_key = NULL;
		n.site_key_len = 0;
		hotline_record(&r);
		assert_int_equal(normalize_record(&n, &r, &err), SQ_ECONFIG);
		assert_non_null(strstr(err.msg, "contact:"));
		assert_null(r.contact_raw);
		assert_null(r.contact_hash);
		assert_no_full_number(&r, "12345678");
		record_release(&r);
	}
}

struct area_case {
	const char *community, *grid;
	enum sq_crs crs;
	double lon, lat; /* WGS 84: converted to crs by the test */
	const char *want;
};

static const struct area_case area_cases[] = {
	{ "西华路社区", NULL, SQ_CRS_NONE, 0, 0, "西华路社区" },
	{ "西华社区", NULL, SQ_CRS_NONE, 0, 0, "西华路社区" },
	{ "恩宁社区", "440103009003012", SQ_CRS_NONE, 0, 0, "恩宁路社区" }, /* name before grid */
	{ NULL, "440103009003012", SQ_CRS_NONE, 0, 0, "多宝路社区" },
	{ "不知道", "440103009002001", SQ_CRS_NONE, 0, 0, "恩宁路社区" },
	{ NULL, "440103009099001", SQ_CRS_NONE, 0, 0, "金花街道其他" },   /* only the coarse prefix */
	{ NULL, "440103008001001", SQ_CRS_NONE, 0, 0, NULL },
	{ NULL, "４４０１０３００９００１００１", SQ_CRS_NONE, 0, 0, "西华路社区" },
	{ NULL, NULL, SQ_CRS_WGS84, 113.2471, 23.1262, "恩宁路社区" },
	{ NULL, NULL, SQ_CRS_GCJ02, 113.2471, 23.1262, "恩宁路社区" },
	{ NULL, NULL, SQ_CRS_BD09, 113.2421, 23.1241, "多宝路社区" },
	{ NULL, "440103008001001", SQ_CRS_GCJ02, 113.2441, 23.1290, "西华路社区" },
	{ NULL, NULL, SQ_CRS_WGS84, 113.30, 23.10, NULL },                  /* kilometres away */
	{ "别的社区", NULL, SQ_CRS_NONE, 0, 0, "别的社区" },                 /* kept as the feed says */
};

static void test_record_areas(void **state)
{
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < ARRAY_LEN(area_cases); i++) {
		const struct area_case *c = &area_cases[i];
		struct sq_error err = { 0, "" };
		struct sq_record r;

		hotline_record(&r);
		fill(&r.community, c->community);
		fill(&r.grid, c->grid);
		r.crs = c->crs;
		r.lon = c->lon;
		r.lat = c->lat;
		if (c->crs == SQ_CRS_GCJ02)
			norm_wgs84_to_gcj02(c->lon, c->lat, &r.lon, &r.lat);
		else if (c->crs == SQ_CRS_BD09)
			norm_wgs84_to_bd09(c->lon, c->lat, &r.lon, &r.lat);
		if (normalize_record(&f->n, &r, &err))
			fail_msg("case %zu: %s", i, err.msg);
		if ((c->want && (!r.community || strcmp(r.community, c->want))) ||
		    (!c->want && r.community))
			fail_msg("case %zu: community \"%s\" want \"%s\"", i,
				 r.community ? r.community : "(null)", c->want ? c->want : "(null)");
		if (c->crs != SQ_CRS_NONE) {
			assert_int_equal(r.crs, SQ_CRS_WGS84);
			if (norm_distance_m(r.lon, r.lat, c->lon, c->lat) >= 0.5)
				fail_msg("case %zu: position off by %.3f m", i,
					 norm_distance_m(r.lon, r.lat, c->lon, c->lat));
		}
		if (c->want && !c->community && !strcmp(c->want, "恩宁路社区"))
			assert_string_equal(r.street, "金花街道");
		record_release(&r);
	}
}

static void test_record_positions(void **state)
{
	struct fixture *f = *state;
	static const struct { double lon, lat; enum sq_crs crs; } bad[] = {
		{ 0, 0, SQ_CRS_WGS84 }, { NAN, 23, SQ_CRS_GCJ02 }, { 113, INFINITY, SQ_CRS_BD09 },
		{ 200, 23, SQ_CRS_WGS84 }, { 113, -91, SQ_CRS_WGS84 }, { 113, 23, (enum sq_crs)9 },
	};
	size_t i;

	for (i = 0; i < ARRAY_LEN(bad); i++) {
		struct sq_record r;

		hotline_record(&r);
		r.lon = bad[i].lon;
		r.lat = bad[i].lat;
		r.crs = bad[i].crs;
		assert_int_equal(normalize_record(&f->n, &r, NULL), SQ_OK);
		assert_int_equal(r.crs, SQ_CRS_NONE);
		assert_true(r.lon == 0 && r.lat == 0);
		record_release(&r);
	}
}

struct field_error_case {
	size_t offset;       /* of a char * field in struct sq_record */
	const char *value;
	sq_err code;
	const char *msg;     /* message prefix */
};

#define FIELD(name) offsetof(struct sq_record, name)

static const struct field_error_case field_errors[] = {
	{ FIELD(title), "ok\xC0\xAF", SQ_ECHARSET, "title: invalid UTF-8 at byte 2: overlong" },
	{ FIELD(text), "\xED\xA0\x80", SQ_ECHARSET, "text: invalid UTF-8 at byte 0: surrogate" },
	{ FIELD(address), "恩宁路\xE6\x81", SQ_ECHARSET, "address: invalid UTF-8 at byte 9" },
	{ FIELD(community), "\xFF", SQ_ECHARSET, "community: invalid UTF-8" },
	{ FIELD(category_raw), "\x80", SQ_ECHARSET, "category: invalid UTF-8" },
	{ FIELD(channel), "\xC3", SQ_ECHARSET, "channel: invalid UTF-8" },
	{ FIELD(handler), "\xF4\x90\x80\x80", SQ_ECHARSET, "handler: invalid UTF-8" },
	{ FIELD(source_id), "id\xFF", SQ_ECHARSET, "source_id: invalid UTF-8" },
	{ FIELD(raw), "{\"a\":\"\xFF\"}", SQ_ECHARSET, "raw: invalid UTF-8" },
	{ FIELD(source_id), NULL, SQ_EPARSE, "source_id: missing" },
	{ FIELD(source_id), "", SQ_EPARSE, "source_id: missing" },
};

static void test_record_field_errors(void **state)
{
	struct fixture *f = *state;
	size_t i;

	for (i = 0; i < ARRAY_LEN(field_errors); i++) {
		const struct field_error_case *c = &field_errors[i];
		struct sq_error err = { 0, "" };
		struct sq_record r;
		sq_err rc;

		hotline_record(&r);
		fill((char **)((char *)&r + c->offset), c->value);
		rc = normalize_record(&f->n, &r, &err);
		if (rc != c->code || strncmp(err.msg, c->msg, strlen(c->msg)))
			fail_msg("case %zu: rc %d \"%s\" want %d \"%s\"", i, rc, err.msg, c->code, c->msg);
		/* Even a refused record has no full number left. */
		assert_null(r.contact_raw);
		assert_no_full_number(&r, "12345678");
		assert_no_full_number(&r, "１２３４５６７８");
		record_release(&r);
	}
}

static void test_record_times(void **state)
{
	struct fixture *f = *state;
	struct sq_error err = { 0, "" };
	struct sq_record r;

	hotline_record(&r);
	r.received_at = 0;
	assert_int_equal(normalize_record(&f->n, &r, &err), SQ_EPARSE);
	assert_string_equal(err.msg, "received_at: missing");
	record_release(&r);

	hotline_record(&r);
	r.received_at = INT64_C(7258118400); /* 2200-01-01 */
	assert_int_equal(normalize_record(&f->n, &r, &err), SQ_EPARSE);
	assert_non_null(strstr(err.msg, "received_at: 7258118400 is outside the years 1970..2100"));
	record_release(&r);

	hotline_record(&r);
	r.received_at = -5;
	assert_int_equal(normalize_record(&f->n, &r, &err), SQ_EPARSE);
	record_release(&r);

	hotline_record(&r);
	r.updated_at = INT64_C(99999999999);
	assert_int_equal(normalize_record(&f->n, &r, &err), SQ_EPARSE);
	assert_non_null(strstr(err.msg, "updated_at:"));
	record_release(&r);

	hotline_record(&r);
	r.deadline = -1;
	assert_int_equal(normalize_record(&f->n, &r, &err), SQ_EPARSE);
	assert_non_null(strstr(err.msg, "deadline:"));
	record_release(&r);

	hotline_record(&r);
	r.updated_at = INT64_C(1714530600);
	r.deadline = INT64_C(1714609800);
	assert_int_equal(normalize_record(&f->n, &r, &err), SQ_OK);
	assert_int_equal(r.updated_at, INT64_C(1714530600));
	record_release(&r);
}

static void test_record_fields(void **state)
{
	struct fixture *f = *state;
	struct sq_record r;

	/* Fields that fold to nothing become absent; unmapped categories stay raw. */
	hotline_record(&r);
	fill(&r.title, "\xE3\x80\x80 \t\x01");
	fill(&r.category_raw, "城市管理>其他");
	fill(&r.handler, "金花街道办事处（电话020-81234567）");
	fill(&r.satisfaction, "满意");
	assert_int_equal(normalize_record(&f->n, &r, NULL), SQ_OK);
	assert_null(r.title);
	assert_null(r.category);
	assert_string_equal(r.category_raw, "城市管理>其他");
	assert_string_equal(r.handler, "金花街道办事处（电话020-****4567）");
	assert_string_equal(r.satisfaction, "满意");
	record_release(&r);

	/* Full-width separators in a category path fold before mapping. */
	hotline_record(&r);
	fill(&r.category_raw, "城市管理＞占道经营");
	assert_int_equal(normalize_record(&f->n, &r, NULL), SQ_OK);
	assert_string_equal(r.category, "street_vending");
	record_release(&r);

	/* Without a taxonomy the category is left as it is. */
	{
		struct sq_normalizer n = f->n;

		n.taxonomy = NULL;
		hotline_record(&r);
		fill(&r.category, "noise");
		assert_int_equal(normalize_record(&n, &r, NULL), SQ_OK);
		assert_string_equal(r.category, "noise");
		record_release(&r);
	}
	/* Without areas the feed's community is kept. */
	{
		struct sq_normalizer n = f->n;

		n.areas = NULL;
		hotline_record(&r);
		fill(&r.community, "西华社区");
		assert_int_equal(normalize_record(&n, &r, NULL), SQ_OK);
		assert_string_equal(r.community, "西华社区");
		assert_null(r.street);
		record_release(&r);
	}
	assert_ptr_equal(norm_find_area(&test_areas, "多宝社区"), &test_communities[2]);
	assert_null(norm_find_area(&test_areas, "多宝"));
	assert_null(norm_find_area(NULL, "多宝社区"));
	assert_null(norm_find_area(&test_areas, NULL));
}

static void test_normalizer_init(void **state)
{
	struct sq_config cfg;
	struct sq_normalizer n;

	(void)state;
	memset(&cfg, 0, sizeof(cfg));
	cfg.tz_offset_s = 3600;
	cfg.privacy.keep_raw_contact = 1;
	cfg.areas.street = "金花街道";
	normalizer_init(&n, &cfg, NULL, test_key, 32);
	assert_ptr_equal(n.areas, &cfg.areas);
	assert_int_equal(n.tz_offset_s, 3600);
	assert_int_equal(n.keep_raw_contact, 1);
	assert_ptr_equal(n.site_key, test_key);
	assert_int_equal(n.site_key_len, 32);
	assert_true(n.radius_m == NORM_AREA_RADIUS_M);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_text_table),
		cmocka_unit_test(test_nfc_stable_set),
		cmocka_unit_test(test_text_null_and_long),
		cmocka_unit_test(test_time_table),
		cmocka_unit_test(test_time_local_zone),
		cmocka_unit_test(test_time_ago),
		cmocka_unit_test(test_time_format),
		cmocka_unit_test(test_time_roundtrip),
		cmocka_unit_test(test_phone_table),
		cmocka_unit_test(test_phone_mask_junk),
		cmocka_unit_test(test_contact_hash),
		cmocka_unit_test(test_scrub_table),
		cmocka_unit_test(test_site_key),
		cmocka_unit_test(test_site_key_race),
		cmocka_unit_test(test_coords_forward),
		cmocka_unit_test(test_coords_inverse),
		cmocka_unit_test(test_distance),
		cmocka_unit_test(test_address_table),
		cmocka_unit_test_setup_teardown(test_record_hotline, setup_fixture, teardown_fixture),
		cmocka_unit_test_setup_teardown(test_record_keep_raw_contact, setup_fixture, teardown_fixture),
		cmocka_unit_test_setup_teardown(test_record_contacts, setup_fixture, teardown_fixture),
		cmocka_unit_test_setup_teardown(test_record_areas, setup_fixture, teardown_fixture),
		cmocka_unit_test_setup_teardown(test_record_positions, setup_fixture, teardown_fixture),
		cmocka_unit_test_setup_teardown(test_record_field_errors, setup_fixture, teardown_fixture),
		cmocka_unit_test_setup_teardown(test_record_times, setup_fixture, teardown_fixture),
		cmocka_unit_test_setup_teardown(test_record_fields, setup_fixture, teardown_fixture),
		cmocka_unit_test(test_normalizer_init),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
