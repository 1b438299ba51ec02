/* main.c -- certfleet-worker: configuration, signals and the event loop joining Kafka, the ACME engine and Redis. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "account_cache.h"
#include "acme.h"
#include "challenge_store.h"
#include "clock.h"
#include "config.h"
#include "consumer.h"
#include "dns.h"
#include "events.h"
#include "health.h"
#include "kafkaconn.h"
#include "log.h"
#include "rediskeys.h"
#include "runner.h"

#define WORKER_DEPS (HEALTH_KAFKA | HEALTH_REDIS | HEALTH_ACME)
#define WORKER_TICK_MS 50		/* longest wait of one loop turn */
#define WORKER_POLL_BATCH 200		/* jobs taken from Kafka per turn */
#define WORKER_COMMIT_EVERY_MS 1000

static volatile sig_atomic_t worker_stop;

static void
worker_signal(int sig)
{
	(void)sig;
	worker_stop = 1;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: certfleet-worker [run | check | version]\n"
	    "\n"
	    "  run       (default) consume jobs and run their ACME flows until\n"
	    "            SIGTERM/SIGINT, then drain and leave the group\n"
	    "  check     check that Kafka, Redis and the ACME directory answer\n"
	    "  version   print the version\n"
	    "\n"
	    "environment (deploy/local/state/env exports the first ones):\n"
	    "  KAFKA_BOOTSTRAP                 Kafka brokers (required)\n"
	    "  REDIS_URL                       Redis for http-01 answers (required)\n"
	    "  CERTFLEET_API                   coordinator base URL, for account keys (required)\n"
	    "  CERTFLEET_WORKER_TOKEN          bearer token of the coordinator's internal API (required)\n"
	    "  CERTFLEET_CA_FILE               PEM bundle trusted for the CAs (default: PEBBLE_TLS_CA,\n"
	    "                                  else the system's)\n"
	    "  CERTFLEET_CA_FILE_<TRUST>       PEM bundle of the CAs whose jobs name trust bundle\n"
	    "                                  TRUST (upper-cased, '-' as '_'); default\n"
	    "                                  CERTFLEET_CA_FILE\n"
	    "  CERTFLEET_REDIS_CHALLENGE_DB    Redis database of http-01 answers (default %d)\n"
	    "  CERTFLEET_WORKER_MAX_INFLIGHT   jobs in flight before consumption pauses (default 1000)\n"
	    "  CERTFLEET_WORKER_DRAIN_S        seconds to finish jobs on SIGTERM (default 10)\n"
	    "  CERTFLEET_WORKER_GROUP          Kafka consumer group (default certfleet-workers)\n"
	    "  CERTFLEET_WORKER_ID             client id in Kafka and events (default worker-<host>-<pid>)\n"
	    "  CERTFLEET_LOG_LEVEL             debug|info|warn|error (default info)\n"
	    "\n"
	    "dns-01 (certificates enrolled with \"challenge\": \"dns-01\", wildcards):\n"
	    "  CERTFLEET_DNS_PROVIDER          challtestsrv|hook|rfc2136 (unset: dns-01 jobs fail)\n"
	    "  CERTFLEET_DNS_TIMEOUT_S         limit of one DNS call (default 10); the calls block\n"
	    "                                  the worker's loop briefly (one HTTP request or one\n"
	    "                                  child process per record, begin and cleanup)\n"
	    "  challtestsrv: CERTFLEET_DNS_CHALLTESTSRV  management URL (default CHALLTESTSRV_MGMT)\n"
	    "  hook:         CERTFLEET_DNS_HOOK  absolute path of an executable run (no shell) as\n"
	    "                HOOK begin|done|failed HOSTNAME TOKEN TXT; exit 0 = success. Its\n"
	    "                environment is PATH and the worker's CERTFLEET_HOOK_* variables\n"
	    "  rfc2136:      nsupdate (bind9-dnsutils) gets an update script on stdin:\n"
	    "                CERTFLEET_DNS_SERVER, CERTFLEET_DNS_PORT (53), CERTFLEET_DNS_ZONE\n"
	    "                (optional), CERTFLEET_DNS_TSIG_NAME, CERTFLEET_DNS_TSIG_ALGORITHM\n"
	    "                (hmac-sha256), CERTFLEET_DNS_TSIG_SECRET (base64, never logged),\n"
	    "                CERTFLEET_DNS_TTL (60), CERTFLEET_DNS_NSUPDATE (/usr/bin/nsupdate)\n",
	    REDISKEYS_CHALLENGE_DB_DEFAULT);
}

/* Reads a required variable; logs and returns NULL when unset. */
static const char *
worker_need(const char *name)
{
	const char *v = config_str(name, NULL);

	if (v == NULL)
		log_err("main: %s is not set (source deploy/local/state/env)", name);
	return v;
}

