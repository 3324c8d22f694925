/*
 * Operations: the append-only audit log, pruning of personal and raw data,
 * full contact numbers for unmasking, and the figures of the metrics file.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "store.h"
#include "store_private.h"
#include "banned.h"

/* ---- helpers ------------------------------------------------------------ */

/* Does the database have a table of that name (another module's, maybe
 * not in this schema yet)? */
static sq_err has_table(struct sq_store *st, const char *name, int *yes, struct sq_error *err)
{
	static const char sql[] =
		"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?1";
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	store_bind_text(s, 1, name);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return store_db_error(st, "reading the schema", err);
	}
	*yes = sqlite3_column_int(s, 0) > 0;
	sqlite3_reset(s);
	return SQ_OK;
}

/* ---- audit log ---------------------------------------------------------- */

sq_err store_audit_append(struct sq_store *st, const struct store_audit_entry *e,
			  int64_t *id, struct sq_error *err)
{
	static const char sql[] =
		"INSERT INTO audit_log (at, uid, os_user, sudo_user, action, command, rows, detail)"
		" VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)";
	sqlite3_stmt *s;
	sq_err rc;

	if (!e->os_user || !e->action || !e->command)
		return sq_fail(err, SQ_EUSAGE, "%s: audit entry without user, action or command",
			       st->path);
	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, e->at);
	sqlite3_bind_int64(s, 2, e->uid);
	store_bind_text(s, 3, e->os_user);
	store_bind_text(s, 4, e->sudo_user);
	store_bind_text(s, 5, e->action);
	store_bind_text(s, 6, e->command);
	sqlite3_bind_int64(s, 7, e->rows);
	store_bind_text(s, 8, e->detail);
	rc = store_step_done(st, s, "writing the audit log", err);
	if (!rc && id)
		*id = sqlite3_last_insert_rowid(st->db);
	return rc;
}

sq_err store_audit_each(struct sq_store *st, int64_t since, store_audit_fn fn, void *ctx,
			struct sq_error *err)
{
	static const char sql[] =
		"SELECT id, at, uid, os_user, sudo_user, action, command, rows, detail"
		" FROM audit_log WHERE at >= ?1 ORDER BY id";
	sqlite3_stmt *s;
	int step;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, since);
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		struct store_audit_entry e = {
			.id = sqlite3_column_int64(s, 0),
			.at = sqlite3_column_int64(s, 1),
			.uid = sqlite3_column_int64(s, 2),
			.os_user = (const char *)sqlite3_column_text(s, 3),
			.sudo_user = (const char *)sqlite3_column_text(s, 4),
			.action = (const char *)sqlite3_column_text(s, 5),
			.command = (const char *)sqlite3_column_text(s, 6),
			.rows = sqlite3_column_int64(s, 7),
			.detail = (const char *)sqlite3_column_text(s, 8),
		};

		/* sqlite3_column_text returns NULL for NULL and on out of memory;
		 * the NOT NULL columns tell the two apart. */
		if (!e.os_user || !e.action || !e.command) {
			sqlite3_reset(s);
			return sq_fail(err, SQ_ENOMEM, "out of memory reading the audit log");
		}
		rc = fn(ctx, &e);
		if (rc) {
			sqlite3_reset(s);
			return rc;
		}
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE)
		return store_db_error(st, "reading the audit log", err);
	return SQ_OK;
}

/* ---- pruning ------------------------------------------------------------ */

/* The same conditions serve the counts and the updates, so a dry run
 * reports exactly what a real one does. */
#define PRUNE_COMPLAINTS_WHERE \
	" FROM complaints WHERE updated_at < ?1 AND" \
	" (raw IS NOT NULL OR contact_hash IS NOT NULL OR contact_raw IS NOT NULL)"

static const char sql_count_complaints[] =
	"SELECT count(*), coalesce(sum(raw IS NOT NULL), 0),"
	" coalesce(sum(contact_hash IS NOT NULL OR contact_raw IS NOT NULL), 0)"
	PRUNE_COMPLAINTS_WHERE;
static const char sql_count_history[] =
	"SELECT count(*) FROM complaint_history WHERE updated_at < ?1 AND raw IS NOT NULL";
