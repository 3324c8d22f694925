/*
 * suqiu doctor — placeholder until the doctor command lands, so that the
 * binary links and the other commands can be tested.
 */
#include <stdio.h>

#include "cli.h"
#include "banned.h"

CMD(doctor)
{
	(void)cli;
	(void)argc;
	(void)argv;
	fputs("suqiu: doctor: not implemented yet\n", stderr);
	return EXIT_PARTIAL;
}
