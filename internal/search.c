/* The analyst's search text as FTS5 and LIKE terms; snippets for LIKE hits. */
#include "search.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "store.h"
#include "uwidth.h"
#include "banned.h"

static size_t utf8_chars(const char *s, size_t len)
{
	size_t i = 0, n = 0;
	uint32_t cp;

	while (i < len) {
		i += uwidth_decode(s + i, len - i, &cp);
		n++;
	}
	return n;
}

/* Length of the separator at s: ASCII white space or U+3000; 0 if none. */
static size_t separator(const char *s)
{
	if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\v' || *s == '\f')
		return 1;
	if ((unsigned char)s[0] == 0xE3 && (unsigned char)s[1] == 0x80 &&
	    (unsigned char)s[2] == 0x80)
		return 3;
	return 0;
}

static int push(char ***v, size_t *n, char *s)
{
	char **p = realloc(*v, (*n + 1) * sizeof(**v));

	if (!p)
		return -1;
	*v = p;
	(*v)[(*n)++] = s;
	return 0;
}

void search_terms_release(struct search_terms *t)
{
	size_t i;

	free(t->match);
	for (i = 0; i < t->nall; i++)
		free(t->all[i]);
	free(t->all);
	/* like[] points into all[]. */
	free(t->like);
	memset(t, 0, sizeof(*t));
}

/* Append term as an FTS5 string: in double quotes, quotes doubled. */
static sq_err add_phrase(struct sq_buf *b, const char *term)
{
	if (b->len && sq_buf_adds(b, " AND "))
		return SQ_ENOMEM;
	if (sq_buf_addc(b, '"'))
		return SQ_ENOMEM;
	for (; *term; term++)
		if ((*term == '"' && sq_buf_addc(b, '"')) || sq_buf_addc(b, *term))
			return SQ_ENOMEM;
	return sq_buf_addc(b, '"');
}

sq_err search_parse(const char *text, struct search_terms *t, struct sq_error *err)
{
	struct sq_buf match = SQ_BUF_INIT;
	const char *p = text ? text : "";
	size_t i;

	memset(t, 0, sizeof(*t));
	while (*p) {
		size_t sep = separator(p), len = 0;
		char *term;

		if (sep) {
			p += sep;
			continue;
		}
		while (p[len] && !separator(p + len))
			len++;
		term = sq_strndup(p, len);
		if (!term || push(&t->all, &t->nall, term)) {
			free(term);
			goto nomem;
		}
		p += len;
	}
	if (!t->nall)
		return sq_fail(err, SQ_EUSAGE, "nothing to search for");
	for (i = 0; i < t->nall; i++) {
		const char *term = t->all[i];

		if (utf8_chars(term, strlen(term)) >= SEARCH_MIN_TRIGRAM) {
			if (add_phrase(&match, term))
				goto nomem;
		} else if (push(&t->like, &t->nlike, t->all[i])) {
			goto nomem;
		}
	}
	if (match.len && !(t->match = sq_buf_detach(&match)))
		goto nomem;
	return SQ_OK;
nomem:
	sq_buf_release(&match);
	return sq_fail(err, SQ_ENOMEM, "out of memory");
}

/* Where needle occurs in hay[0..len), ASCII case ignored; NULL if not. */
static const char *find_ci(const char *hay, size_t len, const char *needle)
{
	size_t n = strlen(needle), i, j;

	if (!n || n > len)
		return NULL;
	for (i = 0; i + n <= len; i++) {
		for (j = 0; j < n; j++) {
			unsigned char a = (unsigned char)hay[i + j], b = (unsigned char)needle[j];

			if (a >= 'A' && a <= 'Z')
				a = (unsigned char)(a - 'A' + 'a');
			if (b >= 'A' && b <= 'Z')
				b = (unsigned char)(b - 'A' + 'a');
			if (a != b)
				break;
		}
		if (j == n)
			return hay + i;
	}
	return NULL;
}

/* Step back up to n characters from pos (not before start). */
static const char *back_chars(const char *start, const char *pos, size_t n)
{
	while (n-- && pos > start) {
		pos--;
		while (pos > start && ((unsigned char)*pos & 0xC0) == 0x80)
			pos--;
	}
	return pos;
}

static const char *fwd_chars(const char *pos, const char *end, size_t n)
{
	uint32_t cp;

	while (n-- && pos < end)
		pos += uwidth_decode(pos, (size_t)(end - pos), &cp);
	return pos;
}

/* The earliest occurrence of any term in [s, end); *tlen its length. */
static const char *first_of(const char *s, const char *end, char *const *terms, size_t nterms,
			    size_t *tlen)
{
	const char *best = NULL;
	size_t i;

	for (i = 0; i < nterms; i++) {
		const char *at = find_ci(s, (size_t)(end - s), terms[i]);

		if (at && (!best || at < best || (at == best && strlen(terms[i]) > *tlen))) {
			best = at;
			*tlen = strlen(terms[i]);
		}
	}
	return best;
}

