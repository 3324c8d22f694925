/*
 * store.h — suqiu's SQLite store: the only module that speaks SQL.
 *
 * The database runs in WAL mode with foreign keys on and a busy timeout;
 * writers use BEGIN IMMEDIATE.  The schema is versioned with
 * PRAGMA user_version and migrated forward one step per version when the
 * store is opened.  A poll run additionally holds an exclusive flock on
 * "<database>.lock" (store_lock_poll) so two runs never overlap, while
 * readers (digest, search) never wait for it.
 *
 * The implementation is split by area (store.c core, store_schema.c
 * migrations, store_<area>.c); this header is the whole public API.
 * Strings returned through out-parameters are malloc'd and owned by the
 * caller.  Every function fills err on failure with SQLite's extended error
 * code and message.
 */
#ifndef SUQIU_STORE_H
#define SUQIU_STORE_H

#include <stdint.h>

#include "dedup_compare.h"
#include "error.h"
#include "record.h"

struct sq_store;

/* The schema version this program creates and understands. */
int store_schema_latest(void);

/*
 * SQLite's process-wide settings (no allocation statistics), for cmd/:
 * call once per process, before any thread starts and before the first
 * store_open; without it, or after SQLite is in use, everything works a
 * little more slowly.  SQ_ENOMEM or SQ_EFATAL when SQLite cannot start.
 */
sq_err store_global_init(struct sq_error *err);

/*
 * Open (creating if needed) the database at path and migrate it to the
 * latest schema.  SQ_ESCHEMA when the file is newer than this program.
 */
sq_err store_open(const char *path, struct sq_store **out, struct sq_error *err);

/*
 * Open without migrating past version `target` (tests of the migrations
 * build each older schema with it).  target 0 leaves a new file empty.
 */
sq_err store_open_at_version(const char *path, int target, struct sq_store **out,
			     struct sq_error *err);

/* Close and free; NULL is fine. */
void store_close(struct sq_store *st);

/*
 * A second connection to st's database file, read-only, for work on
 * another thread (a connection serves one thread at a time): no
 * migration, no linkage index; it reads what st has committed.  Fails
 * for a store in memory, and inside one of st's transactions (what that
 * has not committed it would not see).  Close it with store_close.
 */
sq_err store_open_reader(const struct sq_store *st, struct sq_store **out,
			struct sq_error *err);

/* PRAGMA user_version of the open database. */
int store_schema_version(struct sq_store *st);

/* The database file path as opened. */
const char *store_path(const struct sq_store *st);

/* ---- transactions ------------------------------------------------------ */

/*
 * BEGIN IMMEDIATE: take the write lock now, so a page commits or waits
 * whole.  Each statement's own undo journal is kept in memory (store.c):
 * no statement of the transaction may change more than a few thousand
 * pages (a page or batch of records, a slice of the index horizon).
 */
sq_err store_begin(struct sq_store *st, struct sq_error *err);
sq_err store_commit(struct sq_store *st, struct sq_error *err);
/* Roll back the open transaction, if any; never fails. */
void store_rollback(struct sq_store *st);
/*
 * How many transactions were rolled back since store_open: a module that
 * caches what it wrote inside a caller's transaction (dedup) compares it
 * with the count it saw to know when to forget.
 */
uint64_t store_rollbacks(const struct sq_store *st);

/* ---- the poll lock ----------------------------------------------------- */

/*
 * Take an exclusive, non-blocking flock on "<db_path>.lock" (created 0600).
 * SQ_ELOCKED if another run holds it.  *fd receives the descriptor to give
 * to store_unlock_poll.
 */
sq_err store_lock_poll(const char *db_path, int *fd, struct sq_error *err);
void store_unlock_poll(int fd);

/* ---- complaints -------------------------------------------------------- */

/*
 * What storing a record did.  STORE_RESTATED: updated like STORE_UPDATED,
 * but nothing linking reads changed (title, text, address, category, raw
 * category, community, grid, position, contact, received time, source
 * type) and it declares no links, now or before: a new status, handler,
 * deadline or satisfaction, which linking need not see again.
 */
enum store_change { STORE_NEW = 0, STORE_UPDATED, STORE_UNCHANGED, STORE_RESTATED };

/*
 * Insert or update one normalized record, inside the caller's transaction
 * (without one, in a transaction of its own: a complaint is in the search
 * index when its row is).  New (source, source_id): inserted.  Known and
 * r->updated_at newer than the stored one: the old state is copied to
 * complaint_history and replaced.
 * Otherwise nothing changes.  *id receives the complaint's row id.
 * `now` is the wall-clock time recorded as first seen / history time.
 */
sq_err store_put_complaint(struct sq_store *st, const struct sq_record *r, int64_t now,
			   enum store_change *change, int64_t *id, struct sq_error *err);

/*
 * Linking a new complaint as it is stored, so that its row is written once,
 * with its incident, rather than inserted and then updated (each update
 * rewrites the row and four of its index entries).  place() gets the record
 * before its row exists and names the incident to write it with (opened or
 * grown for it: store_incident_open, store_incident_grow); placed() gets the
 * row's id once the row and its declared links are stored.
 */
struct store_placer {
	sq_err (*place)(void *ctx, const struct sq_record *r, void *prep, int64_t *incident_id,
			struct sq_error *err);
	sq_err (*placed)(void *ctx, int64_t complaint_id, struct sq_error *err);
	void *ctx;
};

/* store_put_complaint, a new record placed by placer (NULL: none, the row
 * is written without an incident); prep, passed to place, is what the
 * placer's owner made of r ahead (poll_options.prepare), or NULL. */
sq_err store_put_placed(struct sq_store *st, const struct sq_record *r, void *prep, int64_t now,
			const struct store_placer *placer, enum store_change *change,
			int64_t *id, struct sq_error *err);

/* Number of stored complaints (all sources). */
sq_err store_count_complaints(struct sq_store *st, int64_t *n, struct sq_error *err);

/* ---- cursors ----------------------------------------------------------- */

/* The saved cursor of source; *cursor NULL when none was ever committed. */
sq_err store_get_cursor(struct sq_store *st, const char *source, char **cursor,
			struct sq_error *err);
/* Save the cursor (inside the page's transaction). */
sq_err store_set_cursor(struct sq_store *st, const char *source, const char *cursor,
			int64_t now, struct sq_error *err);

/* ---- quarantine -------------------------------------------------------- */

/* Keep a bad record raw with the reason it was refused. source_id may be NULL. */
sq_err store_quarantine(struct sq_store *st, const char *source, const char *source_id,
			const char *raw, const char *reason, int64_t now,
			struct sq_error *err);
