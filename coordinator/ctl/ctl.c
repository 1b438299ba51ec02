/* ctl.c -- certfleetctl: the operator's command-line tool; dispatches to the ctl_*.c commands. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

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
	    "  ca list   each CA: circuit breaker (closed, open, half_open), orders\n"
	    "            in flight against the cap and waiting, request pacing\n"
	    "            (slowed by 429/503), recent errors, budget headroom\n"
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
	    "--json (anywhere on the line): every command prints one JSON\n"
	    "  document on stdout instead of text: the API's answer, or the final\n"
	    "  state after --wait; a failure prints {\"error\": ..., \"exit\": N}.\n"
	    "  Commands that wait show their progress on stderr.\n"
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

/* Takes --json out of argv wherever it stands; returns the new argc. */
static int
ctl_take_json(int argc, char *argv[])
{
	int i, n = 0;

	for (i = 0; i < argc; i++) {
		if (i > 0 && strcmp(argv[i], "--json") == 0) {
			ctl_json_set(1);
			continue;
		}
		argv[n++] = argv[i];
	}
	argv[n] = NULL;
	return n;
}

/* doctor: one line per service, or a JSON array of them. */
static int
ctl_doctor(void)
{
	struct health_result r[sizeof(ctl_doctor_deps) /
	    sizeof(ctl_doctor_deps[0])];
	size_t i, n = sizeof(r) / sizeof(r[0]);
	json_t *a;
	int failed;

	if (!ctl_json())
		return health_check(ctl_doctor_deps, n, stdout) == 0 ? CTL_OK :
		    CTL_FAILED;
	failed = health_run(ctl_doctor_deps, n, r);
	a = json_array();
	for (i = 0; i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:b, s:s, s:s}",
		    "service", r[i].name, "ok", r[i].ok, "where", r[i].where,
		    "detail", r[i].detail));
	ctl_emit(a);
	json_decref(a);
	return failed == 0 ? CTL_OK : CTL_FAILED;
}

/* version: the version, as text or {"version": ...}. */
static int
ctl_version(void)
{
	json_t *j;

	if (!ctl_json()) {
		printf("certfleetctl %s\n", CERTFLEET_VERSION);
		return CTL_OK;
	}
	j = json_pack("{s:s}", "version", CERTFLEET_VERSION);
	ctl_emit(j);
	json_decref(j);
	return CTL_OK;
}

int
main(int argc, char *argv[])
{
	const char *cmd;

	argc = ctl_take_json(argc, argv);
	cmd = argc >= 2 ? argv[1] : "";
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
	if (strcmp(cmd, "ca") == 0)
		return ctl_ca(argc - 1, argv + 1);
	if (strcmp(cmd, "retry") == 0)
		return ctl_retry(argc - 1, argv + 1);
	if (argc == 2 && strcmp(cmd, "doctor") == 0)
		return ctl_doctor();
	if (argc == 2 && strcmp(cmd, "version") == 0)
		return ctl_version();
	if (argc == 2 && (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return CTL_USAGE;
}
