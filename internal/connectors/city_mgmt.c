/*
 * city_mgmt — the smart city-management platform (feeds/city_mgmt.md).
 *
 * The feed is read in windows on updatedAt, [start, end) in Unix ms, never
 * wider than the configured window (at most 24 h: the server answers a
 * wider one with 400 WINDOW_TOO_LARGE), walked from the cursor up to now,
 * with offset/limit paging inside each window.  The cursor is
 *
 *     {"start": 1714492800000, "offset": 100, "pages": [["\"etag0\"", 100], ...]}
 *
 * start is the current window's start, offset the next page's, and pages the
 * ETag and item count of each page of the current window read so far.  A
 * window that ends before now is complete: once walked, start moves to its
 * end and the ETags are dropped.  The last window, which ends at now, stays
 * current after it is walked, so the next run reads it again — new cases
 * appear there — sending If-None-Match with each page's ETag; a 304 means
 * that page has not changed and costs nothing.
 *
 * Errors: 400 WINDOW_TOO_LARGE is a suqiu bug and any other 400 a
 * configuration error (both fatal, not retried); 403 BAD_API_KEY fails the
 * source; 429 waits Retry-After; 5xx retries.
 *
 * Mapping: caseNo -> source_id; reportedAt/updatedAt/deadline (ms);
 * origin -> channel; refOrderNo -> a "ref" link to the hotline order the
 * case came from; class.majorName/minorName -> category_raw
 * ("施工管理/夜间施工"); description -> text; gridCode -> grid; location
 * with its crs (GCJ02, BD09 or WGS84; none written: GCJ02, the platform's
 * default) -> lat/lon (normalization converts to WGS 84); stage 上报/立案 ->
 * open, 派遣/处置 -> in_progress, 核查 (handled, being verified) ->
 * resolved, 结案 -> closed, 作废 -> void (kept); reporter.phone ->
 * contact_raw.  Every case is of kind "report": the platform records
 * problems found or reported, not appeals.
 */
#include <cjson/cJSON.h>
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

#define CITY_PATH "/cgapi/v1/cases"
/* Where a source without start_from begins: this long before its first run. */
#define CITY_DEFAULT_BACK_MS (30LL * 86400 * 1000)

static const struct sq_option citymgmt_options[] = {
	{ "api_key", SQ_OPT_SECRET, NULL, offsetof(struct citymgmt_conf, api_key),
	  "X-Api-Key value; use api_key_file", 0, 0, SQ_OPT_REQUIRED },
	{ "page_size", SQ_OPT_INT, "100", offsetof(struct citymgmt_conf, page_size),
	  "cases per page (1..500)", 1, 500, 0 },
	{ "window", SQ_OPT_DURATION, "24h", offsetof(struct citymgmt_conf, window_ms),
	  "width of each updatedAt window walked (at most 24h)", 60000, 86400000, 0 },
	{ NULL, 0, NULL, 0, NULL, 0, 0, 0 },
};

struct cm_cursor {
	int64_t start;    /* ms */
	int64_t offset;
	cJSON *pages;     /* array of [etag, count]; owned */
};

static sq_err bad_cursor(struct sq_error *err)
{
	return sq_fail(err, SQ_EPARSE,
		       "saved cursor is not a city_mgmt cursor "
		       "(want {\"start\":ms,\"offset\":N,\"pages\":[...]}); "
		       "delete it to start again from start_from");
}

static int64_t window_ms(const struct sq_source_config *src)
{
	const struct citymgmt_conf *conf = src->conf;
	int64_t w = conf->window_ms;

	/* The contract's limit, whatever the configuration says. */
	if (w <= 0 || w > 86400000)
		w = 86400000;
	return w;
}

static sq_err read_cursor(const struct sq_source_config *src, const char *text,
			  const struct sq_conn_env *env, struct cm_cursor *c,
			  struct sq_error *err)
{
	const cJSON *start, *offset, *pages, *p;
	cJSON *obj;
	sq_err rc;