sq_err store_count_quarantine(struct sq_store *st, const char *source, int64_t *n,
			      struct sq_error *err);

/* ---- run log ----------------------------------------------------------- */

struct store_run_source {
	const char *source;
	int64_t pages, fetched, new_records, updated, unchanged, quarantined, errors;
	int64_t duration_ms;
	const char *error;      /* last error message, NULL when none */
};

/* Open a run-log entry; *run_id for the calls below. */
sq_err store_run_begin(struct sq_store *st, const char *command, int64_t started_at,
		       int64_t *run_id, struct sq_error *err);
/* Record one source's figures for the run. */
sq_err store_run_source(struct sq_store *st, int64_t run_id,
			const struct store_run_source *s, struct sq_error *err);
/* Close the entry with its exit status. */
sq_err store_run_end(struct sq_store *st, int64_t run_id, int64_t finished_at,
		     int exit_status, struct sq_error *err);

/* Feed health: last successful poll time (0: never) and last error of source. */
sq_err store_source_health(struct sq_store *st, const char *source, int64_t *last_ok,
			   char **last_error, int64_t *last_error_at, struct sq_error *err);

/* ---- incidents and record linkage (store_incidents.c) ------------------ */

/*
 * Tables (schema step 3): incidents(id, opened_at, last_at, category,
 * community, size, created_at) with complaints.incident_id pointing at it;
 * dedup_links (why each complaint is in its incident); dedup_docs,
 * dedup_sigs (schema step 16), dedup_df, dedup_stats (the linkage index);
 * dedup_decisions (analysts' merges and splits, and merges made by declared
 * links); dedup_apart (complaint, incident) pairs an analyst separated.
 * Only dedup.c writes them; the functions below run inside the caller's
 * transaction unless they say otherwise.
 */

/* A growable list of row ids. */
struct store_ids {
	int64_t *v;
	size_t n, cap;
};

/* Append id unless already present (lists are short).  SQ_ENOMEM only. */
sq_err store_ids_add(struct store_ids *ids, int64_t id);
/* Append id even if present (store_ids_unique removes repeats).  SQ_ENOMEM only. */
sq_err store_ids_push(struct store_ids *ids, int64_t id);
/* Sort the list and drop repeated ids. */
void store_ids_unique(struct store_ids *ids);
/* The index of id in a list store_ids_unique left sorted; ids->n when it
 * is not there. */
size_t store_ids_find(const struct store_ids *ids, int64_t id);
void store_ids_release(struct store_ids *ids);

/*
 * Load what linkage compares of complaint id into d (released first):
 * place, category, contact, time, incident, and the indexed features
 * (folded text and address keys; NULL when not indexed yet).  *found is 0
 * when there is no such complaint.
 */
sq_err store_dedup_doc(struct sq_store *st, int64_t id, struct dedup_doc *d, int *found,
		       struct sq_error *err);

/* The complaint's title, text and address (malloc'd, NULL when absent). */
sq_err store_dedup_text(struct sq_store *st, int64_t id, char **title, char **text,
			char **address, struct sq_error *err);

/*
 * (Re)index complaint d->id: its folded text and address keys, its
 * blocking keys (at d->received_at) and its MinHash band hashes.  reindex:
 * it was indexed before (store_dedup_doc gave a folded text), and what was
 * indexed for it is replaced; 0 spares a new complaint the look-ups that
 * would find nothing to remove.
 */
sq_err store_dedup_index(struct sq_store *st, const struct dedup_doc *d, int reindex,
			 const char *const *keys, size_t nkeys,
			 const int64_t *bands, size_t nbands, struct sq_error *err);

/*
 * Candidates: complaints indexed under key (resp. with band hash `hash` in
 * band `band`) received in [from, to], most recent first (by received_at,
 * then id), at most limit, appended to ids (which may then hold an id
 * twice: store_ids_unique).  Answered from the index's rows of that time
 * held in memory (store_index.c), read on the first look-up that needs
 * them: a run's look-ups read each row about once.
 */
sq_err store_dedup_block(struct sq_store *st, const char *key, int64_t from, int64_t to,
			 int limit, struct store_ids *ids, struct sq_error *err);
sq_err store_dedup_band(struct sq_store *st, int band, int64_t hash, int64_t from,
			int64_t to, int limit, struct store_ids *ids, struct sq_error *err);

/* Document frequency of one term (0 when never seen). */
sq_err store_dedup_df(struct sq_store *st, uint64_t term, int64_t *df, struct sq_error *err);
/*
 * The linkage index horizon.  *newest: the latest received_at stored (0
 * when none); *pruned_before: complaints received before it have had their
 * blocking keys and band hashes removed (0: nothing was pruned).
 */
sq_err store_dedup_horizon(struct sq_store *st, int64_t *newest, int64_t *pruned_before,
			   struct sq_error *err);

/*
 * Remove the blocking keys and band hashes of the first `limit` complaints
 * (by received_at) received in [from, before), and record how far that
 * reached (*reached: `before` when fewer than `limit` were left, else the
 * last one's received_at) as the new pruned_before — never moving it back.
 * Call it again from *reached until it reaches `before`.  Complaints
 * received earlier than `from` are not touched.
 */
sq_err store_dedup_prune(struct sq_store *st, int64_t from, int64_t before, int limit,
			 int64_t *reached, struct sq_error *err);

/* A change to one term's document frequency. */
struct store_df_delta {
	uint64_t term;
	int64_t delta;
};

/* Apply n changes to the document frequencies (never below 0; zero deltas
 * are skipped; terms in ascending order write the index in order) and add
 * docs to the document count. */
sq_err store_dedup_df_add(struct sq_store *st, const struct store_df_delta *d, size_t n,
			  int64_t docs, struct sq_error *err);
/* Number of documents counted in the frequencies. */
sq_err store_dedup_ndocs(struct sq_store *st, int64_t *n, struct sq_error *err);

/*
 * Complaints linked to d (as store_dedup_doc loaded it: its id, source,
 * source type and source id) by a source-declared link, in either
 * direction: those whose feed id d names (relatedOrderNo, refOrderNo) and
 * those that name d's.  A link's target_type may be the feed type or the
 * source name.  d not stored yet (d->id 0) names its targets by
 * links[0..nlinks) (its record's), which a stored d leaves NULL, 0: its
 * rows of complaint_links say them.
 */
sq_err store_declared_neighbours(struct sq_store *st, const struct dedup_doc *d,
				 const struct sq_link *links, size_t nlinks, struct store_ids *ids,
				 struct sq_error *err);

