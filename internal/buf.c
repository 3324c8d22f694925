#include "buf.h"

#include <stdint.h>
#include <stdio.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#include "banned.h"

/* Huge pages are 2 MiB on x86-64 and arm64 (4 KiB base pages). */
#define HUGE_PAGE ((uintptr_t)2 << 20)

/*
 * Ask for transparent huge pages for the whole 2 MiB pages inside a large
 * block (Debian's default THP mode is "madvise": only asked-for memory).
 * Every first touch of a 4 KiB page is a fault: on this project's bench
 * machine, a virtual machine, about 7 us each, and at a million stored an
 * import's resident linkage index, page text and detector rows are tens
 * of MB.  A hint only: an error (no THP in the kernel) changes nothing.
 */
static void want_huge_pages(void *p, size_t size)
{
	uintptr_t from = ((uintptr_t)p + HUGE_PAGE - 1) & ~(HUGE_PAGE - 1);
	uintptr_t to = ((uintptr_t)p + size) & ~(HUGE_PAGE - 1);

	if (size >= 2 * HUGE_PAGE && to > from)
		(void)madvise((void *)from, to - from, MADV_HUGEPAGE);
}

sq_err sq_buf_grow(struct sq_buf *b, size_t extra)
{
	size_t need, cap;
	char *p;

	if (extra > SIZE_MAX - b->len - 1)
		return SQ_ENOMEM;
	need = b->len + extra + 1;
	if (need <= b->cap)
		return SQ_OK;
	cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap = cap > SIZE_MAX / 2 ? need : cap * 2;
	p = realloc(b->data, cap);
	if (!p)
		return SQ_ENOMEM;
	want_huge_pages(p, cap);
	b->data = p;
	b->cap = cap;
	return SQ_OK;
}

sq_err sq_array_reserve(void **arr, size_t *cap, size_t need, size_t elem)
{
	size_t ncap;
	void *p;

	if (need <= *cap)
		return SQ_OK;
	ncap = *cap ? *cap : 16;
	while (ncap < need)
		ncap = ncap > SIZE_MAX / 2 ? need : ncap * 2;
	if (!elem || ncap > SIZE_MAX / elem)
		return SQ_ENOMEM;
	p = realloc(*arr, ncap * elem);
	if (!p)
		return SQ_ENOMEM;
	want_huge_pages(p, ncap * elem);
	*arr = p;
	*cap = ncap;
	return SQ_OK;
}

sq_err sq_buf_add(struct sq_buf *b, const void *data, size_t n)
{
	if (sq_buf_grow(b, n))
		return SQ_ENOMEM;
	if (n)
		memcpy(b->data + b->len, data, n);
	b->len += n;
	b->data[b->len] = '\0';
	return SQ_OK;
}

sq_err sq_buf_adds(struct sq_buf *b, const char *s)
{
	return sq_buf_add(b, s, strlen(s));
}

sq_err sq_buf_addc(struct sq_buf *b, char c)
{
	return sq_buf_add(b, &c, 1);
}

sq_err sq_buf_vaddf(struct sq_buf *b, const char *fmt, va_list ap)
{
	va_list cp;
	int n;

	if (sq_buf_grow(b, 64))
		return SQ_ENOMEM;
	va_copy(cp, ap);
	n = vsnprintf(b->data + b->len, b->cap - b->len, fmt, cp);
	va_end(cp);
	if (n < 0)
		return SQ_ENOMEM;
	if ((size_t)n >= b->cap - b->len) {
		if (sq_buf_grow(b, (size_t)n))
			return SQ_ENOMEM;
		vsnprintf(b->data + b->len, b->cap - b->len, fmt, ap);
	}
	b->len += (size_t)n;
	return SQ_OK;
}

sq_err sq_buf_addf(struct sq_buf *b, const char *fmt, ...)
{
	va_list ap;
	sq_err rc;

	va_start(ap, fmt);
	rc = sq_buf_vaddf(b, fmt, ap);
	va_end(ap);
	return rc;
}

