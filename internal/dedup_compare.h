/*
 * dedup_compare.h — the pure half of record linkage: how two complaints are
 * compared, with no database and no state.
 *
 * dedup.c (the linking engine) loads complaints from the store into
 * struct dedup_doc, asks the store for document frequencies, and calls the
 * functions here; the unit tests call them directly.  Nothing here
 * allocates except where a function says so.
 *
 * Text.  Complaint text is folded (dedup_fold_text) to the characters that
 * carry meaning — CJK ideographs, letters (ASCII lower-cased, full-width
 * folded), digits — in runs separated by single spaces where punctuation,
 * symbols, whitespace or an operator's boilerplate phrase stood.  Terms are
 * the characters and the character bigrams inside each run, encoded exactly
 * as (cp1 << 21 | cp2) and (cp << 21), so no hash collisions.  Bigrams
 * alone miss paraphrase (停满了车 / 违规停放 share no bigram); characters
 * alone match anything; together, weighted by idf, they rank well.
 * Two texts are compared by the cosine of their TF-IDF vectors (sublinear
 * tf 1+ln(tf), idf ln((N+P)/(1+df)) with a prior of P=DEDUP_IDF_PRIOR
 * documents that lack the term), so the bigrams every complaint shares
 * (反映, 噪音, 处理) count little, a term in every complaint of a large
 * store next to nothing (the usual idf+1 lets a long letter's stock phrases
 * dilute its few problem words), and the rare ones count much; in a store
 * of a few complaints the prior keeps shared words from counting nothing.
 *
 * MinHash.  DEDUP_LSH_BANDS bands of DEDUP_LSH_ROWS minimum hashes over the
 * distinct terms; two texts with Jaccard similarity J share at least one
 * band with probability 1-(1-J^R)^B.  The parameters are constants because
 * the stored bands depend on them: changing them needs a re-index.
 */
#ifndef SUQIU_DEDUP_COMPARE_H
#define SUQIU_DEDUP_COMPARE_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "dedup_levels.h"
#include "error.h"
#include "options.h"
#include "taxonomy.h"

struct sq_taxonomy;

#define DEDUP_LSH_BANDS 24
#define DEDUP_LSH_ROWS 2

/* ---- text ---------------------------------------------------------------- */

/*
 * Boilerplate phrases prepared for removal: each phrase folded like the text,
 * longest first so that 市民来电反映 wins over 来电反映.
 */
/*
 * Entries by their first code point: open-addressed slots, each holding the
 * chain of the entries that start with that code point, in entry order, so
 * that a text's character is tried only against the entries it can start.
 */
struct dedup_first_cp {
	size_t slots;       /* a power of two, over twice the entries; 0: none */
	uint32_t *cp;       /* [slots] the slot's code point */
	size_t *head;       /* [slots] its chain's first entry + 1; 0: empty slot */
	size_t *next;       /* [entries] the chain's next entry + 1; 0: the end */
};

struct dedup_boilerplate {
	uint32_t **phrase;  /* code points */
	size_t *len;
	size_t n;
	struct dedup_first_cp by_first;   /* the phrases */
};

/*
 * Prepare list (UTF-8 phrases, as configured).  Phrases that fold to nothing
 * are skipped.  SQ_ENOMEM only.  Release with dedup_boilerplate_release.
 */
sq_err dedup_boilerplate_init(struct dedup_boilerplate *bp, const struct sq_strlist *list);
void dedup_boilerplate_release(struct dedup_boilerplate *bp);

/*
 * Fold title and text (either may be NULL) into *out (malloc'd, caller
 * frees): the kept characters in runs separated by one space, boilerplate
 * (bp may be NULL) removed.  Invalid UTF-8 bytes act as separators.
 * SQ_ENOMEM only.
 */
sq_err dedup_fold_text(const char *title, const char *text,
		       const struct dedup_boilerplate *bp, char **out);

