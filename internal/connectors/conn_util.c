/* Helpers shared by the connector files (conn_util.h). */
#include "connectors/conn_util.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "normalize.h"
#include "banned.h"

/* Largest integer a double holds exactly: JSON numbers beyond it lose digits. */
#define CT_INT_MAX 9007199254740992.0

sq_err ct_bad(struct ct_why *why, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why->msg, sizeof(why->msg), fmt, ap);
	va_end(ap);
	return SQ_EPARSE;
}

static const char *json_type_name(const cJSON *v)
{
	if (cJSON_IsString(v))
		return "a string";
	if (cJSON_IsNumber(v))
		return "a number";
	if (cJSON_IsBool(v))
		return "a boolean";
	if (cJSON_IsArray(v))
		return "an array";
	if (cJSON_IsObject(v))
		return "an object";
	return "something else";
}

/* cJSON_GetObjectItemCaseSensitive, NULL for JSON null too. */
static const cJSON *field(const cJSON *obj, const char *key)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);

	return cJSON_IsNull(v) ? NULL : v;
}

sq_err ct_string(const cJSON *obj, const char *key, int required, const char **out,
		 struct ct_why *why)
{
	const cJSON *v = field(obj, key);

	*out = NULL;
	if (!v)
		return required ? ct_bad(why, "%s: missing", key) : SQ_OK;
	if (!cJSON_IsString(v) || !v->valuestring)
		return ct_bad(why, "%s: expected a string, got %s", key, json_type_name(v));
	*out = v->valuestring;
	return SQ_OK;
}

sq_err ct_int(const cJSON *obj, const char *key, int required, int64_t *out, int *present,
	      struct ct_why *why)
{
	const cJSON *v = field(obj, key);
	double d;

	*out = 0;
	if (present)
		*present = 0;
	if (!v)
		return required ? ct_bad(why, "%s: missing", key) : SQ_OK;
	if (!cJSON_IsNumber(v))
		return ct_bad(why, "%s: expected an integer, got %s", key, json_type_name(v));
	d = v->valuedouble;
	if (!isfinite(d) || d != floor(d) || d > CT_INT_MAX || d < -CT_INT_MAX)
		return ct_bad(why, "%s: expected an integer, got %.17g", key, d);
	*out = (int64_t)d;
	if (present)
		*present = 1;
	return SQ_OK;
}

sq_err ct_number(const cJSON *obj, const char *key, double *out, int *present,
		 struct ct_why *why)
{
	const cJSON *v = field(obj, key);

	*out = 0;
	*present = 0;
	if (!v)
		return SQ_OK;
	if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
		return ct_bad(why, "%s: expected a number, got %s", key, json_type_name(v));
	*out = v->valuedouble;
	*present = 1;
	return SQ_OK;
}

sq_err ct_object(const cJSON *obj, const char *key, const cJSON **out, struct ct_why *why)
{
	const cJSON *v = field(obj, key);

	*out = NULL;
	if (!v)
		return SQ_OK;
	if (!cJSON_IsObject(v))
		return ct_bad(why, "%s: expected an object, got %s", key, json_type_name(v));
	*out = v;
	return SQ_OK;
}

sq_err ct_dup(char **dst, const char *s)
{
	free(*dst);
	*dst = NULL;
	if (!s || !*s)
		return SQ_OK;
	*dst = sq_strdup(s);
	return *dst ? SQ_OK : SQ_ENOMEM;
}

/* ---- times ---------------------------------------------------------------- */

sq_err ct_time_cst(const char *key, const char *text, int64_t *t, struct ct_why *why)
{
	struct sq_error e = { 0 };

	if (norm_time_cst(text, t, &e))
		return ct_bad(why, "%s: %s", key, e.msg);
	return SQ_OK;
}

sq_err ct_time_rfc3339(const char *key, const char *text, int64_t *t, struct ct_why *why)
{
	struct sq_error e = { 0 };

	if (norm_time_rfc3339(text, t, &e))
		return ct_bad(why, "%s: %s", key, e.msg);
	return SQ_OK;
}

void ct_format_cst(int64_t t, char buf[CT_TIME_MAX])
{
	struct sq_civil c;

	norm_civil(t, CT_CST_OFFSET, &c);
	snprintf(buf, CT_TIME_MAX, "%04d-%02d-%02d %02d:%02d:%02d", c.year % 10000, c.month,
		 c.day, c.hour, c.min, c.sec);
}

void ct_format_rfc3339(int64_t t, int tz_offset_s, char buf[CT_TIME_MAX])
{
	size_t n = norm_format_time(t, tz_offset_s, buf, CT_TIME_MAX);

	/* "+00:00" is right but "Z" is what Open311 servers expect to see. */
	if (tz_offset_s == 0 && n > 6 && !strcmp(buf + n - 6, "+00:00"))
		snprintf(buf + n - 6, CT_TIME_MAX - (n - 6), "Z");
}