/* Complaints without an incident (stored, not yet linked) whose id is
 * greater than after, smallest id first, at most limit. */
sq_err store_unlinked(struct sq_store *st, int64_t after, int limit, struct store_ids *ids,
		      struct sq_error *err);

/*
 * Start a new incident holding only complaint_id (taken out of its old
 * incident, if any): *incident_id receives it.
 */
sq_err store_incident_new(struct sq_store *st, int64_t complaint_id, int64_t now,
			  int64_t *incident_id, struct sq_error *err);

/*
 * Put complaint_id into incident_id.  An unlinked complaint joins it
 * incrementally; a complaint taken from another incident leaves that one
 * recomputed (and deleted when it becomes empty).
 */
sq_err store_incident_add(struct sq_store *st, int64_t incident_id, int64_t complaint_id,
			  struct sq_error *err);

/*
 * For a complaint d not stored yet (store_placer), of which the incident
 * rows only need its time, category and community: open a new incident
 * made whole from it (what store_incident_new makes), or grow incident_id
 * by it (what store_incident_add does for an unlinked complaint).  Its row
 * must then be written with that incident.
 */
sq_err store_incident_open(struct sq_store *st, const struct dedup_doc *d, int64_t now,
			   int64_t *incident_id, struct sq_error *err);
sq_err store_incident_grow(struct sq_store *st, int64_t incident_id, const struct dedup_doc *d,
			   struct sq_error *err);

/* Count incident_id's members, times, category and community again (and
 * delete it should it have none). */
sq_err store_incident_recount(struct sq_store *st, int64_t incident_id, struct sq_error *err);

/*
 * Move every member of `gone` into `keep`, carry its analysts' separations
 * along, and delete `gone`.
 */
sq_err store_incident_merge(struct sq_store *st, int64_t keep, int64_t gone,
			    struct sq_error *err);

/* Record why complaint_id is in its incident (replaces the earlier reason).
 * matched_id 0 and comparisons NULL when there is none. */
sq_err store_link_set(struct sq_store *st, int64_t complaint_id, const char *method,
		      int64_t matched_id, double score, const char *comparisons, int64_t now,
		      struct sq_error *err);

/* Record a decision (kind merge, split, link_merge); other_id and
 * complaint_id 0 when not applicable, note may be NULL. */
sq_err store_decision_add(struct sq_store *st, const char *kind, int64_t complaint_id,
			  int64_t incident_id, int64_t other_id, int64_t now, const char *note,
			  struct sq_error *err);

/* Keep complaint_id out of incident_id from now on (analyst's split). */
sq_err store_apart_add(struct sq_store *st, int64_t complaint_id, int64_t incident_id,
		       struct sq_error *err);
/* *apart 1 when some member of a was separated from b or vice versa. */
sq_err store_apart_check(struct sq_store *st, int64_t a, int64_t b, int *apart,
			 struct sq_error *err);
/* Forget the separations between the members of a and b (analyst's merge). */
sq_err store_apart_clear(struct sq_store *st, int64_t a, int64_t b, struct sq_error *err);

/* ---- reading complaints and incidents (store_incidents.c) ------------- */

/* One incident; strings malloc'd (release with store_incident_release). */
struct store_incident {
	int64_t id, opened_at, last_at, size, created_at;
	char *category, *community;
};
void store_incident_release(struct store_incident *inc);

/* Load incident id; *found 0 when there is none. */
sq_err store_incident_get(struct sq_store *st, int64_t id, struct store_incident *inc,
			  int *found, struct sq_error *err);

/* The complaint's id by (source, source_id); *id 0 when unknown. */
sq_err store_complaint_find(struct sq_store *st, const char *source, const char *source_id,
			    int64_t *id, struct sq_error *err);

/* The (source, source_id) of complaint id, malloc'd; both NULL when unknown. */
sq_err store_complaint_source(struct sq_store *st, int64_t id, char **source,
			      char **source_id, struct sq_error *err);

/*
 * One complaint as show and export print it, with how it joined its
 * incident and its flags.  Strings are borrowed: valid during the callback
 * only.  NULL means absent.  The full phone number is never part of it.
 */
struct store_complaint_row {
	int64_t id, incident_id;
	const char *source, *source_type, *source_id;
	int64_t received_at, updated_at, first_seen_at, deadline, resolved_at; /* 0: absent */
	const char *kind, *channel, *title, *text, *category, *category_raw;
	const char *street, *community, *grid, *address;
	int has_pos;
	double lat, lon;
	const char *contact_masked, *status, *status_raw, *satisfaction, *handler;
	const char *link_method;       /* NULL when not linked yet */
	int64_t link_matched, linked_at;
	double link_score;
	int has_score;
	const char *link_comparisons;  /* JSON array or NULL */
	const int64_t *flags;          /* ids of the early-warning flags it is part of */
	size_t nflags;
};

/* Which complaints store_complaint_each visits (0: any). */
struct store_complaint_filter {
	int64_t id;                    /* one complaint */
	int64_t incident_id;           /* the members of one incident */
	int64_t since;                 /* received at or after (Unix s) */
};

/*
 * Call cb for each complaint matching filter, in received_at then id order.
 * cb returns SQ_OK to go on; any other code stops the walk and is returned
 * (err is then cb's business).  Flags come from the early-warning module's
 * flag_members table when it exists.  The history and decision walks below
 * follow the same rule.
 */
sq_err store_complaint_each(struct sq_store *st, const struct store_complaint_filter *filter,
			    sq_err (*cb)(void *ctx, const struct store_complaint_row *row),
			    void *ctx, struct sq_error *err);

/* One source-declared link of a complaint; strings borrowed. */
struct store_declared_row {
	const char *kind, *target_type, *target_id;
	int64_t target;                /* the stored complaint it names, 0 when not (yet) stored */
};

/* Call cb for each link complaint id declares. */
sq_err store_declared_each(struct sq_store *st, int64_t id,
			   sq_err (*cb)(void *ctx, const struct store_declared_row *row),
			   void *ctx, struct sq_error *err);

/* One earlier state of a complaint (complaint_history); strings borrowed. */
struct store_history_row {
	int64_t replaced_at, updated_at, deadline;
	const char *status, *status_raw, *title, *text, *category, *community, *satisfaction,
		*handler;
};

/* Call cb for each earlier state of complaint id, oldest first. */
sq_err store_history_each(struct sq_store *st, int64_t id,
			  sq_err (*cb)(void *ctx, const struct store_history_row *row), void *ctx,
			  struct sq_error *err);