	memset(c, 0, sizeof(*c));
	c->start = src->start_from > 0 ? src->start_from * 1000 : env->now_ms - CITY_DEFAULT_BACK_MS;
	rc = ct_cursor_parse("city_mgmt", text, &obj, err);
	if (rc)
		return rc;
	if (obj) {
		start = cJSON_GetObjectItemCaseSensitive(obj, "start");
		offset = cJSON_GetObjectItemCaseSensitive(obj, "offset");
		pages = cJSON_GetObjectItemCaseSensitive(obj, "pages");
		if (!cJSON_IsNumber(start) || !cJSON_IsNumber(offset) || offset->valuedouble < 0 ||
		    offset->valuedouble > 1e9 || start->valuedouble < 0 ||
		    start->valuedouble > 9e15 || (pages && !cJSON_IsArray(pages))) {
			cJSON_Delete(obj);
			return bad_cursor(err);
		}
		cJSON_ArrayForEach(p, pages) {
			if (!cJSON_IsArray(p) || cJSON_GetArraySize(p) != 2 ||
			    !cJSON_IsString(cJSON_GetArrayItem(p, 0)) ||
			    !cJSON_IsNumber(cJSON_GetArrayItem(p, 1)) ||
			    !(cJSON_GetArrayItem(p, 1)->valuedouble >= 0 &&
			      cJSON_GetArrayItem(p, 1)->valuedouble <= 1e9)) {
				cJSON_Delete(obj);
				return bad_cursor(err);
			}
		}
		c->start = (int64_t)start->valuedouble;
		c->offset = (int64_t)offset->valuedouble;
		if (pages)
			c->pages = cJSON_DetachItemFromObjectCaseSensitive(obj, "pages");
		cJSON_Delete(obj);
	}
	if (!c->pages && !(c->pages = cJSON_CreateArray()))
		return sq_fail(err, SQ_ENOMEM, "out of memory reading a cursor");
	return SQ_OK;
}

static sq_err write_cursor(int64_t start, int64_t offset, cJSON *pages, char **out,
			   struct sq_error *err)
{
	cJSON *obj = cJSON_CreateObject();
	sq_err rc;

	if (!obj || !cJSON_AddNumberToObject(obj, "start", (double)start) ||
	    !cJSON_AddNumberToObject(obj, "offset", (double)offset)) {
		cJSON_Delete(obj);
		return sq_fail(err, SQ_ENOMEM, "out of memory writing a cursor");
	}
	cJSON_AddItemReferenceToObject(obj, "pages", pages);
	if (!cJSON_GetObjectItemCaseSensitive(obj, "pages")) {
		cJSON_Delete(obj);
		return sq_fail(err, SQ_ENOMEM, "out of memory writing a cursor");
	}
	rc = ct_cursor_print(obj, out, err);
	cJSON_Delete(obj);
	return rc;
}

/* The current window's end: a full window, or now when that comes first. */
static int64_t window_end(const struct sq_source_config *src, const struct cm_cursor *c,
			  const struct sq_conn_env *env)
{
	int64_t end = c->start + window_ms(src);

	return end < env->now_ms ? end : env->now_ms;
}

static sq_err city_build(const struct sq_source_config *src, const char *cursor,
			 const struct sq_conn_env *env, struct sq_conn_request *req,
			 struct sq_error *err)
{
	const struct citymgmt_conf *conf = src->conf;
	struct sq_buf url = SQ_BUF_INIT;
	char from[CT_TIME_MAX], to[CT_TIME_MAX];
	const cJSON *known;
	struct cm_cursor c;
	int64_t end;
	sq_err rc;

	if (!conf->api_key.value)
		return sq_fail(err, SQ_ECONFIG, "api_key is required");
	rc = read_cursor(src, cursor, env, &c, err);
	if (rc)
		return rc;
	end = window_end(src, &c, env);
	ct_format_cst(c.start / 1000, from);
	ct_format_cst(end / 1000, to);
	if (end <= c.start) {
		cJSON_Delete(c.pages);
		req->idle = 1;
		return ct_what(req, "window from %s (not begun yet)", from) ?
			sq_fail(err, SQ_ENOMEM, "out of memory building a request") : SQ_OK;
	}
	known = cJSON_GetArrayItem(c.pages, (int)(c.offset / conf->page_size));
	if (ct_url_start(&url, src->base_url, CITY_PATH) ||
	    ct_url_param_int(&url, "start", c.start) || ct_url_param_int(&url, "end", end) ||
	    ct_url_param_int(&url, "offset", c.offset) ||
	    ct_url_param_int(&url, "limit", conf->page_size))
		goto oom;
	req->url = url.data;
	url.data = NULL;
	if (ct_header(req, "X-Api-Key", conf->api_key.value) ||
	    (c.offset % conf->page_size == 0 && known &&
	     *cJSON_GetArrayItem(known, 0)->valuestring &&
	     ct_header(req, "If-None-Match", cJSON_GetArrayItem(known, 0)->valuestring)) ||
	    ct_what(req, "window %s..%s offset=%lld", from, to, (long long)c.offset))
		goto oom;
	cJSON_Delete(c.pages);
	return SQ_OK;
oom:
	sq_buf_release(&url);
	cJSON_Delete(c.pages);
	conn_request_release(req);
	return sq_fail(err, SQ_ENOMEM, "out of memory building a request");
}

