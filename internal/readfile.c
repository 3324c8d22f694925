/* readfile.c — read a whole file with a size limit (readfile.h). */
#include "readfile.h"

#include <errno.h>
#include <stdio.h>

#include "banned.h"

int sq_read_file(const char *path, size_t max, struct sq_buf *out)
{
	size_t start = out->len, got;
	int e = 0;
	FILE *f;

	errno = 0;
	f = fopen(path, "rbe");
	if (!f)
		return errno ? errno : ENOENT;
	do {
		if (sq_buf_grow(out, 4096)) {
			e = ENOMEM;
			break;
		}
		got = fread(out->data + out->len, 1, out->cap - out->len - 1, f);
		out->len += got;
		out->data[out->len] = '\0';
		if (out->len - start > max)
			e = EFBIG;
	} while (!e && got > 0);
	if (!e && ferror(f))
		e = errno ? errno : EIO;
	fclose(f);
	return e;
}
