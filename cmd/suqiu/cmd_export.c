/*
 * suqiu export [--since T] [--format jsonl|csv] — every complaint with its
 * incident and flags, for analysts' tools and the labelled evaluation.
 * Times are RFC 3339 in the configured zone; contacts only masked.
 */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "buf.h"
#include "audit.h"
#include "cli.h"
#include "normalize.h"
#include "store.h"
#include "banned.h"

static const char usage[] =
	"usage: suqiu export [--since T] [--format jsonl|csv] [--unmask]\n"
	"\n"
	"Prints every complaint received at or after T (default: all), oldest\n"
	"first, one JSON object per line (jsonl, the default) or as CSV with a\n"
	"header row.  T is a date or time (2024-05-01, 2024-05-01T08:00+08:00),\n"
	"in the configured zone unless it has an offset, or a duration ago (7d).\n"
	"Fields: id, source, source_type, source_id, incident_id, received_at,\n"
	"updated_at, kind, channel, category, category_raw, street, community,\n"
	"grid, address, lat, lon, status, status_raw, deadline, title, text,\n"
	"contact_masked, flags, link_method, link_score.\n"
	"\n"
	"  --unmask   add `contact`, the full contact number, where one is stored\n"
	"             (privacy.keep_raw_contact); every use is written to the\n"
	"             audit log (suqiu audit) with your user name first\n";

struct export {
	const struct cli *cli;
	struct sq_store *st;
	int csv;
	int unmask;          /* add the full number (audited before any output) */
	char *contact;       /* this row's full number, when unmasking */
	struct sq_error err; /* what went wrong reading it */
	struct sq_buf line;
};

/* ---- JSON lines ---------------------------------------------------------- */

/* cJSON reports a failed allocation by returning NULL; collect them. */
static void add_str(cJSON *o, const char *key, const char *v, int *oom)
{
	if (!(v ? cJSON_AddStringToObject(o, key, v) : cJSON_AddNullToObject(o, key)))
		*oom = 1;
}

static void add_num(cJSON *o, const char *key, double v, int present, int *oom)
{
	if (!(present ? cJSON_AddNumberToObject(o, key, v) : cJSON_AddNullToObject(o, key)))
		*oom = 1;
}

static void add_time(const struct export *ex, cJSON *o, const char *key, int64_t t, int *oom)
{
	char buf[NORM_TIME_BUFSZ];

	if (t)
		norm_format_time(t, ex->cli->cfg.tz_offset_s, buf, sizeof(buf));
	add_str(o, key, t ? buf : NULL, oom);
}

static sq_err print_json(struct export *ex, const struct store_complaint_row *r)
{
	cJSON *o = cJSON_CreateObject(), *flags;
	int oom = !o;
	size_t i;
	char *text;

	if (oom)
		return SQ_ENOMEM;
	add_num(o, "id", (double)r->id, 1, &oom);
	add_str(o, "source", r->source, &oom);
	add_str(o, "source_type", r->source_type, &oom);
	add_str(o, "source_id", r->source_id, &oom);
	add_num(o, "incident_id", (double)r->incident_id, r->incident_id != 0, &oom);
	add_time(ex, o, "received_at", r->received_at, &oom);
	add_time(ex, o, "updated_at", r->updated_at, &oom);
	add_str(o, "kind", r->kind, &oom);
	add_str(o, "channel", r->channel, &oom);
	add_str(o, "category", r->category, &oom);
	add_str(o, "category_raw", r->category_raw, &oom);
	add_str(o, "street", r->street, &oom);
	add_str(o, "community", r->community, &oom);
	add_str(o, "grid", r->grid, &oom);
	add_str(o, "address", r->address, &oom);
	add_num(o, "lat", r->lat, r->has_pos, &oom);
	add_num(o, "lon", r->lon, r->has_pos, &oom);
	add_str(o, "status", r->status, &oom);
	add_str(o, "status_raw", r->status_raw, &oom);
	add_time(ex, o, "deadline", r->deadline, &oom);
	add_str(o, "title", r->title, &oom);
	add_str(o, "text", r->text, &oom);
	add_str(o, "contact_masked", r->contact_masked, &oom);
	if (ex->unmask)
		add_str(o, "contact", ex->contact, &oom);
	flags = cJSON_AddArrayToObject(o, "flags");
	if (!flags)
		oom = 1;
	for (i = 0; flags && i < r->nflags; i++) {
		cJSON *n = cJSON_CreateNumber((double)r->flags[i]);

		if (!n || !cJSON_AddItemToArray(flags, n)) {
			cJSON_Delete(n);
			oom = 1;
		}
	}
	add_str(o, "link_method", r->link_method, &oom);
	add_num(o, "link_score", r->link_score, r->has_score, &oom);
	text = oom ? NULL : cJSON_PrintUnformatted(o);
	cJSON_Delete(o);
	if (!text)
		return SQ_ENOMEM;
	fputs(text, stdout);
	putchar('\n');
	free(text);
	return ferror(stdout) ? SQ_EIO : SQ_OK;
}