sq_err search_snippet(const char *text, char *const *terms, size_t nterms, size_t context,
		      const char *open, const char *close, char **out)
{
	struct sq_buf b = SQ_BUF_INIT;
	const char *end, *hit, *from, *to, *p;
	size_t tlen = 0;

	*out = NULL;
	if (!text)
		return SQ_OK;
	end = text + strlen(text);
	hit = first_of(text, end, terms, nterms, &tlen);
	if (!hit)
		return SQ_OK;
	from = back_chars(text, hit, context);
	to = fwd_chars(hit + tlen, end, context);
	if (from > text && sq_buf_adds(&b, "…"))
		goto nomem;
	p = from;
	while (p < to) {
		size_t len = 0;
		const char *at = first_of(p, to, terms, nterms, &len);

		if (!at) {
			if (sq_buf_add(&b, p, (size_t)(to - p)))
				goto nomem;
			break;
		}
		if (sq_buf_add(&b, p, (size_t)(at - p)) || sq_buf_adds(&b, open) ||
		    sq_buf_add(&b, at, len) || sq_buf_adds(&b, close))
			goto nomem;
		p = at + len;
	}
	if (to < end && sq_buf_adds(&b, "…"))
		goto nomem;
	*out = sq_buf_detach(&b);
	return *out ? SQ_OK : SQ_ENOMEM;
nomem:
	sq_buf_release(&b);
	return SQ_ENOMEM;
}

/* ---- running a search --------------------------------------------------- */

void search_results_release(struct search_results *res)
{
	size_t i;

	for (i = 0; i < res->n; i++) {
		struct search_hit *h = &res->v[i];

		free(h->source);
		free(h->source_id);
		free(h->community);
		free(h->category);
		free(h->status);
		free(h->title);
		free(h->snippet);
	}
	free(res->v);
	memset(res, 0, sizeof(*res));
}

struct collect {
	struct search_results *res;
	const struct search_terms *terms;
	const struct search_filter *f;
	size_t cap;
};

static int dup_into(char **dst, const char *s)
{
	if (!s)
		return 0;
	*dst = sq_strdup(s);
	return *dst ? 0 : -1;
}

/* Store callback: copy the hit, make a snippet when FTS5 could not. */
static int collect_hit(void *ctx, const struct store_search_hit *in)
{
	struct collect *c = ctx;
	struct search_results *res = c->res;
	const char *open = c->f->hl_open ? c->f->hl_open : "[";
	const char *close = c->f->hl_close ? c->f->hl_close : "]";
	struct search_hit *h;

	if (sq_array_reserve((void **)&res->v, &c->cap, res->n + 1, sizeof(*res->v)))
		return SQ_ENOMEM;
	h = &res->v[res->n++];
	memset(h, 0, sizeof(*h));
	h->id = in->id;
	h->received_at = in->received_at;
	h->rank = in->rank;
	if (dup_into(&h->source, in->source) || dup_into(&h->source_id, in->source_id) ||
	    dup_into(&h->community, in->community) || dup_into(&h->category, in->category) ||
	    dup_into(&h->status, in->status) || dup_into(&h->title, in->title))
		return SQ_ENOMEM;
	if (in->snippet)
		return dup_into(&h->snippet, in->snippet) ? SQ_ENOMEM : 0;
	/* LIKE-only: the first field that holds a term. */
	if (search_snippet(in->title, c->terms->all, c->terms->nall, 20, open, close, &h->snippet) ||
	    (!h->snippet && search_snippet(in->text, c->terms->all, c->terms->nall, 20, open, close,
					   &h->snippet)) ||
	    (!h->snippet && search_snippet(in->address, c->terms->all, c->terms->nall, 20, open,
					   close, &h->snippet)))
		return SQ_ENOMEM;
	return 0;
}

sq_err search_run(struct sq_store *st, const struct search_terms *t,
		  const struct search_filter *f, struct search_results *res, struct sq_error *err)
{
	struct store_search_query q = { 0 };
	struct collect c = { .res = res, .terms = t, .f = f };
	sq_err rc;

	memset(res, 0, sizeof(*res));
	q.match = t->match;
	q.like = (const char *const *)t->like;
	q.nlike = t->nlike;
	q.since = f->since;
	q.until = f->until;
	q.community = f->community;
	q.category = f->category;
	q.source = f->source;
	q.status = f->status;
	/* One more than asked for tells whether there are more. */
	q.limit = (f->limit ? f->limit : 20) + 1;
	q.hl_open = f->hl_open;
	q.hl_close = f->hl_close;
	res->fallback = t->nlike > 0;
	res->ranked = t->match != NULL;
	rc = store_search(st, &q, collect_hit, &c, &res->capped, err);
	if (rc == SQ_ENOMEM)
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	if (rc)
		return rc;
	if (res->n == q.limit) {
		struct search_hit *h = &res->v[--res->n];

		free(h->source);
		free(h->source_id);
		free(h->community);
		free(h->category);
		free(h->status);
		free(h->title);
		free(h->snippet);
		res->more = 1;
	}
	return SQ_OK;
}
