/*
 * conn_util.h — what the connector files share: typed access to JSON
 * fields with one-line reasons, time parsing and formatting in the feeds'
 * shapes, URL building, cursors as JSON, and filling a page.  Private to
 * internal/connectors/ and its tests.
 *
 * Record-level helpers return SQ_OK, SQ_EPARSE (the record is bad: the
 * reason is written into a struct ct_why) or SQ_ENOMEM (the whole page
 * fails).  A bad record is quarantined by the caller, never dropped.
 */
#ifndef SUQIU_CONN_UTIL_H
#define SUQIU_CONN_UTIL_H

#include <cjson/cJSON.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "connectors/connector.h"
#include "error.h"
#include "record.h"

/* China Standard Time, the zone every feed here writes local times in. */
#define CT_CST_OFFSET 28800

/* Why a record was refused (one line). */
struct ct_why {
	char msg[256];
};

/* Format into why and return SQ_EPARSE. */
sq_err ct_bad(struct ct_why *why, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- JSON fields ------------------------------------------------------- */

/*
 * The string at key: *out NULL when absent or null (SQ_EPARSE "KEY: missing"
 * when required), the string otherwise (borrowed); SQ_EPARSE for another
 * type.  Empty strings are returned as "" (callers decide).
 */
sq_err ct_string(const cJSON *obj, const char *key, int required, const char **out,
		 struct ct_why *why);

/*
 * An integer at key: a JSON number with no fraction within ±2^53 (what a
 * double holds exactly).  *present 0 when absent or null (SQ_EPARSE when
 * required).  present may be NULL when required.
 */
sq_err ct_int(const cJSON *obj, const char *key, int required, int64_t *out, int *present,
	      struct ct_why *why);

/* A finite number at key; *present as ct_int. */
sq_err ct_number(const cJSON *obj, const char *key, double *out, int *present,
		 struct ct_why *why);

/* The object at key, NULL when absent or null; SQ_EPARSE for another type. */
sq_err ct_object(const cJSON *obj, const char *key, const cJSON **out, struct ct_why *why);

/*
 * *dst = copy of s, or NULL when s is NULL or "" (feeds write "" for
 * nothing).  SQ_ENOMEM.
 */
sq_err ct_dup(char **dst, const char *s);

/* ---- times --------------------------------------------------------------- */

/* "yyyy-MM-dd HH:mm:ss" in UTC+8 -> Unix s; SQ_EPARSE with "KEY: reason". */
sq_err ct_time_cst(const char *key, const char *text, int64_t *t, struct ct_why *why);
/* RFC 3339 with an offset -> Unix s (fraction dropped). */
sq_err ct_time_rfc3339(const char *key, const char *text, int64_t *t, struct ct_why *why);

/* Room for the formats below. */
#define CT_TIME_MAX 40
/* Unix s -> "yyyy-MM-dd HH:mm:ss" in UTC+8. */
void ct_format_cst(int64_t t, char buf[CT_TIME_MAX]);
/* Unix s -> "yyyy-MM-ddTHH:mm:ss+08:00" (tz_offset_s east of UTC; 0 gives "Z"). */
void ct_format_rfc3339(int64_t t, int tz_offset_s, char buf[CT_TIME_MAX]);

/* Unix ms of a feed's ms timestamp that is plausible (NORM_YEAR_MIN..MAX). */
sq_err ct_time_ms(const char *key, int64_t ms, int64_t *t, struct ct_why *why);

/* ---- requests -------------------------------------------------------------- */

/* url = base_url without trailing '/' + path (which starts with '/'). */
sq_err ct_url_start(struct sq_buf *url, const char *base_url, const char *path);

/*
 * Append "?name=value" or "&name=value", the value percent-encoded except
 * for unreserved characters and ':' (the contracts' examples keep ':').
 */
sq_err ct_url_param(struct sq_buf *url, const char *name, const char *value);
/* value percent-encoded as ct_url_param writes it, appended to out. */
sq_err ct_url_encode(struct sq_buf *out, const char *value);
sq_err ct_url_param_int(struct sq_buf *url, const char *name, int64_t value);

/* The request target of an absolute URL: from the first '/' after the host. */
const char *ct_url_target(const char *url);

/* Add a "Name: value" header to req (copied).  SQ_ENOMEM, SQ_EFATAL when full. */
sq_err ct_header(struct sq_conn_request *req, const char *name, const char *value);

/* req->what = formatted description of the page. */
sq_err ct_what(struct sq_conn_request *req, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* ---- cursors ----------------------------------------------------------------- */

/*
 * Parse a saved cursor: *out NULL for a NULL cursor; an object otherwise
 * (cJSON_Delete it).  SQ_EPARSE naming the type when it is not an object.
 */
sq_err ct_cursor_parse(const char *type, const char *cursor, cJSON **out,
		       struct sq_error *err);

/* Print an object compactly into a new string; SQ_ENOMEM. */
sq_err ct_cursor_print(const cJSON *obj, char **out, struct sq_error *err);

/* ---- responses and pages ---------------------------------------------------- */

/*
 * Parse the whole body as one JSON value (nothing but whitespace may
 * follow).  SQ_EPARSE "not JSON ..." / "empty body" / "cut short" for the
 * caller to turn into a RETRY verdict; SQ_ENOMEM is not distinguishable by
 * cJSON and is reported as SQ_EPARSE.
 */
sq_err ct_parse_body(const struct sq_buf *body, cJSON **root, struct sq_error *err);

/* Set page->verdict and the message; returns SQ_OK (for `return ct_verdict(...)`). */
sq_err ct_verdict(struct sq_conn_page *page, enum sq_verdict v, struct sq_error *err,
		  sq_err code, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

/* Move *r into the page (r is zeroed).  SQ_ENOMEM (r untouched). */
sq_err ct_page_add(struct sq_conn_page *page, struct sq_record *r);

/* Quarantine item with the reason; source_id may be NULL.  SQ_ENOMEM. */
sq_err ct_page_bad(struct sq_conn_page *page, const cJSON *item, const char *source_id,
		   const char *reason);

/*
 * The id of a record for the quarantine table, as text: a non-empty string
 * as it is, an integral number in decimal; NULL for anything else (the id
 * is then the problem).  buf holds at least 32 bytes.
 */
const char *ct_id_text(const cJSON *obj, const char *key, char *buf, size_t size);

/* A copy of item as compact JSON text; NULL when out of memory. */
char *ct_json_text(const cJSON *item);

/* A short, one-line excerpt of a JSON string value for messages. */
const char *ct_excerpt(const char *s, char *buf, size_t size);

/* Fill the fields every connector sets from the source (name, type, raw). */
sq_err ct_record_start(struct sq_record *r, const struct sq_source_config *src,
		       const cJSON *item);

#endif