/* One decision; strings borrowed. */
struct store_decision_row {
	int64_t id, complaint_id, incident_id, other_id, decided_at;
	const char *kind, *note;
};

/*
 * Call cb for each decision touching incident_id (kept, left, absorbed or
 * created) or complaint_id (split off); either may be 0.  Oldest first.
 */
sq_err store_decision_each(struct sq_store *st, int64_t incident_id, int64_t complaint_id,
			   sq_err (*cb)(void *ctx, const struct store_decision_row *row),
			   void *ctx, struct sq_error *err);

/* ---- early warning: what the detectors read (store_flags.c) ----------- */

/*
 * One complaint as the detectors see it.  The unit of counting is the
 * incident: unit_* fields come from the complaint's incident when it is
 * linked to one (incident_id != 0), else from the complaint itself, so a
 * complaint dedup has not linked yet counts as an incident of its own.
 */
struct store_detect_row {
	int64_t id;            /* complaint row id */
	int64_t incident_id;   /* 0: not linked */
	int64_t received_at;
	int64_t first_seen_at; /* when this program first stored it */
	int64_t unit_at;       /* incident's opened_at, else received_at */
	int64_t deadline;      /* 0: none */
	/* Places and categories are few: these four point into the rows'
	 * shared copy of each distinct name (struct store_detect_rows), so
	 * that equal names are equal pointers. */
	const char *category;  /* incident's category, else the complaint's; may be NULL */
	const char *community; /* likewise */
	const char *own_community;  /* the complaint's own community (where this caller is), may be NULL */
	const char *grid;      /* the complaint's grid code, may be NULL */
	char *contact_hash;    /* may be NULL */
	double lat, lon;
	int has_pos;
};

struct store_detect_rows {
	struct store_detect_row *rows;
	size_t n;
	char **names;          /* owned: each distinct category, community and grid once (a hash set) */
	size_t names_cap, names_n;
};

/*
 * Complaints received in [since, until] that can be grievances (kind not
 * praise, status not void), ordered by received_at then id.  No texts:
 * store_detect_texts streams those.
 *
 * With overdue not NULL, also the complaints still open or in progress
 * whose deadline is in [overdue_from, until), for the overdue detector,
 * ordered by deadline then id: same row shape, but only id, incident_id,
 * the times, deadline and community are filled (the strings are NULL).
 * The caller bounds overdue_from: items past their deadline for long are
 * as many as the store is old, and the detector has seen them on earlier
 * runs.
 *
 * Outside a transaction part of the reading is done by a second thread
 * on a connection of its own (store_open_reader).  The caller frees *out
 * and *overdue with store_detect_rows_release, also on failure.
 */
sq_err store_detect_load(struct sq_store *st, int64_t since, int64_t until,
			 struct store_detect_rows *out, int64_t overdue_from,
			 struct store_detect_rows *overdue, struct sq_error *err);

/* The bulky part of a complaint, for the detectors that read words. */
struct store_detect_text {
	int64_t id;
	int64_t received_at;
	const char *title, *text;          /* may be NULL */
	const char *source, *source_id;    /* NULL from store_detect_memos */
	const char *memo;                  /* store_detect_memos: the kept memo, or NULL */
};

/*
 * Call cb for each complaint store_detect_load(since, until) gives, in the
 * same order, with its texts; the pointers are valid during the call only.
 * Nothing is kept, so the texts of the look-back period are never all in
 * memory at once.  A non-zero return from cb stops the walk and is
 * returned (cb fills err itself).  cb must not use the store.
 */
sq_err store_detect_texts(struct sq_store *st, int64_t since, int64_t until,
			  sq_err (*cb)(void *arg, const struct store_detect_text *t), void *arg,
			  struct sq_error *err);

/*
 * A detector's memo of a complaint: a string it derived from the title and
 * text (common_cause: the names in them), kept so that the texts of a long
 * look-back are not read and analysed again on every run.  A memo belongs
 * to the detector's name and to a version of the code that derived it; a
 * change of the complaint's title, text or received_at, or its deletion,
 * drops it (triggers, schema step 13).
 */
struct store_detect_memo {
	const char *detector;   /* borrowed */
	int version;
	int64_t complaint_id, received_at;
	char *memo;             /* owned by whoever made the array */
};

/*
 * The memos of (detector, version) kept for complaints received in [since,
 * until], in (received_at, complaint id) order, each as t->memo with t->id
 * and t->received_at (title, text, source and source_id NULL); whether the
 * complaint is still one store_detect_load gives is the caller's to check.
 * cb may call store_detect_text_of (and nothing else of the store).  The
 * poll lock (store_lock_poll) keeps the texts from changing between this
 * walk and store_detect_memo_put.
 */
sq_err store_detect_memos(struct sq_store *st, const char *detector, int version,
			  int64_t since, int64_t until,
			  sq_err (*cb)(void *arg, const struct store_detect_text *t), void *arg,
			  struct sq_error *err);

/*
 * Call cb with complaint id's title and text (memo, source and source_id
 * NULL), valid during the call only; not at all when there is no such
 * complaint.
 */
sq_err store_detect_text_of(struct sq_store *st, int64_t id,
			    sq_err (*cb)(void *arg, const struct store_detect_text *t), void *arg,
			    struct sq_error *err);

/*
 * Keep the memos m[0..n) (replacing any of the same complaint and
 * detector), and drop every memo of a complaint received before
 * keep_since: no look-back reads them again.  Call inside a transaction.
 */
sq_err store_detect_memo_put(struct sq_store *st, const struct store_detect_memo *m, size_t n,
			     int64_t keep_since, struct sq_error *err);

void store_detect_rows_release(struct store_detect_rows *rows);

/*
 * Stand-in for dedup's linking, for tests and `make eval-detect` only:
 * put complaint_id into incident *incident_id, or into a new incident
 * opened at the complaint's received_at when *incident_id is 0 (then
 * *incident_id receives the new id).  Keeps the incident's opened_at,
 * last_at and size right.  Inside the caller's transaction.
 */
sq_err store_detect_link_incident(struct sq_store *st, int64_t complaint_id,
				  int64_t *incident_id, struct sq_error *err);

/* When the detector `name` last did its periodic work (0: never). */
sq_err store_detector_last_run(struct sq_store *st, const char *name, int64_t *at,
			       struct sq_error *err);
sq_err store_detector_mark_run(struct sq_store *st, const char *name, int64_t at,
			       struct sq_error *err);

/* ---- early warning: flags (store_flags.c) ------------------------------ */

/*
 * A flag raised by a detector (flag.h names kinds, states and
 * severities).  Strings are malloc'd and owned by the struct; release with
 * store_flag_release.  nmembers and nunits (distinct incidents, a lone
 * complaint counting as one) are filled by the reading functions.
 */
