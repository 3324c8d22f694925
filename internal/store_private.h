/*
 * store_private.h — shared by the store_*.c files only.  Nothing outside
 * the store module includes it.
 */
#ifndef SUQIU_STORE_PRIVATE_H
#define SUQIU_STORE_PRIVATE_H

#include <sqlite3.h>
#include <stdint.h>

#include "error.h"
#include "store.h"

#define STORE_STMT_CACHE 128

struct sq_store {
	sqlite3 *db;
	char *path;
	int in_tx;
	int temp_in_memory;     /* PRAGMA temp_store is MEMORY (store.c, temp_store()) */
	uint64_t rollbacks;     /* store_rollbacks() */
	struct {
		const char *sql;   /* static string: identity is the pointer */
		sqlite3_stmt *stmt;
	} cache[STORE_STMT_CACHE];
	int ncache;
	/* Complaints whose title, text or address the full-text index has not
	 * seen yet in this transaction (store_fts_flush, store_commit);
	 * fts_deferring: this transaction holds the fts_deferred row. */
	int64_t *fts_ids;
	size_t fts_n, fts_cap;
	int fts_deferring;
	/* The linkage index's rows of a time range, in memory (store_index.c). */
	struct store_resident *resident;
};

/*
 * store_begin for a transaction one statement of which may change pages
 * without bound (store_prune's UPDATE of years of complaints): that
 * statement's journal spills to a temporary file instead of memory.
 */
sq_err store_begin_spilling(struct sq_store *st, struct sq_error *err);

/*
 * In a transaction, take over full-text indexing from the update trigger
 * until store_fts_flush (schema step 8); store_put_placed always has one,
 * and queues what it inserts or changes (no trigger indexes an insert
 * since step 20).  No-op outside a transaction and when already done.
 */
sq_err store_fts_defer(struct sq_store *st, struct sq_error *err);

/*
 * Index the complaints queued in st->fts_ids in complaints_fts, in one
 * statement, empty the queue and hand indexing back to the update trigger.
 * store_commit calls it before COMMIT.
 */
sq_err store_fts_flush(struct sq_store *st, struct sq_error *err);

/*
 * A prepared statement for sql (a string literal), reset and with bindings
 * cleared, cached for the life of the store.
 */
sq_err store_stmt(struct sq_store *st, const char *sql, sqlite3_stmt **out,
		  struct sq_error *err);

/* Fill err from the connection's last error, prefixed with what failed. */
sq_err store_db_error(struct sq_store *st, const char *what, struct sq_error *err);

/* Step s (a statement with no result rows) to completion and reset it;
 * what names the work in the error. */
sq_err store_step_done(struct sq_store *st, sqlite3_stmt *s, const char *what,
		       struct sq_error *err);

/*
 * *out = the first column of the first row of sql (a string literal),
 * whose first nparams (0..2) parameters are bound to a and b; 0 when the
 * query returns no row.
 */
sq_err store_query_int(struct sq_store *st, const char *sql, int nparams, int64_t a, int64_t b,
		       int64_t *out, const char *what, struct sq_error *err);

/* Run SQL with no results (may hold several statements). */
sq_err store_exec(struct sq_store *st, const char *sql, struct sq_error *err);

/* Bind helpers: NULL strings bind SQL NULL; 0 times bind NULL when nullable. */
int store_bind_text(sqlite3_stmt *s, int i, const char *v);
int store_bind_time(sqlite3_stmt *s, int i, int64_t t);

struct sq_buf;
/*
 * Bind v[0..n) to parameter i as one JSON array, for json_each(?i): one
 * statement for a whole list of ids.  The text is built in *json, which
 * the caller releases after the statement has run.  SQ_ENOMEM only.
 */
sq_err store_bind_ids(sqlite3_stmt *s, int i, const int64_t *v, size_t n, struct sq_buf *json);

/* Column helpers: a malloc'd copy (NULL for SQL NULL); out of memory sets *oom. */
char *store_col_text(sqlite3_stmt *s, int i, int *oom);

/*
 * The linkage index (store_index.c).  store_index_register: the SQL
 * function schema step 16 uses (on every connection, before migrating).
 * store_index_check, at each transaction's start: drop the rows in memory
 * if another connection has committed since they were read.
 * store_index_forget: drop them (a rollback undid what they hold).
 * store_index_free: and the memory that held them (closing).
 * store_index_put: (re)write complaint id's row of hashes (reindex: remove
 * the old one first; no keys and no bands: no row).
 */
sq_err store_index_register(struct sq_store *st, struct sq_error *err);
sq_err store_index_check(struct sq_store *st, struct sq_error *err);
void store_index_forget(struct sq_store *st);
void store_index_free(struct sq_store *st);
sq_err store_index_put(struct sq_store *st, int64_t id, int64_t at, int reindex,
		       const char *const *keys, size_t nkeys, const int64_t *bands,
		       size_t nbands, struct sq_error *err);

/* Migrations (store_schema.c): apply steps until user_version == target. */
sq_err store_migrate(struct sq_store *st, int target, struct sq_error *err);
int store_schema_count(void);

#endif
