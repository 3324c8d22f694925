/*
 * search.h — what `suqiu search TEXT` looks for: the analyst's text turned
 * into an FTS5 query over title, text and address, and snippets for hits
 * that FTS5 cannot mark.
 *
 * The text is split at white space into terms, all of which must occur
 * (AND).  The trigram tokenizer indexes every three consecutive characters,
 * so a term of three characters or more is an FTS5 phrase (quoted: the
 * analyst's quotes, stars and operators are matched literally, never
 * parsed as FTS5 syntax); a shorter one (噪音, 88) cannot use the index and
 * is matched as a substring with LIKE instead, which scans — the command
 * says so.
 */
#ifndef SUQIU_SEARCH_H
#define SUQIU_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct sq_store;

/* Terms shorter than this many characters fall back to LIKE. */
#define SEARCH_MIN_TRIGRAM 3

struct search_terms {
	char *match;        /* FTS5 expression over the long terms, NULL when none */
	char **like;        /* the short terms, matched as substrings */
	size_t nlike;
	char **all;         /* every term, in order (for marking snippets) */
	size_t nall;
};

/*
 * Split text into terms (ASCII white space and U+3000 separate them).
 * SQ_EUSAGE when there is no term at all; SQ_ENOMEM.  t is initialized by
 * the call; release it with search_terms_release either way.
 */
sq_err search_parse(const char *text, struct search_terms *t, struct sq_error *err);

void search_terms_release(struct search_terms *t);

/*
 * A fragment of text around the first occurrence of any term (ASCII case
 * ignored), about `context` characters either side, with every occurrence
 * inside it between open and close and "…" where text was cut.  *out is
 * NULL (and SQ_OK returned) when no term occurs in text.  SQ_ENOMEM.
 */
sq_err search_snippet(const char *text, char *const *terms, size_t nterms, size_t context,
		      const char *open, const char *close, char **out);

/* Filters of a search (0 / NULL: not filtered). */
struct search_filter {
	int64_t since, until;           /* received in [since, until) */
	const char *community, *category, *source, *status;
	size_t limit;                   /* 0: 20 */
	const char *hl_open, *hl_close; /* around matches in snippets: "[" "]" or colour */
};

/* One hit, owned strings (NULL: absent). */
struct search_hit {
	int64_t id, received_at;
	char *source, *source_id, *community, *category, *status, *title, *snippet;
	double rank;                    /* bm25, lower is better; 0 for LIKE-only searches */
};

struct search_results {
	struct search_hit *v;
	size_t n;
	int fallback;                   /* some term was too short for the index (LIKE) */
	int ranked;                     /* ranked by bm25 (else newest first) */
	int more;                       /* the limit was reached: there may be more */
	int capped;                     /* too many matches: only the newest were ranked */
};

/*
 * Run the search: FTS5 ranked by bm25 when some term has three characters
 * or more, else LIKE newest first; snippets from FTS5's snippet() or, for
 * LIKE-only searches, search_snippet() over title, text and address.
 * res is initialized by the call; release it either way.
 */
sq_err search_run(struct sq_store *st, const struct search_terms *t,
		  const struct search_filter *f, struct search_results *res, struct sq_error *err);

void search_results_release(struct search_results *res);

#endif
