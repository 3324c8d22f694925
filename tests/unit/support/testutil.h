/* Helpers shared by the unit tests: temporary directories and files, and
 * SQLite files looked at (or changed) from outside the store. */
#ifndef SUQIU_TESTUTIL_H
#define SUQIU_TESTUTIL_H

#include <stddef.h>
#include <stdint.h>

/* A new empty directory under $TMPDIR (or /tmp); the path is malloc'd. */
char *test_tmpdir(void);

/* dir + "/" + name, malloc'd. */
char *test_path(const char *dir, const char *name);

/* Remove dir and everything in it. */
void test_rmtree(const char *dir);

/* Write text to path (mode 0600); 0 on success. */
int test_write_file(const char *path, const char *text);

/* The repository's top directory: $SUQIU_TOP or ".". */
const char *test_top(void);

/*
 * The first column of the first row sql gives on the SQLite file db, as
 * an integer (-1: no row), through a connection of its own.  A failing
 * open or statement fails the test.
 */
int64_t test_sql_int(const char *db, const char *sql);

/* Run sql on db as another writer would (a sqlite3 shell); an error fails the test. */
void test_sql_exec(const char *db, const char *sql);

#endif
