/* ctl.c -- certfleetctl: the operator's command-line tool. */
#include <stdio.h>
#include <string.h>

#include "health.h"
#include "log.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: certfleetctl COMMAND\n"
	    "\n"
	    "commands:\n"
	    "  doctor    check that PostgreSQL, Redis, Kafka and the ACME CA answer,\n"
	    "            one line each; exit 0 when all do\n"
	    "  version   print the version\n"
	    "\n"
	    "Settings come from the environment: source deploy/local/state/env.\n");
}

int
main(int argc, char *argv[])
{
	log_init("certfleetctl", LOGL_WARN);
	if (argc == 2 && strcmp(argv[1], "doctor") == 0)
		return health_check(HEALTH_ALL, stdout) == 0 ? 0 : 1;
	if (argc == 2 && strcmp(argv[1], "version") == 0) {
		printf("certfleetctl %s\n", CERTFLEET_VERSION);
		return 0;
	}
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
