/* suqiu digest — the analysts' summary of a period, and the annual figures. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "digest.h"
#include "normalize.h"
#include "report.h"
#include "store.h"
#include "taxonomy.h"
#include "banned.h"

static const char digest_usage[] =
	"usage: suqiu digest [--since T] [--until T] [--period YYYY|YYYY-MM]\n"
	"                    [--by community|category|source|day]\n"
	"                    [--format text|md|json|csv|html] [--bom] [--explain]\n"
	"                    [--top N] [--limit N] [--enterprise KEY,KEY...]\n"
	"\n"
	"What came in over a period, what is new, what is worse, what is late:\n"
	"complaints and incidents per source and channel, new incidents, top\n"
	"categories and communities against the previous period of the same\n"
	"length, open and escalated flags, overdue items, resolution figures,\n"
	"unmapped categories, quarantined records and feed health.\n"
	"\n"
	"  --since T, --until T  the period [since, until): 24h, 7d, 2w (before now),\n"
	"                        2024-05-01, '2024-05-01 08:00' (in the configured\n"
	"                        zone) or RFC 3339; default the last 24 hours\n"
	"  --period P            a calendar year (2024) or month (2024-05): the figures\n"
	"                        of a street office's annual or monthly report\n"
	"  --explain             with --period: the complaint ids behind each figure\n"
	"  --by KEY              one table per community, category, source or day\n"
	"  --format F            text (default), md, json, csv (UTF-8; --bom for\n"
	"                        Excel), html (one self-contained page)\n"
	"  --top N               rows of the top lists (default 10)\n"
	"  --limit N             items listed: overdue, flags, new incidents (default 20)\n"
	"  --enterprise LIST     categories counted as enterprise-related\n"
	"                        (default wages,labour,market_regulation)\n"
	"\n"
	"The output states how each figure is defined; docs/digest.md has the\n"
	"same definitions and the JSON and CSV field names.  Colour only on a\n"
	"terminal, never with NO_COLOR set.\n";

enum fmt { FMT_TEXT, FMT_MD, FMT_JSON, FMT_CSV, FMT_HTML };

struct args {
	const char *since, *until, *period, *by, *format, *top, *limit, *enterprise;
	int bom, explain;
};

/* "--name VALUE" or "--name=VALUE": 1 and *val set when argv[*i] is that option. */
static int opt_value(int argc, char **argv, int *i, const char *name, const char **val,
		     int *missing)
{
	size_t n = strlen(name);

	if (strncmp(argv[*i], name, n))
		return 0;
	if (argv[*i][n] == '=') {
		*val = argv[*i] + n + 1;
		return 1;
	}
	if (argv[*i][n])
		return 0;
	if (*i + 1 >= argc) {
		*missing = 1;
		return 1;
	}
	*val = argv[++*i];
	return 1;
}

static int parse_args(int argc, char **argv, struct args *a)
{
	static const char *const names[] = { "--since", "--until", "--period", "--by", "--format",
					     "--top", "--limit", "--enterprise" };
	const char **slots[] = { &a->since, &a->until, &a->period, &a->by, &a->format,
				 &a->top, &a->limit, &a->enterprise };
	int i;
	size_t k;

	for (i = 1; i < argc; i++) {
		int missing = 0, matched = 0;

		for (k = 0; k < sizeof(names) / sizeof(names[0]) && !matched; k++)
			matched = opt_value(argc, argv, &i, names[k], slots[k], &missing);
		if (missing)
			return cli_usage_error("digest", "%s needs a value\n%s", argv[i], digest_usage);
		if (matched)
			continue;
		if (!strcmp(argv[i], "--bom"))
			a->bom = 1;
		else if (!strcmp(argv[i], "--explain"))
			a->explain = 1;
		else
			return cli_usage_error("digest", "unknown argument '%s'\n%s", argv[i],
					       digest_usage);
	}
	return EXIT_OK;
}

