/* Helpers shared by the unit tests: temporary directories and files. */
#ifndef SUQIU_TESTUTIL_H
#define SUQIU_TESTUTIL_H

#include <stddef.h>

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

#endif
