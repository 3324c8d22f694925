/*
 * The digest as one self-contained HTML page: inline CSS, inline SVG
 * charts, no script and no external resource, so that it can be mailed,
 * archived and opened offline, and printed on A4 (@page and print rules).
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report.h"
#include "banned.h"

#define MAX_HEAT_ROWS 15
#define MAX_HEAT_COLS 8

static const char css[] =
	"@page{size:A4;margin:14mm 12mm}"
	":root{--ink:#1f2933;--muted:#5f6b7a;--line:#d9dee3;--up:#b3261e;--down:#2e7d32;"
	"--bar:#2f6db5;--bar2:#b8c7dc}"
	"*{box-sizing:border-box}"
	"body{font-family:\"Noto Sans CJK SC\",\"Source Han Sans SC\",\"PingFang SC\","
	"\"Microsoft YaHei\",\"WenQuanYi Zen Hei\",sans-serif;color:var(--ink);margin:0 auto;"
	"max-width:186mm;padding:8mm 4mm;font-size:10.5pt;line-height:1.45;"
	"-webkit-print-color-adjust:exact;print-color-adjust:exact}"
	"h1{font-size:18pt;margin:0 0 2mm}"
	"h2{font-size:12.5pt;margin:6mm 0 2mm;border-bottom:1.5pt solid var(--ink);padding-bottom:1mm}"
	"h3{font-size:10.5pt;margin:3mm 0 1mm}"
	".meta{color:var(--muted);margin:0}"
	".kpis{display:grid;grid-template-columns:repeat(4,1fr);gap:3mm;margin:5mm 0}"
	".kpi{border:1px solid var(--line);border-radius:2mm;padding:2.5mm 3mm}"
	".kpi b{display:block;font-size:16pt;font-variant-numeric:tabular-nums}"
	".kpi span{color:var(--muted);font-size:9pt}"
	"table{border-collapse:collapse;width:100%;font-size:9.5pt}"
	"th,td{border-bottom:1px solid var(--line);padding:1.2mm 2mm;text-align:left;vertical-align:top}"
	"th{background:#f1f3f5;font-weight:600}"
	"th,td{white-space:nowrap}td:last-child{white-space:normal}"
	".n{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}"
	".up{color:var(--up)}.down{color:var(--down)}"
	".note,.empty{color:var(--muted);font-size:9pt;margin:1mm 0 0}"
	".chart{break-inside:avoid;margin:0 0 2mm}"
	".trends{display:grid;grid-template-columns:1fr 1fr;gap:0 6mm}"
	"svg{display:block;width:100%;height:auto}"
	"svg text{font-size:10px;fill:var(--muted)}"
	"svg .label{fill:var(--ink);font-size:11px}"
	".heat td,.heat th{text-align:center;padding:1mm 1mm}"
	".heat th:first-child,.heat td:first-child{text-align:left}"
	"footer{margin-top:6mm;color:var(--muted);font-size:8.5pt}"
	"footer li{margin:0 0 1mm}"
	"@media print{body{max-width:none;padding:0}h2,h3{break-after:avoid}"
	"tr{break-inside:avoid}thead{display:table-header-group}}";

sq_err report_html_escape(struct sq_buf *out, const char *s)
{
	for (; s && *s; s++) {
		const char *e = NULL;

		switch (*s) {
		case '&': e = "&amp;"; break;
		case '<': e = "&lt;"; break;
		case '>': e = "&gt;"; break;
		case '"': e = "&quot;"; break;
		case '\'': e = "&#39;"; break;
		default: break;
		}
		if (e ? sq_buf_adds(out, e) : sq_buf_addc(out, *s))
			return SQ_ENOMEM;
	}
	return SQ_OK;
}

struct html {
	struct sq_buf *out;
	int oom;
};

static void raw(struct html *h, const char *s)
{
	if (!h->oom && sq_buf_adds(h->out, s))
		h->oom = 1;
}

static void esc(struct html *h, const char *s)
{
	if (!h->oom && report_html_escape(h->out, s))
		h->oom = 1;
}

static void fmt(struct html *h, const char *f, ...) __attribute__((format(printf, 2, 3)));

static void fmt(struct html *h, const char *f, ...)
{
	va_list ap;

	if (h->oom)
		return;
	va_start(ap, f);
	if (sq_buf_vaddf(h->out, f, ap))
		h->oom = 1;
	va_end(ap);
}

static const struct report_table *find_table(const struct report *r, const char *id)
{
	size_t i;

	for (i = 0; i < r->ntables; i++)
		if (!strcmp(r->tables[i].id, id))
			return &r->tables[i];
	return NULL;
}

static void table(struct html *h, const struct report_table *t)
{
	size_t r, c;

	if (!t)
		return;
	fmt(h, "<section id=\"%s\"><h2>", t->id);
	esc(h, t->title);
	raw(h, "</h2>\n");
	if (!t->nrows) {
		raw(h, "<p class=\"empty\">");
		esc(h, t->empty ? t->empty : "（无）");
		raw(h, "</p></section>\n");
		return;
	}
	raw(h, "<table><thead><tr>");
	for (c = 0; c < t->ncols; c++) {
		raw(h, (t->right >> c) & 1 ? "<th class=\"n\">" : "<th>");
		esc(h, t->heads[c]);
		raw(h, "</th>");
	}
	raw(h, "</tr></thead>\n<tbody>\n");
	for (r = 0; r < t->nrows; r++) {
		raw(h, "<tr>");
		for (c = 0; c < t->ncols; c++) {
			const char *plain = t->plain[r * t->ncols + c];
			const char *cls = (t->right >> c) & 1 ? "n" : NULL;

			if (t->names && !strcmp(t->names[c], "change") && plain[0] && strcmp(plain, "0"))
				cls = plain[0] == '-' ? "n down" : "n up";
			if (cls)
				fmt(h, "<td class=\"%s\">", cls);
			else
				raw(h, "<td>");
			esc(h, t->text[r * t->ncols + c]);
			raw(h, "</td>");
		}
		raw(h, "</tr>\n");
	}
	raw(h, "</tbody></table>\n");
	if (t->note) {
		raw(h, "<p class=\"note\">");
		esc(h, t->note);
		raw(h, "</p>\n");
	}
	raw(h, "</section>\n");
}

static void kpi(struct html *h, const char *label, const char *value, const char *sub)
{
	raw(h, "<div class=\"kpi\"><b>");
	esc(h, value);
	raw(h, "</b><span>");
	esc(h, label);
	if (sub) {
		raw(h, " · ");
		esc(h, sub);
	}
	raw(h, "</span></div>\n");
}

static void kpi_rate(struct html *h, const char *label, int64_t num, int64_t den)
{
	char v[32], sub[64];
	double x;

	if (digest_rate(num, den, &x))
		snprintf(v, sizeof(v), "%.1f%%", x * 100.0);
	else
		snprintf(v, sizeof(v), "—");
	snprintf(sub, sizeof(sub), "%" PRId64 "/%" PRId64, num, den);
	kpi(h, label, v, sub);
}

static void kpis(struct html *h, const struct digest *d)
{
	const struct store_group_row *g = &d->total;
	char v[32], sub[64];

	raw(h, "<section class=\"kpis\" id=\"kpis\">\n");
	snprintf(v, sizeof(v), "%" PRId64, g->complaints);
	snprintf(sub, sizeof(sub), "上期 %" PRId64 "，%s%" PRId64, g->previous,
		 g->complaints >= g->previous ? "+" : "", g->complaints - g->previous);
	kpi(h, "诉求件数", v, sub);
	snprintf(v, sizeof(v), "%" PRId64, g->incidents);
	if (d->has_incidents)
		snprintf(sub, sizeof(sub), "新增 %" PRId64, d->new_incidents);
	kpi(h, "事件数", v, d->has_incidents ? sub : NULL);
	kpi_rate(h, "办结率", g->resolved, g->registered);
	kpi_rate(h, "按期办结率", g->on_time, g->due);
	kpi_rate(h, "满意率", g->satisfied + g->basically_satisfied, g->rated);
	snprintf(v, sizeof(v), "%" PRId64, d->overdue);
	kpi(h, "逾期未办结", v, NULL);
	if (d->has_flags) {
		snprintf(v, sizeof(v), "%" PRId64, d->flags_open);
		snprintf(sub, sizeof(sub), "升级 %" PRId64, d->flags_escalated);
		kpi(h, "未关闭预警", v, sub);
	}
	snprintf(v, sizeof(v), "%" PRId64, d->unmapped_total + d->quarantine_total);
	snprintf(sub, sizeof(sub), "未映射 %" PRId64 "，隔离 %" PRId64, d->unmapped_total,
		 d->quarantine_total);
	kpi(h, "数据问题", v, sub);
	raw(h, "</section>\n");
}

/* ---- daily trend, one small chart per source ---------------------------- */

