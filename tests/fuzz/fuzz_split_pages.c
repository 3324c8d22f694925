/*
 * fuzz_split_pages.c — libFuzzer target for conn_split_pages, which cuts a
 * saved dump (`suqiu import`) into pages.
 *
 * The first byte's low bit is array_is_page (Open311's pages are arrays);
 * the rest is the dump.  Besides "no crash, no leak" (ASan, UBSan), it
 * checks what the page parsers rely on: each page is NUL-terminated at its
 * length, and a page that is JSON ends where cJSON says its value ends:
 * the split never cuts a page short nor glues two together.
 */
#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "connectors/connector.h"
#include "error.h"
#include "banned.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static sq_err check_page(void *ctx, const char *page, size_t len, int number)
{
	const char *end = NULL;
	cJSON *v;

	(void)ctx;
	if (!page || number < 1 || page[len] != '\0')
		abort();
	v = cJSON_ParseWithLengthOpts(page, len, &end, 0);
	if (v) {
		while (end < page + len && strchr(" \t\r\n", *end) && *end)
			end++;
		if (end != page + len && memchr(page, '\0', len) == NULL)
			abort();   /* the page held more than one value */
		cJSON_Delete(v);
	}
	return SQ_OK;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	(void)conn_split_pages((const char *)data + 1, size - 1, data[0] & 1, check_page, NULL);
	return 0;
}