static const char sql_count_quarantine[] =
	"SELECT count(*) FROM quarantine WHERE quarantined_at < ?1 AND raw <> ''";
#define PRUNE_OUTBOX_WHERE \
	" WHERE state = 'sent' AND sent_at < ?1 AND" \
	" (body_text <> '' OR body_html <> '' OR attachment IS NOT NULL)"
static const char sql_count_outbox[] = "SELECT count(*) FROM outbox" PRUNE_OUTBOX_WHERE;
static const char sql_prune_complaints[] =
	"UPDATE complaints SET raw = NULL, contact_hash = NULL, contact_raw = NULL"
	" WHERE updated_at < ?1 AND"
	" (raw IS NOT NULL OR contact_hash IS NOT NULL OR contact_raw IS NOT NULL)";
static const char sql_prune_history[] =
	"UPDATE complaint_history SET raw = NULL WHERE updated_at < ?1 AND raw IS NOT NULL";
static const char sql_prune_quarantine[] =
	"UPDATE quarantine SET raw = '' WHERE quarantined_at < ?1 AND raw <> ''";
static const char sql_prune_outbox[] =
	"UPDATE outbox SET body_text = '', body_html = '', attachment = NULL" PRUNE_OUTBOX_WHERE;

static sq_err prune_count(struct sq_store *st, int64_t before, struct store_prune_counts *c,
			  struct sq_error *err)
{
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql_count_complaints, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, before);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return store_db_error(st, "counting what to prune", err);
	}
	c->complaints = sqlite3_column_int64(s, 0);
	c->complaints_raw = sqlite3_column_int64(s, 1);
	c->complaints_contact = sqlite3_column_int64(s, 2);
	sqlite3_reset(s);
	rc = store_query_int(st, sql_count_history, 1, before, 0, &c->history,
		       "counting what to prune", err);
	if (!rc)
		rc = store_query_int(st, sql_count_quarantine, 1, before, 0, &c->quarantine,
			       "counting what to prune", err);
	if (!rc)
		rc = store_query_int(st, sql_count_outbox, 1, before, 0, &c->outbox,
			       "counting what to prune", err);
	return rc;
}

/* Run one pruning UPDATE and check it changed the rows counted before. */
static sq_err prune_update(struct sq_store *st, const char *sql, int64_t before,
			   int64_t expected, const char *what, struct sq_error *err)
{
	sqlite3_stmt *s;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, before);
	rc = store_step_done(st, s, what, err);
	if (rc)
		return rc;
	if (sqlite3_changes64(st->db) != expected)
		return sq_fail(err, SQ_EDB, "%s: %s: changed %lld rows, counted %lld", st->path,
			       what, (long long)sqlite3_changes64(st->db), (long long)expected);
	return SQ_OK;
}

sq_err store_prune(struct sq_store *st, int64_t before, int dry_run,
		   const struct store_audit_entry *audit, struct store_prune_counts *out,
		   struct sq_error *err)
{
	sq_err rc;

	memset(out, 0, sizeof(*out));
	if (st->in_tx)
		return sq_fail(err, SQ_EUSAGE, "%s: prune inside an open transaction", st->path);
	/* Overwrite the cleared bytes in the file instead of leaving them in
	 * free space: pruning is about the data being gone.  (Debian builds
	 * SQLite with SECURE_DELETE on by default; other builds do not.) */
	rc = store_exec(st, "PRAGMA secure_delete = ON", err);
	if (!rc)
		rc = store_begin_spilling(st, err);
	if (rc)
		return rc;
	rc = prune_count(st, before, out, err);
	if (!rc && !dry_run) {
		rc = prune_update(st, sql_prune_complaints, before, out->complaints,
				  "pruning complaints", err);
		if (!rc)
			rc = prune_update(st, sql_prune_history, before, out->history,
					  "pruning complaint history", err);
		if (!rc)
			rc = prune_update(st, sql_prune_quarantine, before, out->quarantine,
					  "pruning quarantine", err);
		if (!rc)
			rc = prune_update(st, sql_prune_outbox, before, out->outbox,
					  "pruning sent mail", err);
		if (!rc && audit) {
			struct store_audit_entry a = *audit;

			a.rows = out->complaints + out->history + out->quarantine + out->outbox;
			rc = store_audit_append(st, &a, NULL, err);
		}
	}
	if (rc || dry_run) {
		store_rollback(st);
		return rc;
	}
	rc = store_commit(st, err);
	if (rc) {
		store_rollback(st);
		return rc;
	}
	{
		/* The old page images now sit in the main file only until this
		 * checkpoint copies the new ones over them.  A reader holding an
		 * old snapshot makes it partial; that is reported, not an error. */
		int log = -1, ckpt = -1;

		out->checkpointed = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_TRUNCATE,
							      &log, &ckpt) == SQLITE_OK;
	}
	return SQ_OK;
}

