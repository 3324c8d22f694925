/*
 * deputy_liaison — the people's-deputy online liaison station
 * (feeds/deputy_liaison.md).
 *
 * A walk is: the first page with since = the watermark, then next_cursor
 * until it is null.  The cursor saved after each page is
 *
 *     {"since": "2024-05-02T10:15:00+08:00"}                     between walks
 *     {"since": "...", "cursor": "eyJvIjo1MH0", "max": "..."}      inside a walk
 *
 * where since is the walk's starting watermark and max the newest updated_at
 * seen so far in the walk.  The watermark moves to max only on the walk's
 * last page: until then a run killed half-way resumes from the station's
 * cursor, and if the station no longer accepts that cursor (HTTP 400) the
 * walk restarts once from since.  `since` is inclusive, so the newest second
 * is read again on the next walk; storage is idempotent.
 *
 * Errors: 401 (bad token) fails the source; 400 restarts the walk once, then
 * fails; 429 waits Retry-After; 5xx retries.  GBK pages are decoded by http.c.
 *
 * Mapping: subject -> title, body -> text, topic -> category_raw,
 * area.street/community, address; state pending -> open, forwarded ->
 * in_progress, replied -> resolved, closed -> closed, withdrawn -> withdrawn
 * (kept), anything else -> open with status_raw; author.mobile arrives
 * masked (138****5678) and becomes contact_masked only — should a station
 * ever send a full number, it goes to contact_raw so normalization hashes
 * and masks it rather than storing it.  The deputy, reply and attachments
 * stay in raw.
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

#define LIAISON_PATH "/api/messages"
#define LIAISON_CHANNEL "网上联络站"

static const struct sq_option liaison_options[] = {
	{ "token", SQ_OPT_SECRET, NULL, offsetof(struct liaison_conf, token),
	  "bearer token; use token_file", 0, 0, SQ_OPT_REQUIRED },
	{ "page_size", SQ_OPT_INT, "50", offsetof(struct liaison_conf, page_size),
	  "messages per page (1..100)", 1, 100, 0 },
	{ NULL, 0, NULL, 0, NULL, 0, 0, 0 },
};

struct li_cursor {
	int64_t since;          /* the walk's starting watermark, Unix s */
	int64_t max;            /* newest updated_at seen in the walk; since when none */
	char *next;             /* the station's cursor; NULL on a walk's first page */
};

static sq_err bad_cursor(struct sq_error *err)
{
	return sq_fail(err, SQ_EPARSE,
		       "saved cursor is not a deputy_liaison cursor "
		       "(want {\"since\":RFC 3339[,\"cursor\":...,\"max\":...]}); "
		       "delete it to start again from start_from");
}

static sq_err read_cursor(const struct sq_source_config *src, const char *text,
			  struct li_cursor *c, struct sq_error *err)
{
	const cJSON *since, *next, *max;
	struct ct_why why;
	cJSON *obj;
	sq_err rc;

	memset(c, 0, sizeof(*c));
	c->since = c->max = src->start_from > 0 ? src->start_from : 0;
	rc = ct_cursor_parse("deputy_liaison", text, &obj, err);
	if (rc || !obj)
		return rc;
	since = cJSON_GetObjectItemCaseSensitive(obj, "since");
	next = cJSON_GetObjectItemCaseSensitive(obj, "cursor");
	max = cJSON_GetObjectItemCaseSensitive(obj, "max");
	if (!cJSON_IsString(since) || ct_time_rfc3339("since", since->valuestring, &c->since, &why) ||
	    (next && !cJSON_IsNull(next) && (!cJSON_IsString(next) || !*next->valuestring)) ||
	    (max && !cJSON_IsString(max))) {
		cJSON_Delete(obj);
		return bad_cursor(err);
	}
	c->max = c->since;
	if (max && ct_time_rfc3339("max", max->valuestring, &c->max, &why)) {
		cJSON_Delete(obj);
		return bad_cursor(err);
	}
	if (cJSON_IsString(next) && !(c->next = sq_strdup(next->valuestring))) {
		cJSON_Delete(obj);
		return sq_fail(err, SQ_ENOMEM, "out of memory reading a cursor");
	}
	cJSON_Delete(obj);
	return SQ_OK;
}

static sq_err write_cursor(int64_t since, const char *next, int64_t max, char **out,
			   struct sq_error *err)
{
	char a[CT_TIME_MAX], b[CT_TIME_MAX];
	cJSON *obj = cJSON_CreateObject();
	sq_err rc;

	ct_format_rfc3339(since, CT_CST_OFFSET, a);
	ct_format_rfc3339(max, CT_CST_OFFSET, b);
	if (!obj || !cJSON_AddStringToObject(obj, "since", a) ||
	    (next && (!cJSON_AddStringToObject(obj, "cursor", next) ||
		      !cJSON_AddStringToObject(obj, "max", b)))) {
		cJSON_Delete(obj);
		return sq_fail(err, SQ_ENOMEM, "out of memory writing a cursor");
	}
	rc = ct_cursor_print(obj, out, err);
	cJSON_Delete(obj);
	return rc;
}

