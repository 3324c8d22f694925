/* The store's operations API on real SQLite files: the append-only audit
 * log, pruning of raw payloads and contacts, full numbers for unmasking,
 * and the figures of the metrics file. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sqlite3.h>

#include "buf.h"
#include "failmalloc.h"
#include "store.h"
#include "testutil.h"
#include "banned.h"

#define DAY 86400
#define T0 1714521600 /* 2024-05-01T00:00:00Z */

struct fixture {
	char *dir;
	char *db;
	struct sq_store *st;
};

static int setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	struct sq_error err = { 0 };

	assert_non_null(f);
	f->dir = test_tmpdir();
	f->db = test_path(f->dir, "suqiu.db");
	assert_int_equal(store_open(f->db, &f->st, &err), SQ_OK);
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fixture *f = *state;

	store_close(f->st);
	test_rmtree(f->dir);
	free(f->dir);
	free(f->db);
	free(f);
	return 0;
}

static int exec_sql(const char *db, const char *sql, char *msg, size_t msgsz)
{
	sqlite3 *h;
	char *m = NULL;
	int rc;

	assert_int_equal(sqlite3_open(db, &h), SQLITE_OK);
	sqlite3_busy_timeout(h, 5000);
	rc = sqlite3_exec(h, sql, NULL, NULL, &m);
	if (msg)
		snprintf(msg, msgsz, "%s", m ? m : "");
	sqlite3_free(m);
	sqlite3_close(h);
	return rc;
}

/* A complaint with a raw payload and a contact, last updated at `updated`. */
static void put(struct fixture *f, const char *source, const char *id, int64_t updated,
		const char *contact_raw, enum store_change want)
{
	struct sq_record r;
	struct sq_error err = { 0 };
	enum store_change change;
	int64_t row;
	char raw[160];

	memset(&r, 0, sizeof(r));
	snprintf(raw, sizeof(raw), "{\"id\":\"%s\",\"phone\":\"RAWMARKER-%s-%lld\"}", id,
		 contact_raw ? contact_raw : "none", (long long)updated);
	r.source = strdup(source);
	r.source_type = strdup("hotline12345");
	r.source_id = strdup(id);
	r.received_at = T0;
	r.updated_at = updated;
	r.kind = SQ_KIND_COMPLAINT;
	r.title = strdup("恩宁路夜间施工噪音扰民");
	r.text = strdup("恩宁路88号附近工地连续多晚施工至凌晨两点");
	r.community = strdup("恩宁路社区");
	r.category = strdup("noise.construction");
	r.status = SQ_STATUS_OPEN;
	r.contact_hash = strdup("5f0c9e0f6a0c4d0c8f3b0e3f1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d");
	r.contact_masked = strdup("138****5678");
	r.contact_raw = contact_raw ? strdup(contact_raw) : NULL;
	r.raw = strdup(raw);
	assert_int_equal(store_begin(f->st, &err), SQ_OK);
	assert_int_equal(store_put_complaint(f->st, &r, updated, &change, &row, &err), SQ_OK);
	assert_int_equal(store_commit(f->st, &err), SQ_OK);
	assert_int_equal(change, want);
	record_release(&r);
}

static void quarantine(struct fixture *f, const char *source, int64_t at)
{
	struct sq_error err = { 0 };

	char raw[96];

	snprintf(raw, sizeof(raw), "{\"phone\":\"RAWMARKER-quarantined-%s\"}", source);
	assert_int_equal(store_quarantine(f->st, source, "x1", raw, "missing id", at, &err), SQ_OK);
}

static const struct store_audit_entry who = {
	.at = T0 + 100 * DAY, .uid = 1000, .os_user = "analyst", .sudo_user = "wang",
	.action = "prune", .command = "suqiu prune",
};

/* ---- audit log ------------------------------------------------------------ */

struct collected {
	int n;
	char users[4][32];
	char sudo[4][32];
	char commands[4][64];
	int64_t rows[4];
};

