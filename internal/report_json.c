/*
 * The digest as JSON.  Field names are part of the interface (scripts and
 * dashboards read them): docs/digest.md lists them; add fields, never
 * rename or remove one.  Times are RFC 3339 in the configured zone, rates
 * are ratios rounded to four decimals, null when their denominator is 0.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "normalize.h"
#include "report.h"
#include "taxonomy.h"
#include "banned.h"

struct js {
	const struct report_ctx *ctx;
	int oom;
};

static cJSON *chk(struct js *j, cJSON *v)
{
	if (!v)
		j->oom = 1;
	return v;
}

static void add(struct js *j, cJSON *obj, const char *name, cJSON *v)
{
	if (!obj || !v) {
		cJSON_Delete(v);
		j->oom = 1;
		return;
	}
	if (!cJSON_AddItemToObject(obj, name, v)) {
		cJSON_Delete(v);
		j->oom = 1;
	}
}

static void push(struct js *j, cJSON *arr, cJSON *v)
{
	if (!arr || !v || !cJSON_AddItemToArray(arr, v)) {
		cJSON_Delete(v);
		j->oom = 1;
	}
}

static void num(struct js *j, cJSON *o, const char *name, int64_t v)
{
	add(j, o, name, cJSON_CreateNumber((double)v));
}

static void str(struct js *j, cJSON *o, const char *name, const char *v)
{
	add(j, o, name, v ? cJSON_CreateString(v) : cJSON_CreateNull());
}

static void rate(struct js *j, cJSON *o, const char *name, int64_t n, int64_t d)
{
	double x;

	if (!digest_rate(n, d, &x))
		add(j, o, name, cJSON_CreateNull());
	else
		add(j, o, name, cJSON_CreateNumber(round(x * 10000.0) / 10000.0));
}

static void when(struct js *j, cJSON *o, const char *name, int64_t t)
{
	char buf[NORM_TIME_BUFSZ];

	if (!t) {
		add(j, o, name, cJSON_CreateNull());
		return;
	}
	norm_format_time(t, j->ctx->tz_offset_s, buf, sizeof(buf));
	str(j, o, name, buf);
}

static void period(struct js *j, cJSON *root, const struct digest *d)
{
	cJSON *p = chk(j, cJSON_CreateObject());
	char off[8];

	report_offset(j->ctx->tz_offset_s, off);
	when(j, p, "since", d->o.since);
	when(j, p, "until", d->o.until);
	when(j, p, "previous_since", d->prev_since);
	str(j, p, "timezone", off);
	str(j, p, "label", d->o.period_label);
	add(j, root, "period", p);
	when(j, root, "generated_at", j->ctx->generated_at);
}

/* The resolution figures of one group, into o. */
static void resolution_fields(struct js *j, cJSON *o, const struct store_group_row *g)
{
	num(j, o, "registered", g->registered);
	num(j, o, "resolved", g->resolved);
	rate(j, o, "resolution_rate", g->resolved, g->registered);
	num(j, o, "due", g->due);
	num(j, o, "on_time", g->on_time);
	rate(j, o, "on_time_rate", g->on_time, g->due);
	num(j, o, "rated", g->rated);
	num(j, o, "satisfied", g->satisfied);
	num(j, o, "basically_satisfied", g->basically_satisfied);
	num(j, o, "dissatisfied", g->dissatisfied);
	rate(j, o, "satisfaction_rate", g->satisfied + g->basically_satisfied, g->rated);
}

static void category(struct js *j, cJSON *o, const char *key)
{
	str(j, o, "category", key);
	str(j, o, "category_name",
	    key && j->ctx->taxonomy ? taxonomy_display(j->ctx->taxonomy, key) : NULL);
}

static cJSON *ranked(struct js *j, const struct store_group_rows *rows, int categories)
{
	cJSON *arr = chk(j, cJSON_CreateArray());
	size_t i;

	for (i = 0; i < rows->n; i++) {
		const struct store_group_row *g = &rows->v[i];
		cJSON *o = chk(j, cJSON_CreateObject());

		if (categories)
			category(j, o, g->key);
		else
			str(j, o, "community", g->key);
		num(j, o, "complaints", g->complaints);
		num(j, o, "previous", g->previous);
		num(j, o, "change", g->complaints - g->previous);
		push(j, arr, o);
	}
	return arr;
}

