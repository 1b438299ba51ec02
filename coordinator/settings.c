/* settings.c -- reads and checks the coordinator's environment variables. */
#include "settings.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "api_conf.h"
#include "config.h"
#include "log.h"
#include "pgpool.h"
#include "rediskeys.h"
#include "retention.h"
#include "scheduler.h"
#include "sweep.h"

#define SETTINGS_DEFAULT_PORT 8443
#define SETTINGS_API_THREADS 8		/* CERTFLEET_API_THREADS */
#define SETTINGS_API_THREADS_MAX 128
#define SETTINGS_PG_WAIT_MS 5000	/* CERTFLEET_PG_POOL_WAIT_MS */
#define SETTINGS_JOB_TTL_DEFAULT_S 3600

static int
settings_require(const char *name, const char **out, char *err, size_t errlen)
{
	if ((*out = config_str(name, NULL)) == NULL) {
		snprintf(err, errlen, "%s is not set (see --help)", name);
		return -1;
	}
	return 0;
}

/* A secret: the variable, or the file its _FILE variable names. */
static int
settings_require_secret(const char *name, const char **out, char *err,
    size_t errlen)
{
	if (config_secret(name, out, err, errlen) < 0)
		return -1;
	if (*out == NULL) {
		snprintf(err, errlen, "%s is not set, nor %s_FILE (see --help)",
		    name, name);
		return -1;
	}
	return 0;
}

/* "host:port" with an IPv4 host, or the default 127.0.0.1:<base+12>. */
static int
settings_listen(struct settings *s, char *err, size_t errlen)
{
	const char *v = config_str("CERTFLEET_API_LISTEN", NULL), *colon;
	long base, port;
	char *end;

	if (v == NULL) {
		if (config_long("CERTFLEET_PORT_BASE", -1, 1, 65535 - 12, &base,
		    err, errlen) < 0)
			return -1;
		snprintf(s->api_host, sizeof(s->api_host), "127.0.0.1");
		s->api_port = base > 0 ? (int)base + 12 : SETTINGS_DEFAULT_PORT;
		return 0;
	}
	if ((colon = strrchr(v, ':')) == NULL || colon == v ||
	    (size_t)(colon - v) >= sizeof(s->api_host)) {
		snprintf(err, errlen, "CERTFLEET_API_LISTEN must be host:port");
		return -1;
	}
	port = strtol(colon + 1, &end, 10);
	if (*end != '\0' || end == colon + 1 || port < 1 || port > 65535) {
		snprintf(err, errlen, "CERTFLEET_API_LISTEN has a bad port");
		return -1;
	}
	memcpy(s->api_host, v, (size_t)(colon - v));
	s->api_host[colon - v] = '\0';
	s->api_port = (int)port;
	return 0;
}

/* The peter_sslers edges: who may read config.json, whose caches to expire.
 * The edge URLs themselves are checked by expire_start. */
static int
settings_edges(struct settings *s, char *err, size_t errlen)
{
	const char *v = config_str("CERTFLEET_EDGE_NETWORKS", NULL), *mode;
	char why[200];

	if (v != NULL && netlist_parse(&s->edge_networks, v, why,
	    sizeof(why)) < 0) {
		snprintf(err, errlen, "CERTFLEET_EDGE_NETWORKS: %s", why);
		return -1;
	}
	s->ps_edges = config_str("CERTFLEET_PETER_SSLERS_EDGES", NULL);
	s->ps_expire_path = config_str("CERTFLEET_PETER_SSLERS_EXPIRE_PATH",
	    "/.peter_sslers/nginx/shared_cache/expire");
	if (s->ps_expire_path[0] != '/' || strlen(s->ps_expire_path) > 200 ||
	    s->ps_expire_path[strspn(s->ps_expire_path, "abcdefghijklmnopqrstuvw"
	    "xyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-/")] != '\0') {
		snprintf(err, errlen, "CERTFLEET_PETER_SSLERS_EXPIRE_PATH must be "
		    "a path of at most 200 letters, digits and ._-/");
		return -1;
	}
	mode = config_str("CERTFLEET_PETER_SSLERS_EXPIRE", "all");
	if (strcmp(mode, "domain") != 0 && strcmp(mode, "all") != 0) {
		snprintf(err, errlen, "CERTFLEET_PETER_SSLERS_EXPIRE must be "
		    "domain or all");
		return -1;
	}
	s->ps_expire_all = strcmp(mode, "all") == 0;
	return 0;
}