static sq_err collect(void *ctx, const struct store_audit_entry *e)
{
	struct collected *c = ctx;

	if (c->n < 4) {
		snprintf(c->users[c->n], sizeof(c->users[0]), "%s", e->os_user);
		snprintf(c->sudo[c->n], sizeof(c->sudo[0]), "%s", e->sudo_user ? e->sudo_user : "-");
		snprintf(c->commands[c->n], sizeof(c->commands[0]), "%s", e->command);
		c->rows[c->n] = e->rows;
	}
	c->n++;
	return SQ_OK;
}

static sq_err stop_at_first(void *ctx, const struct store_audit_entry *e)
{
	(void)e;
	(*(int *)ctx)++;
	return SQ_ENOTFOUND;
}

static void test_audit_appends_and_lists(void **state)
{
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	struct store_audit_entry e = {
		.at = T0, .uid = 1000, .os_user = "analyst", .sudo_user = NULL,
		.action = "unmask", .command = "suqiu show C1 --unmask", .rows = 1,
	};
	struct collected c = { 0 };
	int64_t id1 = 0, id2 = 0;
	int calls = 0;

	assert_int_equal(store_audit_append(f->st, &e, &id1, &err), SQ_OK);
	e.at = T0 + DAY;
	e.sudo_user = "wang";
	e.command = "suqiu export --unmask";
	e.rows = 42;
	assert_int_equal(store_audit_append(f->st, &e, &id2, &err), SQ_OK);
	assert_true(id2 > id1);

	assert_int_equal(store_audit_each(f->st, 0, collect, &c, &err), SQ_OK);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.users[0], "analyst");
	assert_string_equal(c.sudo[0], "-");
	assert_string_equal(c.sudo[1], "wang");
	assert_string_equal(c.commands[1], "suqiu export --unmask");
	assert_int_equal(c.rows[1], 42);

	memset(&c, 0, sizeof(c));
	assert_int_equal(store_audit_each(f->st, T0 + 1, collect, &c, &err), SQ_OK);
	assert_int_equal(c.n, 1);

	/* A callback's error stops the walk and comes back unchanged. */
	assert_int_equal(store_audit_each(f->st, 0, stop_at_first, &calls, &err), SQ_ENOTFOUND);
	assert_int_equal(calls, 1);

	/* An entry must say who, what and how. */
	e.os_user = NULL;
	assert_int_equal(store_audit_append(f->st, &e, NULL, &err), SQ_EUSAGE);
}

/* Neither suqiu nor anyone else with the sqlite3 shell can rewrite or drop
 * an entry: the triggers raise, and the statement changes nothing. */
static void test_audit_is_append_only(void **state)
{
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	struct store_audit_entry e = {
		.at = T0, .uid = 0, .os_user = "root", .action = "unmask",
		.command = "suqiu show C7 --unmask", .rows = 1,
	};
	char msg[256];

	assert_int_equal(store_audit_append(f->st, &e, NULL, &err), SQ_OK);
	assert_int_not_equal(exec_sql(f->db, "UPDATE audit_log SET os_user = 'nobody'", msg,
				      sizeof(msg)), SQLITE_OK);
	assert_non_null(strstr(msg, "append-only"));
	assert_int_not_equal(exec_sql(f->db, "DELETE FROM audit_log", msg, sizeof(msg)), SQLITE_OK);
	assert_non_null(strstr(msg, "append-only"));
	assert_int_not_equal(exec_sql(f->db, "INSERT OR REPLACE INTO audit_log"
				      " (id, at, uid, os_user, action, command, rows)"
				      " SELECT id, at, uid, 'x', action, command, rows FROM audit_log",
				      msg, sizeof(msg)), SQLITE_OK);
	/* REPLACE deletes without firing delete triggers (recursive_triggers is
	 * off), so a third trigger refuses an insert over an existing id. */
	assert_non_null(strstr(msg, "append-only"));
	assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM audit_log WHERE os_user = 'root'"), 1);
	assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM audit_log"), 1);
}

