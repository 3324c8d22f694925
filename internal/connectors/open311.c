/*
 * open311 — Open311 GeoReport v2 service requests (GET requests.json).
 *
 * Read in windows on updated_datetime ([start_date, end_date), RFC 3339,
 * never wider than `window`), walked from the cursor up to now, with the
 * common page/page_size extension inside each window (a page shorter than
 * page_size ends the window).  The cursor is
 *
 *     {"start": 1714492800, "page": 2}
 *
 * (Unix seconds of the current window's start, and the next page).  As for
 * city_mgmt, a window that ends before now is done once walked; the window
 * that ends at now is read again by the next run.
 *
 * Errors are arrays [{"code": 403, "description": "..."}]: 400, 401, 403
 * and 404 fail the source (configuration), 429 and 5xx are retried.
 *
 * Mapping: service_request_id (string or number) -> source_id;
 * requested_datetime -> received_at; updated_datetime -> updated_at
 * (requested_datetime when absent); expected_datetime -> deadline;
 * service_name (else service_code) -> category_raw; description -> text;
 * address; lat/long (WGS 84; numbers or numeric strings); status open ->
 * open, closed -> closed (anything else -> open, status_raw keeps it);
 * agency_responsible -> handler.  Kind is "report".
 */
#include <cjson/cJSON.h>
#include <errno.h>
#include <math.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "connectors/conn_util.h"
#include "connectors/connector.h"
#include "connectors/registry.h"
#include "http.h"
#include "banned.h"

#define OPEN311_PATH "/requests.json"
#define OPEN311_CHANNEL "Open311"
#define OPEN311_DEFAULT_BACK_S (30LL * 86400)

static const struct sq_option open311_options[] = {
	{ "api_key", SQ_OPT_SECRET, NULL, offsetof(struct open311_conf, api_key),
	  "optional api_key parameter; use api_key_file", 0, 0, 0 },
	{ "jurisdiction_id", SQ_OPT_STRING, NULL, offsetof(struct open311_conf, jurisdiction_id),
	  "optional jurisdiction_id parameter", 0, 0, 0 },
	{ "page_size", SQ_OPT_INT, "100", offsetof(struct open311_conf, page_size),
	  "requests per page (page_size extension)", 1, 1000, 0 },
	{ "window", SQ_OPT_DURATION, "7d", offsetof(struct open311_conf, window_ms),
	  "width of each start_date/end_date window walked", 60000, 0, 0 },
	{ NULL, 0, NULL, 0, NULL, 0, 0, 0 },
};

struct o3_cursor {
	int64_t start;   /* Unix s */
	int64_t page;
};

static int64_t window_s(const struct sq_source_config *src)
{
	const struct open311_conf *conf = src->conf;

	return conf->window_ms >= 1000 ? conf->window_ms / 1000 : 7 * 86400;
}

static sq_err read_cursor(const struct sq_source_config *src, const char *text,
			  const struct sq_conn_env *env, struct o3_cursor *c,
			  struct sq_error *err)
{
	const cJSON *start, *page;
	cJSON *obj;
	sq_err rc;

	c->start = src->start_from > 0 ? src->start_from
				       : env->now_ms / 1000 - OPEN311_DEFAULT_BACK_S;
	c->page = 1;
	rc = ct_cursor_parse("open311", text, &obj, err);
	if (rc || !obj)
		return rc;
	start = cJSON_GetObjectItemCaseSensitive(obj, "start");
	page = cJSON_GetObjectItemCaseSensitive(obj, "page");
	if (!cJSON_IsNumber(start) || !cJSON_IsNumber(page) || start->valuedouble < 0 ||
	    start->valuedouble > 9e12 || page->valuedouble < 1 || page->valuedouble > 1e9) {
		cJSON_Delete(obj);
		return sq_fail(err, SQ_EPARSE,
			       "saved cursor is not an open311 cursor (want {\"start\":s,\"page\":N}); "
			       "delete it to start again from start_from");
	}
	c->start = (int64_t)start->valuedouble;
	c->page = (int64_t)page->valuedouble;
	cJSON_Delete(obj);
	return SQ_OK;
}

static sq_err write_cursor(int64_t start, int64_t page, char **out, struct sq_error *err)
{
	cJSON *obj = cJSON_CreateObject();
	sq_err rc;

	if (!obj || !cJSON_AddNumberToObject(obj, "start", (double)start) ||
	    !cJSON_AddNumberToObject(obj, "page", (double)page)) {
		cJSON_Delete(obj);
		return sq_fail(err, SQ_ENOMEM, "out of memory writing a cursor");
	}
	rc = ct_cursor_print(obj, out, err);
	cJSON_Delete(obj);
	return rc;
}

static int64_t window_end(const struct sq_source_config *src, const struct o3_cursor *c,
			  const struct sq_conn_env *env)
{
	int64_t end = c->start + window_s(src), now = env->now_ms / 1000;

	return end < now ? end : now;
}

