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

/* ---- maintenance ------------------------------------------------------- */

/*
 * Online backup to dest (replaced atomically: written beside it, then
 * renamed).  Safe while a poll runs: it reads one consistent snapshot.
 */
sq_err store_backup(struct sq_store *st, const char *dest, struct sq_error *err);

/* PRAGMA integrity_check; SQ_EDB with the first problem when not "ok". */
sq_err store_integrity_check(struct sq_store *st, struct sq_error *err);

#endif