static enum sq_status map_stage(const char *s)
{
	static const struct { const char *word; enum sq_status status; } stages[] = {
		{ "上报", SQ_STATUS_OPEN }, { "立案", SQ_STATUS_OPEN },
		{ "派遣", SQ_STATUS_IN_PROGRESS }, { "处置", SQ_STATUS_IN_PROGRESS },
		{ "核查", SQ_STATUS_RESOLVED }, { "结案", SQ_STATUS_CLOSED },
		{ "作废", SQ_STATUS_VOID },
	};
	size_t i;

	for (i = 0; s && i < sizeof(stages) / sizeof(stages[0]); i++)
		if (!strcmp(s, stages[i].word))
			return stages[i].status;
	return SQ_STATUS_OPEN;
}

static sq_err city_location(const cJSON *loc, struct sq_record *r, struct ct_why *why)
{
	const char *crs;
	double lng, lat;
	int has_lng, has_lat;

	if (ct_number(loc, "lng", &lng, &has_lng, why) || ct_number(loc, "lat", &lat, &has_lat, why) ||
	    ct_string(loc, "crs", 0, &crs, why))
		return ct_bad(why, "location: lng and lat must be numbers and crs a string");
	if (!has_lng || !has_lat)
		return SQ_OK;   /* no position: not a reason to refuse the case */
	if (!crs || !strcmp(crs, "GCJ02"))
		r->crs = SQ_CRS_GCJ02;
	else if (!strcmp(crs, "BD09"))
		r->crs = SQ_CRS_BD09;
	else if (!strcmp(crs, "WGS84"))
		r->crs = SQ_CRS_WGS84;
	else
		return SQ_OK;   /* a datum we cannot convert: keep the case, drop the point */
	r->lon = lng;
	r->lat = lat;
	return SQ_OK;
}

static sq_err city_record(const struct sq_source_config *src, const cJSON *item,
			  struct sq_record *r, struct ct_why *why)
{
	const char *case_no, *origin, *ref, *desc, *grid, *address, *stage, *phone = NULL;
	const char *major = NULL, *minor = NULL;
	const cJSON *cls, *loc, *reporter;
	int64_t reported, updated, deadline;
	int has_deadline;
	char category[256] = "";
	sq_err rc;

	if (!cJSON_IsObject(item))
		return ct_bad(why, "a case must be a JSON object");
	if ((rc = ct_string(item, "caseNo", 1, &case_no, why)))
		return rc;
	if (!*case_no)
		return ct_bad(why, "caseNo: empty");
	if ((rc = ct_int(item, "reportedAt", 1, &reported, NULL, why)) ||
	    (rc = ct_int(item, "updatedAt", 1, &updated, NULL, why)) ||
	    (rc = ct_int(item, "deadline", 0, &deadline, &has_deadline, why)) ||
	    (rc = ct_string(item, "origin", 0, &origin, why)) ||
	    (rc = ct_string(item, "refOrderNo", 0, &ref, why)) ||
	    (rc = ct_string(item, "description", 0, &desc, why)) ||
	    (rc = ct_string(item, "gridCode", 0, &grid, why)) ||
	    (rc = ct_string(item, "address", 0, &address, why)) ||
	    (rc = ct_string(item, "stage", 1, &stage, why)) ||
	    (rc = ct_object(item, "class", &cls, why)) ||
	    (rc = ct_object(item, "location", &loc, why)) ||
	    (rc = ct_object(item, "reporter", &reporter, why)))
		return rc;
	if (cls && (ct_string(cls, "majorName", 0, &major, why) ||
		    ct_string(cls, "minorName", 0, &minor, why)))
		return ct_bad(why, "class: majorName and minorName must be strings");
	if (reporter && ct_string(reporter, "phone", 0, &phone, why))
		return ct_bad(why, "reporter.phone: expected a string or null");
	if ((rc = ct_time_ms("reportedAt", reported, &r->received_at, why)) ||
	    (rc = ct_time_ms("updatedAt", updated, &r->updated_at, why)) ||
	    (has_deadline && (rc = ct_time_ms("deadline", deadline, &r->deadline, why))))
		return rc;
	if (loc && (rc = city_location(loc, r, why)))
		return rc;
	if (major && *major && minor && *minor)
		snprintf(category, sizeof(category), "%s/%s", major, minor);
	else
		snprintf(category, sizeof(category), "%s", major && *major ? major : minor ? minor : "");
	r->kind = SQ_KIND_REPORT;
	r->status = map_stage(stage);
	if ((rc = ct_record_start(r, src, item)) || (rc = ct_dup(&r->source_id, case_no)) ||
	    (rc = ct_dup(&r->channel, origin)) || (rc = ct_dup(&r->text, desc)) ||
	    (rc = ct_dup(&r->category_raw, category)) || (rc = ct_dup(&r->grid, grid)) ||
	    (rc = ct_dup(&r->address, address)) || (rc = ct_dup(&r->contact_raw, phone)) ||
	    (rc = ct_dup(&r->status_raw, stage)))
		return SQ_ENOMEM;
	if (ref && *ref && record_add_link(r, "ref", "hotline12345", ref))
		return SQ_ENOMEM;
	return SQ_OK;
}

