/*
 * The digest laid out as titled tables of cells (display text + plain
 * value); the text, md, csv and html renderers print this layout.
 */
#include "report.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flag.h"
#include "normalize.h"
#include "taxonomy.h"
#include "uwidth.h"
#include "banned.h"

#define NONE_CATEGORY "（未映射）"
#define NONE_COMMUNITY "（未识别）"
#define NONE_CHANNEL "（未注明）"
#define DASH "—"

struct bld {
	struct report *r;
	const struct report_ctx *ctx;
	int oom;
};

const char *report_category_name(const struct report_ctx *ctx, const char *key)
{
	const char *name;

	if (!key)
		return NONE_CATEGORY;
	name = ctx && ctx->taxonomy ? taxonomy_display(ctx->taxonomy, key) : NULL;
	return name ? name : key;
}

sq_err report_pad(struct sq_buf *out, const char *s, size_t width, int right)
{
	size_t w = uwidth_str(s), pad = w < width ? width - w : 0;

	if (right)
		for (; pad; pad--)
			if (sq_buf_addc(out, ' '))
				return SQ_ENOMEM;
	if (sq_buf_adds(out, s))
		return SQ_ENOMEM;
	if (!right)
		for (; pad; pad--)
			if (sq_buf_addc(out, ' '))
				return SQ_ENOMEM;
	return SQ_OK;
}

static const char *status_label(const char *status)
{
	static const char *const names[][2] = {
		{ "open", "待办" }, { "in_progress", "办理中" }, { "resolved", "已办结" },
		{ "closed", "已关闭" }, { "rejected", "不予受理" }, { "withdrawn", "已撤回" },
		{ "void", "作废" },
	};
	size_t i;

	for (i = 0; status && i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(status, names[i][0]))
			return names[i][1];
	return status ? status : "";
}

/* ---- building tables ---------------------------------------------------- */

