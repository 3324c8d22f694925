/* The store's core: connection, transactions, the poll lock, complaints,
 * cursors, quarantine and the run log. */
#include "store.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <unistd.h>

#include "buf.h"
#include "store_private.h"
#include "banned.h"

#define BUSY_TIMEOUT_MS 10000

sq_err store_db_error(struct sq_store *st, const char *what, struct sq_error *err)
{
	return sq_fail(err, SQ_EDB, "%s: %s: %s (sqlite error %d)", st->path, what,
		       sqlite3_errmsg(st->db), sqlite3_extended_errcode(st->db));
}

sq_err store_step_done(struct sq_store *st, sqlite3_stmt *s, const char *what,
		       struct sq_error *err)
{
	int rc = sqlite3_step(s);

	sqlite3_reset(s);
	if (rc != SQLITE_DONE)
		return store_db_error(st, what, err);
	return SQ_OK;
}

sq_err store_query_int(struct sq_store *st, const char *sql, int nparams, int64_t a, int64_t b,
		       int64_t *out, const char *what, struct sq_error *err)
{
	sqlite3_stmt *s;
	int step;
	sq_err rc;

	*out = 0;
	rc = store_stmt(st, sql, &s, err);
	if (rc)
		return rc;
	if (nparams >= 1)
		sqlite3_bind_int64(s, 1, a);
	if (nparams >= 2)
		sqlite3_bind_int64(s, 2, b);
	step = sqlite3_step(s);
	if (step == SQLITE_ROW)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_reset(s);
	if (step != SQLITE_ROW && step != SQLITE_DONE)
		return store_db_error(st, what, err);
	return SQ_OK;
}

sq_err store_exec(struct sq_store *st, const char *sql, struct sq_error *err)
{
	char *msg = NULL;

	if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		sq_fail(err, SQ_EDB, "%s: %s (sqlite error %d)", st->path,
			msg ? msg : sqlite3_errmsg(st->db), sqlite3_extended_errcode(st->db));
		sqlite3_free(msg);
		return SQ_EDB;
	}
	return SQ_OK;
}

sq_err store_stmt(struct sq_store *st, const char *sql, sqlite3_stmt **out,
		  struct sq_error *err)
{
	int i;

	for (i = 0; i < st->ncache; i++) {
		if (st->cache[i].sql == sql) {
			sqlite3_reset(st->cache[i].stmt);
			sqlite3_clear_bindings(st->cache[i].stmt);
			*out = st->cache[i].stmt;
			return SQ_OK;
		}
	}
	if (sqlite3_prepare_v2(st->db, sql, -1, out, NULL) != SQLITE_OK)
		return store_db_error(st, "preparing a statement", err);
	if (st->ncache < STORE_STMT_CACHE) {
		st->cache[st->ncache].sql = sql;
		st->cache[st->ncache].stmt = *out;
		st->ncache++;
	} else {
		/* Full cache: evict the oldest (never happens with today's SQL). */
		sqlite3_finalize(st->cache[0].stmt);
		memmove(&st->cache[0], &st->cache[1], sizeof(st->cache[0]) * (STORE_STMT_CACHE - 1));
		st->cache[STORE_STMT_CACHE - 1].sql = sql;
		st->cache[STORE_STMT_CACHE - 1].stmt = *out;
	}
	return SQ_OK;
}

int store_bind_text(sqlite3_stmt *s, int i, const char *v)
{
	return v ? sqlite3_bind_text(s, i, v, -1, SQLITE_STATIC) : sqlite3_bind_null(s, i);
}

int store_bind_time(sqlite3_stmt *s, int i, int64_t t)
{
	return t ? sqlite3_bind_int64(s, i, t) : sqlite3_bind_null(s, i);
}

