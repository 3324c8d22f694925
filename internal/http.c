/*
 * http.c — the shared HTTP client (libcurl) and the charset decoding of
 * feed pages.  See http.h for the contract; the notes here say why.
 *
 * Redirects are NOT followed.  The feeds are APIs at configured base URLs:
 * a 3xx means the configuration is out of date, and following it would send
 * the feed's credentials (X-Api-Key, Authorization, X-App-Key headers, which
 * libcurl does not strip for custom headers) to wherever the Location points.
 * The 3xx status is returned like any other; CURLOPT_REDIR_PROTOCOLS_STR is
 * still restricted to http,https in case someone turns following on later.
 */
#include "http.h"

#include <curl/curl.h>
#include <errno.h>
#include <iconv.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "banned.h"

#ifndef SUQIU_VERSION
#define SUQIU_VERSION "0.0.0"
#endif

struct sq_http {
	CURL *curl;
	int64_t max_body_bytes;
	char errbuf[CURL_ERROR_SIZE];

	/* State of the transfer in progress, reset by http_get. */
	struct sq_buf raw;        /* body bytes as received (after Content-Encoding) */
	int too_large;            /* the write callback refused more than max_body_bytes */
	int oom;                  /* a callback could not allocate */
	char *content_type;
	char *etag;
	char *retry_after;        /* raw header value, to tell "absent" from "0" */
};

/* ---- small string helpers (ASCII only: header syntax is not localized) ---- */

static int ascii_lower(int c)
{
	return c >= 'A' && c <= 'Z' ? c - 'A' + 'a' : c;
}

static int ascii_casecmp_n(const char *a, const char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++) {
		int ca = ascii_lower((unsigned char)a[i]), cb = ascii_lower((unsigned char)b[i]);

		if (ca != cb)
			return ca - cb;
		if (!ca)
			return 0;
	}
	return 0;
}

static int is_ows(char c)
{
	return c == ' ' || c == '\t';
}

/* name (length n) equals the NUL-terminated lower-case word, ignoring case. */
static int name_is(const char *name, size_t n, const char *word)
{
	return strlen(word) == n && !ascii_casecmp_n(name, word, n);
}

/*
 * Copy a server-supplied string into a message: at most 64 bytes, anything
 * but printable ASCII shown as '?', so a hostile header cannot put control
 * characters or broken UTF-8 into the one-line error.
 */
static const char *printable(const char *s, char *tmp, size_t size)
{
	size_t i;

	for (i = 0; s[i] && i + 1 < size && i < 64; i++)
		tmp[i] = (s[i] >= 0x20 && s[i] < 0x7f) ? s[i] : '?';
	tmp[i] = '\0';
	return tmp;
}

static sq_err content_type_charset(const char *ct, char **out);

/* ---- global init ---- */

sq_err http_global_init(struct sq_error *err)
{
	CURLcode rc = curl_global_init(CURL_GLOBAL_DEFAULT);

	if (rc != CURLE_OK)
		return sq_fail(err, rc == CURLE_OUT_OF_MEMORY ? SQ_ENOMEM : SQ_EFATAL,
			       "curl_global_init: %s", curl_easy_strerror(rc));
	return SQ_OK;
}

void http_global_cleanup(void)
{
	curl_global_cleanup();
}

/* ---- callbacks ---- */

static size_t write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	struct sq_http *h = userp;
	size_t n = size * nmemb;

	/* Refusing the bytes makes libcurl stop with CURLE_WRITE_ERROR; the
	 * flag tells http_get that it was the cap, not a failure. */
	if (n > (uint64_t)h->max_body_bytes - h->raw.len) {
		h->too_large = 1;
		return 0;
	}
	if (sq_buf_add(&h->raw, data, n)) {
		h->oom = 1;
		return 0;
	}
	return n;
}

static void clear_headers(struct sq_http *h)
{
	free(h->content_type);
	free(h->etag);
	free(h->retry_after);
	h->content_type = h->etag = h->retry_after = NULL;
}

