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
	int checkpointed;            /* the WAL was checkpointed and truncated afterwards */
};

/*
 * Personal-information minimisation: in one transaction, set to NULL the
 * raw payload, contact hash and full number of complaints last updated by
 * their feed before `before` (Unix s); the raw payload of history rows of
 * those ages (their updated_at); and empty the raw text of quarantined
 * records quarantined before `before` (the column is NOT NULL).  Rows stay,
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
