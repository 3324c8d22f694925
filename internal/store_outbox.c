/* The mail outbox: one row per flag revision or per digest period,
 * pending -> sending -> sent. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "store.h"
#include "store_private.h"
#include "banned.h"


#define OUTBOX_COLUMNS \
	"SELECT o.id, o.flag_id, o.revision, o.created_at, o.attempts, o.next_attempt_at," \
	" COALESCE(o.sending_since, 0), o.in_doubt, COALESCE(o.sent_at, 0), o.message_id," \
	" o.recipients, o.subject, o.body_text, o.body_html, o.state, o.last_error," \
	" f.category, f.community, o.kind, o.digest_key, o.attachment" \
	" FROM outbox o LEFT JOIN flags f ON f.id = o.flag_id"

void store_outbox_msg_release(struct store_outbox_msg *m)
{
	if (!m)
		return;
	free(m->message_id);
	free(m->recipients);
	free(m->subject);
	free(m->body_text);
	free(m->body_html);
	free(m->state);
	free(m->last_error);
	free(m->category);
	free(m->community);
	free(m->kind);
	free(m->digest_key);
	free(m->attachment);
	memset(m, 0, sizeof(*m));
}

static void read_msg(sqlite3_stmt *s, struct store_outbox_msg *m, int *oom)
{
	m->id = sqlite3_column_int64(s, 0);
	m->flag_id = sqlite3_column_int64(s, 1);
	m->revision = sqlite3_column_int64(s, 2);
	m->created_at = sqlite3_column_int64(s, 3);
	m->attempts = sqlite3_column_int64(s, 4);
	m->next_attempt_at = sqlite3_column_int64(s, 5);
	m->sending_since = sqlite3_column_int64(s, 6);
	m->in_doubt = sqlite3_column_int64(s, 7);
	m->sent_at = sqlite3_column_int64(s, 8);
	m->message_id = store_col_text(s, 9, oom);
	m->recipients = store_col_text(s, 10, oom);
	m->subject = store_col_text(s, 11, oom);
	m->body_text = store_col_text(s, 12, oom);
	m->body_html = store_col_text(s, 13, oom);
	m->state = store_col_text(s, 14, oom);
	m->last_error = store_col_text(s, 15, oom);
	m->category = store_col_text(s, 16, oom);
	m->community = store_col_text(s, 17, oom);
	m->kind = store_col_text(s, 18, oom);
	m->digest_key = store_col_text(s, 19, oom);
	m->attachment = store_col_text(s, 20, oom);
}

sq_err store_outbox_add(struct sq_store *st, const struct store_outbox_msg *m, int *added,
			struct sq_error *err)
{
	static const char sql[] =
		"INSERT OR IGNORE INTO outbox (kind, flag_id, revision, digest_key, attachment,"
		" message_id, created_at, recipients, subject, body_text, body_html, state,"
		" attempts, next_attempt_at)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'pending', 0, ?7)";
	int digest = m->kind && !strcmp(m->kind, "digest");
	sqlite3_stmt *s;
	sq_err rc;

	if (added)
		*added = 0;
	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	store_bind_text(s, 1, digest ? "digest" : "flag");
	/* Every parameter is bound each time: the statement is cached and
	 * a reset keeps the previous bindings. */
	if (!digest) {
		sqlite3_bind_int64(s, 2, m->flag_id);
		sqlite3_bind_int64(s, 3, m->revision);
		sqlite3_bind_null(s, 4);
	} else {
		sqlite3_bind_null(s, 2);
		sqlite3_bind_null(s, 3);
		store_bind_text(s, 4, m->digest_key);
	}
	store_bind_text(s, 5, m->attachment);
	store_bind_text(s, 6, m->message_id);
	sqlite3_bind_int64(s, 7, m->created_at);
	store_bind_text(s, 8, m->recipients ? m->recipients : "");
	store_bind_text(s, 9, m->subject ? m->subject : "");
	store_bind_text(s, 10, m->body_text ? m->body_text : "");
	store_bind_text(s, 11, m->body_html ? m->body_html : "");
	rc = store_step_done(st, s, digest ? "queueing a digest mail" : "queueing an alert", err);
	if (!rc && added)
		*added = sqlite3_changes(st->db) > 0;
	return rc;
}