static int
worker_run(void)
{
	struct acme_engine *engine = NULL;
	struct acache *acache = NULL;
	struct events *events = NULL;
	struct runner *runner = NULL;
	struct consumer *consumer = NULL;
	struct chstore *chstore = NULL;
	struct dns *dns = NULL;
	struct runner_deps deps;
	const char *bootstrap, *redis, *api, *token, *ca_file, *group;
	char id[128], host[64], err[512];
	long maxinflight, drain, chdb;
	uint64_t last_commit, deadline;
	unsigned budget;
	int rc = 1;

	if ((bootstrap = worker_need("KAFKA_BOOTSTRAP")) == NULL ||
	    (redis = worker_need("REDIS_URL")) == NULL ||
	    (api = worker_need("CERTFLEET_API")) == NULL ||
	    (token = worker_need("CERTFLEET_WORKER_TOKEN")) == NULL)
		return 1;
	if (config_long("CERTFLEET_WORKER_MAX_INFLIGHT", 1000, 1, 100000,
	    &maxinflight, err, sizeof(err)) < 0 ||
	    config_long("CERTFLEET_WORKER_DRAIN_S", 10, 0, 3600, &drain, err,
	    sizeof(err)) < 0 ||
	    config_long(REDISKEYS_CHALLENGE_DB_ENV, REDISKEYS_CHALLENGE_DB_DEFAULT,
	    0, 1000, &chdb, err, sizeof(err)) < 0) {
		log_err("main: %s", err);
		return 1;
	}
	ca_file = config_str("CERTFLEET_CA_FILE", config_str("PEBBLE_TLS_CA", NULL));
	group = config_str("CERTFLEET_WORKER_GROUP", "certfleet-workers");
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	snprintf(id, sizeof(id), "%s", config_str("CERTFLEET_WORKER_ID", ""));
	if (id[0] == '\0')
		snprintf(id, sizeof(id), "worker-%s-%ld", host, (long)getpid());

	if (dns_from_env(&dns, err, sizeof(err)) < 0) {
		log_err("main: %s", err);
		return 1;
	}
	if (dns != NULL)
		log_info("main: dns-01 through the %s provider",
		    dns_provider_name(dns));
	if ((engine = acme_engine_new(NULL, err, sizeof(err))) == NULL ||
	    (chstore = chstore_new(redis, (int)chdb)) == NULL ||
	    (acache = acache_new(api, token)) == NULL) {
		log_err("main: %s", engine == NULL ? err : "out of memory");
		goto out;
	}
	if ((consumer = consumer_new(bootstrap, group, kafkaconn_topic_jobs(),
	    id, err, sizeof(err))) == NULL) {
		log_err("main: %s", err);
		goto out;
	}
	deps.engine = engine;
	deps.consumer = consumer;
	deps.chstore = chstore;
	deps.acache = acache;
	deps.ca_file = ca_file;
	deps.dns = dns;
	if ((runner = runner_new(&deps)) == NULL ||
	    (events = events_new(bootstrap, id, runner_delivered, err,
	    sizeof(err))) == NULL) {
		log_err("main: %s", runner == NULL ? "out of memory" : err);
		goto out;
	}
	runner_set_events(runner, events);
	log_info("main: worker %s consuming %s in group %s, up to %ld jobs in flight",
	    id, kafkaconn_topic_jobs(), group, maxinflight);

	last_commit = clock_mono_ms();
	while (!worker_stop) {
		budget = runner_active(runner) < (size_t)maxinflight ?
		    (unsigned)((size_t)maxinflight - runner_active(runner)) : 0;
		if (budget > WORKER_POLL_BATCH)
			budget = WORKER_POLL_BATCH;
		/* Paused partitions keep the membership alive while full. */
		consumer_pause(consumer, budget == 0);
		consumer_poll(consumer, budget, runner_handle, runner);
		if (acme_engine_run(engine, WORKER_TICK_MS, NULL, 0) < 0) {
			log_err("main: the ACME engine failed; exiting");
			goto out;
		}
		events_poll(events);
		if (clock_mono_ms() - last_commit >= WORKER_COMMIT_EVERY_MS) {
			consumer_commit(consumer);
			last_commit = clock_mono_ms();
		}
	}

	log_info("main: stopping: %zu job(s) active, draining up to %ld s",
	    runner_active(runner), drain);
	consumer_pause(consumer, 1);
	deadline = clock_mono_ms() + (uint64_t)drain * 1000;
	while (runner_active(runner) > 0 && clock_mono_ms() < deadline) {
		consumer_poll(consumer, 0, runner_handle, runner);
		acme_engine_run(engine, WORKER_TICK_MS, NULL, 0);
		events_poll(events);
	}
	rc = 0;
out:
	/* Cancelled jobs stay uncommitted and are resumed by another worker. */
	acme_engine_free(engine);
	events_free(events, 10000);
	consumer_free(consumer);
	runner_free(runner);
	acache_free(acache);
	chstore_free(chstore);
	dns_free(dns);
	return rc;
}

int
main(int argc, char *argv[])
{
	struct sigaction sa;

	log_init("certfleet-worker", LOGL_INFO);
	if (argc > 2) {
		usage(stderr);
		return 2;
	}
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
	if (argc == 2 && strcmp(argv[1], "run") != 0) {
		usage(stderr);
		return 2;
	}
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = worker_signal;
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	return worker_run();
}