static size_t header_cb(char *line, size_t size, size_t nitems, void *userp)
{
	struct sq_http *h = userp;
	size_t n = size * nitems, name_len, vstart, vend;
	const char *colon;
	char **slot = NULL;

	/* A status line starts a new response (1xx interim answers, proxy
	 * CONNECT): only the final response's headers count. */
	if (n >= 5 && !memcmp(line, "HTTP/", 5)) {
		clear_headers(h);
		return n;
	}
	colon = memchr(line, ':', n);
	if (!colon)
		return n;
	name_len = (size_t)(colon - line);
	if (name_is(line, name_len, "content-type"))
		slot = &h->content_type;
	else if (name_is(line, name_len, "etag"))
		slot = &h->etag;
	else if (name_is(line, name_len, "retry-after"))
		slot = &h->retry_after;
	else
		return n;
	vstart = name_len + 1;
	vend = n;
	while (vstart < vend && is_ows(line[vstart]))
		vstart++;
	while (vend > vstart && (is_ows(line[vend - 1]) || line[vend - 1] == '\r' ||
				 line[vend - 1] == '\n'))
		vend--;
	free(*slot);
	*slot = sq_strndup(line + vstart, vend - vstart);
	if (!*slot) {
		h->oom = 1;
		return 0;
	}
	return n;
}

/* ---- client ---- */