static sq_err liaison_build(const struct sq_source_config *src, const char *cursor,
			    const struct sq_conn_env *env, struct sq_conn_request *req,
			    struct sq_error *err)
{
	const struct liaison_conf *conf = src->conf;
	struct sq_buf url = SQ_BUF_INIT, auth = SQ_BUF_INIT;
	char since[CT_TIME_MAX];
	struct li_cursor c;
	sq_err rc;

	(void)env;
	if (!conf->token.value)
		return sq_fail(err, SQ_ECONFIG, "token is required");
	rc = read_cursor(src, cursor, &c, err);
	if (rc)
		return rc;
	ct_format_rfc3339(c.since, CT_CST_OFFSET, since);
	if (ct_url_start(&url, src->base_url, LIAISON_PATH) ||
	    (c.next ? ct_url_param(&url, "cursor", c.next) : ct_url_param(&url, "since", since)) ||
	    ct_url_param_int(&url, "limit", conf->page_size) ||
	    sq_buf_addf(&auth, "Bearer %s", conf->token.value))
		goto oom;
	req->url = url.data;
	url.data = NULL;
	if (ct_header(req, "Authorization", auth.data) ||
	    (c.next ? ct_what(req, "walk since %s, cursor=%s", since, c.next)
		    : ct_what(req, "since=%s", since)))
		goto oom;
	sq_buf_release(&auth);
	free(c.next);
	return SQ_OK;
oom:
	sq_buf_release(&url);
	sq_buf_release(&auth);
	free(c.next);
	conn_request_release(req);
	return sq_fail(err, SQ_ENOMEM, "out of memory building a request");
}

static enum sq_status map_state(const char *s)
{
	static const struct { const char *word; enum sq_status status; } states[] = {
		{ "pending", SQ_STATUS_OPEN }, { "forwarded", SQ_STATUS_IN_PROGRESS },
		{ "replied", SQ_STATUS_RESOLVED }, { "closed", SQ_STATUS_CLOSED },
		{ "withdrawn", SQ_STATUS_WITHDRAWN },
	};
	size_t i;

	for (i = 0; s && i < sizeof(states) / sizeof(states[0]); i++)
		if (!strcmp(s, states[i].word))
			return states[i].status;
	return SQ_STATUS_OPEN;
}

static sq_err liaison_record(const struct sq_source_config *src, const cJSON *item,
			     struct sq_record *r, struct ct_why *why)
{
	const char *created, *updated, *subject, *body, *topic, *address, *state;
	const char *mobile = NULL, *street = NULL, *community = NULL, *ignored;
	const cJSON *author, *area, *deputy, *reply, *att;
	char id[32];
	int64_t num;
	sq_err rc;

	if (!cJSON_IsObject(item))
		return ct_bad(why, "a message must be a JSON object");
	if ((rc = ct_int(item, "id", 1, &num, NULL, why)))
		return rc;
	snprintf(id, sizeof(id), "%lld", (long long)num);
	if ((rc = ct_string(item, "created_at", 1, &created, why)) ||
	    (rc = ct_string(item, "updated_at", 1, &updated, why)) ||
	    (rc = ct_string(item, "subject", 0, &subject, why)) ||
	    (rc = ct_string(item, "body", 0, &body, why)) ||
	    (rc = ct_string(item, "topic", 0, &topic, why)) ||
	    (rc = ct_string(item, "station", 0, &ignored, why)) ||
	    (rc = ct_string(item, "address", 0, &address, why)) ||
	    (rc = ct_string(item, "state", 1, &state, why)) ||
	    (rc = ct_object(item, "deputy", &deputy, why)) ||
	    (rc = ct_object(item, "author", &author, why)) ||
	    (rc = ct_object(item, "area", &area, why)) ||
	    (rc = ct_object(item, "reply", &reply, why)))
		return rc;
	att = cJSON_GetObjectItemCaseSensitive(item, "attachments");
	if (att && !cJSON_IsNull(att) && !cJSON_IsArray(att))
		return ct_bad(why, "attachments: expected an array");
	if (author && ct_string(author, "mobile", 0, &mobile, why))
		return ct_bad(why, "author.mobile: expected a string or null");
	if (area && (ct_string(area, "street", 0, &street, why) ||
		     ct_string(area, "community", 0, &community, why)))
		return ct_bad(why, "area: street and community must be strings or null");
	if ((rc = ct_time_rfc3339("created_at", created, &r->received_at, why)) ||
	    (rc = ct_time_rfc3339("updated_at", updated, &r->updated_at, why)))
		return rc;
	r->kind = SQ_KIND_COMPLAINT;
	r->status = map_state(state);
	if ((rc = ct_record_start(r, src, item)) || (rc = ct_dup(&r->source_id, id)) ||
	    (rc = ct_dup(&r->channel, LIAISON_CHANNEL)) || (rc = ct_dup(&r->title, subject)) ||
	    (rc = ct_dup(&r->text, body)) || (rc = ct_dup(&r->category_raw, topic)) ||
	    (rc = ct_dup(&r->street, street)) || (rc = ct_dup(&r->community, community)) ||
	    (rc = ct_dup(&r->address, address)) || (rc = ct_dup(&r->status_raw, state)))
		return SQ_ENOMEM;
	if (mobile && *mobile &&
	    ct_dup(strchr(mobile, '*') ? &r->contact_masked : &r->contact_raw, mobile))
		return SQ_ENOMEM;
	return SQ_OK;
}

