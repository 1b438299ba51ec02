/* main.c -- certfleet-responder: entry point and subcommand dispatch of the http-01 responder. */
#include <stdio.h>
#include <string.h>

#include "health.h"
#include "log.h"

#define RESPONDER_DEPS HEALTH_REDIS

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: certfleet-responder COMMAND\n"
	    "\n"
	    "commands:\n"
	    "  check     check that Redis (REDIS_URL) answers; exit 0 when it does\n"
	    "  version   print the version\n"
	    "\n"
	    "Settings come from the environment: source deploy/local/state/env.\n");
}

int
main(int argc, char *argv[])
{
	log_init("certfleet-responder", LOGL_INFO);
	if (argc == 2 && strcmp(argv[1], "check") == 0)
		return health_check(RESPONDER_DEPS, stdout) == 0 ? 0 : 1;
	if (argc == 2 && strcmp(argv[1], "version") == 0) {
		printf("certfleet-responder %s\n", CERTFLEET_VERSION);
		return 0;
	}
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
