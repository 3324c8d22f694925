/*
 * mail.h — an alert or a digest as an Internet message, and its delivery
 * over SMTP.
 *
 * mail_build() writes a UTF-8 MIME message: multipart/alternative with a
 * plain-text and an HTML part (both base64) — or, when the HTML is a
 * document to keep (the digest's report), multipart/mixed with the text
 * inline and the HTML as an attachment — the Subject as RFC 2047
 * encoded words (base64 UTF-8, each word at most 75 characters, split on
 * character boundaries, folded so no header line passes 76 characters), a
 * Date in the configured zone, and the caller's Message-ID.  The same
 * input gives the same bytes, so a re-sent alert is identical.  CR and LF
 * are removed from everything that reaches a header.
 *
 * mail_send() delivers prepared bytes with libcurl: smtp:// with STARTTLS
 * (required for a server not on the loopback interface unless require_tls
 * is 0; attempted on loopback) or smtps://, with optional AUTH.  It knows
 * nothing of the outbox or of retries.
 */
#ifndef SUQIU_MAIL_H
#define SUQIU_MAIL_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "error.h"

struct mail_header {
	const char *name, *value;
};

struct mail_message {
	const char *from;
	const char *const *to;       /* addresses */
	size_t nto;
	const char *subject;         /* UTF-8 */
	const char *text;            /* UTF-8 plain text; "\n" line ends are fine */
	const char *html;            /* UTF-8 HTML document */
	const char *html_filename;   /* NULL: html is an alternative to text; else it is
				      * attached under this name (characters other than
				      * A-Z a-z 0-9 . - _ become '_') */
	const char *message_id;      /* with angle brackets */
	int64_t date;                /* Unix seconds */
	int tz_offset_s;             /* for the Date header */
	const struct mail_header *extra;  /* more headers (X-Suqiu-Flag, ...) */
	size_t nextra;
};

/* Append the whole message (CRLF line ends) to out. */
sq_err mail_build(const struct mail_message *m, struct sq_buf *out, struct sq_error *err);

/*
 * Append `name: ` and value as RFC 2047 encoded words, folded with
 * CRLF + space; ends with CRLF.
 */
sq_err mail_encoded_header(struct sq_buf *out, const char *name, const char *value);

/* Standard base64 of n bytes; wrap > 0 puts CRLF after every wrap characters. */
sq_err mail_base64(struct sq_buf *out, const void *data, size_t n, size_t wrap);

/* Append s with &, <, >, " and ' escaped. */
sq_err mail_html_escape(struct sq_buf *out, const char *s);

/* RFC 5322 date, e.g. "Wed, 01 May 2024 09:00:00 +0800", into buf. */
const char *mail_date(int64_t t, int tz_offset_s, char *buf, size_t size);

/* True for a plain addr-spec we are willing to put in a header and RCPT. */
int mail_address_ok(const char *addr);

/* ---- delivery ---------------------------------------------------------- */

struct mail_smtp {
	const char *url;          /* smtp://host[:port] or smtps://host[:port] */
	const char *username;     /* NULL: no AUTH */
	const char *password;
	const char *ca_file;      /* NULL: the system's CAs */
	int require_tls;          /* 1 yes, 0 no, -1 auto: yes unless the host is loopback */
	int64_t timeout_ms;
};

/* True when url's host is localhost, 127.0.0.0/8 or ::1. */
int mail_url_is_loopback(const char *url);

/*
 * Whether TLS is required for s (1) or only used when the server offers it
 * (0): smtps:// always; smtp:// when require_tls is 1, or is -1 (auto) and
 * the host is not loopback.
 */
int mail_tls_required(const struct mail_smtp *s);

/*
 * Deliver data (a built message) from `from` to the n recipients.
 * SQ_OK: the server accepted it.  SQ_ERETRY: try again later (connection
 * refused or lost, timeout, 4xx).  SQ_EFATAL: it will not work without a
 * change (5xx, authentication refused, TLS required but not offered,
 * certificate rejected).  *unreachable is set when the failure is the
 * server's or the connection's, not this message's (no connection, TLS,
 * authentication), so the caller need not try its other messages now.
 */
sq_err mail_send(const struct mail_smtp *s, const char *from, const char *const *rcpt,
		 size_t n, const char *data, size_t len, int *unreachable, struct sq_error *err);

#endif
