/* The growable buffer and the error context. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
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

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_append_and_format),
		cmocka_unit_test(test_binary_and_detach),
		cmocka_unit_test(test_grow_refuses_overflow),
		cmocka_unit_test(test_array_reserve),
		cmocka_unit_test(test_error_context),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