/* The decimal digits of v at the end of end[-20..0), the first returned. */
static char *digits_of(uint64_t v, char *end)
{
	do {
		*--end = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	return end;
}

sq_err sq_buf_add_i64(struct sq_buf *b, int64_t v)
{
	char tmp[24], *end = tmp + sizeof(tmp), *p;
	/* the magnitude, without overflow for INT64_MIN */
	uint64_t m = v < 0 ? (uint64_t)0 - (uint64_t)v : (uint64_t)v;

	p = digits_of(m, end);
	if (v < 0)
		*--p = '-';
	return sq_buf_add(b, p, (size_t)(end - p));
}

/*
 * printf rounds the exact binary value of v; v * 10^decimals, rounded to a
 * double, rounds to the same integer unless it lies within its rounding
 * error of a half (a tie, or nearly one): then, and for large or odd
 * values, printf decides.
 */
sq_err sq_buf_add_fixed(struct sq_buf *b, double v, int decimals)
{
	static const double scale[] = { 1, 10, 100, 1e3, 1e4, 1e5, 1e6 };
	char tmp[40], *end = tmp + sizeof(tmp), *p = end;
	double x, r;
	uint64_t m;
	int i;

	if (decimals < 0 || decimals > 6 || !isfinite(v))
		return sq_buf_addf(b, "%.*f", decimals, v);
	/* below 1e9 the product is within 1e-7 of the exact one */
	x = fabs(v) * scale[decimals];
	if (x >= 1e9 || fabs(x - floor(x) - 0.5) < 1e-6)
		return sq_buf_addf(b, "%.*f", decimals, v);
	r = floor(x + 0.5);
	m = (uint64_t)r;
	for (i = 0; i < decimals; i++) {
		*--p = (char)('0' + m % 10);
		m /= 10;
	}
	if (decimals)
		*--p = '.';
	p = digits_of(m, p);
	if (signbit(v))
		*--p = '-';
	return sq_buf_add(b, p, (size_t)(end - p));
}

void sq_buf_reset(struct sq_buf *b)
{
	b->len = 0;
	if (b->data)
		b->data[0] = '\0';
}

void sq_buf_release(struct sq_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

char *sq_buf_detach(struct sq_buf *b)
{
	char *p = b->data;

	if (!p)
		return calloc(1, 1);
	b->data = NULL;
	b->len = b->cap = 0;
	return p;
}

const char *sq_buf_str(const struct sq_buf *b)
{
	return b->data ? b->data : "";
}

char *sq_strdup(const char *s)
{
	return s ? strdup(s) : NULL;
}

char *sq_strndup(const char *s, size_t n)
{
	char *p = malloc(n + 1);

	if (!p)
		return NULL;
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/*
 * qsort's call per comparison was most of the cost of making a document's
 * terms (4% of an import) and of sorting a complaint's candidates (3%);
 * this is a quicksort with the comparison inline (Hoare's partition
 * around the middle element), insertion sort for short runs, and qsort
 * itself past depth budget `depth` (no quadratic case on adversarial
 * input).
 */
static void sort_u64(uint64_t *v, size_t n, int depth)
{
	size_t i, j;
	uint64_t x;

	while (n > 16) {
		uint64_t pivot = v[(n - 1) / 2];

		if (depth-- <= 0) {
			qsort(v, n, sizeof(*v), cmp_u64);
			return;
		}
		i = 0;
		j = n - 1;
		for (;;) {
			while (v[i] < pivot)
				i++;
			while (v[j] > pivot)
				j--;
			if (i >= j)
				break;
			x = v[i];
			v[i++] = v[j];
			v[j--] = x;
		}
		/* v[0..j] <= pivot <= v[j+1..n): the shorter side recursively */
		if (j + 1 < n - j - 1) {
			sort_u64(v, j + 1, depth);
			v += j + 1;
			n -= j + 1;
		} else {
			sort_u64(v + j + 1, n - j - 1, depth);
			n = j + 1;
		}
	}
	for (i = 1; i < n; i++) {
		x = v[i];
		for (j = i; j > 0 && v[j - 1] > x; j--)
			v[j] = v[j - 1];
		v[j] = x;
	}
}

/* Below this, the quicksort: a radix pass's 256 counters cost more. */
#define RADIX_MIN 64

/*
 * Least significant byte first, a stable counting pass per byte; a byte in
 * which all keys agree is passed over (term keys use 42 of the 64 bits,
 * candidate ids three or four bytes).  More instructions than the
 * quicksort, but none of its mispredicted branches on random keys: making
 * the terms of 10,000 texts of the bench (156 keys each), the fastest of
 * six runs 3.7 us a text against 6.0 us with the quicksort.
 */
static void radix_u64(uint64_t *v, size_t n, uint64_t *scratch)
{
	uint64_t any = 0, all = ~(uint64_t)0, *src = v, *dst = scratch, *t;
	uint32_t count[256], at, c;
	size_t i;
	int shift;

	for (i = 0; i < n; i++) {
		any |= v[i];
		all &= v[i];
	}
	for (shift = 0; shift < 64; shift += 8) {
		if (!((any ^ all) >> shift & 0xff))
			continue;
		memset(count, 0, sizeof(count));
		for (i = 0; i < n; i++)
			count[src[i] >> shift & 0xff]++;
		for (i = 0, at = 0; i < 256; i++) {
			c = count[i];
			count[i] = at;
			at += c;
		}
		for (i = 0; i < n; i++)
			dst[count[src[i] >> shift & 0xff]++] = src[i];
		t = src;
		src = dst;
		dst = t;
	}
	if (src != v)
		memcpy(v, src, n * sizeof(*v));
}

void sq_sort_u64_scratch(uint64_t *v, size_t n, uint64_t *scratch)
{
	if (!scratch || n < RADIX_MIN || n > UINT32_MAX)
		sort_u64(v, n, 64);
	else
		radix_u64(v, n, scratch);
}

/* By bytes into scratch room of its own when n is long enough and the room
 * is there; the quicksort otherwise (no failure to report). */
static void sort_any(uint64_t *v, size_t n)
{
	uint64_t *scratch = n >= RADIX_MIN ? malloc(n * sizeof(*scratch)) : NULL;

	sq_sort_u64_scratch(v, n, scratch);
	free(scratch);
}

void sq_sort_u64(uint64_t *v, size_t n)
{
	sort_any(v, n);
}

void sq_sort_i64(int64_t *v, size_t n)
{
	/* flipping the sign bit maps int64 order onto uint64 order */
	const uint64_t sign = (uint64_t)1 << 63;
	uint64_t *u = (uint64_t *)v;
	size_t i;

	for (i = 0; i < n; i++)
		u[i] ^= sign;
	sort_any(u, n);
	for (i = 0; i < n; i++)
		u[i] ^= sign;
}
