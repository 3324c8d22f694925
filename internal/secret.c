/* secret.c — secrets from files, systemd credentials and the environment (secret.h). */
#include "secret.h"

#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "readfile.h"
#include "banned.h"

static void wipe(struct sq_buf *b)
{
	if (b->data)
		explicit_bzero(b->data, b->cap);
	sq_buf_release(b);
}

/* secret_read_file, also giving the errno of a failed read in *e (else 0). */
static sq_err read_secret(const char *path, const char *shown, char **value, int *e,
			  struct sq_error *err)
{
	struct sq_buf b = SQ_BUF_INIT;

	*e = sq_read_file(path, SECRET_MAX_BYTES, &b);
	if (*e) {
		wipe(&b);
		if (*e == ENOMEM)
			return sq_fail(err, SQ_ENOMEM, "out of memory reading '%s'", shown);
		if (*e == EFBIG)
			return sq_fail(err, SQ_ECONFIG, "'%s' is larger than 64 KiB; is it "
				       "the right file?", shown);
		return sq_fail(err, SQ_ECONFIG, "cannot read '%s': %s", shown, strerror(*e));
	}
	/* files written with echo or an editor end in one newline that is not part of the secret */
	if (b.len && b.data[b.len - 1] == '\n')
		b.data[--b.len] = '\0';
	if (b.len && b.data[b.len - 1] == '\r')
		b.data[--b.len] = '\0';
	if (!b.len || memchr(b.data, '\0', b.len)) {
		wipe(&b);
		return sq_fail(err, SQ_ECONFIG, "'%s' is %s", shown,
			       b.len ? "not text (it holds a NUL byte)" : "empty");
	}
	*value = b.data;
	return SQ_OK;
}

sq_err secret_read_file(const char *path, const char *shown, char **value,
			struct sq_error *err)
{
	int e;

	return read_secret(path, shown, value, &e, err);
}

sq_err secret_env_name(const char *owner, const char *key, struct sq_buf *out)
{
	const char *parts[2] = { owner, key };
	const char *p;
	int i;

	if (sq_buf_adds(out, "SUQIU"))
		return SQ_ENOMEM;
	for (i = 0; i < 2; i++) {
		if (sq_buf_addc(out, '_'))
			return SQ_ENOMEM;
		for (p = parts[i]; *p; p++)
			if (sq_buf_addc(out, isalnum((unsigned char)*p) ?
					(char)toupper((unsigned char)*p) : '_'))
				return SQ_ENOMEM;
	}
	return SQ_OK;
}

/* $CREDENTIALS_DIRECTORY/<owner>.<key>; SQ_OK with s untouched when absent. */
static sq_err from_credentials(struct sq_secret *s, const char *owner, const char *key,
			       struct sq_error *err)
{
	const char *dir = getenv("CREDENTIALS_DIRECTORY");
	struct sq_buf path = SQ_BUF_INIT, shown = SQ_BUF_INIT;
	sq_err rc = SQ_OK;
	int e;

	if (!dir || !*dir)
		return SQ_OK;
	if (sq_buf_addf(&path, "%s/%s.%s", dir, owner, key) ||
	    sq_buf_addf(&shown, "$CREDENTIALS_DIRECTORY/%s.%s", owner, key)) {
		rc = sq_fail(err, SQ_ENOMEM, "out of memory");
		goto out;
	}
	rc = read_secret(path.data, shown.data, &s->value, &e, err);
	if (rc && e == ENOENT) {
		rc = SQ_OK; /* no such credential: try the environment */
		sq_error_clear(err);
	} else if (!rc) {
		s->origin = "credentials";
	}
out:
	sq_buf_release(&path);
	sq_buf_release(&shown);
	return rc;
}

sq_err secret_from_environment(struct sq_secret *s, const char *owner, const char *key,
			       struct sq_error *err)
{
	struct sq_buf name = SQ_BUF_INIT;
	const char *v;
	sq_err rc = from_credentials(s, owner, key, err);

	if (rc || s->value)
		return rc;
	if (secret_env_name(owner, key, &name))
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	v = getenv(name.data);
	if (v && !*v)
		rc = sq_fail(err, SQ_ECONFIG, "%s is set but empty", name.data);
	else if (v && !(s->value = strdup(v)))
		rc = sq_fail(err, SQ_ENOMEM, "out of memory");
	else if (v)
		s->origin = "env";
	sq_buf_release(&name);
	return rc;
}
