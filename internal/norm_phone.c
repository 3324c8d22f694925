/*
 * norm_phone.c — phone numbers: normalizing, masking, keyed hashing,
 * scrubbing them out of text, and the site key the hashes use.
 */
#include "normalize.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "buf.h"
#include "normalize_private.h"
#include "banned.h"

/* ================================================================== */
/* Phone numbers                                                       */

/* Longest digit string worth looking at ("0086" + a 12-digit landline). */
#define PHONE_DIGITS_MAX 20

int norm_phone_parse(const char *s, size_t len, char *out, enum norm_phone_kind *kind)
{
	const unsigned char *p = (const unsigned char *)s;
	char d[PHONE_DIGITS_MAX + 2];
	size_t nd = 0, i = 0, n, stars = 0, star_at = 0, area, local;
	int plus = 0, cc = 0, in_stars = 0, star_runs = 0;
	const char *why;
	char *q;

	while (i < len) {
		uint32_t cp;
		char c;

		n = norm_utf8_decode(p + i, len - i, &cp, &why);
		if (!n)
			return -1;
		i += n;
		if (cp >= 0xFF01 && cp <= 0xFF5E)
			cp -= 0xFEE0;
		if (cp >= '0' && cp <= '9')
			c = (char)cp;
		else if (cp == '*')
			c = '*';
		else if (cp == '+')
			c = '+';
		else if (cp == ' ' || cp == '-' || cp == '.' || cp == '(' || cp == ')' ||
			 cp == 0x3000 || cp == 0xA0 || cp == '\t' ||
			 (cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212)
			c = ' ';
		else
			return -1;
		if (c == ' ') {
			in_stars = 0;
			continue;
		}
		if (c == '+') {
			if (nd || plus)
				return -1;
			plus = 1;
			continue;
		}
		if (nd >= PHONE_DIGITS_MAX)
			return -1;
		if (c == '*') {
			if (!in_stars) {
				if (star_runs++)
					return -1;
				star_at = nd;
			}
			in_stars = 1;
			stars++;
		} else {
			in_stars = 0;
		}
		d[nd++] = c;
	}
	d[nd] = '\0';
	q = d;
	/* Country code: only China's, written +86, 0086 or (before a mobile) 86. */
	if (plus) {
		if (nd < 2 || q[0] != '8' || q[1] != '6')
			return -1;
		q += 2;
		cc = 1;
	} else if (nd > 4 && !memcmp(q, "0086", 4)) {
		q += 4;
		cc = 1;
	} else if (nd == 13 && q[0] == '8' && q[1] == '6' && q[2] == '1') {
		q += 2;
		cc = 1;
	}
	if (stars && star_at < (size_t)(q - d))
		return -1;
	star_at -= (size_t)(q - d);
	nd -= (size_t)(q - d);
	/* Call centres dial mobiles with a leading 0 from out of town. */
	if (!stars && nd == 12 && q[0] == '0' && q[1] == '1' && q[2] >= '3' && q[2] <= '9') {
		q++;
		nd--;
	}
	if (!stars && nd == 11 && q[0] == '1' && q[1] >= '3' && q[1] <= '9') {
		memcpy(out, q, 11);
		out[11] = '\0';
		*kind = NORM_PHONE_MOBILE;
		return 0;
	}
	if (stars && star_at == 3 && nd == 3 + stars + 4 && stars >= 3 && stars <= 6 && q[0] == '1' &&
	    q[1] >= '3' && q[1] <= '9') {
		snprintf(out, NORM_PHONE_MAX, "%.3s****%.4s", q, q + nd - 4);
		*kind = NORM_PHONE_MASKED;
		return 0;
	}
	/* A landline: the trunk 0 (restored after a country code), area code, number. */
	if (nd && q[0] == '0') {
		q++;
		nd--;
		if (stars)
			star_at--;
	} else if (!cc) {
		return -1;
	}
	if (!nd || q[0] == '0')
		return -1;
	area = q[0] == '1' || q[0] == '2' ? 2 : 3;
	if (nd <= area)
		return -1;
	local = nd - area;
	if (stars) {
		if (star_at != area || stars < 3 || stars > 6 || local != stars + 4)
			return -1;
		snprintf(out, NORM_PHONE_MAX, "0%.*s-****%.4s", (int)area, q, q + nd - 4);
		*kind = NORM_PHONE_MASKED;
		return 0;
	}
	if (local < 7 || local > 8 || q[area] == '0' || q[area] == '1')
		return -1;
	snprintf(out, NORM_PHONE_MAX, "0%.*s-%.*s", (int)area, q, (int)local, q + area);
	*kind = NORM_PHONE_LANDLINE;
	return 0;
}

sq_err norm_phone(const char *raw, char **normalized, enum norm_phone_kind *kind,
		  struct sq_error *err)
{
	char buf[NORM_PHONE_MAX];
	enum norm_phone_kind k;

	*normalized = NULL;
	if (!raw || norm_phone_parse(raw, strlen(raw), buf, &k))
		return sq_fail(err, SQ_EPARSE, "not a Chinese mobile or landline number");
	*normalized = sq_strdup(buf);
	if (!*normalized)
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	if (kind)
		*kind = k;
	return SQ_OK;
}

static int all_digits(const char *s, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (s[i] < '0' || s[i] > '9')
			return 0;
	return 1;
}

int norm_phone_mask_to(const char *s, char *out)
{
	size_t n = strlen(s);
	const char *dash;

	if (strchr(s, '*')) {
		if (n >= NORM_PHONE_MAX)
			return -1;
		memcpy(out, s, n + 1);
		return 0;
	}
	if (n == 11 && s[0] == '1' && all_digits(s, n)) {
		snprintf(out, NORM_PHONE_MAX, "%.3s****%.4s", s, s + 7);
		return 0;
	}
	dash = strchr(s, '-');
	if (s[0] == '0' && dash && (dash - s == 3 || dash - s == 4) &&
	    all_digits(s, (size_t)(dash - s)) && strlen(dash + 1) >= 7 &&
	    strlen(dash + 1) <= 8 && all_digits(dash + 1, strlen(dash + 1))) {
		snprintf(out, NORM_PHONE_MAX, "%.*s-****%s", (int)(dash - s), s, s + n - 4);
		return 0;
	}
	return -1;
}

char *norm_phone_mask(const char *normalized)
{
	char buf[NORM_PHONE_MAX];

	if (!normalized || norm_phone_mask_to(normalized, buf))
		return NULL;
	return sq_strdup(buf);
}

sq_err norm_contact_hash(const unsigned char *key, size_t keylen,
			 const char *normalized, char out_hex[65])
{
	static const char hex[] = "0123456789abcdef";
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	out_hex[0] = '\0';
	if (!key || !keylen || keylen > INT_MAX)
		return SQ_ECONFIG;
	if (!normalized)
		return SQ_EPARSE;
	if (!HMAC(EVP_sha256(), key, (int)keylen, (const unsigned char *)normalized,
		  strlen(normalized), md, &mdlen) || mdlen != 32)
		return SQ_ENOMEM;
	for (i = 0; i < mdlen; i++) {
		out_hex[2 * i] = hex[md[i] >> 4];
		out_hex[2 * i + 1] = hex[md[i] & 15];
	}
	out_hex[64] = '\0';
	return SQ_OK;
}

/*
 * The scrubber works on bytes, before text is folded (so that a record
 * refused for bad UTF-8 elsewhere is scrubbed all the same): digits and
 * separators may be ASCII or full-width.  Each helper returns the length
 * of what it recognises at p[i], or 0.
 */
static size_t fw_at(const char *p, size_t i, size_t n, unsigned char lo, unsigned char hi)
{
	const unsigned char *u = (const unsigned char *)p + i;

	return i + 2 < n && u[0] == 0xEF && u[1] == 0xBC && u[2] >= lo && u[2] <= hi ? 3 : 0;
}

static size_t digit_at(const char *p, size_t i, size_t n)
{
	if (p[i] >= '0' && p[i] <= '9')
		return 1;
	return fw_at(p, i, n, 0x90, 0x99); /* ０..９ */
}

/* Separators a number may run across: "138 1234-5678", "(020)8123". */
static size_t sep_at(const char *p, size_t i, size_t n)
{
	const unsigned char *u = (const unsigned char *)p + i;

	if (p[i] == ' ' || p[i] == '-' || p[i] == ')' || p[i] == '.')
		return 1;
	if (i + 2 < n && u[0] == 0xE3 && u[1] == 0x80 && u[2] == 0x80) /* U+3000 */
		return 3;
	return fw_at(p, i, n, 0x89, 0x89) ? 3 : fw_at(p, i, n, 0x8D, 0x8D); /* ）－ */
}

/* Does a digit end at p[i-1]?  Then p[i] does not start a number. */
static int digit_before(const char *p, size_t i, size_t n)
{
	return (i >= 1 && digit_at(p, i - 1, n) == 1) || (i >= 3 && digit_at(p, i - 3, n) == 3);
}

/* Length of a '+' or '(' just before p[i] that belongs to the number. */
static size_t opener_before(const char *p, size_t i, size_t n)
{
	if (i >= 1 && (p[i - 1] == '+' || p[i - 1] == '('))
		return 1;
	if (i >= 3 && (fw_at(p, i - 3, n, 0x8B, 0x8B) || fw_at(p, i - 3, n, 0x88, 0x88)))
		return 3; /* ＋（ */
	return 0;
}

sq_err norm_scrub_phones(char **s, size_t *count)
{
	struct sq_buf b = SQ_BUF_INIT;
	const char *p;
	size_t n, i = 0, copied = 0, found = 0;

	if (count)
		*count = 0;
	if (!s || !*s)
		return SQ_OK;
	p = *s;
	n = strlen(p);
	while (i < n) {
		size_t ends[8], nends = 0, j, ndig = 0, start, e, k;
		int matched = 0;

		/* Only an ASCII digit or the lead byte of a full-width one
		 * (EF BC 9x) starts a number: the rest is passed over by
		 * strcspn, a vector scan, rather than a test per byte. */
		i += strcspn(p + i, "0123456789\xef");
		if (i >= n)
			break;
		j = i;
		if (!digit_at(p, i, n) || digit_before(p, i, n)) {
			i++;
			continue;
		}
		/* The digit groups that follow, each end a place a number may stop. */
		while (nends < 8) {
			size_t seps = 0, l;

			while (j < n && (l = digit_at(p, j, n))) {
				j += l;
				ndig++;
			}
			ends[nends++] = j;
			if (ndig > PHONE_DIGITS_MAX)
				break;
			for (k = j; k < n && seps < 3 && (l = sep_at(p, k, n)); k += l)
				seps++;
			if (!seps || k >= n || !digit_at(p, k, n))
				break;
			j = k;
		}
		start = i - opener_before(p, i, n);
		for (e = nends; e-- > 0 && !matched;) {
			char norm[NORM_PHONE_MAX], mask[NORM_PHONE_MAX];
			enum norm_phone_kind kind;

			if (ends[e] - start > 96)
				continue;
			if (norm_phone_parse(p + start, ends[e] - start, norm, &kind) ||
			    kind == NORM_PHONE_MASKED || norm_phone_mask_to(norm, mask))
				continue;
			if (sq_buf_add(&b, p + copied, start - copied) || sq_buf_adds(&b, mask)) {
				sq_buf_release(&b);
				return SQ_ENOMEM;
			}
			copied = i = ends[e];
			found++;
			matched = 1;
		}
		if (!matched)
			i = ends[0];
	}
	if (found) {
		char *res;

		if (sq_buf_add(&b, p + copied, n - copied)) {
			sq_buf_release(&b);
			return SQ_ENOMEM;
		}
		res = sq_buf_detach(&b);
		if (!res)
			return SQ_ENOMEM;
		free(*s);
		*s = res;
	}
	if (count)
		*count = found;
	return SQ_OK;
}

/* ------------------------------------------------------------------ */
/* The site key                                                        */

void norm_key_free(unsigned char *key, size_t len)
{
	if (!key)
		return;
	OPENSSL_cleanse(key, len);
	free(key);
}

/* Copy n bytes of key material, without a trailing newline. */
static sq_err key_from_bytes(const char *what, const char *data, size_t n,
			     unsigned char **key, size_t *len, struct sq_error *err)
{
	while (n && (data[n - 1] == '\n' || data[n - 1] == '\r'))
		n--;
	if (n < NORM_SITE_KEY_MIN)
		return sq_fail(err, SQ_ECONFIG,
			       "%s: site key is %s (%zu bytes; at least %d needed); "
			       "remove it to have one generated, or write 64 random hex digits",
			       what, n ? "too short" : "empty", n, NORM_SITE_KEY_MIN);
	*key = malloc(n);
	if (!*key)
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	memcpy(*key, data, n);
	*len = n;
	return SQ_OK;
}

/* Read path as a key file; SQ_ENOTFOUND (no message) when it does not exist. */
static sq_err read_key_file(const char *path, unsigned char **key, size_t *len,
			    struct sq_error *err)
{
	char data[4097];
	struct stat st;
	size_t n = 0;
	sq_err rc;
	int fd;

	fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		if (errno == ENOENT)
			return SQ_ENOTFOUND;
		return sq_fail(err, SQ_EIO, "%s: cannot open site key: %s", path, strerror(errno));
	}
	if (fstat(fd, &st)) {
		rc = sq_fail(err, SQ_EIO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		rc = sq_fail(err, SQ_ECONFIG, "%s: site key is not a regular file", path);
		goto out;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		rc = sq_fail(err, SQ_ECONFIG,
			     "%s: site key is readable or writable by group or others "
			     "(mode %04o); run: chmod 600 %s",
			     path, (unsigned)(st.st_mode & 07777), path);
		goto out;
	}
	for (;;) {
		ssize_t r = read(fd, data + n, sizeof(data) - 1 - n);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			rc = sq_fail(err, SQ_EIO, "%s: cannot read site key: %s", path,
				     strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == sizeof(data) - 1) {
			rc = sq_fail(err, SQ_ECONFIG, "%s: site key file is too large", path);
			goto out;
		}
	}
	rc = key_from_bytes(path, data, n, key, len, err);
out:
	OPENSSL_cleanse(data, sizeof(data));
	close(fd);
	return rc;
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = write(fd, p, n);

		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Make sure a new directory entry survives a crash (best effort). */
static void sync_dir_of(const char *path)
{
	const char *slash = strrchr(path, '/');
	char *dir;
	int fd;

	dir = slash ? sq_strndup(path, slash == path ? 1 : (size_t)(slash - path))
		    : sq_strdup(".");
	if (!dir)
		return;
	fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		(void)fsync(fd);
		close(fd);
	}
	free(dir);
}

static sq_err create_key_file(const char *path, unsigned char **key, size_t *len,
			      struct sq_error *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char raw[32], nonce[6];
	char text[65], suffix[32];
	struct sq_buf tmp = SQ_BUF_INIT;
	sq_err rc = SQ_OK;
	size_t i;
	int fd;

	if (RAND_bytes(raw, sizeof(raw)) != 1 || RAND_bytes(nonce, sizeof(nonce)) != 1)
		return sq_fail(err, SQ_EIO, "%s: cannot generate a site key: no randomness", path);
	for (i = 0; i < sizeof(raw); i++) {
		text[2 * i] = hex[raw[i] >> 4];
		text[2 * i + 1] = hex[raw[i] & 15];
	}
	text[64] = '\n';
	snprintf(suffix, sizeof(suffix), ".tmp%02x%02x%02x%02x%02x%02x", nonce[0],
		 nonce[1], nonce[2], nonce[3], nonce[4], nonce[5]);
	if (sq_buf_adds(&tmp, path) || sq_buf_adds(&tmp, suffix)) {
		rc = sq_fail(err, SQ_ENOMEM, "out of memory");
		goto out;
	}
	/*
	 * Written whole under a private name, then linked into place: link()
	 * fails with EEXIST if another run got there first, and no run ever
	 * reads a half-written key.
	 */
	fd = open(tmp.data, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = sq_fail(err, SQ_EIO, "%s: cannot create site key: %s", tmp.data,
			     strerror(errno));
		goto out;
	}
	if (write_all(fd, text, sizeof(text)) || fsync(fd)) {
		rc = sq_fail(err, SQ_EIO, "%s: cannot write site key: %s", tmp.data,
			     strerror(errno));
		close(fd);
		unlink(tmp.data);
		goto out;
	}
	close(fd);
	if (link(tmp.data, path)) {
		int e = errno;

		unlink(tmp.data);
		if (e == EEXIST) {
			rc = read_key_file(path, key, len, err);
			if (rc == SQ_ENOTFOUND)
				rc = sq_fail(err, SQ_EIO, "%s: site key vanished while reading", path);
			goto out;
		}
		rc = sq_fail(err, SQ_EIO, "%s: cannot create site key: %s", path, strerror(e));
		goto out;
	}
	unlink(tmp.data);
	sync_dir_of(path);
	rc = key_from_bytes(path, text, 64, key, len, err);
out:
	OPENSSL_cleanse(raw, sizeof(raw));
	OPENSSL_cleanse(text, sizeof(text));
	sq_buf_release(&tmp);
	return rc;
}

sq_err norm_site_key(const struct sq_secret *configured, const char *db_path,
		     unsigned char **key, size_t *len, struct sq_error *err)
{
	struct sq_buf path = SQ_BUF_INIT;
	sq_err rc;

	*key = NULL;
	*len = 0;
	if (configured && configured->value) {
		char what[64];

		snprintf(what, sizeof(what), "privacy.site_key (from %s)",
			 configured->origin ? configured->origin : "configuration");
		return key_from_bytes(what, configured->value, strlen(configured->value),
				      key, len, err);
	}
	if (!db_path || !*db_path)
		return sq_fail(err, SQ_ECONFIG,
			       "no privacy.site_key configured and no database path to keep one beside");
	if (sq_buf_adds(&path, db_path) || sq_buf_adds(&path, ".key"))
		return sq_fail(err, SQ_ENOMEM, "out of memory");
	rc = read_key_file(path.data, key, len, err);
	if (rc == SQ_ENOTFOUND)
		rc = create_key_file(path.data, key, len, err);
	sq_buf_release(&path);
	return rc;
}
