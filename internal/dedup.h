/*
 * dedup.h — record linkage: every stored complaint belongs to exactly one
 * incident (DESIGN.md, "Deduplication"; docs/dedup.md for tuning).
 *
 * Inside each page's transaction, after storing it, the poll calls
 * dedup_link_tx() with the ids of the complaints it stored.  A new complaint joins the incident of a complaint
 * it is linked to by a source-declared link (hotline relatedOrderNo,
 * city_mgmt refOrderNo, in either arrival order), else the incident of its
 * best-scoring candidate when that score reaches the threshold, else starts
 * an incident of its own.  Candidates come from indexed blocking keys
 * (community, grid cell, coordinate cell, address key, contact) and
 * MinHash-LSH bands, all within the time window, so the work per complaint
 * does not grow with the store.  An updated complaint keeps its incident
 * (its index is refreshed).  Every link stores its score and comparisons.
 *
 * Analysts' merges and splits (dedup_merge, dedup_split) are recorded as
 * decisions that linking never undoes: a complaint split off an incident is
 * never put back into it automatically, and linking never splits.
 *
 * `dedup.mode: naive` replaces the scoring by the rule hotlines use today
 * (declared links, or the same phone number within 24 hours), joining every
 * incident a complaint matches, for comparison in `make eval`.
 */
#ifndef SUQIU_DEDUP_H
#define SUQIU_DEDUP_H

#include <stddef.h>
#include <stdint.h>

#include "config.h"
#include "error.h"
#include "store.h"

struct sq_taxonomy;
struct sq_dedup;

/* What one linking context did, for the run log and `poll -v`. */
struct dedup_stats {
	int64_t started;     /* complaints that started an incident */
	int64_t scored;      /* joined an incident by score */
	int64_t declared;    /* joined by a source-declared link */
	int64_t refreshed;   /* already linked (updated records): re-indexed */
	int64_t merged;      /* incidents merged because declared links joined them */
	int64_t candidates;  /* candidate complaints compared, all together */
};

/*
 * A linking context for one run over st (which must outlive it).  cfg is
 * the `dedup:` section (borrowed, must outlive it); tax may be NULL (then
 * categories are compatible only when equal).  SQ_ECONFIG for an unknown
 * mode or a weights table of the wrong size; SQ_ENOMEM.
 */
sq_err dedup_new(struct sq_store *st, const struct sq_dedup_config *cfg,
		 const struct sq_taxonomy *tax, struct sq_dedup **out, struct sq_error *err);

/* Free the context; NULL is fine. */
void dedup_free(struct sq_dedup *dd);

/*
 * Link the complaints ids[0..n) (new or updated; unknown ids are ignored),
 * then any other complaint still without an incident (a run of an older
 * suqiu that died between a page's commit and its linking leaves some), in
 * that order, inside the caller's transaction — the one that stored them,
 * so that no complaint is ever committed without an incident.  On failure
 * the caller must roll the transaction back.  `now` is the wall-clock time
 * recorded with each link.
 */
sq_err dedup_link_tx(struct sq_dedup *dd, const int64_t *ids, size_t n, int64_t now,
		     struct sq_error *err);

/*
 * What linking a new complaint needs of its texts alone — folded text,
 * places, terms, bands — made from record r ahead of dedup_place, on any
 * thread: it reads only dd's configuration, never the store or dd's caches.
 * SQ_ENOMEM only.  dedup_place takes its contents; free it either way.
 */
struct dedup_prep;
sq_err dedup_prepare(const struct sq_dedup *dd, const struct sq_record *r,
		     struct dedup_prep **out, struct sq_error *err);
void dedup_prep_free(struct dedup_prep *p);

/*
 * Link r, a new complaint about to be stored (store_placer's place), as
 * dedup_link_tx would once it was (prep: dedup_prepare's of r, or NULL to
 * make it here): *incident_id receives the incident its
 * row is to be written with, opened or grown for it.  dedup_placed, given
 * the row's id once the row is stored, records the link and indexes it.
 * Inside the caller's transaction; on failure the caller must roll it back.
 */
sq_err dedup_place(struct sq_dedup *dd, const struct sq_record *r, struct dedup_prep *prep,
		   int64_t now, int64_t *incident_id, struct sq_error *err);
sq_err dedup_placed(struct sq_dedup *dd, int64_t complaint_id, struct sq_error *err);

/*
 * With on, leave the term counts of what is linked pending until
 * dedup_flush, which the caller then calls before each commit: a
 * transaction of many pages writes each term's count once, not once a
 * page.  Off (the default), dedup_link_tx writes them itself.
 */
void dedup_defer_counts(struct sq_dedup *dd, int on);

/* Write the pending term counts into the open transaction (nothing after
 * a rollback, which took them back).  On failure roll it back. */
sq_err dedup_flush(struct sq_dedup *dd, struct sq_error *err);

/* dedup_link_tx in a transaction of its own: call it outside any. */
sq_err dedup_link(struct sq_dedup *dd, const int64_t *ids, size_t n, int64_t now,
		  struct sq_error *err);

/*
 * Called for every candidate pair scored (for fitting weights on labelled
 * data, docs/dedup.md): a is the complaint being linked, b the candidate,
 * c[0..n) the comparisons, score their sum.  Everything is borrowed for
 * the call only.
 */
typedef void (*dedup_trace_fn)(void *ctx, const struct dedup_doc *a, const struct dedup_doc *b,
			       const struct dedup_comparison *c, size_t n, double score);

/* Install (fn NULL: remove) the pair trace. */
void dedup_set_trace(struct sq_dedup *dd, dedup_trace_fn fn, void *ctx);

/* Totals since dedup_new. */
const struct dedup_stats *dedup_get_stats(const struct sq_dedup *dd);

/*
 * A reference as analysts write it: "C123" (complaint), "I45" (incident) or
 * "SOURCE:SOURCE_ID" (complaint).  Exactly one of *complaint_id and
 * *incident_id is set, the other 0.  SQ_EUSAGE for a malformed reference,
 * SQ_ENOTFOUND for one that names nothing stored.
 */
sq_err dedup_resolve(struct sq_store *st, const char *ref, int64_t *complaint_id,
		     int64_t *incident_id, struct sq_error *err);

/* The incident a reference names (itself, or the complaint's). */
sq_err dedup_resolve_incident(struct sq_store *st, const char *ref, int64_t *incident_id,
			      struct sq_error *err);

/*
 * An analyst's merge: every member of incident b moves into incident a,
 * which is kept; any earlier separation between them is forgotten; the
 * decision is recorded with note (may be NULL).  SQ_EUSAGE when a == b.
 * Runs in its own transaction.
 */
sq_err dedup_merge(struct sq_store *st, int64_t a, int64_t b, int64_t now, const char *note,
		   struct sq_error *err);

/*
 * An analyst's split: complaint_id leaves its incident for a new one
 * (*new_incident), and is kept out of the old one from then on.  SQ_EUSAGE
 * when it is already alone in its incident.  Runs in its own transaction.
 */
sq_err dedup_split(struct sq_store *st, int64_t complaint_id, int64_t now, const char *note,
		   int64_t *new_incident, struct sq_error *err);

#endif