/* ---- pruning -------------------------------------------------------------- */

/* Old and recent complaints, an old state in the history of a recent one,
 * and quarantined records of both ages. */
static void seed_for_prune(struct fixture *f)
{
	put(f, "hotline", "old-1", T0, "13812345678", STORE_NEW);
	put(f, "hotline", "old-2", T0 + DAY, NULL, STORE_NEW);
	put(f, "hotline", "recent", T0, "13900001111", STORE_NEW);
	put(f, "hotline", "recent", T0 + 60 * DAY, "13900001111", STORE_RESTATED);   /* nothing linking reads */
	put(f, "liaison", "old-3", T0 + 2 * DAY, "13511112222", STORE_NEW);
	quarantine(f, "hotline", T0);
	quarantine(f, "liaison", T0 + 60 * DAY);
}

static void test_prune_dry_run_counts_and_changes_nothing(void **state)
{
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	struct store_prune_counts c;

	seed_for_prune(f);
	assert_int_equal(store_prune(f->st, T0 + 30 * DAY, 1, &who, &c, &err), SQ_OK);
	assert_int_equal(c.complaints, 3);
	assert_int_equal(c.complaints_raw, 3);
	assert_int_equal(c.complaints_contact, 3);
	assert_int_equal(c.history, 1);  /* the first state of "recent" (updated T0) */
	assert_int_equal(c.quarantine, 1);
	assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM complaints WHERE raw IS NULL"), 0);
	assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM audit_log"), 0);
}

static void test_prune_nulls_old_personal_columns_keeps_rows(void **state)
{
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	struct store_prune_counts c;
	int64_t before_rows;

	seed_for_prune(f);
	before_rows = test_sql_int(f->db, "SELECT count(*) FROM complaints");
	assert_int_equal(store_prune(f->st, T0 + 30 * DAY, 0, &who, &c, &err), SQ_OK);
	assert_int_equal(c.complaints, 3);
	assert_int_equal(c.history, 1);
	assert_int_equal(c.quarantine, 1);

	/* Rows and what digests count stay. */
	assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM complaints"), before_rows);
	assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM complaint_history"), 1);
	assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM quarantine"), 2);
	assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM complaints WHERE category IS NULL"
				   " OR community IS NULL OR status IS NULL OR contact_masked IS NULL"), 0);
	/* Old ones lost raw, hash and number; the recent one kept them. */
	assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM complaints WHERE source_id LIKE 'old-%'"
				   " AND (raw IS NOT NULL OR contact_hash IS NOT NULL OR contact_raw IS NOT NULL)"), 0);
	assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM complaints WHERE source_id = 'recent'"
				   " AND raw IS NOT NULL AND contact_hash IS NOT NULL"
				   " AND contact_raw = '13900001111'"), 1);
	assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM complaint_history WHERE raw IS NULL"), 1);
	assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM quarantine WHERE raw = ''"), 1);
	assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM quarantine WHERE source = 'liaison'"
				   " AND raw <> ''"), 1);

	/* The prune is in the audit log with its total, in the same transaction. */
	assert_int_equal(test_sql_int(f->db, "SELECT rows FROM audit_log WHERE action = 'prune'"), 5);
	assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM audit_log WHERE sudo_user = 'wang'"), 1);

	/* Nothing is left to prune: a second run changes nothing. */
	assert_int_equal(store_prune(f->st, T0 + 30 * DAY, 0, NULL, &c, &err), SQ_OK);
	assert_int_equal(c.complaints + c.history + c.quarantine, 0);
	assert_int_equal(store_integrity_check(f->st, &err), SQ_OK);
}