static char *dupf(struct bld *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static char *dupf(struct bld *b, const char *fmt, ...)
{
	struct sq_buf s = SQ_BUF_INIT;
	va_list ap;
	char *out;
	sq_err rc;

	va_start(ap, fmt);
	rc = sq_buf_vaddf(&s, fmt, ap);
	va_end(ap);
	out = rc ? NULL : sq_buf_detach(&s);
	sq_buf_release(&s);
	if (!out)
		b->oom = 1;
	return out;
}

static char *dup(struct bld *b, const char *s)
{
	char *c = sq_strdup(s ? s : "");

	if (!c)
		b->oom = 1;
	return c;
}

static struct report_table *table(struct bld *b, const char *id, const char *title,
				  size_t ncols, size_t nkeys, const char *const *heads,
				  const char *const *names, unsigned right, const char *empty)
{
	struct report *r = b->r;
	struct report_table *t, *v;

	if (b->oom)
		return NULL;
	v = realloc(r->tables, (r->ntables + 1) * sizeof(*v));
	if (!v) {
		b->oom = 1;
		return NULL;
	}
	r->tables = v;
	t = &v[r->ntables++];
	memset(t, 0, sizeof(*t));
	t->id = id;
	t->title = title;
	t->ncols = ncols;
	t->nkeys = nkeys;
	t->heads = heads;
	t->names = names;
	t->right = right;
	t->empty = empty;
	return t;
}

/* A new row of empty cells; its index, or (size_t)-1 when out of memory. */
static size_t row(struct bld *b, struct report_table *t)
{
	char **text, **plain;
	size_t i, n;

	if (!t || b->oom)
		return (size_t)-1;
	n = (t->nrows + 1) * t->ncols;
	text = realloc(t->text, n * sizeof(*text));
	if (text)
		t->text = text;
	plain = text ? realloc(t->plain, n * sizeof(*plain)) : NULL;
	if (plain)
		t->plain = plain;
	if (!text || !plain) {
		b->oom = 1;
		return (size_t)-1;
	}
	for (i = t->nrows * t->ncols; i < n; i++)
		t->text[i] = t->plain[i] = NULL;
	t->nrows++;
	for (i = (t->nrows - 1) * t->ncols; i < n; i++) {
		t->text[i] = dup(b, "");
		t->plain[i] = dup(b, "");
	}
	return t->nrows - 1;
}

/* Take ownership of text and plain (either may be NULL: then ""; plain NULL: text). */
static void put(struct bld *b, struct report_table *t, size_t r, size_t c, char *text,
		char *plain)
{
	size_t i;

	if (!t || r == (size_t)-1 || b->oom) {
		free(text);
		free(plain);
		return;
	}
	i = r * t->ncols + c;
	if (text) {
		free(t->text[i]);
		t->text[i] = text;
	}
	if (!plain && text)
		plain = dup(b, text);
	if (plain) {
		free(t->plain[i]);
		t->plain[i] = plain;
	}
}

static void put_text(struct bld *b, struct report_table *t, size_t r, size_t c, const char *shown,
		     const char *value)
{
	put(b, t, r, c, dup(b, shown), dup(b, value));
}

static void put_int(struct bld *b, struct report_table *t, size_t r, size_t c, int64_t v)
{
	put(b, t, r, c, dupf(b, "%" PRId64, v), NULL);
}

static void put_change(struct bld *b, struct report_table *t, size_t r, size_t c, int64_t cur,
		       int64_t prev)
{
	int64_t d = cur - prev;

	put(b, t, r, c, d > 0 ? dupf(b, "+%" PRId64, d) : dupf(b, "%" PRId64, d),
	    dupf(b, "%" PRId64, d));
}

static void put_rate(struct bld *b, struct report_table *t, size_t r, size_t c, int64_t num,
		     int64_t den)
{
	double x;

	if (!digest_rate(num, den, &x))
		put(b, t, r, c, dup(b, DASH), dup(b, ""));
	else
		put(b, t, r, c, dupf(b, "%.1f%%", x * 100.0), dupf(b, "%.4f", x));
}

static void put_time(struct bld *b, struct report_table *t, size_t r, size_t c, int64_t at)
{
	char shown[NORM_TIME_BUFSZ], value[NORM_TIME_BUFSZ];

	if (!at) {
		put(b, t, r, c, dup(b, DASH), dup(b, ""));
		return;
	}
	norm_format_local(at, b->ctx->tz_offset_s, shown, sizeof(shown));
	norm_format_time(at, b->ctx->tz_offset_s, value, sizeof(value));
	put_text(b, t, r, c, shown, value);
}

static void put_category(struct bld *b, struct report_table *t, size_t r, size_t c,
			 const char *key)
{
	put_text(b, t, r, c, report_category_name(b->ctx, key), key ? key : "");
}

static void put_or(struct bld *b, struct report_table *t, size_t r, size_t c, const char *v,
		   const char *none)
{
	put_text(b, t, r, c, v ? v : none, v ? v : "");
}

/* A stored key shown by its label (the key itself when there is none). */
static void put_label(struct bld *b, struct report_table *t, size_t r, size_t c, const char *key,
		      const char *label)
{
	put_text(b, t, r, c, label ? label : (key ? key : ""), key ? key : "");
}

static void line(struct bld *b, char *s)
{
	char **v;

	if (!s || b->oom) {
		free(s);
		b->oom = 1;
		return;
	}
	v = realloc(b->r->lines, (b->r->nlines + 1) * sizeof(*v));
	if (!v) {
		free(s);
		b->oom = 1;
		return;
	}
	b->r->lines = v;
	v[b->r->nlines++] = s;
}

static void note(struct bld *b, const char *s)
{
	char **v;
	char *c = dup(b, s);

	if (b->oom) {
		free(c);
		return;
	}
	v = realloc(b->r->notes, (b->r->nnotes + 1) * sizeof(*v));
	if (!v) {
		free(c);
		b->oom = 1;
		return;
	}
	b->r->notes = v;
	v[b->r->nnotes++] = c;
}

void report_release(struct report *r)
{
	size_t i, j;

	free(r->title);
	for (i = 0; i < r->nlines; i++)
		free(r->lines[i]);
	free(r->lines);
	for (i = 0; i < r->ntables; i++) {
		struct report_table *t = &r->tables[i];

		for (j = 0; j < t->nrows * t->ncols; j++) {
			free(t->text[j]);
			free(t->plain[j]);
		}
		free(t->text);
		free(t->plain);
		free(t->note);
	}
	free(r->tables);
	for (i = 0; i < r->nnotes; i++)
		free(r->notes[i]);
	free(r->notes);
	memset(r, 0, sizeof(*r));
}

/* ---- the definitions ---------------------------------------------------- */

/* docs/digest.md states the same definitions in English; keep them in step. */
static const char def_complaints[] =
	"诉求件数：统计期间内受理（received_at）的全部记录，各类型、各状态都算；"
	"变化 = 本期 − 上期，上期为紧接本期之前、等长的期间。";
static const char def_incidents[] =
	"事件数：这些诉求归并成的事件数，同一事件的多次反映算一件，尚未归并的诉求各算一件；"
	"新增事件：首次反映时间在本期内的事件。";
static const char def_registered[] =
	"登记件数：期间内受理、状态不是作废（void）的诉求。";
static const char def_resolved[] =
	"办结率 = 办结件数 ÷ 登记件数；办结：状态为已办结或已关闭（resolved、closed），"
	"且办结时间早于期末。";
static const char def_on_time[] =
	"按期办结率 = 按期办结件数 ÷ 应办结件数；应办结：有办理期限，且已办结或期限早于期末；"
	"按期办结：办结时间不晚于期限。";
static const char def_satisfaction[] =
	"满意率 =（满意 + 基本满意）÷ 已评价件数；已评价：登记件数中有满意度评价的。";
static const char def_overdue[] =
	"逾期：截至生成时，状态为待办或办理中（open、in_progress）且已过办理期限的诉求，"
	"不论何时受理。";
static const char def_flags[] =
	"预警：未关闭的预警；升级：发出后因成员增加而升级（版次 ≥ 2）的预警。";
static const char def_unmapped[] =
	"未映射：数据源的原始类别未能映射到统一分类的诉求（在分类表中补充映射即可）；"
	"隔离记录：期间内因数据错误被隔离、未入库的记录。";
static const char def_disputes[] =
	"矛盾纠纷：登记件数中类型为投诉或举报（complaint、report）的；"
	"化解率 = 其中办结件数 ÷ 矛盾纠纷件数。";
static const char def_rates[] = "比率的分母为 0 时显示 —。";

static void enterprise_note(struct bld *b, const struct digest *d)
{
	struct sq_buf s = SQ_BUF_INIT;
	size_t i;
	char *c;

	if (sq_buf_adds(&s, "涉企诉求：登记件数中类别属于 ")) {
		b->oom = 1;
		return;
	}
	for (i = 0; i < d->o.nenterprise; i++)
		if (sq_buf_addf(&s, "%s%s（%s）", i ? "、" : "",
				report_category_name(b->ctx, d->o.enterprise[i]), d->o.enterprise[i]))
			b->oom = 1;
	if (sq_buf_adds(&s, " 的诉求；涉企办结率 = 其中办结件数 ÷ 涉企诉求件数。"))
		b->oom = 1;
	c = b->oom ? NULL : sq_buf_detach(&s);
	sq_buf_release(&s);
	if (!c) {
		b->oom = 1;
		return;
	}
	note(b, c);
	free(c);
}

/* ---- sections ----------------------------------------------------------- */

void report_offset(int tz, char out[8])
{
	int a = tz < 0 ? -tz : tz;

	snprintf(out, 8, "%c%02d:%02d", tz < 0 ? '-' : '+', (a / 3600) % 100, (a / 60) % 60);
}

static void header(struct bld *b, const struct digest *d)
{
	char s[NORM_TIME_BUFSZ], u[NORM_TIME_BUFSZ], p[NORM_TIME_BUFSZ], g[NORM_TIME_BUFSZ];
	char off[8];
	int tz = b->ctx->tz_offset_s;

	report_offset(tz, off);
	norm_format_local(d->o.since, tz, s, sizeof(s));
	norm_format_local(d->o.until, tz, u, sizeof(u));
	norm_format_local(d->prev_since, tz, p, sizeof(p));
	norm_format_local(b->ctx->generated_at, tz, g, sizeof(g));
	line(b, dupf(b, "统计期间：%s 至 %s（UTC%s，含起点不含终点）", s, u, off));
	if (!d->o.period && d->o.by != DIGEST_BY_DAY)
		line(b, dupf(b, "对比上期：%s 至 %s", p, s));
	line(b, dupf(b, "生成时间：%s", g));
	norm_format_time(d->o.since, tz, b->r->since, sizeof(b->r->since));
	norm_format_time(d->o.until, tz, b->r->until, sizeof(b->r->until));
	norm_format_time(d->prev_since, tz, b->r->prev_since, sizeof(b->r->prev_since));
}

static const char *const kv_heads[] = { "指标", "本期", "上期", "变化" };
static const char *const kv_names[] = { "figure", "value", "previous", "change" };

static void totals(struct bld *b, const struct digest *d)
{
	struct report_table *t = table(b, "totals", "总览", 4, 1, kv_heads, kv_names, 0xE, NULL);
	size_t r;

	r = row(b, t);
	put_text(b, t, r, 0, "诉求件数", "complaints");
	put_int(b, t, r, 1, d->total.complaints);
	put_int(b, t, r, 2, d->total.previous);
	put_change(b, t, r, 3, d->total.complaints, d->total.previous);
	r = row(b, t);
	put_text(b, t, r, 0, "事件数", "incidents");
	put_int(b, t, r, 1, d->total.incidents);
	if (d->has_incidents) {
		r = row(b, t);
		put_text(b, t, r, 0, "新增事件", "new_incidents");
		put_int(b, t, r, 1, d->new_incidents);
	}
	if (d->has_flags) {
		r = row(b, t);
		put_text(b, t, r, 0, "未关闭预警", "open_flags");
		put_int(b, t, r, 1, d->flags_open);
		r = row(b, t);
		put_text(b, t, r, 0, "其中已升级", "escalated_flags");
		put_int(b, t, r, 1, d->flags_escalated);
	}
	r = row(b, t);
	put_text(b, t, r, 0, "逾期未办结", "overdue");
	put_int(b, t, r, 1, d->overdue);
	r = row(b, t);
	put_text(b, t, r, 0, "未映射类别", "unmapped");
	put_int(b, t, r, 1, d->unmapped_total);
	r = row(b, t);
	put_text(b, t, r, 0, "隔离记录", "quarantined");
	put_int(b, t, r, 1, d->quarantine_total);
}

static void by_source_channel(struct bld *b, const struct digest *d)
{
	static const char *const heads[] = { "来源", "渠道", "诉求", "事件" };
	static const char *const names[] = { "source", "channel", "complaints", "incidents" };
	struct report_table *t = table(b, "by_source_channel", "来源与渠道", 4, 2, heads, names,
				       0xC, "本期没有诉求。");
	size_t i, r;

	for (i = 0; i < d->by_source_channel.n; i++) {
		const struct store_group_row *g = &d->by_source_channel.v[i];

		if (!g->complaints)
			continue;
		r = row(b, t);
		put_or(b, t, r, 0, g->key, "");
		put_or(b, t, r, 1, g->key2, NONE_CHANNEL);
		put_int(b, t, r, 2, g->complaints);
		put_int(b, t, r, 3, g->incidents);
	}
}

static void top(struct bld *b, const struct digest *d, const struct store_group_rows *rows,
		int categories)
{
	static const char *const cat_heads[] = { "类别", "本期", "上期", "变化" };
	static const char *const cat_names[] = { "category", "complaints", "previous", "change" };
	static const char *const com_heads[] = { "社区", "本期", "上期", "变化" };
	static const char *const com_names[] = { "community", "complaints", "previous", "change" };
	struct report_table *t;
	size_t i, r;

	t = categories ? table(b, "top_categories", "类别排行", 4, 1, cat_heads, cat_names, 0xE,
			       "本期与上期都没有诉求。")
		       : table(b, "top_communities", "社区排行", 4, 1, com_heads, com_names, 0xE,
			       "本期与上期都没有诉求。");
	for (i = 0; i < rows->n && i < d->o.top; i++) {
		const struct store_group_row *g = &rows->v[i];

		if (!g->complaints)
			break;
		r = row(b, t);
		if (categories)
			put_category(b, t, r, 0, g->key);
		else
			put_or(b, t, r, 0, g->key, NONE_COMMUNITY);
		put_int(b, t, r, 1, g->complaints);
		put_int(b, t, r, 2, g->previous);
		put_change(b, t, r, 3, g->complaints, g->previous);
	}
	if (t && rows->n > t->nrows) {
		int64_t rest = 0, rest_prev = 0;

		for (; i < rows->n; i++) {
			rest += rows->v[i].complaints;
			rest_prev += rows->v[i].previous;
		}
		t->note = dupf(b, "其余 %zu 项：本期 %" PRId64 "，上期 %" PRId64 "。",
			       rows->n - t->nrows, rest, rest_prev);
	}
}

static void new_incidents(struct bld *b, const struct digest *d)
{
	static const char *const heads[] = { "事件", "首次反映", "最近反映", "类别", "社区", "件数" };
	static const char *const names[] = { "id", "opened_at", "last_at", "category", "community",
					     "size" };
	struct report_table *t;
	size_t i, r;

	if (!d->has_incidents)
		return;
	t = table(b, "new_incidents", "新增事件", 6, 1, heads, names, 0x20, "本期没有新增事件。");
	for (i = 0; i < d->new_list.n; i++) {
		const struct store_digest_incident *e = &d->new_list.v[i];

		r = row(b, t);
		put(b, t, r, 0, dupf(b, "I%" PRId64, e->id), NULL);
		put_time(b, t, r, 1, e->opened_at);
		put_time(b, t, r, 2, e->last_at);
		put_category(b, t, r, 3, e->category);
		put_or(b, t, r, 4, e->community, NONE_COMMUNITY);
		put_int(b, t, r, 5, e->size);
	}
	if (t && (int64_t)t->nrows < d->new_incidents)
		t->note = dupf(b, "共 %" PRId64 " 个新增事件，列出最大的 %zu 个。", d->new_incidents,
			       t->nrows);
}

static void flags(struct bld *b, const struct digest *d)
{
	static const char *const heads[] = { "预警", "类型", "级别", "状态", "版次", "成员",
					     "最近更新", "摘要" };
	static const char *const names[] = { "id", "kind", "severity", "state", "revision",
					     "members", "updated_at", "summary" };
	struct report_table *t;
	size_t i, r;

	if (!d->has_flags)
		return;
	t = table(b, "flags", "未关闭的预警", 8, 1, heads, names, 0x30, "没有未关闭的预警。");
	for (i = 0; i < d->flags.n; i++) {
		const struct store_digest_flag *f = &d->flags.v[i];

		r = row(b, t);
		put(b, t, r, 0, dupf(b, "F%" PRId64, f->id), NULL);
		put_label(b, t, r, 1, f->kind, flag_kind_parse(f->kind) < 0 ? NULL
				: flag_kind_label((enum flag_kind)flag_kind_parse(f->kind)));
		put_label(b, t, r, 2, f->severity, flag_severity_parse(f->severity) < 0 ? NULL
				: flag_severity_label((enum flag_severity)flag_severity_parse(f->severity)));
		put_label(b, t, r, 3, f->state, flag_state_parse(f->state) < 0 ? NULL
				: flag_state_label((enum flag_state)flag_state_parse(f->state)));
		put_int(b, t, r, 4, f->revision);
		put_int(b, t, r, 5, f->members);
		put_time(b, t, r, 6, f->updated_at);
		put_or(b, t, r, 7, f->summary, "");
	}
	if (t && (int64_t)t->nrows < d->flags_open)
		t->note = dupf(b, "共 %" PRId64 " 个，列出最紧要的 %zu 个。", d->flags_open, t->nrows);
}

static void overdue(struct bld *b, const struct digest *d)
{
	static const char *const heads[] = { "诉求", "来源编号", "办理期限", "状态", "社区", "类别",
					     "标题" };
	static const char *const names[] = { "id", "source_id", "deadline", "status", "community",
					     "category", "title" };
	struct report_table *t;
	size_t i, r;

	t = table(b, "overdue", "逾期未办结", 7, 1, heads, names, 0, "没有逾期未办结的诉求。");
	for (i = 0; i < d->overdue_list.n; i++) {
		const struct store_item *it = &d->overdue_list.v[i];

		r = row(b, t);
		put(b, t, r, 0, dupf(b, "C%" PRId64, it->id), NULL);
		put(b, t, r, 1, dupf(b, "%s:%s", it->source ? it->source : "",
				     it->source_id ? it->source_id : ""), NULL);
		put_time(b, t, r, 2, it->deadline);
		put_label(b, t, r, 3, it->status, status_label(it->status));
		put_or(b, t, r, 4, it->community, NONE_COMMUNITY);
		put_category(b, t, r, 5, it->category);
		put_or(b, t, r, 6, it->title, "");
	}
	if (t && (int64_t)t->nrows < d->overdue)
		t->note = dupf(b, "共 %" PRId64 " 件，列出期限最早的 %zu 件。", d->overdue, t->nrows);
}

static const char *const rate_heads[] = { "指标", "件数", "分母", "比率" };
static const char *const rate_names[] = { "figure", "count", "denominator", "rate" };

static void rate_row(struct bld *b, struct report_table *t, const char *label, const char *name,
		     int64_t num, int64_t den, int with_rate)
{
	size_t r = row(b, t);

	put_text(b, t, r, 0, label, name);
	put_int(b, t, r, 1, num);
	if (with_rate) {
		put_int(b, t, r, 2, den);
		put_rate(b, t, r, 3, num, den);
	}
}

static void resolution(struct bld *b, const struct store_group_row *g)
{
	struct report_table *t = table(b, "resolution", "办理情况（本期受理的诉求）", 4, 1,
				       rate_heads, rate_names, 0xE, NULL);

	rate_row(b, t, "登记", "registered", g->registered, 0, 0);
	rate_row(b, t, "办结", "resolved", g->resolved, g->registered, 1);
	rate_row(b, t, "应办结", "due", g->due, 0, 0);
	rate_row(b, t, "按期办结", "on_time", g->on_time, g->due, 1);
	rate_row(b, t, "已评价", "rated", g->rated, 0, 0);
	rate_row(b, t, "满意", "satisfied", g->satisfied, 0, 0);
	rate_row(b, t, "基本满意", "basically_satisfied", g->basically_satisfied, 0, 0);
	rate_row(b, t, "不满意", "dissatisfied", g->dissatisfied, 0, 0);
	rate_row(b, t, "满意率", "satisfaction", g->satisfied + g->basically_satisfied, g->rated, 1);
}

static void unmapped(struct bld *b, const struct digest *d)
{
	static const char *const heads[] = { "来源", "原始类别", "件数" };
	static const char *const names[] = { "source", "category_raw", "complaints" };
	struct report_table *t = table(b, "unmapped", "未映射类别", 3, 2, heads, names, 0x4,
				       "本期的类别都已映射。");
	size_t i, r;

	for (i = 0; i < d->unmapped.n; i++) {
		const struct store_group_row *g = &d->unmapped.v[i];

		if (!g->complaints)
			continue;
		r = row(b, t);
		put_or(b, t, r, 0, g->key, "");
		put_or(b, t, r, 1, g->key2, "（空）");
		put_int(b, t, r, 2, g->complaints);
	}
}

static void quarantine(struct bld *b, const struct digest *d)
{
	static const char *const heads[] = { "来源", "记录数" };
	static const char *const names[] = { "source", "records" };
	struct report_table *t = table(b, "quarantine", "隔离记录", 2, 1, heads, names, 0x2,
				       "本期没有隔离记录。");
	size_t i, r;

	for (i = 0; i < d->quarantine.n; i++) {
		r = row(b, t);
		put_or(b, t, r, 0, d->quarantine.v[i].key, "");
		put_int(b, t, r, 1, d->quarantine.v[i].complaints);
	}
}

static void feeds(struct bld *b, const struct digest *d)
{
	static const char *const heads[] = { "来源", "最近成功采集", "最近出错", "错误" };
	static const char *const names[] = { "source", "last_ok", "last_error_at", "last_error" };
	struct report_table *t = table(b, "feeds", "数据源状态", 4, 1, heads, names, 0,
				       "运行日志里还没有数据源。");
	size_t i, r;

	for (i = 0; i < d->nhealth; i++) {
		const struct digest_health *h = &d->health[i];

		r = row(b, t);
		put_or(b, t, r, 0, h->source, "");
		put_time(b, t, r, 1, h->last_ok);
		put_time(b, t, r, 2, h->last_error_at);
		put_or(b, t, r, 3, h->last_error, DASH);
	}
}

#define PIVOT_HEADS(key) { key, "诉求", "上期", "变化", "事件", "登记", "办结", "办结率", \
			     "按期率", "满意率" }
