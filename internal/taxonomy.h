/*
 * taxonomy.h — the common category keys and how each feed's own labels map
 * onto them (DESIGN.md, "The common record"; config/taxonomy.yaml).
 *
 * The file has six sections (the last three optional):
 *
 *   categories:             # key -> Chinese display name, in display order
 *     noise: 噪声扰民
 *   related:                # pairs dedup treats as compatible
 *     - [noise, construction]
 *   feeds:
 *     hotline12345:         # a feed type (connector)
 *       separator: ">"      # optional: labels are paths; prefixes match
 *       map:
 *         环境保护>噪声污染: noise
 *   problems:               # what a complaint is about: key -> words
 *     lift: [电梯, 升降梯]
 *   related_problems:       # problems one incident is reported as
 *     - [stalls, loud_music]
 *   not_problems: [停车场]   # words naming a place, not what went wrong
 *
 * Keys are lowercase ASCII letters, digits and '_'.  Labels compare after
 * trimming, removing spaces around the separator and lowercasing ASCII
 * (Open311 service codes differ in case between cities).  With a separator,
 * a label matches an entry equal to it or to one of its prefixes that ends
 * at a level boundary, the longest winning: with entries "A>B" and "A",
 * "A>B>C" maps by "A>B" and "A>BC" by "A".  Without one, labels match
 * exactly.
 *
 * problems: names the objects and problems complaints are about (a lift,
 * the water tank, a square dance), each with the words that name it, so
 * that record linkage can tell two reports about one estate apart when
 * they are about different things.  A word belongs to one problem only;
 * words are compared with ASCII lower-cased, as in folded text.  Words of
 * not_problems: contain a problem's word but name a place or someone to
 * call (停车场 is no parking complaint, 电梯口 no lift's): they are found
 * like the others, so the shorter word inside does not count, and name
 * nothing.
 *
 * A taxonomy is immutable once loaded, so one may be shared by threads.
 */
#ifndef SUQIU_TAXONOMY_H
#define SUQIU_TAXONOMY_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct sq_taxonomy;

/* How alike two category keys are, for dedup's comparison levels. */
enum tax_compat {
	TAX_UNKNOWN = 0,   /* one or both unmapped (NULL) or not in the taxonomy */
	TAX_UNRELATED = 1, /* different, and not listed as related */
	TAX_RELATED = 2,   /* listed together under related: */
	TAX_SAME = 3,      /* the same key */
};

/*
 * Load a taxonomy file.  Errors are SQ_ECONFIG with "FILE:LINE:COL: message"
 * (YAML syntax, a section or key that is not known, a key that is badly
 * formed or declared twice, a label mapped twice, a mapping or related pair
 * naming an undeclared key, no categories), SQ_EIO when the file cannot be
 * read ("FILE: reason"), SQ_ENOMEM.  On success *out is a new taxonomy
 * (taxonomy_free() it); on failure *out is NULL.
 */
sq_err taxonomy_load(const char *path, struct sq_taxonomy **out,
		     struct sq_error *err);

/* The same from len bytes of YAML in memory; name stands for FILE in messages. */
sq_err taxonomy_load_buffer(const char *name, const char *text, size_t len,
			    struct sq_taxonomy **out, struct sq_error *err);

/* Free a taxonomy; NULL is fine. */
void taxonomy_free(struct sq_taxonomy *tax);

/*
 * The common key for raw_label from a feed of type feed_type, or NULL when
 * the label is unmapped (or feed_type has no section, or an argument is
 * NULL).  The string belongs to tax.
 */
const char *taxonomy_map(const struct sq_taxonomy *tax, const char *feed_type,
			 const char *raw_label);

/* The display name of key ("噪声扰民"), or NULL when key is not declared. */
const char *taxonomy_display(const struct sq_taxonomy *tax, const char *key);

/* True when key is declared. */
int taxonomy_has(const struct sq_taxonomy *tax, const char *key);

/* Number of declared keys, and the i-th in file order (NULL past the end). */
size_t taxonomy_count(const struct sq_taxonomy *tax);
const char *taxonomy_key_at(const struct sq_taxonomy *tax, size_t i);

/* How compatible two keys are (symmetric). */
enum tax_compat taxonomy_compatible(const struct sq_taxonomy *tax,
				    const char *key_a, const char *key_b);

/*
 * A declared key as a number, for comparing many pairs without looking the
 * keys up each time: its position in file order + 1, or 0 when key is not
 * declared (or tax or key is NULL).
 */
size_t taxonomy_category_ref(const struct sq_taxonomy *tax, const char *key);

/* taxonomy_compatible of two keys by their taxonomy_category_ref. */
enum tax_compat taxonomy_compatible_ref(const struct sq_taxonomy *tax, size_t ref_a,
					size_t ref_b);

/* "same", "related", "unrelated" or "unknown", for dedup explanations. */
const char *taxonomy_compat_name(enum tax_compat c);

/* Number of problems declared under problems: (0 for NULL). */
size_t taxonomy_problem_count(const struct sq_taxonomy *tax);

/* Most problems one text is taken to name: the first, in file order. */
#define TAX_PROBLEMS_MAX 32

/*
 * What a text names, as indexes into problems: in file order: the form
 * linking compares, pair after pair, without reading any key again.
 */
struct tax_problem_set {
	size_t n;
	uint32_t key[TAX_PROBLEMS_MAX];
};

/*
 * The problems text names: the keys of problems: one of whose words occurs
 * in text (folded text: dedup_fold_text), into *out (n 0 when none, or when
 * tax is NULL or declares no problems).  Where words overlap, the longest
 * wins and the shorter inside it does not count (建筑垃圾 names debris,
 * not also 垃圾; 乱停电动车 names no 停电; 停车场出口, with 停车场 under
 * not_problems:, names nothing).  SQ_ENOMEM only.
 */
sq_err taxonomy_problem_set(const struct sq_taxonomy *tax, const char *text,
			    struct tax_problem_set *out);

/*
 * How two texts' problems compare: TAX_SAME when they have a key in
 * common, else TAX_RELATED when a key of one and a key of the other are
 * listed together under related_problems: (a noisy food stall is reported
 * as singing, as the stall, as its smoke), else TAX_UNRELATED; TAX_UNKNOWN
 * when either names no declared problem (or an argument is NULL).
 */
enum tax_compat taxonomy_problem_sets_compat(const struct sq_taxonomy *tax,
					     const struct tax_problem_set *a,
					     const struct tax_problem_set *b);

/*
 * For people and tests: taxonomy_problem_set as its keys, separated by
 * single spaces, into *out (malloc'd, caller frees; "" when none).
 * SQ_ENOMEM only.
 */
sq_err taxonomy_problems(const struct sq_taxonomy *tax, const char *text, char **out);

/*
 * taxonomy_problem_sets_compat of two lists of keys as taxonomy_problems
 * writes them (keys problems: does not declare are ignored; only the first
 * TAX_PROBLEMS_MAX of a list count).
 */
enum tax_compat taxonomy_problems_compat(const struct sq_taxonomy *tax, const char *a,
					 const char *b);

#endif