/* Pruned bytes must not linger in the file's free space or in the WAL. */
static void test_prune_leaves_no_copy_in_the_file(void **state)
{
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	struct store_prune_counts c;
	char *wal = test_path(f->dir, "suqiu.db-wal");
	const char *files[2] = { f->db, wal };
	int i;

	seed_for_prune(f);
	assert_int_equal(store_prune(f->st, T0 + 30 * DAY, 0, NULL, &c, &err), SQ_OK);
	assert_true(c.checkpointed);
	store_close(f->st);
	f->st = NULL;
	for (i = 0; i < 2; i++) {
		FILE *fp = fopen(files[i], "rb");
		struct sq_buf b = SQ_BUF_INIT;
		char chunk[4096];
		size_t n;

		if (!fp)
			continue;
		while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
			assert_int_equal(sq_buf_add(&b, chunk, n), SQ_OK);
		fclose(fp);
		if (b.len) {
			assert_null(memmem(b.data, b.len, "RAWMARKER-13812345678", 21));
			assert_null(memmem(b.data, b.len, "RAWMARKER-quarantined-hotline", 29));
			/* The recent complaint's payload is still there. */
			if (i == 0) {
				assert_non_null(memmem(b.data, b.len, "RAWMARKER-13900001111", 21));
				assert_non_null(memmem(b.data, b.len, "RAWMARKER-quarantined-liaison", 29));
			}
		}
		sq_buf_release(&b);
	}
	free(wal);
}

/* A digest mail sent at `sent_at` (0: left pending), its body quoting a complaint. */
static void mail(struct fixture *f, const char *key, int64_t created, int64_t sent_at)
{
	struct sq_error err = { 0 };
	struct store_outbox_msg m = { 0 }, got = { 0 };
	char id[64];

	snprintf(id, sizeof(id), "<digest-%s@suqiu>", key);
	m.kind = (char *)"digest";
	m.digest_key = (char *)key;
	m.attachment = (char *)"suqiu-digest.html";
	m.message_id = id;
	m.created_at = created;
	m.recipients = (char *)"duty@example.org";
	m.subject = (char *)"【suqiu 摘要】";
	m.body_text = (char *)"MAILMARKER 恩宁路88号工地夜间施工";
	m.body_html = (char *)"<p>MAILMARKER</p>";
	assert_int_equal(store_begin(f->st, &err), SQ_OK);
	assert_int_equal(store_outbox_add(f->st, &m, NULL, &err), SQ_OK);
	if (sent_at) {
		assert_int_equal(store_outbox_claim(f->st, created, created, &got, &err), SQ_OK);
		assert_int_equal(store_outbox_mark_sent(f->st, got.id, sent_at, &err), SQ_OK);
		store_outbox_msg_release(&got);
	}
	assert_int_equal(store_commit(f->st, &err), SQ_OK);
}

/* Sent mail past retention loses its bodies, keeps its row; newer or unsent mail is kept whole. */
static void test_prune_empties_old_sent_mail(void **state)
{
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	struct store_prune_counts c;
	int added = -1;
	struct store_outbox_msg again = { 0 };

	mail(f, "old", T0, T0 + 1);
	mail(f, "recent", T0 + 40 * DAY, T0 + 40 * DAY + 1);
	mail(f, "unsent", T0 + 2, 0);
	assert_int_equal(store_prune(f->st, T0 + 30 * DAY, 1, NULL, &c, &err), SQ_OK);
	assert_int_equal(c.outbox, 1);
	assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM outbox WHERE body_text = ''"), 0);
	assert_int_equal(store_prune(f->st, T0 + 30 * DAY, 0, &who, &c, &err), SQ_OK);
	assert_int_equal(c.outbox, 1);
	assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM outbox"), 3);
	assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM outbox WHERE digest_key = 'old'"
				   " AND body_text = '' AND body_html = '' AND attachment IS NULL"
				   " AND subject <> '' AND state = 'sent'"), 1);
	assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM outbox WHERE body_text LIKE"
				   " 'MAILMARKER%'"), 2);
	assert_int_equal(test_sql_int(f->db, "SELECT rows FROM audit_log WHERE action = 'prune'"), 1);
	/* The emptied row still keeps its period from being mailed again. */
	again.kind = (char *)"digest";
	again.digest_key = (char *)"old";
	again.message_id = (char *)"<digest-old-2@suqiu>";
	again.created_at = T0 + 50 * DAY;
	again.recipients = (char *)"duty@example.org";
	again.subject = again.body_text = again.body_html = (char *)"x";
	assert_int_equal(store_begin(f->st, &err), SQ_OK);
	assert_int_equal(store_outbox_add(f->st, &again, &added, &err), SQ_OK);
	assert_int_equal(store_commit(f->st, &err), SQ_OK);
	assert_int_equal(added, 0);
	assert_int_equal(store_prune(f->st, T0 + 30 * DAY, 0, NULL, &c, &err), SQ_OK);
	assert_int_equal(c.outbox, 0);
}

