/*
 * hotline12345 — the city's 12345 hotline open API (feeds/hotline12345.md).
 *
 * Paging is by watermark.  The cursor is
 *
 *     {"updatedFrom": "2024-05-01 09:02:10", "pageNo": 1}
 *
 * and each page is asked for with those two values.  After a page, the
 * watermark moves to the newest updateTime on it and pageNo goes back to 1:
 * the next request re-reads that second itself (the contract's rule), so a
 * work order updated while we page — which the server moves to a later
 * position — is never skipped, and what is read twice is stored once
 * (store_put_complaint is idempotent).  Only when a whole page lies in the
 * watermark second does pageNo advance instead, so that more than pageSize
 * orders in one second cannot stall the walk.  The walk ends on a page that
 * is short or that reaches data.total.
 *
 * Business errors come in HTTP 200 bodies: 40001 is a configuration error
 * (fatal), 40101 a refused signature (sign afresh and retry once: clock
 * skew), 42901 rate limiting (retry after data.retryAfter seconds), 50000 a
 * server fault (retry).  HTTP 5xx and 429 are retried; other statuses fail.
 *
 * Mapping: orderType -> kind; status 待派单/已派单 -> open, 办理中 ->
 * in_progress, 已办结 (handled) -> resolved, 已回访 (the caller was called
 * back: the hotline's final state) -> closed, 已退回 -> rejected, anything
 * else -> open (status_raw keeps the word); satisfaction 满意/基本满意/不满意
 * -> satisfied/basically_satisfied/dissatisfied; relatedOrderNo -> a
 * "related" link to another hotline order; caller.phone -> contact_raw
 * (normalization hashes and masks it); handleUnit -> handler.
 */
#include <cjson/cJSON.h>
#include <math.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
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

#define HOTLINE_PATH "/openapi/v2/workorders"

static const struct sq_option hotline_options[] = {
	{ "app_key", SQ_OPT_STRING, NULL, offsetof(struct hotline_conf, app_key),
	  "app key issued to the street office (X-App-Key)", 0, 0, SQ_OPT_REQUIRED },
	{ "app_secret", SQ_OPT_SECRET, NULL, offsetof(struct hotline_conf, app_secret),
	  "HMAC-SHA256 signing secret; use app_secret_file", 0, 0, SQ_OPT_REQUIRED },
	{ "page_size", SQ_OPT_INT, "100", offsetof(struct hotline_conf, page_size),
	  "work orders per page (1..200)", 1, 200, 0 },
	{ NULL, 0, NULL, 0, NULL, 0, 0, 0 },
};

sq_err hotline_sign(const char *secret, const char *app_key, const char *timestamp,
		    const char *nonce, const char *target, char out_hex[65])
{
	static const char hex[] = "0123456789abcdef";
	struct sq_buf msg = SQ_BUF_INIT;
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0, i;

	if (sq_buf_addf(&msg, "%s\n%s\n%s\n%s", app_key, timestamp, nonce, target)) {
		sq_buf_release(&msg);
		return SQ_ENOMEM;
	}
	if (!HMAC(EVP_sha256(), secret, (int)strlen(secret), (const unsigned char *)msg.data,
		  msg.len, md, &mdlen) || mdlen != 32) {
		sq_buf_release(&msg);
		return SQ_ENOMEM;
	}
	sq_buf_release(&msg);
	for (i = 0; i < mdlen; i++) {
		out_hex[2 * i] = hex[md[i] >> 4];
		out_hex[2 * i + 1] = hex[md[i] & 15];
	}
	out_hex[64] = '\0';
	return SQ_OK;
}

/* The cursor's watermark (Unix s) and page number. */
struct hl_cursor {
	int64_t from;
	int64_t page_no;
};

static sq_err read_cursor(const struct sq_source_config *src, const char *text,
			  struct hl_cursor *c, struct sq_error *err)
{
	const cJSON *from, *page;
	struct ct_why why;
	cJSON *obj;
	sq_err rc;

