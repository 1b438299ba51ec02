/* main.c -- certfleet-coordinator: entry point and subcommand dispatch of the coordinator daemon. */
#include <stdio.h>
#include <string.h>

#include "health.h"
#include "log.h"

#define COORDINATOR_DEPS (HEALTH_POSTGRES | HEALTH_KAFKA | HEALTH_REDIS)

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: certfleet-coordinator COMMAND\n"
	    "\n"
	    "commands:\n"
	    "  check     check that PostgreSQL (CERTFLEET_PG), Kafka (KAFKA_BOOTSTRAP)\n"
	    "            and Redis (REDIS_URL) answer; exit 0 when all do\n"
	    "  version   print the version\n"
	    "\n"
	    "Settings come from the environment: source deploy/local/state/env.\n");
}

int
main(int argc, char *argv[])
{
	log_init("certfleet-coordinator", LOGL_INFO);
	if (argc == 2 && strcmp(argv[1], "check") == 0)
		return health_check(COORDINATOR_DEPS, stdout) == 0 ? 0 : 1;
	if (argc == 2 && strcmp(argv[1], "version") == 0) {
		printf("certfleet-coordinator %s\n", CERTFLEET_VERSION);
		return 0;
	}
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 || strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
