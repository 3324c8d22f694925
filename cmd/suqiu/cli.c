#include "cli.h"

#include <stdarg.h>
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
	if (context)
		fprintf(stderr, "suqiu: %s: %s\n", context,
			err->msg[0] ? err->msg : sq_strerror(err->code));
	else
		fprintf(stderr, "suqiu: %s\n", err->msg[0] ? err->msg : sq_strerror(err->code));
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

void cli_info(const struct cli *cli, const char *fmt, ...)
{
	va_list ap;

	if (cli->verbosity < 1)
		return;
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
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
