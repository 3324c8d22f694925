/*
 * normalize.h — turning what a feed says into the common record
 * (DESIGN.md, "The common record").
 *
 * Pure functions over text, times, phone numbers, coordinates and
 * addresses, and normalize_record() that applies them to one record.
 * One module in four sources (normalize.c: text and records; norm_time.c;
 * norm_phone.c with the site key; norm_place.c: coordinates and address
 * keys) sharing normalize_private.h.
 * Nothing here keeps state between calls, reads the environment (TZ) or
 * touches the network; the only file access is norm_site_key().
 *
 * Conventions: strings are UTF-8; a returned char * is malloc'd and
 * belongs to the caller (free() it); functions that can fail return an
 * sq_err and fill a caller-supplied struct sq_error (which may be NULL).
 * Times are Unix seconds (int64_t, UTC); a time zone is a fixed offset in
 * seconds east of UTC (China Standard Time = 28800), because every zone
 * suqiu accepts is one without daylight saving (config.h).
 */
#ifndef SUQIU_NORMALIZE_H
#define SUQIU_NORMALIZE_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "error.h"
#include "options.h"
#include "record.h"

struct sq_taxonomy;

/* ------------------------------------------------------------------ */
/* Text                                                                */

/*
 * Fold len bytes of text at in (NUL bytes allowed; in may be NULL when len
 * is 0) into the form every text field of a record has:
 *  - the input must be strict UTF-8: overlong forms, surrogates
 *    (U+D800..U+DFFF), code points above U+10FFFF, stray continuation
 *    bytes and truncated sequences fail with SQ_ECHARSET and a message
 *    "invalid UTF-8 at byte N: <reason>" (N counts from 0);
 *  - full-width ASCII U+FF01..U+FF5E becomes ASCII ("ＡＢＣ１２３" -> "ABC123"),
 *    except the Chinese punctuation marks that live in that block
 *    (！（），：；？), which Chinese text uses as its normal punctuation;
 *    U+3000 becomes a space;
 *  - tab, newline, CR, VT, FF, NEL and the Unicode space and line/paragraph
 *    separators become a space; every other C0 control, DEL, C1 control,
 *    U+FEFF (BOM) and U+200B (zero-width space) is removed;
 *  - runs of spaces collapse to one and the ends are trimmed;
 *  - the result is in Unicode NFC (libunistring's u8_normalize).
 * Chinese punctuation (，。：、“”) is thus kept as it is: analysts read it.
 * On success *out is a new NUL-terminated string (possibly "").  On
 * failure *out is NULL; errors are SQ_ECHARSET and SQ_ENOMEM.
 */
sq_err norm_text(const char *in, size_t len, char **out, struct sq_error *err);

/*
 * Check that len bytes at s are strict UTF-8 (the rules of norm_text).
 * Returns SQ_OK or SQ_ECHARSET with "invalid UTF-8 at byte N: reason".
 */
sq_err norm_utf8_check(const char *s, size_t len, struct sq_error *err);

/* ------------------------------------------------------------------ */
/* Times                                                               */

/* Room for any string norm_format_time() or norm_format_local() writes. */
#define NORM_TIME_BUFSZ 40

/* The years a date may have; outside them a date is taken as a typo. */
#define NORM_YEAR_MIN 1970
#define NORM_YEAR_MAX 2100

/* A broken-down local time (what gmtime_r gives, without its quirks). */
struct sq_civil {
	int year;    /* e.g. 2024 */
	int month;   /* 1..12 */
	int day;     /* 1..31 */
	int hour;    /* 0..23 */
	int min;     /* 0..59 */
	int sec;     /* 0..59 */
	int wday;    /* 0 = Monday .. 6 = Sunday (ISO order, as sq_duty.days) */
};

/*
 * Days since 1970-01-01 of a proleptic Gregorian date (negative before),
 * and back.  No range checks: the caller validates month and day.
 */
int64_t norm_days_from_civil(int64_t year, int month, int day);
void norm_civil_from_days(int64_t days, int64_t *year, int *month, int *day);

/* Break t down in the zone tz_offset_s (seconds east of UTC). */
void norm_civil(int64_t t, int tz_offset_s, struct sq_civil *c);

/*
 * Parse the hotline's "YYYY-MM-DD HH:MM:SS" in China Standard Time
 * (UTC+8, no offset written) into *t.  Exactly that shape; the fields are
 * range-checked (month 1..12, day within the month including leap years,
 * hour 0..23, minute and second 0..59, year NORM_YEAR_MIN..NORM_YEAR_MAX).
 * SQ_EPARSE with the text in the message otherwise.
 */
sq_err norm_time_cst(const char *text, int64_t *t, struct sq_error *err);

