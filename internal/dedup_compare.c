/*
 * Field comparisons of record linkage: each field of two complaints falls
 * into one level, each level carries a weight (log2 m/u), the weights add.
 * See dedup_compare.h and dedup_levels.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dedup_compare.h"
#include "normalize.h"
#include "taxonomy.h"
#include "banned.h"

static const char *const level_field[DEDUP_LEVEL_COUNT] = {
#define DEDUP_LEVEL_FIELD(id, field, level, def, help) field,
	DEDUP_LEVELS(DEDUP_LEVEL_FIELD)
#undef DEDUP_LEVEL_FIELD
};

static const char *const level_name[DEDUP_LEVEL_COUNT] = {
#define DEDUP_LEVEL_NAME(id, field, level, def, help) level,
	DEDUP_LEVELS(DEDUP_LEVEL_NAME)
#undef DEDUP_LEVEL_NAME
};

const char *dedup_level_field(enum dedup_level l)
{
	return (unsigned)l < DEDUP_LEVEL_COUNT ? level_field[l] : "?";
}

const char *dedup_level_name(enum dedup_level l)
{
	return (unsigned)l < DEDUP_LEVEL_COUNT ? level_name[l] : "?";
}

void dedup_doc_release(struct dedup_doc *d)
{
	free(d->source);
	free(d->source_type);
	free(d->source_id);
	free(d->category);
	free(d->category_raw);
	free(d->community);
	free(d->grid);
	free(d->addr_key);
	free(d->road_key);
	free(d->landmarks);
	free(d->buildings);
	free(d->contact_hash);
	free(d->contact_masked);
	free(d->folded);
	memset(d, 0, sizeof(*d));
}

static int known(const char *s)
{
	return s && *s;
}

/* Number of UTF-8 characters in s[0..n). */
static size_t utf8_chars(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/* dedup_road_same of roads of la and lb bytes (0: none). */
static int road_same_n(const char *a, size_t la, const char *b, size_t lb)
{
	if (!la || !lb)
		return 0;
	if (la < lb) {
		const char *t = a;
		size_t tl = la;

		a = b;
		b = t;
		la = lb;
		lb = tl;
	}
	return !strcmp(a + la - lb, b) && (la == lb || utf8_chars(b, lb) >= 3);
}

int dedup_road_same(const char *a, const char *b)
{
	return road_same_n(a, known(a) ? strlen(a) : 0, b, known(b) ? strlen(b) : 0);
}

/* The hash of s for dedup_doc_keys (FNV-1a, never 0), *len its length;
 * 0 for an absent or empty s. */
static uint64_t key_of(const char *s, size_t *len)
{
	uint64_t h = 1469598103934665603ULL;
	const unsigned char *p = (const unsigned char *)s;

	if (!known(s)) {
		*len = 0;
		return 0;
	}
	for (; *p; p++)
		h = (h ^ *p) * 1099511628211ULL;
	*len = (size_t)(p - (const unsigned char *)s);
	return h | 1;
}

static void keys_of(const struct dedup_doc *d, struct dedup_doc_keys *k)
{
	size_t n;

	memset(k, 0, sizeof(*k));
	k->community = key_of(d->community, &n);
	k->grid = key_of(d->grid, &n);
	k->grid_long = n >= 15;
	k->category = key_of(d->category, &n);
	k->category_raw = key_of(d->category_raw, &n);
	k->raw_len = (uint32_t)n;
	k->raw_broad = n && !strchr(d->category_raw, '>') && !strchr(d->category_raw, '/');
	k->source_type = key_of(d->source_type, &n);
	k->contact_hash = key_of(d->contact_hash, &n);
	k->contact_masked = key_of(d->contact_masked, &n);
	k->addr_key = key_of(d->addr_key, &n);
	k->road_len = d->road_key ? (uint32_t)strlen(d->road_key) : 0;
	if (k->road_len && n && !strncmp(d->addr_key, d->road_key, k->road_len))
		k->house_at = k->road_len;
	k->landmarks = known(d->landmarks);
	k->buildings = known(d->buildings);
	k->set = 1;
}

void dedup_doc_key(struct dedup_doc *d)
{
	keys_of(d, &d->keys);
}

/* Both strings present and equal, by their keys' hashes ha and hb. */
static int eq(const char *a, const char *b, uint64_t ha, uint64_t hb)
{
	return ha && ha == hb && !strcmp(a, b);
}

/* Both present and different. */
static int differ(const char *a, const char *b, uint64_t ha, uint64_t hb)
{
	return ha && hb && (ha != hb || strcmp(a, b));
}

/* One side of a comparison: the doc and its keys. */
struct side {
	const struct dedup_doc *d;
	const struct dedup_doc_keys *k;
};

const char *dedup_road_short(const char *road, const char *suffix, char *out, size_t size)
{
	size_t len = strlen(road), start = len, chars = 0;

	while (start > 0 && chars < 3) {
		start--;
		if (((unsigned char)road[start] & 0xc0) != 0x80)
			chars++;
	}
	snprintf(out, size, "%s%s", road + start, suffix ? suffix : "");
	return out;
}

/* Same road and number, allowing for words before the road (the house
 * number is what follows the road in the address key). */
static int address_same(struct side a, struct side b)
{
	if (!a.k->addr_key || !b.k->addr_key)
		return 0;
	if (eq(a.d->addr_key, b.d->addr_key, a.k->addr_key, b.k->addr_key))
		return 1;
	return road_same_n(a.d->road_key, a.k->road_len, b.d->road_key, b.k->road_len) &&
	       !strcmp(a.d->addr_key + a.k->house_at, b.d->addr_key + b.k->house_at);
}

/* Levels with cut points, in the order of the X-macro table. */
static enum dedup_level text_level(double c)
{
	if (c >= 0.45)
		return DEDUP_L_TEXT_VERY_HIGH;
	if (c >= 0.30)
		return DEDUP_L_TEXT_HIGH;
	if (c >= 0.20)
		return DEDUP_L_TEXT_MEDIUM;
	if (c >= 0.10)
		return DEDUP_L_TEXT_LOW;
	if (c >= 0.05)
		return DEDUP_L_TEXT_SLIGHT;
	return DEDUP_L_TEXT_NONE;
}

/*
 * A place named by both, or named by one in the other's text.  The
 * searches in the texts are most of a place comparison's cost, so
 * place_level asks only when the levels before it have not decided.
 */
static int same_landmark(const struct dedup_doc *a, const struct dedup_doc *b, int both_named)
{
	return (both_named && dedup_names_share(a->landmarks, b->landmarks)) ||
	       dedup_names_in_text(a->landmarks, b->folded) ||
	       dedup_names_in_text(b->landmarks, a->folded);
}

/*
 * One comparison of everything that says where: addresses, building
 * numbers, named places, positions, grid cells and communities all measure
 * the same thing, so adding their weights would count one agreement many
 * times.  The first level that applies wins (dedup_levels.h order).
 * *metres receives the distance when both positions are known, else -1.
 */
static int place_level(struct side sa, struct side sb, enum dedup_level *l, double *metres)
{
	const struct dedup_doc *a = sa.d, *b = sb.d;
	const struct dedup_doc_keys *ka = sa.k, *kb = sb.k;
	int same_addr = address_same(sa, sb);
	int same_road = road_same_n(a->road_key, ka->road_len, b->road_key, kb->road_len);
	int landmarks = ka->landmarks && kb->landmarks;
	int buildings = ka->buildings && kb->buildings;
	double m = -1;

	if (a->has_pos && b->has_pos)
		m = norm_distance_m(a->lon, a->lat, b->lon, b->lat);
	*metres = m;
	if (buildings && !dedup_lists_share(a->buildings, b->buildings))
		*l = DEDUP_L_PLACE_OTHER_BUILDING;
	else if (same_road && ka->addr_key && kb->addr_key && !same_addr)
		*l = DEDUP_L_PLACE_OTHER_NUMBER;
	else if (differ(a->community, b->community, ka->community, kb->community))
		*l = DEDUP_L_PLACE_OTHER_COMMUNITY;
	else if (m > 500)
		*l = DEDUP_L_PLACE_FAR;
	else if (same_addr || (m >= 0 && m <= 50) || same_landmark(a, b, landmarks))
		*l = buildings ? DEDUP_L_PLACE_SAME_BUILDING : DEDUP_L_PLACE_SAME_SPOT;
	else if (landmarks)
		*l = DEDUP_L_PLACE_OTHER_LANDMARK;
	else if (same_road || (eq(a->grid, b->grid, ka->grid, kb->grid) && ka->grid_long) ||
		 (m >= 0 && m <= 150))
		*l = DEDUP_L_PLACE_NEAR;
	else if (ka->road_len && kb->road_len)
		*l = DEDUP_L_PLACE_OTHER_ROAD;
	else if (eq(a->community, b->community, ka->community, kb->community))
		*l = DEDUP_L_PLACE_SAME_COMMUNITY;
	else
		return 0;
	return 1;
}

/* One label equals the other or is a path prefix of it (A>B and A>B>C);
 * la and lb their lengths. */
static int label_prefix(const char *a, size_t la, const char *b, size_t lb)
{
	if (la > lb) {
		const char *t = a;

		a = b;
		b = t;
		la = lb;
	}
	return !strncmp(a, b, la) && (b[la] == '\0' || b[la] == '>' || b[la] == '/');
}

/* Both from one feed type, both with a raw label. */
static int raw_labels(struct side a, struct side b)
{
	return eq(a.d->source_type, b.d->source_type, a.k->source_type, b.k->source_type) &&
	       a.k->category_raw && b.k->category_raw;
}

static int raw_prefix(struct side a, struct side b)
{
	return label_prefix(a.d->category_raw, a.k->raw_len, b.d->category_raw, b.k->raw_len);
}

/*
 * Within one feed the raw labels are finer than the common category
 * (燃气泄漏 and 停水 are both water_power_gas); across feeds only the
 * common category compares.
 */
static int raw_label_level(struct side a, struct side b, enum dedup_level *l)
{
	if (!raw_labels(a, b))
		return 0;
	*l = raw_prefix(a, b) ? DEDUP_L_CATEGORY_SAME_LABEL : DEDUP_L_CATEGORY_OTHER_LABEL;
	return 1;
}

/*
 * A label of one level (the liaison station's 城市建设, a hotline path cut
 * at 环境保护) names a broad topic: lifts, gas smells, debris and rooftop
 * sheds all come as 城市建设.  Agreeing on it says little, whatever the
 * common key it maps to; only paths (A>B, A/B) are fine labels (raw_broad).
 * Then the problem words are all that says whether two reports at one
 * building are about one problem, so a broad topic with texts that hardly
 * agree is a level of its own: a lift and a gas smell at one building, the
 * same day.
 *
 * Broad too: one feed's parent label against one of its children
 * (城市管理>市政设施 and 城市管理>市政设施>道路破损): the parent says only
 * that the problem is somewhere below it.
 */
static int broad_pair(struct side a, struct side b)
{
	if (a.k->raw_broad || b.k->raw_broad)
		return 1;
	return raw_labels(a, b) &&
	       differ(a.d->category_raw, b.d->category_raw, a.k->category_raw,
		      b.k->category_raw) &&
	       raw_prefix(a, b);
}

static enum dedup_level broad_level(double cosine)
{
	return cosine >= 0 && cosine < 0.10 ? DEDUP_L_CATEGORY_BROAD_OTHER_TEXT
					    : DEDUP_L_CATEGORY_BROAD;
}

static int category_level(struct side sa, struct side sb, const struct sq_taxonomy *tax,
			  double cosine, enum dedup_level *l)
{
	const struct dedup_doc *a = sa.d, *b = sb.d;
	int broad = broad_pair(sa, sb);

	if (!sa.k->category || !sb.k->category) {
		if (!raw_label_level(sa, sb, l))
			return 0;
		if (broad && *l == DEDUP_L_CATEGORY_SAME_LABEL)
			*l = broad_level(cosine);
		return 1;
	}
	if (eq(a->category, b->category, sa.k->category, sb.k->category)) {
		if (broad)
			*l = broad_level(cosine);
		else if (!raw_label_level(sa, sb, l))
			*l = DEDUP_L_CATEGORY_SAME;
		return 1;
	}
	if (!tax) {
		*l = DEDUP_L_CATEGORY_OTHER;
		return 1;
	}
	switch (a->category_ref && b->category_ref
			? taxonomy_compatible_ref(tax, a->category_ref, b->category_ref)
			: taxonomy_compatible(tax, a->category, b->category)) {
	case TAX_SAME:
		*l = broad ? broad_level(cosine) : DEDUP_L_CATEGORY_SAME;
		return 1;
	case TAX_RELATED:
		if (broad)
			*l = broad_level(cosine);
		else if (!raw_label_level(sa, sb, l))
			*l = DEDUP_L_CATEGORY_COMPATIBLE;
		return 1;
	case TAX_UNRELATED:
		*l = DEDUP_L_CATEGORY_OTHER;
		return 1;
	case TAX_UNKNOWN:
		break;
	}
	return 0;   /* a key the taxonomy does not declare says nothing */
}

/*
 * What each report is about, as the taxonomy's problems: name it: a lift
 * and the water tank of one estate are two incidents however well place
 * and category agree, and a text that names neither says nothing.
 */
static int problem_level(const struct dedup_doc *a, const struct dedup_doc *b,
			 const struct sq_taxonomy *tax, enum dedup_level *l)
{
	switch (taxonomy_problem_sets_compat(tax, &a->problems, &b->problems)) {
	case TAX_SAME:
		*l = DEDUP_L_PROBLEM_SAME;
		return 1;
	case TAX_RELATED:
		*l = DEDUP_L_PROBLEM_RELATED;
		return 1;
	case TAX_UNRELATED:
		*l = DEDUP_L_PROBLEM_OTHER;
		return 1;
	case TAX_UNKNOWN:
		break;
	}
	return 0;
}

static int contact_level(struct side a, struct side b, enum dedup_level *l)
{
	if (a.k->contact_hash && b.k->contact_hash) {
		*l = eq(a.d->contact_hash, b.d->contact_hash, a.k->contact_hash, b.k->contact_hash)
			     ? DEDUP_L_CONTACT_SAME
			     : DEDUP_L_CONTACT_OTHER;
		return 1;
	}
	/* One side only masked (the liaison station masks numbers itself). */
	if (!a.k->contact_masked || !b.k->contact_masked)
		return 0;
	*l = eq(a.d->contact_masked, b.d->contact_masked, a.k->contact_masked,
		b.k->contact_masked)
		     ? DEDUP_L_CONTACT_SAME_MASKED
		     : DEDUP_L_CONTACT_OTHER;
	return 1;
}

static enum dedup_level time_level(double hours)
{
	if (hours <= 1)
		return DEDUP_L_TIME_HOUR;
	if (hours <= 24)
		return DEDUP_L_TIME_DAY;
	if (hours <= 72)
		return DEDUP_L_TIME_3DAYS;
	if (hours <= 120)
		return DEDUP_L_TIME_5DAYS;
	if (hours <= 168)
		return DEDUP_L_TIME_WEEK;
	return DEDUP_L_TIME_BEYOND;
}

static void put(struct dedup_comparison *out, size_t *n, const double *weights,
		enum dedup_level l, double value, int has_value)
{
	out[*n].level = l;
	out[*n].weight = weights[l];
	out[*n].value = value;
	out[*n].has_value = has_value;
	(*n)++;
}

size_t dedup_compare(const struct dedup_doc *a, const struct dedup_doc *b, double cosine,
		     const double *weights, const struct sq_taxonomy *tax,
		     struct dedup_comparison *out, double *score)
{
	struct dedup_doc_keys ka, kb;
	struct side sa = { a, &a->keys }, sb = { b, &b->keys };
	enum dedup_level l;
	size_t n = 0, i;
	double v;

	/* a doc not keyed (dedup_doc_key) is keyed here, for this comparison */
	if (!a->keys.set) {
		keys_of(a, &ka);
		sa.k = &ka;
	}
	if (!b->keys.set) {
		keys_of(b, &kb);
		sb.k = &kb;
	}
	if (cosine >= 0)
		put(out, &n, weights, text_level(cosine), cosine, 1);
	if (place_level(sa, sb, &l, &v))
		put(out, &n, weights, l, v, v >= 0);
	if (category_level(sa, sb, tax, cosine, &l))
		put(out, &n, weights, l, 0, 0);
	if (problem_level(a, b, tax, &l))
		put(out, &n, weights, l, 0, 0);
	if (contact_level(sa, sb, &l))
		put(out, &n, weights, l, 0, 0);
	if (a->received_at && b->received_at) {
		v = fabs((double)(a->received_at - b->received_at)) / 3600.0;
		put(out, &n, weights, time_level(v), v, 1);
	}
	*score = 0;
	for (i = 0; i < n; i++)
		*score += out[i].weight;
	return n;
}

sq_err dedup_comparisons_json(const struct dedup_comparison *c, size_t n, struct sq_buf *b)
{
	size_t i;

	if (sq_buf_addc(b, '['))
		return SQ_ENOMEM;
	/* one per link stored: no printf (its number formatting was a tenth
	 * of recording a link) */
	for (i = 0; i < n; i++) {
		if ((i && sq_buf_addc(b, ',')) || sq_buf_adds(b, "{\"field\":\"") ||
		    sq_buf_adds(b, dedup_level_field(c[i].level)) ||
		    sq_buf_adds(b, "\",\"level\":\"") ||
		    sq_buf_adds(b, dedup_level_name(c[i].level)) ||
		    sq_buf_adds(b, "\",\"weight\":") || sq_buf_add_fixed(b, c[i].weight, 2))
			return SQ_ENOMEM;
		if (c[i].has_value &&
		    (sq_buf_adds(b, ",\"value\":") || sq_buf_add_fixed(b, c[i].value, 3)))
			return SQ_ENOMEM;
		if (sq_buf_addc(b, '}'))
			return SQ_ENOMEM;
	}
	return sq_buf_addc(b, ']') ? SQ_ENOMEM : SQ_OK;
}