	c->from = src->start_from > 0 ? src->start_from : 0;
	c->page_no = 1;
	rc = ct_cursor_parse("hotline12345", text, &obj, err);
	if (rc || !obj)
		return rc;
	from = cJSON_GetObjectItemCaseSensitive(obj, "updatedFrom");
	page = cJSON_GetObjectItemCaseSensitive(obj, "pageNo");
	if (!cJSON_IsString(from) || ct_time_cst("updatedFrom", from->valuestring, &c->from, &why) ||
	    !cJSON_IsNumber(page) || page->valuedouble < 1 || page->valuedouble > 1e9) {
		cJSON_Delete(obj);
		return sq_fail(err, SQ_EPARSE,
			       "saved cursor is not a hotline12345 cursor "
			       "(want {\"updatedFrom\":\"yyyy-MM-dd HH:mm:ss\",\"pageNo\":N}); "
			       "delete it to start again from start_from");
	}
	c->page_no = (int64_t)page->valuedouble;
	cJSON_Delete(obj);
	return SQ_OK;
}

static sq_err write_cursor(const struct hl_cursor *c, char **out, struct sq_error *err)
{
	char from[CT_TIME_MAX];
	cJSON *obj = cJSON_CreateObject();
	sq_err rc;

	ct_format_cst(c->from, from);
	if (!obj || !cJSON_AddStringToObject(obj, "updatedFrom", from) ||
	    !cJSON_AddNumberToObject(obj, "pageNo", (double)c->page_no)) {
		cJSON_Delete(obj);
		return sq_fail(err, SQ_ENOMEM, "out of memory writing a cursor");
	}
	rc = ct_cursor_print(obj, out, err);
	cJSON_Delete(obj);
	return rc;
}

static sq_err make_nonce(const struct sq_conn_env *env, char out[33], struct sq_error *err)
{
	static const char hex[] = "0123456789abcdef";
	unsigned char bytes[16];
	size_t i;

	if (env->nonce) {
		snprintf(out, 33, "%s", env->nonce);
		return SQ_OK;
	}
	if (RAND_bytes(bytes, sizeof(bytes)) != 1)
		return sq_fail(err, SQ_EFATAL, "no random bytes for the request nonce (RAND_bytes)");
	for (i = 0; i < sizeof(bytes); i++) {
		out[2 * i] = hex[bytes[i] >> 4];
		out[2 * i + 1] = hex[bytes[i] & 15];
	}
	out[32] = '\0';
	return SQ_OK;
}

static sq_err hotline_build(const struct sq_source_config *src, const char *cursor,
			    const struct sq_conn_env *env, struct sq_conn_request *req,
			    struct sq_error *err)
{
	const struct hotline_conf *conf = src->conf;
	struct sq_buf url = SQ_BUF_INIT;
	char from[CT_TIME_MAX], ts[32], nonce[33], sig[65];
	struct hl_cursor c;
	sq_err rc;

	if (!conf->app_key || !conf->app_secret.value)
		return sq_fail(err, SQ_ECONFIG, "app_key and app_secret are required");
	rc = read_cursor(src, cursor, &c, err);
	if (rc)
		return rc;
	ct_format_cst(c.from, from);
	snprintf(ts, sizeof(ts), "%lld", (long long)env->wall_ms);
	rc = make_nonce(env, nonce, err);
	if (rc)
		return rc;
	if (ct_url_start(&url, src->base_url, HOTLINE_PATH) ||
	    ct_url_param(&url, "updatedFrom", from) ||
	    ct_url_param_int(&url, "pageNo", c.page_no) ||
	    ct_url_param_int(&url, "pageSize", conf->page_size))
		goto oom;
	rc = hotline_sign(conf->app_secret.value, conf->app_key, ts, nonce,
			  ct_url_target(url.data), sig);
	if (rc)
		goto oom;
	req->url = url.data;
	url.data = NULL;
	if (ct_header(req, "X-App-Key", conf->app_key) || ct_header(req, "X-Timestamp", ts) ||
	    ct_header(req, "X-Nonce", nonce) || ct_header(req, "X-Signature", sig) ||
	    ct_what(req, "updatedFrom=%s pageNo=%lld", from, (long long)c.page_no))
		goto oom;
	return SQ_OK;
oom:
	sq_buf_release(&url);
	conn_request_release(req);
	return sq_fail(err, SQ_ENOMEM, "out of memory building a request");
}

