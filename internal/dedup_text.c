/*
 * Text for record linkage: folding, bigram terms, TF-IDF cosine, MinHash.
 * See dedup_compare.h.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "dedup_compare.h"
#include "banned.h"

/* Code point 0 marks a separator in folded sequences. */
#define SEP 0u

/* Decode one UTF-8 sequence at s (n bytes left); *len receives its length.
 * Malformed or overlong sequences decode as SEP with length 1. */
static uint32_t utf8_next(const unsigned char *s, size_t n, size_t *len)
{
	uint32_t cp;
	size_t need, i;

	*len = 1;
	if (s[0] < 0x80)
		return s[0];
	if ((s[0] & 0xe0) == 0xc0) {
		cp = s[0] & 0x1f;
		need = 1;
	} else if ((s[0] & 0xf0) == 0xe0) {
		cp = s[0] & 0x0f;
		need = 2;
	} else if ((s[0] & 0xf8) == 0xf0) {
		cp = s[0] & 0x07;
		need = 3;
	} else {
		return SEP;
	}
	if (need >= n)
		return SEP;
	for (i = 1; i <= need; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return SEP;
		cp = (cp << 6) | (s[i] & 0x3f);
	}
	if ((need == 1 && cp < 0x80) || (need == 2 && cp < 0x800) ||
	    (need == 3 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp <= 0xdfff))
		return SEP;
	*len = need + 1;
	return cp;
}

static size_t utf8_put(uint32_t cp, char out[4])
{
	if (cp < 0x80) {
		out[0] = (char)cp;
		return 1;
	}
	if (cp < 0x800) {
		out[0] = (char)(0xc0 | (cp >> 6));
		out[1] = (char)(0x80 | (cp & 0x3f));
		return 2;
	}
	if (cp < 0x10000) {
		out[0] = (char)(0xe0 | (cp >> 12));
		out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		out[2] = (char)(0x80 | (cp & 0x3f));
		return 3;
	}
	out[0] = (char)(0xf0 | (cp >> 18));
	out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
	out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
	out[3] = (char)(0x80 | (cp & 0x3f));
	return 4;
}

/*
 * The characters that carry meaning, folded; SEP for everything else.
 * Punctuation, symbols and spaces separate runs rather than vanish, so that
 * no bigram straddles a comma.
 */
static uint32_t fold_cp(uint32_t cp)
{
	if (cp >= 'A' && cp <= 'Z')
		return cp + 32;
	if ((cp >= 'a' && cp <= 'z') || (cp >= '0' && cp <= '9'))
		return cp;
	if (cp < 0x80)
		return SEP;
	if (cp >= 0xff10 && cp <= 0xff19)           /* full-width digits */
		return cp - 0xff10 + '0';
	if (cp >= 0xff21 && cp <= 0xff3a)           /* full-width capitals */
		return cp - 0xff21 + 'a';
	if (cp >= 0xff41 && cp <= 0xff5a)
		return cp - 0xff41 + 'a';
	if ((cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf) ||
	    (cp >= 0xf900 && cp <= 0xfaff) || (cp >= 0x20000 && cp <= 0x3134f) ||
	    cp == 0x3007 /* 〇 */)
		return cp;
	if ((cp >= 0xc0 && cp <= 0x24f && cp != 0xd7 && cp != 0xf7) ||
	    (cp >= 0x370 && cp <= 0x3ff) || (cp >= 0x400 && cp <= 0x4ff))
		return cp;
	return SEP;
}

/* Fold s into cps (appending), SEP collapsed.  cps has room for strlen(s)+1. */
static size_t fold_into(const char *s, uint32_t *cps, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s), len;
	uint32_t cp;

	while (left) {
		cp = fold_cp(utf8_next(p, left, &len));
		p += len;
		left -= len;
		if (cp == SEP && (n == 0 || cps[n - 1] == SEP))
			continue;
		cps[n++] = cp;
	}
	return n;
}

static int cmp_len_desc(const void *a, const void *b, void *lens)
{
	const size_t *len = lens;
	size_t la = len[*(const size_t *)a], lb = len[*(const size_t *)b];

	return la < lb ? 1 : la > lb ? -1 : 0;
}

void dedup_boilerplate_release(struct dedup_boilerplate *bp)
{
	size_t i;

	for (i = 0; i < bp->n; i++)
		free(bp->phrase[i]);
	free(bp->phrase);
	free(bp->len);
	memset(bp, 0, sizeof(*bp));
}