/* Step s (bound, selecting OUTBOX_COLUMNS) once: its row into *m, or m->id
 * left 0 when there is none. */
static sq_err read_one(struct sq_store *st, sqlite3_stmt *s, struct store_outbox_msg *m,
		       struct sq_error *err)
{
	int step, oom = 0;

	step = sqlite3_step(s);
	if (step == SQLITE_ROW)
		read_msg(s, m, &oom);
	sqlite3_reset(s);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return store_db_error(st, "reading the outbox", err);
	if (oom) {
		store_outbox_msg_release(m);
		return sq_fail(err, SQ_ENOMEM, "out of memory reading the outbox");
	}
	return SQ_OK;
}

sq_err store_outbox_find_digest(struct sq_store *st, const char *digest_key,
				struct store_outbox_msg *m, struct sq_error *err)
{
	static const char sql[] = OUTBOX_COLUMNS " WHERE o.digest_key = ?1";
	sqlite3_stmt *s;
	sq_err rc;

	store_outbox_msg_release(m);
	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	store_bind_text(s, 1, digest_key);
	return read_one(st, s, m, err);
}

sq_err store_outbox_make_due(struct sq_store *st, const char *digest_key, int64_t now,
			     struct sq_error *err)
{
	static const char sql[] =
		"UPDATE outbox SET next_attempt_at = ?2"
		" WHERE digest_key = ?1 AND state = 'pending' AND next_attempt_at > ?2";
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	store_bind_text(s, 1, digest_key);
	sqlite3_bind_int64(s, 2, now);
	return store_step_done(st, s, "making a digest mail due", err);
}

sq_err store_outbox_recover(struct sq_store *st, int64_t stale_before, int64_t *n,
			    struct sq_error *err)
{
	static const char sql[] =
		"UPDATE outbox SET state = 'pending', next_attempt_at = sending_since,"
		" in_doubt = in_doubt + 1, sending_since = NULL,"
		" last_error = 'the run sending it stopped before it was marked sent'"
		" WHERE state = 'sending' AND sending_since < ?1";
	sqlite3_stmt *s;
	sq_err rc;

	*n = 0;
	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, stale_before);
	rc = store_step_done(st, s, "recovering unfinished alerts", err);
	if (!rc)
		*n = sqlite3_changes(st->db);
	return rc;
}

sq_err store_outbox_claim(struct sq_store *st, int64_t due_by, int64_t now,
			  struct store_outbox_msg *m, struct sq_error *err)
{
	static const char sql_next[] =
		OUTBOX_COLUMNS " WHERE o.state = 'pending' AND o.next_attempt_at <= ?1"
		" ORDER BY o.next_attempt_at, o.id LIMIT 1";
	static const char sql_claim[] =
		"UPDATE outbox SET state = 'sending', sending_since = ?2, attempts = attempts + 1"
		" WHERE id = ?1 AND state = 'pending'";
	sqlite3_stmt *s;
	sq_err rc;

	store_outbox_msg_release(m);
	rc = store_stmt(st, sql_next, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, due_by);
	rc = read_one(st, s, m, err);
	if (rc)
		return rc;
	if (!m->id)
		return SQ_OK;
	rc = store_stmt(st, sql_claim, &s, err);
	if (!rc) {
		sqlite3_bind_int64(s, 1, m->id);
		sqlite3_bind_int64(s, 2, now);
		rc = store_step_done(st, s, "claiming an alert", err);
	}
	if (rc) {
		store_outbox_msg_release(m);
		return rc;
	}
	m->attempts++;
	m->sending_since = now;
	return SQ_OK;
}

