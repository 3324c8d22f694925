/*
 * http.h — the shared HTTP client of the connectors (libcurl).
 *
 * One sq_http per poll run (it keeps connections alive between pages).
 * http_get performs ONE attempt: the caller (poll) owns the retry loop and
 * asks http_retry_delay_ms for the wait, so the policy is in one place:
 * full-jitter exponential backoff with a cap, Retry-After honoured but
 * clamped, and a total time budget (curl's tool_operate.c is the model).
 *
 * Guarantees of http_get: connect and total timeouts and a low-speed limit
 * from the configuration; the body is capped at max_body_bytes in the write
 * callback (the transfer is aborted, SQ_EFATAL); only http and https; TLS
 * peer and host verification always on (ca_file optional); a User-Agent
 * naming suqiu and its version; status codes are returned, not treated as
 * transport errors.  The body is decoded to UTF-8 from the charset declared
 * in Content-Type (UTF-8 when none is declared and the bytes are valid
 * UTF-8; GBK and GB18030 through iconv); invalid bytes are SQ_ECHARSET.
 */
#ifndef SUQIU_HTTP_H
#define SUQIU_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "config.h"
#include "error.h"

struct sq_http;

struct sq_http_request {
	const char *url;              /* absolute http(s) URL */
	const char *const *headers;   /* "Name: value" lines */
	size_t nheaders;
};

struct sq_http_response {
	long status;                  /* HTTP status, e.g. 200, 304, 429 */
	struct sq_buf body;           /* UTF-8 after decoding (empty for 304) */
	char *content_type;           /* as sent, or NULL */
	char *charset;                /* declared charset, lower case, or NULL */
	char *etag;                   /* ETag header, or NULL */
	int64_t retry_after_ms;       /* Retry-After (seconds or HTTP date), -1 none */
};

/* Create a client from the http section of the configuration. */
sq_err http_new(const struct sq_http_config *conf, struct sq_http **out,
		struct sq_error *err);
void http_free(struct sq_http *h);

/*
 * One GET.  Returns SQ_OK whenever a complete response arrived (whatever its
 * status); SQ_ERETRY for transient transport failures (timeout, refused,
 * reset, truncated body: CURLE_PARTIAL_FILE, low-speed abort); SQ_EFATAL
 * for permanent ones (bad URL, TLS verification, body over the cap);
 * SQ_ECHARSET when the body is not valid in its charset.  resp must be
 * zeroed or released before; the caller releases it.
 */
sq_err http_get(struct sq_http *h, const struct sq_http_request *req,
		struct sq_http_response *resp, struct sq_error *err);

void http_response_release(struct sq_http_response *resp);

/* True for statuses worth retrying: 408, 429, 500, 502, 503, 504. */
int http_status_transient(long status);

/*
 * The wait before retry number `attempt` (1 = first retry): full jitter
 * over min(backoff_max, backoff_base * 2^(attempt-1)), or the server's hint
 * (hint_ms >= 0) clamped to retry_after_max.  rand01 is a uniform sample in
 * [0,1) supplied by the caller (tests pass fixed values).
 */
int64_t http_retry_delay_ms(const struct sq_http_config *conf, int attempt,
			    int64_t hint_ms, double rand01);

/*
 * Decode body bytes declared as charset (NULL: undeclared) to UTF-8 into out.
 * Accepts utf-8/utf8, gbk/gb2312/cp936, gb18030 (case-insensitive).  An
 * undeclared body must already be valid UTF-8.  SQ_ECHARSET names the first
 * bad byte offset; unknown charsets are SQ_ECHARSET too.
 */
sq_err http_decode_charset(const char *charset, const char *body, size_t len,
			   struct sq_buf *out, struct sq_error *err);

/* Parse the charset parameter out of a Content-Type value; malloc'd or NULL. */
char *http_content_type_charset(const char *content_type);

#endif
