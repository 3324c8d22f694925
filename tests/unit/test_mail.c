/* Alert messages as bytes: the RFC 2047 subject, the MIME structure, the
 * base64 parts, header injection, the date, and when TLS is required. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "buf.h"
#include "mail.h"
#include "banned.h"

/* ---- a small base64 decoder and header reader for the checks ------------- */

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* Decode base64 (skipping CR/LF) into out; returns the length. */
static size_t unb64(const char *s, size_t n, char *out)
{
	unsigned v = 0;
	int bits = 0;
	size_t i, o = 0;

	for (i = 0; i < n; i++) {
		int d = b64val(s[i]);

		if (s[i] == '=' )
			break;
		if (d < 0)
			continue;
		v = (v << 6) | (unsigned)d;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			out[o++] = (char)((v >> bits) & 0xff);
		}
	}
	out[o] = '\0';
	return o;
}

static int valid_utf8(const char *s, size_t n)
{
	size_t i = 0;

	while (i < n) {
		unsigned char c = (unsigned char)s[i];
		size_t len = c < 0x80 ? 1 : c >= 0xf0 ? 4 : c >= 0xe0 ? 3 : c >= 0xc0 ? 2 : 0;
		size_t k;

		if (!len || i + len > n)
			return 0;
		for (k = 1; k < len; k++)
			if (((unsigned char)s[i + k] & 0xc0) != 0x80)
				return 0;
		i += len;
	}
	return 1;
}

/* The decoded Subject of a message, checking each word and line on the way. */
static void decode_subject(const char *msg, char *out)
{
	const char *p = strstr(msg, "\r\nSubject:"), *end;
	size_t o = 0;

	assert_non_null(p);
	p += 2;
	/* The header ends at the first CRLF not followed by a space. */
	end = p;
	while ((end = strstr(end, "\r\n")) && end[2] == ' ')
		end += 2;
	assert_non_null(end);
	{
		const char *line = p;

		while (line < end) {
			const char *eol = strstr(line, "\r\n");

			assert_true(eol - line <= 76);
			line = eol + 2;
		}
	}
	for (;;) {
		const char *w = strstr(p, "=?UTF-8?B?"), *we;
		char piece[128];
		size_t n;

		if (!w || w >= end)
			break;
		we = strstr(w + 10, "?=");
		assert_non_null(we);
		assert_true(we + 2 - w <= 75);
		n = unb64(w + 10, (size_t)(we - (w + 10)), piece);
		/* Every word holds whole characters (RFC 2047, 5 (3)). */
		assert_true(valid_utf8(piece, n));
		memcpy(out + o, piece, n);
		o += n;
		p = we + 2;
	}
	out[o] = '\0';
}

static char *header_value(const char *msg, const char *name)
{
	char key[64];
	const char *p, *eol;
	static char value[512];

	snprintf(key, sizeof(key), "\r\n%s: ", name);
	p = strstr(msg, key);
	if (!p && !strncmp(msg, key + 2, strlen(key + 2)))
		p = msg - 2;
	if (!p)
		return NULL;
	p += strlen(key);
	eol = strstr(p, "\r\n");
	snprintf(value, sizeof(value), "%.*s", (int)(eol - p), p);
	return value;
}

static const char long_subject[] =
	"【suqiu预警·高】紧急：恩宁路社区有诉求提到「跳楼」：恩宁路88号工地老板拖欠工资三个月，"
	"十几名工人聚集在楼顶，有人扬言要跳楼讨薪，请立即派人到场😀处置";

static void build(struct sq_buf *out, const char *subject, const char *from, const char *to0)
{
	const char *to[] = { to0, "night@example.gov.cn", "not an address" };
	struct mail_header extra[] = { { "X-Suqiu-Flag", "12" } };
	struct mail_message m = { 0 };
	struct sq_error err = { 0 };

	m.from = from;
	m.to = to;
	m.nto = 3;
	m.subject = subject;
	m.text = "第一行\n第二行 <b>不是标签</b>\n";
	m.html = "<p>预警 &amp; 详情</p>";
	m.message_id = "<flag-12.r2.0123456789ab@suqiu>";
	m.date = 1715688000;   /* 2024-05-14T12:00:00Z */
	m.tz_offset_s = 8 * 3600;
	m.extra = extra;
	m.nextra = 1;
	assert_int_equal(mail_build(&m, out, &err), SQ_OK);
}

