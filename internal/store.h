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
	char *source, *source_id;
	char *category;        /* incident's category, else the complaint's; may be NULL */
	char *community;       /* likewise */
	char *own_community;   /* the complaint's own community (where this caller is), may be NULL */
	char *grid;            /* the complaint's grid code, may be NULL */
	char *contact_hash;    /* may be NULL */
	char *title, *text;    /* may be NULL */
	char *status;          /* record_status_name() */
	double lat, lon;
	int has_pos;
};

struct store_detect_rows {
	struct store_detect_row *rows;
	size_t n;
};

/*
 * Complaints received in [since, until] that can be grievances (kind not
 * praise, status not void), ordered by received_at then id.  The caller
 * frees *out with store_detect_rows_release.
 */
sq_err store_detect_load(struct sq_store *st, int64_t since, int64_t until,
			 struct store_detect_rows *out, struct sq_error *err);

/*
 * Complaints still open or in progress whose deadline is before `now`
 * (any age), for the overdue detector.  Same row shape and ownership.
 */
sq_err store_detect_overdue(struct sq_store *st, int64_t now, struct store_detect_rows *out,
			    struct sq_error *err);

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

/* A member complaint of a flag, for listings and mail; owned strings. */
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
 * f is released first, so it may hold an earlier result.
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

/* Read flag id (SQ_ENOTFOUND when absent). */
sq_err store_flag_get(struct sq_store *st, int64_t id, struct store_flag *f,
		      struct sq_error *err);

/*
 * Flags in `state` (NULL: all), newest first.  *flags is a malloc'd array
 * of n flags; free each with store_flag_release, then the array.
 */
sq_err store_flag_list(struct sq_store *st, const char *state, struct store_flag **flags,
		       size_t *n, struct sq_error *err);

/* Members of a flag, oldest first (malloc'd array, store_flag_members_free). */
sq_err store_flag_members(struct sq_store *st, int64_t flag_id, struct store_flag_member **m,
			  size_t *n, struct sq_error *err);

/* History of a flag, oldest first (malloc'd array, store_flag_events_free). */
sq_err store_flag_history(struct sq_store *st, int64_t flag_id, struct store_flag_event **e,
			  size_t *n, struct sq_error *err);

/*
 * Close every flag not closed whose active_at is before `before`, with
 * history entry "expired"; *n counts them.
 */
sq_err store_flag_expire(struct sq_store *st, int64_t before, int64_t now, int64_t *n,
			 struct sq_error *err);

/* ---- alert mail: the outbox (store_outbox.c) --------------------------- */

/*
 * One message of the outbox: a flag revision's alert.  Rows move
 * pending -> sending -> sent; a failed attempt puts the row back to
 * pending with a later next_attempt_at.  Strings owned by the struct.
 */
struct store_outbox_msg {
	int64_t id, flag_id, revision, created_at;
	int64_t attempts, next_attempt_at;
	int64_t sending_since;   /* 0 unless state is sending */
	int64_t in_doubt;        /* times the row was reclaimed from an unfinished attempt */
	int64_t sent_at;         /* 0 until sent */
	char *message_id;        /* "<flag-ID.rREV.HASH@suqiu>" */
	char *recipients;        /* comma-separated addresses; "" to resolve when sending */
	char *subject, *body_text, *body_html;
	char *state, *last_error;
	char *category, *community; /* the flag's, for resolving recipients */
};

void store_outbox_msg_release(struct store_outbox_msg *m);

/* Queue m (its flag_id, revision, message_id, created_at, recipients,
 * subject and bodies) as pending, due at created_at; a row for the same
 * flag revision already queued is kept as it is.  Inside the caller's
 * transaction. */
sq_err store_outbox_add(struct sq_store *st, const struct store_outbox_msg *m,
			struct sq_error *err);

/*
 * Put rows left in `sending` since before stale_before (a run that died
 * mid-send) back to pending, due now, counting them in in_doubt.  *n
 * counts them.
 */
sq_err store_outbox_recover(struct sq_store *st, int64_t stale_before, int64_t *n,
			    struct sq_error *err);

/*
 * Claim the oldest pending row due at now: it becomes `sending` since now
 * with attempts + 1, and *m receives it (m->id 0 when nothing is due).
 * Inside the caller's transaction; commit before talking to the server.
 */
sq_err store_outbox_claim(struct sq_store *st, int64_t now, struct store_outbox_msg *m,
			  struct sq_error *err);

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

/* ---- maintenance ------------------------------------------------------- */

/* PRAGMA integrity_check; SQ_EDB with the first problem when not "ok". */
sq_err store_integrity_check(struct sq_store *st, struct sq_error *err);

#endif
