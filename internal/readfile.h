/*
 * readfile.h — read a whole file into a buffer, with a size limit.
 *
 * For configuration, secrets and other small inputs that are parsed whole.
 * Returns an errno value rather than a message, because the caller knows how
 * to name the file (as the user wrote it, or "$CREDENTIALS_DIRECTORY/...").
 */
#ifndef SUQIU_READFILE_H
#define SUQIU_READFILE_H

#include <stddef.h>

#include "buf.h"

/*
 * Append the contents of path to out.  Returns 0, or an errno value: the
 * one open/read failed with, ENOMEM, or EFBIG when the file holds more than
 * max bytes.  On failure out may hold part of the file; the caller releases
 * it (and wipes it first when it may be secret).
 */
int sq_read_file(const char *path, size_t max, struct sq_buf *out);

#endif
