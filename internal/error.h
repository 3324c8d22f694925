/*
 * error.h — the one error enum of suqiu, and the context that travels with it.
 *
 * Every fallible function in internal/ returns an sq_err and, when it fails,
 * fills a caller-supplied struct sq_error with a one-line message naming the
 * file, line, source or field at fault (like CURLOPT_ERRORBUFFER).  Only
 * cmd/ prints these messages and turns codes into exit statuses.
 */
#ifndef SUQIU_ERROR_H
#define SUQIU_ERROR_H

#include <stddef.h>

/* Numbers are part of the run log and never change; add new codes before
 * SQ_ERR_LAST. */
typedef enum {
	SQ_OK = 0,
	SQ_ENOMEM = 1,     /* an allocation failed */
	SQ_EUSAGE = 2,     /* bad command-line use */
	SQ_ECONFIG = 3,    /* configuration file or secret is wrong */
	SQ_EIO = 4,        /* a file could not be read or written */
	SQ_EDB = 5,        /* SQLite reported an error */
	SQ_EPARSE = 6,     /* malformed input: JSON, dates, numbers */
	SQ_ECHARSET = 7,   /* bytes invalid in the declared charset */
	SQ_ERETRY = 8,     /* transient network or server fault: try again later */
	SQ_EFATAL = 9,     /* permanent feed fault: credentials, parameters */
	SQ_ELOCKED = 10,   /* another poll run holds the lock */
	SQ_ENOTFOUND = 11, /* no such complaint, incident, flag or source */
	SQ_ESCHEMA = 12,   /* database is newer than this program */
	SQ_EMAIL = 13,     /* SMTP delivery failed */
	SQ_ERR_LAST
} sq_err;

/* Room for a one-line message; longer messages are cut, never overflowed. */
#define SQ_ERRMSG_MAX 512

struct sq_error {
	sq_err code;
	char msg[SQ_ERRMSG_MAX];
};

/* A short, constant English description of code ("out of memory", ...). */
const char *sq_strerror(sq_err code);

/*
 * Record a failure: sets err->code and formats err->msg (printf-style) and
 * returns code, so a caller can write `return sq_fail(err, SQ_EPARSE, ...)`.
 * err may be NULL, in which case only code is returned.
 */
sq_err sq_fail(struct sq_error *err, sq_err code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/*
 * Prefix an existing message with context ("hotline: page 3: " + msg),
 * keeping err->code.  Returns err->code.
 */
sq_err sq_error_prefix(struct sq_error *err, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Reset err to SQ_OK with an empty message. */
void sq_error_clear(struct sq_error *err);

#endif
