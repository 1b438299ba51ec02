/* ctl.c -- certfleetctl: the operator's command-line tool; dispatches to the ctl_*.c commands. */
#include <stdio.h>
#include <string.h>

#include <jansson.h>

#include "ctl.h"
#include "health.h"
#include "log.h"

static void usage_tail(FILE *f);

/* The lifecycle verbs of usage (ctl_lifecycle.c). */
static const char ctl_usage_lifecycle[] =
    "  delete [--revoke [--reason CODE]] ID\n"
    "            stop managing a certificate: never renewed again, its\n"
    "            orders in flight cancelled, withdrawn from the edges\n"
    "            (Redis) at once; --revoke also revokes it at the CA (CODE\n"
    "            as for revoke; refused, nothing deleted, when the CA cannot\n"
    "            revoke it). Deleting a deleted certificate changes nothing\n"
    "  delete --tenant T [--label KEY:VALUE] [--revoke [--reason CODE]] [--yes]\n"
    "  delete --label KEY:VALUE [...]\n"
    "            delete every certificate of a tenant (and/or with a label)\n"
    "            the same way, in rounds of 1000 (POST /v1/certificates:delete);\n"
    "            without --yes only counts them; --revoke revokes those the\n"
    "            CA can revoke (the others are deleted unrevoked, counted)\n"
    "  disable ID | enable ID\n"
    "            disable: not renewed and withdrawn from the edges, kept\n"
    "            with its keys; enable: served and renewed again (a new\n"
    "            order when it was never issued)\n"
    "  names ID [--add HOST]... [--drop HOST]...\n"
    "            change a certificate's names: a replacement certificate is\n"
    "            ordered for the new set (same id); the current one is served\n"
    "            until it is issued, then the edges swap to it and stop\n"
    "            serving dropped names. Prints ID STATUS (was S), order O\n"
    "  changes ID  the lifecycle changes of a certificate (when, who, what)\n";

/* The environment part of usage. */
static const char ctl_usage_env[] =
    "environment:\n"
    "  CERTFLEET_API    base URL of the coordinator API, e.g.\n"
    "                   http://127.0.0.1:17412 (enroll, show, list)\n"
    "  CERTFLEET_TOKEN  the API bearer token (enroll, show, list); or\n"
    "                   CERTFLEET_TOKEN_FILE, a file holding it\n"
    "  CERTFLEET_API_CA_FILE, else CERTFLEET_CA_FILE  CA certificates (PEM)\n"
    "                   that verify an https:// CERTFLEET_API (default:\n"
    "                   the system's)\n"
    "  doctor reads CERTFLEET_PG, REDIS_URL, KAFKA_BOOTSTRAP, ACME_DIRECTORY\n"
    "  and PEBBLE_TLS_CA: source deploy/local/state/env.\n";

/* The commands that make or take over certificates: enroll, import,
 * export. */
static void
usage_enroll(FILE *f)
{
	fprintf(f,
	    "  enroll [--key-type ec-p256|ec-p384|rsa-2048|rsa-3072|rsa-4096]\n"
	    "         [--challenge http-01|dns-01] [--ca NAME[,FALLBACK...]]...\n"
	    "         [--preferred-chain ISSUER_CN] [--profile NAME] [--tenant NAME]\n"
	    "         [--label KEY=VALUE]... [--force] [--wait]\n"
	    "         [--timeout SECONDS] HOST...   (wildcards \"*.example.com\" need dns-01)\n"
	    "            ask for one certificate carrying every HOST; prints its id.\n"
	    "            --wait polls until it is issued (exit 0) or failed (exit 1,\n"
	    "            printing the problem), or --timeout passes (default 300 s,\n"
	    "            exit 3). --ca NAME picks the CA; more names (repeated\n"
	    "            --ca, or NAME,NEXT,...) are the fallbacks tried in order\n"
	    "            when a CA refuses the order for good. A name set that a\n"
	    "            pending or issued certificate already has answers that\n"
	    "            certificate; --force makes a new one anyway\n"
	    "  enroll [the options above but --wait] --from FILE|-\n"
	    "            one certificate per line of FILE: host names separated by\n"
	    "            spaces, or a JSON object as the API takes it (NDJSON);\n"
	    "            blank lines and lines starting with # are skipped; the\n"
	    "            options apply to every line that does not set them. Sent\n"
	    "            in batches (POST /v1/certificates:bulk) with a progress bar\n"
	    "            on stderr; prints ID, created|existing and the names per\n"
	    "            set, a refused line as FILE:LINE: reason on stderr (exit 1)\n"
	    "  import [--ca NAME] [--tenant NAME] [--label KEY=VALUE]...\n"
	    "         [--challenge http-01|dns-01] [--force] DIR\n"
	    "            take over certificates issued elsewhere: DIR is a certbot\n"
	    "            directory (holding live/ and archive/, e.g. /etc/letsencrypt,\n"
	    "            or its live/ or one live/NAME/), a lego directory (holding\n"
	    "            certificates/, or that directory: NAME.crt, NAME.key,\n"
	    "            NAME.issuer.crt, NAME.json) or any directory of PEM files\n"
	    "            (each private key paired with the certificate of its public\n"
	    "            key; the chain from the certificates after it in its file,\n"
	    "            else from its issuers beside it). Each certificate is checked\n"
	    "            (key, names, dates, chain), stored with its key sealed, served\n"
	    "            by the edges and renewed at --ca (default: the default CA).\n"
	    "            Prints ID, imported|existing and the name per certificate\n"
	    "  export [--format fullchain|cert|chain|der|key|p12] [--legacy]\n"
	    "         [--password-file FILE|-] [--out FILE] ID\n"
	    "            a certificate's file (default fullchain PEM; der: the leaf\n"
	    "            in DER; key: the private key; p12: PKCS#12 with the key,\n"
	    "            AES-256/SHA-256, or 3DES/SHA-1 with --legacy for Windows\n"
	    "            Server 2016 and older). The p12 password comes from the\n"
	    "            first line of --password-file (- for stdin) or\n"
	    "            CERTFLEET_EXPORT_PASSWORD, never the command line. --out\n"
	    "            writes FILE (mode 0600 for key and p12), else stdout. Key\n"
	    "            downloads are recorded by the coordinator\n");
}

