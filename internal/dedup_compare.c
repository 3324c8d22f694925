/*
 * Field comparisons of record linkage: each field of two complaints falls
 * into one level, each level carries a weight (log2 m/u), the weights add.
 * See dedup_compare.h and dedup_levels.h.
 */
#include <math.h>
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
	free(d->community);
	free(d->grid);
	free(d->addr_key);
	free(d->road_key);
	free(d->contact_hash);
	free(d->contact_masked);
	free(d->folded);
	memset(d, 0, sizeof(*d));
}

static int known(const char *s)
{
	return s && *s;
}

static int same(const char *a, const char *b)
{
	return known(a) && known(b) && !strcmp(a, b);
}

/* Levels with cut points, in the order of the X-macro table. */
static enum dedup_level text_level(double c)
{
	if (c >= 0.50)
		return DEDUP_L_TEXT_VERY_HIGH;
	if (c >= 0.30)
		return DEDUP_L_TEXT_HIGH;
	if (c >= 0.18)
		return DEDUP_L_TEXT_MEDIUM;
	if (c >= 0.08)
		return DEDUP_L_TEXT_LOW;
	return DEDUP_L_TEXT_NONE;
}

static int address_level(const struct dedup_doc *a, const struct dedup_doc *b,
			 enum dedup_level *l)
{
	if (same(a->addr_key, b->addr_key)) {
		*l = DEDUP_L_ADDRESS_EXACT;
		return 1;
	}
	if (!known(a->road_key) || !known(b->road_key))
		return 0;
	if (strcmp(a->road_key, b->road_key)) {
		*l = DEDUP_L_ADDRESS_OTHER_ROAD;
		return 1;
	}
	/* Same road: two different house numbers are two places; a missing
	 * number on one side is merely vague. */
	if (known(a->addr_key) && known(b->addr_key))
		*l = DEDUP_L_ADDRESS_OTHER_NUMBER;
	else
		*l = DEDUP_L_ADDRESS_SAME_ROAD;
	return 1;
}

static enum dedup_level distance_level(double m)
{
	if (m <= 50)
		return DEDUP_L_DISTANCE_50M;
	if (m <= 150)
		return DEDUP_L_DISTANCE_150M;
	if (m <= 500)
		return DEDUP_L_DISTANCE_500M;
	return DEDUP_L_DISTANCE_FAR;
}

static int place_level(const struct dedup_doc *a, const struct dedup_doc *b,
		       enum dedup_level *l)
{
	if (same(a->grid, b->grid) && strlen(a->grid) >= 15) {
		*l = DEDUP_L_PLACE_SAME_GRID;
		return 1;
	}
	if (!known(a->community) || !known(b->community))
		return 0;
	*l = strcmp(a->community, b->community) ? DEDUP_L_PLACE_OTHER_COMMUNITY
						: DEDUP_L_PLACE_SAME_COMMUNITY;
	return 1;
}

static int category_level(const struct dedup_doc *a, const struct dedup_doc *b,
			  const struct sq_taxonomy *tax, enum dedup_level *l)
{
	if (!known(a->category) || !known(b->category))
		return 0;
	if (!strcmp(a->category, b->category)) {
		*l = DEDUP_L_CATEGORY_SAME;
		return 1;
	}
	if (!tax) {
		*l = DEDUP_L_CATEGORY_OTHER;
		return 1;
	}
	switch (taxonomy_compatible(tax, a->category, b->category)) {
	case TAX_SAME:
		*l = DEDUP_L_CATEGORY_SAME;
		return 1;
	case TAX_RELATED:
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

static int contact_level(const struct dedup_doc *a, const struct dedup_doc *b,
			 enum dedup_level *l)
{
	if (known(a->contact_hash) && known(b->contact_hash)) {
		*l = strcmp(a->contact_hash, b->contact_hash) ? DEDUP_L_CONTACT_OTHER
							      : DEDUP_L_CONTACT_SAME;
		return 1;
	}
	/* One side only masked (the liaison station masks numbers itself). */
	if (!known(a->contact_masked) || !known(b->contact_masked))
		return 0;
	*l = strcmp(a->contact_masked, b->contact_masked) ? DEDUP_L_CONTACT_OTHER
							  : DEDUP_L_CONTACT_SAME_MASKED;
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
	enum dedup_level l;
	size_t n = 0, i;
	double v;

	if (cosine >= 0)
		put(out, &n, weights, text_level(cosine), cosine, 1);
	if (address_level(a, b, &l))
		put(out, &n, weights, l, 0, 0);
	if (a->has_pos && b->has_pos) {
		v = norm_distance_m(a->lon, a->lat, b->lon, b->lat);
		put(out, &n, weights, distance_level(v), v, 1);
	}
	if (place_level(a, b, &l))
		put(out, &n, weights, l, 0, 0);
	if (category_level(a, b, tax, &l))
		put(out, &n, weights, l, 0, 0);
	if (contact_level(a, b, &l))
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
	for (i = 0; i < n; i++) {
		if (sq_buf_addf(b, "%s{\"field\":\"%s\",\"level\":\"%s\",\"weight\":%.2f",
				i ? "," : "", dedup_level_field(c[i].level),
				dedup_level_name(c[i].level), c[i].weight))
			return SQ_ENOMEM;
		if (c[i].has_value && sq_buf_addf(b, ",\"value\":%.3f", c[i].value))
			return SQ_ENOMEM;
		if (sq_buf_addc(b, '}'))
			return SQ_ENOMEM;
	}
	return sq_buf_addc(b, ']') ? SQ_ENOMEM : SQ_OK;
}