/* ---- full contact numbers ----------------------------------------------- */

sq_err store_count_contact_raw(struct sq_store *st, int64_t since, int64_t *n,
			       struct sq_error *err)
{
	static const char sql[] =
		"SELECT count(*) FROM complaints WHERE contact_raw IS NOT NULL AND received_at >= ?1";

	return store_query_int(st, sql, 1, since, 0, n, "counting full contact numbers", err);
}

sq_err store_contact_raw(struct sq_store *st, int64_t id, char **raw, struct sq_error *err)
{
	static const char sql[] = "SELECT contact_raw FROM complaints WHERE id = ?1";
	sqlite3_stmt *s;
	int step, oom = 0;
	sq_err rc;

	*raw = NULL;
	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(s, 1, id);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW)
		*raw = store_col_text(s, 0, &oom);
	sqlite3_reset(s);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return store_db_error(st, "reading a contact number", err);
	if (oom)
		return sq_fail(err, SQ_ENOMEM, "out of memory reading a contact number");
	return SQ_OK;
}

/* ---- metrics ------------------------------------------------------------ */

void store_metrics_release(struct store_metrics *m)
{
	size_t i;

	if (!m)
		return;
	for (i = 0; i < m->nsources; i++)
		free(m->sources[i].source);
	free(m->sources);
	for (i = 0; i < m->nflags; i++)
		free(m->flags[i].label);
	free(m->flags);
	for (i = 0; i < m->noutbox; i++)
		free(m->outbox[i].label);
	free(m->outbox);
	free(m->last_run_command);
	memset(m, 0, sizeof(*m));
}

static int cmp_source(const void *a, const void *b)
{
	return strcmp(((const struct store_metrics_source *)a)->source,
		      ((const struct store_metrics_source *)b)->source);
}

/* Add name to m->sources unless present (the list is sorted at the end). */
static sq_err add_source(struct store_metrics *m, const char *name, size_t *cap)
{
	size_t i;

	for (i = 0; i < m->nsources; i++)
		if (!strcmp(m->sources[i].source, name))
			return SQ_OK;
	if (sq_array_reserve((void **)&m->sources, cap, m->nsources + 1, sizeof(*m->sources)))
		return SQ_ENOMEM;
	memset(&m->sources[m->nsources], 0, sizeof(m->sources[0]));
	m->sources[m->nsources].source = sq_strdup(name);
	if (!m->sources[m->nsources].source)
		return SQ_ENOMEM;
	m->nsources++;
	return SQ_OK;
}

static sq_err collect_sources(struct sq_store *st, const char *const *names, size_t nnames,
			      struct store_metrics *m, struct sq_error *err)
{
	static const char sql[] =
		"SELECT source FROM run_sources UNION SELECT source FROM complaints"
		" UNION SELECT source FROM cursors UNION SELECT source FROM quarantine";
	sqlite3_stmt *s;
	size_t cap = 0, i;
	int step;
	sq_err rc;

	for (i = 0; i < nnames; i++)
		if (names[i] && add_source(m, names[i], &cap))
			return sq_fail(err, SQ_ENOMEM, "out of memory gathering metrics");
	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 0);

		if (!name || add_source(m, name, &cap)) {
			sqlite3_reset(s);
			return sq_fail(err, SQ_ENOMEM, "out of memory gathering metrics");
		}
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE)
		return store_db_error(st, "listing sources", err);
	if (m->nsources)
		qsort(m->sources, m->nsources, sizeof(m->sources[0]), cmp_source);
	return SQ_OK;
}

