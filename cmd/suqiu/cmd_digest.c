/* suqiu digest — the analysts' summary of a period, and the annual figures. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "cmd_alerts.h"
#include "digest.h"
#include "normalize.h"
#include "notify.h"
#include "pollenv.h"
#include "report.h"
#include "store.h"
#include "taxonomy.h"
#include "banned.h"

static const char digest_usage[] =
	"usage: suqiu digest [--since T] [--until T] [--period YYYY|YYYY-MM]\n"
	"                    [--by community|category|source|day]\n"
	"                    [--format text|md|json|csv|html] [--bom] [--explain]\n"
	"                    [--top N] [--limit N] [--enterprise KEY,KEY...] [--mail]\n"
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
	"  --mail                mail it instead (text, the HTML report attached) to\n"
	"                        alerts.digest_to (default: the duty roster) through\n"
	"                        the alert outbox; relative times and the default end\n"
	"                        count from 00:00 today, so --since 24h is yesterday,\n"
	"                        and one period is mailed once however often it runs\n"
	"\n"
	"The output states how each figure is defined; docs/digest.md has the\n"
	"same definitions and the JSON and CSV field names.  Colour only on a\n"
	"terminal, never with NO_COLOR set.\n";

enum fmt { FMT_TEXT, FMT_MD, FMT_JSON, FMT_CSV, FMT_HTML };

struct args {
	const char *since, *until, *period, *by, *format, *top, *limit, *enterprise;
	int bom, explain, mail;
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
		else if (!strcmp(argv[i], "--mail"))
			a->mail = 1;
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

/*
 * The time relative periods count back from: now, or for --mail the start
 * of the current local day, so that a daily mail covers whole days and a
 * re-run the same day (a timer catching up, an operator after an outage)
 * names the same period and mails nothing twice.
 */