#define SETOPT(opt, val)                                        \
	do {                                                    \
		CURLcode setopt_rc_ = curl_easy_setopt(h->curl, opt, val); \
		if (setopt_rc_ != CURLE_OK) {                   \
			rc = sq_fail(err, setopt_rc_ == CURLE_OUT_OF_MEMORY ? SQ_ENOMEM : SQ_EFATAL, \
				     "libcurl option %s: %s", #opt, curl_easy_strerror(setopt_rc_)); \
			goto out;                               \
		}                                               \
	} while (0)

static long clamp_long(int64_t v)
{
	return v > LONG_MAX ? LONG_MAX : (long)v;
}

sq_err http_new(const struct sq_http_config *conf, struct sq_http **out,
		struct sq_error *err)
{
	struct sq_http *h = NULL;
	struct sq_buf ua = SQ_BUF_INIT;
	sq_err rc = SQ_OK;

	*out = NULL;
	/* Zero means "no limit" to libcurl: refuse it rather than silently
	 * lose a guarantee that http.h promises. */
	if (conf->connect_timeout_ms <= 0 || conf->total_timeout_ms <= 0)
		return sq_fail(err, SQ_ECONFIG, "http: timeouts must be positive");
	if (conf->max_body_bytes <= 0)
		return sq_fail(err, SQ_ECONFIG, "http: max_body_bytes must be positive");

	h = calloc(1, sizeof(*h));
	if (!h)
		return sq_fail(err, SQ_ENOMEM, "http: out of memory");
	h->max_body_bytes = conf->max_body_bytes;
	h->curl = curl_easy_init();
	if (!h->curl) {
		rc = sq_fail(err, SQ_ENOMEM, "http: curl_easy_init failed");
		goto out;
	}
	if (conf->user_agent && *conf->user_agent)
		rc = sq_buf_adds(&ua, conf->user_agent);
	else
		rc = sq_buf_adds(&ua, "suqiu/" SUQIU_VERSION);
	if (rc) {
		rc = sq_fail(err, SQ_ENOMEM, "http: out of memory");
		goto out;
	}

	SETOPT(CURLOPT_ERRORBUFFER, h->errbuf);
	SETOPT(CURLOPT_NOSIGNAL, 1L);
	SETOPT(CURLOPT_PROTOCOLS_STR, "http,https");
	SETOPT(CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
	SETOPT(CURLOPT_FOLLOWLOCATION, 0L);
	SETOPT(CURLOPT_SSL_VERIFYPEER, 1L);
	SETOPT(CURLOPT_SSL_VERIFYHOST, 2L);
	if (conf->ca_file && *conf->ca_file)
		SETOPT(CURLOPT_CAINFO, conf->ca_file);
	SETOPT(CURLOPT_CONNECTTIMEOUT_MS, clamp_long(conf->connect_timeout_ms));
	SETOPT(CURLOPT_TIMEOUT_MS, clamp_long(conf->total_timeout_ms));
	if (conf->low_speed_bytes > 0 && conf->low_speed_time_ms > 0) {
		/* libcurl counts the low-speed window in whole seconds. */
		int64_t secs = conf->low_speed_time_ms / 1000 +
			       (conf->low_speed_time_ms % 1000 != 0);

		SETOPT(CURLOPT_LOW_SPEED_LIMIT, clamp_long(conf->low_speed_bytes));
		SETOPT(CURLOPT_LOW_SPEED_TIME, clamp_long(secs));
	}
	/* Refuses early when Content-Length already says too much; the write
	 * callback enforces the cap on the decoded bytes in every case. */
	SETOPT(CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)conf->max_body_bytes);
	SETOPT(CURLOPT_ACCEPT_ENCODING, "");
	SETOPT(CURLOPT_USERAGENT, ua.data);
	SETOPT(CURLOPT_WRITEFUNCTION, write_cb);
	SETOPT(CURLOPT_WRITEDATA, h);
	SETOPT(CURLOPT_HEADERFUNCTION, header_cb);
	SETOPT(CURLOPT_HEADERDATA, h);
	SETOPT(CURLOPT_HTTPGET, 1L);

	*out = h;
	h = NULL;
out:
	sq_buf_release(&ua);
	http_free(h);
	return rc;
}

void http_free(struct sq_http *h)
{
	if (!h)
		return;
	if (h->curl)
		curl_easy_cleanup(h->curl);
	sq_buf_release(&h->raw);
	clear_headers(h);
	free(h);
}

void http_response_release(struct sq_http_response *resp)
{
	if (!resp)
		return;
	sq_buf_release(&resp->body);
	free(resp->content_type);
	free(resp->charset);
	free(resp->etag);
	resp->content_type = resp->charset = resp->etag = NULL;
	resp->status = 0;
	resp->retry_after_ms = -1;
}

/*
 * The URL for messages, without any user:password@ part.  The feeds carry
 * their secrets in headers, so the rest (including the query, which names
 * the page) is kept.
 */
static void url_for_message(const char *url, char *tmp, size_t size)
{
	const char *scheme_end = strstr(url, "://"), *auth_start, *at, *p;
	size_t n;

	if (!scheme_end) {
		snprintf(tmp, size, "%s", url);
		return;
	}
	auth_start = scheme_end + 3;
	at = NULL;
	for (p = auth_start; *p && *p != '/' && *p != '?' && *p != '#'; p++)
		if (*p == '@')
			at = p;
	if (!at) {
		snprintf(tmp, size, "%s", url);
		return;
	}
	n = (size_t)(auth_start - url);
	snprintf(tmp, size, "%.*s%s", (int)n, url, at + 1);
}

/* Transient transport failures: worth another attempt after a wait. */
static int curl_transient(CURLcode rc)
{
	switch (rc) {
	case CURLE_OPERATION_TIMEDOUT:   /* total timeout and low-speed abort */
	case CURLE_COULDNT_CONNECT:
	case CURLE_COULDNT_RESOLVE_HOST: /* DNS down at boot; curl's --retry agrees */
	case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR:
	case CURLE_PARTIAL_FILE:
	case CURLE_GOT_NOTHING:
	case CURLE_HTTP2_STREAM:         /* stream reset: HTTP/2's RECV_ERROR */
	case CURLE_BAD_CONTENT_ENCODING: /* a compressed body cut short */
	case CURLE_WRITE_ERROR:          /* the body cap is handled before this */
		return 1;
	default:
		return 0;
	}
}

/*
 * Retry-After in milliseconds, -1 when absent or unreadable.  libcurl parses
 * both forms (delay-seconds, HTTP-date) but answers 0 for "absent", "0",
 * "a date in the past" and "garbage" alike; the raw header tells them apart.
 */
static int64_t retry_after_ms(struct sq_http *h)
{
	curl_off_t secs = 0;
	const char *p;

	if (!h->retry_after)
		return -1;
	if (curl_easy_getinfo(h->curl, CURLINFO_RETRY_AFTER, &secs) != CURLE_OK)
		return -1;
	if (secs > 0)
		return secs > INT64_MAX / 1000 ? INT64_MAX : (int64_t)secs * 1000;
	for (p = h->retry_after; *p >= '0' && *p <= '9'; p++)
		;
	if (p != h->retry_after && !*p)
		return 0;                       /* "0" (or "000") */
	if (curl_getdate(h->retry_after, NULL) != -1)
		return 0;                       /* a date already past */
	return -1;
}

static int has_line_break(const char *s)
{
	return strchr(s, '\r') || strchr(s, '\n');
}

sq_err http_get(struct sq_http *h, const struct sq_http_request *req,
		struct sq_http_response *resp, struct sq_error *err)
{
	struct curl_slist *headers = NULL, *tmp;
	char url[256];
	CURLcode crc;
	sq_err rc = SQ_OK;
	size_t i;

	memset(resp, 0, sizeof(*resp));
	resp->retry_after_ms = -1;
	if (!req->url)
		return sq_fail(err, SQ_EFATAL, "GET: no URL");
	url_for_message(req->url, url, sizeof(url));

	for (i = 0; i < req->nheaders; i++) {
		/* A secret file with a trailing newline must not become a second,
		 * attacker-shaped header line. */
		if (has_line_break(req->headers[i])) {
			rc = sq_fail(err, SQ_EFATAL, "GET %s: request header %zu contains a line break",
				     url, i + 1);
			goto out;
		}
		tmp = curl_slist_append(headers, req->headers[i]);
		if (!tmp) {
			rc = sq_fail(err, SQ_ENOMEM, "GET %s: out of memory", url);
			goto out;
		}
		headers = tmp;
	}

	sq_buf_reset(&h->raw);
	clear_headers(h);
	h->too_large = h->oom = 0;
	h->errbuf[0] = '\0';
	if ((crc = curl_easy_setopt(h->curl, CURLOPT_URL, req->url)) != CURLE_OK ||
	    (crc = curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, headers)) != CURLE_OK) {
		rc = sq_fail(err, crc == CURLE_OUT_OF_MEMORY ? SQ_ENOMEM : SQ_EFATAL,
			     "GET %s: %s", url, curl_easy_strerror(crc));
		goto out;
	}
	crc = curl_easy_perform(h->curl);
	/* The list is freed below; libcurl must not keep a dangling pointer. */
	curl_easy_setopt(h->curl, CURLOPT_HTTPHEADER, (struct curl_slist *)NULL);

	if (h->oom || crc == CURLE_OUT_OF_MEMORY) {
		rc = sq_fail(err, SQ_ENOMEM, "GET %s: out of memory", url);
		goto out;
	}
	if (h->too_large || crc == CURLE_FILESIZE_EXCEEDED) {
		rc = sq_fail(err, SQ_EFATAL, "GET %s: response body larger than %lld bytes",
			     url, (long long)h->max_body_bytes);
		goto out;
	}
	if (crc != CURLE_OK) {
		rc = sq_fail(err, curl_transient(crc) ? SQ_ERETRY : SQ_EFATAL,
			     "GET %s: %s (curl error %d)", url,
			     h->errbuf[0] ? h->errbuf : curl_easy_strerror(crc), (int)crc);
		goto out;
	}

	curl_easy_getinfo(h->curl, CURLINFO_RESPONSE_CODE, &resp->status);
	resp->retry_after_ms = retry_after_ms(h);
	resp->content_type = h->content_type;
	resp->etag = h->etag;
	h->content_type = h->etag = NULL;
	if (resp->content_type) {
		rc = content_type_charset(resp->content_type, &resp->charset);
		if (rc) {
			rc = sq_fail(err, rc, "GET %s: out of memory", url);
			goto out;
		}
	}
	if (resp->status == 304 || !h->raw.len)
		goto out;

	rc = http_decode_charset(resp->charset, h->raw.data, h->raw.len, &resp->body, err);
	if (rc == SQ_ECHARSET && (resp->status < 200 || resp->status > 299)) {
		/* An error page in an odd charset (Tomcat's ISO-8859-1 HTML) must
		 * not hide its status: the status decides retry or fail. */
		sq_buf_release(&resp->body);
		sq_error_clear(err);
		rc = SQ_OK;
	} else if (rc) {
		sq_error_prefix(err, "GET %s: ", url);
	}
out:
	curl_slist_free_all(headers);
	return rc;
}

