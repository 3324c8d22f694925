/*
 * normalize.c — UTF-8, text folding, and normalize_record(), which applies
 * the other normalize pieces (norm_time.c, norm_phone.c, norm_place.c) to
 * one record.  See normalize.h for the contracts.
 */
#include "normalize.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <uninorm.h>

#include "buf.h"
#include "normalize_private.h"
#include "taxonomy.h"
#include "banned.h"

/* ================================================================== */
/* UTF-8                                                               */

/* See normalize_private.h. */
size_t norm_utf8_decode(const unsigned char *s, size_t len, uint32_t *cp,
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

size_t norm_utf8_encode(uint32_t cp, char *out)
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
		n = norm_utf8_decode(p + i, len - i, &cp, &why);
		if (!n)
			return sq_fail(err, SQ_ECHARSET, "invalid UTF-8 at byte %zu: %s", i, why);
		i += n;
	}
	return SQ_OK;
}

/* ================================================================== */
/* Text folding                                                        */

enum norm_fold norm_fold_class(uint32_t cp)
{
	if (cp == ' ' || (cp >= 0x09 && cp <= 0x0D) || cp == 0x85 || cp == 0xA0 ||
	    cp == 0x1680 || (cp >= 0x2000 && cp <= 0x200A) || cp == 0x2028 ||
	    cp == 0x2029 || cp == 0x202F || cp == 0x205F || cp == 0x3000)
		return NORM_FOLD_SPACE;
	if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F) || cp == 0xFEFF || cp == 0x200B)
		return NORM_FOLD_DROP;
	return NORM_FOLD_KEEP;
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

int norm_nfc_stable(uint32_t cp)
{
	return cp < 0x80 || (cp >= 0x4E00 && cp <= 0x9FFF) ||      /* CJK unified */
	       (cp >= 0x3001 && cp <= 0x3029) || (cp >= 0x3030 && cp <= 0x303F) ||
	       (cp >= 0x2010 && cp <= 0x2027) || (cp >= 0x2030 && cp <= 0x205E) ||
	       (cp >= 0xFF01 && cp <= 0xFF60) || (cp >= 0xFFE0 && cp <= 0xFFE6);
}

/*
 * Do the len bytes at s begin with a well-formed CJK unified ideograph of
 * the basic block, U+4E00..U+9FFF (E4 B8 80 .. E9 BF BF)?  Folding keeps it
 * and NFC cannot change it (norm_nfc_stable).
 */
static int cjk_unified_at(const unsigned char *s, size_t len)
{
	return len >= 3 && ((s[0] >= 0xE5 && s[0] <= 0xE9) || (s[0] == 0xE4 && s[1] >= 0xB8)) &&
	       (s[1] & 0xC0) == 0x80 && (s[2] & 0xC0) == 0x80;
}

sq_err norm_text(const char *in, size_t len, char **out, struct sq_error *err)
{
	const unsigned char *p = (const unsigned char *)in;
	struct sq_buf b = SQ_BUF_INIT;
	const char *why = "";
	int space = 0, stable = 1;
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

		if (cjk_unified_at(p + i, len - i)) {
			/* most of a Chinese text: kept as it is, NFC-stable */
			if (space && b.len)
				b.data[b.len++] = ' ';
			space = 0;
			memcpy(b.data + b.len, p + i, 3);
			b.len += 3;
			i += 3;
			continue;
		}
		n = norm_utf8_decode(p + i, len - i, &cp, &why);
		if (!n) {
			sq_buf_release(&b);
			return sq_fail(err, SQ_ECHARSET, "invalid UTF-8 at byte %zu: %s", i, why);
		}
		i += n;
		if (cp >= 0xFF01 && cp <= 0xFF5E && !is_cjk_punct(cp))
			cp -= 0xFEE0;
		switch (norm_fold_class(cp)) {
		case NORM_FOLD_SPACE:
			space = 1;
			continue;
		case NORM_FOLD_DROP:
			continue;
		case NORM_FOLD_KEEP:
			break;
		}
		if (space && b.len)
			b.data[b.len++] = ' ';
		space = 0;
		if (stable && !norm_nfc_stable(cp))
			stable = 0;
		n = norm_utf8_encode(cp, enc);
		memcpy(b.data + b.len, enc, n);
		b.len += n;
	}
	b.data[b.len] = '\0';
	if (stable) {   /* NFC would change nothing */
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
	ok = !norm_phone_parse(r->contact_raw, strlen(r->contact_raw), norm, &kind) &&
	     !norm_phone_mask_to(norm, mask);
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
