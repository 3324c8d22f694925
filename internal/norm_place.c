/*
 * norm_place.c — where a complaint is: Chinese datums to WGS 84, distances,
 * and the road + house-number keys deduplication blocks on.
 */
#include "normalize.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "normalize_private.h"
#include "banned.h"

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
#define CP_KOU   0x53E3u /* 口 */
#define CP_ZI    0x5B57u /* 字 */
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

		k = norm_utf8_decode(p + i, len - i, &cp, &why);
		if (!k) {
			n = 0;
			break;
		}
		i += k;
		if (cp >= 0xFF01 && cp <= 0xFF5E)
			cp -= 0xFEE0;
		if (cp == CP_HAO_T)
			cp = CP_HAO;
		if (norm_fold_class(cp) != NORM_FOLD_KEEP)
			continue;
		c[n++] = cp;
	}
	*n_out = n;
	return c;
}

/* Admin endings that also end road names' first halves: 市 村 镇 乡. */
static int names_roads(uint32_t c)
{
	return c == 0x5E02 || c == 0x6751 || c == 0x9547 || c == 0x4E61;
}

/*
 * Does a road suffix (路, 街, 巷, 大道, ...) start at c[at] or one character
 * after it?  Then what comes before c[at] is the road's name, not an
 * administrative unit: 环市大道, 芳村大道, 环市东路, 新市路.
 */
static int road_follows(const uint32_t *c, size_t at, size_t n)
{
	size_t k;

	for (k = at; k < n && k <= at + 1; k++) {
		if (!is_han(c[k]))
			return 0;
		if (c[k] == CP_DA && k + 1 < n && c[k + 1] == CP_DAO)
			return 1;
		if (c[k] == CP_LU || c[k] == CP_JIE || c[k] == CP_XIANG || c[k] == CP_FANG ||
		    c[k] == CP_NONG)
			return !(c[k] == CP_JIE && k + 1 < n && c[k + 1] == CP_DAO);   /* 街道 */
	}
	return 0;
}

/*
 * Skip leading administrative names: "广州市", "荔湾区", "金花街道",
 * "西华路社区".  Each is 2..10 Chinese characters ending at the first
 * admin ending, without a house number in it.  A name ending in 市, 村, 镇
 * or 乡 right before a road suffix (环市大道, 芳村大道, 新市路) is the road's
 * and stays: stripped, it left roads named 大道 or 东路, one key for every
 * such road of a city.
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
				if (names_roads(c[j]) && road_follows(c, j + 1, n))
					return pos;
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
		case CP_LU:
			/* 十字路口, 丁字路口: a junction, not a road (恩宁路口 is
			 * 恩宁路 at its junction) */
			ok = !(k + 1 < n && c[k + 1] == CP_KOU && c[k - 1] == CP_ZI);
			break;
		case CP_XIANG: case CP_FANG: case CP_NONG:
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

		if (sq_buf_add(&b, enc, norm_utf8_encode(c[i], enc)))
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