sq_err store_bind_ids(sqlite3_stmt *s, int i, const int64_t *v, size_t n, struct sq_buf *json)
{
	size_t k;

	if (sq_buf_addc(json, '['))
		return SQ_ENOMEM;
	for (k = 0; k < n; k++)
		if ((k && sq_buf_addc(json, ',')) || sq_buf_add_i64(json, v[k]))
			return SQ_ENOMEM;
	if (sq_buf_addc(json, ']'))
		return SQ_ENOMEM;
	sqlite3_bind_text(s, i, json->data, (int)json->len, SQLITE_STATIC);
	return SQ_OK;
}

char *store_col_text(sqlite3_stmt *s, int i, int *oom)
{
	const unsigned char *t = sqlite3_column_text(s, i);
	char *copy;

	if (!t)
		return NULL;
	copy = sq_strndup((const char *)t, (size_t)sqlite3_column_bytes(s, i));
	if (!copy)
		*oom = 1;
	return copy;
}

/*
 * Unless told otherwise, SQLite counts every allocation for
 * sqlite3_status() under a process-wide mutex; suqiu reads no such figure.
 * Not counting is 3.7 % fewer instructions in an import (callgrind, the
 * bench's 2,200-record batch into its 100k store).  Once SQLite is in use
 * the setting can no longer change (SQLITE_MISUSE): it is only speed, so
 * that is not an error.
 */
sq_err store_global_init(struct sq_error *err)
{
	int rc = sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);

	if (rc == SQLITE_OK || rc == SQLITE_MISUSE)
		rc = sqlite3_initialize();
	if (rc != SQLITE_OK)
		return sq_fail(err, rc == SQLITE_NOMEM ? SQ_ENOMEM : SQ_EFATAL,
			       "initializing SQLite: %s", sqlite3_errstr(rc));
	return SQ_OK;
}

/*
 * cache_size: SQLite's default page cache is 2 MB, and linking one
 * complaint walks ~30 index ranges (blocking keys, MinHash bands, term
 * counts) spread over the whole linkage index; with 2 MB nearly every page
 * came back through a pread (240-300 per complaint).  32 MB keeps the
 * inner pages and the recent leaves: 10x fewer reads, at a bounded cost in
 * memory whatever the size of the store.
 *
 * temp_store = FILE: with MEMORY SQLite's sorter never spills, so a sort
 * as large as the store (a migration rebuilding the linkage index and its
 * indexes) held every row: upgrading a 245k-complaint store peaked at
 * 417 MB, 84 MB with FILE.  Small sorts stay in memory either way; only a
 * sort past the page cache's size goes to a temporary file (under
 * PrivateTmp in the systemd units).
 */
static sq_err configure(struct sq_store *st, struct sq_error *err)
{
	return store_exec(st,
			  "PRAGMA journal_mode = WAL;"
			  "PRAGMA synchronous = NORMAL;"
			  "PRAGMA foreign_keys = ON;"
			  "PRAGMA temp_store = FILE;"
			  "PRAGMA cache_size = -32768;",
			  err);
}

/*
 * A store for a new connection to file with SQLite's open flags; errors
 * name path.  Its page cache and pragmas are the caller's to set.
 */
static sq_err open_connection(const char *path, const char *file, int flags,
			      struct sq_store **out, struct sq_error *err)
{
	struct sq_store *st;
	sq_err rc;

	*out = NULL;
	st = calloc(1, sizeof(*st));
	if (!st || !(st->path = sq_strdup(path))) {
		free(st);
		return sq_fail(err, SQ_ENOMEM, "%s: out of memory opening the database", path);
	}
	if (sqlite3_open_v2(file, &st->db, flags | SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		rc = st->db ? store_db_error(st, "opening", err)
			    : sq_fail(err, SQ_ENOMEM, "%s: out of memory opening the database", path);
		store_close(st);
		return rc;
	}
	sqlite3_busy_timeout(st->db, BUSY_TIMEOUT_MS);
	sqlite3_extended_result_codes(st->db, 1);
	*out = st;
	return SQ_OK;
}

sq_err store_open_at_version(const char *path, int target, struct sq_store **out,
			     struct sq_error *err)
{
	struct sq_store *st;
	sq_err rc;