static void test_subject_is_rfc2047_words_on_character_boundaries(void **state)
{
	struct sq_buf b = SQ_BUF_INIT;
	char subject[1024];

	(void)state;
	build(&b, long_subject, "suqiu@example.gov.cn", "duty@example.gov.cn");
	decode_subject(b.data, subject);
	assert_string_equal(subject, long_subject);
	sq_buf_release(&b);
}

static void test_short_and_ascii_subjects(void **state)
{
	struct sq_buf b = SQ_BUF_INIT;
	char subject[256];

	(void)state;
	build(&b, "", "suqiu@example.gov.cn", "duty@example.gov.cn");
	decode_subject(b.data, subject);
	assert_string_equal(subject, "");
	sq_buf_reset(&b);
	build(&b, "plain ascii", "suqiu@example.gov.cn", "duty@example.gov.cn");
	decode_subject(b.data, subject);
	assert_string_equal(subject, "plain ascii");
	sq_buf_release(&b);
}

static void test_no_header_injection(void **state)
{
	struct sq_buf b = SQ_BUF_INIT;
	char subject[256], *v;
	const char *body;

	(void)state;
	build(&b, "标题\r\nBcc: evil@example.com", "suqiu@example.gov.cn\r\nBcc: evil@example.com",
	      "duty@example.gov.cn\nBcc: evil@example.com");
	body = strstr(b.data, "\r\n\r\n");
	assert_non_null(body);
	/* Nothing before the body starts a Bcc line. */
	assert_null(strstr(b.data, "\r\nBcc:"));
	assert_null(strstr(b.data, "\nBcc:"));
	decode_subject(b.data, subject);
	assert_string_equal(subject, "标题  Bcc: evil@example.com");
	v = header_value(b.data, "From");
	assert_string_equal(v, "suqiu@example.gov.cn  Bcc: evil@example.com");
	/* An address with a line break is not an address: left out of To. */
	v = header_value(b.data, "To");
	assert_string_equal(v, "night@example.gov.cn");
	sq_buf_release(&b);
}

static void test_structure_date_ids_and_parts(void **state)
{
	struct sq_buf b = SQ_BUF_INIT;
	char *v, boundary[64], decoded[512], marker[256];
	const char *p, *q;

	(void)state;
	build(&b, "主题", "suqiu@example.gov.cn", "duty@example.gov.cn");
	assert_true(!strncmp(b.data, "Date: Tue, 14 May 2024 20:00:00 +0800\r\n", 39));
	assert_string_equal(header_value(b.data, "Message-ID"), "<flag-12.r2.0123456789ab@suqiu>");
	assert_string_equal(header_value(b.data, "To"), "duty@example.gov.cn, night@example.gov.cn");
	assert_string_equal(header_value(b.data, "MIME-Version"), "1.0");
	assert_string_equal(header_value(b.data, "X-Suqiu-Flag"), "12");
	v = header_value(b.data, "Content-Type");
	assert_non_null(strstr(v, "multipart/alternative; boundary=\""));
	snprintf(boundary, sizeof(boundary), "%s", strchr(v, '"') + 1);
	*strchr(boundary, '"') = '\0';
	/* No bare LF anywhere: every line ends CRLF. */
	for (p = b.data; (p = strchr(p, '\n')); p++)
		assert_true(p > b.data && p[-1] == '\r');
	/* The plain part, then the HTML part, then the closing boundary. */
	snprintf(marker, sizeof(marker), "--%s\r\nContent-Type: text/plain; charset=UTF-8\r\n"
		 "Content-Transfer-Encoding: base64\r\n\r\n", boundary);
	p = strstr(b.data, marker);
	assert_non_null(p);
	p += strlen(marker);
	q = strstr(p, "\r\n--");
	unb64(p, (size_t)(q - p), decoded);
	assert_string_equal(decoded, "第一行\r\n第二行 <b>不是标签</b>\r\n");
	snprintf(marker, sizeof(marker), "--%s\r\nContent-Type: text/html; charset=UTF-8\r\n"
		 "Content-Transfer-Encoding: base64\r\n\r\n", boundary);
	p = strstr(b.data, marker);
	assert_non_null(p);
	p += strlen(marker);
	q = strstr(p, "\r\n--");
	unb64(p, (size_t)(q - p), decoded);
	assert_string_equal(decoded, "<p>预警 &amp; 详情</p>");
	snprintf(marker, sizeof(marker), "--%s--\r\n", boundary);
	assert_non_null(strstr(b.data, marker));
	sq_buf_release(&b);
}