sq_err dedup_boilerplate_init(struct dedup_boilerplate *bp, const struct sq_strlist *list)
{
	size_t i, j, k, *order = NULL;
	uint32_t **phrase = NULL;
	size_t *len = NULL;

	memset(bp, 0, sizeof(*bp));
	if (!list || !list->n)
		return SQ_OK;
	order = calloc(list->n, sizeof(*order));
	phrase = calloc(list->n, sizeof(*phrase));
	len = calloc(list->n, sizeof(*len));
	if (!order || !phrase || !len)
		goto oom;
	for (i = 0; i < list->n; i++) {
		uint32_t *cps = malloc((strlen(list->items[i]) + 1) * sizeof(*cps));
		size_t n;

		if (!cps)
			goto oom;
		n = fold_into(list->items[i], cps, 0);
		/* A phrase matches within a run: drop its inner separators. */
		for (j = k = 0; j < n; j++)
			if (cps[j] != SEP)
				cps[k++] = cps[j];
		phrase[i] = cps;
		len[i] = k;
		order[i] = i;
	}
	qsort_r(order, list->n, sizeof(*order), cmp_len_desc, len);
	bp->phrase = calloc(list->n, sizeof(*bp->phrase));
	bp->len = calloc(list->n, sizeof(*bp->len));
	if (!bp->phrase || !bp->len)
		goto oom;
	for (i = 0; i < list->n; i++) {
		size_t o = order[i];

		if (!len[o])
			continue;
		bp->phrase[bp->n] = phrase[o];
		bp->len[bp->n++] = len[o];
		phrase[o] = NULL;
	}
	for (i = 0; i < list->n; i++)
		free(phrase[i]);
	free(phrase);
	free(len);
	free(order);
	return SQ_OK;
oom:
	if (phrase)
		for (i = 0; i < list->n; i++)
			free(phrase[i]);
	free(phrase);
	free(len);
	free(order);
	dedup_boilerplate_release(bp);
	return SQ_ENOMEM;
}

/* Replace every boilerplate occurrence in cps[0..n) by SEP, in place;
 * returns the new length (separators collapsed). */
static size_t strip_boilerplate(uint32_t *cps, size_t n, const struct dedup_boilerplate *bp)
{
	size_t i, k, out = 0;

	if (!bp || !bp->n)
		return n;
	for (i = 0; i < n;) {
		int hit = 0;

		for (k = 0; cps[i] != SEP && k < bp->n; k++) {
			if (bp->len[k] <= n - i &&
			    !memcmp(cps + i, bp->phrase[k], bp->len[k] * sizeof(*cps))) {
				i += bp->len[k];
				hit = 1;
				break;
			}
		}
		if (hit) {
			if (out && cps[out - 1] != SEP)
				cps[out++] = SEP;
			continue;
		}
		if (cps[i] == SEP && (out == 0 || cps[out - 1] == SEP)) {
			i++;
			continue;
		}
		cps[out++] = cps[i++];
	}
	return out;
}

sq_err dedup_fold_text(const char *title, const char *text,
		       const struct dedup_boilerplate *bp, char **out)
{
	size_t cap = 2 + (title ? strlen(title) : 0) + (text ? strlen(text) : 0);
	struct sq_buf b = SQ_BUF_INIT;
	uint32_t *cps;
	size_t n = 0, i;
	sq_err rc = SQ_OK;

	*out = NULL;
	cps = malloc(cap * sizeof(*cps));
	if (!cps)
		return SQ_ENOMEM;
	if (title)
		n = fold_into(title, cps, n);
	if (n && cps[n - 1] != SEP)
		cps[n++] = SEP;
	if (text)
		n = fold_into(text, cps, n);
	n = strip_boilerplate(cps, n, bp);
	while (n && cps[n - 1] == SEP)
		n--;
	if (n && sq_buf_grow(&b, n * 3))
		rc = SQ_ENOMEM;
	for (i = 0; !rc && i < n; i++) {
		char u[4];

		if (cps[i] == SEP)
			rc = sq_buf_addc(&b, ' ');
		else
			rc = sq_buf_add(&b, u, utf8_put(cps[i], u));
	}
	free(cps);
	if (!rc) {
		*out = sq_buf_detach(&b);
		if (!*out)
			rc = SQ_ENOMEM;
	}
	sq_buf_release(&b);
	return rc;
}

