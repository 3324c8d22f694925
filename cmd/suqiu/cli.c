#include "cli.h"

#include <stdarg.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <stdio.h>
#include <string.h>

#include "store.h"
#include "banned.h"

int cli_load_config(struct cli *cli)
{
	struct sq_error err = { 0 };

	if (cli->cfg_loaded)
		return EXIT_OK;
	if (config_load(cli->config_path, &cli->cfg, &err)) {
		fprintf(stderr, "suqiu: %s\n", err.msg);
		return EXIT_USAGE;
	}
	cli->cfg_loaded = 1;
	return EXIT_OK;
}

const char *cli_db_path(const struct cli *cli)
{
	if (cli->db_path)
		return cli->db_path;
	return cli->cfg_loaded ? cli->cfg.database : NULL;
}

void cli_error(const char *context, const struct sq_error *err)
{
	struct cli probe = { .verbosity = 1 };
	const char *msg = err->msg[0] ? err->msg : sq_strerror(err->code);

	cli_log_init(&probe);
	if (context)
		cli_log(&probe, CLI_ERR, "suqiu: %s: %s", context, msg);
	else
		cli_log(&probe, CLI_ERR, "suqiu: %s", msg);
}

int cli_usage_error(const char *command, const char *fmt, ...)
{
	va_list ap;

	fputs("suqiu: ", stderr);
	if (command)
		fprintf(stderr, "%s: ", command);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	return EXIT_USAGE;
}

int cli_wants_help(int argc, char **argv)
{
	int i;

	for (i = 1; i < argc; i++)
		if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help"))
			return 1;
	return 0;
}

void cli_log_init(struct cli *cli)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat sb;

	cli->journal = js && sscanf(js, "%llu:%llu", &dev, &ino) == 2 &&
		       fstat(2, &sb) == 0 && (unsigned long long)sb.st_dev == dev &&
		       (unsigned long long)sb.st_ino == ino;
}

static int shown(const struct cli *cli, int priority)
{
	if (priority <= CLI_WARNING)
		return 1;
	if (priority == CLI_NOTICE)
		return cli->verbosity >= 1;
	return cli->verbosity >= 2;
}

static void vlog(const struct cli *cli, int priority, const char *fmt, va_list ap)
{
	char line[2048];

	if (!shown(cli, priority))
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	/* One event per line: a message must not smuggle in a second one. */
	for (char *p = line; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
	if (cli->journal)
		fprintf(stderr, "<%d>%s\n", priority, line);
	else
		fprintf(stderr, "%s\n", line);
}

void cli_log(const struct cli *cli, int priority, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(cli, priority, fmt, ap);
	va_end(ap);
}

void cli_info(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(cli, CLI_NOTICE, fmt, ap);
	va_end(ap);
}

int cli_open_store(const struct cli *cli, struct sq_store **st)
{
	struct sq_error err = { 0 };
	const char *path = cli_db_path(cli);

	*st = NULL;
	if (!path || !*path)
		return cli_usage_error(NULL, "no database: set `database:` or give --db FILE");
	if (store_open(path, st, &err)) {
		cli_error(NULL, &err);
		return EXIT_PARTIAL;
	}
	return EXIT_OK;
}
