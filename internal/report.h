/*
 * report.h — rendering the digest (and search results) for people and
 * programs.  Only cmd/ writes to stdout: every renderer here appends to an
 * sq_buf.
 *
 * The digest is first laid out as a report: a title, period lines, and
 * tables of cells, each cell with a display text (Chinese labels, local
 * times, "66.7%") and a plain value (integers, ratios, RFC 3339 times) for
 * machines.  text, md, csv and the tables of html render that layout, so
 * every format shows the same rows; json is written from the digest
 * itself with the field names docs/digest.md documents, and html adds its
 * charts from the digest too.
 */
#ifndef SUQIU_REPORT_H
#define SUQIU_REPORT_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "digest.h"
#include "error.h"

struct sq_taxonomy;

/* How to name things: the configured zone and, if loaded, category names. */
struct report_ctx {
	int tz_offset_s;
	const struct sq_taxonomy *taxonomy;   /* NULL: category keys as they are */
	int color;                            /* ANSI colours (text on a terminal only) */
	int64_t generated_at;                 /* when the report was made */
};

struct report_table {
	const char *id;            /* stable name: CSV section, HTML anchor, "top_categories" */
	const char *title;         /* heading ("类别排行") */
	size_t ncols;
	size_t nkeys;              /* the first nkeys columns identify a row (1 or 2) */
	const char *const *heads;  /* ncols display headers */
	const char *const *names;  /* ncols machine names (CSV metric, JSON-like) */
	unsigned right;            /* bit i set: column i is a number, right-aligned */
	size_t nrows;
	char **text;               /* nrows * ncols display cells, never NULL */
	char **plain;              /* nrows * ncols machine values, never NULL ("" = absent) */
	char *note;                /* a line under the table, or NULL */
	const char *empty;         /* what to say when there are no rows */
};

struct report {
	char *title;               /* "诉求摘要" */
	char **lines;              /* period and context lines under the title */
	size_t nlines;
	struct report_table *tables;
	size_t ntables;
	char **notes;              /* definitions of the figures, at the end */
	size_t nnotes;
	int wide_csv;              /* CSV is the one (pivot) table, wide */
	/* machine values of the period, for CSV */
	char since[40], until[40], prev_since[40];
};

/* Lay out d.  r is initialized by the call; release it either way. */
sq_err report_build(const struct digest *d, const struct report_ctx *ctx, struct report *r,
		    struct sq_error *err);
void report_release(struct report *r);

/* The category's display name: "噪声扰民" for noise, the key if unknown, "（未映射）" for NULL. */
const char *report_category_name(const struct report_ctx *ctx, const char *key);

/* Aligned columns (Chinese counts two columns); ANSI colour when ctx->color. */
sq_err report_text(const struct report *r, const struct report_ctx *ctx, struct sq_buf *out);

/* GitHub-flavoured Markdown. */
sq_err report_md(const struct report *r, struct sq_buf *out);

/*
 * CSV (RFC 4180: CRLF, fields quoted when they hold a comma, quote or line
 * break).  A summary is long form "section,key,key2,metric,value"; a pivot
 * (r->wide_csv) is its one table with a header row.  bom: start with a
 * UTF-8 byte-order mark, which Excel needs to read UTF-8.
 */
sq_err report_csv(const struct report *r, int bom, struct sq_buf *out);

/* One field, quoted when needed (exposed for tests). */
sq_err report_csv_field(struct sq_buf *out, const char *s);

/* JSON with stable field names (docs/digest.md), from the digest itself. */
sq_err report_json(const struct digest *d, const struct report_ctx *ctx, struct sq_buf *out);

/*
 * One self-contained HTML page: inline CSS and SVG, no script, no fetch;
 * prints on A4.  Needs d computed with o.charts for the trend and heat.
 */
sq_err report_html(const struct digest *d, const struct report *r, const struct report_ctx *ctx,
		   struct sq_buf *out);

/* Append s with &, <, >, " and ' escaped for HTML text and attributes. */
sq_err report_html_escape(struct sq_buf *out, const char *s);

/* ---- search results (report_search.c) ---- */

struct search_results;

/*
 * One block per hit: "C12  received  source:source_id  community  category
 * status", then the snippet indented (matches between the markers the
 * search was run with).  A closing line says when there are more hits.
 */
sq_err report_search_text(const struct search_results *res, const struct report_ctx *ctx,
			  struct sq_buf *out);

/* {"query", "ranked", "fallback", "more", "hits": [...]} (docs/digest.md). */
sq_err report_search_json(const struct search_results *res, const char *query,
			  const struct report_ctx *ctx, struct sq_buf *out);

/* The zone as "+08:00". */
void report_offset(int tz_offset_s, char out[8]);

/* Append s padded with spaces to `width` columns (display width), left or right. */
sq_err report_pad(struct sq_buf *out, const char *s, size_t width, int right);

#endif
