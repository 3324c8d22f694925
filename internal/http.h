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
 * Redirects are not followed: a 3xx is returned as its status (a moved feed
 * is a configuration change, and following would hand the feed's
 * credential headers to another host).
 *
 * libcurl must be initialized once per process before http_new: main (and
 * each test) calls http_global_init() first and http_global_cleanup() last;
 * internal/ keeps no global state of its own.
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

/*
 * curl_global_init(CURL_GLOBAL_DEFAULT) and its inverse, for cmd/ and the
 * tests: call each once per process, before any thread starts and before
 * the first http_new, after the last http_free.  SQ_ENOMEM or SQ_EFATAL.
 */
sq_err http_global_init(struct sq_error *err);
void http_global_cleanup(void);

/*
 * Create a client from the http section of the configuration (the values
 * are copied; conf may be freed afterwards).  SQ_ECONFIG when a timeout or
 * max_body_bytes is not positive (libcurl would read 0 as "no limit");
 * low_speed_* <= 0 turns the low-speed abort off, and low_speed_time_ms is
 * rounded up to whole seconds (libcurl's unit).  One sq_http reuses one
 * libcurl handle and so its connections; it is not for concurrent use.
 */
sq_err http_new(const struct sq_http_config *conf, struct sq_http **out,
		struct sq_error *err);
void http_free(struct sq_http *h);

/*
 * One GET.  Returns SQ_OK whenever a complete response arrived (whatever its
 * status); SQ_ERETRY for transient transport failures (timeout, refused,
 * reset, truncated body: CURLE_PARTIAL_FILE, low-speed abort, a host name
 * that does not resolve: as with curl's --retry, since DNS is often not up yet
 * when a timer fires at boot); SQ_EFATAL for permanent ones (bad URL or
 * scheme, TLS handshake or verification, body over the cap);
 * SQ_ECHARSET when the body is not valid in its charset; SQ_ENOMEM.
 * resp is overwritten (it must be zeroed or released before) and the caller
 * releases it whatever the result; on SQ_ECHARSET it still holds the status
 * and headers.  A response whose status is not 2xx and whose body does not
 * decode is SQ_OK with an empty body: the status, not an error page in an
 * odd charset, decides what the caller does.  A request header containing
 * CR or LF is refused (SQ_EFATAL).  Messages name the URL (any user:password@
 * part removed; the query is kept because it names the page) and libcurl's
 * own error text.
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
 * [0,1) supplied by the caller (tests pass fixed values).  Never negative;
 * a hint is returned as is, without jitter, up to retry_after_max; attempt
 * numbers below 1 count as 1 and any large attempt number gives the cap.
 */
int64_t http_retry_delay_ms(const struct sq_http_config *conf, int attempt,
			    int64_t hint_ms, double rand01);

/*
 * Decode body bytes declared as charset (NULL: undeclared) to UTF-8 into out.
 * Accepts utf-8/utf8, gbk/gb2312/cp936, gb18030 (case-insensitive).  An
 * undeclared body must already be valid UTF-8.  SQ_ECHARSET names the first
 * bad byte offset; unknown charsets are SQ_ECHARSET too.
 * The text is appended to out; on failure out is left as it was.  UTF-8 is
 * checked strictly (no overlong forms, surrogates, code points above
 * U+10FFFF, or sequences cut short); a leading UTF-8 byte-order mark is
 * dropped.  GBK and GB18030 go through glibc's iconv, which rejects invalid
 * and incomplete sequences.  body may be NULL when len is 0.
 */
sq_err http_decode_charset(const char *charset, const char *body, size_t len,
			   struct sq_buf *out, struct sq_error *err);

/*
 * Parse the charset parameter out of a Content-Type value; malloc'd, lower
 * case, or NULL (none, empty, or out of memory).  Tolerates quoted values
 * with backslash escapes, spaces around ';' and '=', any case in the name.
 */
char *http_content_type_charset(const char *content_type);

#endif