static sq_err http_failure(const struct sq_http_response *resp, struct sq_conn_page *page,
			   struct sq_error *err)
{
	char code[64] = "", msg[160] = "", ex[160];
	struct sq_error ignore = { 0 };
	const cJSON *e, *v;
	cJSON *root = NULL;

	if (resp->body.len && !ct_parse_body(&resp->body, &root, &ignore) && cJSON_IsObject(root) &&
	    cJSON_IsObject(e = cJSON_GetObjectItemCaseSensitive(root, "error"))) {
		if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(e, "code")))
			snprintf(code, sizeof(code), " %s", ct_excerpt(v->valuestring, ex, 48));
		if (cJSON_IsString(v = cJSON_GetObjectItemCaseSensitive(e, "message")))
			snprintf(msg, sizeof(msg), ": %s", ct_excerpt(v->valuestring, ex, sizeof(ex)));
	}
	cJSON_Delete(root);
	page->retry_after_ms = resp->retry_after_ms;
	if (resp->status == 400 && !strcmp(code, " WINDOW_TOO_LARGE"))
		return ct_verdict(page, SQ_VERDICT_FATAL, err, SQ_EFATAL,
				  "HTTP 400 WINDOW_TOO_LARGE%s: a window over 24 h was asked for "
				  "(a suqiu bug; please report it), not retried", msg);
	if (resp->status == 400)
		return ct_verdict(page, SQ_VERDICT_FATAL, err, SQ_EFATAL,
				  "HTTP 400%s%s: a configuration error (page_size 1..500?), not retried",
				  code, msg);
	if (resp->status == 403)
		return ct_verdict(page, SQ_VERDICT_FATAL, err, SQ_EFATAL,
				  "HTTP 403%s%s: the API key was refused; check api_key_file",
				  code, msg);
	if (http_status_transient(resp->status))
		return ct_verdict(page, SQ_VERDICT_RETRY, err, SQ_ERETRY, "HTTP %ld%s%s",
				  resp->status, code, msg);
	return ct_verdict(page, SQ_VERDICT_FATAL, err, SQ_EFATAL, "HTTP %ld%s%s (not retried)",
			  resp->status, code, msg);
}

/* Remember page k's ETag and count; forget pages after it when it ends the window. */
static sq_err remember_page(cJSON *pages, int k, const char *etag, int64_t n, int last)
{
	cJSON *entry = cJSON_CreateArray();

	if (!entry)
		return SQ_ENOMEM;
	if (!cJSON_AddItemToArray(entry, cJSON_CreateString(etag ? etag : "")) ||
	    !cJSON_AddItemToArray(entry, cJSON_CreateNumber((double)n)) ||
	    cJSON_GetArraySize(entry) != 2) {
		cJSON_Delete(entry);
		return SQ_ENOMEM;
	}
	while (cJSON_GetArraySize(pages) < k) {
		/* A gap (a cursor from before ETags were kept): an entry that never matches. */
		cJSON *gap = cJSON_CreateArray();

		if (!gap || !cJSON_AddItemToArray(pages, gap)) {
			cJSON_Delete(gap);
			cJSON_Delete(entry);
			return SQ_ENOMEM;
		}
		if (!cJSON_AddItemToArray(gap, cJSON_CreateString("")) ||
		    !cJSON_AddItemToArray(gap, cJSON_CreateNumber(0)) ||
		    cJSON_GetArraySize(gap) != 2) {
			cJSON_Delete(entry);
			return SQ_ENOMEM;
		}
	}
	if (cJSON_GetArraySize(pages) > k) {
		if (!cJSON_ReplaceItemInArray(pages, k, entry)) {
			cJSON_Delete(entry);
			return SQ_ENOMEM;
		}
	} else if (!cJSON_AddItemToArray(pages, entry)) {
		cJSON_Delete(entry);
		return SQ_ENOMEM;
	}
	while (last && cJSON_GetArraySize(pages) > k + 1)
		cJSON_DeleteItemFromArray(pages, k + 1);
	return SQ_OK;
}