static int64_t period_anchor(const struct args *a, const struct sq_config *cfg, int64_t now)
{
	int64_t local = now + cfg->tz_offset_s, day;

	if (!a->mail)
		return now;
	day = local / 86400 - (local % 86400 < 0);
	return day * 86400 - cfg->tz_offset_s;
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

/* ---- --mail ------------------------------------------------------------ */

/*
 * Mail needs a server and somebody to send to; without them it is a
 * configuration error, said before any work.  *rcpt: the recipients.
 */
static int mail_ready(const struct cli *cli, char **rcpt)
{
	struct sq_error err = { 0 };

	*rcpt = NULL;
	if (!cli->cfg.alerts.smtp.url || !*cli->cfg.alerts.smtp.url)
		return cli_usage_error("digest", "--mail: no mail server: set alerts.smtp.url "
				       "in %s", cli->config_path);
	if (notify_digest_recipients(&cli->cfg, rcpt, &err)) {
		cli_error("digest", &err);
		return EXIT_PARTIAL;
	}
	if (!**rcpt) {
		free(*rcpt);
		*rcpt = NULL;
		return cli_usage_error("digest", "--mail: nobody to send it to: set "
				       "alerts.digest_to (or alerts.duty) in %s", cli->config_path);
	}
	return EXIT_OK;
}

/* What tells this report from another of the same period, for the key. */
static const char *mail_layout(const struct digest_opts *o, char *buf, size_t size)
{
	const char *by = digest_by_name(o->by);

	if (!o->period && !by)
		return NULL;
	snprintf(buf, size, "%s%s%s%s", o->period ? "period" : "", o->period && by ? " " : "",
		 by ? "by " : "", by ? by : "");
	return buf;
}

static const char *by_label(enum digest_by by)
{
	switch (by) {
	case DIGEST_BY_COMMUNITY: return "（按社区）";
	case DIGEST_BY_CATEGORY: return "（按类别）";
	case DIGEST_BY_SOURCE: return "（按来源）";
	case DIGEST_BY_DAY: return "（按日）";
	default: return "";
	}
}

/* The text and the HTML report of d, and queue them (one transaction). */
static sq_err queue_digest(const struct cli *cli, struct sq_store *st, const struct digest *d,
			   const struct report_ctx *ctx, struct notify_digest *nd,
			   const char *rcpt, int64_t now, int *added, struct sq_error *err)
{
	struct sq_buf text = SQ_BUF_INIT, html = SQ_BUF_INIT, title = SQ_BUF_INIT;
	struct report r;
	sq_err rc;

	rc = report_build(d, ctx, &r, err);
	if (!rc && (report_text(&r, ctx, &text) || report_html(d, &r, ctx, &html) ||
		    sq_buf_addf(&title, "%s%s", r.title, by_label(d->o.by))))
		rc = sq_fail(err, SQ_ENOMEM, "out of memory rendering the digest");
	if (!rc) {
		nd->title = title.data;
		nd->text = text.data;
		nd->html = html.data;
		rc = store_begin(st, err);
		if (!rc) {
			rc = notify_enqueue_digest(st, &cli->cfg, nd, rcpt, now, added, err);
			rc = rc ? rc : store_commit(st, err);
			if (rc)
				store_rollback(st);
		}
		nd->title = nd->text = nd->html = NULL;
	}
	report_release(&r);
	sq_buf_release(&text);
	sq_buf_release(&html);
	sq_buf_release(&title);
	return rc;
}

/* Say where the digest's row stands after the send; EXIT_PARTIAL unless sent. */
static int mail_outcome(const struct cli *cli, struct sq_store *st, const char *key,
			const char *period)
{
	struct store_outbox_msg m = { 0 };
	struct sq_error err = { 0 };
	char when[NORM_TIME_BUFSZ] = "";
	int status = EXIT_PARTIAL;

	if (store_outbox_find_digest(st, key, &m, &err)) {
		cli_error("digest", &err);
		return EXIT_PARTIAL;
	}
	if (m.id && m.state && !strcmp(m.state, "sent")) {
		norm_format_local(m.sent_at, cli->cfg.tz_offset_s, when, sizeof(when));
		cli_info(cli, "suqiu: digest: mail: the digest of %s went to %s at %s (%s)", period,
			 m.recipients, when, m.message_id);
		status = EXIT_OK;
	} else if (m.id && m.state && !strcmp(m.state, "sending")) {
		fprintf(stderr, "suqiu: digest: the digest of %s is being sent by another run, or one "
			"that was cut off (then it is sent again, same Message-ID, after "
			"alerts.smtp.in_doubt_after)\n", period);
	} else if (m.id) {
		norm_format_local(m.next_attempt_at, cli->cfg.tz_offset_s, when, sizeof(when));
		fprintf(stderr, "suqiu: digest: the digest of %s is not delivered yet (kept in the "
			"outbox, next attempt %s; `suqiu poll` or `suqiu digest --mail` retries it)%s%s\n",
			period, when, m.last_error ? ": " : "", m.last_error ? m.last_error : "");
	} else {
		fprintf(stderr, "suqiu: digest: the digest of %s is not in the outbox\n", period);
	}
	store_outbox_msg_release(&m);
	return status;
}

/*
 * --mail: queue the digest of o's period unless it was queued before (then
 * make its row due now: somebody asked for it), deliver the outbox, and
 * report how the digest's own mail fared.
 */
static int mail_digest(struct cli *cli, struct sq_store *st, const struct digest_opts *o,
		       const struct report_ctx *ctx, const char *rcpt, int64_t now)
{
	struct notify_digest nd = { 0 };
	struct store_outbox_msg m = { 0 };
	struct sq_error err = { 0 };
	struct sq_buf key = SQ_BUF_INIT;
	struct pollenv env;
	struct digest d = { 0 };
	char layout[64], period[2 * NORM_TIME_BUFSZ + 8], since[NORM_TIME_BUFSZ], until[NORM_TIME_BUFSZ];
	int added = 0, status;
	sq_err rc;

	nd.since = o->since;
	nd.until = o->until;
	nd.layout = mail_layout(o, layout, sizeof(layout));
	nd.title_has_period = o->period;
	norm_format_local(o->since, cli->cfg.tz_offset_s, since, sizeof(since));
	norm_format_local(o->until, cli->cfg.tz_offset_s, until, sizeof(until));
	snprintf(period, sizeof(period), "%s to %s", since, until);
	status = pollenv_open(cli, "digest", &env);
	if (status)
		return status;
	if (notify_digest_key(&cli->cfg, &nd, &key)) {
		fputs("suqiu: digest: out of memory\n", stderr);
		return EXIT_PARTIAL;
	}
	rc = store_outbox_find_digest(st, key.data, &m, &err);
	if (!rc && !m.id) {
		rc = digest_compute(st, o, &d, &err);
		if (!rc)
			rc = queue_digest(cli, st, &d, ctx, &nd, rcpt, now, &added, &err);
		digest_release(&d);
	}
	if (!rc && added)
		cli_info(cli, "suqiu: digest: mail: the digest of %s queued for %s", period, rcpt);
	else if (!rc) {
		cli_info(cli, "suqiu: digest: mail: the digest of %s was queued before; not again",
			 period);
		rc = store_begin(st, &err);
		if (!rc) {
			rc = store_outbox_make_due(st, key.data, now, &err);
			rc = rc ? rc : store_commit(st, &err);
			if (rc)
				store_rollback(st);
		}
	}
	store_outbox_msg_release(&m);
	if (rc) {
		cli_error("digest", &err);
		sq_buf_release(&key);
		return err.code == SQ_EUSAGE ? EXIT_USAGE : EXIT_PARTIAL;
	}
	env.store = st;
	status = alerts_send_outbox(cli, "digest", &env, now, 0, 0, 0);
	if (status != EXIT_USAGE) {
		int mine = mail_outcome(cli, st, key.data, period);

		status = status ? status : mine;
	}
	sq_buf_release(&key);
	return status;
}

/* ---- the command --------------------------------------------------------- */

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
	char *ent_text = NULL, *rcpt = NULL;
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
	if (!status && a.mail && (a.format || a.bom))
		status = cli_usage_error("digest", "--mail sends the text digest with the HTML "
					 "report attached; leave out --format and --bom");
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
		status = resolve_period(&a, &cli->cfg, period_anchor(&a, &cli->cfg, now), &o);
	if (!status && a.mail)
		status = mail_ready(cli, &rcpt);
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
	o.charts = f == FMT_HTML || a.mail;
	ctx.tz_offset_s = cli->cfg.tz_offset_s;
	ctx.taxonomy = tax;
	ctx.color = !a.mail && use_color(f);
	ctx.generated_at = now;

	if (store_open(db, &st, &err)) {
		cli_error("digest", &err);
		status = EXIT_PARTIAL;
		goto out;
	}
	if (a.mail) {
		status = mail_digest(cli, st, &o, &ctx, rcpt, now);
		goto out;
	}
	if (digest_compute(st, &o, &d, &err) || render(f, a.bom, &d, &ctx, &out, &err)) {
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
	free(rcpt);
	return status;
}