static void test_prune_refuses_an_open_transaction(void **state)
{
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	struct store_prune_counts c;

	assert_int_equal(store_begin(f->st, &err), SQ_OK);
	assert_int_equal(store_prune(f->st, T0, 0, NULL, &c, &err), SQ_EUSAGE);
	store_rollback(f->st);
}

/* ---- full contact numbers -------------------------------------------------- */

static void test_contact_raw(void **state)
{
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	int64_t n = -1;
	char *raw = NULL;

	assert_int_equal(store_count_contact_raw(f->st, 0, &n, &err), SQ_OK);
	assert_int_equal(n, 0);
	put(f, "hotline", "a", T0, "13812345678", STORE_NEW);
	put(f, "hotline", "b", T0, NULL, STORE_NEW);
	assert_int_equal(store_count_contact_raw(f->st, 0, &n, &err), SQ_OK);
	assert_int_equal(n, 1);
	assert_int_equal(store_count_contact_raw(f->st, T0 + 1, &n, &err), SQ_OK);
	assert_int_equal(n, 0);
	assert_int_equal(store_contact_raw(f->st, 1, &raw, &err), SQ_OK);
	assert_string_equal(raw, "13812345678");
	free(raw);
	assert_int_equal(store_contact_raw(f->st, 2, &raw, &err), SQ_OK);
	assert_null(raw);
	assert_int_equal(store_contact_raw(f->st, 999, &raw, &err), SQ_OK);
	assert_null(raw);
}

/* ---- metrics ------------------------------------------------------------------ */

static void run_log(struct fixture *f, int64_t at, const char *source, int64_t new_records,
		    int64_t updated, int64_t errors, int exit_status)
{
	struct sq_error err = { 0 };
	struct store_run_source s = {
		.source = source, .pages = 1, .fetched = new_records + updated,
		.new_records = new_records, .updated = updated, .errors = errors,
		.duration_ms = 1234, .error = errors ? "hotline: page 1: HTTP 503" : NULL,
	};
	int64_t run;

	assert_int_equal(store_run_begin(f->st, "poll", at, &run, &err), SQ_OK);
	assert_int_equal(store_run_source(f->st, run, &s, &err), SQ_OK);
	if (exit_status >= 0)
		assert_int_equal(store_run_end(f->st, run, at + 2, exit_status, &err), SQ_OK);
}

static const struct store_metrics_source *find_src(const struct store_metrics *m, const char *name)
{
	size_t i;

	for (i = 0; i < m->nsources; i++)
		if (!strcmp(m->sources[i].source, name))
			return &m->sources[i];
	return NULL;
}

static void test_metrics_empty_store(void **state)
{
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	struct store_metrics m;
	const char *names[] = { "hotline", "liaison" };

	assert_int_equal(store_metrics(f->st, names, 2, &m, &err), SQ_OK);
	assert_int_equal(m.nsources, 2);
	assert_string_equal(m.sources[0].source, "hotline");
	assert_int_equal(m.sources[0].last_ok, 0);
	assert_false(m.sources[0].has_last);
	assert_false(m.has_last_run);
	assert_int_equal(m.last_run_exit, -1);
	assert_int_equal(m.complaints, 0);
	assert_int_equal(m.schema_version, store_schema_latest());
	store_metrics_release(&m);
}

