/* suqiu search TEXT — full-text search over title, text and address. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "buf.h"
#include "cli.h"
#include "normalize.h"
#include "record.h"
#include "report.h"
#include "search.h"
#include "store.h"
#include "taxonomy.h"
#include "banned.h"

static const char search_usage[] =
	"usage: suqiu search TEXT... [--since T] [--until T] [--community NAME]\n"
	"                    [--category KEY] [--source NAME] [--status S]\n"
	"                    [--limit N] [--format text|json]\n"
	"\n"
	"Finds complaints whose title, text or address contain every word of TEXT\n"
	"(words are separated by spaces), best matches first (bm25).  Words of\n"
	"three characters or more use the full-text index (trigrams); shorter ones\n"
	"(噪音, 88) are matched as plain substrings, which reads every candidate\n"
	"row: the command says so, and lists those results newest first unless a\n"
	"longer word ranks them.  When more than 5000 complaints match, the 5000\n"
	"most recently stored are ranked (the command says so).  Matches are marked\n"
	"in colour on a terminal, else between [brackets].\n"
	"\n"
	"  --since T, --until T  received in [since, until): 24h, 7d, 2024-05-01, ...\n"
	"  --community NAME      a configured community (aliases work) or the name stored\n"
	"  --category KEY        a category key (noise) or its display name (噪声扰民)\n"
	"  --source NAME         one source\n"
	"  --status S            open, in_progress, resolved, closed, rejected, withdrawn, void\n"
	"  --limit N             at most N results (default 20)\n"
	"  --format F            text (default) or json\n";

struct args {
	const char *since, *until, *community, *category, *source, *status, *limit, *format;
	struct sq_buf text;
};

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
	static const char *const names[] = { "--since", "--until", "--community", "--category",
					     "--source", "--status", "--limit", "--format" };
	const char **slots[] = { &a->since, &a->until, &a->community, &a->category,
				 &a->source, &a->status, &a->limit, &a->format };
	int i, words_only = 0;
	size_t k;

	for (i = 1; i < argc; i++) {
		int missing = 0, matched = 0;

		if (!words_only && !strcmp(argv[i], "--")) {
			words_only = 1;
			continue;
		}
		if (!words_only && argv[i][0] == '-' && argv[i][1]) {
			for (k = 0; k < sizeof(names) / sizeof(names[0]) && !matched; k++)
				matched = opt_value(argc, argv, &i, names[k], slots[k], &missing);
			if (missing)
				return cli_usage_error("search", "%s needs a value\n%s", argv[i],
						       search_usage);
			if (!matched)
				return cli_usage_error("search", "unknown argument '%s'\n%s", argv[i],
						       search_usage);
			continue;
		}
		if ((a->text.len && sq_buf_addc(&a->text, ' ')) || sq_buf_adds(&a->text, argv[i])) {
			fputs("suqiu: search: out of memory\n", stderr);
			return EXIT_PARTIAL;
		}
	}
	if (!a->text.len)
		return cli_usage_error("search", "what should I look for?\n%s", search_usage);
	return EXIT_OK;
}

/* A category given by key or by display name; NULL when neither. */
static const char *resolve_category(const struct sq_taxonomy *tax, const char *given)
{
	size_t i;

	if (!tax || taxonomy_has(tax, given))
		return given;
	for (i = 0; i < taxonomy_count(tax); i++) {
		const char *key = taxonomy_key_at(tax, i);
		const char *name = taxonomy_display(tax, key);

		if (name && !strcmp(name, given))
			return key;
	}
	return NULL;
}

static int use_color(int json)
{
	const char *nc = getenv("NO_COLOR"), *term = getenv("TERM");

	return !json && isatty(STDOUT_FILENO) && !(nc && *nc) && !(term && !strcmp(term, "dumb"));
}

static int current_time(int64_t *now)
{
	const char *env = getenv("SUQIU_NOW");
	struct sq_error err = { 0 };

	*now = (int64_t)time(NULL);
	if (env && *env && norm_time_rfc3339(env, now, &err))
		return cli_usage_error("search", "SUQIU_NOW: %s", err.msg);
	return EXIT_OK;
}

