/*
 * suqiu show ID — one complaint or one incident, with why each complaint is
 * in its incident (the stored comparisons), the analysts' decisions, and
 * the complaint's earlier states.
 */
#include <cjson/cJSON.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "audit.h"
#include "cli.h"
#include "dedup.h"
#include "normalize.h"
#include "store.h"
#include "banned.h"

static const char usage[] =
	"usage: suqiu show ID [--unmask]\n"
	"\n"
	"ID is C<id> (a complaint), I<id> (an incident) or SOURCE:SOURCE_ID.\n"
	"A complaint is shown with its incident, why it was linked, its declared\n"
	"links and its history; an incident with every member and its decisions.\n"
	"\n"
	"  --unmask   show full contact numbers where they are stored\n"
	"             (privacy.keep_raw_contact); every use is written to the audit\n"
	"             log (suqiu audit) with your user name first\n";

struct show {
	const struct cli *cli;
	struct sq_store *st;
	int64_t count;
	int unmask;         /* print full numbers (audited before any output) */
};

/* The full number of complaint id when unmasking; NULL otherwise or when
 * none is stored.  The caller frees it. */
static char *full_number(const struct show *sh, int64_t id)
{
	struct sq_error err = { 0 };
	char *raw = NULL;

	if (sh->unmask && store_contact_raw(sh->st, id, &raw, &err))
		cli_error("show", &err);
	return raw;
}

static const char *or_dash(const char *s)
{
	return s && *s ? s : "-";
}

static void print_time(const struct show *sh, const char *label, int64_t t)
{
	char buf[NORM_TIME_BUFSZ];

	if (!t)
		return;
	norm_format_time(t, sh->cli->cfg.tz_offset_s, buf, sizeof(buf));
	printf("  %-10s %s\n", label, buf);
}

/* "C12 (hotline:2024...)" of a complaint, looked up by id. */
static void complaint_name(struct show *sh, int64_t id, char out[160])
{
	struct sq_error err = { 0 };
	char *source = NULL, *source_id = NULL;

	if (!store_complaint_source(sh->st, id, &source, &source_id, &err) && source)
		snprintf(out, 160, "C%" PRId64 " (%s:%s)", id, source, source_id);
	else
		snprintf(out, 160, "C%" PRId64, id);
	free(source);
	free(source_id);
}

/* The stored comparisons, one per line: "text  high  +6.00  (0.420)". */
static void print_comparisons(const char *json, const char *indent)
{
	cJSON *arr = json ? cJSON_Parse(json) : NULL, *c;

	if (!cJSON_IsArray(arr)) {
		if (json)
			printf("%s%s\n", indent, json);
		cJSON_Delete(arr);
		return;
	}
	cJSON_ArrayForEach(c, arr) {
		cJSON *field = cJSON_GetObjectItemCaseSensitive(c, "field");
		cJSON *level = cJSON_GetObjectItemCaseSensitive(c, "level");
		cJSON *weight = cJSON_GetObjectItemCaseSensitive(c, "weight");
		cJSON *value = cJSON_GetObjectItemCaseSensitive(c, "value");

		printf("%s%-9s %-16s %+6.2f", indent,
		       cJSON_IsString(field) ? field->valuestring : "?",
		       cJSON_IsString(level) ? level->valuestring : "?",
		       cJSON_IsNumber(weight) ? weight->valuedouble : 0.0);
		if (cJSON_IsNumber(value))
			printf("  (%g)", value->valuedouble);
		putchar('\n');
	}
	cJSON_Delete(arr);
}

/* Why r is in its incident. */
static void print_link(struct show *sh, const struct store_complaint_row *r, const char *indent)
{
	char other[160];
	const char *m = r->link_method;

	if (!m) {
		printf("%snot linked yet (the next poll links it)\n", indent);
		return;
	}
	if (r->link_matched)
		complaint_name(sh, r->link_matched, other);
	if (!strcmp(m, "new")) {
		if (r->link_matched && r->has_score)
			printf("%sstarted this incident: best candidate %s scored %.2f, below the "
			       "threshold %.2f\n", indent, other, r->link_score,
			       sh->cli->cfg.dedup.threshold);
		else
			printf("%sstarted this incident: no candidate in the window\n", indent);
	} else if (!strcmp(m, "score")) {
		printf("%slinked by score %.2f (threshold %.2f) to %s\n", indent, r->link_score,
		       sh->cli->cfg.dedup.threshold, other);
	} else if (!strcmp(m, "declared")) {
		printf("%slinked by a source-declared link with %s (decisive; score %.2f)\n",
		       indent, other, r->link_score);
	} else if (!strcmp(m, "naive")) {
		printf("%slinked by the naive rule (same phone within 24 h) to %s\n", indent, other);
	} else if (!strcmp(m, "split")) {
		printf("%ssplit off its earlier incident by an analyst\n", indent);
	} else {
		printf("%s%s\n", indent, m);
	}
	if (r->link_comparisons && strcmp(m, "split")) {
		char deeper[32];

		snprintf(deeper, sizeof(deeper), "%s  ", indent);
		print_comparisons(r->link_comparisons, deeper);
	}
}