static void test_metrics_figures(void **state)
{
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	struct store_metrics m;
	const struct store_metrics_source *h, *l, *c;
	const char *names[] = { "citymgmt", "hotline" };

	put(f, "hotline", "a", T0, NULL, STORE_NEW);
	put(f, "hotline", "b", T0, NULL, STORE_NEW);
	put(f, "liaison", "c", T0, NULL, STORE_NEW);
	quarantine(f, "liaison", T0);
	run_log(f, T0 + 100, "hotline", 2, 0, 0, 0);
	run_log(f, T0 + 200, "liaison", 1, 0, 0, 0);
	run_log(f, T0 + 400, "hotline", 0, 1, 1, 1);
	run_log(f, T0 + 500, "hotline", 0, 3, 0, -1);   /* killed: never ended */

	assert_int_equal(store_metrics(f->st, names, 2, &m, &err), SQ_OK);
	assert_int_equal(m.nsources, 3);   /* citymgmt configured, never polled */
	h = find_src(&m, "hotline");
	l = find_src(&m, "liaison");
	c = find_src(&m, "citymgmt");
	assert_non_null(h);
	assert_non_null(l);
	assert_non_null(c);
	assert_string_equal(m.sources[0].source, "citymgmt");
	assert_int_equal(h->last_ok, T0 + 500);
	assert_int_equal(h->last_error_at, T0 + 400);
	assert_int_equal(h->runs, 3);
	assert_int_equal(h->new_total, 2);
	assert_int_equal(h->updated_total, 4);
	assert_int_equal(h->errors_total, 1);
	assert_true(h->has_last);
	assert_int_equal(h->last_updated, 3);
	assert_int_equal(h->last_duration_ms, 1234);
	assert_int_equal(h->complaints, 2);
	assert_int_equal(l->complaints, 1);
	assert_int_equal(l->quarantine, 1);
	assert_int_equal(c->runs, 0);
	assert_false(c->has_last);
	assert_int_equal(m.complaints, 3);
	assert_true(m.has_last_run);
	assert_string_equal(m.last_run_command, "poll");
	assert_int_equal(m.last_run_started, T0 + 500);
	assert_int_equal(m.last_run_exit, -1);
	/* The alerts tables exist from schema 4 on, empty here. */
	assert_true(m.has_flags);
	assert_int_equal(m.nflags, 0);
	assert_int_equal(m.flags_open, 0);
	assert_true(m.has_outbox);
	assert_int_equal(m.outbox_backlog, 0);
	assert_int_equal(m.outbox_oldest, 0);
	store_metrics_release(&m);
}