static enum sq_kind map_kind(const char *t)
{
	static const struct { const char *word; enum sq_kind kind; } kinds[] = {
		{ "投诉", SQ_KIND_COMPLAINT }, { "举报", SQ_KIND_REPORT },
		{ "求助", SQ_KIND_HELP }, { "咨询", SQ_KIND_INQUIRY },
		{ "建议", SQ_KIND_SUGGESTION }, { "表扬", SQ_KIND_PRAISE },
	};
	size_t i;

	for (i = 0; t && i < sizeof(kinds) / sizeof(kinds[0]); i++)
		if (!strcmp(t, kinds[i].word))
			return kinds[i].kind;
	return SQ_KIND_COMPLAINT;
}

static enum sq_status map_status(const char *s)
{
	static const struct { const char *word; enum sq_status status; } states[] = {
		{ "待派单", SQ_STATUS_OPEN }, { "已派单", SQ_STATUS_OPEN },
		{ "办理中", SQ_STATUS_IN_PROGRESS }, { "已办结", SQ_STATUS_RESOLVED },
		{ "已回访", SQ_STATUS_CLOSED }, { "已退回", SQ_STATUS_REJECTED },
	};
	size_t i;

	for (i = 0; s && i < sizeof(states) / sizeof(states[0]); i++)
		if (!strcmp(s, states[i].word))
			return states[i].status;
	return SQ_STATUS_OPEN;
}

static const char *map_satisfaction(const char *s)
{
	if (!s)
		return NULL;
	if (!strcmp(s, "满意"))
		return "satisfied";
	if (!strcmp(s, "基本满意"))
		return "basically_satisfied";
	if (!strcmp(s, "不满意"))
		return "dissatisfied";
	return NULL;
}

/* One work order into r.  SQ_EPARSE (why) for a bad record, SQ_ENOMEM. */
static sq_err hotline_record(const struct sq_source_config *src, const cJSON *item,
			     struct sq_record *r, struct ct_why *why)
{
	const char *order_no, *accept, *update, *channel, *type, *title, *content, *cat;
	const char *street, *community, *address, *phone = NULL, *status, *deadline;
	const char *unit, *related, *satisfaction, *district;
	const cJSON *caller;
	sq_err rc;

	if (!cJSON_IsObject(item))
		return ct_bad(why, "a work order must be a JSON object");
	if ((rc = ct_string(item, "orderNo", 1, &order_no, why)))
		return rc;
	if (!*order_no)
		return ct_bad(why, "orderNo: empty");
	if ((rc = ct_string(item, "acceptTime", 1, &accept, why)) ||
	    (rc = ct_string(item, "updateTime", 1, &update, why)) ||
	    (rc = ct_string(item, "channel", 0, &channel, why)) ||
	    (rc = ct_string(item, "orderType", 0, &type, why)) ||
	    (rc = ct_string(item, "title", 0, &title, why)) ||
	    (rc = ct_string(item, "content", 0, &content, why)) ||
	    (rc = ct_string(item, "categoryPath", 0, &cat, why)) ||
	    (rc = ct_string(item, "district", 0, &district, why)) ||
	    (rc = ct_string(item, "street", 0, &street, why)) ||
	    (rc = ct_string(item, "community", 0, &community, why)) ||
	    (rc = ct_string(item, "address", 0, &address, why)) ||
	    (rc = ct_string(item, "status", 1, &status, why)) ||
	    (rc = ct_string(item, "deadline", 0, &deadline, why)) ||
	    (rc = ct_string(item, "handleUnit", 0, &unit, why)) ||
	    (rc = ct_string(item, "relatedOrderNo", 0, &related, why)) ||
	    (rc = ct_string(item, "satisfaction", 0, &satisfaction, why)) ||
	    (rc = ct_object(item, "caller", &caller, why)))
		return rc;
	if (caller && ct_string(caller, "phone", 0, &phone, why))
		return ct_bad(why, "caller.phone: expected a string");
	if ((rc = ct_time_cst("acceptTime", accept, &r->received_at, why)) ||
	    (rc = ct_time_cst("updateTime", update, &r->updated_at, why)))
		return rc;
	if (deadline && *deadline &&
	    (rc = ct_time_cst("deadline", deadline, &r->deadline, why)))
		return rc;
	r->kind = map_kind(type);
	r->status = map_status(status);
	if ((rc = ct_record_start(r, src, item)) || (rc = ct_dup(&r->source_id, order_no)) ||
	    (rc = ct_dup(&r->channel, channel)) || (rc = ct_dup(&r->title, title)) ||
	    (rc = ct_dup(&r->text, content)) || (rc = ct_dup(&r->category_raw, cat)) ||
	    (rc = ct_dup(&r->street, street)) || (rc = ct_dup(&r->community, community)) ||
	    (rc = ct_dup(&r->address, address)) || (rc = ct_dup(&r->contact_raw, phone)) ||
	    (rc = ct_dup(&r->status_raw, status)) || (rc = ct_dup(&r->handler, unit)) ||
	    (rc = ct_dup(&r->satisfaction, map_satisfaction(satisfaction))))
		return SQ_ENOMEM;
	if (related && *related && strcmp(related, order_no) &&
	    record_add_link(r, "related", "hotline12345", related))
		return SQ_ENOMEM;
	return SQ_OK;
}

