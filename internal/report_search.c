/* Search results for people (text) and programs (json). */
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "normalize.h"
#include "report.h"
#include "search.h"
#include "taxonomy.h"
#include "banned.h"

sq_err report_search_text(const struct search_results *res, const struct report_ctx *ctx,
			  struct sq_buf *out)
{
	char when[NORM_TIME_BUFSZ];
	size_t i;

	if (!res->n)
		return sq_buf_adds(out, "没有找到。\n");
	for (i = 0; i < res->n; i++) {
		const struct search_hit *h = &res->v[i];

		norm_format_local(h->received_at, ctx->tz_offset_s, when, sizeof(when));
		if (sq_buf_addf(out, "%sC%" PRId64 "%s  %s  %s:%s  %s  %s  %s\n",
				ctx->color ? "\033[1m" : "", h->id, ctx->color ? "\033[0m" : "", when,
				h->source ? h->source : "", h->source_id ? h->source_id : "",
				h->community ? h->community : "（未识别）",
				report_category_name(ctx, h->category), h->status ? h->status : ""))
			return SQ_ENOMEM;
		if (sq_buf_addf(out, "    %s\n", h->snippet ? h->snippet : (h->title ? h->title : "")))
			return SQ_ENOMEM;
	}
	if (sq_buf_addf(out, "%zu 条%s%s\n", res->n, res->ranked ? "，按相关度排序" : "，从新到旧",
			res->more ? "；还有更多，用 --limit 多列一些或加条件缩小范围" : ""))
		return SQ_ENOMEM;
	return SQ_OK;
}

sq_err report_search_json(const struct search_results *res, const char *query,
			  const struct report_ctx *ctx, struct sq_buf *out)
{
	cJSON *root = cJSON_CreateObject(), *hits = cJSON_CreateArray();
	char when[NORM_TIME_BUFSZ];
	char *text = NULL;
	int ok = root && hits;
	size_t i;
	sq_err rc = SQ_OK;

	ok = ok && cJSON_AddStringToObject(root, "query", query ? query : "") &&
	     cJSON_AddBoolToObject(root, "ranked", res->ranked) &&
	     cJSON_AddBoolToObject(root, "fallback", res->fallback) &&
	     cJSON_AddBoolToObject(root, "more", res->more) &&
	     cJSON_AddBoolToObject(root, "capped", res->capped);
	for (i = 0; ok && i < res->n; i++) {
		const struct search_hit *h = &res->v[i];
		cJSON *o = cJSON_CreateObject();
		const char *name = h->category && ctx->taxonomy
					   ? taxonomy_display(ctx->taxonomy, h->category) : NULL;

		norm_format_time(h->received_at, ctx->tz_offset_s, when, sizeof(when));
		ok = o && cJSON_AddItemToArray(hits, o);
		if (!ok) {
			cJSON_Delete(o);
			break;
		}
#define S(k, v) (v ? cJSON_AddStringToObject(o, k, v) : cJSON_AddNullToObject(o, k))
		ok = cJSON_AddNumberToObject(o, "id", (double)h->id) && S("source", h->source) &&
		     S("source_id", h->source_id) && cJSON_AddStringToObject(o, "received_at", when) &&
		     S("community", h->community) && S("category", h->category) &&
		     S("category_name", name) && S("status", h->status) && S("title", h->title) &&
		     S("snippet", h->snippet) &&
		     (res->ranked ? cJSON_AddNumberToObject(o, "rank", h->rank)
				  : cJSON_AddNullToObject(o, "rank"));
#undef S
	}
	if (ok && cJSON_AddItemToObject(root, "hits", hits))
		hits = NULL;
	else
		ok = 0;
	if (ok)
		text = cJSON_Print(root);
	if (!text || sq_buf_adds(out, text) || sq_buf_addc(out, '\n'))
		rc = SQ_ENOMEM;
	cJSON_free(text);
	cJSON_Delete(hits);
	cJSON_Delete(root);
	return rc;
}
