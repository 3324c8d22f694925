/*
 * urgent — threats to life or of collective action (跳楼, 自杀, 集体上访,
 * 讨薪, 煤气泄漏, ...; detect.urgent_words) raise a high-severity flag in
 * the very run that stores the complaint.  One flag per incident: a
 * complaint already in an urgent flag never raises another, and a later
 * urgent complaint about the same incident joins the live flag.
 */
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "detect/detector.h"
#include "banned.h"

#define TITLE_CHARS 40

static int64_t lookback(const struct sq_detect_config *dc)
{
	return dc->urgent_max_age_ms > 0 ? dc->urgent_max_age_ms / 1000 : 3 * 86400;
}

/* The first configured word in a complaint's title or text, or NULL. */
static const char *urgent_word(const struct sq_detect_config *dc,
			       const struct store_detect_text *t)
{
	size_t i;

	for (i = 0; i < dc->urgent_words.n; i++) {
		const char *w = dc->urgent_words.items[i];

		if (!w || !*w)
			continue;
		if ((t->title && strstr(t->title, w)) || (t->text && strstr(t->text, w)))
			return w;
	}
	return NULL;
}

/* The first n characters of a UTF-8 string, as a printf precision in bytes. */
static int prefix_bytes(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t chars = 0;

	while (*p && chars < n) {
		p++;
		while ((*p & 0xc0) == 0x80)
			p++;
		chars++;
	}
	return (int)((const char *)p - s);
}

/*
 * A complaint that names an urgent word, with what its flag would quote:
 * the texts are read as a stream (detect_each_text), so the few that
 * matter are copied out.
 */
struct hit {
	size_t row;
	const char *word;
	char *title;     /* the first TITLE_CHARS characters, "…" when cut */
	char *ref;       /* "source source_id" */
};

struct hits {
	const struct sq_detect_config *dc;
	struct hit *v;
	size_t n, cap;
};

static void hits_release(struct hits *h)
{
	size_t i;

	for (i = 0; i < h->n; i++) {
		free(h->v[i].title);
		free(h->v[i].ref);
	}
	free(h->v);
}

static sq_err hit_fill(struct hit *x, const struct store_detect_text *t)
{
	const char *title = t->title && *t->title ? t->title : t->text ? t->text : "";
	int cut = prefix_bytes(title, TITLE_CHARS);
	struct sq_buf b = SQ_BUF_INIT;

	if (sq_buf_addf(&b, "%.*s%s", cut, title, title[cut] ? "…" : "") ||
	    !(x->title = sq_buf_detach(&b)))
		goto oom;
	if (sq_buf_addf(&b, "%s %s", t->source ? t->source : "", t->source_id ? t->source_id : "") ||
	    !(x->ref = sq_buf_detach(&b)))
		goto oom;
	return SQ_OK;
oom:
	sq_buf_release(&b);
	return SQ_ENOMEM;
}

static sq_err collect_hit(void *arg, size_t row, const struct store_detect_text *t)
{
	struct hits *h = arg;
	const char *w = urgent_word(h->dc, t);
	struct hit *x;

	if (!w)
		return SQ_OK;
	if (sq_array_reserve((void **)&h->v, &h->cap, h->n + 1, sizeof(*h->v)))
		return SQ_ENOMEM;
	x = &h->v[h->n];
	memset(x, 0, sizeof(*x));
	x->row = row;
	x->word = w;
	h->n++;
	return hit_fill(x, t);
}

/* The hit of a row (hits are in row order), or NULL. */
static const struct hit *hit_of(const struct hits *h, size_t row)
{
	size_t lo = 0, hi = h->n;

	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;

		if (h->v[mid].row < row)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < h->n && h->v[lo].row == row ? &h->v[lo] : NULL;
}

/* The urgent complaints of one incident, as one finding. */
static sq_err check_unit(struct detect_ctx *ctx, const struct hits *h,
			 const struct detect_unit *u)
{
	const struct hit *first = NULL;
	struct detect_finding f;
	size_t j;

	detect_finding_init(&f, FLAG_URGENT);
	for (j = 0; j < u->nrows; j++) {
		const struct hit *x = hit_of(h, u->rows[j]);

		if (!x)
			continue;
		if (!first)
			first = x;
		if (detect_finding_add(&f, ctx->in->rows[x->row].id))
			goto oom;
	}
	if (!first) {
		detect_finding_release(&f);
		return SQ_OK;
	}
	f.severity = FLAG_HIGH;
	f.threshold = 0;
	f.min_fresh = 1;
	f.match_overlap = 1;
	f.known_by_kind = 1;
	if (detect_finding_key(&f, "urgent:%lld", (long long)ctx->in->rows[first->row].id) ||
	    detect_finding_place(&f, u->category, u->community) ||
	    detect_finding_summary(&f, "%s有诉求提到「%s」：%s",
				   u->community ? u->community : "", first->word, first->title) ||
	    detect_finding_detail(&f, "命中词：%s；%s", first->word, first->ref))
		goto oom;
	return detect_emit(ctx, &f);
oom:
	detect_finding_release(&f);
	return sq_fail(ctx->err, SQ_ENOMEM, "out of memory");
}

static sq_err run(struct detect_ctx *ctx)
{
	struct hits h = { ctx->dc, NULL, 0, 0 };
	size_t i;
	sq_err rc;

	rc = detect_each_text(ctx, ctx->now - lookback(ctx->dc), collect_hit, &h);
	if (rc == SQ_ENOMEM)
		rc = sq_fail(ctx->err, SQ_ENOMEM, "out of memory reading urgent words");
	for (i = 0; !rc && h.n && i < ctx->in->nunits; i++)
		rc = check_unit(ctx, &h, &ctx->in->units[i]);
	hits_release(&h);
	return rc;
}

const struct sq_detector detector_urgent = { "urgent", lookback, run };