/* A digest: multipart/mixed, the text inline, the report attached under a
 * file name that cannot break the header. */
static void test_html_as_attachment(void **state)
{
	const char *to[] = { "office@example.gov.cn" };
	struct mail_message m = { 0 };
	struct sq_error err = { 0 };
	struct sq_buf b = SQ_BUF_INIT;
	char boundary[64], decoded[512], marker[320];
	const char *p, *q, *v;

	(void)state;
	m.from = "suqiu@example.gov.cn";
	m.to = to;
	m.nto = 1;
	m.subject = "【suqiu 摘要】诉求摘要 2024-05-01";
	m.text = "诉求件数 7\n";
	m.html = "<!DOCTYPE html><svg></svg>";
	m.html_filename = "suqiu-digest-20240501.html\"\r\nBcc: x@y 报告";
	m.message_id = "<digest-20240501.0123456789ab@suqiu>";
	m.date = 1715688000;
	m.tz_offset_s = 8 * 3600;
	assert_int_equal(mail_build(&m, &b, &err), SQ_OK);
	v = header_value(b.data, "Content-Type");
	assert_non_null(strstr(v, "multipart/mixed; boundary=\""));
	snprintf(boundary, sizeof(boundary), "%s", strchr(v, '"') + 1);
	*strchr(boundary, '"') = '\0';
	assert_null(strstr(b.data, "\r\nBcc:"));
	snprintf(marker, sizeof(marker), "--%s\r\nContent-Type: text/plain; charset=UTF-8\r\n"
		 "Content-Transfer-Encoding: base64\r\n\r\n", boundary);
	p = strstr(b.data, marker);
	assert_non_null(p);
	p += strlen(marker);
	q = strstr(p, "\r\n--");
	unb64(p, (size_t)(q - p), decoded);
	assert_string_equal(decoded, "诉求件数 7\r\n");
	snprintf(marker, sizeof(marker), "--%s\r\nContent-Type: text/html; charset=UTF-8\r\n"
		 "Content-Disposition: attachment; filename=\"suqiu-digest-20240501.html___Bcc__x_y_"
		 "______\"\r\nContent-Transfer-Encoding: base64\r\n\r\n", boundary);
	p = strstr(b.data, marker);
	assert_non_null(p);
	p += strlen(marker);
	q = strstr(p, "\r\n--");
	unb64(p, (size_t)(q - p), decoded);
	assert_string_equal(decoded, "<!DOCTYPE html><svg></svg>");
	snprintf(marker, sizeof(marker), "--%s--\r\n", boundary);
	assert_non_null(strstr(b.data, marker));
	sq_buf_release(&b);
}

static void test_same_input_same_bytes(void **state)
{
	struct sq_buf a = SQ_BUF_INIT, b = SQ_BUF_INIT;

	(void)state;
	build(&a, long_subject, "suqiu@example.gov.cn", "duty@example.gov.cn");
	build(&b, long_subject, "suqiu@example.gov.cn", "duty@example.gov.cn");
	assert_int_equal(a.len, b.len);
	assert_memory_equal(a.data, b.data, a.len);
	sq_buf_release(&a);
	sq_buf_release(&b);
}