static sq_err open311_build(const struct sq_source_config *src, const char *cursor,
			    const struct sq_conn_env *env, struct sq_conn_request *req,
			    struct sq_error *err)
{
	const struct open311_conf *conf = src->conf;
	struct sq_buf url = SQ_BUF_INIT;
	char from[CT_TIME_MAX], to[CT_TIME_MAX];
	struct o3_cursor c;
	int64_t end;
	sq_err rc;

	rc = read_cursor(src, cursor, env, &c, err);
	if (rc)
		return rc;
	end = window_end(src, &c, env);
	ct_format_rfc3339(c.start, 0, from);
	ct_format_rfc3339(end, 0, to);
	if (end <= c.start) {
		req->idle = 1;
		return ct_what(req, "window from %s (not begun yet)", from) ?
			sq_fail(err, SQ_ENOMEM, "out of memory building a request") : SQ_OK;
	}
	if (ct_url_start(&url, src->base_url, OPEN311_PATH) ||
	    ct_url_param(&url, "start_date", from) || ct_url_param(&url, "end_date", to) ||
	    ct_url_param_int(&url, "page", c.page) ||
	    ct_url_param_int(&url, "page_size", conf->page_size) ||
	    (conf->jurisdiction_id && ct_url_param(&url, "jurisdiction_id", conf->jurisdiction_id)) ||
	    (conf->api_key.value && ct_url_param(&url, "api_key", conf->api_key.value)))
		goto oom;
	req->url = url.data;
	url.data = NULL;
	if (conf->api_key.value) {
		/* http.c names the URL in its messages; the key must not follow. */
		struct sq_buf key = SQ_BUF_INIT;

		if (ct_url_encode(&key, conf->api_key.value)) {
			sq_buf_release(&key);
			goto oom;
		}
		req->redact = key.data;
	}
	if (ct_what(req, "window %s..%s page=%lld", from, to, (long long)c.page))
		goto oom;
	return SQ_OK;
oom:
	sq_buf_release(&url);
	conn_request_release(req);
	return sq_fail(err, SQ_ENOMEM, "out of memory building a request");
}

/* lat/long as a number or a numeric string (both are seen in the wild). */
static sq_err coordinate(const cJSON *item, const char *key, double *out, int *present,
			 struct ct_why *why)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(item, key);
	char *end;

	*present = 0;
	if (!v || cJSON_IsNull(v) || (cJSON_IsString(v) && !*v->valuestring))
		return SQ_OK;
	if (cJSON_IsNumber(v)) {
		*out = v->valuedouble;
	} else if (cJSON_IsString(v)) {
		errno = 0;
		*out = strtod(v->valuestring, &end);
		if (errno || *end || end == v->valuestring)
			return ct_bad(why, "%s: not a number", key);
	} else {
		return ct_bad(why, "%s: expected a number", key);
	}
	if (!isfinite(*out))
		return ct_bad(why, "%s: not a finite number", key);
	*present = 1;
	return SQ_OK;
}

static sq_err open311_record(const struct sq_source_config *src, const cJSON *item,
			     struct sq_record *r, struct ct_why *why)
{
	const char *sid = NULL, *status, *name, *code, *desc, *requested, *updated, *expected;
	const char *address, *agency;
	const cJSON *idv;
	char num[32];
	double lat, lon;
	int has_lat, has_lon;
	sq_err rc;

	if (!cJSON_IsObject(item))
		return ct_bad(why, "a service request must be a JSON object");
	idv = cJSON_GetObjectItemCaseSensitive(item, "service_request_id");
	if (cJSON_IsString(idv) && *idv->valuestring) {
		sid = idv->valuestring;
	} else if (cJSON_IsNumber(idv)) {
		int64_t v;

		if ((rc = ct_int(item, "service_request_id", 1, &v, NULL, why)))
			return rc;
		snprintf(num, sizeof(num), "%lld", (long long)v);
		sid = num;
	} else {
		return ct_bad(why, "service_request_id: missing");
	}
	if ((rc = ct_string(item, "status", 1, &status, why)) ||
	    (rc = ct_string(item, "service_name", 0, &name, why)) ||
	    (rc = ct_string(item, "service_code", 0, &code, why)) ||
	    (rc = ct_string(item, "description", 0, &desc, why)) ||
	    (rc = ct_string(item, "requested_datetime", 1, &requested, why)) ||
	    (rc = ct_string(item, "updated_datetime", 0, &updated, why)) ||
	    (rc = ct_string(item, "expected_datetime", 0, &expected, why)) ||
	    (rc = ct_string(item, "address", 0, &address, why)) ||
	    (rc = ct_string(item, "agency_responsible", 0, &agency, why)) ||
	    (rc = coordinate(item, "lat", &lat, &has_lat, why)) ||
	    (rc = coordinate(item, "long", &lon, &has_lon, why)))
		return rc;
	if ((rc = ct_time_rfc3339("requested_datetime", requested, &r->received_at, why)))
		return rc;
	r->updated_at = r->received_at;
	if (updated && *updated &&
	    (rc = ct_time_rfc3339("updated_datetime", updated, &r->updated_at, why)))
		return rc;
	if (expected && *expected &&
	    (rc = ct_time_rfc3339("expected_datetime", expected, &r->deadline, why)))
		return rc;
	if (has_lat && has_lon) {
		r->crs = SQ_CRS_WGS84;
		r->lat = lat;
		r->lon = lon;
	}
	r->kind = SQ_KIND_REPORT;
	r->status = !strcmp(status, "closed") ? SQ_STATUS_CLOSED : SQ_STATUS_OPEN;
	if ((rc = ct_record_start(r, src, item)) || (rc = ct_dup(&r->source_id, sid)) ||
	    (rc = ct_dup(&r->channel, OPEN311_CHANNEL)) || (rc = ct_dup(&r->text, desc)) ||
	    (rc = ct_dup(&r->category_raw, name && *name ? name : code)) ||
	    (rc = ct_dup(&r->address, address)) || (rc = ct_dup(&r->handler, agency)) ||
	    (rc = ct_dup(&r->status_raw, status)))
		return SQ_ENOMEM;
	return SQ_OK;
}