/* ---- Content-Type charset ---- */

/*
 * Media-type parameters (RFC 9110 §5.6.6): `; name=value` with optional
 * whitespace, the value a token or a quoted-string with backslash escapes.
 * Lenient about spaces around '=' (seen in the wild); names are
 * case-insensitive; the first charset parameter wins.
 */
static sq_err content_type_charset(const char *ct, char **out)
{
	struct sq_buf v = SQ_BUF_INIT;
	const char *p = strchr(ct, ';'), *name;
	size_t name_len;
	int want;

	*out = NULL;
	while (p && *p == ';') {
		p++;
		while (is_ows(*p))
			p++;
		name = p;
		while (*p && *p != '=' && *p != ';' && !is_ows(*p))
			p++;
		name_len = (size_t)(p - name);
		while (is_ows(*p))
			p++;
		if (*p != '=') {
			p = strchr(p, ';');
			continue;
		}
		p++;
		while (is_ows(*p))
			p++;
		want = name_is(name, name_len, "charset");
		sq_buf_reset(&v);
		if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && p[1])
					p++;
				if (want && sq_buf_addc(&v, (char)ascii_lower((unsigned char)*p)))
					goto nomem;
			}
			if (*p == '"')
				p++;
		} else {
			for (; *p && *p != ';' && !is_ows(*p); p++)
				if (want && sq_buf_addc(&v, (char)ascii_lower((unsigned char)*p)))
					goto nomem;
		}
		if (want) {
			/* charset="" declares nothing: treat it as undeclared. */
			if (v.len)
				*out = sq_buf_detach(&v);
			sq_buf_release(&v);
			return SQ_OK;
		}
		/* Skip whatever follows a value up to the next parameter;
		 * a ';' inside a quoted-string was consumed above. */
		while (*p && *p != ';')
			p++;
	}
	sq_buf_release(&v);
	return SQ_OK;