#define PIVOT_NAMES(key) { key, "complaints", "previous", "change", "incidents", "registered", \
			   "resolved", "resolution_rate", "on_time_rate", "satisfaction_rate" }

static void pivot(struct bld *b, const struct digest *d)
{
	static const char *const heads[DIGEST_BY_LAST][10] = {
		[DIGEST_BY_COMMUNITY] = PIVOT_HEADS("社区"),
		[DIGEST_BY_CATEGORY] = PIVOT_HEADS("类别"),
		[DIGEST_BY_SOURCE] = PIVOT_HEADS("来源"),
		[DIGEST_BY_DAY] = { "日期", "诉求", "事件", "登记", "办结", "办结率", "按期率",
				    "满意率" },
	};
	static const char *const names[DIGEST_BY_LAST][10] = {
		[DIGEST_BY_COMMUNITY] = PIVOT_NAMES("community"),
		[DIGEST_BY_CATEGORY] = PIVOT_NAMES("category"),
		[DIGEST_BY_SOURCE] = PIVOT_NAMES("source"),
		[DIGEST_BY_DAY] = { "day", "complaints", "incidents", "registered", "resolved",
				    "resolution_rate", "on_time_rate", "satisfaction_rate" },
	};
	/* Days have no previous period of their own: no 上期 and 变化 columns. */
	int day = d->o.by == DIGEST_BY_DAY;
	struct report_table *t;
	size_t i, r, c;

	t = table(b, "pivot", "分组统计", day ? 8 : 10, 1, heads[d->o.by], names[d->o.by],
		  day ? 0xFEu : 0x3FEu, "本期没有诉求。");
	for (i = 0; i < d->pivot.n; i++) {
		const struct store_group_row *g = &d->pivot.v[i];

		r = row(b, t);
		c = 0;
		if (d->o.by == DIGEST_BY_CATEGORY)
			put_category(b, t, r, c++, g->key);
		else if (d->o.by == DIGEST_BY_COMMUNITY)
			put_or(b, t, r, c++, g->key, NONE_COMMUNITY);
		else
			put_or(b, t, r, c++, g->key, "");
		put_int(b, t, r, c++, g->complaints);
		if (!day) {
			put_int(b, t, r, c++, g->previous);
			put_change(b, t, r, c++, g->complaints, g->previous);
		}
		put_int(b, t, r, c++, g->incidents);
		put_int(b, t, r, c++, g->registered);
		put_int(b, t, r, c++, g->resolved);
		put_rate(b, t, r, c++, g->resolved, g->registered);
		put_rate(b, t, r, c++, g->on_time, g->due);
		put_rate(b, t, r, c++, g->satisfied + g->basically_satisfied, g->rated);
	}
}