	*out = NULL;
	rc = open_connection(path, path, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, &st, err);
	if (rc)
		return rc;
	rc = configure(st, err);
	if (!rc)
		rc = store_index_register(st, err);
	if (!rc)
		rc = store_migrate(st, target, err);
	if (rc) {
		store_close(st);
		return rc;
	}
	*out = st;
	return SQ_OK;
}

sq_err store_open_reader(const struct sq_store *st, struct sq_store **out,
			struct sq_error *err)
{
	const char *file = sqlite3_db_filename(st->db, "main");
	struct sq_store *r;
	sq_err rc;

	*out = NULL;
	if (!file || !*file)
		return sq_fail(err, SQ_EDB, "%s: a store in memory has no second connection",
			       st->path);
	if (!sqlite3_get_autocommit(st->db))
		return sq_fail(err, SQ_EDB, "%s: no second connection inside a transaction",
			       st->path);
	rc = open_connection(st->path, file, SQLITE_OPEN_READONLY, &r, err);
	if (rc)
		return rc;
	/*
	 * 2 MiB, not the writer's 32: a reader scans ranges, each page once, so
	 * a large cache only holds pages it will not read again, each one a
	 * fresh page of memory the kernel zeroes first.  A detection at 1M
	 * stored: peak 130 -> 99 MB, system time 0.18 -> 0.15 s.
	 */
	rc = store_exec(r, "PRAGMA cache_size = -2048;", err);
	if (rc) {
		store_close(r);
		return rc;
	}
	*out = r;
	return SQ_OK;
}

sq_err store_open(const char *path, struct sq_store **out, struct sq_error *err)
{
	return store_open_at_version(path, store_schema_latest(), out, err);
}

void store_close(struct sq_store *st)
{
	int i;

	if (!st)
		return;
	for (i = 0; i < st->ncache; i++)
		sqlite3_finalize(st->cache[i].stmt);
	if (st->db) {
		if (st->in_tx)
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		sqlite3_close(st->db);
	}
	store_index_free(st);
	free(st->fts_ids);
	free(st->path);
	free(st);
}

int store_schema_version(struct sq_store *st)
{
	sqlite3_stmt *s;
	int v = -1;

	if (sqlite3_prepare_v2(st->db, "PRAGMA user_version", -1, &s, NULL) != SQLITE_OK)
		return -1;
	if (sqlite3_step(s) == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	return v;
}

const char *store_path(const struct sq_store *st)
{
	return st->path;
}

/*
 * Statement journals.  Inside a transaction, a statement that may fail
 * half-way (an INSERT that fires a trigger, an UPDATE of a column with a
 * foreign key, a DELETE of several rows) first copies every page it
 * changes to a statement journal, so that its failure undoes only itself.
 * With temp_store = FILE, SQLite keeps that journal in memory up to 64 KiB
 * and then moves it to a temporary file, which then serves every later
 * statement of the transaction, page by page.  Storing one complaint
 * changes its row and the leaves of eight indexes; the first such INSERT
 * that changed more than 64 KiB made the journal a file early in an
 * import's transaction (strace shows it): importing 2,200 records into a
 * 100k store wrote 46,818 pages (and as many 4-byte page numbers) to it,
 * two thirds of the import's writes, ~11 % of its CPU.  temp_store =
 * MEMORY while a transaction begins keeps the journal in memory for that
 * transaction, freed after each statement: right for transactions whose
 * statements each change a bounded number of pages (store_begin), not for
 * one that may change years of them in one statement
 * (store_begin_spilling).  Outside transactions the setting goes back to
 * FILE (configure(): large sorts spill).
 */
static sq_err temp_store(struct sq_store *st, int in_memory, struct sq_error *err)
{
	sq_err rc;

	if (st->temp_in_memory == in_memory)
		return SQ_OK;
	rc = store_exec(st, in_memory ? "PRAGMA temp_store = MEMORY" : "PRAGMA temp_store = FILE",
			err);
	if (!rc)
		st->temp_in_memory = in_memory;
	return rc;
}

/*
 * After a transaction: back to FILE, best effort (the transaction is over
 * either way; should SQLite run out of memory here, the setting stays
 * MEMORY until the next store_begin_spilling, and only sorts notice).
 */
static void temp_store_file(struct sq_store *st)
{
	(void)temp_store(st, 0, NULL);
}

static sq_err begin(struct sq_store *st, int journal_in_memory, struct sq_error *err)
{
	sq_err rc = temp_store(st, journal_in_memory, err);

	if (!rc)
		rc = store_exec(st, "BEGIN IMMEDIATE", err);
	if (rc) {
		temp_store_file(st);   /* busy, say: no transaction to journal */
		return rc;
	}
	st->in_tx = 1;
	rc = store_index_check(st, err);
	if (rc)
		store_rollback(st);
	return rc;
}

sq_err store_begin(struct sq_store *st, struct sq_error *err)
{
	return begin(st, 1, err);
}

sq_err store_begin_spilling(struct sq_store *st, struct sq_error *err)
{
	return begin(st, 0, err);
}

sq_err store_commit(struct sq_store *st, struct sq_error *err)
{
	sq_err rc = store_fts_flush(st, err);

	if (!rc)
		rc = store_exec(st, "COMMIT", err);
	if (rc)
		return rc;
	st->in_tx = 0;
	temp_store_file(st);
	return SQ_OK;
}

void store_rollback(struct sq_store *st)
{
	st->fts_n = 0;
	st->fts_deferring = 0;
	if (st->in_tx || !sqlite3_get_autocommit(st->db)) {
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		st->rollbacks++;
	}
	store_index_forget(st);
	st->in_tx = 0;
	temp_store_file(st);
}

uint64_t store_rollbacks(const struct sq_store *st)
{
	return st->rollbacks;
}

sq_err store_lock_poll(const char *db_path, int *fd, struct sq_error *err)
{
	struct sq_buf path = SQ_BUF_INIT;
	int f;

	*fd = -1;
	if (sq_buf_addf(&path, "%s.lock", db_path))
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	f = open(path.data, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (f < 0) {
		sq_fail(err, SQ_EIO, "%s: %s", path.data, strerror(errno));
		sq_buf_release(&path);
		return SQ_EIO;
	}
	if (flock(f, LOCK_EX | LOCK_NB) != 0) {
		int e = errno;

		close(f);
		if (e == EWOULDBLOCK)
			sq_fail(err, SQ_ELOCKED, "%s: another suqiu poll is running", path.data);
		else
			sq_fail(err, SQ_EIO, "%s: %s", path.data, strerror(e));
		sq_buf_release(&path);
		return e == EWOULDBLOCK ? SQ_ELOCKED : SQ_EIO;
	}
	sq_buf_release(&path);
	*fd = f;
	return SQ_OK;
}

void store_unlock_poll(int fd)
{
	if (fd >= 0)
		close(fd);  /* closing releases the flock */
}

sq_err store_integrity_check(struct sq_store *st, struct sq_error *err)
{
	sqlite3_stmt *s;
	sq_err rc = SQ_OK;

	if (sqlite3_prepare_v2(st->db, "PRAGMA integrity_check", -1, &s, NULL) != SQLITE_OK)
		return store_db_error(st, "integrity check", err);
	if (sqlite3_step(s) != SQLITE_ROW)
		rc = store_db_error(st, "integrity check", err);
	else if (strcmp((const char *)sqlite3_column_text(s, 0), "ok"))
		rc = sq_fail(err, SQ_EDB, "%s: integrity check: %s", st->path,
			     (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return rc;
}