nomem:
	sq_buf_release(&v);
	return SQ_ENOMEM;
}

char *http_content_type_charset(const char *content_type)
{
	char *cs = NULL;

	if (!content_type)
		return NULL;
	if (content_type_charset(content_type, &cs))
		return NULL;
	return cs;
}

/* ---- charset decoding ---- */

/*
 * Offset of the first byte that does not start a well-formed UTF-8 sequence
 * (RFC 3629, Unicode table 3-7): no overlong forms, no surrogates, nothing
 * above U+10FFFF, nothing cut short.  len when all is well.  Written out by
 * hand because iconv's UTF-8 decoder is not the same everywhere about
 * surrogates and noncharacters, and "valid" must mean one thing.
 */
static size_t utf8_invalid_offset(const unsigned char *s, size_t len)
{
	size_t i = 0;

	while (i < len) {
		unsigned char c = s[i];
		unsigned char lo = 0x80, hi = 0xbf;
		size_t need, k;

		if (c < 0x80) {
			i++;
			continue;
		}
		if (c >= 0xc2 && c <= 0xdf) {
			need = 1;
		} else if (c >= 0xe0 && c <= 0xef) {
			need = 2;
			if (c == 0xe0)
				lo = 0xa0;          /* overlong below U+0800 */
			else if (c == 0xed)
				hi = 0x9f;          /* surrogates U+D800..DFFF */
		} else if (c >= 0xf0 && c <= 0xf4) {
			need = 3;
			if (c == 0xf0)
				lo = 0x90;          /* overlong below U+10000 */
			else if (c == 0xf4)
				hi = 0x8f;          /* above U+10FFFF */
		} else {
			return i;                   /* 80..C1, F5..FF */
		}
		if (need > len - i - 1)
			return i;
		if (s[i + 1] < lo || s[i + 1] > hi)
			return i;
		for (k = 2; k <= need; k++)
			if (s[i + k] < 0x80 || s[i + k] > 0xbf)
				return i;
		i += need + 1;
	}
	return len;
}

