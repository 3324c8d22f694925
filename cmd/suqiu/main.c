/*
 * suqiu — gathers citizens' complaints from a street office's channels into
 * one store.  This file holds the table of subcommands (git's git.c) and the
 * global options; each subcommand lives in cmd_NAME.c.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "cli.h"
#include "http.h"
#include "store.h"
#include "banned.h"

#define NEEDS_CONFIG 1u

struct command {
	const char *name;
	int (*fn)(struct cli *cli, int argc, char **argv);
	unsigned flags;
	const char *summary;
};

static const struct command commands[] = {
	{ "poll", cmd_poll, NEEDS_CONFIG, "fetch what is new from the feeds and store it (the timer runs this)" },
	{ "import", cmd_import, NEEDS_CONFIG, "store saved feed pages (backfill)" },
	{ "digest", cmd_digest, NEEDS_CONFIG, "summarize a period: what came in, what is new, worse, late" },
	{ "search", cmd_search, NEEDS_CONFIG, "full-text search over titles, texts and addresses" },
	{ "show", cmd_show, NEEDS_CONFIG, "one complaint or incident, with its history and why it was linked" },
	{ "merge", cmd_merge, NEEDS_CONFIG, "merge two incidents (an analyst's correction)" },
	{ "split", cmd_split, NEEDS_CONFIG, "take a complaint out of its incident (an analyst's correction)" },
	{ "export", cmd_export, NEEDS_CONFIG, "every complaint with its incident and flags, as JSON lines or CSV" },
	{ "alerts", cmd_alerts, NEEDS_CONFIG, "early-warning flags: list, show, ack, close; send the alert mail" },
	{ "prune", cmd_prune, NEEDS_CONFIG, "drop raw payloads and contact numbers older than privacy.retention" },
	{ "audit", cmd_audit, NEEDS_CONFIG, "list every unmasking of contact numbers and every prune" },
	{ "backup", cmd_backup, NEEDS_CONFIG, "write an online copy of the database" },
	{ "doctor", cmd_doctor, NEEDS_CONFIG, "check the configuration, database, feeds and SMTP server" },
};

static const char usage_text[] =
	"usage: suqiu [--config FILE] [--db FILE] [--metrics FILE] [--verbose|--quiet]\n"
	"             COMMAND [ARGS]\n"
	"       suqiu --version | help [COMMAND]\n";

static void print_help(FILE *out)
{
	size_t i;

	fputs(usage_text, out);
	fputs("\ncommands:\n", out);
	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		fprintf(out, "  %-8s %s\n", commands[i].name, commands[i].summary);
	fputs("\nRun 'suqiu COMMAND --help' for a command's options.\n"
	      "Exit status: 0 success, 1 partly failed, 2 usage or configuration error.\n", out);
}

static const struct command *find_command(const char *name)
{
	size_t i;

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++)
		if (!strcmp(commands[i].name, name))
			return &commands[i];
	return NULL;
}

/* stdout may be a full disk or a closed pipe: say so instead of exiting 0. */
static int finish_stdout(int status)
{
	if (fflush(stdout) != 0 || ferror(stdout) || fclose(stdout) != 0) {
		if (errno != EPIPE)
			fprintf(stderr, "suqiu: writing output: %s\n", strerror(errno));
		return status ? status : EXIT_PARTIAL;
	}
	return status;
}

static int parse_global(struct cli *cli, int argc, char **argv, int *next)
{
	int i;

	for (i = 1; i < argc && argv[i][0] == '-'; i++) {
		const char *a = argv[i];

		if (!strcmp(a, "--config") || !strcmp(a, "--db")) {
			if (i + 1 >= argc)
				return cli_usage_error(NULL, "%s needs a file", a);
			if (a[2] == 'c')
				cli->config_path = argv[++i];
			else
				cli->db_path = argv[++i];
		} else if (!strcmp(a, "--metrics")) {
			if (i + 1 >= argc)
				return cli_usage_error(NULL, "%s needs a file", a);
			cli->metrics_path = argv[++i];
		} else if (!strncmp(a, "--metrics=", 10)) {
			cli->metrics_path = a + 10;
		} else if (!strncmp(a, "--config=", 9)) {
			cli->config_path = a + 9;
		} else if (!strncmp(a, "--db=", 5)) {
			cli->db_path = a + 5;
		} else if (!strcmp(a, "-v") || !strcmp(a, "--verbose")) {
			cli->verbosity = 2;
		} else if (!strcmp(a, "-q") || !strcmp(a, "--quiet")) {
			cli->verbosity = 0;
		} else if (!strcmp(a, "--version")) {
			printf("suqiu %s\n", SUQIU_VERSION);
			return -EXIT_OK - 1;
		} else if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
			print_help(stdout);
			return -EXIT_OK - 1;
		} else {
			return cli_usage_error(NULL, "unknown option '%s'\n%s", a, usage_text);
		}
	}
	*next = i;
	return EXIT_OK;
}

int main(int argc, char **argv)
{
	struct cli cli = { .verbosity = 1, .argc = argc, .argv = argv };
	struct timespec started, ended;
	const struct command *cmd;
	int next = argc, status;

	cli_log_init(&cli);
	status = parse_global(&cli, argc, argv, &next);
	if (status < 0)
		return finish_stdout(-status - 1);
	if (status)
		return status;
	if (!cli.config_path)
		cli.config_path = getenv("SUQIU_CONFIG");
	if (!cli.config_path)
		cli.config_path = "/etc/suqiu/suqiu.yaml";
	if (next >= argc) {
		fputs(usage_text, stderr);
		return EXIT_USAGE;
	}
	if (!strcmp(argv[next], "help")) {
		if (next + 1 < argc && (cmd = find_command(argv[next + 1]))) {
			char *help_argv[] = { argv[next + 1], "--help", NULL };
			return finish_stdout(cmd->fn(&cli, 2, help_argv));
		}
		print_help(stdout);
		return finish_stdout(EXIT_OK);
	}
	cmd = find_command(argv[next]);
	if (!cmd)
		return cli_usage_error(NULL, "'%s' is not a command; see 'suqiu help'", argv[next]);
	if ((cmd->flags & NEEDS_CONFIG) && !cli_wants_help(argc - next, argv + next)) {
		status = cli_load_config(&cli);
		if (status)
			return status;
	}
	{
		struct sq_error err = { 0 };

		/* libcurl's and SQLite's global state, once per process, before
		 * any handle or database. */
		if (http_global_init(&err) || store_global_init(&err)) {
			cli_error(NULL, &err);
			if (cli.cfg_loaded)
				config_release(&cli.cfg);
			return EXIT_PARTIAL;
		}
	}
	clock_gettime(CLOCK_MONOTONIC, &started);
	status = cmd->fn(&cli, argc - next, argv + next);
	clock_gettime(CLOCK_MONOTONIC, &ended);
	if (cli.metrics_path && cli.cfg_loaded && !cli_wants_help(argc - next, argv + next))
		status = cli_write_metrics(&cli, cmd->name, status,
					   (int64_t)(ended.tv_sec - started.tv_sec) * 1000 +
					   (ended.tv_nsec - started.tv_nsec) / 1000000);
	http_global_cleanup();
	if (cli.cfg_loaded)
		config_release(&cli.cfg);
	return finish_stdout(status);
}
