/*
 * dedup_levels.h — the comparison levels of record linkage and their
 * default weights, in one X-macro table.
 *
 * Each row is one level of one field comparison: an identifier, the field
 * name and level name used in the stored explanations and in the
 * configuration key "weight_<field>_<level>", the default weight (a log2
 * likelihood ratio m/u, written as text because option tables take their
 * defaults as YAML text) and a help line.  The same table builds the weight
 * array of struct sq_dedup_config (config.h), its option rows (config.c),
 * and the classification in dedup_compare.c, so a level is added in one
 * place.  A field whose value is missing on either side has no level and
 * contributes nothing ("unknown" is not a row).
 *
 * Defaults were fitted on fixtures/eval/dev (scripts/dedup_fit.py) and
 * rounded; docs/dedup.md says how to refit them.
 */
#ifndef SUQIU_DEDUP_LEVELS_H
#define SUQIU_DEDUP_LEVELS_H

#define DEDUP_LEVELS(X) \
	X(TEXT_VERY_HIGH,     "text", "very_high",     "9.0",  "TF-IDF bigram cosine >= 0.50") \
	X(TEXT_HIGH,          "text", "high",          "6.0",  "cosine >= 0.30") \
	X(TEXT_MEDIUM,        "text", "medium",        "3.0",  "cosine >= 0.18") \
	X(TEXT_LOW,           "text", "low",           "0.0",  "cosine >= 0.08") \
	X(TEXT_NONE,          "text", "none",          "-4.0", "cosine < 0.08") \
	X(ADDRESS_EXACT,      "address", "exact",      "4.0",  "same road and number") \
	X(ADDRESS_SAME_ROAD,  "address", "same_road",  "1.5",  "same road, number missing on one side") \
	X(ADDRESS_OTHER_NUMBER, "address", "other_number", "-6.0", "same road, different numbers") \
	X(ADDRESS_OTHER_ROAD, "address", "other_road", "-2.0", "different roads") \
	X(DISTANCE_50M,       "distance", "50m",       "3.0",  "positions within 50 m") \
	X(DISTANCE_150M,      "distance", "150m",      "1.5",  "within 150 m") \
	X(DISTANCE_500M,      "distance", "500m",      "0.0",  "within 500 m") \
	X(DISTANCE_FAR,       "distance", "far",       "-4.0", "more than 500 m apart") \
	X(PLACE_SAME_GRID,    "place", "same_grid",    "1.5",  "same grid cell (15-digit code)") \
	X(PLACE_SAME_COMMUNITY, "place", "same_community", "1.0", "same community") \
	X(PLACE_OTHER_COMMUNITY, "place", "other_community", "-4.0", "different communities") \
	X(CATEGORY_SAME,      "category", "same",      "1.5",  "same common category") \
	X(CATEGORY_COMPATIBLE, "category", "compatible", "0.5", "categories the taxonomy calls compatible") \
	X(CATEGORY_OTHER,     "category", "other",     "-4.0", "incompatible categories") \
	X(CONTACT_SAME,       "contact", "same",       "3.0",  "same contact hash (same phone number)") \
	X(CONTACT_SAME_MASKED, "contact", "same_masked", "1.5", "same masked number, full number unknown") \
	X(CONTACT_OTHER,      "contact", "other",      "-0.5", "different numbers") \
	X(TIME_HOUR,          "time", "hour",          "1.0",  "received within 1 hour of each other") \
	X(TIME_DAY,           "time", "day",           "0.5",  "within 24 hours") \
	X(TIME_3DAYS,         "time", "3days",         "0.0",  "within 72 hours") \
	X(TIME_WEEK,          "time", "week",          "-1.0", "within 7 days") \
	X(TIME_BEYOND,        "time", "beyond",        "-2.0", "more than 7 days apart")

enum dedup_level {
#define DEDUP_LEVEL_ENUM(id, field, level, def, help) DEDUP_L_##id,
	DEDUP_LEVELS(DEDUP_LEVEL_ENUM)
#undef DEDUP_LEVEL_ENUM
	DEDUP_LEVEL_COUNT
};

#endif