/* ---- CSV (RFC 4180) ------------------------------------------------------ */

static const char csv_header[] =
	"id,source,source_type,source_id,incident_id,received_at,updated_at,kind,channel,"
	"category,category_raw,street,community,grid,address,lat,lon,status,status_raw,"
	"deadline,title,text,contact_masked,flags,link_method,link_score\r\n";

/* One field, quoted when it holds a comma, quote or line break. */
static sq_err csv_field(struct sq_buf *b, const char *v, int last)
{
	const char *p;
	sq_err rc = SQ_OK;

	if (v && strpbrk(v, ",\"\r\n")) {
		rc = sq_buf_addc(b, '"');
		for (p = v; !rc && *p; p++)
			rc = *p == '"' ? sq_buf_add(b, "\"\"", 2) : sq_buf_addc(b, *p);
		if (!rc)
			rc = sq_buf_addc(b, '"');
	} else if (v) {
		rc = sq_buf_adds(b, v);
	}
	if (!rc)
		rc = last ? sq_buf_add(b, "\r\n", 2) : sq_buf_addc(b, ',');
	return rc;
}

static sq_err csv_time(const struct export *ex, struct sq_buf *b, int64_t t)
{
	char buf[NORM_TIME_BUFSZ];

	if (t)
		norm_format_time(t, ex->cli->cfg.tz_offset_s, buf, sizeof(buf));
	return csv_field(b, t ? buf : NULL, 0);
}

static sq_err csv_int(struct sq_buf *b, int64_t v, int present)
{
	char buf[32];

	snprintf(buf, sizeof(buf), "%" PRId64, v);
	return csv_field(b, present ? buf : NULL, 0);
}

static sq_err csv_double(struct sq_buf *b, double v, int present, int last)
{
	char buf[40];

	snprintf(buf, sizeof(buf), "%.7g", v);
	return csv_field(b, present ? buf : NULL, last);
}

static sq_err print_csv(struct export *ex, const struct store_complaint_row *r)
{
	struct sq_buf *b = &ex->line, flags = SQ_BUF_INIT;
	size_t i;
	sq_err rc = SQ_OK;

	sq_buf_reset(b);
	for (i = 0; !rc && i < r->nflags; i++)
		rc = sq_buf_addf(&flags, "%s%" PRId64, i ? ";" : "", r->flags[i]);
	if (!rc)
		rc = csv_int(b, r->id, 1);
	if (!rc)
		rc = csv_field(b, r->source, 0);
	if (!rc)
		rc = csv_field(b, r->source_type, 0);
	if (!rc)
		rc = csv_field(b, r->source_id, 0);
	if (!rc)
		rc = csv_int(b, r->incident_id, r->incident_id != 0);
	if (!rc)
		rc = csv_time(ex, b, r->received_at);
	if (!rc)
		rc = csv_time(ex, b, r->updated_at);
	if (!rc)
		rc = csv_field(b, r->kind, 0);
	if (!rc)
		rc = csv_field(b, r->channel, 0);
	if (!rc)
		rc = csv_field(b, r->category, 0);
	if (!rc)
		rc = csv_field(b, r->category_raw, 0);
	if (!rc)
		rc = csv_field(b, r->street, 0);
	if (!rc)
		rc = csv_field(b, r->community, 0);
	if (!rc)
		rc = csv_field(b, r->grid, 0);
	if (!rc)
		rc = csv_field(b, r->address, 0);
	if (!rc)
		rc = csv_double(b, r->lat, r->has_pos, 0);
	if (!rc)
		rc = csv_double(b, r->lon, r->has_pos, 0);
	if (!rc)
		rc = csv_field(b, r->status, 0);
	if (!rc)
		rc = csv_field(b, r->status_raw, 0);
	if (!rc)
		rc = csv_time(ex, b, r->deadline);
	if (!rc)
		rc = csv_field(b, r->title, 0);
	if (!rc)
		rc = csv_field(b, r->text, 0);
	if (!rc)
		rc = csv_field(b, r->contact_masked, 0);
	if (!rc)
		rc = csv_field(b, sq_buf_str(&flags), 0);
	if (!rc)
		rc = csv_field(b, r->link_method, 0);
	if (!rc)
		rc = csv_double(b, r->link_score, r->has_score, !ex->unmask);
	if (!rc && ex->unmask)
		rc = csv_field(b, ex->contact, 1);
	sq_buf_release(&flags);
	if (rc)
		return rc;
	fwrite(b->data, 1, b->len, stdout);
	return ferror(stdout) ? SQ_EIO : SQ_OK;
}