static void annual(struct bld *b, const struct digest *d)
{
	const struct store_group_row *g = &d->total;
	struct report_table *t = table(b, "figures", d->o.period_label && strlen(d->o.period_label) == 4
					   ? "年度数据" : "月度数据",
				       4, 1, rate_heads, rate_names, 0xE, NULL);

	rate_row(b, t, "受理群众诉求", "appeals", g->registered, 0, 0);
	rate_row(b, t, "办结", "resolved", g->resolved, g->registered, 1);
	rate_row(b, t, "登记矛盾纠纷", "disputes", g->disputes, 0, 0);
	rate_row(b, t, "化解矛盾纠纷", "disputes_resolved", g->disputes_resolved, g->disputes, 1);
	rate_row(b, t, "按期办结", "on_time", g->on_time, g->due, 1);
	rate_row(b, t, "满意（含基本满意）", "satisfied", g->satisfied + g->basically_satisfied,
		 g->rated, 1);
	rate_row(b, t, "涉企诉求", "enterprise", g->enterprise, 0, 0);
	rate_row(b, t, "涉企诉求办结", "enterprise_resolved", g->enterprise_resolved, g->enterprise, 1);
}

static void appeals_by(struct bld *b, const struct store_group_rows *rows, int channel)
{
	static const char *const ch_heads[] = { "渠道", "受理", "办结", "办结率" };
	static const char *const ch_names[] = { "channel", "appeals", "resolved", "resolution_rate" };
	static const char *const src_heads[] = { "来源", "受理", "办结", "办结率" };
	static const char *const src_names[] = { "source", "appeals", "resolved", "resolution_rate" };
	struct report_table *t;
	size_t i, r;

	t = channel ? table(b, "appeals_by_channel", "按渠道", 4, 1, ch_heads, ch_names, 0xE,
			    "期间内没有诉求。")
		    : table(b, "appeals_by_source", "按来源", 4, 1, src_heads, src_names, 0xE,
			    "期间内没有诉求。");
	for (i = 0; i < rows->n; i++) {
		const struct store_group_row *g = &rows->v[i];

		if (!g->registered)
			continue;
		r = row(b, t);
		put_or(b, t, r, 0, g->key, channel ? NONE_CHANNEL : "");
		put_int(b, t, r, 1, g->registered);
		put_int(b, t, r, 2, g->resolved);
		put_rate(b, t, r, 3, g->resolved, g->registered);
	}
}

