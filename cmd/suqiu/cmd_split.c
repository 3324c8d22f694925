/*
 * suqiu split ID — an analyst's correction: this complaint is not part of
 * its incident.  It gets an incident of its own and is never linked back
 * into the old one automatically.
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
	"usage: suqiu split [--note TEXT] ID\n"
	"\n"
	"ID is a complaint: C<id> or SOURCE:SOURCE_ID.  It leaves its incident for\n"
	"a new one and later polls never put it back.\n";

CMD(split)
{
	struct sq_error err = { 0 };
	struct sq_store *st = NULL;
	const char *note = NULL, *ref = NULL;
	int64_t complaint_id = 0, incident_id = 0, created = 0;
	int i, status;
	sq_err rc;

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
			return cli_usage_error("split", "unknown option '%s'\n%s", argv[i], usage);
		else if (!ref)
			ref = argv[i];
		else
			return cli_usage_error("split", "expected one complaint\n%s", usage);
	}
	if (!ref)
		return cli_usage_error("split", "expected one complaint\n%s", usage);
	status = cli_open_store(cli, &st);
	if (status)
		return status;
	rc = dedup_resolve(st, ref, &complaint_id, &incident_id, &err);
	if (!rc && incident_id)
		rc = sq_fail(&err, SQ_EUSAGE, "'%s' is an incident: split takes a complaint", ref);
	if (!rc)
		rc = dedup_split(st, complaint_id, (int64_t)time(NULL), note, &created, &err);
	if (rc) {
		cli_error("split", &err);
		store_close(st);
		return rc == SQ_EUSAGE || rc == SQ_ENOTFOUND ? EXIT_USAGE : EXIT_PARTIAL;
	}
	printf("C%" PRId64 " is now alone in I%" PRId64 "\n", complaint_id, created);
	store_close(st);
	return EXIT_OK;
}