static sq_err declared_cb(void *ctx, const struct store_declared_row *l)
{
	struct show *sh = ctx;
	char other[160];

	if (l->target)
		complaint_name(sh, l->target, other);
	printf("  %-10s %s -> %s:%s%s%s\n", sh->count++ ? "" : "declares", l->kind,
	       l->target_type, l->target_id, l->target ? " = " : " (not stored yet)",
	       l->target ? other : "");
	return SQ_OK;
}

static sq_err history_cb(void *ctx, const struct store_history_row *h)
{
	struct show *sh = ctx;
	char buf[NORM_TIME_BUFSZ];

	norm_format_time(h->updated_at, sh->cli->cfg.tz_offset_s, buf, sizeof(buf));
	printf("  %s  %s (%s)", buf, or_dash(h->status), or_dash(h->status_raw));
	if (h->handler)
		printf("  handler %s", h->handler);
	if (h->satisfaction)
		printf("  satisfaction %s", h->satisfaction);
	putchar('\n');
	sh->count++;
	return SQ_OK;
}

static sq_err complaint_cb(void *ctx, const struct store_complaint_row *r)
{
	struct show *sh = ctx;
	struct sq_error err = { 0 };
	char buf[NORM_TIME_BUFSZ];
	size_t i;
	sq_err rc;

	printf("complaint C%" PRId64 "  %s:%s  (%s, %s)\n", r->id, r->source, r->source_id,
	       or_dash(r->source_type), or_dash(r->kind));
	print_time(sh, "received", r->received_at);
	print_time(sh, "updated", r->updated_at);
	printf("  %-10s %s (%s)\n", "status", or_dash(r->status), or_dash(r->status_raw));
	print_time(sh, "deadline", r->deadline);
	print_time(sh, "resolved", r->resolved_at);
	printf("  %-10s %s (%s)\n", "category", or_dash(r->category), or_dash(r->category_raw));
	printf("  %-10s %s / %s / grid %s\n", "place", or_dash(r->street), or_dash(r->community),
	       or_dash(r->grid));
	printf("  %-10s %s\n", "address", or_dash(r->address));
	if (r->has_pos)
		printf("  %-10s %.6f, %.6f (lat, lon, WGS 84)\n", "position", r->lat, r->lon);
	{
		char *full = full_number(sh, r->id);

		printf("  %-10s %s  via %s\n", "contact", full ? full : or_dash(r->contact_masked),
		       or_dash(r->channel));
		free(full);
	}
	if (r->handler)
		printf("  %-10s %s\n", "handler", r->handler);
	printf("  %-10s %s\n", "title", or_dash(r->title));
	printf("  %-10s %s\n", "text", or_dash(r->text));
	if (r->nflags) {
		printf("  %-10s", "flags");
		for (i = 0; i < r->nflags; i++)
			printf(" %" PRId64, r->flags[i]);
		putchar('\n');
	}
	sh->count = 0;
	rc = store_declared_each(sh->st, r->id, declared_cb, sh, &err);
	if (rc)
		return rc;
	if (r->incident_id)
		printf("incident I%" PRId64 "\n", r->incident_id);
	print_link(sh, r, "  ");
	norm_format_time(r->first_seen_at, sh->cli->cfg.tz_offset_s, buf, sizeof(buf));
	printf("history (first stored %s)\n", buf);
	sh->count = 0;
	rc = store_history_each(sh->st, r->id, history_cb, sh, &err);
	if (rc)
		return rc;
	printf("  %s  %s (%s)  current\n",
	       (norm_format_time(r->updated_at, sh->cli->cfg.tz_offset_s, buf, sizeof(buf)), buf),
	       or_dash(r->status), or_dash(r->status_raw));
	return SQ_OK;
}

static sq_err member_cb(void *ctx, const struct store_complaint_row *r)
{
	struct show *sh = ctx;
	char buf[NORM_TIME_BUFSZ];

	norm_format_time(r->received_at, sh->cli->cfg.tz_offset_s, buf, sizeof(buf));
	printf("\nC%" PRId64 "  %s:%s  %s  %s  %s  %s\n", r->id, r->source, r->source_id, buf,
	       or_dash(r->status), or_dash(r->category), or_dash(r->community));
	if (r->title)
		printf("    %s\n", r->title);
	printf("    %s\n", or_dash(r->text));
	if (sh->unmask) {
		char *full = full_number(sh, r->id);

		printf("    contact %s\n", full ? full : or_dash(r->contact_masked));
		free(full);
	}
	print_link(sh, r, "    ");
	sh->count++;
	return SQ_OK;
}