static sq_err city_parse(const struct sq_source_config *src, const char *cursor,
			 const struct sq_conn_env *env, const struct sq_http_response *resp,
			 struct sq_conn_page *page, struct sq_error *err)
{
	const struct citymgmt_conf *conf = src->conf;
	const cJSON *result, *items, *item, *total, *known;
	struct cm_cursor c;
	cJSON *root = NULL;
	int64_t n = 0, end;
	int k, window_done;
	sq_err rc;

	page->retry_after_ms = -1;
	page->total = -1;
	rc = read_cursor(src, cursor, env, &c, err);
	if (rc) {
		page->verdict = SQ_VERDICT_FATAL;
		return rc == SQ_ENOMEM ? rc : SQ_OK;
	}
	end = window_end(src, &c, env);
	k = (int)(c.offset / conf->page_size);
	if (resp->status == 304) {
		known = cJSON_GetArrayItem(c.pages, k);
		if (!known || !*cJSON_GetArrayItem(known, 0)->valuestring) {
			cJSON_Delete(c.pages);
			return ct_verdict(page, SQ_VERDICT_RETRY, err, SQ_EPARSE,
					  "HTTP 304 for a page whose ETag was never sent");
		}
		n = (int64_t)cJSON_GetArrayItem(known, 1)->valuedouble;
		page->verdict = SQ_VERDICT_NOT_MODIFIED;
		goto next;
	}
	if (resp->status != 200) {
		cJSON_Delete(c.pages);
		return http_failure(resp, page, err);
	}
	if (ct_parse_body(&resp->body, &root, err)) {
		cJSON_Delete(c.pages);
		page->verdict = SQ_VERDICT_RETRY;
		return SQ_OK;
	}
	result = cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "result") : NULL;
	items = cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "items") : NULL;
	if (!cJSON_IsString(result) || strcmp(result->valuestring, "ok") || !cJSON_IsArray(items)) {
		cJSON_Delete(root);
		cJSON_Delete(c.pages);
		return ct_verdict(page, SQ_VERDICT_RETRY, err, SQ_EPARSE,
				  "envelope missing: no \"result\": \"ok\" with an \"items\" array");
	}
	total = cJSON_GetObjectItemCaseSensitive(root, "total");
	if (cJSON_IsNumber(total) && total->valuedouble >= 0 && total->valuedouble < 1e15)
		page->total = (int64_t)total->valuedouble;
	cJSON_ArrayForEach(item, items) {
		struct sq_record r = { 0 };
		struct ct_why why = { { 0 } };
		char idbuf[32];

		n++;
		rc = city_record(src, item, &r, &why);
		if (rc == SQ_OK)
			rc = ct_page_add(page, &r);
		else if (rc == SQ_EPARSE)
			rc = ct_page_bad(page, item,
					 ct_id_text(item, "caseNo", idbuf, sizeof(idbuf)), why.msg);
		record_release(&r);
		if (rc)
			goto oom;
	}
	cJSON_Delete(root);
	root = NULL;
	page->verdict = SQ_VERDICT_PAGE;
next:
	window_done = n < conf->page_size ||
		      (page->total >= 0 && c.offset + n >= page->total);
	if (page->verdict == SQ_VERDICT_PAGE &&
	    remember_page(c.pages, k, resp->etag, n, window_done))
		goto oom;
	if (!window_done) {
		page->more = 1;
		rc = write_cursor(c.start, c.offset + n, c.pages, &page->cursor, err);
	} else if (end == c.start + window_ms(src)) {
		/* A complete window: on to the next one, with no ETags yet. */
		cJSON *none = cJSON_CreateArray();

		page->more = end < env->now_ms;
		rc = none ? write_cursor(end, 0, none, &page->cursor, err) : SQ_ENOMEM;
		cJSON_Delete(none);
	} else {
		/* The window that ends now: read it again next time, by ETag. */
		page->more = 0;
		rc = write_cursor(c.start, 0, c.pages, &page->cursor, err);
	}
	if (rc)
		goto oom;
	cJSON_Delete(c.pages);
	return SQ_OK;
oom:
	cJSON_Delete(root);
	cJSON_Delete(c.pages);
	conn_page_release(page);
	return sq_fail(err, SQ_ENOMEM, "out of memory parsing a page");
}

const struct sq_connector connector_city_mgmt = {
	.type = "city_mgmt",
	.help = "smart city-management platform cases (API key, 24-hour windows, ETags)",
	.options = citymgmt_options,
	.conf_size = sizeof(struct citymgmt_conf),
	.build_request = city_build,
	.parse_page = city_parse,
};
