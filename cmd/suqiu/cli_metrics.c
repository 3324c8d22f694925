/* --metrics FILE: the Prometheus textfile written after a run. */
#include <stdlib.h>
#include <time.h>

#include "buf.h"
#include "cli.h"
#include "metrics.h"
#include "store.h"
#include "banned.h"

/* The configured source names, so a source that never succeeded shows 0. */
static const char **source_names(const struct sq_config *cfg)
{
	const char **names = calloc(cfg->nsources + 1, sizeof(*names));
	size_t i;

	for (i = 0; names && i < cfg->nsources; i++)
		names[i] = cfg->sources[i].name;
	return names;
}

int cli_write_metrics(const struct cli *cli, const char *command, int status,
		      int64_t duration_ms)
{
	struct metrics_run run = {
		.command = command,
		.exit_status = status,
		.finished_at = (int64_t)time(NULL),
		.duration_ms = duration_ms,
	};
	struct store_metrics m = { 0 };
	struct sq_error err = { 0 };
	struct sq_buf text = SQ_BUF_INIT;
	struct sq_store *st = NULL;
	const char *db = cli_db_path(cli);
	const char **names = NULL;
	sq_err rc;

	if (!db || !*db)
		return status;
	names = source_names(&cli->cfg);
	if (!names) {
		rc = sq_fail(&err, SQ_ENOMEM, "out of memory");
		goto out;
	}
	rc = store_open(db, &st, &err);
	if (!rc)
		rc = store_metrics(st, names, cli->cfg.nsources, &m, &err);
	if (!rc)
		rc = metrics_format(&text, &m, &run, SUQIU_VERSION, &err);
	if (!rc)
		rc = metrics_write_file(cli->metrics_path, text.data, text.len, &err);
out:
	if (rc) {
		cli_error("--metrics", &err);
		if (!status)
			status = EXIT_PARTIAL;
	} else {
		cli_log(cli, CLI_DEBUG, "suqiu: metrics written to %s", cli->metrics_path);
	}
	store_metrics_release(&m);
	sq_buf_release(&text);
	store_close(st);
	free(names);
	return status;
}
