/* ctl.c -- certfleetctl: the operator's command-line tool; dispatches to the ctl_*.c commands. */
#include <stdio.h>
#include <string.h>

#include "ctl.h"
#include "health.h"
#include "log.h"

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: certfleetctl COMMAND [ARGS]\n"
	    "\n"
	    "commands:\n"
	    "  enroll [--key-type ec-p256|ec-p384|rsa-2048|rsa-3072|rsa-4096]\n"
	    "         [--challenge http-01|dns-01] [--ca NAME[,FALLBACK...]]...\n"
	    "         [--preferred-chain ISSUER_CN] [--profile NAME] [--wait]\n"
	    "         [--timeout SECONDS] HOST...   (wildcards \"*.example.com\" need dns-01)\n"
	    "            ask for one certificate carrying every HOST; prints its id.\n"
	    "            --wait polls until it is issued (exit 0) or failed (exit 1,\n"
	    "            printing the problem), or --timeout passes (default 300 s,\n"
	    "            exit 3). --ca NAME picks the CA; more names (repeated\n"
	    "            --ca, or NAME,NEXT,...) are the fallbacks tried in order\n"
	    "            when a CA refuses the order for good\n"
	    "  show ID   a certificate: status, names, serial, validity, issuer,\n"
	    "            last problem\n"
	    "  list [LIMIT]  the newest certificates (default 100)\n"
	    "  revoke [--reason CODE] [--wait] [--timeout SECONDS] ID\n"
	    "            revoke the certificate's current issued certificate at the\n"
	    "            CA; CODE: unspecified|0 (default), keyCompromise|1,\n"
	    "            affiliationChanged|3, superseded|4, cessationOfOperation|5;\n"
	    "            prints the action id; --wait until the CA confirmed\n"
	    "  account list | rollover [--key-type ES256|ES384|RS256] ID |\n"
	    "          deactivate [--wait] ID\n"
	    "            the ACME accounts; roll an account over to a new key, or\n"
	    "            deactivate it for good\n"
	    "  renew ID  renew certificate ID now (a fresh key; replaces the current\n"
	    "            certificate through ARI when its CA offers it)\n"
	    "  retry ID | retry [--ca NAME] [--problem TYPE] --all\n"
	    "            give a failed certificate a new order at its first CA (the\n"
	    "            key and CSR of its last order); --all: every failed one,\n"
	    "            or those of CA NAME / with last problem TYPE\n"
	    "  doctor    check that PostgreSQL, Redis, Kafka and the ACME CA answer,\n"
	    "            one line each; exit 0 when all do\n"
	    "  version   print the version\n"
	    "\n"
	    "exit codes: 0 ok, 1 the API refused or the certificate failed (its\n"
	    "message is printed), 2 usage, 3 timeout\n"
	    "\n"
	    "environment:\n"
	    "  CERTFLEET_API    base URL of the coordinator API, e.g.\n"
	    "                   http://127.0.0.1:17412 (enroll, show, list)\n"
	    "  CERTFLEET_TOKEN  the admin API bearer token (enroll, show, list)\n"
	    "  doctor reads CERTFLEET_PG, REDIS_URL, KAFKA_BOOTSTRAP, ACME_DIRECTORY\n"
	    "  and PEBBLE_TLS_CA: source deploy/local/state/env.\n");
}

/* What `doctor` asks: every service of the stack. */
static const struct health_service *const ctl_doctor_deps[] = {
	&health_postgres, &health_redis, &health_kafka, &health_acme,
};

int
main(int argc, char *argv[])
{
	const char *cmd = argc >= 2 ? argv[1] : "";

	log_init("certfleetctl", LOGL_WARN);
	if (strcmp(cmd, "enroll") == 0)
		return ctl_enroll(argc - 1, argv + 1);
	if (strcmp(cmd, "show") == 0)
		return ctl_show(argc - 1, argv + 1);
	if (strcmp(cmd, "list") == 0)
		return ctl_list(argc - 1, argv + 1);
	if (strcmp(cmd, "revoke") == 0)
		return ctl_revoke(argc - 1, argv + 1);
	if (strcmp(cmd, "account") == 0)
		return ctl_account(argc - 1, argv + 1);
	if (strcmp(cmd, "renew") == 0)
		return ctl_renew(argc - 1, argv + 1);
	if (strcmp(cmd, "retry") == 0)
		return ctl_retry(argc - 1, argv + 1);
	if (argc == 2 && strcmp(cmd, "doctor") == 0)
		return health_check(ctl_doctor_deps, sizeof(ctl_doctor_deps) /
		    sizeof(ctl_doctor_deps[0]), stdout) == 0 ? 0 : 1;
	if (argc == 2 && strcmp(cmd, "version") == 0) {
		printf("certfleetctl %s\n", CERTFLEET_VERSION);
		return 0;
	}
	if (argc == 2 && (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return CTL_USAGE;
}
