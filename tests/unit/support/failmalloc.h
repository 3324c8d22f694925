/*
 * failmalloc.h — a torture allocator (curl's "torture" mode): while armed,
 * the Nth allocation of the process fails.  Include it in exactly one .c
 * file of a test program: it replaces malloc, calloc and realloc for the
 * whole program (SQLite's and libcurl's calls included) by wrappers around
 * glibc's __libc_* functions.
 *
 * A sanitizer build has its own allocator that must not be replaced:
 * there FAILMALLOC_AVAILABLE is 0 and the tests that need it skip.
 */
#ifndef SUQIU_FAILMALLOC_H
#define SUQIU_FAILMALLOC_H

#include <stddef.h>

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define FAILMALLOC_AVAILABLE 0
static void failmalloc_arm(long n) { (void)n; }
static long failmalloc_disarm(void) { return 0; }
#else
#define FAILMALLOC_AVAILABLE 1

void *__libc_malloc(size_t n);
void *__libc_calloc(size_t n, size_t size);
void *__libc_realloc(void *p, size_t n);

/* The test's own state: which allocation fails, how many were made. */
static struct {
	long fail_at;   /* 0: disarmed */
	long calls;
	long failed;
} failmalloc;

static int failmalloc_fails(void)
{
	if (!failmalloc.fail_at)
		return 0;
	if (++failmalloc.calls != failmalloc.fail_at)
		return 0;
	failmalloc.failed++;
	return 1;
}

void *malloc(size_t n)
{
	return failmalloc_fails() ? NULL : __libc_malloc(n);
}

void *calloc(size_t n, size_t size)
{
	return failmalloc_fails() ? NULL : __libc_calloc(n, size);
}

void *realloc(void *p, size_t n)
{
	return failmalloc_fails() ? NULL : __libc_realloc(p, n);
}

/* Make the nth allocation from now fail (n >= 1). */
static void failmalloc_arm(long n)
{
	failmalloc.fail_at = n;
	failmalloc.calls = 0;
	failmalloc.failed = 0;
}

/* Stop failing; returns how many allocations failed (0: n was never reached). */
static long failmalloc_disarm(void)
{
	failmalloc.fail_at = 0;
	return failmalloc.failed;
}
#endif

#endif