/* Flags by state and the outbox backlog, on the alerts module's tables. */
static void test_metrics_flags_and_outbox(void **state)
{
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	struct store_metrics m;

	assert_int_equal(exec_sql(f->db,
		"INSERT INTO flags (kind, cause_key, severity, state, summary, opened_at,"
		" updated_at, active_at) VALUES"
		" ('cluster', 'a', 'medium', 'open', 's', 1, 1, 1),"
		" ('cluster', 'b', 'medium', 'open', 's', 1, 1, 1),"
		" ('urgent', 'c', 'high', 'notified', 's', 1, 1, 1),"
		" ('overdue', 'd', 'low', 'closed', 's', 1, 1, 1);"
		"INSERT INTO outbox (flag_id, revision, message_id, created_at, recipients, subject,"
		" body_text, body_html, state, next_attempt_at, in_doubt) VALUES"
		" (1, 1, '<1>', 10, '', 's', 't', 'h', 'sent', 10, 0),"
		" (2, 1, '<2>', 30, '', 's', 't', 'h', 'pending', 30, 0),"
		" (3, 1, '<3>', 20, '', 's', 't', 'h', 'sending', 20, 1),"
		" (4, 1, '<4>', 40, '', 's', 't', 'h', 'pending', 40, 0);", NULL, 0), SQLITE_OK);
	assert_int_equal(store_metrics(f->st, NULL, 0, &m, &err), SQ_OK);
	assert_true(m.has_flags);
	assert_int_equal(m.nflags, 3);
	assert_string_equal(m.flags[0].label, "closed");
	assert_string_equal(m.flags[2].label, "open");
	assert_int_equal(m.flags[2].n, 2);
	assert_int_equal(m.flags_open, 3);
	assert_true(m.has_outbox);
	assert_int_equal(m.noutbox, 3);
	assert_int_equal(m.outbox_backlog, 3);
	assert_int_equal(m.outbox_oldest, 20);
	assert_int_equal(m.outbox_in_doubt, 1);
	store_metrics_release(&m);
}

/* ---- out of memory ------------------------------------------------------------ */

/*
 * Fail each allocation of a prune in turn: it either completes or changes
 * nothing at all (one transaction), reports the failure, and leaves a store
 * that a later prune completes.  Likewise the metrics and the audit log.
 */
static void test_out_of_memory(void **state)
{
	struct fixture *f = *state;
	struct sq_error err = { 0 };
	struct store_prune_counts c;
	struct store_metrics m;
	int64_t raw_before;
	long n, failures = 0;

	if (!FAILMALLOC_AVAILABLE)
		skip();
	seed_for_prune(f);
	raw_before = test_sql_int(f->db, "SELECT count(*) FROM complaints WHERE raw IS NOT NULL");
	for (n = 1; n < 100000; n++) {
		sq_err rc;

		failmalloc_arm(n);
		rc = store_prune(f->st, T0 + 30 * DAY, 0, &who, &c, &err);
		if (!failmalloc_disarm()) {
			assert_int_equal(rc, SQ_OK);
			break;
		}
		if (rc) {
			failures++;
			assert_true(rc == SQ_ENOMEM || rc == SQ_EDB);
			/* all or nothing */
			assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM complaints WHERE raw IS NOT NULL"),
					 raw_before);
			assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM audit_log"), 0);
		} else {
			break;   /* the failed allocation did not matter (a cache) */
		}
	}
	assert_true(failures > 0);
	assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM complaints WHERE raw IS NOT NULL"),
			 raw_before - 3);
	assert_int_equal(test_sql_int(f->db, "SELECT count(*) FROM audit_log"), 1);

	for (n = 1; n < 100000; n++) {
		sq_err rc;

		failmalloc_arm(n);
		rc = store_metrics(f->st, NULL, 0, &m, &err);
		if (!failmalloc_disarm()) {
			assert_int_equal(rc, SQ_OK);
			assert_int_equal(m.complaints, 5 - 1);
			store_metrics_release(&m);
			break;
		}
		if (!rc) {
			store_metrics_release(&m);
			continue;
		}
		assert_true(rc == SQ_ENOMEM || rc == SQ_EDB);
	}
	assert_int_equal(store_integrity_check(f->st, &err), SQ_OK);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(test_audit_appends_and_lists, setup, teardown),
		cmocka_unit_test_setup_teardown(test_audit_is_append_only, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_dry_run_counts_and_changes_nothing, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_nulls_old_personal_columns_keeps_rows, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_leaves_no_copy_in_the_file, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_empties_old_sent_mail, setup, teardown),
		cmocka_unit_test_setup_teardown(test_prune_refuses_an_open_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(test_contact_raw, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_empty_store, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_figures, setup, teardown),
		cmocka_unit_test_setup_teardown(test_metrics_flags_and_outbox, setup, teardown),
		cmocka_unit_test_setup_teardown(test_out_of_memory, setup, teardown),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
