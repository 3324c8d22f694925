/* Alert and digest messages: MIME building and SMTP delivery with libcurl. */
#include "mail.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "banned.h"

/* Longest header line we write, and the longest encoded word (RFC 2047). */
#define LINE_MAX_CHARS 76
#define WORD_MAX_CHARS 75
#define WORD_OVERHEAD 12   /* "=?UTF-8?B?" + "?=" */

static const char b64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

sq_err mail_base64(struct sq_buf *out, const void *data, size_t n, size_t wrap)
{
	const unsigned char *p = data;
	size_t i, col = 0;
	char q[4];

	for (i = 0; i < n; i += 3) {
		unsigned v = (unsigned)p[i] << 16;

		if (i + 1 < n)
			v |= (unsigned)p[i + 1] << 8;
		if (i + 2 < n)
			v |= p[i + 2];
		q[0] = b64[(v >> 18) & 63];
		q[1] = b64[(v >> 12) & 63];
		q[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		q[3] = i + 2 < n ? b64[v & 63] : '=';
		if (sq_buf_add(out, q, 4))
			return SQ_ENOMEM;
		col += 4;
		if (wrap && col >= wrap && i + 3 < n) {
			if (sq_buf_adds(out, "\r\n"))
				return SQ_ENOMEM;
			col = 0;
		}
	}
	return SQ_OK;
}

/* Length of the UTF-8 sequence starting with byte c (1 for stray bytes). */
static size_t utf8_len(unsigned char c)
{
	if (c >= 0xf0 && c < 0xf8)
		return 4;
	if (c >= 0xe0)
		return c < 0xf0 ? 3 : 1;
	if (c >= 0xc0)
		return 2;
	return 1;
}

/* s without CR and LF (each becomes a space), malloc'd. */
static char *header_clean(const char *s)
{
	char *c = strdup(s ? s : ""), *p;

	if (!c)
		return NULL;
	for (p = c; *p; p++)
		if (*p == '\r' || *p == '\n')
			*p = ' ';
	return c;
}

sq_err mail_encoded_header(struct sq_buf *out, const char *name, const char *value)
{
	char *v = header_clean(value);
	size_t len, pos = 0, used;
	int first = 1;

	if (!v)
		return SQ_ENOMEM;
	len = strlen(v);
	if (sq_buf_addf(out, "%s:", name))
		goto oom;
	used = strlen(name) + 1;
	do {
		/* Bytes of text that fit: base64 of them plus the overhead and
		 * the leading space within the line, and within one word. */
		size_t room = LINE_MAX_CHARS - used - 1 - WORD_OVERHEAD;
		size_t max_bytes, take = 0;

		if (room > WORD_MAX_CHARS - WORD_OVERHEAD)
			room = WORD_MAX_CHARS - WORD_OVERHEAD;
		max_bytes = room / 4 * 3;
		while (pos + take < len) {
			size_t cl = utf8_len((unsigned char)v[pos + take]);

			if (pos + take + cl > len)
				cl = len - pos - take;
			if (take + cl > max_bytes)
				break;
			take += cl;
		}
		if (!take && pos < len)   /* cannot happen with room >= 4 bytes */
			take = 1;
		if (!first && sq_buf_adds(out, "\r\n"))
			goto oom;
		if (sq_buf_adds(out, " =?UTF-8?B?") || mail_base64(out, v + pos, take, 0) ||
		    sq_buf_adds(out, "?="))
			goto oom;
		pos += take;
		used = 1;
		first = 0;
	} while (pos < len);
	free(v);
	return sq_buf_adds(out, "\r\n") ? SQ_ENOMEM : SQ_OK;
oom:
	free(v);
	return SQ_ENOMEM;
}

sq_err mail_html_escape(struct sq_buf *out, const char *s)
{
	for (; s && *s; s++) {
		const char *rep = NULL;

		switch (*s) {
		case '&': rep = "&amp;"; break;
		case '<': rep = "&lt;"; break;
		case '>': rep = "&gt;"; break;
		case '"': rep = "&quot;"; break;
		case '\'': rep = "&#39;"; break;
		default: break;
		}
		if (rep ? sq_buf_adds(out, rep) : sq_buf_addc(out, *s))
			return SQ_ENOMEM;
	}
	return SQ_OK;
}

const char *mail_date(int64_t t, int tz_offset_s, char *buf, size_t size)
{
	static const char *const days[] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
					      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	time_t local = (time_t)(t + tz_offset_s);
	int off = tz_offset_s < 0 ? -tz_offset_s : tz_offset_s;
	struct tm tm;

	if (!gmtime_r(&local, &tm)) {
		snprintf(buf, size, "Thu, 01 Jan 1970 00:00:00 +0000");
		return buf;
	}
	snprintf(buf, size, "%s, %02d %s %04d %02d:%02d:%02d %c%02d%02d", days[tm.tm_wday],
		 tm.tm_mday, months[tm.tm_mon], tm.tm_year + 1900, tm.tm_hour, tm.tm_min,
		 tm.tm_sec, tz_offset_s < 0 ? '-' : '+', off / 3600, off % 3600 / 60);
	return buf;
}

int mail_address_ok(const char *addr)
{
	const char *at, *p;

	if (!addr || !*addr || strlen(addr) > 254)
		return 0;
	at = strchr(addr, '@');
	if (!at || at == addr || !at[1] || strchr(at + 1, '@'))
		return 0;
	for (p = addr; *p; p++)
		if ((unsigned char)*p <= ' ' || strchr("<>()[],;:\\\"", *p))
			return 0;
	return 1;
}

/* FNV-1a, for a boundary that is stable for one Message-ID. */
static uint64_t fnv1a(const char *s)
{
	uint64_t h = 1469598103934665603ull;

	for (; s && *s; s++) {
		h ^= (unsigned char)*s;
		h *= 1099511628211ull;
	}
	return h;
}

/* Append name with anything but letters, digits, '.', '-' and '_' as '_':
 * a file name that needs no RFC 2231 encoding and cannot break the header. */
static sq_err add_filename(struct sq_buf *out, const char *name)
{
	for (; *name; name++) {
		char c = *name;
		int ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
			 (c >= '0' && c <= '9') || c == '.' || c == '-' || c == '_';

		if (sq_buf_addc(out, ok ? c : '_'))
			return SQ_ENOMEM;
	}
	return SQ_OK;
}

/* Body text with every line end as CRLF, base64, in lines of 76; with
 * filename, as an attachment of that name. */
static sq_err add_part(struct sq_buf *out, const char *boundary, const char *type,
		       const char *body, const char *filename)
{
	struct sq_buf crlf = SQ_BUF_INIT;
	const char *p;
	sq_err rc = SQ_ENOMEM;

	for (p = body ? body : ""; *p; p++) {
		if (*p == '\r')
			continue;
		if (*p == '\n' ? sq_buf_adds(&crlf, "\r\n") : sq_buf_addc(&crlf, *p))
			goto out;
	}
	if (sq_buf_addf(out, "--%s\r\nContent-Type: %s; charset=UTF-8\r\n", boundary, type))
		goto out;
	if (filename && (sq_buf_adds(out, "Content-Disposition: attachment; filename=\"") ||
			 add_filename(out, filename) || sq_buf_adds(out, "\"\r\n")))
		goto out;
	if (sq_buf_adds(out, "Content-Transfer-Encoding: base64\r\n\r\n") ||
	    mail_base64(out, crlf.data ? crlf.data : "", crlf.len, 76) ||
	    sq_buf_adds(out, "\r\n"))
		goto out;
	rc = SQ_OK;
out:
	sq_buf_release(&crlf);
	return rc;
}

/* "Name: value" with CR/LF removed from the value. */
static sq_err add_header(struct sq_buf *out, const char *name, const char *value)
{
	char *v = header_clean(value);
	sq_err rc;

	if (!v)
		return SQ_ENOMEM;
	rc = sq_buf_addf(out, "%s: %s\r\n", name, v);
	free(v);
	return rc;
}

sq_err mail_build(const struct mail_message *m, struct sq_buf *out, struct sq_error *err)
{
	struct sq_buf to = SQ_BUF_INIT;
	char date[64], boundary[40];
	size_t i;
	sq_err rc = SQ_ENOMEM;

	for (i = 0; i < m->nto; i++) {
		if (!mail_address_ok(m->to[i]))
			continue;
		if ((to.len && sq_buf_adds(&to, ", ")) || sq_buf_adds(&to, m->to[i]))
			goto out;
	}
	snprintf(boundary, sizeof(boundary), "=_suqiu_%016llx",
		 (unsigned long long)fnv1a(m->message_id));
	if (add_header(out, "Date", mail_date(m->date, m->tz_offset_s, date, sizeof(date))) ||
	    add_header(out, "From", m->from) ||
	    add_header(out, "To", to.len ? to.data : "undisclosed-recipients:;") ||
	    mail_encoded_header(out, "Subject", m->subject) ||
	    add_header(out, "Message-ID", m->message_id) ||
	    add_header(out, "MIME-Version", "1.0") ||
	    add_header(out, "Auto-Submitted", "auto-generated"))
		goto out;
	for (i = 0; i < m->nextra; i++)
		if (add_header(out, m->extra[i].name, m->extra[i].value))
			goto out;
	if (sq_buf_addf(out, "Content-Type: multipart/%s; boundary=\"%s\"\r\n\r\n"
			"This is a multi-part message in MIME format.\r\n",
			m->html_filename ? "mixed" : "alternative", boundary) ||
	    add_part(out, boundary, "text/plain", m->text, NULL) ||
	    add_part(out, boundary, "text/html", m->html, m->html_filename) ||
	    sq_buf_addf(out, "--%s--\r\n", boundary))
		goto out;
	rc = SQ_OK;
out:
	sq_buf_release(&to);
	if (rc)
		return sq_fail(err, rc, "out of memory building a mail message");
	return SQ_OK;
}

/* ---- delivery ------------------------------------------------------------ */

int mail_url_is_loopback(const char *url)
{
	CURLU *u = curl_url();
	char *host = NULL;
	int yes = 0;

	if (!u)
		return 0;
	if (curl_url_set(u, CURLUPART_URL, url, CURLU_NON_SUPPORT_SCHEME) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK && host) {
		struct in_addr a4;
		struct in6_addr a6;
		char bare[64];
		size_t n = strlen(host);

		/* Literal addresses only: "127.example.com" is somebody's server. */
		if (n > 2 && host[0] == '[' && host[n - 1] == ']' && n - 2 < sizeof(bare)) {
			memcpy(bare, host + 1, n - 2);
			bare[n - 2] = '\0';
			yes = inet_pton(AF_INET6, bare, &a6) == 1 && IN6_IS_ADDR_LOOPBACK(&a6);
		} else if (inet_pton(AF_INET, host, &a4) == 1) {
			yes = (ntohl(a4.s_addr) >> 24) == 127;
		} else {
			yes = !strcasecmp(host, "localhost");
		}
	}
	curl_free(host);
	curl_url_cleanup(u);
	return yes;
}

struct upload {
	const char *data;
	size_t len, pos;
};

static size_t read_cb(char *buf, size_t size, size_t nitems, void *arg)
{
	struct upload *up = arg;
	size_t room = size * nitems, n = up->len - up->pos;

	if (n > room)
		n = room;
	memcpy(buf, up->data + up->pos, n);
	up->pos += n;
	return n;
}

static int is_scheme(const char *url, const char *scheme)
{
	size_t n = strlen(scheme);

	return !strncasecmp(url, scheme, n) && !strncmp(url + n, "://", 3);
}

int mail_tls_required(const struct mail_smtp *s)
{
	if (!s->url)
		return 1;
	return is_scheme(s->url, "smtps") || s->require_tls == 1 ||
	       (s->require_tls < 0 && !mail_url_is_loopback(s->url));
}

sq_err mail_send(const struct mail_smtp *s, const char *from, const char *const *rcpt,
		 size_t n, const char *data, size_t len, int *unreachable, struct sq_error *err)
{
	char errbuf[CURL_ERROR_SIZE] = "";
	struct curl_slist *to = NULL, *t;
	struct sq_buf addr = SQ_BUF_INIT, mfrom = SQ_BUF_INIT;
	struct upload up = { data, len, 0 };
	long use_ssl, code = 0, timeout;
	CURLcode cc;
	CURL *c = NULL;
	size_t i;
	sq_err rc;

	*unreachable = 0;
	if (!s->url || !(is_scheme(s->url, "smtp") || is_scheme(s->url, "smtps")))
		return sq_fail(err, SQ_EFATAL, "alerts.smtp.url: '%s' is not smtp:// or smtps://",
			       s->url ? s->url : "");
	use_ssl = mail_tls_required(s) ? CURLUSESSL_ALL : CURLUSESSL_TRY;
	if (sq_buf_addf(&mfrom, "<%s>", from ? from : ""))
		goto oom;
	for (i = 0; i < n; i++) {
		if (!mail_address_ok(rcpt[i]))
			continue;
		sq_buf_reset(&addr);
		if (sq_buf_addf(&addr, "<%s>", rcpt[i]))
			goto oom;
		t = curl_slist_append(to, addr.data);
		if (!t)
			goto oom;
		to = t;
	}
	if (!to) {
		rc = sq_fail(err, SQ_EFATAL, "no valid recipient address");
		goto out;
	}
	c = curl_easy_init();
	if (!c)
		goto oom;
	timeout = s->timeout_ms > 0 && s->timeout_ms < 3600000 ? (long)s->timeout_ms : 60000;
	curl_easy_setopt(c, CURLOPT_URL, s->url);
	curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
	curl_easy_setopt(c, CURLOPT_USE_SSL, use_ssl);
	curl_easy_setopt(c, CURLOPT_MAIL_FROM, mfrom.data);
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT, to);
	/* One unknown address must not hold the alert back from the others. */
#if LIBCURL_VERSION_NUM >= 0x080200
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT_ALLOWFAILS, 1L);
#else
	curl_easy_setopt(c, CURLOPT_MAIL_RCPT_ALLLOWFAILS, 1L);