static sq_err source_figures(struct sq_store *st, struct store_metrics_source *src,
			     struct sq_error *err)
{
	static const char sql_totals[] =
		"SELECT count(*), coalesce(sum(new_records), 0), coalesce(sum(updated), 0),"
		" coalesce(sum(unchanged), 0), coalesce(sum(quarantined), 0),"
		" coalesce(sum(errors), 0) FROM run_sources WHERE source = ?1";
	static const char sql_last[] =
		"SELECT new_records, updated, unchanged, errors, duration_ms FROM run_sources"
		" WHERE source = ?1 ORDER BY run_id DESC LIMIT 1";
	static const char sql_complaints[] = "SELECT count(*) FROM complaints WHERE source = ?1";
	sqlite3_stmt *s;
	char *last_error = NULL;
	int step;
	sq_err rc;

	rc = store_source_health(st, src->source, &src->last_ok, &last_error,
				 &src->last_error_at, err);
	free(last_error);
	if (rc)
		return rc;
	rc = store_stmt(st, sql_totals, &s, err);
	if (rc)
		return rc;
	store_bind_text(s, 1, src->source);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return store_db_error(st, "summing the run log", err);
	}
	src->runs = sqlite3_column_int64(s, 0);
	src->new_total = sqlite3_column_int64(s, 1);
	src->updated_total = sqlite3_column_int64(s, 2);
	src->unchanged_total = sqlite3_column_int64(s, 3);
	src->quarantined_total = sqlite3_column_int64(s, 4);
	src->errors_total = sqlite3_column_int64(s, 5);
	sqlite3_reset(s);

	rc = store_stmt(st, sql_last, &s, err);
	if (rc)
		return rc;
	store_bind_text(s, 1, src->source);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		src->has_last = 1;
		src->last_new = sqlite3_column_int64(s, 0);
		src->last_updated = sqlite3_column_int64(s, 1);
		src->last_unchanged = sqlite3_column_int64(s, 2);
		src->last_errors = sqlite3_column_int64(s, 3);
		src->last_duration_ms = sqlite3_column_int64(s, 4);
	}
	sqlite3_reset(s);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return store_db_error(st, "reading the run log", err);

	rc = store_stmt(st, sql_complaints, &s, err);
	if (rc)
		return rc;
	store_bind_text(s, 1, src->source);
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return store_db_error(st, "counting complaints", err);
	}
	src->complaints = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	return store_count_quarantine(st, src->source, &src->quarantine, err);
}

static sq_err last_run(struct sq_store *st, struct store_metrics *m, struct sq_error *err)
{
	static const char sql[] =
		"SELECT command, started_at, finished_at, exit_status FROM runs"
		" ORDER BY id DESC LIMIT 1";
	sqlite3_stmt *s;
	int step, oom = 0;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	step = sqlite3_step(s);
	if (step == SQLITE_ROW) {
		m->has_last_run = 1;
		m->last_run_command = store_col_text(s, 0, &oom);
		m->last_run_started = sqlite3_column_int64(s, 1);
		m->last_run_finished = sqlite3_column_int64(s, 2);
		m->last_run_exit = sqlite3_column_type(s, 3) == SQLITE_NULL
					   ? -1 : sqlite3_column_int64(s, 3);
	}
	sqlite3_reset(s);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return store_db_error(st, "reading the run log", err);
	return oom ? sq_fail(err, SQ_ENOMEM, "out of memory gathering metrics") : SQ_OK;
}

/* Rows of "SELECT label, count ..." into a malloc'd array. */
static sq_err label_counts(struct sq_store *st, const char *sql, struct store_metrics_count **out,
			   size_t *n, struct sq_error *err)
{
	sqlite3_stmt *s;
	size_t cap = 0;
	int step;
	sq_err rc;

	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	while ((step = sqlite3_step(s)) == SQLITE_ROW) {
		const char *label = (const char *)sqlite3_column_text(s, 0);

		if (sq_array_reserve((void **)out, &cap, *n + 1, sizeof(**out)))
			goto oom;
		(*out)[*n].label = sq_strdup(label ? label : "");
		if (!(*out)[*n].label)
			goto oom;
		(*out)[*n].n = sqlite3_column_int64(s, 1);
		(*n)++;
	}
	sqlite3_reset(s);
	if (step != SQLITE_DONE)
		return store_db_error(st, "gathering metrics", err);
	return SQ_OK;
oom:
	sqlite3_reset(s);
	return sq_fail(err, SQ_ENOMEM, "out of memory gathering metrics");
}