/* "code 40001 (参数错误)" from a body that may carry code and msg. */
static void describe_body(const cJSON *root, char *buf, size_t size)
{
	const cJSON *code = cJSON_GetObjectItemCaseSensitive(root, "code");
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "msg");
	char ex[120];

	buf[0] = '\0';
	if (cJSON_IsNumber(code))
		snprintf(buf, size, ": code %.0f%s%s%s", code->valuedouble,
			 cJSON_IsString(msg) ? " (" : "",
			 cJSON_IsString(msg) ? ct_excerpt(msg->valuestring, ex, sizeof(ex)) : "",
			 cJSON_IsString(msg) ? ")" : "");
}

static sq_err http_failure(const struct sq_http_response *resp, struct sq_conn_page *page,
			   struct sq_error *err)
{
	char detail[200] = "";
	cJSON *root = NULL;
	struct sq_error ignore = { 0 };

	if (resp->body.len && !ct_parse_body(&resp->body, &root, &ignore))
		describe_body(root, detail, sizeof(detail));
	cJSON_Delete(root);
	page->retry_after_ms = resp->retry_after_ms;
	if (http_status_transient(resp->status))
		return ct_verdict(page, SQ_VERDICT_RETRY, err, SQ_ERETRY, "HTTP %ld%s",
				  resp->status, detail);
	return ct_verdict(page, SQ_VERDICT_FATAL, err, SQ_EFATAL, "HTTP %ld%s (not retried)",
			  resp->status, detail);
}

static sq_err business_error(const cJSON *root, double value, struct sq_conn_page *page,
			     struct sq_error *err)
{
	/* A fractional or out-of-range code is simply an unknown one; a double
	 * that does not fit is never converted (undefined behaviour). */
	int64_t code = fabs(value) < 1e15 && value == floor(value) ? (int64_t)value : -1;
	const cJSON *msg = cJSON_GetObjectItemCaseSensitive(root, "msg");
	const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data");
	const cJSON *after = cJSON_IsObject(data) ?
		cJSON_GetObjectItemCaseSensitive(data, "retryAfter") : NULL;
	char ex[160];
	const char *m = cJSON_IsString(msg) ? ct_excerpt(msg->valuestring, ex, sizeof(ex)) : "";

	switch (code) {
	case 40001:
		return ct_verdict(page, SQ_VERDICT_FATAL, err, SQ_EFATAL,
				  "code 40001 (bad parameter) %s: a configuration error "
				  "(page_size must be 1..200), not retried", m);
	case 40101:
		return ct_verdict(page, SQ_VERDICT_RESIGN, err, SQ_EFATAL,
				  "code 40101 (bad or expired signature) %s: check app_key, "
				  "app_secret and the clock", m);
	case 42901:
		page->retry_after_ms = -1;
		if (cJSON_IsNumber(after) && after->valuedouble >= 0 && after->valuedouble < 1e7)
			page->retry_after_ms = (int64_t)(after->valuedouble * 1000);
		return ct_verdict(page, SQ_VERDICT_RETRY, err, SQ_ERETRY,
				  "code 42901 (rate limited) %s", m);
	case 50000:
		page->retry_after_ms = -1;
		return ct_verdict(page, SQ_VERDICT_RETRY, err, SQ_ERETRY,
				  "code 50000 (internal error) %s", m);
	default:
		return ct_verdict(page, SQ_VERDICT_FATAL, err, SQ_EFATAL,
				  "unknown code %.15g %s: not retried", value, m);
	}
}

