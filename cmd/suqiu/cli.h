/*
 * cli.h — what every subcommand of the suqiu binary shares: the parsed
 * global options, the loaded configuration, and the exit-status policy.
 * Only cmd/ prints messages and exits.
 */
#ifndef SUQIU_CLI_H
#define SUQIU_CLI_H

#include <stdint.h>
#include <stdio.h>

#include "config.h"
#include "error.h"

/* Exit statuses (DESIGN.md, "Command line"). */
enum {
	EXIT_OK = 0,
	EXIT_PARTIAL = 1,   /* the run partly failed (a feed down) */
	EXIT_USAGE = 2,     /* usage or configuration error */
};

struct cli {
	const char *config_path;  /* --config, $SUQIU_CONFIG, or the default */
	const char *db_path;      /* --db; overrides `database:` */
	int verbosity;            /* 0 quiet, 1 normal, 2 verbose */
	int journal;              /* stderr is the systemd journal: prefix <priority> */
	struct sq_config cfg;
	int cfg_loaded;
	const char *metrics_path; /* --metrics FILE (global, or poll's): textfile after the run */
	int argc;                 /* the whole command line, for the audit log */
	char **argv;
};

/* Load the configuration once; prints the error and returns EXIT_USAGE on failure. */
int cli_load_config(struct cli *cli);

/* The database path in effect (--db, else the configuration's). */
const char *cli_db_path(const struct cli *cli);

/* Print "suqiu: <context>: <message>" to stderr for err. */
void cli_error(const char *context, const struct sq_error *err);

/* Print "suqiu: COMMAND: message" for usage errors and return EXIT_USAGE. */
int cli_usage_error(const char *command, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* True when argv[i] asks for help (-h, --help). */
int cli_wants_help(int argc, char **argv);

/* Syslog priorities used by cli_log (values as in <syslog.h>). */
enum { CLI_ERR = 3, CLI_WARNING = 4, CLI_NOTICE = 5, CLI_INFO = 6, CLI_DEBUG = 7 };

/*
 * Decide how to log: when $JOURNAL_STREAM names the device and inode of
 * stderr, lines get a "<N>" priority prefix that journald understands;
 * otherwise they are plain.  Call once at start.
 */
void cli_log_init(struct cli *cli);

/*
 * One event, one line on stderr.  --quiet shows warnings and errors only,
 * the default adds notices (run summaries), --verbose adds info and debug.
 */
void cli_log(const struct cli *cli, int priority, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* cli_log at CLI_NOTICE. */
void cli_info(const struct cli *cli, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Open the database in effect (migrating it); on failure prints the error
 * and returns EXIT_PARTIAL (EXIT_USAGE when no database is configured).
 */
struct sq_store;
int cli_open_store(const struct cli *cli, struct sq_store **st);

/*
 * After `command` ended with status (taking duration_ms), write the
 * Prometheus textfile cli->metrics_path from the store's figures (see
 * metrics.h).  Returns status, or EXIT_PARTIAL (with one error line) when
 * the file could not be written and status was 0: monitoring that silently
 * stopped would look like a healthy, idle system.
 */
int cli_write_metrics(const struct cli *cli, const char *command, int status,
		      int64_t duration_ms);

#define CMD(name) int cmd_##name(struct cli *cli, int argc, char **argv)
CMD(backup);
CMD(digest);
CMD(doctor);
CMD(import);
CMD(poll);
CMD(show);
CMD(merge);
CMD(split);
CMD(export);
CMD(alerts);
CMD(prune);
CMD(audit);
CMD(search);

#endif
