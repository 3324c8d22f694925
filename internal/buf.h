/*
 * buf.h — growable byte buffer (in the spirit of git's strbuf and Redis' sds).
 *
 * Used for response bodies, SQL-free message text, mail bodies and output.
 * data is always NUL-terminated (after len bytes) once anything was added,
 * so it can be passed as a C string when it holds text.  A zeroed struct
 * (SQ_BUF_INIT) is a valid empty buffer whose data is NULL.
 */
#ifndef SUQIU_BUF_H
#define SUQIU_BUF_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include "error.h"

struct sq_buf {
	char *data;
	size_t len;
	size_t cap;
};

#define SQ_BUF_INIT { NULL, 0, 0 }

/* Make sure len + extra + 1 bytes fit.  SQ_ENOMEM on overflow or failure. */
sq_err sq_buf_grow(struct sq_buf *b, size_t extra);

/* Append n bytes (may contain NUL). */
sq_err sq_buf_add(struct sq_buf *b, const void *data, size_t n);

/* Append a C string. */
sq_err sq_buf_adds(struct sq_buf *b, const char *s);

/* Append one byte. */
sq_err sq_buf_addc(struct sq_buf *b, char c);

/* Append printf-style formatted text. */
sq_err sq_buf_addf(struct sq_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
sq_err sq_buf_vaddf(struct sq_buf *b, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

/* Append v in decimal, as "%lld" would. */
sq_err sq_buf_add_i64(struct sq_buf *b, int64_t v);

/* Append v with `decimals` (0..6) digits after the point, exactly as
 * "%.*f" would (without printf for the usual magnitudes). */
sq_err sq_buf_add_fixed(struct sq_buf *b, double v, int decimals);

/* Empty the buffer, keeping its memory. */
void sq_buf_reset(struct sq_buf *b);

/* Free the memory and return to the empty state. */
void sq_buf_release(struct sq_buf *b);

/*
 * Hand the memory to the caller (free() it) and return to the empty state.
 * Returns an allocated empty string for an empty buffer, or NULL when that
 * allocation fails.
 */
char *sq_buf_detach(struct sq_buf *b);

/* The contents as a C string; "" for an empty buffer (never NULL). */
const char *sq_buf_str(const struct sq_buf *b);

/*
 * Make room for `need` elements of size elem in the array *arr, which has
 * room for *cap (NULL and 0 at first): the capacity doubles, from 16.
 * SQ_ENOMEM on overflow or failure, *arr and *cap then unchanged.
 *     if (sq_array_reserve((void **)&v, &cap, n + 1, sizeof(*v))) ...
 */
sq_err sq_array_reserve(void **arr, size_t *cap, size_t need, size_t elem);

/* Sort v[0..n) ascending, in place, without a call per comparison (no
 * quadratic case either).  sq_sort_i64 by signed value. */
void sq_sort_u64(uint64_t *v, size_t n);
void sq_sort_i64(int64_t *v, size_t n);

/* sq_sort_u64 with room for n more keys at scratch (its contents lost;
 * NULL: none): longer arrays are sorted by their bytes (a radix sort, no
 * branch per comparison to mispredict), the bytes all keys share skipped.
 * sq_sort_u64 and sq_sort_i64 allocate that room themselves, and sort
 * without it when they cannot. */
void sq_sort_u64_scratch(uint64_t *v, size_t n, uint64_t *scratch);

/* strdup that returns NULL for NULL input (and on failure). */
char *sq_strdup(const char *s);

/* Copy n bytes into a new NUL-terminated string, NULL on failure. */
char *sq_strndup(const char *s, size_t n);

#endif
