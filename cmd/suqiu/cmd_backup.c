/* suqiu backup FILE — an online copy of the database. */
#include <stdio.h>

#include "cli.h"
#include "store.h"
#include "banned.h"

static const char backup_usage[] =
	"usage: suqiu backup FILE\n"
	"Writes a consistent copy of the database to FILE (replacing it atomically).\n"
	"Safe while a poll runs.\n";

int cmd_backup(struct cli *cli, int argc, char **argv)
{
	struct sq_error err = { 0 };
	struct sq_store *st = NULL;
	const char *db = cli_db_path(cli);
	int status = EXIT_OK;

	if (cli_wants_help(argc, argv)) {
		fputs(backup_usage, stdout);
		return EXIT_OK;
	}
	if (argc != 2)
		return cli_usage_error("backup", "expected one FILE\n%s", backup_usage);
	if (store_open(db, &st, &err) || store_backup(st, argv[1], &err)) {
		cli_error("backup", &err);
		status = EXIT_PARTIAL;
	} else {
		cli_info(cli, "suqiu: backup of %s written to %s", db, argv[1]);
	}
	store_close(st);
	return status;
}
