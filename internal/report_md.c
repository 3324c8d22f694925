/* The report as GitHub-flavoured Markdown (for wikis and issue trackers). */
#include <string.h>

#include "report.h"
#include "banned.h"

/* Cell text with Markdown's table and emphasis characters escaped. */
static sq_err add_escaped(struct sq_buf *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\n' || *s == '\r') {
			if (sq_buf_addc(out, ' '))
				return SQ_ENOMEM;
			continue;
		}
		if (strchr("\\|`*_<>[]#", *s) && sq_buf_addc(out, '\\'))
			return SQ_ENOMEM;
		if (sq_buf_addc(out, *s))
			return SQ_ENOMEM;
	}
	return SQ_OK;
}

static sq_err table_md(const struct report_table *t, struct sq_buf *out)
{
	size_t r, c;

	if (sq_buf_addf(out, "\n## %s\n\n", t->title))
		return SQ_ENOMEM;
	if (!t->nrows)
		return sq_buf_addf(out, "%s\n", t->empty ? t->empty : "（无）");
	for (c = 0; c < t->ncols; c++)
		if (sq_buf_adds(out, "| ") || add_escaped(out, t->heads[c]) || sq_buf_addc(out, ' '))
			return SQ_ENOMEM;
	if (sq_buf_adds(out, "|\n"))
		return SQ_ENOMEM;
	for (c = 0; c < t->ncols; c++)
		if (sq_buf_adds(out, (t->right >> c) & 1 ? "|---:" : "|---"))
			return SQ_ENOMEM;
	if (sq_buf_adds(out, "|\n"))
		return SQ_ENOMEM;
	for (r = 0; r < t->nrows; r++) {
		for (c = 0; c < t->ncols; c++)
			if (sq_buf_adds(out, "| ") || add_escaped(out, t->text[r * t->ncols + c]) ||
			    sq_buf_addc(out, ' '))
				return SQ_ENOMEM;
		if (sq_buf_adds(out, "|\n"))
			return SQ_ENOMEM;
	}
	if (t->note && (sq_buf_adds(out, "\n") || add_escaped(out, t->note) ||
			sq_buf_adds(out, "\n")))
		return SQ_ENOMEM;
	return SQ_OK;
}

sq_err report_md(const struct report *r, struct sq_buf *out)
{
	size_t i;

	if (sq_buf_adds(out, "# ") || add_escaped(out, r->title) || sq_buf_adds(out, "\n\n"))
		return SQ_ENOMEM;
	for (i = 0; i < r->nlines; i++)
		if (add_escaped(out, r->lines[i]) || sq_buf_adds(out, "  \n"))
			return SQ_ENOMEM;
	for (i = 0; i < r->ntables; i++)
		if (table_md(&r->tables[i], out))
			return SQ_ENOMEM;
	if (r->nnotes && sq_buf_adds(out, "\n## 说明\n\n"))
		return SQ_ENOMEM;
	for (i = 0; i < r->nnotes; i++)
		if (sq_buf_adds(out, "- ") || add_escaped(out, r->notes[i]) || sq_buf_addc(out, '\n'))
			return SQ_ENOMEM;
	return SQ_OK;
}
