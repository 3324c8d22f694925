/*
 * connector.h — a feed type as a declaration (after Fluent Bit's plugins).
 *
 * A connector is a static struct: its type name, an option table for its own
 * configuration keys (filled into a conf_size struct per configured source),
 * and two callbacks:
 *
 *   build_request  saved cursor  -> the URL and headers of the next page;
 *   parse_page     one response  -> common records, quarantined bad records,
 *                                   the cursor to commit with them, whether
 *                                   more pages are there now, or a verdict
 *                                   on what went wrong (retry, fail, ...).
 *
 * Both are pure: no network, no SQL, no clock or randomness of their own
 * (the caller passes time and, for tests, the nonce), so they are unit
 * tested from recorded pages and fuzzed.  HTTP, retries, charset decoding,
 * normalization and storage are shared code (poll.c); adding a feed type is
 * one file and one registry line.
 *
 * Cursors are small JSON objects written by the connector and kept opaque by
 * everyone else (store.h saves them as text, in the same transaction as the
 * page's records).  A NULL cursor means "never polled": the connector starts
 * at the source's start_from.  Each connector documents its cursor's fields
 * at the top of its file.
 */
#ifndef SUQIU_CONNECTOR_H
#define SUQIU_CONNECTOR_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"
#include "options.h"
#include "record.h"

struct sq_source_config;
struct sq_http_response;

/* What the caller supplies as time and randomness to build_request/parse_page. */
struct sq_conn_env {
	int64_t now_ms;      /* the logical now (windows end here), Unix ms */
	int64_t wall_ms;     /* the real clock, for request signatures, Unix ms */
	const char *nonce;   /* fixed signature nonce (tests); NULL: RAND_bytes */
};

/* Most headers any request carries (signatures need four, plus If-None-Match). */
#define SQ_CONN_MAX_HEADERS 8

/* One request to make.  Everything is owned by the struct (conn_request_release). */
struct sq_conn_request {
	char *url;                                /* absolute URL */
	char *headers[SQ_CONN_MAX_HEADERS];       /* "Name: value" */
	size_t nheaders;
	char *what;       /* names the page for messages: "page 3 (updatedFrom=... pageNo=1)" */
	int idle;         /* nothing to fetch now (e.g. the window starts in the future) */
	char *redact;     /* a secret inside url (as encoded there): kept out of messages */
};

/*
 * What a response means.  PAGE and NOT_MODIFIED carry a cursor to commit;
 * the others carry a message in the sq_error of parse_page.
 */
enum sq_verdict {
	SQ_VERDICT_PAGE = 0,        /* records (maybe none), cursor, more */
	SQ_VERDICT_NOT_MODIFIED,    /* 304: nothing changed on this page; cursor, more */
	SQ_VERDICT_RETRY,           /* transient (5xx, 429, 42901, a broken page): retry_after_ms hint */
	SQ_VERDICT_FATAL,           /* permanent (credentials, parameters): fail the source */
	SQ_VERDICT_RESIGN,          /* signature refused: build a fresh request and retry once */
	SQ_VERDICT_RESTART,         /* bad cursor: restart from page->cursor once, then fail */
};

/* A record refused on an otherwise good page, kept raw with the reason. */
struct sq_conn_bad {
	char *source_id;  /* NULL when the id itself is missing or wrong */
	char *raw;        /* the record's JSON */
	char *reason;     /* one line: "updateTime: not 'yyyy-MM-dd HH:mm:ss': ..." */
};

/* One parsed page.  Zero it before parse_page; release with conn_page_release. */
struct sq_conn_page {
	enum sq_verdict verdict;
	struct sq_record *records;   /* raw records, as the feed said them (normalize next) */
	size_t nrecords;
	struct sq_conn_bad *bad;
	size_t nbad;
	char *cursor;                /* PAGE/NOT_MODIFIED: to commit; RESTART: to restart from */
	int more;                    /* PAGE/NOT_MODIFIED: another page is there now */
	int64_t retry_after_ms;      /* RETRY: the server's hint, -1 none */
	int64_t total;               /* records the feed says match (-1 unknown), for messages */
};

struct sq_connector {
	const char *type;                 /* as written in `type:` */
	const char *help;                 /* one line */
	const struct sq_option *options;  /* the source's own keys */
	size_t conf_size;                 /* size of the struct options fill */

	/*
	 * The request for the page after cursor (NULL: the first ever, from
	 * src->start_from).  Fills req (zeroed by the caller); SQ_EPARSE when
	 * the saved cursor is not one this connector wrote (the message says
	 * how to reset it), SQ_ECONFIG for a missing secret, SQ_ENOMEM.
	 * Call it again for every attempt: signatures are single-use.
	 */
	sq_err (*build_request)(const struct sq_source_config *src, const char *cursor,
				const struct sq_conn_env *env, struct sq_conn_request *req,
				struct sq_error *err);

	/*
	 * Interpret the response to the request built from cursor.  Returns
	 * SQ_OK having set page->verdict; for every verdict but PAGE and
	 * NOT_MODIFIED err holds a one-line message (not yet naming the source
	 * or page: the caller prefixes those).  A page that is not JSON, is cut
	 * short or lacks its envelope is SQ_VERDICT_RETRY with err->code
	 * SQ_EPARSE: never half-imported.  Returns SQ_ENOMEM (only) when it
	 * could not do its job at all; page is then released.
	 * resp->body must be UTF-8 (http.c decodes it).
	 */
	sq_err (*parse_page)(const struct sq_source_config *src, const char *cursor,
			     const struct sq_conn_env *env, const struct sq_http_response *resp,
			     struct sq_conn_page *page, struct sq_error *err);

	/* `suqiu import` needs to know how a dump of pages looks (conn_split_pages). */
	int array_is_page;                /* the feed's page itself is a JSON array (Open311) */
};

/* The registered connector of that type, or NULL. */
const struct sq_connector *connector_find(const char *type);

/* All registered connectors, NULL-terminated. */
const struct sq_connector *const *connector_all(void);

/* Free what a request owns and zero it. */
void conn_request_release(struct sq_conn_request *req);

/* Free what a page owns (records included) and zero it. */
void conn_page_release(struct sq_conn_page *page);

/* Short names of the verdicts, for messages and tests ("page", "retry", ...). */
const char *conn_verdict_name(enum sq_verdict v);

/*
 * Split len bytes of a saved dump into pages: a single JSON value, several
 * values one after another (whitespace between), or — when the text is one
 * array whose elements are pages — that array's elements.  A page of a feed
 * whose pages are arrays (array_is_page) is recognised by holding no arrays
 * itself.  fn receives each page as JSON text (NUL-terminated, len bytes)
 * with its 1-based number; a non-zero return stops the walk and is returned.
 * Text that is not JSON from some point on is passed to fn as it is, as the
 * last page, so that the caller reports it through the usual page error.
 */
sq_err conn_split_pages(const char *text, size_t len, int array_is_page,
			sq_err (*fn)(void *ctx, const char *page, size_t len, int number),
			void *ctx);

#endif