static sq_err decision_cb(void *ctx, const struct store_decision_row *d)
{
	struct show *sh = ctx;
	char buf[NORM_TIME_BUFSZ];

	norm_format_time(d->decided_at, sh->cli->cfg.tz_offset_s, buf, sizeof(buf));
	if (!sh->count++)
		printf("decisions:\n");
	if (!strcmp(d->kind, "split"))
		printf("  %s  split: C%" PRId64 " taken out of I%" PRId64 " into I%" PRId64,
		       buf, d->complaint_id, d->incident_id, d->other_id);
	else
		printf("  %s  %s: I%" PRId64 " merged into I%" PRId64, buf,
		       !strcmp(d->kind, "merge") ? "merge (analyst)" : "merge (declared link)",
		       d->other_id, d->incident_id);
	if (d->note)
		printf("  \"%s\"", d->note);
	putchar('\n');
	return SQ_OK;
}

static int show_incident(struct show *sh, int64_t id)
{
	struct store_complaint_filter f = { .incident_id = id };
	struct store_incident inc;
	struct sq_error err = { 0 };
	char opened[NORM_TIME_BUFSZ], last[NORM_TIME_BUFSZ];
	int found = 0;
	sq_err rc;

	rc = store_incident_get(sh->st, id, &inc, &found, &err);
	if (rc || !found) {
		if (!rc)
			sq_fail(&err, SQ_ENOTFOUND, "I%" PRId64 ": no such incident", id);
		cli_error("show", &err);
		return rc == SQ_EDB ? EXIT_PARTIAL : EXIT_USAGE;
	}
	norm_format_time(inc.opened_at, sh->cli->cfg.tz_offset_s, opened, sizeof(opened));
	norm_format_time(inc.last_at, sh->cli->cfg.tz_offset_s, last, sizeof(last));
	printf("incident I%" PRId64 "  %" PRId64 " complaint%s  %s .. %s\n", inc.id, inc.size,
	       inc.size == 1 ? "" : "s", opened, last);
	printf("  category %s  community %s\n", or_dash(inc.category), or_dash(inc.community));
	store_incident_release(&inc);
	sh->count = 0;
	rc = store_decision_each(sh->st, id, 0, decision_cb, sh, &err);
	sh->count = 0;
	if (!rc)
		rc = store_complaint_each(sh->st, &f, member_cb, sh, &err);
	if (rc) {
		cli_error("show", &err);
		return EXIT_PARTIAL;
	}
	return EXIT_OK;
}

/* Count the complaints about to be shown that hold a full number. */
static sq_err count_full_cb(void *ctx, const struct store_complaint_row *r)
{
	struct show *sh = ctx;
	struct sq_error err = { 0 };
	char *raw = NULL;
	sq_err rc = store_contact_raw(sh->st, r->id, &raw, &err);

	sh->count += raw != NULL;
	free(raw);
	return rc;
}

static int gate_unmask(struct show *sh, const char *id_arg, int64_t complaint_id,
		       int64_t incident_id)
{
	struct store_complaint_filter f = { .id = complaint_id, .incident_id = incident_id };
	struct sq_error err = { 0 };
	char what[96];

	sh->count = 0;
	if (store_complaint_each(sh->st, &f, count_full_cb, sh, &err)) {
		cli_error("show", &err);
		return EXIT_PARTIAL;
	}
	snprintf(what, sizeof(what), "%s", id_arg);
	return audit_unmask(sh->cli, sh->st, "show", sh->count, what);
}

CMD(show)
{
	struct show sh = { .cli = cli };
	struct sq_error err = { 0 };
	int64_t complaint_id, incident_id;
	const char *id_arg = NULL;
	int status, i;
	sq_err rc;

	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--unmask"))
			sh.unmask = 1;
		else if (!id_arg && argv[i][0] != '-')
			id_arg = argv[i];
		else
			return cli_usage_error("show", "unexpected '%s'\n%s", argv[i], usage);
	}
	if (!id_arg)
		return cli_usage_error("show", "expected one ID\n%s", usage);
	status = cli_open_store(cli, &sh.st);
	if (status)
		return status;
	rc = dedup_resolve(sh.st, id_arg, &complaint_id, &incident_id, &err);
	if (rc) {
		cli_error("show", &err);
		store_close(sh.st);
		return rc == SQ_EDB ? EXIT_PARTIAL : EXIT_USAGE;
	}
	if (sh.unmask && (status = gate_unmask(&sh, id_arg, complaint_id, incident_id))) {
		store_close(sh.st);
		return status;
	}
	if (incident_id) {
		status = show_incident(&sh, incident_id);
	} else {
		struct store_complaint_filter f = { .id = complaint_id };

		rc = store_complaint_each(sh.st, &f, complaint_cb, &sh, &err);
		if (rc)
			cli_error("show", &err);
		status = rc ? EXIT_PARTIAL : EXIT_OK;
	}
	store_close(sh.st);
	return status;
}