struct store_flag {
	int64_t id;
	char *kind, *cause_key, *severity, *state, *summary, *detail;
	char *category, *community;    /* NULL when the flag has none */
	int64_t level, revision;
	int64_t opened_at, updated_at;
	int64_t active_at;             /* last time members joined */
	int64_t closed_at;             /* 0 while not closed */
	int64_t nmembers, nunits;
};

void store_flag_release(struct store_flag *f);

/* A member complaint of a flag, for listings and mail; owned strings.
 * title is the complaint's title, or the start of its text when it has none. */
struct store_flag_member {
	int64_t complaint_id, incident_id, received_at, revision;
	char *source, *source_id, *category, *community, *contact_masked, *title, *status;
};

void store_flag_members_free(struct store_flag_member *m, size_t n);

/* One entry of a flag's history. */
struct store_flag_event {
	int64_t at, revision, members;
	char *event, *state, *severity, *note;
};

void store_flag_events_free(struct store_flag_event *e, size_t n);

/*
 * The flag that is not closed for cause_key; f->id is 0 when there is none.
 * f is released first, so it may hold an earlier result.  Its sizes are
 * not counted (nmembers and nunits are -1): counting a flag's incidents
 * reads every member, and a long-lived flag has many (store_flag_size).
 */
sq_err store_flag_find_live(struct sq_store *st, const char *cause_key, struct store_flag *f,
			    struct sq_error *err);

/*
 * A flag that is not closed, of `kind` and (when category is not NULL) of
 * that category, having one of the n complaints as a member: for findings
 * whose place drifts between runs (radius clusters, scan cylinders).
 * *flag_id is 0 when there is none.
 */
sq_err store_flag_find_overlap(struct sq_store *st, const char *kind, const char *category,
			       const int64_t *complaints, size_t n, int64_t *flag_id,
			       struct sq_error *err);

/*
 * How many of the n complaints already belong to some flag with cause_key,
 * or (kind not NULL) to any flag of that kind — closed ones included: a
 * closed flag's members do not raise its cause again.
 */
sq_err store_flag_count_known(struct sq_store *st, const char *cause_key, const char *kind,
			      const int64_t *complaints, size_t n, size_t *known,
			      struct sq_error *err);

/*
 * Insert a flag from f's kind, cause_key, severity, level, summary, detail,
 * category and community, in state open, revision 1, opened and active at
 * now; *id receives its id.  Writes no history: call store_flag_log
 * ("opened") once its members are in, so the entry counts them.
 */
sq_err store_flag_create(struct sq_store *st, const struct store_flag *f, int64_t now,
			 int64_t *id, struct sq_error *err);

/*
 * Append a history entry `event` (note may be NULL) carrying the flag's
 * current revision, state, severity and member count.
 */
sq_err store_flag_log(struct sq_store *st, int64_t flag_id, const char *event, const char *note,
		      int64_t now, struct sq_error *err);

/*
 * Add the complaints that are not members yet (at the flag's current
 * revision); *added counts them.  Sets active_at = now when any joined.
 */
sq_err store_flag_add_members(struct sq_store *st, int64_t flag_id, const int64_t *complaints,
			      size_t n, int64_t now, int64_t *added, struct sq_error *err);

/*
 * Rewrite the mutable fields of flag f->id from f: severity, level,
 * revision, state, summary, detail, updated_at = now; closed_at = now when
 * f->state is "closed".  Then record a history entry `event` (with note,
 * may be NULL) carrying the new revision, state, severity and member count.
 */
sq_err store_flag_update(struct sq_store *st, const struct store_flag *f, const char *event,
			 const char *note, int64_t now, struct sq_error *err);

/*
 * How many complaints flag id holds, and how many incidents (a complaint no
 * incident holds counts alone); either pointer may be NULL, and that count
 * is not taken.  The first is an index count; the second reads every
 * member's complaint.
 */
sq_err store_flag_size(struct sq_store *st, int64_t id, int64_t *members, int64_t *units,
		       struct sq_error *err);

/* Read flag id (SQ_ENOTFOUND when absent). */
sq_err store_flag_get(struct sq_store *st, int64_t id, struct store_flag *f,
		      struct sq_error *err);

/*
 * Flags in `state` (NULL: all), newest first.  *flags is a malloc'd array
 * of n flags; free each with store_flag_release, then the array.
 */
sq_err store_flag_list(struct sq_store *st, const char *state, struct store_flag **flags,
		       size_t *n, struct sq_error *err);

/* Members of a flag, oldest first (received_at, then id): the first
 * `limit`, or all when limit is 0 (malloc'd array,
 * store_flag_members_free).  The flag's count is store_flag.nmembers. */
sq_err store_flag_members(struct sq_store *st, int64_t flag_id, size_t limit,
			  struct store_flag_member **m, size_t *n, struct sq_error *err);

/* History of a flag, oldest first (malloc'd array, store_flag_events_free). */
sq_err store_flag_history(struct sq_store *st, int64_t flag_id, struct store_flag_event **e,
			  size_t *n, struct sq_error *err);

/*
 * Close every flag not closed whose active_at is before `before`, with
 * history entry "expired"; *n counts them.
 */
sq_err store_flag_expire(struct sq_store *st, int64_t before, int64_t now, int64_t *n,
			 struct sq_error *err);

/* ---- mail: the outbox (store_outbox.c) ------------------------------- */

/*
 * One message of the outbox: a flag revision's alert (kind "flag") or a
 * period's digest (kind "digest", `digest --mail`).  Rows move
 * pending -> sending -> sent; a failed attempt puts the row back to
 * pending with a later next_attempt_at.  Strings owned by the struct.
 */
struct store_outbox_msg {
	int64_t id, flag_id, revision, created_at;   /* flag_id, revision: 0 for a digest */
	int64_t attempts, next_attempt_at;
	int64_t sending_since;   /* 0 unless state is sending */
	int64_t in_doubt;        /* times the row was reclaimed from an unfinished attempt */
	int64_t sent_at;         /* 0 until sent */
	char *kind;              /* "flag" or "digest" (NULL when adding: "flag") */
	char *digest_key;        /* a digest's period and layout, unique; NULL for a flag */
	char *attachment;        /* file name body_html is attached under; NULL: an
				  * alternative part */
	char *message_id;        /* "<flag-ID.rREV.HASH@suqiu>", "<digest-...@suqiu>" */
	char *recipients;        /* comma-separated addresses; "" to resolve when sending */
	char *subject, *body_text, *body_html;
	char *state, *last_error;
	char *category, *community; /* the flag's, for resolving recipients (NULL: digest) */
};