/* The commands that find certificates: show, list, count, find. */
static void
usage_find(FILE *f)
{
	fprintf(f,
	    "  show ID   a certificate: status, names, serial, validity, issuer,\n"
	    "            next renewal (and the renewals the CA refused for good\n"
	    "            in a row), last problem\n"
	    "  list [FILTERS] [--limit N | N] [--after CURSOR] [--all]\n"
	    "            certificates matching every filter, a page of N (default\n"
	    "            100, at most 1000); the next page is --after the cursor\n"
	    "            printed on stderr, --all follows it to the end. Newest\n"
	    "            first, except: by name with --name/--name-prefix, by\n"
	    "            reversed name with --name-suffix, by expiry with\n"
	    "            --expiring-*, by renewal time with --renewal-due\n"
	    "  count [FILTERS] [--exact]\n"
	    "            how many match; past 10000 (1000 with --name-prefix or\n"
	    "            --name-suffix) only \"more than\" and the planner's\n"
	    "            estimate, unless --exact (slow at a million)\n"
	    "    FILTERS: --status pending|issued|failed|revoked|disabled|deleted,\n"
	    "            --ca NAME,\n"
	    "            --key-type T, --issuer DN (exact, as list shows it),\n"
	    "            --expiring-before T, --expiring-after T (T: 2030-01-31,\n"
	    "            2030-01-31T12:00:00Z, or from now: 7d, 12h, -2d),\n"
	    "            --renewal-due, --tenant T, --label KEY:VALUE, --name HOST,\n"
	    "            --name-prefix P, --name-suffix S (e.g. .customer.com),\n"
	    "            --problem TYPE (last problem), --sha1 (a SHA-1 signature\n"
	    "            in the served chain)\n"
	    "  find HOSTNAME  the certificate serving HOSTNAME now (the exact name,\n"
	    "            else its wildcard), every certificate carrying it, and\n"
	    "            their issued certificates\n");
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: certfleetctl COMMAND [ARGS]\n"
	    "\n"
	    "commands:\n");
	usage_enroll(f);
	usage_find(f);
	fprintf(f,
	    "  tenant list | set NAME [--max-live N] [--max-orders-per-hour N]\n"
	    "            tenants, their live certificates and quotas (an omitted\n"
	    "            quota: no limit); an enrollment over a quota is refused\n"
	    "  on-demand [show] | policy TENANT |\n"
	    "          set TENANT [--allow ENTRY]... [--per-minute N] [--max-pending N]\n"
	    "            on-demand issuance (edges ask for unknown names): the\n"
	    "            policy, each decision counted, the queue and the recent\n"
	    "            decisions; a tenant's allow-list (ENTRY: example.com for\n"
	    "            it and every name under it, *.example.com for one label)\n"
	    "            and limits (set replaces them; an omitted limit: none)\n"
	    "  revoke [--reason CODE] [--wait] [--timeout SECONDS] ID\n"
	    "            revoke the certificate's current issued certificate at the\n"
	    "            CA; CODE: unspecified|0 (default), keyCompromise|1,\n"
	    "            affiliationChanged|3, superseded|4, cessationOfOperation|5;\n"
	    "            prints the action id; --wait until the CA confirmed\n"
	    "            (exit 0) or the action failed for good (exit 1, at once,\n"
	    "            with the CA's problem)\n"
	    "%s"
	    "  account list | rollover [--key-type ES256|ES384|RS256] [--wait] ID |\n"
	    "          deactivate [--wait] ID\n"
	    "            the ACME accounts (each belongs to one directory URL; the\n"
	    "            current one is its CA's directory now); roll an account\n"
	    "            over to a new key, or deactivate it for good; --wait and\n"
	    "            --timeout as for revoke\n"
	    "  ca list   each CA: circuit breaker (closed, open, half_open), orders\n"
	    "            in flight against the cap and waiting, request pacing\n"
	    "            (slowed by 429/503), recent errors, budget headroom, the\n"
	    "            scopes its rate-limit reports hold; then any CA orders\n"
	    "            wait for that the coordinator has no configuration for\n"
	    "  ca release NAME [SCOPE HOLDS]\n"
	    "            end CA NAME's holds now (all, or the one of SCOPE\n"
	    "            account|domain|set|name holding HOLDS, as ca list shows\n"
	    "            it; a set's names as one argument): the orders they held\n"
	    "            are due again\n"
	    "  ca move FROM NAME[,FALLBACK...] [--tenant T] [--label KEY:VALUE]\n"
	    "          [--now] [--yes]\n"
	    "            move every live certificate of CA FROM (its CA or a\n"
	    "            fallback, the issuer of its current certificate, or with\n"
	    "            an order in flight there; FROM need not be configured\n"
	    "            any more) to CA NAME and its fallbacks: orders waiting\n"
	    "            at FROM move to NAME (same key and CSR), failed ones get\n"
	    "            an order at NAME, issued ones are served as they are and\n"
	    "            renewed at NAME when due (at once when FROM refused\n"
	    "            their last renewal for good); --now renews those issued\n"
	    "            by a CA left out at once (the flow control and budgets\n"
	    "            of NAME pace them). Without --yes only counts them\n"
	    "  ca set ID NAME[,FALLBACK...] [--now]\n"
	    "            the same for one certificate\n"
	    "  renew ID  renew certificate ID now (a fresh key; replaces the current\n"
	    "            certificate through ARI when its CA offers it)\n"
	    "  retry ID | retry [--ca NAME] [--problem TYPE] --all\n"
	    "            give a failed certificate a new order at its first CA (the\n"
	    "            key and CSR of its last order), renew an issued one whose\n"
	    "            last renewal the CA refused for good; --all: every such\n"
	    "            one (the renewals made due), or those of CA NAME / with\n"
	    "            last problem TYPE\n"
	    "  token create --scope read|enroll|admin NAME | list | revoke ID\n"
	    "            the API's tokens: read (GETs, no private keys), enroll\n"
	    "            (+ enroll, bulk, import, renew, retry), admin (all, key\n"
	    "            downloads too); create prints the secret once (only its\n"
	    "            hash is stored); a revoked token gets 401 at once\n"
	    "  audit [--token ID] [--before AUDIT_ID] [LIMIT]\n"
	    "            the API's audit log, newest first: every state-changing\n"
	    "            call and key download, its token id (bootstrap: the\n"
	    "            CERTFLEET_TOKEN; worker; edge), status and source address\n"
	    "  doctor    check that PostgreSQL, Redis, Kafka and the ACME CA answer,\n"
	    "            one line each; exit 0 when all do\n"
	    "  version   print the version\n", ctl_usage_lifecycle);
	usage_tail(f);
}