/*
 * Parse an RFC 3339 time with an offset, as the liaison station and
 * Open311 write them: "2024-05-01T09:02:10+08:00", "...Z", an optional
 * fraction ("09:02:10.250Z", truncated to the second), 't'/'z'/' ' in
 * place of 'T'/'Z', and Open311's looser "+0800" offsets and minutes
 * without seconds ("2024-05-01T09:02+08:00").  The offset is required.
 * Range checks as norm_time_cst, offsets up to ±23:59.  SQ_EPARSE.
 */
sq_err norm_time_rfc3339(const char *text, int64_t *t, struct sq_error *err);

/*
 * Parse a time typed on the command line: "2024-05-01" (midnight),
 * "2024-05-01 08:00", "2024-05-01 08:00:00", the same with 'T', and any
 * of these with an offset or Z ("2024-05-01T08:00:00+08:00"), which then
 * wins over tz_offset_s, the zone used for times written without one.
 * Surrounding spaces are ignored.  SQ_EPARSE with the text in the message.
 */
sq_err norm_time_local(const char *text, int tz_offset_s, int64_t *t,
		       struct sq_error *err);

/*
 * Parse a relative time "N" + unit, unit one of s, m, h, d, w ("90s",
 * "15m", "24h", "7d", "2w"), as that long before now: *t = now - N units.
 * N is a positive decimal integer of at most 9 digits.  SQ_EPARSE.
 */
sq_err norm_time_ago(const char *text, int64_t now, int64_t *t,
		     struct sq_error *err);

/*
 * What --since and --until take: a relative time (norm_time_ago) or else a
 * local time (norm_time_local).  SQ_EPARSE naming both accepted forms.
 */
sq_err norm_time_arg(const char *text, int tz_offset_s, int64_t now,
		     int64_t *t, struct sq_error *err);

/*
 * Write t as RFC 3339 in the zone tz_offset_s, "2024-05-01T09:02:10+08:00"
 * ("+00:00" for UTC), into buf of size bytes (NORM_TIME_BUFSZ always
 * suffices).  Returns the length written, or 0 (and buf "" when size > 0)
 * if it does not fit.
 */
size_t norm_format_time(int64_t t, int tz_offset_s, char *buf, size_t size);

/* The same for people: "2024-05-01 09:02" (no seconds, no offset). */
size_t norm_format_local(int64_t t, int tz_offset_s, char *buf, size_t size);

/* ------------------------------------------------------------------ */
/* Phone numbers                                                       */

enum norm_phone_kind {
	NORM_PHONE_MOBILE = 1,   /* "13812345678" */
	NORM_PHONE_LANDLINE = 2, /* "020-81234567": 0 + area code, '-', local number */
	NORM_PHONE_MASKED = 3,   /* "138****5678": masked by the feed; never hashed */
};

/* Room for a normalized or masked number with its NUL. */
#define NORM_PHONE_MAX 24

/*
 * Normalize a Chinese phone number as a feed or a person writes it:
 *  - mobiles: 11 digits 1[3-9]xxxxxxxxx, in groups separated by spaces,
 *    '-' or '.', after an optional country code +86, 0086, 86 or (+86);
 *  - landlines: 0 + area code (010 and 02x are three digits with the 0,
 *    others four) + a 7 or 8 digit local number not starting with 0 or 1,
 *    written "020-81234567", "(020)81234567", "0755 8123 4567",
 *    "+86 20 8123 4567" (the 0 restored after a country code);
 *  - numbers the feed already masked: 1[3-9]x, 3..6 '*', 4 digits
 *    ("138****5678"), and "020-****4567"; the result keeps them masked
 *    with exactly four '*';
 *  - full-width digits, '＋', '－', '（', '）' and U+3000 as their ASCII
 *    counterparts; surrounding spaces.
 * Anything else (letters, extensions, service numbers like 12345,
 * numbers of other countries, a landline without area code) is
 * SQ_EPARSE; the message never repeats the input, which may be personal.
 * On success *normalized is a new string ("13812345678", "020-81234567"
 * or "138****5678") and *kind (if kind is not NULL) says which.
 */
sq_err norm_phone(const char *raw, char **normalized,
		  enum norm_phone_kind *kind, struct sq_error *err);

/*
 * The masked form of a number norm_phone() returned: "138****5678" for a
 * mobile (first three and last four digits), "020-****4567" for a
 * landline (area code and last four digits), a masked number unchanged.
 * Returns a new string, or NULL when out of memory or when normalized is
 * not in one of those forms.
 */
char *norm_phone_mask(const char *normalized);

/*
 * Lowercase hex HMAC-SHA256 of the normalized number under key (keylen > 0)
 * into out_hex (65 bytes with the NUL).  The key makes the hash useless
 * for guessing numbers without it (there are only ~10^10 of them).
 * SQ_ECONFIG for an empty key, SQ_ENOMEM when OpenSSL fails.
 */
