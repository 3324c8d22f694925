/*
 * suqiu merge A B — an analyst's correction: the incidents of A and B are
 * one.  Recorded as a decision that later polls never undo.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "dedup.h"
#include "store.h"
#include "banned.h"

static const char usage[] =
	"usage: suqiu merge [--note TEXT] A B\n"
	"\n"
	"A and B are C<id> (a complaint: its incident), I<id> (an incident) or\n"
	"SOURCE:SOURCE_ID.  Every complaint of B's incident moves into A's, which\n"
	"is kept; an earlier split between them is forgotten.  Polls never undo it.\n";

CMD(merge)
{
	struct sq_error err = { 0 };
	struct sq_store *st = NULL;
	const char *note = NULL, *ref[2] = { NULL, NULL };
	int64_t inc[2] = { 0, 0 };
	int i, n = 0, status;
	sq_err rc = SQ_OK;

	if (cli_wants_help(argc, argv)) {
		fputs(usage, stdout);
		return EXIT_OK;
	}
	for (i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--note") && i + 1 < argc)
			note = argv[++i];
		else if (!strncmp(argv[i], "--note=", 7))
			note = argv[i] + 7;
		else if (argv[i][0] == '-' && argv[i][1])
			return cli_usage_error("merge", "unknown option '%s'\n%s", argv[i], usage);
		else if (n < 2)
			ref[n++] = argv[i];
		else
			return cli_usage_error("merge", "expected two IDs\n%s", usage);
	}
	if (n != 2)
		return cli_usage_error("merge", "expected two IDs\n%s", usage);
	status = cli_open_store(cli, &st);
	if (status)
		return status;
	for (i = 0; !rc && i < 2; i++)
		rc = dedup_resolve_incident(st, ref[i], &inc[i], &err);
	if (!rc && inc[0] == inc[1])
		rc = sq_fail(&err, SQ_EUSAGE, "%s and %s are already in one incident (I%" PRId64 ")",
			     ref[0], ref[1], inc[0]);
	if (!rc)
		rc = dedup_merge(st, inc[0], inc[1], (int64_t)time(NULL), note, &err);
	if (rc) {
		cli_error("merge", &err);
		store_close(st);
		return rc == SQ_EUSAGE || rc == SQ_ENOTFOUND ? EXIT_USAGE : EXIT_PARTIAL;
	}
	printf("merged I%" PRId64 " into I%" PRId64 "\n", inc[1], inc[0]);
	store_close(st);
	return EXIT_OK;
}
