/* suqiu doctor — say what is wrong with the configuration, the database,
 * the feeds and the mail server, without printing any secret. */
#include <stdio.h>
#include <string.h>

#include "cli.h"
#include "connectors/connector.h"
#include "store.h"
#include "banned.h"

static const char doctor_usage[] =
	"usage: suqiu doctor\n"
	"Checks the configuration, the database and each source's settings;\n"
	"secrets are shown as set or missing, never printed.\n";

struct findings {
	int problems;
};

static void report(struct findings *f, int ok, const char *what, const char *detail)
{
	printf("%-8s %-28s %s\n", ok ? "ok" : "PROBLEM", what, detail ? detail : "");
	if (!ok)
		f->problems++;
}

static const char *secret_state(const struct sq_secret *s)
{
	return s->value ? "set" : "missing";
}

/* Report each secret option of one source: set/missing and where from. */
static void check_source_secrets(struct findings *f, const struct sq_source_config *src)
{
	const struct sq_option *o;
	char what[128], detail[128];

	for (o = src->connector->options; o->key; o++) {
		const struct sq_secret *s;

		if (o->type != SQ_OPT_SECRET)
			continue;
		s = (const struct sq_secret *)((const char *)src->conf + o->offset);
		snprintf(what, sizeof(what), "source %s %s", src->name, o->key);
		snprintf(detail, sizeof(detail), "%s%s%s%s", secret_state(s),
			 s->origin ? " (from " : "", s->origin ? s->origin : "",
			 s->origin ? ")" : "");
		report(f, s->value || !(o->flags & SQ_OPT_REQUIRED), what, detail);
	}
}

static void check_sources(struct findings *f, const struct sq_config *cfg)
{
	size_t i;
	char detail[256];

	if (!cfg->nsources)
		report(f, 0, "sources", "none configured: poll has nothing to do");
	for (i = 0; i < cfg->nsources; i++) {
		const struct sq_source_config *src = &cfg->sources[i];
		char what[128];

		snprintf(what, sizeof(what), "source %s", src->name);
		snprintf(detail, sizeof(detail), "%s %s%s", src->type, src->base_url,
			 src->enabled ? "" : " (disabled)");
		report(f, 1, what, detail);
		check_source_secrets(f, src);
	}
}

static void check_database(struct findings *f, const char *path)
{
	struct sq_error err = { 0 };
	struct sq_store *st = NULL;
	char detail[SQ_ERRMSG_MAX + 64];
	int64_t n = 0;

	if (!path) {
		report(f, 0, "database", "no database configured (database: or --db)");
		return;
	}
	if (store_open(path, &st, &err) || store_integrity_check(st, &err) ||
	    store_count_complaints(st, &n, &err)) {
		report(f, 0, "database", err.msg);
		store_close(st);
		return;
	}
	snprintf(detail, sizeof(detail), "%s (schema %d, %lld complaints, integrity ok)", path,
		 store_schema_version(st), (long long)n);
	report(f, 1, "database", detail);
	store_close(st);
}

static void check_mail(struct findings *f, const struct sq_config *cfg)
{
	const struct sq_smtp_config *smtp = &cfg->alerts.smtp;
	char detail[256];

	if (!smtp->url) {
		report(f, 1, "alerts smtp", "not configured: flags are kept, no mail is sent");
		return;
	}
	snprintf(detail, sizeof(detail), "%s, password %s", smtp->url, secret_state(&smtp->password));
	report(f, smtp->password.value || !smtp->username, "alerts smtp", detail);
	snprintf(detail, sizeof(detail), "%zu roster rows", cfg->alerts.nduty);
	report(f, cfg->alerts.nduty > 0, "alerts duty roster", detail);
}

int cmd_doctor(struct cli *cli, int argc, char **argv)
{
	struct findings f = { 0 };

	if (cli_wants_help(argc, argv)) {
		fputs(doctor_usage, stdout);
		return EXIT_OK;
	}
	if (argc > 1)
		return cli_usage_error("doctor", "unexpected argument '%s'", argv[1]);
	report(&f, 1, "configuration", cli->cfg.path);
	check_sources(&f, &cli->cfg);
	check_database(&f, cli_db_path(cli));
	check_mail(&f, &cli->cfg);
	printf("%d problem%s found\n", f.problems, f.problems == 1 ? "" : "s");
	return f.problems ? EXIT_PARTIAL : EXIT_OK;
}