sq_err store_outbox_mark_sent(struct sq_store *st, int64_t id, int64_t now,
			      struct sq_error *err)
{
	static const char sql[] =
		"UPDATE outbox SET state = 'sent', sent_at = ?2, sending_since = NULL,"
		" last_error = NULL WHERE id = ?1";
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, now);
	return store_step_done(st, s, "marking an alert sent", err);
}

sq_err store_outbox_mark_failed(struct sq_store *st, int64_t id, int64_t next_attempt_at,
				const char *error, struct sq_error *err)
{
	static const char sql[] =
		"UPDATE outbox SET state = 'pending', sending_since = NULL,"
		" next_attempt_at = ?2, last_error = ?3 WHERE id = ?1";
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, next_attempt_at);
	store_bind_text(s, 3, error);
	return store_step_done(st, s, "recording a failed alert", err);
}

sq_err store_outbox_set_recipients(struct sq_store *st, int64_t id, const char *recipients,
				   struct sq_error *err)
{
	static const char sql[] = "UPDATE outbox SET recipients = ?2 WHERE id = ?1";
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	store_bind_text(s, 2, recipients);
	return store_step_done(st, s, "saving alert recipients", err);
}

sq_err store_flag_mark_notified(struct sq_store *st, int64_t flag_id, int64_t revision,
				int64_t now, struct sq_error *err)
{
	static const char sql[] =
		"UPDATE flags SET state = 'notified', updated_at = ?3"
		" WHERE id = ?1 AND revision = ?2 AND state = 'open'";
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, flag_id);
	sqlite3_bind_int64(s, 2, revision);
	sqlite3_bind_int64(s, 3, now);
	rc = store_step_done(st, s, "marking a flag notified", err);
	if (rc || sqlite3_changes(st->db) == 0)
		return rc;
	return store_flag_log(st, flag_id, "notified", NULL, now, err);
}

sq_err store_outbox_list(struct sq_store *st, struct store_outbox_msg **out, size_t *n,
			 struct sq_error *err)
{
	static const char sql[] = OUTBOX_COLUMNS " ORDER BY o.id";
	struct store_outbox_msg *arr = NULL;
	size_t cap = 0, i;
	sqlite3_stmt *s;
	int step, oom = 0;
	sq_err rc;

	*out = NULL;
	*n = 0;
	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		if (sq_array_reserve((void **)&arr, &cap, *n + 1, sizeof(*arr))) {
			oom = 1;
			break;
		}
		memset(&arr[*n], 0, sizeof(arr[0]));
		read_msg(s, &arr[(*n)++], &oom);
		if (oom)
			break;
	}
	sqlite3_reset(s);
	if (oom || step != SQLITE_DONE) {
		for (i = 0; i < *n; i++)
			store_outbox_msg_release(&arr[i]);
		free(arr);
		*n = 0;
		return oom ? sq_fail(err, SQ_ENOMEM, "out of memory reading the outbox")
			   : store_db_error(st, "reading the outbox", err);
	}
	*out = arr;
	return SQ_OK;
}

sq_err store_outbox_counts(struct sq_store *st, int64_t *pending, int64_t *sending,
			   int64_t *sent, int64_t *next_due, struct sq_error *err)
{
	static const char sql[] =
		"SELECT coalesce(sum(state = 'pending'), 0), coalesce(sum(state = 'sending'), 0),"
		" coalesce(sum(state = 'sent'), 0),"
		" coalesce(min(CASE WHEN state = 'pending' THEN next_attempt_at END), 0) FROM outbox";
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return store_db_error(st, "counting the outbox", err);
	}
	*pending = sqlite3_column_int64(s, 0);
	*sending = sqlite3_column_int64(s, 1);
	*sent = sqlite3_column_int64(s, 2);
	*next_due = sqlite3_column_int64(s, 3);
	sqlite3_reset(s);
	return SQ_OK;
}