static int parse_count(const char *what, const char *s, size_t *out)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < 1 || v > 100000)
		return cli_usage_error("digest", "%s '%s': want a number from 1 to 100000", what, s);
	*out = (size_t)v;
	return EXIT_OK;
}

/* SUQIU_NOW (RFC 3339) fixes the clock, as for poll: tests and replays. */
static int current_time(int64_t *now)
{
	const char *env = getenv("SUQIU_NOW");
	struct sq_error err = { 0 };

	*now = (int64_t)time(NULL);
	if (env && *env && norm_time_rfc3339(env, now, &err))
		return cli_usage_error("digest", "SUQIU_NOW: %s", err.msg);
	return EXIT_OK;
}

static int use_color(enum fmt f)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	return f == FMT_TEXT && isatty(STDOUT_FILENO) && !(nc && *nc) &&
	       !(term && !strcmp(term, "dumb"));
}

/* Split "a,b,c" into the borrowed-string list digest_opts wants. */
static int split_list(char *s, const char ***items, size_t *n)
{
	char *p = s;

	*items = NULL;
	*n = 0;
	while (p && *p) {
		char *comma = strchr(p, ',');
		const char **v;

		if (comma)
			*comma = '\0';
		if (*p) {
			v = realloc(*items, (*n + 1) * sizeof(*v));
			if (!v)
				return -1;
			*items = v;
			v[(*n)++] = p;
		}
		p = comma ? comma + 1 : NULL;
	}
	return 0;
}

static int resolve_period(const struct args *a, const struct sq_config *cfg, int64_t now,
			  struct digest_opts *o)
{
	struct sq_error err = { 0 };

	if (a->period) {
		if (a->since || a->until)
			return cli_usage_error("digest", "--period replaces --since and --until");
		if (digest_period_parse(a->period, cfg->tz_offset_s, &o->since, &o->until, &err))
			return cli_usage_error("digest", "%s", err.msg);
		o->period = 1;
		o->period_label = a->period;
		return EXIT_OK;
	}
	if (a->explain)
		return cli_usage_error("digest", "--explain goes with --period");
	o->until = now;
	if (a->until && norm_time_arg(a->until, cfg->tz_offset_s, now, &o->until, &err))
		return cli_usage_error("digest", "--until: %s", err.msg);
	o->since = o->until - 86400;
	if (a->since && norm_time_arg(a->since, cfg->tz_offset_s, now, &o->since, &err))
		return cli_usage_error("digest", "--since: %s", err.msg);
	if (o->until <= o->since)
		return cli_usage_error("digest", "--until must be after --since");
	return EXIT_OK;
}

static int parse_format(const char *s, enum fmt *f)
{
	static const char *const names[] = { "text", "md", "json", "csv", "html" };
	size_t i;

	for (i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!strcmp(s, names[i])) {
			*f = (enum fmt)i;
			return EXIT_OK;
		}
	return cli_usage_error("digest", "--format '%s': want text, md, json, csv or html", s);
}

static sq_err render(enum fmt f, int bom, const struct digest *d, const struct report_ctx *ctx,
		     struct sq_buf *out, struct sq_error *err)
{
	struct report r;
	sq_err rc;

	if (f == FMT_JSON)
		return report_json(d, ctx, out) ? sq_fail(err, SQ_ENOMEM, "out of memory") : SQ_OK;
	rc = report_build(d, ctx, &r, err);
	if (!rc) {
		switch (f) {
		case FMT_MD: rc = report_md(&r, out); break;
		case FMT_CSV: rc = report_csv(&r, bom, out); break;
		case FMT_HTML: rc = report_html(d, &r, ctx, out); break;
		default: rc = report_text(&r, ctx, out); break;
		}
		if (rc)
			rc = sq_fail(err, rc, "%s", rc == SQ_ENOMEM ? "out of memory" : "rendering failed");
	}
	report_release(&r);
	return rc;
}