static void summary(struct js *j, cJSON *root, const struct digest *d)
{
	cJSON *t = chk(j, cJSON_CreateObject()), *o, *arr;
	size_t i;

	num(j, t, "complaints", d->total.complaints);
	num(j, t, "complaints_previous", d->total.previous);
	num(j, t, "change", d->total.complaints - d->total.previous);
	num(j, t, "incidents", d->total.incidents);
	if (d->has_incidents)
		num(j, t, "new_incidents", d->new_incidents);
	else
		str(j, t, "new_incidents", NULL);
	if (d->has_flags) {
		num(j, t, "open_flags", d->flags_open);
		num(j, t, "escalated_flags", d->flags_escalated);
	} else {
		str(j, t, "open_flags", NULL);
		str(j, t, "escalated_flags", NULL);
	}
	num(j, t, "overdue", d->overdue);
	num(j, t, "unmapped", d->unmapped_total);
	num(j, t, "quarantined", d->quarantine_total);
	add(j, root, "totals", t);

	o = chk(j, cJSON_CreateObject());
	resolution_fields(j, o, &d->total);
	add(j, root, "resolution", o);

	arr = chk(j, cJSON_CreateArray());
	for (i = 0; i < d->by_source_channel.n; i++) {
		const struct store_group_row *g = &d->by_source_channel.v[i];

		if (!g->complaints)
			continue;
		o = chk(j, cJSON_CreateObject());
		str(j, o, "source", g->key);
		str(j, o, "channel", g->key2);
		num(j, o, "complaints", g->complaints);
		num(j, o, "incidents", g->incidents);
		push(j, arr, o);
	}
	add(j, root, "by_source_channel", arr);
	add(j, root, "categories", ranked(j, &d->categories, 1));
	add(j, root, "communities", ranked(j, &d->communities, 0));

	arr = chk(j, cJSON_CreateArray());
	for (i = 0; i < d->new_list.n; i++) {
		const struct store_digest_incident *e = &d->new_list.v[i];

		o = chk(j, cJSON_CreateObject());
		num(j, o, "id", e->id);
		when(j, o, "opened_at", e->opened_at);
		when(j, o, "last_at", e->last_at);
		category(j, o, e->category);
		str(j, o, "community", e->community);
		num(j, o, "size", e->size);
		push(j, arr, o);
	}
	add(j, root, "new_incidents", arr);

	arr = chk(j, cJSON_CreateArray());
	for (i = 0; i < d->flags.n; i++) {
		const struct store_digest_flag *f = &d->flags.v[i];

		o = chk(j, cJSON_CreateObject());
		num(j, o, "id", f->id);
		str(j, o, "kind", f->kind);
		str(j, o, "severity", f->severity);
		str(j, o, "state", f->state);
		num(j, o, "revision", f->revision);
		num(j, o, "members", f->members);
		when(j, o, "opened_at", f->opened_at);
		when(j, o, "updated_at", f->updated_at);
		str(j, o, "summary", f->summary);
		category(j, o, f->category);
		str(j, o, "community", f->community);
		push(j, arr, o);
	}
	add(j, root, "flags", arr);

	arr = chk(j, cJSON_CreateArray());
	for (i = 0; i < d->overdue_list.n; i++) {
		const struct store_item *it = &d->overdue_list.v[i];

		o = chk(j, cJSON_CreateObject());
		num(j, o, "id", it->id);
		str(j, o, "source", it->source);
		str(j, o, "source_id", it->source_id);
		when(j, o, "received_at", it->received_at);
		when(j, o, "deadline", it->deadline);
		str(j, o, "status", it->status);
		category(j, o, it->category);
		str(j, o, "community", it->community);
		str(j, o, "title", it->title);
		push(j, arr, o);
	}
	add(j, root, "overdue", arr);

	arr = chk(j, cJSON_CreateArray());
	for (i = 0; i < d->unmapped.n; i++) {
		o = chk(j, cJSON_CreateObject());
		str(j, o, "source", d->unmapped.v[i].key);
		str(j, o, "category_raw", d->unmapped.v[i].key2);
		num(j, o, "complaints", d->unmapped.v[i].complaints);
		push(j, arr, o);
	}
	add(j, root, "unmapped", arr);

	arr = chk(j, cJSON_CreateArray());
	for (i = 0; i < d->quarantine.n; i++) {
		o = chk(j, cJSON_CreateObject());
		str(j, o, "source", d->quarantine.v[i].key);
		num(j, o, "records", d->quarantine.v[i].complaints);
		push(j, arr, o);
	}
	add(j, root, "quarantine", arr);

	arr = chk(j, cJSON_CreateArray());
	for (i = 0; i < d->nhealth; i++) {
		o = chk(j, cJSON_CreateObject());
		str(j, o, "source", d->health[i].source);
		when(j, o, "last_ok", d->health[i].last_ok);
		when(j, o, "last_error_at", d->health[i].last_error_at);
		str(j, o, "last_error", d->health[i].last_error);
		push(j, arr, o);
	}
	add(j, root, "feeds", arr);
}

