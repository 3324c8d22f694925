/* Maintenance: online backup. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "store.h"
#include "store_private.h"
#include "banned.h"

/* Copy into tmp with the backup API: a read transaction in WAL mode, so a
 * running poll neither blocks it nor is blocked by it. */
static sq_err backup_to(struct sq_store *st, const char *tmp, struct sq_error *err)
{
	sqlite3 *dst = NULL;
	sqlite3_backup *b;
	sq_err rc = SQ_OK;
	int step;

	if (sqlite3_open_v2(tmp, &dst, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, NULL) != SQLITE_OK) {
		rc = sq_fail(err, SQ_EIO, "%s: %s", tmp, dst ? sqlite3_errmsg(dst) : "out of memory");
		sqlite3_close(dst);
		return rc;
	}
	b = sqlite3_backup_init(dst, "main", st->db, "main");
	if (!b) {
		rc = sq_fail(err, SQ_EDB, "%s: backup: %s", tmp, sqlite3_errmsg(dst));
		sqlite3_close(dst);
		return rc;
	}
	do {
		step = sqlite3_backup_step(b, 256);
		if (step == SQLITE_BUSY || step == SQLITE_LOCKED)
			sqlite3_sleep(20);
	} while (step == SQLITE_OK || step == SQLITE_BUSY || step == SQLITE_LOCKED);
	sqlite3_backup_finish(b);
	if (step != SQLITE_DONE)
		rc = sq_fail(err, SQ_EDB, "%s: backup: %s (sqlite error %d)", tmp,
			     sqlite3_errstr(step), step);
	else if (sqlite3_exec(dst, "PRAGMA journal_mode = DELETE", NULL, NULL, NULL) != SQLITE_OK)
		rc = sq_fail(err, SQ_EDB, "%s: backup: %s", tmp, sqlite3_errmsg(dst));
	if (sqlite3_close(dst) != SQLITE_OK && !rc)
		rc = sq_fail(err, SQ_EIO, "%s: closing the backup failed", tmp);
	return rc;
}

sq_err store_backup(struct sq_store *st, const char *dest, struct sq_error *err)
{
	struct sq_buf tmp = SQ_BUF_INIT;
	sq_err rc;

	if (sq_buf_addf(&tmp, "%s.tmp-%ld", dest, (long)getpid()))
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	unlink(tmp.data);
	rc = backup_to(st, tmp.data, err);
	if (!rc && rename(tmp.data, dest) != 0)
		rc = sq_fail(err, SQ_EIO, "%s: %s", dest, strerror(errno));
	if (rc)
		unlink(tmp.data);
	sq_buf_release(&tmp);
	return rc;
}
