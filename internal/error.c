#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "banned.h"

static const char *const descriptions[SQ_ERR_LAST] = {
	[SQ_OK] = "success",
	[SQ_ENOMEM] = "out of memory",
	[SQ_EUSAGE] = "usage error",
	[SQ_ECONFIG] = "configuration error",
	[SQ_EIO] = "input/output error",
	[SQ_EDB] = "database error",
	[SQ_EPARSE] = "malformed input",
	[SQ_ECHARSET] = "invalid character encoding",
	[SQ_ERETRY] = "transient failure",
	[SQ_EFATAL] = "permanent failure",
	[SQ_ELOCKED] = "locked by another run",
	[SQ_ENOTFOUND] = "not found",
	[SQ_ESCHEMA] = "database schema is newer than this program",
	[SQ_EMAIL] = "mail delivery failed",
};

const char *sq_strerror(sq_err code)
{
	if ((int)code < 0 || code >= SQ_ERR_LAST || !descriptions[code])
		return "unknown error";
	return descriptions[code];
}

sq_err sq_fail(struct sq_error *err, sq_err code, const char *fmt, ...)
{
	va_list ap;

	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	va_end(ap);
	return code;
}

sq_err sq_error_prefix(struct sq_error *err, const char *fmt, ...)
{
	char prefix[SQ_ERRMSG_MAX], old[SQ_ERRMSG_MAX];
	va_list ap;

	if (!err)
		return SQ_OK;
	va_start(ap, fmt);
	vsnprintf(prefix, sizeof(prefix), fmt, ap);
	va_end(ap);
	memcpy(old, err->msg, sizeof(old));
	/* Cutting a long message is intended: the buffer holds one line. */
	{
		size_t plen = strnlen(prefix, sizeof(err->msg) - 1);
		size_t olen = strnlen(old, sizeof(old) - 1);

		if (olen > sizeof(err->msg) - 1 - plen)
			olen = sizeof(err->msg) - 1 - plen;
		memcpy(err->msg, prefix, plen);
		memcpy(err->msg + plen, old, olen);
		err->msg[plen + olen] = '\0';
	}
	return err->code;
}

void sq_error_clear(struct sq_error *err)
{
	if (!err)
		return;
	err->code = SQ_OK;
	err->msg[0] = '\0';
}
