/* The report as aligned plain text for a terminal or a mail body. */
#include <string.h>

#include "report.h"
#include "uwidth.h"
#include "banned.h"

/* Widest a cell may be before it is cut with "…" (titles, summaries). */
#define MAX_CELL 40
#define GAP "  "

#define BOLD "\033[1m"
#define RED "\033[31m"
#define GREEN "\033[32m"
#define RESET "\033[0m"

static size_t cell_width(const char *s)
{
	size_t w = uwidth_str(s);

	return w > MAX_CELL ? MAX_CELL : w;
}

/* s cut to MAX_CELL columns, "…" marking the cut; appended padded to width. */
static sq_err add_cell(struct sq_buf *out, const char *s, size_t width, int right, int last,
		       const char *color)
{
	size_t w = uwidth_str(s), used = 0, len = strlen(s), pad;

	if (w > MAX_CELL) {
		len = uwidth_prefix(s, MAX_CELL - 1, &used);
		w = used + 1;
	}
	pad = w < width ? width - w : 0;
	if (right)
		for (; pad; pad--)
			if (sq_buf_addc(out, ' '))
				return SQ_ENOMEM;
	if ((color && sq_buf_adds(out, color)) || sq_buf_add(out, s, len) ||
	    (len < strlen(s) && sq_buf_adds(out, "…")) || (color && sq_buf_adds(out, RESET)))
		return SQ_ENOMEM;
	if (!right && !last)
		for (; pad; pad--)
			if (sq_buf_addc(out, ' '))
				return SQ_ENOMEM;
	return SQ_OK;
}

static const char *change_color(const struct report_table *t, size_t c, const char *plain)
{
	if (!t->names || strcmp(t->names[c], "change") || !plain[0] || !strcmp(plain, "0"))
		return NULL;
	/* More complaints than before is the worse direction. */
	return plain[0] == '-' ? GREEN : RED;
}

/* Empty trailing cells must not leave spaces at the end of a line. */
static sq_err end_line(struct sq_buf *out)
{
	while (out->len && out->data[out->len - 1] == ' ')
		out->data[--out->len] = '\0';
	return sq_buf_addc(out, '\n');
}

static sq_err table_text(const struct report_table *t, const struct report_ctx *ctx,
			 struct sq_buf *out)
{
	size_t width[16] = { 0 }, r, c;

	if (t->ncols > sizeof(width) / sizeof(width[0]))
		return SQ_EUSAGE;
	if (sq_buf_addf(out, "%s== %s ==%s\n", ctx->color ? BOLD : "", t->title,
			ctx->color ? RESET : ""))
		return SQ_ENOMEM;
	if (!t->nrows)
		return sq_buf_addf(out, "  %s\n", t->empty ? t->empty : "（无）");
	for (c = 0; c < t->ncols; c++) {
		width[c] = cell_width(t->heads[c]);
		for (r = 0; r < t->nrows; r++) {
			size_t w = cell_width(t->text[r * t->ncols + c]);

			if (w > width[c])
				width[c] = w;
		}
	}
	for (c = 0; c < t->ncols; c++)
		if ((c && sq_buf_adds(out, GAP)) ||
		    add_cell(out, t->heads[c], width[c], (t->right >> c) & 1, c + 1 == t->ncols,
			     ctx->color ? BOLD : NULL))
			return SQ_ENOMEM;
	if (end_line(out))
		return SQ_ENOMEM;
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++) {
			size_t i = r * t->ncols + c;
			const char *color = ctx->color ? change_color(t, c, t->plain[i]) : NULL;

			if ((c && sq_buf_adds(out, GAP)) ||
			    add_cell(out, t->text[i], width[c], (t->right >> c) & 1,
				     c + 1 == t->ncols, color))
				return SQ_ENOMEM;
		}
		if (end_line(out))
			return SQ_ENOMEM;
	}
	if (t->note && sq_buf_addf(out, "  %s\n", t->note))
		return SQ_ENOMEM;
	return SQ_OK;
}

sq_err report_text(const struct report *r, const struct report_ctx *ctx, struct sq_buf *out)
{
	size_t i;
	sq_err rc;

	if (sq_buf_addf(out, "%s%s%s\n", ctx->color ? BOLD : "", r->title, ctx->color ? RESET : ""))
		return SQ_ENOMEM;
	for (i = 0; i < r->nlines; i++)
		if (sq_buf_addf(out, "%s\n", r->lines[i]))
			return SQ_ENOMEM;
	for (i = 0; i < r->ntables; i++) {
		if (sq_buf_addc(out, '\n'))
			return SQ_ENOMEM;
		rc = table_text(&r->tables[i], ctx, out);
		if (rc)
			return rc;
	}
	if (r->nnotes && sq_buf_addf(out, "\n%s说明%s\n", ctx->color ? BOLD : "",
				     ctx->color ? RESET : ""))
		return SQ_ENOMEM;
	for (i = 0; i < r->nnotes; i++)
		if (sq_buf_addf(out, "- %s\n", r->notes[i]))
			return SQ_ENOMEM;
	return SQ_OK;
}