static sq_err alert_figures(struct sq_store *st, struct store_metrics *m, struct sq_error *err)
{
	static const char sql_flags[] =
		"SELECT state, count(*) FROM flags GROUP BY state ORDER BY state";
	static const char sql_flags_open[] = "SELECT count(*) FROM flags WHERE state <> 'closed'";
	static const char sql_outbox[] =
		"SELECT state, count(*) FROM outbox GROUP BY state ORDER BY state";
	static const char sql_backlog[] =
		"SELECT count(*), coalesce(min(created_at), 0) FROM outbox"
		" WHERE state IN ('pending', 'sending')";
	static const char sql_in_doubt[] = "SELECT count(*) FROM outbox WHERE in_doubt > 0";
	sqlite3_stmt *s;
	sq_err rc;

	rc = has_table(st, "flags", &m->has_flags, err);
	if (!rc && m->has_flags)
		rc = label_counts(st, sql_flags, &m->flags, &m->nflags, err);
	if (!rc && m->has_flags)
		rc = store_query_int(st, sql_flags_open, 0, 0, 0, &m->flags_open, "counting flags", err);
	if (!rc)
		rc = has_table(st, "outbox", &m->has_outbox, err);
	if (rc || !m->has_outbox)
		return rc;
	rc = label_counts(st, sql_outbox, &m->outbox, &m->noutbox, err);
	if (rc)
		return rc;
	rc = store_stmt(st, sql_backlog, &s, err);
	if (rc)
		return rc;
	if (sqlite3_step(s) != SQLITE_ROW) {
		sqlite3_reset(s);
		return store_db_error(st, "counting the outbox", err);
	}
	m->outbox_backlog = sqlite3_column_int64(s, 0);
	m->outbox_oldest = sqlite3_column_int64(s, 1);
	sqlite3_reset(s);
	return store_query_int(st, sql_in_doubt, 0, 0, 0, &m->outbox_in_doubt, "counting the outbox", err);
}

static sq_err gather(struct sq_store *st, const char *const *names, size_t nnames,
		     struct store_metrics *m, struct sq_error *err)
{
	static const char sql_incidents[] = "SELECT count(*) FROM incidents";
	size_t i;
	sq_err rc;

	m->schema_version = store_schema_version(st);
	rc = collect_sources(st, names, nnames, m, err);
	for (i = 0; !rc && i < m->nsources; i++)
		rc = source_figures(st, &m->sources[i], err);
	if (!rc)
		rc = store_count_complaints(st, &m->complaints, err);
	if (!rc)
		rc = has_table(st, "incidents", &m->has_incidents, err);
	if (!rc && m->has_incidents)
		rc = store_query_int(st, sql_incidents, 0, 0, 0, &m->incidents, "counting incidents", err);
	if (!rc)
		rc = last_run(st, m, err);
	if (!rc)
		rc = alert_figures(st, m, err);
	return rc;
}

sq_err store_metrics(struct sq_store *st, const char *const *names, size_t nnames,
		     struct store_metrics *m, struct sq_error *err)
{
	int own_tx = !st->in_tx;
	sq_err rc;

	memset(m, 0, sizeof(*m));
	m->last_run_exit = -1;
	/* A deferred BEGIN: one consistent snapshot, no write lock, so a
	 * running poll is neither blocked nor seen half-way. */
	if (own_tx && (rc = store_exec(st, "BEGIN", err)))
		return rc;
	rc = gather(st, names, nnames, m, err);
	if (own_tx && store_exec(st, "COMMIT", NULL))
		store_rollback(st);
	if (rc)
		store_metrics_release(m);
	return rc;
}