enum charset_kind { CS_UTF8, CS_GBK, CS_GB18030, CS_UNKNOWN };

static enum charset_kind charset_lookup(const char *name, size_t n)
{
	static const struct {
		const char *name;
		enum charset_kind kind;
	} names[] = {
		{ "utf-8", CS_UTF8 }, { "utf8", CS_UTF8 },
		/* GB2312 text is GBK text; servers that say cp936 mean GBK. */
		{ "gbk", CS_GBK }, { "gb2312", CS_GBK }, { "cp936", CS_GBK },
		{ "gb18030", CS_GB18030 },
	};
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (name_is(name, n, names[i].name))
			return names[i].kind;
	return CS_UNKNOWN;
}

/* Up to four bytes from offset, as hex, for a message. */
static const char *hex_at(const char *body, size_t len, size_t off, char *tmp, size_t size)
{
	size_t i, used = 0;

	tmp[0] = '\0';
	for (i = off; i < len && i < off + 4 && used + 4 < size; i++)
		used += (size_t)snprintf(tmp + used, size - used, "%s%02x", i > off ? " " : "",
					 (unsigned)(unsigned char)body[i]);
	return tmp;
}

static sq_err decode_iconv(const char *from, const char *body, size_t len,
			   struct sq_buf *out, struct sq_error *err)
{
	iconv_t cd;
	char *in = (char *)body, hex[16];
	size_t inleft = len, off, bad;
	sq_err rc = SQ_OK;

	cd = iconv_open("UTF-8", from);
	if (cd == (iconv_t)-1)
		return sq_fail(err, errno == ENOMEM ? SQ_ENOMEM : SQ_ECHARSET,
			       "charset %s: iconv_open: %s", from, strerror(errno));
	while (inleft > 0) {
		char *o;
		size_t oleft, r;

		/* GBK and GB18030 never grow by more than half in UTF-8
		 * (2 bytes -> 3, 4 -> 4); E2BIG below covers any surprise. */
		if (sq_buf_grow(out, inleft + inleft / 2 + 16)) {
			rc = sq_fail(err, SQ_ENOMEM, "decoding %s: out of memory", from);
			goto out;
		}
		o = out->data + out->len;
		oleft = out->cap - out->len - 1;
		r = iconv(cd, &in, &inleft, &o, &oleft);
		out->len = (size_t)(o - out->data);
		out->data[out->len] = '\0';
		if (r != (size_t)-1) {
			if (r > 0) {
				/* Not seen with glibc without //TRANSLIT; a lossy
				 * conversion would silently change complaint text. */
				rc = sq_fail(err, SQ_ECHARSET, "%s: %zu characters could not be converted exactly",
					     from, r);
				goto out;
			}
			continue;
		}
		if (errno == E2BIG)
			continue;
		off = (size_t)(in - body);
		if (errno == EINVAL)
			rc = sq_fail(err, SQ_ECHARSET,
				     "incomplete %s sequence at end of body (byte offset %zu: %s)",
				     from, off, hex_at(body, len, off, hex, sizeof(hex)));
		else if (errno == EILSEQ)
			rc = sq_fail(err, SQ_ECHARSET, "invalid %s bytes at byte offset %zu (%s)",
				     from, off, hex_at(body, len, off, hex, sizeof(hex)));
		else
			rc = sq_fail(err, SQ_ECHARSET, "decoding %s at byte offset %zu: %s",
				     from, off, strerror(errno));
		goto out;
	}
	/* Belt and braces: whatever iconv wrote must pass the same strict
	 * check as a body that arrived in UTF-8. */
	bad = utf8_invalid_offset((const unsigned char *)out->data, out->len);
	if (out->data && bad != out->len)
		rc = sq_fail(err, SQ_ECHARSET, "decoding %s produced invalid UTF-8", from);
out:
	iconv_close(cd);
	return rc;
}