sq_err norm_contact_hash(const unsigned char *key, size_t keylen,
			 const char *normalized, char out_hex[65]);

/*
 * Replace, in the NUL-terminated string *s, every phone number norm_phone()
 * would accept (a run of digits, ASCII or full-width, with separators,
 * bounded by non-digits) by its masked form, so that free text and the
 * feed's raw JSON never keep a full number.  Dates, ids, order numbers and
 * coordinates are left alone because they are not valid numbers (wrong
 * length or prefix); a local number written without its area code is not
 * recognised either.  Works on bytes: invalid UTF-8 elsewhere in *s is
 * kept as it is.  *s is replaced (and the
 * old string freed) only when something was masked; *count (if not NULL)
 * receives the number of masked numbers.  SQ_OK or SQ_ENOMEM (then *s is
 * unchanged).  *s may be NULL.
 */
sq_err norm_scrub_phones(char **s, size_t *count);

/* Minimum length of a site key, in bytes. */
#define NORM_SITE_KEY_MIN 16

/*
 * Find the HMAC key for contact hashes.  In order:
 *  1. configured->value if configured and its value are not NULL (its
 *     bytes, without a trailing newline);
 *  2. the contents of "<db_path>.key" (trailing newline removed);
 *  3. otherwise a new key: 32 bytes from RAND_bytes, written as 64 hex
 *     digits and a newline to "<db_path>.key" with mode 0600.  The file
 *     appears atomically (written to a temporary file created with
 *     O_CREAT|O_EXCL, then link()ed into place), so two runs starting at
 *     once agree on one key: the one that loses the race reads the other's.
 * The key is the text of the file, not the decoded bytes, so that moving
 * the file's contents into `privacy.site_key_file` keeps every hash.
 * A key file that group or others may read or write, that is not a regular
 * file, or that is empty or shorter than NORM_SITE_KEY_MIN bytes is
 * refused with SQ_ECONFIG naming the file and the fix; a configured key
 * that is too short likewise.  I/O failures are SQ_EIO naming the file.
 * On success *key is a new buffer of *len bytes (not NUL-terminated;
 * release it with norm_key_free()).
 */
sq_err norm_site_key(const struct sq_secret *configured, const char *db_path,
		     unsigned char **key, size_t *len, struct sq_error *err);

/* Wipe and free a key from norm_site_key(); NULL is fine. */
void norm_key_free(unsigned char *key, size_t len);

/* ------------------------------------------------------------------ */
/* Coordinates                                                          */

/*
 * Conversions between WGS 84 and the Chinese datums GCJ-02 ("Mars
 * coordinates", the national obfuscation) and BD-09 (Baidu's offset on
 * top of GCJ-02).  Longitude first, degrees.  Outside mainland China's
 * bounding box GCJ-02 equals WGS 84.  The forward transforms are the
 * published formulas; the inverses iterate the forward transform to an
 * error well below 0.5 m (about 1 mm).
 */
void norm_wgs84_to_gcj02(double lon, double lat, double *out_lon, double *out_lat);
void norm_gcj02_to_bd09(double lon, double lat, double *out_lon, double *out_lat);
void norm_wgs84_to_bd09(double lon, double lat, double *out_lon, double *out_lat);
void norm_gcj02_to_wgs84(double lon, double lat, double *out_lon, double *out_lat);
void norm_bd09_to_wgs84(double lon, double lat, double *out_lon, double *out_lat);

/* True when (lon, lat) lies inside the box where GCJ-02 differs from WGS 84. */
int norm_in_china(double lon, double lat);

/* Great-circle distance in metres (haversine, mean Earth radius). */
double norm_distance_m(double lon1, double lat1, double lon2, double lat2);

/* ------------------------------------------------------------------ */
/* Addresses                                                           */

/*
 * The address key dedup compares: road + house number, e.g. "恩宁路88号",
 * from "广州市荔湾区恩宁路八十八号之一", "恩宁路88號", "恩宁路８８号旁边工地".
 *  - leading administrative names ending in 省/市/区/县/旗/镇/乡/街道/社区/村
 *    are stripped first;
 *  - a road is a name of 1 to 10 Chinese characters (and the lane
 *    number of "龙津中路3巷") ending in 路, 街 (大街), 大道, 道, 巷, 里,
 *    坊, 弄 or 胡同; the name stops at a house number, at words such as
 *    在/住/的/和 and 对面/旁边/附近/隔壁, and at anything not Chinese
 *    (so "恩宁路88号对面多宝路12号" gives 多宝路12号); a number follows it,
 *    in Arabic digits (also full-width) or Chinese numerals
 *    (〇一二三四五六七八九零两 with 十百千: 十五 = 15, 一百零八 = 108,
 *    八八 = 88), then 号 or 號 ("88-1号" and "88之1号" count as 88号);
 *    Arabic digits at the very end need no 号;
 *  - the last road + number in the text wins ("A路1号B路2号" -> B路2号).
 * On success *key is a new string, or NULL when the address has none
 * (also for NULL input or invalid UTF-8).  SQ_OK or SQ_ENOMEM.
 */