void dedup_terms_release(struct dedup_terms *t)
{
	free(t->term);
	free(t->count);
	memset(t, 0, sizeof(*t));
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

sq_err dedup_terms_from_folded(const char *folded, struct dedup_terms *t)
{
	const unsigned char *p = (const unsigned char *)folded;
	size_t left = strlen(folded), len, n = 0, runlen = 0, i, k;
	uint64_t *all;
	uint32_t cp, prev = SEP;

	memset(t, 0, sizeof(*t));
	/* At most one term per character, plus one per run of one. */
	all = malloc((left + 1) * sizeof(*all));
	if (!all)
		return SQ_ENOMEM;
	for (;;) {
		cp = left ? fold_cp(utf8_next(p, left, &len)) : SEP;
		if (cp == SEP) {
			if (runlen == 1)
				all[n++] = (uint64_t)prev << 21;
			runlen = 0;
			if (!left)
				break;
		} else {
			if (runlen)
				all[n++] = (uint64_t)prev << 21 | cp;
			runlen++;
		}
		prev = cp;
		p += len;
		left -= len;
	}
	if (!n) {
		free(all);
		return SQ_OK;
	}
	qsort(all, n, sizeof(*all), cmp_u64);
	t->term = malloc(n * sizeof(*t->term));
	t->count = malloc(n * sizeof(*t->count));
	if (!t->term || !t->count) {
		free(all);
		dedup_terms_release(t);
		return SQ_ENOMEM;
	}
	for (i = 0; i < n; i = k) {
		for (k = i + 1; k < n && all[k] == all[i]; k++)
			;
		t->term[t->n] = all[i];
		t->count[t->n++] = (uint32_t)(k - i);
	}
	free(all);
	return SQ_OK;
}

double dedup_idf(int64_t df, int64_t ndocs)
{
	if (df < 0)
		df = 0;
	if (ndocs < df)
		ndocs = df;
	return log((1.0 + (double)ndocs) / (1.0 + (double)df)) + 1.0;
}

static double tf(uint32_t count)
{
	return 1.0 + log((double)count);
}

double dedup_cosine(const struct dedup_terms *a, const double *idf_a,
		    const struct dedup_terms *b, const double *idf_b)
{
	double dot = 0, na = 0, nb = 0, w;
	size_t i = 0, j = 0;

	if (!a->n || !b->n)
		return 0;
	for (i = 0; i < a->n; i++) {
		w = tf(a->count[i]) * idf_a[i];
		na += w * w;
	}
	for (j = 0; j < b->n; j++) {
		w = tf(b->count[j]) * idf_b[j];
		nb += w * w;
	}
	for (i = j = 0; i < a->n && j < b->n;) {
		if (a->term[i] < b->term[j]) {
			i++;
		} else if (a->term[i] > b->term[j]) {
			j++;
		} else {
			dot += tf(a->count[i]) * idf_a[i] * tf(b->count[j]) * idf_b[j];
			i++;
			j++;
		}
	}
	if (na <= 0 || nb <= 0)
		return 0;
	return dot / (sqrt(na) * sqrt(nb));
}

/* splitmix64's finalizer: a fast, well-mixed 64-bit permutation. */
static uint64_t mix64(uint64_t x)
{
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

int dedup_minhash_bands(const struct dedup_terms *t, int64_t bands[DEDUP_LSH_BANDS])
{
	uint64_t mins[DEDUP_LSH_BANDS * DEDUP_LSH_ROWS];
	size_t i, k, b, r;

	if (!t->n)
		return 0;
	for (k = 0; k < DEDUP_LSH_BANDS * DEDUP_LSH_ROWS; k++)
		mins[k] = UINT64_MAX;
	for (i = 0; i < t->n; i++) {
		uint64_t h = mix64(t->term[i]);

		for (k = 0; k < DEDUP_LSH_BANDS * DEDUP_LSH_ROWS; k++) {
			/* Hash k of the family: a keyed remix of one base hash. */
			uint64_t hk = mix64(h ^ (0x9e3779b97f4a7c15ULL * (k + 1)));

			if (hk < mins[k])
				mins[k] = hk;
		}
	}
	for (b = 0; b < DEDUP_LSH_BANDS; b++) {
		uint64_t h = mix64(b + 1);

		for (r = 0; r < DEDUP_LSH_ROWS; r++)
			h = mix64(h ^ mins[b * DEDUP_LSH_ROWS + r]);
		bands[b] = (int64_t)h;
	}
	return 1;
}