sq_err http_decode_charset(const char *charset, const char *body, size_t len,
			   struct sq_buf *out, struct sq_error *err)
{
	size_t start = out->len, bad, n;
	const char *name;
	char tmp[80], hex[16];
	sq_err rc;

	if (!body)
		len = 0;
	if (!charset) {
		bad = utf8_invalid_offset((const unsigned char *)body, len);
		if (bad != len)
			return sq_fail(err, SQ_ECHARSET,
				       "undeclared charset and bytes are not UTF-8 (byte offset %zu: %s)",
				       bad, hex_at(body, len, bad, hex, sizeof(hex)));
		goto copy_utf8;
	}
	name = charset;
	while (is_ows(*name))
		name++;
	n = strlen(name);
	while (n && is_ows(name[n - 1]))
		n--;
	switch (charset_lookup(name, n)) {
	case CS_UTF8:
		bad = utf8_invalid_offset((const unsigned char *)body, len);
		if (bad != len)
			return sq_fail(err, SQ_ECHARSET, "invalid UTF-8 at byte offset %zu (%s)",
				       bad, hex_at(body, len, bad, hex, sizeof(hex)));
		goto copy_utf8;
	case CS_GBK:
		rc = decode_iconv("GBK", body, len, out, err);
		break;
	case CS_GB18030:
		rc = decode_iconv("GB18030", body, len, out, err);
		break;
	default:
		return sq_fail(err, SQ_ECHARSET, "unsupported charset '%s'",
			       printable(charset, tmp, sizeof(tmp)));
	}
	if (rc) {
		out->len = start;
		if (out->data)
			out->data[start] = '\0';
	}
	return rc;

copy_utf8:
	/* A byte-order mark is not content, and JSON parsers reject it. */
	if (len >= 3 && !memcmp(body, "\xef\xbb\xbf", 3)) {
		body += 3;
		len -= 3;
	}
	if (sq_buf_add(out, body, len))
		return sq_fail(err, SQ_ENOMEM, "decoding UTF-8: out of memory");
	return SQ_OK;
}

/* ---- retry policy ---- */

int http_status_transient(long status)
{
	switch (status) {
	case 408: case 429: case 500: case 502: case 503: case 504:
		return 1;
	default:
		return 0;
	}
}

int64_t http_retry_delay_ms(const struct sq_http_config *conf, int attempt,
			    int64_t hint_ms, double rand01)
{
	int64_t base = conf->backoff_base_ms > 0 ? conf->backoff_base_ms : 0;
	int64_t max = conf->backoff_max_ms > 0 ? conf->backoff_max_ms : 0;
	int64_t hint_max = conf->retry_after_max_ms > 0 ? conf->retry_after_max_ms : 0;
	int64_t cap, d;
	double p;
	int shift;

	if (hint_ms >= 0)
		return hint_ms < hint_max ? hint_ms : hint_max;
	if (attempt < 1)
		attempt = 1;
	/* base * 2^(attempt-1), stopping at max before it can overflow. */
	shift = attempt - 1;
	if (shift >= 62 || base > (max >> shift))
		cap = max;
	else
		cap = base << shift;
	if (!(rand01 > 0.0))                    /* also catches NaN */
		return 0;
	p = (double)cap * rand01;
	/* (double)cap may round up to 2^63: convert only what is below it. */
	if (rand01 >= 1.0 || p >= (double)cap)
		return cap;
	d = (int64_t)p;
	return d < 0 ? 0 : d;
}
