/* The growable buffer and the error context. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <inttypes.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "buf.h"
#include "error.h"
#include "banned.h"

static void test_append_and_format(void **state)
{
	struct sq_buf b = SQ_BUF_INIT;
	int i;

	(void)state;
	assert_string_equal(sq_buf_str(&b), "");
	assert_int_equal(sq_buf_adds(&b, "恩宁路"), SQ_OK);
	assert_int_equal(sq_buf_addf(&b, "%d号", 88), SQ_OK);
	assert_string_equal(b.data, "恩宁路88号");
	assert_int_equal(b.len, strlen("恩宁路88号"));
	for (i = 0; i < 1000; i++)
		assert_int_equal(sq_buf_addf(&b, "%04d", i), SQ_OK);
	assert_int_equal(b.len, strlen("恩宁路88号") + 4000);
	assert_memory_equal(b.data + b.len - 4, "0999", 4);
	sq_buf_reset(&b);
	assert_int_equal(b.len, 0);
	assert_string_equal(b.data, "");
	sq_buf_release(&b);
	assert_null(b.data);
}

static void test_binary_and_detach(void **state)
{
	struct sq_buf b = SQ_BUF_INIT;
	char *s;

	(void)state;
	assert_int_equal(sq_buf_add(&b, "a\0b", 3), SQ_OK);
	assert_int_equal(b.len, 3);
	assert_int_equal(b.data[3], '\0');
	s = sq_buf_detach(&b);
	assert_memory_equal(s, "a\0b", 3);
	assert_null(b.data);
	free(s);
	s = sq_buf_detach(&b);
	assert_string_equal(s, "");
	free(s);
}

static void test_grow_refuses_overflow(void **state)
{
	struct sq_buf b = SQ_BUF_INIT;

	(void)state;
	assert_int_equal(sq_buf_adds(&b, "x"), SQ_OK);
	assert_int_equal(sq_buf_grow(&b, SIZE_MAX - 1), SQ_ENOMEM);
	assert_string_equal(b.data, "x");
	sq_buf_release(&b);
}

/* Doubling from 16 to what is asked; refusal leaves the array as it was. */
static void test_array_reserve(void **state)
{
	static const struct { size_t need, cap; } steps[] = {
		{ 0, 0 }, { 1, 16 }, { 16, 16 }, { 17, 32 }, { 100, 128 }, { 5, 128 },
	};
	int64_t *v = NULL;
	size_t cap = 0, i;

	(void)state;
	for (i = 0; i < sizeof(steps) / sizeof(steps[0]); i++) {
		assert_int_equal(sq_array_reserve((void **)&v, &cap, steps[i].need, sizeof(*v)), SQ_OK);
		assert_int_equal(cap, steps[i].cap);
		if (steps[i].need)
			v[steps[i].need - 1] = (int64_t)i;   /* the room is there (ASan) */
	}
	assert_int_equal(sq_array_reserve((void **)&v, &cap, SIZE_MAX / 4, sizeof(*v)), SQ_ENOMEM);
	assert_int_equal(cap, 128);
	assert_int_equal(v[99], 4);
	free(v);
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;

	return x < y ? -1 : x > y;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* Element i of n in one of the orders the sort must handle. */
static int64_t pattern(int kind, size_t i, size_t n, uint64_t *seed)
{
	switch (kind) {
	case 0:   /* random over the whole range, negatives included */
		*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
		return (int64_t)*seed;
	case 1:   /* ascending */
		return (int64_t)i - (int64_t)n / 2;
	case 2:   /* descending */
		return (int64_t)n - (int64_t)i;
	case 3:   /* all equal */
		return -7;
	case 4:   /* organ pipe */
		return (int64_t)(i < n / 2 ? i : n - i);
	default:  /* the extremes and few values: many repeats */
		return i % 3 == 0 ? INT64_MIN : i % 3 == 1 ? INT64_MAX : 0;
	}
}

static void test_sort_i64_u64(void **state)
{
	static const size_t sizes[] = { 0, 1, 2, 16, 17, 63, 64, 100, 5000 };
	uint64_t seed = 42;
	size_t s, i;
	int kind;

	(void)state;
	for (kind = 0; kind < 6; kind++)
		for (s = 0; s < sizeof(sizes) / sizeof(sizes[0]); s++) {
			size_t n = sizes[s];
			uint64_t seed2 = seed, seed3 = seed;   /* the same keys again */
			int64_t *v = malloc((n + 1) * sizeof(*v)), *want = malloc((n + 1) * sizeof(*v));
			uint64_t *u = malloc((n + 1) * sizeof(*u)), *uwant = malloc((n + 1) * sizeof(*u));

			assert_non_null(v);
			assert_non_null(want);
			assert_non_null(u);
			assert_non_null(uwant);
			for (i = 0; i < n; i++) {
				v[i] = want[i] = pattern(kind, i, n, &seed);
				u[i] = uwant[i] = (uint64_t)v[i];
			}
			qsort(want, n, sizeof(*want), cmp_i64);
			sq_sort_i64(v, n);
			assert_memory_equal(v, want, n * sizeof(*v));
			qsort(uwant, n, sizeof(*uwant), cmp_u64);
			sq_sort_u64(u, n);
			assert_memory_equal(u, uwant, n * sizeof(*u));
			/* with the caller's scratch room, and without any */
			for (i = 0; i < n; i++)
				u[i] = (uint64_t)pattern(kind, i, n, &seed2);
			sq_sort_u64_scratch(u, n, (uint64_t *)want);
			assert_memory_equal(u, uwant, n * sizeof(*u));
			for (i = 0; i < n; i++)
				u[i] = (uint64_t)pattern(kind, i, n, &seed3);
			sq_sort_u64_scratch(u, n, NULL);
			assert_memory_equal(u, uwant, n * sizeof(*u));
			free(v);
			free(want);
			free(u);
			free(uwant);
		}
}

/*
 * A large array asks for transparent huge pages (buf.c want_huge_pages):
 * its mapping in /proc/self/smaps carries VmFlags "hg".  Skipped where the
 * kernel has no THP.
 */
static int mapping_has_flag(const void *p, const char *flag)
{
	FILE *f = fopen("/proc/self/smaps", "r");
	char line[512];
	uintptr_t at = (uintptr_t)p, lo, hi;
	int in = 0, found = 0;

	assert_non_null(f);
	while (fgets(line, sizeof(line), f)) {
		if (sscanf(line, "%" SCNxPTR "-%" SCNxPTR " ", &lo, &hi) == 2)   /* a mapping */
			in = at >= lo && at < hi;
		else if (in && !strncmp(line, "VmFlags:", 8))
			found = strstr(line, flag) != NULL;
	}
	fclose(f);
	return found;
}

static void test_large_array_asks_for_huge_pages(void **state)
{
	const size_t mib = (size_t)1 << 20;
	unsigned char *v = NULL, *mid;
	size_t cap = 0;
	struct sq_buf b = SQ_BUF_INIT;

	(void)state;
	if (access("/sys/kernel/mm/transparent_hugepage/enabled", F_OK)) {
		skip();
		return;
	}
	assert_int_equal(sq_array_reserve((void **)&v, &cap, 16 * mib, 1), SQ_OK);
	mid = v + 8 * mib;
	assert_true(mapping_has_flag(mid, " hg"));
	free(v);
	assert_int_equal(sq_buf_grow(&b, 16 * mib), SQ_OK);
	assert_true(mapping_has_flag(b.data + 8 * mib, " hg"));
	sq_buf_release(&b);
	/* a small one is left alone */
	v = NULL;
	cap = 0;
	assert_int_equal(sq_array_reserve((void **)&v, &cap, 1024, 1), SQ_OK);
	assert_false(mapping_has_flag(v, " hg"));
	free(v);
}

static void test_error_context(void **state)
{
	struct sq_error err = { 0 };
	char longer[2000];

	(void)state;
	assert_int_equal(sq_fail(&err, SQ_EPARSE, "page %d: bad JSON", 3), SQ_EPARSE);
	assert_int_equal(sq_error_prefix(&err, "%s: ", "hotline"), SQ_EPARSE);
	assert_string_equal(err.msg, "hotline: page 3: bad JSON");
	assert_string_equal(sq_strerror(SQ_ENOMEM), "out of memory");
	assert_string_equal(sq_strerror((sq_err)999), "unknown error");
	assert_int_equal(sq_fail(NULL, SQ_EIO, "ignored"), SQ_EIO);
	memset(longer, 'x', sizeof(longer) - 1);
	longer[sizeof(longer) - 1] = '\0';
	sq_fail(&err, SQ_EIO, "%s", longer);
	assert_int_equal(strlen(err.msg), SQ_ERRMSG_MAX - 1);
	sq_error_prefix(&err, "prefix: ");
	assert_int_equal(strlen(err.msg), SQ_ERRMSG_MAX - 1);
	assert_memory_equal(err.msg, "prefix: xxx", 11);
	sq_error_clear(&err);
	assert_int_equal(err.code, SQ_OK);
	assert_string_equal(err.msg, "");
}

/* sq_buf_add_fixed and sq_buf_add_i64 write what printf writes. */
static void test_fixed_and_integers_as_printf(void **state)
{
	static const double values[] = {
		0, -0.0, 0.5, -0.5, 1.5, 2.5, 0.125, 0.375, -0.125, 0.005, 0.015, 2.675,
		1.005, -0.001, -0.0049, 0.0005, 7.5, -5, 48, 0.031, 0.999999, 9.995,
		123456.789, -987654.3215, 999999999.994, 999999999.996, 1e9, 1e15, -1e300,
		1e-300, 0.1, 0.2, 0.3, 1.0 / 3, 2.0 / 3, 0x1p-30, 12.345, -12.345,
	};
	static const int64_t ints[] = { 0, 1, -1, 9, 10, -10, 1234567890123LL,
					INT64_MAX, INT64_MIN, INT64_MIN + 1 };
	struct sq_buf b = SQ_BUF_INIT;
	uint64_t seed = 88172645463325252ULL;
	char want[400];
	size_t i;
	int d;

	(void)state;
	for (i = 0; i < sizeof(values) / sizeof(values[0]) + 20000; i++) {
		double v;

		if (i < sizeof(values) / sizeof(values[0])) {
			v = values[i];
		} else {   /* random magnitudes, many on exact halves of 10^-d */
			seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
			v = (double)(int64_t)(seed % 4000001 - 2000000) / (double)(1 << (seed >> 60));
			if (i % 3 == 0)
				v /= 1000;
		}
		for (d = 0; d <= 6; d++) {
			sq_buf_reset(&b);
			assert_int_equal(sq_buf_add_fixed(&b, v, d), SQ_OK);
			snprintf(want, sizeof(want), "%.*f", d, v);
			if (strcmp(sq_buf_str(&b), want))
				fail_msg("%.17g with %d decimals: %s, printf %s", v, d, sq_buf_str(&b),
					 want);
		}
	}
	sq_buf_reset(&b);
	assert_int_equal(sq_buf_add_fixed(&b, NAN, 2), SQ_OK);
	snprintf(want, sizeof(want), "%.2f", NAN);
	assert_string_equal(sq_buf_str(&b), want);
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		sq_buf_reset(&b);
		assert_int_equal(sq_buf_add_i64(&b, ints[i]), SQ_OK);
		snprintf(want, sizeof(want), "%lld", (long long)ints[i]);
		assert_string_equal(sq_buf_str(&b), want);
	}
	sq_buf_release(&b);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_format),
		cmocka_unit_test(test_fixed_and_integers_as_printf),
		cmocka_unit_test(test_binary_and_detach),
		cmocka_unit_test(test_grow_refuses_overflow),
		cmocka_unit_test(test_array_reserve),
		cmocka_unit_test(test_sort_i64_u64),
		cmocka_unit_test(test_large_array_asks_for_huge_pages),
		cmocka_unit_test(test_error_context),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