static sq_err row_cb(void *ctx, const struct store_complaint_row *r)
{
	struct export *ex = ctx;
	sq_err rc;

	free(ex->contact);
	ex->contact = NULL;
	if (ex->unmask && (rc = store_contact_raw(ex->st, r->id, &ex->contact, &ex->err)))
		return rc;
	return ex->csv ? print_csv(ex, r) : print_json(ex, r);
}

CMD(export)
{
	struct export ex = { .cli = cli };
	struct store_complaint_filter f = { 0 };
	struct sq_error err = { 0 };
	struct sq_store *st = NULL;
	const char *since = NULL, *format = "jsonl";
	int i, status;
	sq_err rc;

	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--since") && i + 1 < argc)
			since = argv[++i];
		else if (!strncmp(argv[i], "--since=", 8))
			since = argv[i] + 8;
		else if (!strcmp(argv[i], "--format") && i + 1 < argc)
			format = argv[++i];
		else if (!strncmp(argv[i], "--format=", 9))
			format = argv[i] + 9;
		else if (!strcmp(argv[i], "--unmask"))
			ex.unmask = 1;
		else
			return cli_usage_error("export", "unexpected '%s'\n%s", argv[i], usage);
	}
	if (strcmp(format, "jsonl") && strcmp(format, "csv"))
		return cli_usage_error("export", "--format: '%s' is neither jsonl nor csv", format);
	ex.csv = !strcmp(format, "csv");
	if (since && norm_time_arg(since, cli->cfg.tz_offset_s, (int64_t)time(NULL), &f.since,
				   &err)) {
		cli_error("export: --since", &err);
		return EXIT_USAGE;
	}
	status = cli_open_store(cli, &st);
	if (status)
		return status;
	ex.st = st;
	if (ex.unmask) {
		int64_t n = 0;

		rc = store_count_contact_raw(st, f.since, &n, &err);
		if (rc) {
			cli_error("export", &err);
			store_close(st);
			return EXIT_PARTIAL;
		}
		status = audit_unmask(cli, st, "export", n, since ? "the complaints since then"
								   : "the store");
		if (status) {
			store_close(st);
			return status;
		}
	}
	if (ex.csv) {
		/* The header row without its line end, so --unmask can add a column. */
		fwrite(csv_header, 1, sizeof(csv_header) - 3, stdout);
		fputs(ex.unmask ? ",contact\r\n" : "\r\n", stdout);
	}
	rc = store_complaint_each(st, &f, row_cb, &ex, &err);
	if (rc && ex.err.code)
		err = ex.err;
	else if (rc == SQ_ENOMEM || rc == SQ_EIO)
		sq_fail(&err, rc, "%s", rc == SQ_EIO ? "writing output failed" : "out of memory");
	if (rc)
		cli_error("export", &err);
	sq_buf_release(&ex.line);
	free(ex.contact);
	store_close(st);
	return rc ? EXIT_PARTIAL : EXIT_OK;
}
