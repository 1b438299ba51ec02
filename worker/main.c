/* main.c -- certfleet-worker: entry point and subcommand dispatch of the ACME worker daemon. */
#include <stdio.h>
#include <string.h>

#include "health.h"
#include "log.h"

#define WORKER_DEPS (HEALTH_KAFKA | HEALTH_REDIS | HEALTH_ACME)

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: certfleet-worker COMMAND\n"
	    "\n"
	    "commands:\n"
	    "  check     check that Kafka (KAFKA_BOOTSTRAP), Redis (REDIS_URL) and the\n"
	    "            ACME directory (ACME_DIRECTORY) answer; exit 0 when all do\n"
	    "  version   print the version\n"
	    "\n"
	    "Settings come from the environment: source deploy/local/state/env.\n");
}

int
main(int argc, char *argv[])
{
	log_init("certfleet-worker", LOGL_INFO);
	if (argc == 2 && strcmp(argv[1], "check") == 0)
		return health_check(WORKER_DEPS, stdout) == 0 ? 0 : 1;
	if (argc == 2 && strcmp(argv[1], "version") == 0) {
		printf("certfleet-worker %s\n", CERTFLEET_VERSION);
		return 0;
	}
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