void store_outbox_msg_release(struct store_outbox_msg *m);

/* Queue m (its kind, flag_id and revision or digest_key, attachment,
 * message_id, created_at, recipients, subject and bodies) as pending, due
 * at created_at; a row for the same flag revision or digest_key already
 * queued is kept as it is, and *added (may be NULL) says which happened.
 * Inside the caller's transaction. */
sq_err store_outbox_add(struct sq_store *st, const struct store_outbox_msg *m, int *added,
			struct sq_error *err);

/*
 * The digest row with this digest_key into *m (m->id 0 when there is none;
 * m is released first).
 */
sq_err store_outbox_find_digest(struct sq_store *st, const char *digest_key,
				struct store_outbox_msg *m, struct sq_error *err);

/*
 * The digest row with this digest_key, if it is pending and not due by
 * now, becomes due now: `digest --mail` run again asks for it, and need
 * not wait for its backoff.  Inside the caller's transaction.
 */
sq_err store_outbox_make_due(struct sq_store *st, const char *digest_key, int64_t now,
			     struct sq_error *err);

/*
 * Put rows left in `sending` since before stale_before (a run that died
 * mid-send) back to pending, due now, counting them in in_doubt.  *n
 * counts them.
 */
sq_err store_outbox_recover(struct sq_store *st, int64_t stale_before, int64_t *n,
			    struct sq_error *err);

/*
 * Claim the pending row due first, if it is due by due_by: it becomes
 * `sending` since now with attempts + 1, and *m receives it (m->id 0 when
 * nothing is due).  Inside the caller's transaction; commit before talking
 * to the server.
 */
sq_err store_outbox_claim(struct sq_store *st, int64_t due_by, int64_t now,
			  struct store_outbox_msg *m, struct sq_error *err);

/* Mark a claimed row sent at now. */
sq_err store_outbox_mark_sent(struct sq_store *st, int64_t id, int64_t now,
			      struct sq_error *err);

/* Put a claimed row back to pending, due at next_attempt_at, with the error. */
sq_err store_outbox_mark_failed(struct sq_store *st, int64_t id, int64_t next_attempt_at,
				const char *error, struct sq_error *err);

/* Replace the recipients of a row (resolved when sending). */
sq_err store_outbox_set_recipients(struct sq_store *st, int64_t id, const char *recipients,
				   struct sq_error *err);

/*
 * After the mail of (flag_id, revision) went out: the flag moves from open
 * to notified if it is still at that revision, with a history entry.
 */
sq_err store_flag_mark_notified(struct sq_store *st, int64_t flag_id, int64_t revision,
				int64_t now, struct sq_error *err);

/* Every outbox row, oldest first (malloc'd array; release each, then free). */
sq_err store_outbox_list(struct sq_store *st, struct store_outbox_msg **m, size_t *n,
			 struct sq_error *err);

/* Rows per state; *next_due the earliest next_attempt_at of pending rows (0: none). */
sq_err store_outbox_counts(struct sq_store *st, int64_t *pending, int64_t *sending,
			   int64_t *sent, int64_t *next_due, struct sq_error *err);

/* ---- digest, reports and search (store_digest.c, store_search.c) ------- */

/*
 * The analysts' figures are aggregated here, in SQL, over the index
 * complaints_digest (schema step "search and digest"), which covers every
 * column they read, so a 30-day digest is a range scan of one index and
 * never touches the wide complaint rows.  The definitions of the figures
 * live in one place (the SQL fragments of store_digest.c) so that a count
 * and its --explain list can never disagree; docs/digest.md states them.
 *
 * Times are Unix seconds; periods are half-open [since, until).
 */

/* The period a grouped count covers, and what it counts as enterprise-related. */
struct store_span {
	int64_t since, until;          /* the period */
	int64_t prev_since;            /* previous period [prev_since, since); == since: none */
	int64_t now;                   /* for figures "as of now" (overdue) */
	int tz_offset_s;               /* local days for STORE_GROUP_DAY* */
	const char *const *enterprise; /* category keys of enterprise-related grievances */
	size_t nenterprise;
};

/* What store_digest_groups groups by.  Keys are NULL when the field is absent. */
enum store_group {
	STORE_GROUP_ALL = 0,            /* one row, keys NULL */
	STORE_GROUP_SOURCE,             /* key source */
	STORE_GROUP_SOURCE_CHANNEL,     /* key source, key2 channel */
	STORE_GROUP_CHANNEL,            /* key channel */
	STORE_GROUP_CATEGORY,           /* key category (NULL: unmapped) */
	STORE_GROUP_COMMUNITY,          /* key community */
	STORE_GROUP_DAY,                /* key local date YYYY-MM-DD */
	STORE_GROUP_DAY_SOURCE,         /* key local date, key2 source */
	STORE_GROUP_COMMUNITY_CATEGORY, /* key community, key2 category */
	STORE_GROUP_UNMAPPED,           /* unmapped only: key source, key2 category_raw */
	STORE_GROUP_LAST
};

/*
 * One group's figures.  complaints and previous count every record
 * received in the period (resp. the previous one); the others count the
 * period only:
 *   incidents     distinct incidents among the complaints (a complaint that
 *                 dedup has not linked counts as one of its own)
 *   registered    not void
 *   resolved      registered, status resolved or closed, resolved_at < until
 *   due           registered with a deadline, resolved or deadline < until
 *   on_time       resolved with resolved_at <= deadline
 *   rated         registered with a satisfaction verdict; satisfied,
 *                 basically_satisfied and dissatisfied split it
 *   disputes      registered of kind complaint or report; disputes_resolved
 *   enterprise    registered whose category is in span->enterprise;
 *                 enterprise_resolved
 */
struct store_group_row {
	char *key, *key2;
	int64_t complaints, previous, incidents;
	int64_t registered, resolved, due, on_time;
	int64_t rated, satisfied, basically_satisfied, dissatisfied;
	int64_t disputes, disputes_resolved, enterprise, enterprise_resolved;
};

struct store_group_rows {
	struct store_group_row *v;
	size_t n;
};

void store_group_rows_release(struct store_group_rows *rows);

/*
 * Figures a group query computes: complaints always, the rest on request
 * (each costs: the previous period doubles the rows read, distinct
 * incidents need a sort).  Figures not asked for are 0.
 */
#define STORE_SUM_PREVIOUS 1u    /* previous */
#define STORE_SUM_INCIDENTS 2u   /* incidents */
#define STORE_SUM_RESOLUTION 4u  /* registered ... enterprise_resolved */
#define STORE_SUM_ALL 7u