/* The part of usage() after the commands: output, exit codes, environment. */
static void
usage_tail(FILE *f)
{
	fprintf(f,
	    "\n"
	    "--json (anywhere on the line): every command prints one JSON\n"
	    "  document on stdout instead of text: the API's answer, or the final\n"
	    "  state after --wait; a failure prints {\"error\": ..., \"exit\": N}.\n"
	    "  Commands that wait show their progress on stderr.\n"
	    "\n"
	    "exit codes: 0 ok, 1 the API refused or the certificate failed (its\n"
	    "message is printed), 2 usage, 3 timeout\n"
	    "\n"
	    "%s", ctl_usage_env);
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
	if (strcmp(cmd, "count") == 0)
		return ctl_count(argc - 1, argv + 1);
	if (strcmp(cmd, "find") == 0)
		return ctl_find(argc - 1, argv + 1);
	if (strcmp(cmd, "tenant") == 0)
		return ctl_tenant(argc - 1, argv + 1);
	if (strcmp(cmd, "on-demand") == 0)
		return ctl_ondemand(argc - 1, argv + 1);
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
	if (strcmp(cmd, "import") == 0)
		return ctl_import(argc - 1, argv + 1);
	if (strcmp(cmd, "export") == 0)
		return ctl_export(argc - 1, argv + 1);
	if (strcmp(cmd, "token") == 0)
		return ctl_token(argc - 1, argv + 1);
	if (strcmp(cmd, "audit") == 0)
		return ctl_audit(argc - 1, argv + 1);
	if (strcmp(cmd, "delete") == 0)
		return ctl_delete(argc - 1, argv + 1);
	if (strcmp(cmd, "disable") == 0 || strcmp(cmd, "enable") == 0)
		return ctl_able(argc - 1, argv + 1);
	if (strcmp(cmd, "names") == 0)
		return ctl_names(argc - 1, argv + 1);
	if (strcmp(cmd, "changes") == 0)
		return ctl_changes(argc - 1, argv + 1);
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