#endif
	curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
	curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
	curl_easy_setopt(c, CURLOPT_READDATA, &up);
	curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout);
	curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, timeout < 15000 ? timeout : 15000L);
	curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
	if (s->username && *s->username) {
		curl_easy_setopt(c, CURLOPT_USERNAME, s->username);
		curl_easy_setopt(c, CURLOPT_PASSWORD, s->password ? s->password : "");
	}
	if (s->ca_file && *s->ca_file)
		curl_easy_setopt(c, CURLOPT_CAINFO, s->ca_file);
	cc = curl_easy_perform(c);
	curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
	if (cc == CURLE_OK) {
		rc = SQ_OK;
		goto out;
	}
	if (!errbuf[0])
		snprintf(errbuf, sizeof(errbuf), "%s", curl_easy_strerror(cc));
	switch (cc) {
	case CURLE_COULDNT_RESOLVE_HOST:
	case CURLE_COULDNT_CONNECT:
		*unreachable = 1;
		rc = sq_fail(err, SQ_ERETRY, "%s: cannot connect: %s", s->url, errbuf);
		goto out;
	case CURLE_LOGIN_DENIED:
		*unreachable = 1;
		rc = sq_fail(err, SQ_EFATAL, "%s: authentication refused (SMTP %ld): %s", s->url,
			     code, errbuf);
		goto out;
	case CURLE_USE_SSL_FAILED:
		*unreachable = 1;
		rc = sq_fail(err, SQ_EFATAL, "%s: the server does not offer STARTTLS, which is "
			     "required off the loopback interface (alerts.smtp.require_tls): %s",
			     s->url, errbuf);
		goto out;
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
	case CURLE_SSL_CERTPROBLEM:
		*unreachable = 1;
		rc = sq_fail(err, SQ_EFATAL, "%s: TLS certificate rejected: %s", s->url, errbuf);
		goto out;
	default:
		break;
	}
	if (code >= 500 && code < 600)
		rc = sq_fail(err, SQ_EFATAL, "%s: server refused the message (SMTP %ld): %s",
			     s->url, code, errbuf);
	else if (code >= 400)
		rc = sq_fail(err, SQ_ERETRY, "%s: server deferred the message (SMTP %ld): %s",
			     s->url, code, errbuf);
	else {
		if (!code)
			*unreachable = 1;
		rc = sq_fail(err, SQ_ERETRY, "%s: %s", s->url, errbuf);
	}
	goto out;
oom:
	rc = sq_fail(err, SQ_ENOMEM, "out of memory sending mail");
out:
	if (c)
		curl_easy_cleanup(c);
	curl_slist_free_all(to);
	sq_buf_release(&addr);
	sq_buf_release(&mfrom);
	return rc;
}
