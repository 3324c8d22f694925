/*
 * Text for record linkage: folding, bigram terms, TF-IDF cosine, MinHash.
 * See dedup_compare.h.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <uchar.h>

#include "buf.h"
#include "dedup_compare.h"
#include "banned.h"

/* Code point 0 marks a separator in folded sequences. */
#define SEP 0u

/* Decode one UTF-8 sequence at s (n bytes left); *len receives its length.
 * Malformed or overlong sequences decode as SEP with length 1. */
static inline uint32_t utf8_next(const unsigned char *s, size_t n, size_t *len)
{
	uint32_t cp;
	size_t need, i;

	*len = 1;
	if (s[0] < 0x80)
		return s[0];
	/* most of a Chinese text: three bytes, checked as the loop below does */
	if ((s[0] & 0xf0) == 0xe0 && n > 2 && (s[1] & 0xc0) == 0x80 && (s[2] & 0xc0) == 0x80) {
		cp = (uint32_t)(s[0] & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 | (s[2] & 0x3fu);
		if (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))
			return SEP;
		*len = 3;
		return cp;
	}
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
static inline uint32_t fold_cp(uint32_t cp)
{
	if (cp >= 0x4e00 && cp <= 0x9fff)           /* the common case first */
		return cp;
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

static size_t first_cp_slot(const struct dedup_first_cp *ix, uint32_t cp)
{
	size_t i = (size_t)(cp * 0x9e3779b1u) & (ix->slots - 1);

	while (ix->head[i] && ix->cp[i] != cp)
		i = (i + 1) & (ix->slots - 1);
	return i;
}

/* Put entry in front of cp's chain: add the entries last to first. */
static void first_cp_push(struct dedup_first_cp *ix, size_t entry, uint32_t cp)
{
	size_t i = first_cp_slot(ix, cp);

	ix->cp[i] = cp;
	ix->next[entry] = ix->head[i];
	ix->head[i] = entry + 1;
}

/* The first entry (+ 1) that starts with cp; 0 when none does. */
static size_t first_cp_chain(const struct dedup_first_cp *ix, uint32_t cp)
{
	return ix->slots ? ix->head[first_cp_slot(ix, cp)] : 0;
}

/* The slots for n entries: a power of two, over twice n. */
static size_t first_cp_slots(size_t n)
{
	size_t slots = 16;

	while (slots <= 2 * n)
		slots *= 2;
	return slots;
}

void dedup_boilerplate_release(struct dedup_boilerplate *bp)
{
	size_t i;

	for (i = 0; i < bp->n; i++)
		free(bp->phrase[i]);
	free(bp->phrase);
	free(bp->len);
	free(bp->by_first.cp);
	free(bp->by_first.head);
	free(bp->by_first.next);
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
	bp->by_first.slots = first_cp_slots(bp->n);
	bp->by_first.cp = calloc(bp->by_first.slots, sizeof(*bp->by_first.cp));
	bp->by_first.head = calloc(bp->by_first.slots, sizeof(*bp->by_first.head));
	bp->by_first.next = calloc(bp->n ? bp->n : 1, sizeof(*bp->by_first.next));
	if (!bp->by_first.cp || !bp->by_first.head || !bp->by_first.next)
		goto oom;
	for (i = bp->n; i-- > 0;)
		first_cp_push(&bp->by_first, i, bp->phrase[i][0]);
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

	for (i = 0; i < n;) {
		int hit = 0;

		/* only the phrases that start with this character, longest first */
		for (k = bp && cps[i] != SEP ? first_cp_chain(&bp->by_first, cps[i]) : 0; k;
		     k = bp->by_first.next[k - 1]) {
			if (bp->len[k - 1] <= n - i &&
			    !memcmp(cps + i, bp->phrase[k - 1], bp->len[k - 1] * sizeof(*cps))) {
				i += bp->len[k - 1];
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

sq_err dedup_problem_text(const char *folded, const struct sq_strlist *list, char **out)
{
	struct dedup_boilerplate bp;
	struct sq_buf b = SQ_BUF_INIT;
	uint32_t *cps;
	size_t n, i;
	sq_err rc;

	*out = NULL;
	rc = dedup_boilerplate_init(&bp, list);
	if (rc)
		return rc;
	cps = malloc((strlen(folded) + 1) * sizeof(*cps));
	if (!cps) {
		dedup_boilerplate_release(&bp);
		return SQ_ENOMEM;
	}
	n = fold_into(folded, cps, 0);
	for (i = 0; i < n; i++)
		if (cps[i] >= '0' && cps[i] <= '9')
			cps[i] = SEP;
	n = strip_boilerplate(cps, n, &bp);
	while (n && cps[n - 1] == SEP)
		n--;
	rc = sq_buf_add(&b, "", 0);
	for (i = 0; !rc && i < n; i++) {
		char u[4];

		if (cps[i] == SEP)
			rc = sq_buf_addc(&b, ' ');
		else
			rc = sq_buf_add(&b, u, utf8_put(cps[i], u));
	}
	free(cps);
	dedup_boilerplate_release(&bp);
	if (!rc)
		*out = sq_buf_detach(&b);
	sq_buf_release(&b);
	return rc || !*out ? SQ_ENOMEM : SQ_OK;
}

void dedup_terms_release(struct dedup_terms *t)
{
	free(t->term);
	free(t->tf);
	memset(t, 0, sizeof(*t));
}

static double tf(size_t count)
{
	/* Most terms occur once; log(1) is exactly 0, so this is the same value
	 * without a log call per term and pair. */
	if (count == 1)
		return 1.0;
	return 1.0 + log((double)count);
}

sq_err dedup_terms_from_folded(const char *folded, struct dedup_terms *t)
{
	const unsigned char *p = (const unsigned char *)folded;
	size_t left = strlen(folded), len, n = 0, runlen = 0, i, k, room;
	uint64_t *all;
	uint32_t cp, prev = SEP;

	memset(t, 0, sizeof(*t));
	/* At most two terms per character; as many again to sort them. */
	room = 2 * left + 1;
	all = malloc(2 * room * sizeof(*all));
	if (!all)
		return SQ_ENOMEM;
	for (;;) {
		cp = left ? fold_cp(utf8_next(p, left, &len)) : SEP;
		if (cp == SEP) {
			runlen = 0;
			if (!left)
				break;
		} else {
			if (runlen)
				all[n++] = (uint64_t)prev << 21 | cp;
			all[n++] = (uint64_t)cp << 21;
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
	sq_sort_u64_scratch(all, n, all + room);
	for (i = 0, k = 0; i < n; i++)
		k += !i || all[i] != all[i - 1];
	/* sized to the distinct terms: a candidate's stay in the doc cache */
	t->term = malloc(k * sizeof(*t->term));
	t->tf = malloc(k * sizeof(*t->tf));
	if (!t->term || !t->tf) {
		free(all);
		dedup_terms_release(t);
		return SQ_ENOMEM;
	}
	for (i = 0; i < n; i = k) {
		for (k = i + 1; k < n && all[k] == all[i]; k++)
			;
		t->term[t->n] = all[i];
		t->tf[t->n] = tf(k - i);
		t->n++;
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
	return log(((double)ndocs + DEDUP_IDF_PRIOR) / (1.0 + (double)df));
}

double dedup_cosine(const struct dedup_terms *a, const double *idf_a,
		    const struct dedup_terms *b, const double *idf_b)
{
	double dot = 0, na = 0, nb = 0, w;
	size_t i = 0, j = 0;

	if (!a->n || !b->n)
		return 0;
	for (i = 0; i < a->n; i++) {
		w = a->tf[i] * idf_a[i];
		na += w * w;
	}
	for (j = 0; j < b->n; j++) {
		w = b->tf[j] * idf_b[j];
		nb += w * w;
	}
	for (i = j = 0; i < a->n && j < b->n;) {
		if (a->term[i] < b->term[j]) {
			i++;
		} else if (a->term[i] > b->term[j]) {
			j++;
		} else {
			dot += a->tf[i] * idf_a[i] * b->tf[j] * idf_b[j];
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

/*
 * The hashes of the family are independent lanes, which the compiler turns
 * into vector code (8 at a time with AVX-512's 64-bit multiply) where the
 * machine has it; GCC builds a copy per target and picks one when the
 * program starts.  The same hashes either way.
 */
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
#define MINHASH_CLONES __attribute__((target_clones("arch=x86-64-v4", "avx2", "default")))
#else
#define MINHASH_CLONES
#endif

MINHASH_CLONES
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

			mins[k] = hk < mins[k] ? hk : mins[k];   /* no branch: vectorizes */
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

/* ---- named places and building numbers ---------------------------------- */

/* Decode s into cps (appending, no folding but full-width digits). */
static size_t decode_into(const char *s, uint32_t *cps, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t left = strlen(s), len;
	uint32_t cp;

	while (left) {
		cp = utf8_next(p, left, &len);
		if (cp >= 0xff10 && cp <= 0xff19)
			cp = cp - 0xff10 + '0';
		cps[n++] = cp;
		p += len;
		left -= len;
	}
	return n;
}

static int is_cjk(uint32_t cp)
{
	return (cp >= 0x4e00 && cp <= 0x9fff) || (cp >= 0x3400 && cp <= 0x4dbf);
}

/* Value of one Chinese numeral digit, -1 for other characters. */
static int cn_digit(uint32_t cp)
{
	static const uint32_t d[] = { 0x96f6, 0x4e00, 0x4e8c, 0x4e09, 0x56db, 0x4e94,
				      0x516d, 0x4e03, 0x516b, 0x4e5d };  /* 零一二三四五六七八九 */
	int i;

	if (cp == 0x3007)   /* 〇 */
		return 0;
	if (cp == 0x4e24)   /* 两 */
		return 2;
	for (i = 0; i < 10; i++)
		if (cp == d[i])
			return i;
	return -1;
}

/*
 * The number written just before cps[end] (exclusive), Arabic or Chinese
 * (十二, 二十三, 一百零八, 八八); *start receives where it begins.  -1 when
 * there is none or it is out of 1..9999.
 */
static long number_before(const uint32_t *cps, size_t end, size_t *start)
{
	size_t i = end;
	long v = 0, section = 0, digit = -1;

	while (i > 0 && cps[i - 1] >= '0' && cps[i - 1] <= '9' && end - i < 4)
		i--;
	if (i < end) {
		for (*start = i; i < end; i++)
			v = v * 10 + (long)(cps[i] - '0');
		return v >= 1 && v <= 9999 ? v : -1;
	}
	while (i > 0 && end - i < 8 &&
	       (cn_digit(cps[i - 1]) >= 0 || cps[i - 1] == 0x5341 /* 十 */ ||
		cps[i - 1] == 0x767e /* 百 */ || cps[i - 1] == 0x5343 /* 千 */))
		i--;
	if (i == end)
		return -1;
	*start = i;
	/* Positional (八八 = 88) when there is no 十/百/千 at all. */
	{
		size_t k;
		int positional = 1;

		for (k = i; k < end; k++)
			if (cn_digit(cps[k]) < 0)
				positional = 0;
		if (positional) {
			for (k = i; k < end; k++)
				v = v * 10 + cn_digit(cps[k]);
			return v >= 1 && v <= 9999 ? v : -1;
		}
	}
	for (; i < end; i++) {
		uint32_t c = cps[i];

		if (cn_digit(c) >= 0) {
			digit = cn_digit(c);
		} else {
			long unit = c == 0x5341 ? 10 : c == 0x767e ? 100 : 1000;

			section += (digit < 0 ? 1 : digit) * unit;
			digit = -1;
		}
	}
	v = section + (digit > 0 ? digit : 0);
	return v >= 1 && v <= 9999 ? v : -1;
}

static int matches_at(const uint32_t *cps, size_t n, size_t i, const uint32_t *w, size_t wn)
{
	return wn <= n - i && !memcmp(cps + i, w, wn * sizeof(*w));
}

/* Characters a place name never spans: function words, administrative
 * names, pronouns, "the said" (该), numbering. */
static int name_stop(uint32_t cp)
{
	static const char stops[] =
		"的在了是有到和与及住边旁近附对向给从把被就都也还又那这该个各每号號市区县镇省"
		"我你他她们说去来看找让叫称反映问题情况隔壁栋座幢层间户家位些";
	char u[4];
	size_t len;

	if (!is_cjk(cp))
		return 1;
	len = utf8_put(cp, u);
	for (size_t i = 0; i + len <= sizeof(stops) - 1; i += 3)
		if (!memcmp(stops + i, u, len))
			return 1;
	return 0;
}

/*
 * Words a name never spans either: the verbs that put an organisation or a
 * place after them in a complaint (要求公司尽快结清, 希望物业…) and the
 * locatives that put it before them (楼下宵夜档 is a stall downstairs).
 */
static const char *const name_stop_words[] = {
	"要求", "希望", "建议", "联系", "通知", "督促", "投诉", "举报", "怀疑", "发现",
	"楼下", "楼上", "门口", "路口", "周边", "一带", "里面", "后面", "前面", "外面",
};

/* Does a stop word end just before cps[j]? */
static int stop_word_before(const uint32_t *cps, size_t j)
{
	size_t k;
	char u[8];

	if (j < 2 || !is_cjk(cps[j - 2]) || !is_cjk(cps[j - 1]))
		return 0;
	utf8_put(cps[j - 2], u);       /* CJK: three bytes each */
	utf8_put(cps[j - 1], u + 3);
	for (k = 0; k < sizeof(name_stop_words) / sizeof(name_stop_words[0]); k++)
		if (!memcmp(u, name_stop_words[k], 6))
			return 1;
	return 0;
}

/*
 * Does a road's suffix (路, 大道) follow cps[at - 1] within the name that
 * ends at end, right away or one character later?  Then a 市 or 镇 there is
 * the road's (环市大道, 新市路, 环市东路), not a city's end.
 */
static int road_name_at(const uint32_t *cps, size_t at, size_t end)
{
	size_t k;

	if (cps[at - 1] != 0x5E02 && cps[at - 1] != 0x9547)   /* 市 镇 */
		return 0;
	for (k = at; k < end && k <= at + 1; k++)
		if (cps[k] == 0x8DEF || (cps[k] == 0x5927 && k + 1 < end && cps[k + 1] == 0x9053))
			return 1;   /* 路, 大道 */
	return 0;
}

/* Where a name ending at cps[end] begins: at most 8 characters back, not
 * across a stop character or stop word. */
static size_t name_start(const uint32_t *cps, size_t end)
{
	size_t j;

	for (j = end; j > 0 && end - j < 8 && (!name_stop(cps[j - 1]) || road_name_at(cps, j, end)) &&
		      !stop_word_before(cps, j);
	     j--)
		;
	return j;
}

/* UTF-32 literals and the texts' code points are one type here. */
_Static_assert(_Generic((char32_t)0, uint32_t: 1, default: 0), "char32_t is not uint32_t");

static size_t u32_len(const char32_t *s)
{
	size_t n = 0;

	while (s[n])
		n++;
	return n;
}

/*
 * The words are UTF-32 literals, code points from the compiler, rather
 * than UTF-8 folded on every call (fold_cp keeps Chinese characters as
 * they are).
 */
struct suffix {
	const char32_t *cps;
	int company;   /* drop the company-type words from the name */
};

/* Longest first where one ends another (有限公司 before 公司). */
static const struct suffix place_suffixes[] = {
	{ U"有限责任公司", 1 }, { U"有限公司", 1 }, { U"公司", 1 },
	{ U"工程队", 1 }, { U"施工队", 1 }, { U"装修队", 1 },
	/* where people live */
	{ U"小区", 0 }, { U"花园", 0 }, { U"家园", 0 }, { U"新村", 0 }, { U"山庄", 0 }, { U"公馆", 0 },
	{ U"大厦", 0 }, { U"大楼", 0 }, { U"公寓", 0 }, { U"宿舍", 0 }, { U"大院", 0 }, { U"华庭", 0 },
	{ U"雅居", 0 }, { U"雅轩", 0 }, { U"雅苑", 0 }, { U"花苑", 0 }, { U"名苑", 0 }, { U"苑", 0 },
	/* where people go */
	{ U"广场", 0 }, { U"商场", 0 }, { U"商城", 0 }, { U"商厦", 0 }, { U"百货", 0 }, { U"农贸市场", 0 },
	{ U"菜市场", 0 }, { U"批发市场", 0 }, { U"市场", 0 }, { U"菜场", 0 }, { U"超市", 0 },
	{ U"便利店", 0 }, { U"药店", 0 }, { U"药房", 0 }, { U"酒楼", 0 }, { U"酒家", 0 }, { U"食府", 0 },
	{ U"茶餐厅", 0 }, { U"餐厅", 0 }, { U"饭店", 0 }, { U"饭馆", 0 }, { U"面馆", 0 }, { U"茶楼", 0 },
	{ U"宵夜", 0 }, { U"大排档", 0 }, { U"排档", 0 }, { U"炒档", 0 }, { U"牛杂", 0 }, { U"海鲜", 0 },
	{ U"烧烤", 0 }, { U"火锅", 0 }, { U"网吧", 0 }, { U"会所", 0 }, { U"宾馆", 0 }, { U"酒店", 0 },
	{ U"旅馆", 0 }, { U"招待所", 0 }, { U"医院", 0 }, { U"诊所", 0 }, { U"门诊", 0 }, { U"卫生院", 0 },
	{ U"卫生站", 0 }, { U"中学", 0 }, { U"小学", 0 }, { U"幼儿园", 0 }, { U"学校", 0 }, { U"公园", 0 },
	{ U"体育馆", 0 }, { U"停车场", 0 }, { U"加油站", 0 }, { U"工业园", 0 }, { U"产业园", 0 },
	{ U"写字楼", 0 }, { U"综合楼", 0 },
};

#define NSUFFIXES (sizeof(place_suffixes) / sizeof(place_suffixes[0]))

/*
 * The suffixes by first code point (dedup_first_cp): a text's characters
 * were each tried against every suffix's first (78 compares), which was
 * three quarters of the cost of extracting a text's places.
 */
#define SFX_SLOTS 256   /* a power of two, over twice NSUFFIXES */

struct sfx_index {
	struct dedup_first_cp by_first;
	uint32_t cp[SFX_SLOTS];
	size_t head[SFX_SLOTS];
	size_t next[NSUFFIXES];
	size_t len[NSUFFIXES];
};

_Static_assert(2 * NSUFFIXES < SFX_SLOTS, "SFX_SLOTS too small");

static void sfx_index_build(struct sfx_index *ix)
{
	size_t k = NSUFFIXES;

	ix->by_first.slots = SFX_SLOTS;
	ix->by_first.cp = ix->cp;
	ix->by_first.head = ix->head;
	ix->by_first.next = ix->next;
	memset(ix->head, 0, sizeof(ix->head));
	while (k-- > 0) {
		ix->len[k] = u32_len(place_suffixes[k].cps);
		first_cp_push(&ix->by_first, k, place_suffixes[k].cps[0]);
	}
}

/* A company name is place + trade name + trade + legal form; the trade and
 * form words are what names share, so they are dropped. */
static const char *const company_words[] = {
	"有限", "责任", "建筑", "劳务", "工程", "股份", "装饰", "集团", "发展", "实业",
	"建设", "派遣", "装修", "安装", "施工", "物业", "管理", "服务", "贸易", "科技",
	"投资", "置业", "地产", "餐饮", "保安", "清洁", "环境", "市政",
};

/* Append cps[from..to) as UTF-8 to b. */
static sq_err put_cps(struct sq_buf *b, const uint32_t *cps, size_t from, size_t to)
{
	char u[4];
	sq_err rc = SQ_OK;

	for (; !rc && from < to; from++)
		rc = sq_buf_add(b, u, utf8_put(cps[from], u));
	return rc;
}

/* A company's name without the words every company name has. */
static sq_err company_name(struct sq_buf *name)
{
	size_t i, k, wl;

	for (k = 0; k < sizeof(company_words) / sizeof(company_words[0]); k++) {
		wl = strlen(company_words[k]);
		for (i = 0; i + wl <= name->len;) {
			if (!memcmp(name->data + i, company_words[k], wl)) {
				memmove(name->data + i, name->data + i + wl, name->len - i - wl + 1);
				name->len -= wl;
			} else {
				i++;
			}
		}
	}
	return SQ_OK;
}

/* Stems that name no one place: utilities, trades, "this", "nearby". */
static const char *const generic_stems[] = {
	"燃气", "煤气", "物业", "供电", "电力", "水务", "来水", "装修", "快递", "外卖", "装饰",
	"附近", "周边", "隔壁", "这个", "那个", "我们", "他们", "整个", "一个", "老旧", "个别",
	"施工", "建筑", "劳务", "工程", "中心", "社区", "街道", "城管", "政府", "有关", "相关",
};

static size_t utf8_chars_of(const char *s, size_t n)
{
	size_t i, c = 0;

	for (i = 0; i < n; i++)
		c += ((unsigned char)s[i] & 0xc0) != 0x80;
	return c;
}

/*
 * The canonical form of a named place: at most its last four characters,
 * at least three.  Names found in running text drag words in front of them
 * (昨天夜里开始宝源花园, 有人打过燃气公司); the characters nearest the end
 * are the name proper in most place names (宝源花园, 恩宁雅居, 西华楼,
 * 金鼎公司), whether the name was recognised by its suffix or by standing
 * before a building number.  Empties name when it is too short or generic.
 */
#define MAX_PLACES 32

/* The start of the UTF-8 character before data[at] (at > 0). */
static size_t char_before(const char *data, size_t at)
{
	do
		at--;
	while (at > 0 && ((unsigned char)data[at] & 0xc0) == 0x80);
	return at;
}

/*
 * How many characters before the window data[start..) a road in it wants:
 * a name that begins with a road suffix or one character before it
 * (大道学校 of 环市大道学校, 风路小学 of 东风路小学) needs the road's two
 * characters in front, or every school on a 大道 has one name.
 */
static int road_chars_wanted(const char *data, size_t start, size_t len)
{
	static const char lu[] = "路", dadao[] = "大道";
	const char *w = data + start;
	size_t n = len - start, l1 = sizeof(lu) - 1, l2 = sizeof(dadao) - 1, first;

	if ((n >= l2 && !memcmp(w, dadao, l2)) || (n >= l1 && !memcmp(w, lu, l1)))
		return 2;
	first = 1;
	while (first < n && ((unsigned char)w[first] & 0xc0) == 0x80)
		first++;
	if ((n - first >= l2 && !memcmp(w + first, dadao, l2)) ||
	    (n - first >= l1 && !memcmp(w + first, lu, l1)))
		return 1;
	return 0;
}

static size_t canonical_one(const char *data, size_t len, char last[24])
{
	size_t start = len, chars = 0, i, glen, wider;
	int more;

	while (start > 0 && chars < 4) {
		start--;
		if (((unsigned char)data[start] & 0xc0) != 0x80)
			chars++;
	}
	if (chars < 3 || len - start >= 24)
		return 0;
	for (more = road_chars_wanted(data, start, len), wider = start; more > 0 && wider > 0;
	     more--)
		wider = char_before(data, wider);
	if (len - wider < 24)
		start = wider;
	memcpy(last, data + start, len - start);
	last[len - start] = '\0';
	/* a generic word where the name proper would be: 附近小区, 燃气公司 */
	for (i = 0; i < sizeof(generic_stems) / sizeof(generic_stems[0]); i++) {
		glen = strlen(generic_stems[i]);
		if (!strncmp(last, generic_stems[i], glen))
			return 0;
	}
	return len - start;
}

/*
 * 小区 is what residents add to an estate's name or leave out (华贵楼小区 =
 * 华贵楼3栋), so a name ending in it has a second form without it, when
 * three characters remain; both are kept because words dragged in front
 * (开始耀华小区) can make the short form wrong.  Several forms come out
 * separated by a space.
 */
static sq_err canonical_name(struct sq_buf *name)
{
	static const char xiaoqu[] = "小区";
	size_t xl = sizeof(xiaoqu) - 1, l1, l2 = 0;
	char one[24], two[24];

	l1 = canonical_one(name->data, name->len, one);
	if (name->len > xl && !memcmp(name->data + name->len - xl, xiaoqu, xl) &&
	    utf8_chars_of(name->data, name->len - xl) >= 3)
		l2 = canonical_one(name->data, name->len - xl, two);
	sq_buf_reset(name);
	if (l1 && sq_buf_add(name, one, l1))
		return SQ_ENOMEM;
	if (l2 && ((l1 && sq_buf_addc(name, ' ')) || sq_buf_add(name, two, l2)))
		return SQ_ENOMEM;
	return SQ_OK;
}

/* Append the space-separated names of s to names[*n] (owned copies). */
static sq_err push_names(char **names, size_t *n, const char *s)
{
	size_t len;

	for (; *s && *n < MAX_PLACES; s += len + (s[len] == ' ')) {
		len = strcspn(s, " ");
		if (!len)
			continue;
		names[*n] = sq_strndup(s, len);
		if (!names[*n])
			return SQ_ENOMEM;
		(*n)++;
	}
	return SQ_OK;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Sort and dedupe items[0..n) (owned), join with spaces into *out. */
static sq_err join_sorted(char **items, size_t n, char **out)
{
	struct sq_buf b = SQ_BUF_INIT;
	size_t i;
	sq_err rc = SQ_OK;

	qsort(items, n, sizeof(*items), cmp_str);
	for (i = 0; !rc && i < n; i++) {
		if (i && !strcmp(items[i], items[i - 1]))
			continue;
		if (b.len)
			rc = sq_buf_addc(&b, ' ');
		if (!rc)
			rc = sq_buf_adds(&b, items[i]);
	}
	if (!rc)
		rc = sq_buf_add(&b, "", 0);
	*out = rc ? NULL : sq_buf_detach(&b);
	sq_buf_release(&b);
	return rc || !*out ? SQ_ENOMEM : SQ_OK;
}

static int road_suffix(uint32_t cp)
{
	return cp == 0x8def || cp == 0x8857 || cp == 0x5df7 || cp == 0x9053;   /* 路街巷道 */
}

/*
 * The name (canonical forms) ending just before cps[end], appended to
 * names[*count] when there is one.
 */
static sq_err name_before(const uint32_t *cps, size_t end, struct sq_buf *name, char **names,
			  size_t *count)
{
	size_t j;
	sq_err rc;

	j = name_start(cps, end);
	/* a road is an address, not a complex */
	if (end - j < 3 || road_suffix(cps[end - 1]))
		return SQ_OK;
	sq_buf_reset(name);
	rc = put_cps(name, cps, j, end);
	if (!rc)
		rc = canonical_name(name);
	if (rc || !name->len)
		return rc;
	return push_names(names, count, sq_buf_str(name));
}

/* Locatives that end an address without being part of the place's name. */
static const char32_t *const locatives[] = {
	U"门口", U"附近", U"旁边", U"对面", U"楼下", U"一带", U"周边", U"后面", U"前面", U"里面",
	U"后门", U"侧门", U"路口", U"那边", U"这边", U"旁",
};

/* cps[from..*to) without the locatives it ends with. */
static void strip_locatives(const uint32_t *cps, size_t from, size_t *to)
{
	size_t k, wn;
	int again = 1;

	while (again) {
		again = 0;
		for (k = 0; k < sizeof(locatives) / sizeof(locatives[0]); k++) {
			wn = u32_len(locatives[k]);
			if (*to - from >= wn && !memcmp(cps + *to - wn, locatives[k], wn * sizeof(*cps))) {
				*to -= wn;
				again = 1;
			}
		}
	}
}

/*
 * In an address field, what follows the house number is the place at that
 * number, whatever its name ends with (恩宁路88号老街啤酒屋, 逢源路98号逢源
 * 大厦5栋): the characters up to a building number, a locative (门口, 旁边)
 * or the end.  cps[from..n) is the address.
 */
static sq_err names_after_number(const uint32_t *cps, size_t from, size_t n,
				 struct sq_buf *name, char **names, size_t *nnames)
{
	size_t i, j, end, st;
	sq_err rc = SQ_OK;

	for (i = from; !rc && i < n && *nnames < MAX_PLACES; i++) {
		if ((cps[i] != 0x53f7 && cps[i] != 0x865f) || i + 1 >= n || cps[i + 1] == 0x697c ||
		    number_before(cps, i, &st) < 0)
			continue;   /* 号 or 號 after a number, not 号楼 */
		for (end = i + 1; end < n && is_cjk(cps[end]); end++) {
			if (cps[end] == 0x680b || cps[end] == 0x5ea7 || cps[end] == 0x5e62 ||
			    cps[end] == 0x53f7) {
				/* the complex before a building number */
				if (number_before(cps, end, &st) > 0 && st > i + 1)
					end = st;
				break;
			}
		}
		strip_locatives(cps, i + 1, &end);
		for (j = i + 1; j < end && !name_stop(cps[j]); j++)
			;
		if (j < end || end - (i + 1) < 3)
			continue;   /* a phrase, not a name; or too short to be one */
		sq_buf_reset(name);
		rc = put_cps(name, cps, i + 1, end);
		if (!rc)
			rc = canonical_name(name);
		if (!rc && name->len)
			rc = push_names(names, nnames, sq_buf_str(name));
	}
	return rc;
}

sq_err dedup_extract_places(const char *title, const char *text, const char *address,
			    char **landmarks, char **buildings)
{
	static const uint32_t dong = 0x680b, zuo = 0x5ea7, zhuang = 0x5e62;   /* 栋 座 幢 */
	static const uint32_t hao_lou[] = { 0x53f7, 0x697c }, hao2_lou[] = { 0x865f, 0x697c };
	size_t cap = 3 + (title ? strlen(title) : 0) + (text ? strlen(text) : 0) +
		     (address ? strlen(address) : 0);
	char *names[MAX_PLACES], *nums[MAX_PLACES];
	size_t nnames = 0, nnums = 0, n = 0, i, k;
	size_t addr_from;
	uint32_t *cps;
	struct sfx_index sfx_ix;
	struct sq_buf name = SQ_BUF_INIT;
	sq_err rc = SQ_OK;

	*landmarks = *buildings = NULL;
	cps = malloc(cap * sizeof(*cps));
	if (!cps)
		return SQ_ENOMEM;
	sfx_index_build(&sfx_ix);
	if (title)
		n = decode_into(title, cps, n);
	cps[n++] = 0x3002;   /* 。 between title and text */
	if (text)
		n = decode_into(text, cps, n);
	cps[n++] = 0x3002;
	addr_from = n;
	if (address)
		n = decode_into(address, cps, n);
	for (i = 0; !rc && i < n; i++) {
		size_t slen = 0, start;
		long v;

		/* building numbers */
		if (cps[i] == dong || cps[i] == zuo || cps[i] == zhuang)
			slen = 1;
		else if (matches_at(cps, n, i, hao_lou, 2) || matches_at(cps, n, i, hao2_lou, 2))
			slen = 2;
		if (slen && nnums < MAX_PLACES && (v = number_before(cps, i, &start)) > 0) {
			uint32_t before = start ? cps[start - 1] : 0;

			/* 恩宁路88号楼下: a house number, not building 88 */
			if (!(slen == 2 && (before == 0x8def || before == 0x8857 || before == 0x5df7 ||
					    before == 0x9053))) {
				char num[24];

				snprintf(num, sizeof(num), "%ld", v);
				nums[nnums] = sq_strdup(num);
				if (!nums[nnums])
					rc = SQ_ENOMEM;
				else
					nnums++;
				/* what stands before a building number names its
				 * complex, whatever its suffix (西华楼7栋) */
				if (!rc && nnames < MAX_PLACES)
					rc = name_before(cps, start, &name, names, &nnames);
			}
		}
		/* named places: the suffixes that start with this character */
		for (k = first_cp_chain(&sfx_ix.by_first, cps[i]); !rc && nnames < MAX_PLACES && k;
		     k = sfx_ix.next[k - 1]) {
			const char32_t *sfx = place_suffixes[k - 1].cps;
			size_t sl = sfx_ix.len[k - 1], from;

			if (!matches_at(cps, n, i, sfx, sl))
				continue;
			/* 广场舞 is a dance, not a square */
			if (sl == 2 && sfx[0] == U'广' && sfx[1] == U'场' && i + sl < n &&
			    cps[i + sl] == U'舞')
				continue;
			from = name_start(cps, i);
			if (i - from < 2)
				continue;
			sq_buf_reset(&name);
			rc = put_cps(&name, cps, from, i);
			if (!rc && place_suffixes[k - 1].company)
				rc = company_name(&name);
			if (!rc && place_suffixes[k - 1].company)
				rc = sq_buf_adds(&name, "公司") ? SQ_ENOMEM : SQ_OK;
			else if (!rc)
				rc = put_cps(&name, cps, i, i + sl);
			if (!rc)
				rc = canonical_name(&name);
			if (!rc && name.len)
				rc = push_names(names, &nnames, sq_buf_str(&name));
			i += sl - 1;
			break;
		}
	}
	if (!rc)
		rc = names_after_number(cps, addr_from, n, &name, names, &nnames);
	if (!rc)
		rc = join_sorted(names, nnames, landmarks);
	if (!rc)
		rc = join_sorted(nums, nnums, buildings);
	for (i = 0; i < nnames; i++)
		free(names[i]);
	for (i = 0; i < nnums; i++)
		free(nums[i]);
	sq_buf_release(&name);
	free(cps);
	if (rc) {
		free(*landmarks);
		free(*buildings);
		*landmarks = *buildings = NULL;
	}
	return rc;
}

int dedup_lists_share(const char *a, const char *b)
{
	const char *p, *q;
	size_t la, lb;

	if (!a || !b)
		return 0;
	for (p = a; *p; p += la + (p[la] == ' ')) {
		la = strcspn(p, " ");
		for (q = b; *q; q += lb + (q[lb] == ' ')) {
			lb = strcspn(q, " ");
			if (la == lb && la && !memcmp(p, q, la))
				return 1;
		}
	}
	return 0;
}

/* Does one UTF-8 name (p, la bytes) end the other (q, lb), sharing at
 * least three characters? */
static int name_ends(const char *p, size_t la, const char *q, size_t lb)
{
	size_t i, c = 0;

	if (la > lb) {
		const char *t = p;

		p = q;
		q = t;
		i = la;
		la = lb;
		lb = i;
	}
	if (memcmp(p, q + lb - la, la))
		return 0;
	for (i = 0; i < la; i++)
		c += ((unsigned char)p[i] & 0xc0) != 0x80;
	return c >= 3;
}

int dedup_names_share(const char *a, const char *b)
{
	const char *p, *q;
	size_t la, lb;

	if (!a || !b)
		return 0;
	for (p = a; *p; p += la + (p[la] == ' ')) {
		la = strcspn(p, " ");
		for (q = b; *q; q += lb + (q[lb] == ' ')) {
			lb = strcspn(q, " ");
			if (la && lb && name_ends(p, la, q, lb))
				return 1;
		}
	}
	return 0;
}

int dedup_names_in_text(const char *names, const char *text)
{
	const char *p;
	size_t len, i, c;
	char one[64];

	if (!names || !text)
		return 0;
	for (p = names; *p; p += len + (p[len] == ' ')) {
		len = strcspn(p, " ");
		for (i = c = 0; i < len; i++)
			c += ((unsigned char)p[i] & 0xc0) != 0x80;
		if (c < 3 || len >= sizeof(one))
			continue;
		memcpy(one, p, len);
		one[len] = '\0';
		if (strstr(text, one))
			return 1;
	}
	return 0;
}
