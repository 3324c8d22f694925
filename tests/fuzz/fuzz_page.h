/*
 * fuzz_page.h — the body of the fuzz_page_<type>.c targets: one
 * connector's parse_page on arbitrary bytes (seeded with the recorded pages
 * of tests/data/pages/<type>/, see mk/poll-fuzz.mk).
 *
 * The input is the response body.  It is parsed as a 200 page with no
 * cursor and as an error answer (the status cycles through those the
 * connectors treat specially); when the 200 parse yields a cursor, that
 * cursor must be one build_request accepts and parse_page reads back (also
 * as a 304).  Besides "no crash, no leak", it checks what poll relies on:
 * PAGE and NOT_MODIFIED carry a cursor, the other verdicts a message, and
 * every record an id, a source and its raw JSON (an updated_at of 0 is
 * "not given", which normalize turns into received_at).
 *
 * Define FUZZ_TYPE before including.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "config.h"
#include "connectors/connector.h"
#include "connectors/registry.h"
#include "error.h"
#include "http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fuzz_source {
	struct sq_source_config src;
	struct hotline_conf hotline;
	struct liaison_conf liaison;
	struct citymgmt_conf city;
	struct open311_conf open311;
};

static void fuzz_source_init(struct fuzz_source *f)
{
	memset(f, 0, sizeof(*f));
	f->src.name = (char *)"fuzz";
	f->src.type = (char *)FUZZ_TYPE;
	f->src.connector = connector_find(FUZZ_TYPE);
	f->src.base_url = (char *)"http://127.0.0.1:1/x";
	f->src.start_from = 1714492800;
	f->src.enabled = 1;
	f->hotline.app_key = (char *)"demo";
	f->hotline.app_secret.value = (char *)"demo-secret";
	f->hotline.page_size = 2;
	f->liaison.token.value = (char *)"t";
	f->liaison.page_size = 2;
	f->city.api_key.value = (char *)"k";
	f->city.page_size = 2;
	f->city.window_ms = 86400000;
	f->open311.page_size = 2;
	f->open311.window_ms = 7 * 86400000LL;
	if (!strcmp(FUZZ_TYPE, "hotline12345"))
		f->src.conf = &f->hotline;
	else if (!strcmp(FUZZ_TYPE, "deputy_liaison"))
		f->src.conf = &f->liaison;
	else if (!strcmp(FUZZ_TYPE, "city_mgmt"))
		f->src.conf = &f->city;
	else
		f->src.conf = &f->open311;
}

static void check_page(const struct sq_conn_page *page, const struct sq_error *err)
{
	size_t i;

	if (page->verdict == SQ_VERDICT_PAGE || page->verdict == SQ_VERDICT_NOT_MODIFIED) {
		if (!page->cursor)
			abort();
	} else if (!err->msg[0]) {
		abort();
	}
	for (i = 0; i < page->nrecords; i++)
		if (!page->records[i].source_id || !page->records[i].source ||
		    !page->records[i].raw)
			abort();
	for (i = 0; i < page->nbad; i++)
		if (!page->bad[i].raw || !page->bad[i].reason)
			abort();
}

static void parse_once(const struct fuzz_source *f, const char *cursor, long status,
		       const struct sq_buf *body, const char *etag, char **cursor_out)
{
	struct sq_conn_env env = { 1715702400000LL, 1715702400000LL, "00112233445566778899aabbccddeeff" };
	struct sq_http_response resp;
	struct sq_conn_page page;
	struct sq_error err;

	memset(&resp, 0, sizeof(resp));
	memset(&page, 0, sizeof(page));
	memset(&err, 0, sizeof(err));
	resp.status = status;
	resp.body = *body;
	resp.retry_after_ms = -1;
	resp.etag = (char *)etag;
	if (f->src.connector->parse_page(&f->src, cursor, &env, &resp, &page, &err))
		return;   /* out of memory: page already released */
	check_page(&page, &err);
	if (cursor_out && page.cursor) {
		*cursor_out = page.cursor;
		page.cursor = NULL;
	}
	conn_page_release(&page);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const long statuses[] = { 400, 401, 403, 429, 500, 502 };
	struct sq_conn_env env = { 1715702400000LL, 1715702400000LL, "00112233445566778899aabbccddeeff" };
	struct sq_buf body = SQ_BUF_INIT;
	struct sq_conn_request req;
	struct sq_error err;
	struct fuzz_source f;
	char *cursor = NULL;

	fuzz_source_init(&f);
	if (sq_buf_add(&body, data, size))
		return 0;
	parse_once(&f, NULL, 200, &body, "\"e\"", &cursor);
	parse_once(&f, NULL, statuses[size % (sizeof(statuses) / sizeof(statuses[0]))], &body,
		   NULL, NULL);
	if (cursor) {
		/* A cursor parse_page wrote must be one the connector reads back. */
		memset(&req, 0, sizeof(req));
		memset(&err, 0, sizeof(err));
		if (f.src.connector->build_request(&f.src, cursor, &env, &req, &err) == SQ_EPARSE)
			abort();
		conn_request_release(&req);
		parse_once(&f, cursor, 304, &body, NULL, NULL);
		parse_once(&f, cursor, 200, &body, NULL, NULL);
		free(cursor);
	}
	/* The body as a saved cursor: must be refused cleanly or used. */
	memset(&req, 0, sizeof(req));
	memset(&err, 0, sizeof(err));
	f.src.connector->build_request(&f.src, sq_buf_str(&body), &env, &req, &err);
	conn_request_release(&req);
	sq_buf_release(&body);
	return 0;
}
