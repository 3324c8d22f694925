/*
 * The report as CSV (RFC 4180) for spreadsheets: the one pivot table
 * wide, or a summary in long form, one figure per record.
 */
#include <string.h>

#include "report.h"
#include "banned.h"

#define CRLF "\r\n"

/*
 * A spreadsheet runs a cell that starts with = + - @ (or tab, CR) as a
 * formula: citizens write titles, so such text gets a leading apostrophe
 * (OWASP's advice).  Numbers, which may start with '-', are left alone.
 */
static int formula_like(const char *s)
{
	const char *p;

	if (!strchr("=+-@\t\r", s[0]) || !s[0])
		return 0;
	for (p = s + (s[0] == '-' || s[0] == '+'); *p; p++)
		if (!strchr("0123456789.", *p))
			return 1;
	return p == s + 1;
}

sq_err report_csv_field(struct sq_buf *out, const char *s)
{
	int quote = strpbrk(s, ",\"\r\n") != NULL;
	const char *p;

	if (quote && sq_buf_addc(out, '"'))
		return SQ_ENOMEM;
	if (formula_like(s) && sq_buf_addc(out, '\''))
		return SQ_ENOMEM;
	for (p = s; *p; p++)
		if ((*p == '"' && sq_buf_addc(out, '"')) || sq_buf_addc(out, *p))
			return SQ_ENOMEM;
	if (quote && sq_buf_addc(out, '"'))
		return SQ_ENOMEM;
	return SQ_OK;
}

static sq_err record(struct sq_buf *out, const char *const *fields, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if ((i && sq_buf_addc(out, ',')) || report_csv_field(out, fields[i]))
			return SQ_ENOMEM;
	return sq_buf_adds(out, CRLF);
}

static sq_err wide(const struct report_table *t, struct sq_buf *out)
{
	size_t r;

	if (record(out, t->names, t->ncols))
		return SQ_ENOMEM;
	for (r = 0; r < t->nrows; r++)
		if (record(out, (const char *const *)&t->plain[r * t->ncols], t->ncols))
			return SQ_ENOMEM;
	return SQ_OK;
}

static sq_err long_form(const struct report *rep, struct sq_buf *out)
{
	static const char *const head[] = { "section", "key", "key2", "metric", "value" };
	const char *f[5];
	size_t i, r, c;

	if (record(out, head, 5))
		return SQ_ENOMEM;
	f[0] = "period", f[1] = "", f[2] = "";
	f[3] = "since", f[4] = rep->since;
	if (record(out, f, 5))
		return SQ_ENOMEM;
	f[3] = "until", f[4] = rep->until;
	if (record(out, f, 5))
		return SQ_ENOMEM;
	f[3] = "previous_since", f[4] = rep->prev_since;
	if (record(out, f, 5))
		return SQ_ENOMEM;
	for (i = 0; i < rep->ntables; i++) {
		const struct report_table *t = &rep->tables[i];

		for (r = 0; r < t->nrows; r++) {
			char **row = &t->plain[r * t->ncols];

			f[0] = t->id;
			f[1] = row[0];
			f[2] = t->nkeys > 1 ? row[1] : "";
			for (c = t->nkeys; c < t->ncols; c++) {
				f[3] = t->names[c];
				f[4] = row[c];
				if (record(out, f, 5))
					return SQ_ENOMEM;
			}
		}
	}
	return SQ_OK;
}

sq_err report_csv(const struct report *r, int bom, struct sq_buf *out)
{
	if (bom && sq_buf_adds(out, "\xEF\xBB\xBF"))
		return SQ_ENOMEM;
	if (r->wide_csv && r->ntables)
		return wide(&r->tables[0], out);
	return long_form(r, out);
}