static int64_t day_count(const struct digest *d, const char *day, const char *source)
{
	size_t i;

	for (i = 0; i < d->trend.n; i++) {
		const struct store_group_row *g = &d->trend.v[i];

		if (g->key && !strcmp(g->key, day) &&
		    ((!source && !g->key2) || (source && g->key2 && !strcmp(g->key2, source))))
			return g->complaints;
	}
	return 0;
}

static int seen(char **v, size_t n, const char *s)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((!s && !v[i]) || (s && v[i] && !strcmp(v[i], s)))
			return 1;
	return 0;
}

static void trend_chart(struct html *h, const struct digest *d, const char *source,
			const int64_t *counts)
{
	const double W = 320, H = 112, L = 26, R = 4, T = 8, B = 20;
	double pw = W - L - R, ph = H - T - B, x, y;
	int64_t max = 1, total = 0;
	size_t i, n = d->ndays;

	for (i = 0; i < n; i++) {
		if (counts[i] > max)
			max = counts[i];
		total += counts[i];
	}
	raw(h, "<div class=\"chart\"><h3>");
	esc(h, source ? source : "（未注明来源）");
	fmt(h, " <small>合计 %" PRId64 "</small></h3>\n", total);
	fmt(h, "<svg viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"", W, H);
	esc(h, source ? source : "");
	raw(h, " 每日诉求件数\">");
	/* The digest's own period, shaded when the window reaches back before it. */
	if (d->o.since > d->trend_since && n > 1) {
		double from = (double)(d->o.since - d->trend_since) / 86400.0;

		x = L + pw * (from / (double)n);
		fmt(h, "<rect x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\" fill=\"#eef3fa\"/>",
		    x, T, L + pw - x, ph);
	}
	fmt(h, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#d9dee3\"/>", L, T + ph,
	    L + pw, T + ph);
	fmt(h, "<line x1=\"%.0f\" y1=\"%.1f\" x2=\"%.0f\" y2=\"%.1f\" stroke=\"#d9dee3\"/>", L, T, L + pw,
	    T);
	fmt(h, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">%" PRId64 "</text>", L - 4, T + 4, max);
	fmt(h, "<text x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">0</text>", L - 4, T + ph + 3);
	/* One bar per day: readable for 14 days and for 366. */
	for (i = 0; i < n; i++) {
		double bw = pw / (double)n;

		if (!counts[i])
			continue;
		y = ph * (double)counts[i] / (double)max;
		fmt(h, "<rect x=\"%.2f\" y=\"%.2f\" width=\"%.2f\" height=\"%.2f\" fill=\"#2f6db5\">"
		       "<title>%s：%" PRId64 "</title></rect>",
		    L + bw * (double)i + bw * 0.12, T + ph - y, bw * 0.76, y, d->days[i], counts[i]);
	}
	fmt(h, "<text x=\"%.0f\" y=\"%.0f\">%s</text>", L, H - 6, d->days[0]);
	fmt(h, "<text x=\"%.0f\" y=\"%.0f\" text-anchor=\"end\">%s</text>", L + pw, H - 6,
	    d->days[n - 1]);
	raw(h, "</svg></div>\n");
}

static void trends(struct html *h, const struct digest *d)
{
	char **sources = NULL;
	int64_t *counts = NULL;
	size_t ns = 0, i, j;

	if (!d->ndays)
		return;
	raw(h, "<section id=\"trend\"><h2>每日趋势（按来源）</h2>\n");
	fmt(h, "<p class=\"note\">%s 至 %s，共 %zu 天；浅蓝底为本期。</p>\n", d->days[0],
	    d->days[d->ndays - 1], d->ndays);
	sources = calloc(d->trend.n + 1, sizeof(*sources));
	counts = calloc(d->ndays, sizeof(*counts));
	if (!sources || !counts) {
		h->oom = 1;
		goto out;
	}
	for (i = 0; i < d->trend.n; i++)
		if (!seen(sources, ns, d->trend.v[i].key2))
			sources[ns++] = d->trend.v[i].key2;
	if (!ns)
		raw(h, "<p class=\"empty\">这段时间没有诉求。</p>\n");
	raw(h, "<div class=\"trends\">\n");
	for (i = 0; i < ns; i++) {
		for (j = 0; j < d->ndays; j++)
			counts[j] = day_count(d, d->days[j], sources[i]);
		trend_chart(h, d, sources[i], counts);
	}
	raw(h, "</div></section>\n");
out:
	free(sources);
	free(counts);
}

/* ---- categories as bars, this period against the previous --------------- */

static void category_bars(struct html *h, const struct digest *d, const struct report_ctx *ctx)
{
	const double W = 640, L = 130, R = 60, row = 22;
	size_t n = 0, i;
	int64_t max = 1;
	double H, pw = W - L - R;

	for (i = 0; i < d->categories.n && n < d->o.top; i++) {
		if (!d->categories.v[i].complaints)
			break;
		n++;
		if (d->categories.v[i].complaints > max)
			max = d->categories.v[i].complaints;
		if (d->categories.v[i].previous > max)
			max = d->categories.v[i].previous;
	}
	if (!n)
		return;
	H = row * (double)n + 24;
	raw(h, "<section id=\"category-bars\" class=\"chart\"><h2>类别（深色本期，浅色上期）</h2>\n");
	fmt(h, "<svg viewBox=\"0 0 %.0f %.0f\" role=\"img\" aria-label=\"类别排行\">", W, H);
	for (i = 0; i < n; i++) {
		const struct store_group_row *g = &d->categories.v[i];
		double y = (double)i * row + 4, w1 = pw * (double)g->complaints / (double)max,
		       w2 = pw * (double)g->previous / (double)max;

		fmt(h, "<text class=\"label\" x=\"%.0f\" y=\"%.1f\" text-anchor=\"end\">", L - 6, y + 12);
		esc(h, report_category_name(ctx, g->key));
		raw(h, "</text>");
		fmt(h, "<rect x=\"%.0f\" y=\"%.1f\" width=\"%.1f\" height=\"11\" fill=\"#2f6db5\"/>", L, y,
		    w1);
		fmt(h, "<rect x=\"%.0f\" y=\"%.1f\" width=\"%.1f\" height=\"5\" fill=\"#b8c7dc\"/>", L,
		    y + 12, w2);
		fmt(h, "<text x=\"%.1f\" y=\"%.1f\">%" PRId64 "（上期 %" PRId64 "）</text>", L + w1 + 4,
		    y + 10, g->complaints, g->previous);
	}
	raw(h, "</svg></section>\n");
}

/* ---- community x category heat table ------------------------------------ */

static int64_t heat_count(const struct digest *d, const char *community, const char *category)
{
	size_t i;
	int64_t n = 0;

	for (i = 0; i < d->heat.n; i++) {
		const struct store_group_row *g = &d->heat.v[i];

		if (((!community && !g->key) || (community && g->key && !strcmp(g->key, community))) &&
		    ((!category && !g->key2) || (category && g->key2 && !strcmp(g->key2, category))))
			n += g->complaints;
	}
	return n;
}

/* Distinct keys (or key2s) by total, biggest first, at most max. */
static size_t top_keys(const struct store_group_rows *rows, int second, char **out, int64_t *sum,
		       size_t max)
{
	size_t n = 0, i, j;

	for (i = 0; i < rows->n; i++) {
		char *k = second ? rows->v[i].key2 : rows->v[i].key;

		for (j = 0; j < n; j++)
			if ((!k && !out[j]) || (k && out[j] && !strcmp(k, out[j])))
				break;
		if (j == n) {
			out[n] = k;
			sum[n++] = 0;
		}
		sum[j] += rows->v[i].complaints;
	}
	/* Insertion sort: the lists are short. */
	for (i = 1; i < n; i++)
		for (j = i; j > 0 && sum[j] > sum[j - 1]; j--) {
			char *tk = out[j];
			int64_t ts = sum[j];

			out[j] = out[j - 1], sum[j] = sum[j - 1];
			out[j - 1] = tk, sum[j - 1] = ts;
		}
	return n < max ? n : max;
}

static void heat(struct html *h, const struct digest *d, const struct report_ctx *ctx)
{
	char **rows = NULL, **cols = NULL;
	int64_t *rsum = NULL, *csum = NULL, max = 1, v;
	size_t nr, nc, i, j;

	if (!d->heat.n)
		return;
	rows = calloc(d->heat.n, sizeof(*rows));
	cols = calloc(d->heat.n, sizeof(*cols));
	rsum = calloc(d->heat.n, sizeof(*rsum));
	csum = calloc(d->heat.n, sizeof(*csum));
	if (!rows || !cols || !rsum || !csum) {
		h->oom = 1;
		goto out;
	}
	nr = top_keys(&d->heat, 0, rows, rsum, MAX_HEAT_ROWS);
	nc = top_keys(&d->heat, 1, cols, csum, MAX_HEAT_COLS);
	for (i = 0; i < nr; i++)
		for (j = 0; j < nc; j++)
			if ((v = heat_count(d, rows[i], cols[j])) > max)
				max = v;
	raw(h, "<section id=\"heat\"><h2>社区 × 类别（本期）</h2>\n<table class=\"heat\"><thead><tr><th>社区</th>");
	for (j = 0; j < nc; j++) {
		raw(h, "<th>");
		esc(h, report_category_name(ctx, cols[j]));
		raw(h, "</th>");
	}
	raw(h, "<th>合计</th></tr></thead>\n<tbody>\n");
	for (i = 0; i < nr; i++) {
		raw(h, "<tr><td>");
		esc(h, rows[i] ? rows[i] : "（未识别）");
		raw(h, "</td>");
		for (j = 0; j < nc; j++) {
			double a;

			v = heat_count(d, rows[i], cols[j]);
			if (!v) {
				raw(h, "<td></td>");
				continue;
			}
			a = 0.12 + 0.78 * (double)v / (double)max;
			fmt(h, "<td style=\"background:rgba(179,38,30,%.2f);color:%s\">%" PRId64 "</td>", a,
			    a > 0.55 ? "#fff" : "#1f2933", v);
		}
		fmt(h, "<td class=\"n\"><b>%" PRId64 "</b></td></tr>\n", rsum[i]);
	}
	raw(h, "</tbody></table>\n");
	if (top_keys(&d->heat, 0, rows, rsum, SIZE_MAX) > nr ||
	    top_keys(&d->heat, 1, cols, csum, SIZE_MAX) > nc)
		fmt(h, "<p class=\"note\">列出件数最多的 %d 个社区和 %d 个类别。</p>\n", MAX_HEAT_ROWS,
		    MAX_HEAT_COLS);
	raw(h, "</section>\n");
out:
	free(rows);
	free(cols);
	free(rsum);
	free(csum);
}

sq_err report_html(const struct digest *d, const struct report *r, const struct report_ctx *ctx,
		   struct sq_buf *out)
{
	static const char *const first[] = { "flags", "overdue", "new_incidents", "resolution" };
	struct html h = { .out = out };
	size_t i, j;

	raw(&h, "<!DOCTYPE html>\n<html lang=\"zh-CN\">\n<head>\n<meta charset=\"utf-8\">\n"
		"<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
		"<meta name=\"generator\" content=\"suqiu\">\n<title>");
	esc(&h, r->title);
	if (r->nlines) {
		raw(&h, " · ");
		esc(&h, r->lines[0]);
	}
	raw(&h, "</title>\n<style>");
	raw(&h, css);
	raw(&h, "</style>\n</head>\n<body>\n<header><h1>");
	esc(&h, r->title);
	raw(&h, "</h1>\n");
	for (i = 0; i < r->nlines; i++) {
		raw(&h, "<p class=\"meta\">");
		esc(&h, r->lines[i]);
		raw(&h, "</p>\n");
	}
	raw(&h, "</header>\n<main>\n");
	if (!d->o.by && !d->o.period) {
		kpis(&h, d);
		trends(&h, d);
		category_bars(&h, d, ctx);
		heat(&h, d, ctx);
		for (i = 0; i < sizeof(first) / sizeof(first[0]); i++)
			table(&h, find_table(r, first[i]));
		for (i = 0; i < r->ntables; i++) {
			for (j = 0; j < sizeof(first) / sizeof(first[0]); j++)
				if (!strcmp(r->tables[i].id, first[j]))
					break;
			if (j == sizeof(first) / sizeof(first[0]) && strcmp(r->tables[i].id, "totals"))
				table(&h, &r->tables[i]);
		}
	} else {
		for (i = 0; i < r->ntables; i++)
			table(&h, &r->tables[i]);
		trends(&h, d);
		heat(&h, d, ctx);
	}
	raw(&h, "</main>\n<footer><h2>说明</h2><ul>\n");
	for (i = 0; i < r->nnotes; i++) {
		raw(&h, "<li>");
		esc(&h, r->notes[i]);
		raw(&h, "</li>\n");
	}
	raw(&h, "</ul></footer>\n</body>\n</html>\n");
	return h.oom ? SQ_ENOMEM : SQ_OK;
}