/*
 * Group the complaints received in [span->prev_since, span->until) (from
 * span->since without STORE_SUM_PREVIOUS) by `group` and count `sums` of
 * them (rows released first).  Rows come ordered by
 * complaints descending, then key (absent keys last); groups seen only in the previous period
 * are included (complaints 0).
 */
sq_err store_digest_groups(struct sq_store *st, const struct store_span *span,
			   enum store_group group, unsigned sums, struct store_group_rows *rows,
			   struct sq_error *err);

/* One of the groupings store_digest_groupings computes together. */
struct store_grouping {
	enum store_group group;
	unsigned sums;
	struct store_group_rows rows;  /* the result (release it) */
};

/*
 * Several groupings from one read of the period (and one of the previous
 * period when any asks for it): what store_digest_groups gives for each,
 * at the cost of one.  Each g[i].rows is released first.
 */
sq_err store_digest_groupings(struct sq_store *st, const struct store_span *span,
			      struct store_grouping *g, size_t n, struct sq_error *err);

/* The figures whose complaints --explain can list (the columns above). */
enum store_figure {
	STORE_FIG_COMPLAINTS = 0,
	STORE_FIG_REGISTERED,
	STORE_FIG_RESOLVED,
	STORE_FIG_DUE,
	STORE_FIG_ON_TIME,
	STORE_FIG_RATED,
	STORE_FIG_SATISFIED_ANY,        /* satisfied or basically satisfied */
	STORE_FIG_DISPUTES,
	STORE_FIG_DISPUTES_RESOLVED,
	STORE_FIG_ENTERPRISE,
	STORE_FIG_ENTERPRISE_RESOLVED,
	STORE_FIG_LAST
};

/*
 * The ids of the complaints counted in `figure` for the period, restricted
 * to the group whose keys are key/key2 (ignored for STORE_GROUP_ALL; NULL
 * matches an absent field), ascending.  *ids is malloc'd (free it), *n its
 * length.
 */
sq_err store_digest_ids(struct sq_store *st, const struct store_span *span,
			enum store_group group, const char *key, const char *key2,
			enum store_figure figure, int64_t **ids, size_t *n, struct sq_error *err);

/* One complaint in a digest list (overdue items); owned strings.  title is
 * the start of the text when the complaint has none (city management). */
struct store_item {
	int64_t id, received_at, deadline;
	char *source, *source_id, *category, *community, *status, *title;
};

struct store_items {
	struct store_item *v;
	size_t n;
};

void store_items_release(struct store_items *items);

/*
 * Complaints open or in progress whose deadline is before span->now,
 * oldest deadline first: *total counts them all, items receives at most
 * limit (released first).
 */
sq_err store_digest_overdue(struct sq_store *st, const struct store_span *span, size_t limit,
			    int64_t *total, struct store_items *items, struct sq_error *err);

/* An incident in a digest; owned strings. */
struct store_digest_incident {
	int64_t id, opened_at, last_at, size;
	char *category, *community;
};

struct store_digest_incidents {
	struct store_digest_incident *v;
	size_t n;
};

void store_digest_incidents_release(struct store_digest_incidents *l);

/*
 * Incidents opened in [since, until): *total counts them, l receives the
 * largest (then earliest) up to limit.  *available is 0 (and nothing else
 * is filled) when the database has no incidents table.
 */
sq_err store_digest_new_incidents(struct sq_store *st, const struct store_span *span,
				  size_t limit, int *available, int64_t *total,
				  struct store_digest_incidents *l, struct sq_error *err);

/* A flag in a digest; owned strings. */
struct store_digest_flag {
	int64_t id, revision, opened_at, updated_at, members;
	char *kind, *severity, *state, *summary, *category, *community;
};

struct store_digest_flags {
	struct store_digest_flag *v;
	size_t n;
};

void store_digest_flags_release(struct store_digest_flags *l);

/*
 * Flags not closed, most severe then most recently updated first: *open
 * counts them, *escalated those at revision 2 or more (grown past a
 * threshold since they were raised), l receives up to limit.  *available
 * is 0 when the database has no flags table.
 */
sq_err store_digest_flags(struct sq_store *st, size_t limit, int *available, int64_t *open,
			  int64_t *escalated, struct store_digest_flags *l, struct sq_error *err);

/* Quarantined records per source in [since, until), most first. */
sq_err store_digest_quarantine(struct sq_store *st, const struct store_span *span,
			       struct store_group_rows *rows, struct sq_error *err);

/*
 * Every source name the run log or the cursors know, sorted; *names is a
 * malloc'd array of n malloc'd strings.
 */
sq_err store_known_sources(struct sq_store *st, char ***names, size_t *n,
			   struct sq_error *err);

/* ---- full-text search (store_search.c) --------------------------------- */

/*
 * A search over title, text and address (FTS5, trigram tokenizer, an
 * external-content index kept by triggers).  match is an FTS5 query
 * expression (search.h builds it; NULL when every term is too short for
 * trigrams); each of like[] must also occur in title, text or address
 * (case-insensitive for ASCII; a plain substring, no wildcards).  At least
 * one of match and like must be given.  Filters are optional (0 / NULL).
 */
struct store_search_query {
	const char *match;
	const char *const *like;
	size_t nlike;
	int64_t since, until;          /* received in [since, until) */
	const char *community, *category, *source, *status;
	size_t limit;
	const char *hl_open, *hl_close; /* around matched text in snippets */
};

/*
 * One hit; strings borrowed for the callback's duration.  snippet is the
 * best fragment with matches marked (match given), else NULL; rank is bm25
 * (lower is better; 0 without match).
 */
struct store_search_hit {
	int64_t id, received_at;
	const char *source, *source_id, *community, *category, *status;
	const char *title, *text, *address, *snippet;
	double rank;
};

/*
 * Most matches bm25 ranks.  Ranking reads every match's column sizes, so a
 * phrase in 50 000 of a million complaints took a few hundred
 * milliseconds; past this many matches (filters applied), only the most
 * recently stored ones are ranked, and *capped says so.
 */
#define STORE_SEARCH_RANK_MAX 5000

/*
 * Run q: hits ranked by bm25 when match is given (best first, among the
 * STORE_SEARCH_RANK_MAX most recently stored matches), else newest first;
 * at most q->limit.  *capped is 1 when there were more matches than were
 * ranked.  cb's non-zero return stops and is returned.
 */