static void explain(struct bld *b, const struct digest *d)
{
	static const char *const heads[] = { "指标", "渠道", "件数", "诉求编号" };
	static const char *const names[] = { "figure", "channel", "count", "ids" };
	struct report_table *t;
	size_t i, j, r;

	if (!d->o.explain)
		return;
	t = table(b, "explain", "计数明细（--explain）", 4, 2, heads, names, 0x4, NULL);
	for (i = 0; i < d->nexplain; i++) {
		const struct digest_explain *e = &d->explain[i];
		struct sq_buf ids = SQ_BUF_INIT;
		char *s;

		r = row(b, t);
		put_text(b, t, r, 0, e->figure, e->figure);
		if (!strcmp(e->figure, "appeals_by_channel"))
			put_or(b, t, r, 1, e->key, NONE_CHANNEL);
		put_int(b, t, r, 2, (int64_t)e->n);
		for (j = 0; j < e->n; j++)
			if (sq_buf_addf(&ids, "%sC%" PRId64, j ? " " : "", e->ids[j]))
				b->oom = 1;
		s = b->oom ? NULL : sq_buf_detach(&ids);
		sq_buf_release(&ids);
		if (!s)
			b->oom = 1;
		put(b, t, r, 3, s, NULL);
	}
}

sq_err report_build(const struct digest *d, const struct report_ctx *ctx, struct report *r,
		    struct sq_error *err)
{
	struct bld b = { .r = r, .ctx = ctx };