static int filters(struct cli *cli, const struct args *a, const struct sq_taxonomy *tax,
		   int64_t now, struct search_filter *f)
{
	const struct sq_config *cfg = &cli->cfg;
	struct sq_error err = { 0 };
	char *end;
	long n;

	if (a->since && norm_time_arg(a->since, cfg->tz_offset_s, now, &f->since, &err))
		return cli_usage_error("search", "--since: %s", err.msg);
	if (a->until && norm_time_arg(a->until, cfg->tz_offset_s, now, &f->until, &err))
		return cli_usage_error("search", "--until: %s", err.msg);
	if (f->since && f->until && f->until <= f->since)
		return cli_usage_error("search", "--until must be after --since");
	if (a->community) {
		const struct sq_area *area = norm_find_area(&cfg->areas, a->community);

		f->community = area ? area->name : a->community;
	}
	if (a->category && !(f->category = resolve_category(tax, a->category)))
		return cli_usage_error("search", "--category '%s': no such category key or name",
				       a->category);
	if (a->source) {
		if (cfg->nsources && !config_find_source(cfg, a->source))
			return cli_usage_error("search", "--source '%s': no such source in %s",
					       a->source, cfg->path ? cfg->path : cli->config_path);
		f->source = a->source;
	}
	if (a->status) {
		if (record_status_parse(a->status) < 0)
			return cli_usage_error("search",
					       "--status '%s': want open, in_progress, resolved, closed,"
					       " rejected, withdrawn or void", a->status);
		f->status = a->status;
	}
	if (a->limit) {
		errno = 0;
		n = strtol(a->limit, &end, 10);
		if (errno || end == a->limit || *end || n < 1 || n > 10000)
			return cli_usage_error("search", "--limit '%s': want a number from 1 to 10000",
					       a->limit);
		f->limit = (size_t)n;
	}
	return EXIT_OK;
}

int cmd_search(struct cli *cli, int argc, char **argv)
{
	struct args a = { .text = SQ_BUF_INIT };
	struct search_filter f = { 0 };
	struct search_terms terms = { 0 };
	struct search_results res = { 0 };
	struct report_ctx ctx = { 0 };
	struct sq_error err = { 0 };
	struct sq_taxonomy *tax = NULL;
	struct sq_store *st = NULL;
	struct sq_buf out = SQ_BUF_INIT;
	char *query = NULL;
	const char *db;
	int64_t now;
	int status, json = 0;
	size_t i;

	if (cli_wants_help(argc, argv)) {
		fputs(search_usage, stdout);
		return EXIT_OK;
	}
	status = parse_args(argc, argv, &a);
	if (!status)
		status = current_time(&now);
	if (!status && a.format) {
		if (!strcmp(a.format, "json"))
			json = 1;
		else if (strcmp(a.format, "text"))
			status = cli_usage_error("search", "--format '%s': want text or json", a.format);
	}
	if (status)
		goto out;
	if (cli->cfg.taxonomy && taxonomy_load(cli->cfg.taxonomy, &tax, &err)) {
		cli_error("search", &err);
		status = EXIT_USAGE;
		goto out;
	}
	status = filters(cli, &a, tax, now, &f);
	if (status)
		goto out;
	/* Stored text is folded (full-width to ASCII, NFC): fold the query alike. */
	if (norm_text(a.text.data, a.text.len, &query, &err) ||
	    search_parse(query, &terms, &err)) {
		cli_error("search", &err);
		status = err.code == SQ_ENOMEM ? EXIT_PARTIAL : EXIT_USAGE;
		goto out;
	}
	db = cli_db_path(cli);
	if (!db || !*db) {
		status = cli_usage_error("search", "no database: set `database:` in %s or use --db",
					 cli->config_path);
		goto out;
	}
	ctx.tz_offset_s = cli->cfg.tz_offset_s;
	ctx.taxonomy = tax;
	ctx.color = use_color(json);
	ctx.generated_at = now;
	f.hl_open = ctx.color ? "\033[1;31m" : "[";
	f.hl_close = ctx.color ? "\033[0m" : "]";
	if (terms.nlike) {
		struct sq_buf words = SQ_BUF_INIT;

		for (i = 0; i < terms.nlike; i++)
			if ((i && sq_buf_adds(&words, "、")) || sq_buf_adds(&words, terms.like[i]))
				break;
		cli_log(cli, CLI_NOTICE,
			"suqiu: search: note: %s %s shorter than %d characters: matched as plain "
			"substrings (LIKE), without the full-text index%s",
			sq_buf_str(&words), terms.nlike > 1 ? "are" : "is", SEARCH_MIN_TRIGRAM,
			terms.match ? "" : "; newest first");
		sq_buf_release(&words);
	}
	if (store_open(db, &st, &err) || search_run(st, &terms, &f, &res, &err)) {
		cli_error("search", &err);
		status = EXIT_PARTIAL;
		goto out;
	}
	if (res.capped)
		cli_log(cli, CLI_NOTICE,
			"suqiu: search: note: more than %d matches: ranked among the %d most recently "
			"stored; narrow with --since, --community, --category or more words",
			STORE_SEARCH_RANK_MAX, STORE_SEARCH_RANK_MAX);
	if (json ? report_search_json(&res, query, &ctx, &out) : report_search_text(&res, &ctx, &out)) {
		fputs("suqiu: search: out of memory\n", stderr);
		status = EXIT_PARTIAL;
		goto out;
	}
	if (fwrite(out.data, 1, out.len, stdout) != out.len) {
		fprintf(stderr, "suqiu: search: writing output: %s\n", strerror(errno));
		status = EXIT_PARTIAL;
	}
out:
	search_results_release(&res);
	search_terms_release(&terms);
	store_close(st);
	taxonomy_free(tax);
	sq_buf_release(&out);
	sq_buf_release(&a.text);
	free(query);
	return status;
}