static void pivot(struct js *j, cJSON *root, const struct digest *d)
{
	cJSON *arr = chk(j, cJSON_CreateArray());
	size_t i;

	str(j, root, "by", digest_by_name(d->o.by));
	for (i = 0; i < d->pivot.n; i++) {
		const struct store_group_row *g = &d->pivot.v[i];
		cJSON *o = chk(j, cJSON_CreateObject());

		if (d->o.by == DIGEST_BY_CATEGORY)
			category(j, o, g->key);
		else
			str(j, o, digest_by_name(d->o.by), g->key);
		num(j, o, "complaints", g->complaints);
		if (d->o.by != DIGEST_BY_DAY) {
			num(j, o, "previous", g->previous);
			num(j, o, "change", g->complaints - g->previous);
		}
		num(j, o, "incidents", g->incidents);
		resolution_fields(j, o, g);
		push(j, arr, o);
	}
	add(j, root, "rows", arr);
}

static cJSON *id_array(struct js *j, const struct digest_explain *e)
{
	cJSON *arr = chk(j, cJSON_CreateArray());
	size_t i;

	for (i = 0; i < e->n; i++)
		push(j, arr, cJSON_CreateNumber((double)e->ids[i]));
	return arr;
}

static void annual(struct js *j, cJSON *root, const struct digest *d)
{
	const struct store_group_row *g = &d->total;
	cJSON *f = chk(j, cJSON_CreateObject()), *arr, *o, *ex;
	size_t i;
	int pass;

	num(j, f, "appeals", g->registered);
	num(j, f, "resolved", g->resolved);
	rate(j, f, "resolution_rate", g->resolved, g->registered);
	num(j, f, "disputes", g->disputes);
	num(j, f, "disputes_resolved", g->disputes_resolved);
	rate(j, f, "dispute_resolution_rate", g->disputes_resolved, g->disputes);
	num(j, f, "due", g->due);
	num(j, f, "on_time", g->on_time);
	rate(j, f, "on_time_rate", g->on_time, g->due);
	num(j, f, "rated", g->rated);
	num(j, f, "satisfied", g->satisfied);
	num(j, f, "basically_satisfied", g->basically_satisfied);
	num(j, f, "dissatisfied", g->dissatisfied);
	rate(j, f, "satisfaction_rate", g->satisfied + g->basically_satisfied, g->rated);
	num(j, f, "enterprise", g->enterprise);
	num(j, f, "enterprise_resolved", g->enterprise_resolved);
	rate(j, f, "enterprise_resolution_rate", g->enterprise_resolved, g->enterprise);
	arr = chk(j, cJSON_CreateArray());
	for (i = 0; i < d->o.nenterprise; i++)
		push(j, arr, cJSON_CreateString(d->o.enterprise[i]));
	add(j, f, "enterprise_categories", arr);
	add(j, root, "figures", f);

	for (pass = 0; pass < 2; pass++) {
		const struct store_group_rows *rows = pass ? &d->sources : &d->channels;

		arr = chk(j, cJSON_CreateArray());
		for (i = 0; i < rows->n; i++) {
			if (!rows->v[i].registered)
				continue;
			o = chk(j, cJSON_CreateObject());
			str(j, o, pass ? "source" : "channel", rows->v[i].key);
			num(j, o, "appeals", rows->v[i].registered);
			num(j, o, "resolved", rows->v[i].resolved);
			rate(j, o, "resolution_rate", rows->v[i].resolved, rows->v[i].registered);
			push(j, arr, o);
		}
		add(j, root, pass ? "by_source" : "by_channel", arr);
	}
	if (!d->o.explain)
		return;
	ex = chk(j, cJSON_CreateObject());
	arr = chk(j, cJSON_CreateArray());
	for (i = 0; i < d->nexplain; i++) {
		const struct digest_explain *e = &d->explain[i];

		if (strcmp(e->figure, "appeals_by_channel")) {
			add(j, ex, e->figure, id_array(j, e));
			continue;
		}
		o = chk(j, cJSON_CreateObject());
		str(j, o, "channel", e->key);
		add(j, o, "ids", id_array(j, e));
		push(j, arr, o);
	}
	add(j, ex, "appeals_by_channel", arr);
	add(j, root, "explain", ex);
}

sq_err report_json(const struct digest *d, const struct report_ctx *ctx, struct sq_buf *out)
{
	struct js j = { .ctx = ctx };
	cJSON *root = chk(&j, cJSON_CreateObject());
	char *text = NULL;
	sq_err rc = SQ_OK;

	str(&j, root, "report", d->o.by ? "pivot" : d->o.period ? "period" : "digest");
	num(&j, root, "version", 1);
	period(&j, root, d);
	if (d->o.by)
		pivot(&j, root, d);
	else if (d->o.period)
		annual(&j, root, d);
	else
		summary(&j, root, d);
	if (!j.oom)
		text = cJSON_Print(root);
	if (!text || sq_buf_adds(out, text) || sq_buf_addc(out, '\n'))
		rc = SQ_ENOMEM;
	cJSON_free(text);
	cJSON_Delete(root);
	return rc;
}