	memset(r, 0, sizeof(*r));
	if (d->o.period)
		r->title = dupf(&b, "诉求%s统计 %s",
				d->o.period_label && strlen(d->o.period_label) == 4 ? "年度" : "月度",
				d->o.period_label ? d->o.period_label : "");
	else
		r->title = dup(&b, d->o.by ? "诉求分组统计" : "诉求摘要");
	header(&b, d);
	if (d->o.by != DIGEST_BY_NONE) {
		r->wide_csv = 1;
		pivot(&b, d);
		note(&b, def_complaints);
		note(&b, def_incidents);
		note(&b, def_registered);
		note(&b, def_resolved);
		note(&b, def_on_time);
		note(&b, def_satisfaction);
	} else if (d->o.period) {
		annual(&b, d);
		appeals_by(&b, &d->channels, 1);
		appeals_by(&b, &d->sources, 0);
		explain(&b, d);
		note(&b, "受理群众诉求：期间内受理、状态不是作废（void）的诉求，各类型都算。");
		note(&b, def_resolved);
		note(&b, def_disputes);
		note(&b, def_on_time);
		note(&b, def_satisfaction);
		enterprise_note(&b, d);
	} else {
		totals(&b, d);
		by_source_channel(&b, d);
		top(&b, d, &d->categories, 1);
		top(&b, d, &d->communities, 0);
		new_incidents(&b, d);
		flags(&b, d);
		overdue(&b, d);
		resolution(&b, &d->total);
		unmapped(&b, d);
		quarantine(&b, d);
		feeds(&b, d);
		note(&b, def_complaints);
		note(&b, def_incidents);
		note(&b, def_registered);
		note(&b, def_resolved);
		note(&b, def_on_time);
		note(&b, def_satisfaction);
		note(&b, def_overdue);
		if (d->has_flags)
			note(&b, def_flags);
		note(&b, def_unmapped);
	}
	note(&b, def_rates);
	if (b.oom)
		return sq_fail(err, SQ_ENOMEM, "out of memory laying out the report");
	return SQ_OK;
}
