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
 * contributes nothing ("unknown" is not a row).  Within one field the
 * first level that applies wins, in table order; the place levels put
 * conflicts first (two buildings, two house numbers, two communities)
 * because one clear difference outweighs any agreement on the street.
 *
 * Defaults were fitted on fixtures/eval/dev (scripts/dedup_fit.py) and
 * rounded, text kept monotone and category compatible set to 0 (dev has no
 * match at that level to fit it on); docs/dedup.md says how to refit them.
 */
#ifndef SUQIU_DEDUP_LEVELS_H
#define SUQIU_DEDUP_LEVELS_H

#define DEDUP_LEVELS(X) \
	X(TEXT_VERY_HIGH,     "text", "very_high",     "0.5",  "TF-IDF cosine of the problem words >= 0.45") \
	X(TEXT_HIGH,          "text", "high",          "0.5",  "cosine >= 0.30") \
	X(TEXT_MEDIUM,        "text", "medium",        "0.5",  "cosine >= 0.20") \
	X(TEXT_LOW,           "text", "low",           "0.5",  "cosine >= 0.10") \
	X(TEXT_SLIGHT,        "text", "slight",        "0.5",  "cosine >= 0.05") \
	X(TEXT_NONE,          "text", "none",          "-1.0", "cosine < 0.05") \
	X(PLACE_OTHER_BUILDING, "place", "other_building", "-6.0", "building numbers on both sides, none in common") \
	X(PLACE_OTHER_NUMBER, "place", "other_number", "-4.0", "same road, different house numbers") \
	X(PLACE_OTHER_COMMUNITY, "place", "other_community", "-5.0", "different communities") \
	X(PLACE_FAR,          "place", "far",          "-3.5", "positions more than 500 m apart") \
	X(PLACE_SAME_BUILDING, "place", "same_building", "7.5", "same building number at the same address or named place") \
	X(PLACE_SAME_SPOT,    "place", "same_spot",    "7.5",  "same road and number, same named place, or within 50 m") \
	X(PLACE_OTHER_LANDMARK, "place", "other_landmark", "-3.5", "named places on both sides, none in common") \
	X(PLACE_NEAR,         "place", "near",         "3.0",  "same road (a number on one side only), same grid cell, or within 150 m") \
	X(PLACE_OTHER_ROAD,   "place", "other_road",   "-3.5", "different roads") \
	X(PLACE_SAME_COMMUNITY, "place", "same_community", "2.5", "same community, nothing finer known") \
	X(CATEGORY_OTHER,     "category", "other",     "-5.0", "unrelated categories") \
	X(CATEGORY_OTHER_LABEL, "category", "other_label", "-2.0", "one feed, different labels (燃气泄漏 / 停水), neither a prefix of the other") \
	X(CATEGORY_SAME_LABEL, "category", "same_label", "2.0", "one feed, the same label") \
	X(CATEGORY_SAME,      "category", "same",      "2.5",  "same common category") \
	X(CATEGORY_COMPATIBLE, "category", "compatible", "0.0", "categories the taxonomy calls related") \
	X(CATEGORY_BROAD,     "category", "broad",     "2.5",  "same or related, but one side names only a broad topic (a one-level label such as 城市建设, or a parent of the other label), and the problem words agree (cosine >= 0.10)") \
	X(CATEGORY_BROAD_OTHER_TEXT, "category", "broad_other_text", "1.5", "a broad topic, and the problem words hardly agree (cosine < 0.10)") \
	X(PROBLEM_SAME,       "problem", "same",       "2.0",  "both texts name what they are about (the taxonomy's problems:), one thing in common") \
	X(PROBLEM_RELATED,    "problem", "related",    "-1.0", "nothing in common, but things listed together under related_problems: in the taxonomy (a food stall and singing)") \
	X(PROBLEM_OTHER,      "problem", "other",      "-6.0", "both texts name what they are about, nothing in common or related (a lift and the water tank)") \
	X(CONTACT_SAME,       "contact", "same",       "1.0",  "same contact hash (same phone number)") \
	X(CONTACT_SAME_MASKED, "contact", "same_masked", "0.5", "same masked number, full number unknown on one side") \
	X(CONTACT_OTHER,      "contact", "other",      "-1.0", "different numbers") \
	X(TIME_HOUR,          "time", "hour",          "1.5",  "received within 1 hour of each other") \
	X(TIME_DAY,           "time", "day",           "1.0",  "within 24 hours") \
	X(TIME_3DAYS,         "time", "3days",         "0.5",  "within 72 hours") \
	X(TIME_5DAYS,         "time", "5days",         "-0.5", "within 5 days") \
	X(TIME_WEEK,          "time", "week",          "-2.5", "within 7 days") \
	X(TIME_BEYOND,        "time", "beyond",        "-4.0", "more than 7 days apart")

enum dedup_level {
#define DEDUP_LEVEL_ENUM(id, field, level, def, help) DEDUP_L_##id,
	DEDUP_LEVELS(DEDUP_LEVEL_ENUM)
#undef DEDUP_LEVEL_ENUM
	DEDUP_LEVEL_COUNT
};

#endif