/* The API's threads, its PostgreSQL pool, and the key pool's sizes. */
static int
settings_pools(struct settings *s, char *err, size_t errlen)
{
	char name[64];
	long v;
	int t;

	if (config_long("CERTFLEET_API_THREADS", SETTINGS_API_THREADS, 1,
	    SETTINGS_API_THREADS_MAX, &v, err, errlen) < 0)
		return -1;
	s->api_threads = (int)v;
	if (config_long("CERTFLEET_PG_POOL", v, 1, PGPOOL_MAX, &v, err,
	    errlen) < 0)
		return -1;
	s->pg_pool = (int)v;
	if (config_long("CERTFLEET_PG_POOL_WAIT_MS", SETTINGS_PG_WAIT_MS, 0,
	    600000, &v, err, errlen) < 0)
		return -1;
	s->pg_pool_wait_ms = (int)v;
	for (t = 0; t < KEYS_TYPE_COUNT; t++) {
		if (config_env_name(name, sizeof(name), "CERTFLEET_KEY_POOL",
		    keys_type_name((enum keys_type)t), NULL) < 0 ||
		    config_long(name, 0, 0, KEYPOOL_MAX, &s->key_pool.n[t], err,
		    errlen) < 0)
			return -1;
	}
	return 0;
}

/* The message signing files and the jobs' lifetime; every CA's trust
 * anchors (CERTFLEET_CA_<NAME>_ROOTS_FILE or CERTFLEET_CA_ROOTS_FILE). */
static int
settings_trust(struct settings *s, char *err, size_t errlen)
{
	size_t i;

	if (settings_require("CERTFLEET_JOB_SIGNING_KEY_FILE",
	    &s->job_signing_key, err, errlen) < 0 ||
	    settings_require("CERTFLEET_EVENT_VERIFY_KEYS_FILE",
	    &s->event_verify_keys, err, errlen) < 0 ||
	    config_long("CERTFLEET_JOB_TTL_S", SETTINGS_JOB_TTL_DEFAULT_S, 60,
	    7 * 86400, &s->job_ttl_s, err, errlen) < 0)
		return -1;
	s->job_signing_pass = config_str("CERTFLEET_JOB_SIGNING_KEY_PASSWORD_FILE",
	    NULL);
	for (i = 0; i < s->cas.n; i++)
		if (s->cas.ca[i].roots == NULL) {
			snprintf(err, errlen, "CA %s has no trust anchors: set "
			    "CERTFLEET_CA_<NAME>_ROOTS_FILE or CERTFLEET_CA_ROOTS_FILE",
			    s->cas.ca[i].name);
			return -1;
		}
	return 0;
}