static sq_err http_failure(const struct sq_source_config *src, const struct li_cursor *c,
			   const struct sq_http_response *resp, struct sq_conn_page *page,
			   struct sq_error *err)
{
	char detail[200] = "", ex[160];
	struct sq_error ignore = { 0 };
	const cJSON *e;
	cJSON *root = NULL;
	sq_err rc;

	(void)src;
	if (resp->body.len && !ct_parse_body(&resp->body, &root, &ignore) &&
	    cJSON_IsObject(root) && cJSON_IsString(e = cJSON_GetObjectItemCaseSensitive(root, "error")))
		snprintf(detail, sizeof(detail), ": %s", ct_excerpt(e->valuestring, ex, sizeof(ex)));
	cJSON_Delete(root);
	page->retry_after_ms = resp->retry_after_ms;
	if (resp->status == 401)
		return ct_verdict(page, SQ_VERDICT_FATAL, err, SQ_EFATAL,
				  "HTTP 401%s: the token was refused; check token_file", detail);
	if (resp->status == 400) {
		/* A cursor the station no longer knows: start the walk again. */
		rc = write_cursor(c->since, NULL, c->since, &page->cursor, err);
		if (rc)
			return rc;
		return ct_verdict(page, SQ_VERDICT_RESTART, err, SQ_EFATAL,
				  "HTTP 400%s (bad cursor or parameter)", detail);
	}
	if (http_status_transient(resp->status))
		return ct_verdict(page, SQ_VERDICT_RETRY, err, SQ_ERETRY, "HTTP %ld%s",
				  resp->status, detail);
	return ct_verdict(page, SQ_VERDICT_FATAL, err, SQ_EFATAL, "HTTP %ld%s (not retried)",
			  resp->status, detail);
}

static sq_err liaison_parse(const struct sq_source_config *src, const char *cursor,
			    const struct sq_conn_env *env, const struct sq_http_response *resp,
			    struct sq_conn_page *page, struct sq_error *err)
{
	const cJSON *list, *next, *item;
	struct li_cursor c;
	int64_t newest;
	cJSON *root = NULL;
	size_t n = 0;
	sq_err rc;

	(void)env;
	page->retry_after_ms = -1;
	page->total = -1;
	rc = read_cursor(src, cursor, &c, err);
	if (rc) {
		page->verdict = SQ_VERDICT_FATAL;
		return rc == SQ_ENOMEM ? rc : SQ_OK;
	}
	if (resp->status != 200) {
		rc = http_failure(src, &c, resp, page, err);
		free(c.next);
		return rc;
	}
	if (ct_parse_body(&resp->body, &root, err)) {
		free(c.next);
		page->verdict = SQ_VERDICT_RETRY;
		return SQ_OK;
	}
	list = cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "messages") : NULL;
	next = cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, "next_cursor") : NULL;
	if (!cJSON_IsArray(list) || (next && !cJSON_IsNull(next) && !cJSON_IsString(next))) {
		cJSON_Delete(root);
		free(c.next);
		return ct_verdict(page, SQ_VERDICT_RETRY, err, SQ_EPARSE,
				  "envelope missing: no \"messages\" array with a \"next_cursor\"");
	}
	newest = c.max;
	cJSON_ArrayForEach(item, list) {
		struct sq_record r = { 0 };
		struct ct_why why = { { 0 } };
		char idbuf[32];

		n++;
		rc = liaison_record(src, item, &r, &why);
		if (rc == SQ_OK) {
			if (r.updated_at > newest)
				newest = r.updated_at;
			rc = ct_page_add(page, &r);
		} else if (rc == SQ_EPARSE) {
			rc = ct_page_bad(page, item, ct_id_text(item, "id", idbuf, sizeof(idbuf)),
					 why.msg);
		}
		record_release(&r);
		if (rc)
			goto oom;
	}
	/* An empty page that still points further would walk forever. */
	page->more = cJSON_IsString(next) && *next->valuestring && n > 0;
	page->verdict = SQ_VERDICT_PAGE;
	if (page->more)
		rc = write_cursor(c.since, next->valuestring, newest, &page->cursor, err);
	else
		rc = write_cursor(newest, NULL, newest, &page->cursor, err);
	cJSON_Delete(root);
	root = NULL;
	if (rc)
		goto oom;
	free(c.next);
	return SQ_OK;
oom:
	cJSON_Delete(root);
	free(c.next);
	conn_page_release(page);
	return sq_fail(err, SQ_ENOMEM, "out of memory parsing a page");
}

const struct sq_connector connector_deputy_liaison = {
	.type = "deputy_liaison",
	.help = "people's-deputy online liaison station messages (bearer token, GBK pages)",
	.options = liaison_options,
	.conf_size = sizeof(struct liaison_conf),
	.build_request = liaison_build,
	.parse_page = liaison_parse,
};
