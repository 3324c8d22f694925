/*
 * fuzz_charset.c — libFuzzer target for the charset code of http.c.
 *
 * The first byte picks what to exercise: one of the declared charsets the
 * feeds use (or none, or one that is not supported) for http_decode_charset,
 * or the Content-Type parameter parser.  The rest is the body.
 * Besides "no crash, no leak" (ASan, UBSan), it checks what callers rely on:
 * a successful decode yields strictly valid UTF-8, and a UTF-8 body comes
 * back unchanged.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "error.h"
#include "http.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *const charsets[] = {
	NULL, "utf-8", "UTF8", "gbk", "GB2312", "cp936", "gb18030", "latin1",
};
#define NCHARSETS (sizeof(charsets) / sizeof(charsets[0]))

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct sq_buf out = SQ_BUF_INIT, again = SQ_BUF_INIT;
	struct sq_error err;
	const char *body, *cs;
	size_t len, sel;
	sq_err rc;

	if (size < 1)
		return 0;
	sel = data[0] % (NCHARSETS + 1);
	body = (const char *)data + 1;
	len = size - 1;

	if (sel == NCHARSETS) {
		char *ct = malloc(len + 1), *charset;

		if (!ct)
			return 0;
		memcpy(ct, body, len);
		ct[len] = '\0';
		charset = http_content_type_charset(ct);
		if (charset) {
			size_t i;

			/* non-empty, lower case: what http_decode_charset is given */
			if (!*charset)
				abort();
			for (i = 0; charset[i]; i++)
				if (charset[i] >= 'A' && charset[i] <= 'Z')
					abort();
			/* and the decoder copes with whatever name came out */
			if (http_decode_charset(charset, "{}", 2, &out, &err) == SQ_OK &&
			    (out.len != 2 || memcmp(out.data, "{}", 2)))
				abort();
		}
		free(charset);
		free(ct);
		sq_buf_release(&out);
		return 0;
	}

	cs = charsets[sel];
	rc = http_decode_charset(cs, body, len, &out, &err);
	if (rc == SQ_OK) {
		/* whatever came out must pass the strict UTF-8 check */
		if (http_decode_charset(NULL, out.data, out.len, &again, &err) != SQ_OK)
			abort();
		/* UTF-8 in is UTF-8 out, minus a leading byte-order mark */
		if (!cs || !strcmp(cs, "utf-8") || !strcmp(cs, "UTF8")) {
			size_t skip = len >= 3 && !memcmp(body, "\xef\xbb\xbf", 3) ? 3 : 0;

			if (out.len != len - skip || (out.len && memcmp(out.data, body + skip, out.len)))
				abort();
		}
	} else if (rc != SQ_ECHARSET || err.code != SQ_ECHARSET || !err.msg[0]) {
		abort();
	}
	sq_buf_release(&out);
	sq_buf_release(&again);
	return 0;
}