int cmd_digest(struct cli *cli, int argc, char **argv)
{
	struct args a = { 0 };
	struct digest_opts o = { 0 };
	struct report_ctx ctx = { 0 };
	struct sq_error err = { 0 };
	struct sq_taxonomy *tax = NULL;
	struct sq_store *st = NULL;
	struct sq_buf out = SQ_BUF_INIT;
	struct digest d = { 0 };
	const char **sources = NULL, **ent = NULL;
	char *ent_text = NULL;
	enum fmt f = FMT_TEXT;
	const char *db;
	int64_t now;
	int status;
	size_t i;

	if (cli_wants_help(argc, argv)) {
		fputs(digest_usage, stdout);
		return EXIT_OK;
	}
	status = parse_args(argc, argv, &a);
	if (!status)
		status = current_time(&now);
	if (!status && a.format)
		status = parse_format(a.format, &f);
	if (!status && a.bom && f != FMT_CSV)
		status = cli_usage_error("digest", "--bom goes with --format csv");
	if (!status && a.by) {
		int by = digest_by_parse(a.by);

		if (by < 0)
			status = cli_usage_error("digest",
						 "--by '%s': want community, category, source or day", a.by);
		else
			o.by = (enum digest_by)by;
	}
	if (!status && a.top)
		status = parse_count("--top", a.top, &o.top);
	if (!status && a.limit)
		status = parse_count("--limit", a.limit, &o.list_limit);
	if (!status)
		status = resolve_period(&a, &cli->cfg, now, &o);
	if (status)
		return status;
	if (a.enterprise) {
		ent_text = sq_strdup(a.enterprise);
		if (!ent_text || split_list(ent_text, &ent, &o.nenterprise)) {
			fputs("suqiu: digest: out of memory\n", stderr);
			status = EXIT_PARTIAL;
			goto out;
		}
		if (!o.nenterprise) {
			status = cli_usage_error("digest", "--enterprise: no category given");
			goto out;
		}
		o.enterprise = ent;
	}
	db = cli_db_path(cli);
	if (!db || !*db) {
		status = cli_usage_error("digest", "no database: set `database:` in %s or use --db",
					 cli->config_path);
		goto out;
	}
	if (cli->cfg.taxonomy && taxonomy_load(cli->cfg.taxonomy, &tax, &err)) {
		cli_error("digest", &err);
		status = EXIT_USAGE;
		goto out;
	}
	sources = calloc(cli->cfg.nsources + 1, sizeof(*sources));
	if (!sources) {
		fputs("suqiu: digest: out of memory\n", stderr);
		status = EXIT_PARTIAL;
		goto out;
	}
	for (i = 0; i < cli->cfg.nsources; i++)
		sources[i] = cli->cfg.sources[i].name;
	o.sources = sources;
	o.nsources = cli->cfg.nsources;
	o.now = now;
	o.tz_offset_s = cli->cfg.tz_offset_s;
	o.explain = a.explain;
	o.charts = f == FMT_HTML;
	ctx.tz_offset_s = cli->cfg.tz_offset_s;
	ctx.taxonomy = tax;
	ctx.color = use_color(f);
	ctx.generated_at = now;

	if (store_open(db, &st, &err) || digest_compute(st, &o, &d, &err) ||
	    render(f, a.bom, &d, &ctx, &out, &err)) {
		cli_error("digest", &err);
		status = err.code == SQ_EUSAGE ? EXIT_USAGE : EXIT_PARTIAL;
		goto out;
	}
	if (fwrite(out.data, 1, out.len, stdout) != out.len) {
		fprintf(stderr, "suqiu: digest: writing output: %s\n", strerror(errno));
		status = EXIT_PARTIAL;
	}
out:
	digest_release(&d);
	store_close(st);
	taxonomy_free(tax);
	sq_buf_release(&out);
	free(sources);
	free(ent);
	free(ent_text);
	return status;
}