sq_err store_search(struct sq_store *st, const struct store_search_query *q,
		    int (*cb)(void *ctx, const struct store_search_hit *hit), void *ctx,
		    int *capped, struct sq_error *err);

/* ---- operations: audit log, pruning, metrics (store_ops.c) ------------ */

/*
 * One row of the append-only audit log.  Strings are borrowed: when
 * appending, from the caller; in a store_audit_each callback, from the
 * store until the callback returns.
 */
struct store_audit_entry {
	int64_t id;             /* set by the store */
	int64_t at;             /* Unix s */
	int64_t uid;            /* effective uid */
	const char *os_user;    /* user name of uid (required) */
	const char *sudo_user;  /* $SUDO_USER, NULL when not run through sudo */
	const char *action;     /* "unmask", "prune" (required) */
	const char *command;    /* the command line, shell-quoted (required) */
	int64_t rows;           /* rows shown unmasked, or changed */
	const char *detail;     /* NULL or one line */
};

/*
 * Append e to the audit log (its own transaction unless the caller has one
 * open); *id (may be NULL) receives the row id.  The table refuses UPDATE
 * and DELETE: SQLite triggers raise "audit_log is append-only".
 */
sq_err store_audit_append(struct sq_store *st, const struct store_audit_entry *e,
			  int64_t *id, struct sq_error *err);

/* Called once per audit row; a non-zero return stops the walk and is returned. */
typedef sq_err (*store_audit_fn)(void *ctx, const struct store_audit_entry *e);

/* Visit audit rows with at >= since (0: all), oldest first. */
sq_err store_audit_each(struct sq_store *st, int64_t since, store_audit_fn fn, void *ctx,
			struct sq_error *err);

/*
 * What store_prune changed (or, dry run, would change).  A complaint row
 * counts once in `complaints` however many of its columns were cleared.
 */
struct store_prune_counts {
	int64_t complaints;          /* complaint rows changed */
	int64_t complaints_raw;      /* ... of which had their raw payload */
	int64_t complaints_contact;  /* ... of which had a contact hash or full number */
	int64_t history;             /* history rows whose raw payload was dropped */
	int64_t quarantine;          /* quarantined records whose raw payload was emptied */
	int64_t outbox;              /* sent mails whose bodies were emptied */
	int checkpointed;            /* the WAL was checkpointed and truncated afterwards */
};

/*
 * Personal-information minimisation: in one transaction, set to NULL the
 * raw payload, contact hash and full number of complaints last updated by
 * their feed before `before` (Unix s); the raw payload of history rows of
 * those ages (their updated_at); empty the raw text of quarantined
 * records quarantined before `before` (the column is NOT NULL); and empty
 * the bodies and attachment of mails sent before `before` (alert mails
 * quote complaint texts; the row, its subject, recipients and times stay,
 * and a digest row still keeps its period from being mailed again).  Rows stay,
 * so counts, categories, places, times, statuses and the masked contact
 * that digests and detectors use are kept.  secure_delete is on, so the
 * cleared bytes are overwritten in the file, and the WAL is checkpointed
 * and truncated afterwards when no reader is in the way.
 *
 * dry_run: only count.  audit (may be NULL; ignored on a dry run) is
 * appended in the same transaction with rows set to the total changed.
 */
sq_err store_prune(struct sq_store *st, int64_t before, int dry_run,
		   const struct store_audit_entry *audit, struct store_prune_counts *out,
		   struct sq_error *err);

/*
 * Complaints received at or after since (0: all) that hold a full contact
 * number (stored only under privacy.keep_raw_contact).
 */
sq_err store_count_contact_raw(struct sq_store *st, int64_t since, int64_t *n,
			       struct sq_error *err);

/* The full contact number of complaint id; *raw NULL when none is stored. */
sq_err store_contact_raw(struct sq_store *st, int64_t id, char **raw, struct sq_error *err);

/* A label and a count, e.g. a flag state and how many flags are in it. */
struct store_metrics_count {
	char *label;
	int64_t n;
};

/* Per-source figures for the metrics file; times are Unix s, 0: never. */
struct store_metrics_source {
	char *source;
	int64_t last_ok;             /* start of the last run without error for it */
	int64_t last_error_at;       /* start of the last run with an error for it */
	int64_t runs;                /* run-log entries for it */
	int64_t new_total, updated_total, unchanged_total, quarantined_total, errors_total;
	int has_last;                /* the fields below are set (it was polled once) */
	int64_t last_new, last_updated, last_unchanged, last_errors, last_duration_ms;
	int64_t complaints;          /* stored now */
	int64_t quarantine;          /* quarantined records stored now */
};

struct store_metrics {
	struct store_metrics_source *sources;   /* sorted by name */
	size_t nsources;
	int schema_version;
	int64_t complaints;                     /* all sources */
	int has_incidents;                      /* dedup's table exists */
	int64_t incidents;
	int has_last_run;                       /* the run log is not empty */
	char *last_run_command;
	int64_t last_run_started, last_run_finished;  /* finished 0: did not finish */
	int64_t last_run_exit;                  /* -1: did not finish */
	int has_flags;                          /* alerts' tables exist */
	struct store_metrics_count *flags;      /* per state, sorted */
	size_t nflags;
	int64_t flags_open;                     /* state other than closed */
	int has_outbox;
	struct store_metrics_count *outbox;     /* per state, sorted */
	size_t noutbox;
	int64_t outbox_backlog;                 /* pending or sending */
	int64_t outbox_oldest;                  /* created_at of the oldest of those, 0: none */
	int64_t outbox_in_doubt;                /* rows once reclaimed from a run that died
						 * mid-send: maybe delivered twice */
};

/*
 * Gather *m (which the call initializes) from the store in one read
 * transaction.  names (may be NULL) lists sources to include even when the
 * store knows nothing of them (the configured ones), so a source that never
 * succeeded shows up as 0.  Sources the store knows are included too.
 * Tables of other modules that an older schema lacks are reported absent
 * (has_* 0), not as an error.  Release with store_metrics_release.
 */
sq_err store_metrics(struct sq_store *st, const char *const *names, size_t nnames,
		     struct store_metrics *m, struct sq_error *err);
void store_metrics_release(struct store_metrics *m);

/* ---- maintenance ------------------------------------------------------- */

/*
 * Online backup to dest (replaced atomically: written beside it, then
 * renamed).  Safe while a poll runs: it reads one consistent snapshot.
 */
sq_err store_backup(struct sq_store *st, const char *dest, struct sq_error *err);

/* PRAGMA integrity_check; SQ_EDB with the first problem when not "ok". */
sq_err store_integrity_check(struct sq_store *st, struct sq_error *err);

#endif