sq_err norm_address_key(const char *address, char **key);

/*
 * The road alone: that of the address key if there is one, else the last
 * road name (at least 2 characters before 路/街/大街/大道/巷/坊/弄/胡同;
 * 里 and 道 alone are too common to count; a road directly followed by
 * 社区 or 街道 names an office, not the road) in the text: "恩宁路" from
 * "恩宁路附近工地", none from "西华路社区".  *road NULL when none.
 * SQ_OK or SQ_ENOMEM.
 */
sq_err norm_road_key(const char *address, char **road);

/* ------------------------------------------------------------------ */
/* The whole record                                                    */

/* Default radius within which a position is put in the nearest community. */
#define NORM_AREA_RADIUS_M 600.0

/*
 * What normalize_record() needs.  Every pointer is borrowed and must
 * outlive the normalizer; a zeroed struct is valid (no areas, no
 * taxonomy, no key: records with a full phone number then fail).
 */
struct sq_normalizer {
	const struct sq_areas *areas;        /* NULL: communities kept as the feed says */
	int tz_offset_s;                     /* the configured zone; records already hold UTC,
					      * so normalize_record() does not need it */
	const struct sq_taxonomy *taxonomy;  /* NULL: categories left unmapped */
	const unsigned char *site_key;       /* HMAC key for contact hashes */
	size_t site_key_len;
	int keep_raw_contact;                /* keep the normalized number in contact_raw */
	double radius_m;                     /* nearest-centre radius; <= 0: NORM_AREA_RADIUS_M */
};

/*
 * Fill n from a loaded configuration plus the taxonomy and key the caller
 * loaded (taxonomy_load(), norm_site_key()); all borrowed.
 */
void normalizer_init(struct sq_normalizer *n, const struct sq_config *cfg,
		     const struct sq_taxonomy *taxonomy,
		     const unsigned char *site_key, size_t site_key_len);

/*
 * Normalize one record in place, as a connector filled it:
 *  - contact: contact_raw becomes contact_hash (norm_contact_hash of the
 *    normalized number) and contact_masked; a number the feed masked gives
 *    contact_masked only; contact_raw is freed, or with keep_raw_contact
 *    holds the normalized number.  A contact that is not a phone number is
 *    dropped (no contact; not an error);
 *  - every phone number in title, text, address, handler and raw is
 *    masked (norm_scrub_phones), so no full number is left anywhere in the
 *    record but contact_raw with keep_raw_contact;
 *  - channel, title, text, category_raw, street, community, grid, address,
 *    status_raw, satisfaction and handler are folded with norm_text; a
 *    field that folds to "" becomes NULL (absent).  source, source_type,
 *    source_id, link ids and raw are only checked to be UTF-8;
 *  - received_at must be set and within NORM_YEAR_MIN..NORM_YEAR_MAX;
 *    updated_at defaults to received_at;
 *  - positions in GCJ-02 or BD-09 are converted to WGS 84 (crs becomes
 *    SQ_CRS_WGS84); a position that is not a number, out of range or
 *    (0, 0) is dropped (crs SQ_CRS_NONE);
 *  - community: the configured community whose name, then alias, equals
 *    the feed's; else the one whose grid_prefix is the longest prefix of
 *    grid; else the one whose centre is nearest the position within
 *    radius_m; else the feed's name is kept.  A resolved community sets
 *    street to the configured street when the feed gave none;
 *  - category: taxonomy_map(source_type, category_raw), NULL if unmapped.
 * Running it again on its own result changes nothing.
 * Errors name the field: "title: invalid UTF-8 at byte 3: ..." (SQ_ECHARSET),
 * "received_at: missing" (SQ_EPARSE), "contact: no site key configured"
 * (SQ_ECONFIG), SQ_ENOMEM.  On error the record is still valid (for
 * record_release() or quarantine), with its contact already hashed or
 * dropped.
 */
sq_err normalize_record(const struct sq_normalizer *n, struct sq_record *r,
			struct sq_error *err);

/*
 * The configured community a name or alias designates (exact match after
 * norm_text folding of name), or NULL.  Used by normalize_record() and by
 * commands that take a community on the command line.
 */
const struct sq_area *norm_find_area(const struct sq_areas *areas, const char *name);

#endif
