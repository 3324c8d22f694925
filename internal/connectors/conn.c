/* What every connector shares outside its callbacks: releasing requests and
 * pages, verdict names, and splitting a saved dump into pages for import. */
#include <cjson/cJSON.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "connectors/connector.h"
#include "banned.h"

void conn_request_release(struct sq_conn_request *req)
{
	size_t i;

	free(req->url);
	for (i = 0; i < req->nheaders; i++)
		free(req->headers[i]);
	free(req->what);
	free(req->redact);
	memset(req, 0, sizeof(*req));
}

void conn_page_release(struct sq_conn_page *page)
{
	size_t i;

	for (i = 0; i < page->nrecords; i++)
		record_release(&page->records[i]);
	free(page->records);
	for (i = 0; i < page->nbad; i++) {
		free(page->bad[i].source_id);
		free(page->bad[i].raw);
		free(page->bad[i].reason);
	}
	free(page->bad);
	free(page->cursor);
	memset(page, 0, sizeof(*page));
}

const char *conn_verdict_name(enum sq_verdict v)
{
	switch (v) {
	case SQ_VERDICT_PAGE: return "page";
	case SQ_VERDICT_NOT_MODIFIED: return "not_modified";
	case SQ_VERDICT_RETRY: return "retry";
	case SQ_VERDICT_FATAL: return "fatal";
	case SQ_VERDICT_RESIGN: return "resign";
	case SQ_VERDICT_RESTART: return "restart";
	}
	return "?";
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r' || c == '\n';
}

/* Hand fn a copy of len bytes at p as a NUL-terminated page. */
static sq_err emit(sq_err (*fn)(void *, const char *, size_t, int), void *ctx,
		   const char *p, size_t len, int *number)
{
	char *copy = sq_strndup(p, len);
	sq_err rc;

	if (!copy)
		return SQ_ENOMEM;
	rc = fn(ctx, copy, len, ++*number);
	free(copy);
	return rc;
}

/*
 * The length of the JSON object at text (text[0] == '{'): up to and with
 * its closing brace, following only strings and nesting; 0 when the text
 * ends first.  The page parser checks everything else.  cJSON cannot skip
 * a value without building it, and building every page of a dump twice
 * (once here to find where it ends, once to read it) cost 1.8% of the
 * instructions of a 10,000-record import.
 */
static size_t object_len(const char *text, size_t len)
{
	size_t i, depth = 0;
	int in_string = 0;

	for (i = 0; i < len; i++) {
		char c = text[i];

		if (in_string) {
			if (c == '\\')
				i++;   /* the escaped character, whatever it is */
			else if (c == '"')
				in_string = 0;
		} else if (c == '"') {
			in_string = 1;
		} else if (c == '{' || c == '[') {
			depth++;
		} else if ((c == '}' || c == ']') && --depth == 0) {
			return i + 1;
		}
	}
	return 0;
}

/* True when v is an array of pages rather than a page. */
static int is_page_list(const cJSON *v, int array_is_page)
{
	const cJSON *e;

	if (!cJSON_IsArray(v))
		return 0;
	if (!array_is_page)
		return 1;
	e = v->child;
	if (!e)
		return 0;
	for (; e; e = e->next)
		if (!cJSON_IsArray(e))
			return 0;
	return 1;
}

sq_err conn_split_pages(const char *text, size_t len, int array_is_page,
			sq_err (*fn)(void *ctx, const char *page, size_t len, int number),
			void *ctx)
{
	size_t off = 0;
	int number = 0;
	sq_err rc;

	for (;;) {
		const char *end = NULL;
		cJSON *v;

		while (off < len && is_space(text[off]))
			off++;
		if (off >= len)
			break;
		if (text[off] == '{') {
			/* a page: where it ends is all that is needed here */
			size_t n = object_len(text + off, len - off);

			if (!n)   /* cut short: let the page parser say so */
				return emit(fn, ctx, text + off, len - off, &number);
			rc = emit(fn, ctx, text + off, n, &number);
			if (rc)
				return rc;
			off += n;
			continue;
		}
		v = cJSON_ParseWithLengthOpts(text + off, len - off, &end, 0);
		if (!v)  /* the rest is broken: let the page parser say why */
			return emit(fn, ctx, text + off, len - off, &number);
		if (is_page_list(v, array_is_page)) {
			const cJSON *e;

			for (e = v->child; e; e = e->next) {
				char *page = cJSON_PrintUnformatted(e);

				if (!page) {
					cJSON_Delete(v);
					return SQ_ENOMEM;
				}
				rc = fn(ctx, page, strlen(page), ++number);
				free(page);
				if (rc) {
					cJSON_Delete(v);
					return rc;
				}
			}
		} else {
			rc = emit(fn, ctx, text + off, (size_t)(end - (text + off)), &number);
			if (rc) {
				cJSON_Delete(v);
				return rc;
			}
		}
		cJSON_Delete(v);
		off = (size_t)(end - text);
	}
	return SQ_OK;
}