sq_err ct_time_ms(const char *key, int64_t ms, int64_t *t, struct ct_why *why)
{
	int64_t lo = norm_days_from_civil(NORM_YEAR_MIN, 1, 1) * 86400;
	int64_t hi = norm_days_from_civil(NORM_YEAR_MAX + 1, 1, 1) * 86400;
	int64_t s;

	/* Floor division: a negative ms must not round toward zero into range. */
	s = ms / 1000 - (ms % 1000 < 0);
	if (s < lo || s >= hi)
		return ct_bad(why, "%s: %lld ms is not a plausible time (years %d..%d)", key,
			      (long long)ms, NORM_YEAR_MIN, NORM_YEAR_MAX);
	*t = s;
	return SQ_OK;
}

/* ---- requests ---------------------------------------------------------------- */

sq_err ct_url_start(struct sq_buf *url, const char *base_url, const char *path)
{
	size_t n = base_url ? strlen(base_url) : 0;

	while (n > 0 && base_url[n - 1] == '/')
		n--;
	sq_buf_reset(url);
	if (sq_buf_add(url, base_url ? base_url : "", n) || sq_buf_adds(url, path))
		return SQ_ENOMEM;
	return SQ_OK;
}

sq_err ct_url_param(struct sq_buf *url, const char *name, const char *value)
{
	if (sq_buf_addc(url, strchr(sq_buf_str(url), '?') ? '&' : '?') ||
	    sq_buf_adds(url, name) || sq_buf_addc(url, '='))
		return SQ_ENOMEM;
	return ct_url_encode(url, value);
}

sq_err ct_url_encode(struct sq_buf *url, const char *value)
{
	static const char hex[] = "0123456789ABCDEF";
	const unsigned char *p;

	for (p = (const unsigned char *)value; *p; p++) {
		int plain = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
			    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' ||
			    *p == '~' || *p == ':';
		char enc[3] = { '%', hex[*p >> 4], hex[*p & 15] };

		if (plain ? sq_buf_addc(url, (char)*p) : sq_buf_add(url, enc, 3))
			return SQ_ENOMEM;
	}
	return SQ_OK;
}

sq_err ct_url_param_int(struct sq_buf *url, const char *name, int64_t value)
{
	char num[32];

	snprintf(num, sizeof(num), "%lld", (long long)value);
	return ct_url_param(url, name, num);
}

const char *ct_url_target(const char *url)
{
	const char *p = strstr(url, "://");
	const char *slash;

	p = p ? p + 3 : url;
	slash = strchr(p, '/');
	return slash ? slash : "/";
}

sq_err ct_header(struct sq_conn_request *req, const char *name, const char *value)
{
	struct sq_buf b = SQ_BUF_INIT;

	if (req->nheaders >= SQ_CONN_MAX_HEADERS)
		return SQ_EFATAL;
	if (sq_buf_addf(&b, "%s: %s", name, value)) {
		sq_buf_release(&b);
		return SQ_ENOMEM;
	}
	req->headers[req->nheaders++] = b.data;
	return SQ_OK;
}

sq_err ct_what(struct sq_conn_request *req, const char *fmt, ...)
{
	struct sq_buf b = SQ_BUF_INIT;
	va_list ap;
	sq_err rc;

	va_start(ap, fmt);
	rc = sq_buf_vaddf(&b, fmt, ap);
	va_end(ap);
	if (rc) {
		sq_buf_release(&b);
		return SQ_ENOMEM;
	}
	free(req->what);
	req->what = b.data;
	return SQ_OK;
}

/* ---- cursors --------------------------------------------------------------------- */

sq_err ct_cursor_parse(const char *type, const char *cursor, cJSON **out,
		       struct sq_error *err)
{
	*out = NULL;
	if (!cursor)
		return SQ_OK;
	*out = cJSON_Parse(cursor);
	if (!*out || !cJSON_IsObject(*out)) {
		cJSON_Delete(*out);
		*out = NULL;
		return sq_fail(err, SQ_EPARSE,
			       "saved cursor is not a %s cursor (was the source's type changed? "
			       "delete its cursor to start again from start_from)", type);
	}
	return SQ_OK;
}

sq_err ct_cursor_print(const cJSON *obj, char **out, struct sq_error *err)
{
	*out = cJSON_PrintUnformatted(obj);
	if (!*out)
		return sq_fail(err, SQ_ENOMEM, "out of memory writing a cursor");
	return SQ_OK;
}