int
settings_keys(struct settings *s, char *err, size_t errlen)
{
	char why[512];

	if ((s->job_signer = msgsig_signer_load(s->job_signing_key,
	    s->job_signing_pass, why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "CERTFLEET_JOB_SIGNING_KEY_FILE: %s", why);
		return -1;
	}
	if ((s->event_keys = msgsig_verifier_load(s->event_verify_keys, why,
	    sizeof(why))) == NULL) {
		snprintf(err, errlen, "CERTFLEET_EVENT_VERIFY_KEYS_FILE: %s", why);
		return -1;
	}
	return 0;
}

void
settings_keys_free(struct settings *s)
{
	msgsig_signer_free(s->job_signer);
	msgsig_verifier_free(s->event_keys);
	s->job_signer = NULL;
	s->event_keys = NULL;
}

int
settings_load(struct settings *s, int need_daemon, char *err, size_t errlen)
{
	const char *kt;

	memset(s, 0, sizeof(*s));
	if (settings_require("CERTFLEET_PG", &s->pg, err, errlen) < 0)
		return -1;
	if (!need_daemon)
		return 0;
	if (settings_require("KAFKA_BOOTSTRAP", &s->kafka, err, errlen) < 0 ||
	    settings_require("REDIS_URL", &s->redis_url, err, errlen) < 0 ||
	    settings_require_secret("CERTFLEET_TOKEN", &s->token, err,
	    errlen) < 0 ||
	    settings_require_secret("CERTFLEET_WORKER_TOKEN", &s->worker_token,
	    err, errlen) < 0 ||
	    settings_require_secret("CERTFLEET_MASTER_KEY", &s->master_key, err,
	    errlen) < 0 || config_secret("CERTFLEET_MASTER_KEYS_OPEN_ONLY",
	    &s->master_keys_open_only, err, errlen) < 0 ||
	    cas_parse(&s->cas, NULL, NULL, err, errlen) < 0)
		return -1;
	s->ca_name = s->cas.ca[s->cas.def].name;
	s->acme_directory = s->cas.ca[s->cas.def].directory;
	if (strcmp(s->token, s->worker_token) == 0) {
		snprintf(err, errlen, "CERTFLEET_TOKEN and CERTFLEET_WORKER_TOKEN "
		    "must differ");
		return -1;
	}
	s->contact = config_str("CERTFLEET_ACME_CONTACT", NULL);
	if (s->contact != NULL && strncmp(s->contact, "mailto:", 7) != 0) {
		snprintf(err, errlen, "CERTFLEET_ACME_CONTACT must be a mailto: URI");
		return -1;
	}
	kt = config_str("CERTFLEET_KEY_TYPE", "ec-p256");
	if (keys_type_parse(kt, &s->key_type) < 0) {
		snprintf(err, errlen, "CERTFLEET_KEY_TYPE must be "
		    KEYS_TYPE_NAMES);
		return -1;
	}
	kt = config_str("CERTFLEET_ACCOUNT_KEY_TYPE", "ES256");
	if (keys_account_type_parse(kt, &s->account_key_type) < 0) {
		snprintf(err, errlen, "CERTFLEET_ACCOUNT_KEY_TYPE must be ES256, "
		    "ES384 or RS256");
		return -1;
	}
	s->preferred_chain = config_str("CERTFLEET_PREFERRED_CHAIN", NULL);
	if (s->preferred_chain != NULL && (s->preferred_chain[0] == '\0' ||
	    strlen(s->preferred_chain) > 256)) {
		snprintf(err, errlen, "CERTFLEET_PREFERRED_CHAIN must be an issuer "
		    "common name of 1-256 bytes");
		return -1;
	}
	if (config_long(REDISKEYS_PRIME_DB_ENV, REDISKEYS_PRIME_DB_DEFAULT, 0,
	    15, &s->prime_db, err, errlen) < 0 ||
	    retrysched_parse(RETRYSCHED_ENV, RETRYSCHED_DEFAULT,
	    config_str(RETRYSCHED_ENV, RETRYSCHED_DEFAULT), &s->retry_sched,
	    err, errlen) < 0 ||
	    retrysched_parse(RETRYSCHED_RENEW_ENV, RETRYSCHED_RENEW_DEFAULT,
	    config_str(RETRYSCHED_RENEW_ENV, RETRYSCHED_RENEW_DEFAULT),
	    &s->renew_sched, err, errlen) < 0 ||
	    config_long("CERTFLEET_SWEEP_LEASE_S", SWEEP_LEASE_DEFAULT_S, 1,
	    7 * 86400, &s->sweep_lease_s, err, errlen) < 0 ||
	    config_long("CERTFLEET_SCHEDULE_DRAIN_MS", SCHEDULER_DRAIN_DEFAULT_MS,
	    0, 5000, &s->drain_ms, err, errlen) < 0 ||
	    config_long("CERTFLEET_OUTBOX_RETENTION_S",
	    RETENTION_OUTBOX_DEFAULT_S, 3600, 366 * 86400, &s->outbox_keep_s,
	    err, errlen) < 0 ||
	    config_long("CERTFLEET_IDEMPOTENCY_RETENTION_S",
	    RETENTION_IDEM_DEFAULT_S, 3600, 366 * 86400, &s->idem_keep_s, err,
	    errlen) < 0 ||
	    config_long("CERTFLEET_PROCESSED_EVENTS_RETENTION_S",
	    RETENTION_EVENTS_DEFAULT_S, 86400, 366 * 86400, &s->events_keep_s,
	    err, errlen) < 0 ||
	    config_long("CERTFLEET_RATE_LIMIT_HITS_RETENTION_S",
	    RETENTION_HITS_DEFAULT_S, 3600, 3660 * 86400, &s->hits_keep_s,
	    err, errlen) < 0 ||
	    prime_conf_load(&s->prime, s->redis_url, s->prime_db, err,
	    errlen) < 0 ||
	    settings_edges(s, err, errlen) < 0 ||
	    settings_trust(s, err, errlen) < 0 ||
	    odconf_load(&s->od, err, errlen) < 0 ||
	    settings_pools(s, err, errlen) < 0 ||
	    settings_listen(s, err, errlen) < 0)
		return -1;
	if (getenv("CERTFLEET_RETRY_MAX") != NULL)
		log_warn("CERTFLEET_RETRY_MAX is no longer used: a transient "
		    "failure is retried without end (CERTFLEET_RETRY_BACKOFF); "
		    "only final problems end a certificate as failed");
	return api_conf_load(&s->apic, s->api_host, err, errlen);
}

static void settings_usage_pools(FILE *f);
static void settings_usage_edges(FILE *f);
static void settings_usage_run(FILE *f);

/* The signing keys and trust anchors (settings_trust). */
static void
settings_usage_trust(FILE *f)
{
	fprintf(f,
	    "  CERTFLEET_JOB_SIGNING_KEY_FILE the coordinator's private key (P-256\n"
	    "                          or Ed25519; PEM, PKCS#8): signs every job\n"
	    "                          (required; re-read when the file changes:\n"
	    "                          rotation)\n"
	    "  CERTFLEET_JOB_SIGNING_KEY_PASSWORD_FILE file whose first line is\n"
	    "                          that key's passphrase, when it is encrypted\n"
	    "  CERTFLEET_JOB_TTL_S     a job expires this long after it is\n"
	    "                          published (default 3600, 60-604800); workers\n"
	    "                          dead-letter it after, the sweeper re-drives\n"
	    "  CERTFLEET_EVENT_VERIFY_KEYS_FILE the workers' public keys (P-256 or\n"
	    "                          Ed25519; PEM, 1-64): an event signed by none is\n"
	    "                          dead-lettered, never applied (required;\n"
	    "                          re-read when the file changes)\n"
	    "  CERTFLEET_CA_ROOTS_FILE trust anchors (PEM) of every CA without\n"
	    "                          its own CERTFLEET_CA_<NAME>_ROOTS_FILE: an\n"
	    "                          issued chain (default and each alternate)\n"
	    "                          must verify to one of them, else the order\n"
	    "                          fails (urn:certfleet:error:untrustedChain);\n"
	    "                          one of the two is required per CA\n");
}

void
settings_usage(FILE *f)
{
	fprintf(f,
	    "environment:\n"
	    "  CERTFLEET_PG            PostgreSQL conninfo or URI (required)\n"
	    "  KAFKA_BOOTSTRAP         Kafka bootstrap servers (required)\n"
	    "  REDIS_URL               redis[s]://[user:password@]host[:port][/db]\n"
	    "                          (required; the primer's ACL user; rediss://:\n"
	    "                          CERTFLEET_REDIS_CA_FILE, _CERT_FILE, _KEY_FILE)\n"
	    "  CERTFLEET_TOKEN         the bootstrap admin token of the API /v1\n"
	    "                          (required; scope admin, audited as\n"
	    "                          \"bootstrap\"; more tokens: certfleetctl token)\n"
	    "  CERTFLEET_WORKER_TOKEN  bearer token workers use on /internal/v1\n"
	    "                          (required, must differ from CERTFLEET_TOKEN)\n"
	    "  CERTFLEET_MASTER_KEY    64 hex characters (32 bytes): AES-256-GCM key\n"
	    "                          that encrypts every private key (required)\n"
	    "  CERTFLEET_MASTER_KEYS_OPEN_ONLY other master keys (64 hex each,\n"
	    "                          comma-separated, at most 4) that open what\n"
	    "                          was sealed under them and never seal: a\n"
	    "                          rotation. Every secret under one is sealed\n"
	    "                          again under CERTFLEET_MASTER_KEY in the\n"
	    "                          background; certfleet_reseal_left says when\n"
	    "                          none is left (README, \"Rotating the master\n"
	    "                          key\")\n"
	    "                          These four secrets can instead be read from\n"
	    "                          a file named by <NAME>_FILE (e.g.\n"
	    "                          CERTFLEET_TOKEN_FILE), one line\n"
	    "  ACME_DIRECTORY          directory URL of the default CA, https://\n"
	    "                          (required unless CERTFLEET_CAS is set)\n"
	    "  CERTFLEET_CA_NAME       name of that CA (default pebble); without\n"
	    "                          ACME_DIRECTORY: the default of CERTFLEET_CAS\n"
	    "  CERTFLEET_CAS           more CAs: comma-separated names ([a-z0-9-]),\n"
	    "                          each configured by CERTFLEET_CA_<NAME>_...\n"
	    "                          (NAME upper-cased, '-' as '_'):\n"
	    "    _DIRECTORY            its https:// directory URL (required)\n"
	    "    _EAB_KID, _EAB_HMAC   External Account Binding key id and MAC key\n"
	    "                          (base64url), both or neither; stored\n"
	    "                          encrypted, given only to workers\n"
	    "    _TRUST                trust bundle name; workers map it to the file\n"
	    "                          CERTFLEET_CA_FILE_<TRUST>\n"
	    "    _ROOTS_FILE           its trust anchors (PEM; default\n"
	    "                          CERTFLEET_CA_ROOTS_FILE, see below)\n"
	    "    _LIMIT_ORDERS_PER_3H  budget of new orders per 3 h (default 300)\n"
	    "    _LIMIT_CERTS_PER_DOMAIN_7D certificates per registered domain (by\n"
	    "                          the Public Suffix List) per 7 days (default 50)\n"
	    "    _LIMIT_DUPLICATES_7D  certificates per exact name set per 7 days\n"
	    "                          (default 5); 0 = no limit; orders that do not\n"
	    "                          fit wait (urn:certfleet:error:budget), ARI\n"
	    "                          renewals (replaces) are exempt, other renewals\n"
	    "                          (same names) meet only _LIMIT_DUPLICATES_7D;\n"
	    "                          also for the ACME_DIRECTORY CA\n"
	    "    _MAX_IN_FLIGHT        orders released to the workers and not\n"
	    "                          answered yet, across every worker (default\n"
	    "                          50; 0 = no cap): the rest waits in the outbox\n"
	    "    _PACE_<EP>            requests per second to the CA, shared by every\n"
	    "                          worker (RATE[:BURST], 0 = no limit; see\n"
	    "                          certfleet-worker --help): read by the workers,\n"
	    "                          shown by GET /v1/cas\n"
	    "  CERTFLEET_ACME_CONTACT  mailto: URI for the ACME account (optional)\n"
	    "  CERTFLEET_API_LISTEN    host:port of the API (default\n"
	    "                          127.0.0.1:<CERTFLEET_PORT_BASE+12>, or\n"
	    "                          127.0.0.1:8443 without a port base)\n"
	    API_CONF_USAGE
	    "  CERTFLEET_KEY_TYPE      default certificate key: ec-p256 (default),\n"
	    "                          ec-p384, rsa-2048, rsa-3072 or rsa-4096 (RSA\n"
	    "                          keys take 0.2 s to seconds to make: see\n"
	    "                          CERTFLEET_KEY_POOL_<TYPE>)\n"
	    "  CERTFLEET_ACCOUNT_KEY_TYPE key of new ACME accounts: ES256 (default),\n"
	    "                          ES384 or RS256\n"
	    "  CERTFLEET_PREFERRED_CHAIN issuer common name of the chain to serve\n"
	    "                          when the CA offers several (default: the\n"
	    "                          CA's default chain)\n"
	    "  CERTFLEET_REDIS_PRIME_DB Redis database the primer writes on every\n"
	    "                          target (default 9)\n"
	    "  CERTFLEET_PRIME_TARGETS the Redis servers the primer keeps for the\n"
	    "                          edges, one per edge region:\n"
	    "                          name=redis://...,name2=rediss://... (names\n"
	    "                          [a-z0-9-], up to 16 targets; default: one\n"
	    "                          target \"default\" at REDIS_URL). Each is\n"
	    "                          primed and repaired on its own (state in the\n"
	    "                          table prime_targets): one that is down is\n"
	    "                          retried after 1 s doubling to 8 s while the\n"
	    "                          others go on (connect timeout 0.5 s, reply\n"
	    "                          timeout 2 s); a database in a URL is\n"
	    "                          overridden by CERTFLEET_REDIS_PRIME_DB\n"
	    "  CERTFLEET_PRIME_STYLE   1 (d1:/c:/p:/i:), 2 (d2:) or both (default):\n"
	    "                          the peter_sslers prime styles written; keys of\n"
	    "                          a style turned off are deleted\n"
	    "  CERTFLEET_PRIME_TTL     seconds every edge key lives unless refreshed:\n"
	    "                          0 or unset = no TTL (default), else 60-7776000;\n"
	    "                          the primer's comparison visits every name\n"
	    "                          within a quarter of it and refreshes it, and a\n"
	    "                          target left alone longer than a third of it\n"
	    "                          is re-primed in full when seen again\n");
	settings_usage_run(f);
	settings_usage_edges(f);
}

/* The variables of retries, the sweeper, Kafka, metrics and logs. */
static void
settings_usage_run(FILE *f)
{
	fprintf(f,
	    "  CERTFLEET_RETRY_BACKOFF waits in seconds after the 1st, 2nd... transient\n"
	    "                          failure of an order, the last repeating, each\n"
	    "                          +-20 percent (default 60,600,6000,86400: Let's\n"
	    "                          Encrypt's integration guide). A transient\n"
	    "                          failure is retried without end: only problems\n"
	    "                          the CA will not fix and configuration errors\n"
	    "                          end a certificate as failed\n"
	    "  CERTFLEET_RENEW_BACKOFF waits in seconds before the next renewal after\n"
	    "                          the 1st, 2nd... renewal in a row the CA refused\n"
	    "                          for good (the name no longer validates), the\n"
	    "                          last repeating, each +-20 percent (default\n"
	    "                          3600,21600,86400). Such renewals go after new\n"
	    "                          certificates; once the current certificate\n"
	    "                          has expired they stop (certfleetctl renew ID)\n"
	    "  CERTFLEET_SWEEP_LEASE_S seconds an order may be sent or processing\n"
	    "                          without progress before the sweeper\n"
	    "                          re-drives it as its next attempt (default\n"
	    "                          900: more than a worker's 600 s order\n"
	    "                          deadline; 1 to 604800)\n"
	    "  CERTFLEET_SCHEDULE_DRAIN_MS  milliseconds a second's round may\n"
	    "                          repeat the renewal tick (16 a tick) while\n"
	    "                          it finds full batches due and fewer than\n"
	    "                          1000 orders are in flight, and half as long\n"
	    "                          the ARI re-check tick (32 a tick): a burst\n"
	    "                          due together drains at the CAs' pace\n"
	    "                          (default 500; 0: one tick of each a second,\n"
	    "                          at most 16 renewals and 32 re-checks; 0 to\n"
	    "                          5000)\n"
	    "  CERTFLEET_OUTBOX_RETENTION_S  a job's outbox row is deleted this\n"
	    "                          long after it was sent (default 604800,\n"
	    "                          3600 to 31622400)\n"
	    "  CERTFLEET_IDEMPOTENCY_RETENTION_S  an Idempotency-Key is forgotten\n"
	    "                          this long after it was taken (default\n"
	    "                          86400, 3600 to 31622400)\n"
	    "  CERTFLEET_PROCESSED_EVENTS_RETENTION_S  an applied event's record\n"
	    "                          (what makes a redelivered one change\n"
	    "                          nothing) is deleted this long after; keep\n"
	    "                          it above the events topic's retention.ms\n"
	    "                          (default 2592000, 86400 to 31622400)\n"
	    "  CERTFLEET_RATE_LIMIT_HITS_RETENTION_S  a CA's 429, 503 or\n"
	    "                          rateLimited answer recorded in\n"
	    "                          rate_limit_hits is deleted this long after\n"
	    "                          (default 7776000: 90 days, 3600 to\n"
	    "                          316224000)\n"
	    "  CERTFLEET_COORDINATOR_GROUP  Kafka consumer group of the result\n"
	    "                          consumer (default certfleet-coordinator)\n"
	    "  CERTFLEET_KAFKA_TOPIC_JOBS, _EVENTS, _DLQ  topic names (defaults\n"
	    "                          certfleet.jobs, certfleet.events,\n"
	    "                          certfleet.deadletter)\n"
	    "  CERTFLEET_METRICS_LISTEN ADDR:PORT of /metrics, /healthz and /readyz\n"
	    "                          (PostgreSQL, Kafka, Redis), or off (default\n"
	    "                          127.0.0.1:9101)\n"
	    "  CERTFLEET_METRICS_REFRESH_S the PostgreSQL gauges are read again at a\n"
	    "                          scrape when this old (default 15, 1-3600)\n"
	    "  CERTFLEET_LOG_LEVEL     debug, info (default), warn or error\n"
	    "  CERTFLEET_LOG_FORMAT    text (default) or json: one JSON object per\n"
	    "                          line\n");
	settings_usage_pools(f);
	settings_usage_trust(f);
}

/* The variables of the API's threads, its connections and the key pool. */
static void
settings_usage_pools(FILE *f)
{
	fprintf(f,
	    "  CERTFLEET_KEY_POOL_RSA_2048, _RSA_3072, _RSA_4096, _EC_P256, _EC_P384\n"
	    "                          keys of that type made ahead by a background\n"
	    "                          thread and kept sealed in PostgreSQL, for\n"
	    "                          enrollments and renewals to take (default 0:\n"
	    "                          none; at most 100000; e.g. 100 for RSA-2048)\n"
	    "  CERTFLEET_API_THREADS   threads serving the API (default 8, at most\n"
	    "                          128)\n"
	    "  CERTFLEET_PG_POOL       PostgreSQL connections the API's threads share\n"
	    "                          (default: CERTFLEET_API_THREADS, at most 256)\n"
	    "  CERTFLEET_PG_POOL_WAIT_MS how long a request waits for a free\n"
	    "                          connection before a 503 (default 5000)\n");
}

/* The variables of peter_sslers edges. */
static void
settings_usage_edges(FILE *f)
{
	fprintf(f,
	    "peter_sslers edges (lua-resty-peter_sslers, see README.md):\n"
	    "  CERTFLEET_EDGE_NETWORKS client networks (CIDR, comma-separated) that\n"
	    "                          may read GET /.well-known/admin/domain/\n"
	    "                          {name}/config.json (keys included); unset:\n"
	    "                          nobody (403)\n"
	    "  CERTFLEET_PETER_SSLERS_EDGES edges whose certificate cache is expired\n"
	    "                          when a certificate is primed or withdrawn:\n"
	    "                          http(s)://[user:password@]host:port, comma-\n"
	    "                          separated (user:password: basic auth)\n"
	    "  CERTFLEET_PETER_SSLERS_EXPIRE_PATH the edges' expire route (default\n"
	    "                          /.peter_sslers/nginx/shared_cache/expire)\n"
	    "  CERTFLEET_PETER_SSLERS_EXPIRE all (default): one GET <path>/all per\n"
	    "                          round (the only call that empties a 0.5.0\n"
	    "                          edge's cache); domain: GET <path>/domain/\n"
	    "                          <name> per name, as peter_sslers does\n");
	odconf_usage(f);
}