static void test_base64_lines_and_padding(void **state)
{
	struct sq_buf b = SQ_BUF_INIT;
	char big[200], back[200];
	size_t i;

	(void)state;
	assert_int_equal(mail_base64(&b, "", 0, 76), SQ_OK);
	assert_string_equal(sq_buf_str(&b), "");
	assert_int_equal(mail_base64(&b, "f", 1, 0), SQ_OK);
	assert_int_equal(mail_base64(&b, "fo", 2, 0), SQ_OK);
	assert_int_equal(mail_base64(&b, "foo", 3, 0), SQ_OK);
	assert_string_equal(b.data, "Zg==Zm8=Zm9v");
	sq_buf_reset(&b);
	for (i = 0; i < sizeof(big); i++)
		big[i] = (char)(i * 7);
	assert_int_equal(mail_base64(&b, big, 150, 76), SQ_OK);
	assert_int_equal(strcspn(b.data, "\r"), 76);
	assert_int_equal(unb64(b.data, b.len, back), 150);
	assert_memory_equal(back, big, 150);
	sq_buf_release(&b);
}

static void test_html_escape(void **state)
{
	struct sq_buf b = SQ_BUF_INIT;

	(void)state;
	assert_int_equal(mail_html_escape(&b, "<script>alert('x' & \"y\")</script>"), SQ_OK);
	assert_string_equal(b.data, "&lt;script&gt;alert(&#39;x&#39; &amp; &quot;y&quot;)&lt;/script&gt;");
	sq_buf_release(&b);
}

static void test_date_in_other_zones(void **state)
{
	char buf[64];

	(void)state;
	assert_string_equal(mail_date(0, 0, buf, sizeof(buf)), "Thu, 01 Jan 1970 00:00:00 +0000");
	assert_string_equal(mail_date(1715688000, -5 * 3600 - 1800, buf, sizeof(buf)),
			    "Tue, 14 May 2024 06:30:00 -0530");
}

static void test_addresses(void **state)
{
	(void)state;
	assert_true(mail_address_ok("duty@example.gov.cn"));
	assert_true(mail_address_ok("a.b+c@x.y"));
	assert_false(mail_address_ok(""));
	assert_false(mail_address_ok(NULL));
	assert_false(mail_address_ok("nobody"));
	assert_false(mail_address_ok("a@b@c"));
	assert_false(mail_address_ok("a b@c"));
	assert_false(mail_address_ok("a@b\r\nRCPT TO:<x@y>"));
	assert_false(mail_address_ok("<a@b>"));
}

static void test_tls_required_off_loopback(void **state)
{
	struct mail_smtp s = { 0 };

	(void)state;
	s.require_tls = -1;
	s.url = "smtp://mail.example.gov.cn:587";
	assert_true(mail_tls_required(&s));
	s.url = "smtp://10.1.2.3:25";
	assert_true(mail_tls_required(&s));
	s.url = "smtp://127.0.0.1:2525";
	assert_false(mail_tls_required(&s));
	s.url = "smtp://127.8.9.10";
	assert_false(mail_tls_required(&s));
	s.url = "smtp://localhost:25";
	assert_false(mail_tls_required(&s));
	s.url = "smtp://[::1]:25";
	assert_false(mail_tls_required(&s));
	s.url = "smtps://127.0.0.1:465";
	assert_true(mail_tls_required(&s));
	s.require_tls = 1;
	s.url = "smtp://127.0.0.1:2525";
	assert_true(mail_tls_required(&s));
	s.require_tls = 0;
	s.url = "smtp://mail.example.gov.cn:25";
	assert_false(mail_tls_required(&s));
	assert_true(mail_url_is_loopback("smtp://127.0.0.1"));
	assert_false(mail_url_is_loopback("smtp://128.0.0.1"));
	assert_false(mail_url_is_loopback("smtp://127.example.com"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_subject_is_rfc2047_words_on_character_boundaries),
		cmocka_unit_test(test_short_and_ascii_subjects),
		cmocka_unit_test(test_no_header_injection),
		cmocka_unit_test(test_structure_date_ids_and_parts),
		cmocka_unit_test(test_html_as_attachment),
		cmocka_unit_test(test_same_input_same_bytes),
		cmocka_unit_test(test_base64_lines_and_padding),
		cmocka_unit_test(test_html_escape),
		cmocka_unit_test(test_date_in_other_zones),
		cmocka_unit_test(test_addresses),
		cmocka_unit_test(test_tls_required_off_loopback),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
