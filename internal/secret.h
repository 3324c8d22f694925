/*
 * secret.h — where secrets come from (DESIGN.md, "Configuration").
 *
 * A secret KEY of an owner (a source name, "smtp" or "privacy") is taken,
 * in this order, from the file named by `KEY_file` (or an inline `KEY:`
 * value — the configuration loader handles both), then from
 * $CREDENTIALS_DIRECTORY/<owner>.<KEY> (systemd LoadCredential=), then from
 * the environment variable SUQIU_<OWNER>_<KEY>.  Secret values never appear
 * in error messages; file names do.
 */
#ifndef SUQIU_SECRET_H
#define SUQIU_SECRET_H

#include "buf.h"
#include "error.h"
#include "options.h"

/* Secret files larger than this are refused as probably the wrong file. */
#define SECRET_MAX_BYTES 65536

/*
 * Read a secret file: strip one trailing newline ("\n" or "\r\n"); refuse
 * it when empty, larger than SECRET_MAX_BYTES or holding a NUL byte.
 * shown is the name used in messages (the path as the user wrote it).
 * On success *value is a new string the caller frees (wiping it first).
 * Errors: SQ_ECONFIG ("cannot read 'x': reason", "'x' is empty"), SQ_ENOMEM.
 */
sq_err secret_read_file(const char *path, const char *shown, char **value,
			struct sq_error *err);

/*
 * Fill s from $CREDENTIALS_DIRECTORY/<owner>.<key> when that file exists,
 * else from SUQIU_<OWNER>_<KEY> when that variable is set; otherwise leave
 * s untouched and return SQ_OK.  A credentials file that exists but cannot
 * be read, or is empty, and a variable that is set but empty, are errors
 * (SQ_ECONFIG): someone meant to provide the secret.
 */
sq_err secret_from_environment(struct sq_secret *s, const char *owner, const char *key,
			       struct sq_error *err);

/*
 * Append the environment variable name for owner/key to out:
 * "SUQIU_" + owner + "_" + key, upper case, other characters as '_'.
 */
sq_err secret_env_name(const char *owner, const char *key, struct sq_buf *out);

#endif
