/*
 * doctor_placeholder.c — a weak stand-in for `suqiu doctor` so that the
 * binary links (and the poll tests can run) before the doctor issue lands.
 * The real cmd_doctor in cmd_doctor.c is a strong symbol and replaces this
 * one without a merge conflict; delete this file then.
 */
#include <stdio.h>

#include "cli.h"
#include "banned.h"

__attribute__((weak)) int cmd_doctor(struct cli *cli, int argc, char **argv)
{
	(void)cli;
	(void)argc;
	(void)argv;
	fputs("suqiu: doctor: not available in this build yet\n", stderr);
	return EXIT_USAGE;
}