static sq_err http_failure(const struct sq_http_response *resp, struct sq_conn_page *page,
			   struct sq_error *err)
{
	char detail[200] = "", ex[160];
	struct sq_error ignore = { 0 };
	const cJSON *first, *d;
	cJSON *root = NULL;

	if (resp->body.len && !ct_parse_body(&resp->body, &root, &ignore) && cJSON_IsArray(root) &&
	    cJSON_IsObject(first = cJSON_GetArrayItem(root, 0)) &&
	    cJSON_IsString(d = cJSON_GetObjectItemCaseSensitive(first, "description")))
		snprintf(detail, sizeof(detail), ": %s", ct_excerpt(d->valuestring, ex, sizeof(ex)));
	cJSON_Delete(root);
	page->retry_after_ms = resp->retry_after_ms;
	if (http_status_transient(resp->status))
		return ct_verdict(page, SQ_VERDICT_RETRY, err, SQ_ERETRY, "HTTP %ld%s",
				  resp->status, detail);
	if (resp->status == 401 || resp->status == 403)
		return ct_verdict(page, SQ_VERDICT_FATAL, err, SQ_EFATAL,
				  "HTTP %ld%s: the api_key was refused; check api_key_file",
				  resp->status, detail);
	return ct_verdict(page, SQ_VERDICT_FATAL, err, SQ_EFATAL,
			  "HTTP %ld%s: a configuration error, not retried", resp->status, detail);
}

static sq_err open311_parse(const struct sq_source_config *src, const char *cursor,
			    const struct sq_conn_env *env, const struct sq_http_response *resp,
			    struct sq_conn_page *page, struct sq_error *err)
{
	const struct open311_conf *conf = src->conf;
	const cJSON *item;
	struct o3_cursor c;
	cJSON *root = NULL;
	int64_t n = 0, end;
	sq_err rc;

	page->retry_after_ms = -1;
	page->total = -1;
	rc = read_cursor(src, cursor, env, &c, err);
	if (rc) {
		page->verdict = SQ_VERDICT_FATAL;
		return rc == SQ_ENOMEM ? rc : SQ_OK;
	}
	if (resp->status != 200)
		return http_failure(resp, page, err);
	if (ct_parse_body(&resp->body, &root, err)) {
		page->verdict = SQ_VERDICT_RETRY;
		return SQ_OK;
	}
	if (!cJSON_IsArray(root)) {
		cJSON_Delete(root);
		return ct_verdict(page, SQ_VERDICT_RETRY, err, SQ_EPARSE,
				  "envelope missing: the body is not an array of service requests");
	}
	cJSON_ArrayForEach(item, root) {
		struct sq_record r = { 0 };
		struct ct_why why = { { 0 } };
		char idbuf[32];

		n++;
		rc = open311_record(src, item, &r, &why);
		if (rc == SQ_OK)
			rc = ct_page_add(page, &r);
		else if (rc == SQ_EPARSE)
			rc = ct_page_bad(page, item,
					 ct_id_text(item, "service_request_id", idbuf, sizeof(idbuf)),
					 why.msg);
		record_release(&r);
		if (rc)
			goto oom;
	}
	cJSON_Delete(root);
	root = NULL;
	page->verdict = SQ_VERDICT_PAGE;
	end = window_end(src, &c, env);
	if (n >= conf->page_size) {
		page->more = 1;
		rc = write_cursor(c.start, c.page + 1, &page->cursor, err);
	} else if (end == c.start + window_s(src)) {
		page->more = end < env->now_ms / 1000;
		rc = write_cursor(end, 1, &page->cursor, err);
	} else {
		page->more = 0;
		rc = write_cursor(c.start, 1, &page->cursor, err);
	}
	if (rc)
		goto oom;
	return SQ_OK;
oom:
	cJSON_Delete(root);
	conn_page_release(page);
	return sq_fail(err, SQ_ENOMEM, "out of memory parsing a page");
}

const struct sq_connector connector_open311 = {
	.type = "open311",
	.help = "Open311 GeoReport v2 service requests (requests.json)",
	.options = open311_options,
	.conf_size = sizeof(struct open311_conf),
	.build_request = open311_build,
	.parse_page = open311_parse,
	.array_is_page = 1,
};