/*
 * The finer places a complaint names, from its title, text and address:
 *  - building numbers before 栋, 座, 幢 or 号楼 (Arabic or Chinese numerals:
 *    "十二座" is 12; "恩宁路88号楼下" is an address, not building 88);
 *  - named places: what stands before a building number (西华楼7栋), and
 *    the name before a place suffix such as 小区, 花园, 苑, 大厦, 公寓,
 *    公司, 中学, with the suffix ("宝源花园" also from
 *    "昨天夜里开始宝源花园"), not across the verbs and locatives that
 *    surround names in complaints (要求公司…, 楼下宵夜档); a trailing 小区
 *    is dropped when three characters remain (华贵楼小区 = 华贵楼); for
 *    companies the trade and legal-form words (有限, 建筑, 劳务, 派遣, …)
 *    are dropped first, so "广州市金鼎建筑劳务有限公司" and "金鼎公司" are
 *    one name; generic stems (燃气公司, 物业公司, 附近小区) name no place;
 *  - in the address, what follows the house number, whatever it ends with
 *    (恩宁路88号老街啤酒屋), without locatives (门口, 旁边).
 * *landmarks and *buildings (malloc'd, caller frees) receive the sorted,
 * distinct names and numbers separated by single spaces ("" when none).
 * Any of the texts may be NULL.  SQ_ENOMEM only.
 */
sq_err dedup_extract_places(const char *title, const char *text, const char *address,
			    char **landmarks, char **buildings);

/* True when the space-separated lists a and b have an item in common. */
int dedup_lists_share(const char *a, const char *b);

/*
 * True when a name of list a and one of list b are one place: one ends the
 * other and they share three characters at least (宝盛庭 and 始宝盛庭, a
 * name with a word dragged in front of it).
 */
int dedup_names_share(const char *a, const char *b);

/*
 * True when one of the names (three characters at least) occurs in text:
 * a name one report's address gave (老街啤酒屋) in the words of another
 * that no suffix rule recognised.
 */
int dedup_names_in_text(const char *names, const char *text);

/*
 * The problem words of a folded text: folded minus the words in list (the
 * complaint's own road, address and named places) and minus digits, so
 * that the text comparison measures what went wrong and the place
 * comparison where; counting a rare place name in both would count one
 * agreement twice.  *out malloc'd.  SQ_ENOMEM only.
 */
sq_err dedup_problem_text(const char *folded, const struct sq_strlist *list, char **out);

/* A text's terms: sorted, distinct, with their sublinear term frequencies
 * tf[i] = 1 + ln(count of term[i] in the text) (computed once per text
 * rather than once per pair compared). */
struct dedup_terms {
	uint64_t *term;
	double *tf;
	size_t n;
};

/* Terms of a folded string.  *t is overwritten; SQ_ENOMEM only. */
sq_err dedup_terms_from_folded(const char *folded, struct dedup_terms *t);
void dedup_terms_release(struct dedup_terms *t);

#define DEDUP_IDF_PRIOR 10.0

/* Inverse document frequency ln((ndocs+DEDUP_IDF_PRIOR)/(1+df)) of a term
 * in df of ndocs documents: near 0 for a term in every one of many. */
double dedup_idf(int64_t df, int64_t ndocs);

/*
 * Cosine of the TF-IDF vectors of a and b; idf_a[i] belongs to a->term[i],
 * idf_b[j] to b->term[j].  0 when either is empty.
 */
double dedup_cosine(const struct dedup_terms *a, const double *idf_a,
		    const struct dedup_terms *b, const double *idf_b);

/*
 * MinHash-LSH band hashes of t into bands[DEDUP_LSH_BANDS].  Returns 0 (and
 * leaves bands alone) when t has no terms: an empty text gets no bands.
 */
int dedup_minhash_bands(const struct dedup_terms *t, int64_t bands[DEDUP_LSH_BANDS]);

/*
 * Road names found in running text may carry words before them
 * (晚上上九路 for 上九路): two roads are the same when one ends with the
 * other and the shorter has at least three characters.
 */
int dedup_road_same(const char *a, const char *b);

/*
 * The short form of a road (its last three characters: 上九路, 津西路)
 * followed by suffix, into out (size bytes), for blocking keys that survive
 * such prefixes.  Returns out.
 */