/* ---- responses and pages ------------------------------------------------------------ */

sq_err ct_parse_body(const struct sq_buf *body, cJSON **root, struct sq_error *err)
{
	const char *end = NULL;
	size_t i, len = body->len;

	*root = NULL;
	for (i = 0; i < len && strchr(" \t\r\n", body->data[i]); i++)
		;
	if (i == len)
		return sq_fail(err, SQ_EPARSE, "empty body where a JSON page was expected");
	*root = cJSON_ParseWithLengthOpts(body->data, len, &end, 0);
	if (!*root) {
		size_t at = end && end >= body->data ? (size_t)(end - body->data) : 0;

		if (at >= len)
			return sq_fail(err, SQ_EPARSE, "body is not JSON: cut short after %zu bytes",
				       len);
		return sq_fail(err, SQ_EPARSE, "body is not JSON: syntax error at byte %zu of %zu",
			       at, len);
	}
	for (i = (size_t)(end - body->data); i < len; i++) {
		if (!strchr(" \t\r\n", body->data[i])) {
			cJSON_Delete(*root);
			*root = NULL;
			return sq_fail(err, SQ_EPARSE,
				       "body is not JSON: unexpected bytes after the value at byte %zu",
				       i);
		}
	}
	return SQ_OK;
}

sq_err ct_verdict(struct sq_conn_page *page, enum sq_verdict v, struct sq_error *err,
		  sq_err code, const char *fmt, ...)
{
	va_list ap;

	page->verdict = v;
	if (err) {
		err->code = code;
		va_start(ap, fmt);
		vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
		va_end(ap);
	}
	return SQ_OK;
}

sq_err ct_page_add(struct sq_conn_page *page, struct sq_record *r)
{
	struct sq_record *grown;

	grown = realloc(page->records, (page->nrecords + 1) * sizeof(*grown));
	if (!grown)
		return SQ_ENOMEM;
	page->records = grown;
	page->records[page->nrecords++] = *r;
	memset(r, 0, sizeof(*r));
	return SQ_OK;
}

const char *ct_id_text(const cJSON *obj, const char *key, char *buf, size_t size)
{
	const cJSON *v = cJSON_IsObject(obj) ? cJSON_GetObjectItemCaseSensitive(obj, key) : NULL;
	struct ct_why why;
	int64_t n;

	if (cJSON_IsString(v) && v->valuestring && *v->valuestring)
		return v->valuestring;
	if (cJSON_IsNumber(v) && !ct_int(obj, key, 1, &n, NULL, &why)) {
		snprintf(buf, size, "%lld", (long long)n);
		return buf;
	}
	return NULL;
}

char *ct_json_text(const cJSON *item)
{
	return cJSON_PrintUnformatted(item);
}

sq_err ct_page_bad(struct sq_conn_page *page, const cJSON *item, const char *source_id,
		   const char *reason)
{
	struct sq_conn_bad b = { 0 }, *grown;

	b.raw = ct_json_text(item);
	b.reason = sq_strdup(reason);
	b.source_id = source_id ? sq_strdup(source_id) : NULL;
	grown = realloc(page->bad, (page->nbad + 1) * sizeof(*grown));
	if (!b.raw || !b.reason || (source_id && !b.source_id) || !grown) {
		free(b.raw);
		free(b.reason);
		free(b.source_id);
		if (grown)
			page->bad = grown;
		return SQ_ENOMEM;
	}
	page->bad = grown;
	page->bad[page->nbad++] = b;
	return SQ_OK;
}

const char *ct_excerpt(const char *s, char *buf, size_t size)
{
	size_t j = 0;

	if (!size)
		return "";
	/* buf mirrors s byte for byte, with room kept for "...". */
	while (s && s[j] && j + 4 < size) {
		unsigned char c = (unsigned char)s[j];

		buf[j] = (c < 0x20 || c == 0x7f) ? ' ' : (char)c;
		j++;
	}
	if (s && s[j]) {
		/* Cut: back off so no UTF-8 sequence is split, then mark it. */
		while (j > 0 && ((unsigned char)s[j] & 0xc0) == 0x80)
			j--;
		if (j + 3 < size) {
			memcpy(buf + j, "...", 3);
			j += 3;
		}
	}
	buf[j] = '\0';
	return buf;
}

sq_err ct_record_start(struct sq_record *r, const struct sq_source_config *src,
		       const cJSON *item)
{
	r->source = sq_strdup(src->name);
	r->source_type = sq_strdup(src->type ? src->type : "");
	r->raw = ct_json_text(item);
	if (!r->source || !r->source_type || !r->raw)
		return SQ_ENOMEM;
	return SQ_OK;
}