static sq_err hotline_parse(const struct sq_source_config *src, const char *cursor,
			    const struct sq_conn_env *env, const struct sq_http_response *resp,
			    struct sq_conn_page *page, struct sq_error *err)
{
	const struct hotline_conf *conf = src->conf;
	const cJSON *code, *data, *list, *item, *total, *size;
	struct hl_cursor c, next;
	int64_t newest = -1, page_size, n = 0;
	cJSON *root = NULL;
	sq_err rc;

	(void)env;
	page->retry_after_ms = -1;
	page->total = -1;
	rc = read_cursor(src, cursor, &c, err);
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
	code = cJSON_GetObjectItemCaseSensitive(root, "code");
	if (!cJSON_IsObject(root) || !cJSON_IsNumber(code)) {
		cJSON_Delete(root);
		return ct_verdict(page, SQ_VERDICT_RETRY, err, SQ_EPARSE,
				  "envelope missing: no numeric \"code\" in the body");
	}
	if (code->valuedouble != 0) {
		rc = business_error(root, code->valuedouble, page, err);
		cJSON_Delete(root);
		return rc;
	}
	data = cJSON_GetObjectItemCaseSensitive(root, "data");
	list = cJSON_IsObject(data) ? cJSON_GetObjectItemCaseSensitive(data, "list") : NULL;
	if (!cJSON_IsArray(list)) {
		cJSON_Delete(root);
		return ct_verdict(page, SQ_VERDICT_RETRY, err, SQ_EPARSE,
				  "envelope missing: code 0 without a data.list array");
	}
	total = cJSON_GetObjectItemCaseSensitive(data, "total");
	size = cJSON_GetObjectItemCaseSensitive(data, "pageSize");
	if (cJSON_IsNumber(total) && total->valuedouble >= 0 && total->valuedouble < 1e15)
		page->total = (int64_t)total->valuedouble;
	page_size = conf->page_size;
	if (cJSON_IsNumber(size) && size->valuedouble >= 1 && size->valuedouble < page_size)
		page_size = (int64_t)size->valuedouble;

	cJSON_ArrayForEach(item, list) {
		struct sq_record r = { 0 };
		struct ct_why why = { { 0 } };
		char idbuf[32];

		n++;
		rc = hotline_record(src, item, &r, &why);
		if (rc == SQ_OK) {
			if (r.updated_at > newest)
				newest = r.updated_at;
			rc = ct_page_add(page, &r);
		} else if (rc == SQ_EPARSE) {
			rc = ct_page_bad(page, item,
					 ct_id_text(item, "orderNo", idbuf, sizeof(idbuf)), why.msg);
		}
		record_release(&r);
		if (rc)
			goto oom;
	}
	cJSON_Delete(root);
	root = NULL;

	page->more = n > 0 && n >= page_size &&
		     (page->total < 0 || (c.page_no - 1) * page_size + n < page->total);
	next.from = c.from;
	next.page_no = 1;
	if (newest > c.from)
		next.from = newest;           /* re-read that second from its first order */
	else if (page->more)
		next.page_no = c.page_no + 1; /* a whole page inside the watermark second */
	page->verdict = SQ_VERDICT_PAGE;
	if (write_cursor(&next, &page->cursor, err))
		goto oom;
	return SQ_OK;
oom:
	cJSON_Delete(root);
	conn_page_release(page);
	return sq_fail(err, SQ_ENOMEM, "out of memory parsing a page");
}

const struct sq_connector connector_hotline12345 = {
	.type = "hotline12345",
	.help = "12345 government hotline open API (HMAC-signed work orders)",
	.options = hotline_options,
	.conf_size = sizeof(struct hotline_conf),
	.build_request = hotline_build,
	.parse_page = hotline_parse,
};
