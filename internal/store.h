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

#include "error.h"
#include "record.h"

struct sq_store;

/* The schema version this program creates and understands. */
int store_schema_latest(void);

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

/* PRAGMA user_version of the open database. */
int store_schema_version(struct sq_store *st);

/* The database file path as opened. */
const char *store_path(const struct sq_store *st);

/* ---- transactions ------------------------------------------------------ */

/* BEGIN IMMEDIATE: take the write lock now, so a page commits or waits whole. */
sq_err store_begin(struct sq_store *st, struct sq_error *err);
sq_err store_commit(struct sq_store *st, struct sq_error *err);
/* Roll back the open transaction, if any; never fails. */
void store_rollback(struct sq_store *st);

/* ---- the poll lock ----------------------------------------------------- */

/*
 * Take an exclusive, non-blocking flock on "<db_path>.lock" (created 0600).
 * SQ_ELOCKED if another run holds it.  *fd receives the descriptor to give
 * to store_unlock_poll.
 */
sq_err store_lock_poll(const char *db_path, int *fd, struct sq_error *err);
void store_unlock_poll(int fd);

/* ---- complaints -------------------------------------------------------- */

enum store_change { STORE_NEW = 0, STORE_UPDATED, STORE_UNCHANGED };

/*
 * Insert or update one normalized record, inside the caller's transaction.
 * New (source, source_id): inserted.  Known and r->updated_at newer than the
 * stored one: the old state is copied to complaint_history and replaced.
 * Otherwise nothing changes.  *id receives the complaint's row id.
 * `now` is the wall-clock time recorded as first seen / history time.
 */
sq_err store_put_complaint(struct sq_store *st, const struct sq_record *r, int64_t now,
			   enum store_change *change, int64_t *id, struct sq_error *err);

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

/* Figures a group query computes: the counts always, the rest on request. */
#define STORE_SUM_RESOLUTION 1u  /* registered ... enterprise_resolved */

/*
 * Group the complaints received in [span->prev_since, span->until) by
 * `group` and count them (rows released first).  Rows come ordered by
 * complaints descending, then key (absent keys last); groups seen only in the previous period
 * are included (complaints 0).
 */
sq_err store_digest_groups(struct sq_store *st, const struct store_span *span,
			   enum store_group group, unsigned sums, struct store_group_rows *rows,
			   struct sq_error *err);

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

/* One complaint in a digest list (overdue items); owned strings. */
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
 * Run q: hits ranked by bm25 when match is given (best first), else newest
 * first; at most q->limit.  cb's non-zero return stops and is returned.
 */
sq_err store_search(struct sq_store *st, const struct store_search_query *q,
		    int (*cb)(void *ctx, const struct store_search_hit *hit), void *ctx,
		    struct sq_error *err);

/* ---- maintenance ------------------------------------------------------- */

/*
 * Online backup to dest (replaced atomically: written beside it, then
 * renamed).  Safe while a poll runs: it reads one consistent snapshot.
 */
sq_err store_backup(struct sq_store *st, const char *dest, struct sq_error *err);

/* PRAGMA integrity_check; SQ_EDB with the first problem when not "ok". */
sq_err store_integrity_check(struct sq_store *st, struct sq_error *err);

#endif
