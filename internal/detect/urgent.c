/*
 * urgent — threats to life or of collective action (跳楼, 自杀, 集体上访,
 * 讨薪, 煤气泄漏, ...; detect.urgent_words) raise a high-severity flag in
 * the very run that stores the complaint.  One flag per incident: a
 * complaint already in an urgent flag never raises another, and a later
 * urgent complaint about the same incident joins the live flag.
 */
#include <string.h>

#include "detect/detector.h"
#include "banned.h"

#define TITLE_CHARS 40

static int64_t lookback(const struct sq_detect_config *dc)
{
	return dc->urgent_max_age_ms > 0 ? dc->urgent_max_age_ms / 1000 : 3 * 86400;
}

/* The first configured word in the row's title or text, or NULL. */
static const char *urgent_word(const struct sq_detect_config *dc,
			       const struct store_detect_row *r)
{
	size_t i;

	for (i = 0; i < dc->urgent_words.n; i++) {
		const char *w = dc->urgent_words.items[i];

		if (!w || !*w)
			continue;
		if ((r->title && strstr(r->title, w)) || (r->text && strstr(r->text, w)))
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

/* The urgent complaints of one incident, as one finding. */
static sq_err check_unit(struct detect_ctx *ctx, const struct detect_unit *u, int64_t since)
{
	const struct detect_input *in = ctx->in;
	const struct store_detect_row *first = NULL;
	const char *word = NULL, *title;
	struct detect_finding f;
	size_t j;
	int cut;

	detect_finding_init(&f, FLAG_URGENT);
	for (j = 0; j < u->nrows; j++) {
		const struct store_detect_row *r = &in->rows[u->rows[j]];
		const char *w;

		if (r->received_at < since || !(w = urgent_word(ctx->dc, r)))
			continue;
		if (!first) {
			first = r;
			word = w;
		}
		if (detect_finding_add(&f, r->id))
			goto oom;
	}
	if (!first) {
		detect_finding_release(&f);
		return SQ_OK;
	}
	title = first->title && *first->title ? first->title : first->text ? first->text : "";
	cut = prefix_bytes(title, TITLE_CHARS);
	f.severity = FLAG_HIGH;
	f.threshold = 0;
	f.min_fresh = 1;
	f.match_overlap = 1;
	f.known_by_kind = 1;
	if (detect_finding_key(&f, "urgent:%lld", (long long)first->id) ||
	    detect_finding_place(&f, u->category, u->community) ||
	    detect_finding_summary(&f, "%s有诉求提到「%s」：%.*s%s",
				   u->community ? u->community : "", word, cut, title,
				   title[cut] ? "…" : "") ||
	    detect_finding_detail(&f, "命中词：%s；%s %s", word, first->source, first->source_id))
		goto oom;
	return detect_emit(ctx, &f);
oom:
	detect_finding_release(&f);
	return sq_fail(ctx->err, SQ_ENOMEM, "out of memory");
}

static sq_err run(struct detect_ctx *ctx)
{
	int64_t since = ctx->now - lookback(ctx->dc);
	size_t i;
	sq_err rc;

	for (i = 0; i < ctx->in->nunits; i++) {
		rc = check_unit(ctx, &ctx->in->units[i], since);
		if (rc)
			return rc;
	}
	return SQ_OK;
}

const struct sq_detector detector_urgent = { "urgent", lookback, run };