const char *dedup_road_short(const char *road, const char *suffix, char *out, size_t size);

/* ---- field comparisons ------------------------------------------------ */

/*
 * What dedup_compare tests of a doc's strings, made once per doc
 * (dedup_doc_key) instead of at each of its ~100 comparisons: a hash of
 * each string it tests for equality (0: absent or empty; equal hashes are
 * confirmed with strcmp), and the lengths and flags it would otherwise
 * scan the strings for.
 */
struct dedup_doc_keys {
	uint64_t community, grid, category, category_raw, source_type;
	uint64_t contact_hash, contact_masked, addr_key;
	uint32_t road_len;       /* strlen(road_key), 0: none */
	uint32_t raw_len;        /* strlen(category_raw) */
	uint32_t house_at;       /* where addr_key's house number starts */
	unsigned set : 1;        /* made: dedup_compare reads these */
	unsigned raw_broad : 1;  /* category_raw is one level (no > or /) */
	unsigned grid_long : 1;  /* grid has 15 bytes or more */
	unsigned landmarks : 1, buildings : 1;   /* known, non-empty */
};

/* What the comparisons need to know of one complaint. */
struct dedup_doc {
	int64_t id;              /* complaints.id */
	int64_t incident_id;     /* 0: none yet */
	int64_t received_at;
	char *source, *source_type, *source_id;
	char *category;          /* common taxonomy key or NULL */
	size_t category_ref;     /* taxonomy_category_ref of category; 0 also when
				  * not looked up (then compared by key) */
	char *category_raw;      /* the feed's own label */
	char *community, *grid;
	char *addr_key;          /* road + number, e.g. 恩宁路88号, or NULL */
	char *road_key;          /* road only, e.g. 恩宁路, or NULL */
	char *contact_hash, *contact_masked;
	int has_pos;
	double lat, lon;
	char *landmarks;         /* dedup_extract_places: named places, space-separated */
	char *buildings;         /* building numbers, space-separated */
	char *folded;            /* dedup_fold_text of title and text */
	struct tax_problem_set problems;  /* what folded names (taxonomy_problem_set) */
	struct dedup_doc_keys keys;       /* dedup_doc_key; unset: made per comparison */
};

void dedup_doc_release(struct dedup_doc *d);

/* Make d->keys from d's strings: after the last of them is set (a doc
 * whose strings change afterwards must be keyed again). */
void dedup_doc_key(struct dedup_doc *d);

enum dedup_field {
	DEDUP_F_TEXT = 0,
	DEDUP_F_PLACE,
	DEDUP_F_CATEGORY,
	DEDUP_F_PROBLEM,
	DEDUP_F_CONTACT,
	DEDUP_F_TIME,
	DEDUP_F_COUNT
};

/* One field's outcome: its level, the weight that level carries, and the
 * measured value behind it when there is one (cosine, metres, hours). */
struct dedup_comparison {
	enum dedup_level level;
	double weight;
	double value;
	int has_value;
};

/* The configuration's field and level names of a level ("text", "high"). */
const char *dedup_level_field(enum dedup_level l);
const char *dedup_level_name(enum dedup_level l);

/*
 * Compare a and b field by field.  cosine is their text cosine (from
 * dedup_cosine), or a negative number when either text is empty.  weights
 * holds DEDUP_LEVEL_COUNT weights indexed by level; tax may be NULL (then
 * only equal categories are compatible).  Fields unknown on either side are
 * left out.  Fills out[] (room for DEDUP_F_COUNT) and returns how many
 * comparisons it holds; *score receives their weights' sum.
 */
size_t dedup_compare(const struct dedup_doc *a, const struct dedup_doc *b, double cosine,
		     const double *weights, const struct sq_taxonomy *tax,
		     struct dedup_comparison *out, double *score);

/*
 * Append the comparisons as a JSON array to b:
 * [{"field":"text","level":"high","weight":3.1,"value":0.42},...].
 * SQ_ENOMEM only.
 */
sq_err dedup_comparisons_json(const struct dedup_comparison *c, size_t n, struct sq_buf *b);

#endif
