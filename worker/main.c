/* main.c -- certfleet-worker: configuration, signals and the event loop joining Kafka, the ACME engine and Redis. */
#include <poll.h>
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
#include "pacer.h"
#include "msgsig.h"
#include "ops.h"
#include "rediskeys.h"
#include "runner.h"
#include "spawn.h"
#include "wmetrics.h"

/* The services `check` asks. */
static const struct health_service *const worker_deps[] = {
	&health_kafka, &health_redis, &health_acme,
};
#define WORKER_TICK_MS 50		/* longest wait of one loop turn */
#define WORKER_POLL_BATCH 200		/* jobs taken from Kafka per turn */
#define WORKER_COMMIT_EVERY_MS 1000
#define WORKER_DNS_DRAIN_MS 15000	/* DNS withdrawals finished at a stop */

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
	    "  run       (default) wait for Kafka (its topics) and Redis, consume\n"
	    "            jobs and run their ACME flows until SIGTERM/SIGINT, then\n"
	    "            drain and leave the group. Waits are logged and retried\n"
	    "            with backoff (0.5 s doubling to 30 s); while Redis is\n"
	    "            lost no new job is taken; Kafka connections are retried\n"
	    "            by librdkafka\n"
	    "  check     check that Kafka, Redis and the ACME directory answer\n"
	    "  version   print the version\n"
	    "\n"
	    "environment (deploy/local/state/env exports the first ones):\n"
	    "  KAFKA_BOOTSTRAP                 Kafka brokers (required)\n"
	    "  REDIS_URL                       Redis for http-01 answers (required):\n"
	    "                                  redis[s]://[user:password@]host[:port][/db],\n"
	    "                                  the workers' ACL user; rediss:// reads\n"
	    "                                  CERTFLEET_REDIS_CA_FILE, _CERT_FILE, _KEY_FILE\n"
	    "  CERTFLEET_API                   coordinator base URL, for account keys (required)\n"
	    "  CERTFLEET_WORKER_TOKEN          bearer token of the coordinator's internal API (required;\n"
	    "                                  or CERTFLEET_WORKER_TOKEN_FILE, a file holding it)\n"
	    "  CERTFLEET_API_CA_FILE           PEM bundle that verifies an https:// CERTFLEET_API\n"
	    "                                  (default: CERTFLEET_CA_FILE, else the system's)\n"
	    "  CERTFLEET_API_CLIENT_CERT_FILE, CERTFLEET_API_CLIENT_KEY_FILE  the worker's client\n"
	    "                                  certificate for /internal/v1 (when the coordinator\n"
	    "                                  sets CERTFLEET_API_CLIENT_CA_FILE)\n"
	    "  CERTFLEET_CA_FILE               PEM bundle trusted for the CAs (default: PEBBLE_TLS_CA,\n"
	    "                                  else the system's)\n"
	    "  CERTFLEET_CA_FILE_<TRUST>       PEM bundle of the CAs whose jobs name trust bundle\n"
	    "                                  TRUST (upper-cased, '-' as '_'); default\n"
	    "                                  CERTFLEET_CA_FILE\n"
	    "  CERTFLEET_JOB_VERIFY_KEYS_FILE  PEM file of the coordinator's public keys (P-256\n"
	    "                                  or Ed25519, 1 to 64): a job signed by none, or expired, is\n"
	    "                                  dead-lettered, never run (required; re-read when\n"
	    "                                  it changes)\n"
	    "  CERTFLEET_EVENT_SIGNING_KEY_FILE  this worker's private key (P-256 or Ed25519; PEM,\n"
	    "                                  PKCS#8), signs every event (required; re-read when it changes)\n"
	    "  CERTFLEET_EVENT_SIGNING_KEY_PASSWORD_FILE  file whose first line is that key's\n"
	    "                                  passphrase, when it is encrypted\n"
	    "  CERTFLEET_REDIS_CHALLENGE_DB    Redis database of http-01 answers (default %d)\n"
	    "  CERTFLEET_WORKER_MAX_INFLIGHT   jobs in flight before consumption pauses (default 1000)\n"
	    "  CERTFLEET_WORKER_DRAIN_S        seconds to finish jobs on SIGTERM (default 10)\n"
	    "  CERTFLEET_WORKER_ORDER_REPORT_MS  an order still running after this long is\n"
	    "                                  reported to the coordinator, which resumes it if\n"
	    "                                  the job is lost (default %d; 0: every order at\n"
	    "                                  once); one issued sooner is reported by its result\n"
	    "  CERTFLEET_ACME_REQUEST_TIMEOUT_S  limit of one HTTP request to a CA, from connect to\n"
	    "                                  the answer's last byte (default 30, 1..600): a CA\n"
	    "                                  that answers slower fails that request\n"
	    "  CERTFLEET_WORKER_GROUP          Kafka consumer group (default certfleet-workers)\n"
	    "  CERTFLEET_WORKER_ID             client id in Kafka and events (default worker-<host>-<pid>)\n"
	    "  CERTFLEET_METRICS_LISTEN        ADDR:PORT of /metrics, /healthz and /readyz (Kafka,\n"
	    "                                  Redis), or off (default " WMETRICS_LISTEN_DEFAULT ")\n"
	    "  CERTFLEET_LOG_LEVEL             debug|info|warn|error (default info)\n"
	    "  CERTFLEET_CA_<NAME>_PACE_<EP>   requests per second (and burst) to CA NAME, shared by\n"
	    "                                  every worker through Redis: RATE[:BURST], 0 = no limit;\n"
	    "                                  EP: NEW_NONCE NEW_ACCOUNT NEW_ORDER CHALLENGE\n"
	    "                                  FINALIZE POLL RENEWAL_INFO REVOKE_CERT OTHER, and ACME\n"
	    "                                  (shared by CHALLENGE, FINALIZE, POLL and OTHER); default\n"
	    "                                  Let's Encrypt's limits per IP (docs/design.md section 4)\n"
	    "  CERTFLEET_CA_<NAME>_GATE_NEW_ORDER  1: newOrder requests and authorization fetches\n"
	    "                                  never in flight at once at CA NAME, across workers\n"
	    "                                  (Pebble's deadlock; default 0)\n"
	    "  CERTFLEET_LOG_FORMAT            text (default) or json: one JSON object per line\n"
	    "\n"
	    "dns-01 (certificates enrolled with \"challenge\": \"dns-01\", wildcards):\n"
	    "  CERTFLEET_DNS_PROVIDER          challtestsrv|hook|rfc2136 (unset: a dns-01 job fails\n"
	    "                                  at once, not retried, with problem\n"
	    "                                  urn:certfleet:error:workerConfiguration and no\n"
	    "                                  ACME order; deploy/local/stack sets challtestsrv)\n"
	    "  CERTFLEET_DNS_TIMEOUT_S         limit of one DNS call (default 10). The hook and\n"
	    "                                  nsupdate run as child processes watched by the\n"
	    "                                  worker's loop (up to 32 at once, more wait their\n"
	    "                                  turn): a slow DNS delays only its own orders;\n"
	    "                                  challtestsrv is one short HTTP request to a local\n"
	    "                                  test server\n"
	    "  challtestsrv: CERTFLEET_DNS_CHALLTESTSRV  management URL (default CHALLTESTSRV_MGMT)\n"
	    "  hook:         CERTFLEET_DNS_HOOK  absolute path of an executable run (no shell) as\n"
	    "                HOOK begin|done|failed HOSTNAME TOKEN TXT; exit 0 = success. Its\n"
	    "                environment is PATH and the worker's CERTFLEET_HOOK_* variables\n"
	    "  rfc2136:      nsupdate (bind9-dnsutils) gets an update script on stdin:\n"
	    "                CERTFLEET_DNS_SERVER, CERTFLEET_DNS_PORT (53), CERTFLEET_DNS_ZONE\n"
	    "                (optional), CERTFLEET_DNS_TSIG_NAME, CERTFLEET_DNS_TSIG_ALGORITHM\n"
	    "                (hmac-sha256), CERTFLEET_DNS_TSIG_SECRET (base64, never logged),\n"
	    "                CERTFLEET_DNS_TTL (60), CERTFLEET_DNS_NSUPDATE (/usr/bin/nsupdate)\n",
	    REDISKEYS_CHALLENGE_DB_DEFAULT, RUNNER_ORDER_REPORT_MS);
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

/* The worker's settings, read once from the environment. */
struct worker_conf {
	const char	*bootstrap, *redis, *api, *token, *ca_file, *group;
	struct http_tls	 api_tls;	/* the coordinator's API over HTTPS */
	const char	*jobkeys, *signkey, *signpass;	/* msgsig.h files */
	long		 maxinflight, drain, chdb;
	long		 order_report_ms;	/* runner.h */
	long		 acme_timeout_s;	/* one request to a CA */
	char		 id[128];	/* client id in Kafka and in events */
};

/* What worker_run owns; each part is NULL until made. */
struct worker {
	struct ops		*ops;
	struct acme_engine	*engine;
	struct acache		*acache;
	struct chstore		*chstore;
	struct consumer		*consumer;
	struct dns		*dns;
	struct events		*events;
	struct runner		*runner;
	struct pacer		*pacer;
	struct msgsig_verifier	*jobkeys;
	struct msgsig_signer	*signer;
};

/* Reads the settings into c. Returns 0, or -1 after logging what is wrong. */
static int
worker_conf_read(struct worker_conf *c)
{
	char host[64], err[512] = "";

	if ((c->bootstrap = worker_need("KAFKA_BOOTSTRAP")) == NULL ||
	    (c->redis = worker_need("REDIS_URL")) == NULL ||
	    (c->api = worker_need("CERTFLEET_API")) == NULL ||
	    (c->jobkeys = worker_need("CERTFLEET_JOB_VERIFY_KEYS_FILE")) == NULL ||
	    (c->signkey = worker_need("CERTFLEET_EVENT_SIGNING_KEY_FILE")) == NULL)
		return -1;
	c->signpass = config_str("CERTFLEET_EVENT_SIGNING_KEY_PASSWORD_FILE",
	    NULL);
	if (config_secret("CERTFLEET_WORKER_TOKEN", &c->token, err,
	    sizeof(err)) < 0 || c->token == NULL) {
		log_err("main: %s", c->token == NULL && err[0] == '\0' ?
		    "CERTFLEET_WORKER_TOKEN (or _FILE) is not set" : err);
		return -1;
	}
	if (config_long("CERTFLEET_WORKER_MAX_INFLIGHT", 1000, 1, 100000,
	    &c->maxinflight, err, sizeof(err)) < 0 ||
	    config_long("CERTFLEET_WORKER_DRAIN_S", 10, 0, 3600, &c->drain, err,
	    sizeof(err)) < 0 ||
	    config_long("CERTFLEET_WORKER_ORDER_REPORT_MS",
	    RUNNER_ORDER_REPORT_MS, 0, 3600000, &c->order_report_ms, err,
	    sizeof(err)) < 0 ||
	    config_long("CERTFLEET_ACME_REQUEST_TIMEOUT_S", 30, 1, 600,
	    &c->acme_timeout_s, err, sizeof(err)) < 0 ||
	    config_long(REDISKEYS_CHALLENGE_DB_ENV, REDISKEYS_CHALLENGE_DB_DEFAULT,
	    0, 1000, &c->chdb, err, sizeof(err)) < 0) {
		log_err("main: %s", err);
		return -1;
	}
	c->ca_file = config_str("CERTFLEET_CA_FILE",
	    config_str("PEBBLE_TLS_CA", NULL));
	c->api_tls.ca_file = config_str("CERTFLEET_API_CA_FILE", c->ca_file);
	c->api_tls.cert_file = config_str("CERTFLEET_API_CLIENT_CERT_FILE", NULL);
	c->api_tls.key_file = config_str("CERTFLEET_API_CLIENT_KEY_FILE", NULL);
	if ((c->api_tls.cert_file == NULL) != (c->api_tls.key_file == NULL)) {
		log_err("main: CERTFLEET_API_CLIENT_CERT_FILE and _KEY_FILE go "
		    "together");
		return -1;
	}
	c->group = config_str("CERTFLEET_WORKER_GROUP", "certfleet-workers");
	if (gethostname(host, sizeof(host)) < 0)
		snprintf(host, sizeof(host), "unknown");
	host[sizeof(host) - 1] = '\0';
	snprintf(c->id, sizeof(c->id), "%s", config_str("CERTFLEET_WORKER_ID", ""));
	if (c->id[0] == '\0')
		snprintf(c->id, sizeof(c->id), "worker-%s-%ld", host,
		    (long)getpid());
	return 0;
}

/* Makes every part of w from c: the runner after what it borrows, the
 * producer last (its delivery callback is the runner's). Returns 0, or -1
 * after logging; what was made stays in w for worker_close. */
static int
worker_open(struct worker *w, const struct worker_conf *c)
{
	struct acme_engine_conf ec = { 0 };
	struct runner_deps deps;
	char err[512];

	if ((w->jobkeys = msgsig_verifier_load(c->jobkeys, err,
	    sizeof(err))) == NULL || (w->signer = msgsig_signer_load(c->signkey,
	    c->signpass, err, sizeof(err))) == NULL) {
		log_err("main: message signing keys: %s", err);
		return -1;
	}
	log_info("main: jobs verified with %zu key(s), events signed with key "
	    "%s", msgsig_verifier_count(w->jobkeys),
	    msgsig_signer_kid(w->signer));
	if (dns_from_env(&w->dns, err, sizeof(err)) < 0) {
		log_err("main: %s", err);
		return -1;
	}
	if (w->dns != NULL)
		log_info("main: dns-01 through the %s provider",
		    dns_provider_name(w->dns));
	if ((w->pacer = pacer_new(c->redis, (int)c->chdb)) == NULL) {
		log_err("main: out of memory");
		return -1;
	}
	ec.pacer = pacer_hook(w->pacer);
	ec.observe = wmetrics_acme_observe;
	ec.observe_wait = wmetrics_acme_wait;
	ec.request_timeout_ms = c->acme_timeout_s * 1000;
	if ((w->engine = acme_engine_new(&ec, err, sizeof(err))) == NULL ||
	    (w->chstore = chstore_new(c->redis, (int)c->chdb)) == NULL ||
	    (w->acache = acache_new(c->api, c->token, &c->api_tls)) == NULL) {
		log_err("main: %s", w->engine == NULL ? err : "out of memory");
		return -1;
	}
	if ((w->consumer = consumer_new(c->bootstrap, c->group,
	    kafkaconn_topic_jobs(), c->id, err, sizeof(err))) == NULL) {
		log_err("main: %s", err);
		return -1;
	}
	deps.engine = w->engine;
	deps.consumer = w->consumer;
	deps.chstore = w->chstore;
	deps.acache = w->acache;
	deps.ca_file = c->ca_file;
	deps.dns = w->dns;
	deps.pacer = w->pacer;
	deps.jobkeys = w->jobkeys;
	deps.order_report_ms = c->order_report_ms;
	deps.worker_id = c->id;
	if ((w->runner = runner_new(&deps)) == NULL ||
	    (w->events = events_new(c->bootstrap, c->id, w->signer,
	    runner_delivered, err, sizeof(err))) == NULL) {
		log_err("main: %s", w->runner == NULL ? "out of memory" : err);
		return -1;
	}
	runner_set_events(w->runner, w->events);
	if (wmetrics_ops_start(&w->ops, w->consumer, c->bootstrap, c->id, err,
	    sizeof(err)) < 0) {
		log_err("main: %s", err);
		return -1;
	}
	return 0;
}

/* Frees what worker_open made. Jobs cancelled by the engine stay
 * uncommitted and are resumed by another worker. */
static void
worker_close(struct worker *w)
{
	ops_stop(w->ops);	/* its scrapes read the consumer */
	acme_engine_free(w->engine);
	/* Cancelled dns-01 orders withdrew their records: let that finish. */
	if (w->dns != NULL)
		dns_drain(w->dns, WORKER_DNS_DRAIN_MS);
	events_free(w->events, 10000);
	consumer_free(w->consumer);
	runner_free(w->runner);
	acache_free(w->acache);
	chstore_free(w->chstore);
	dns_free(w->dns);
	pacer_free(w->pacer);
	msgsig_verifier_free(w->jobkeys);
	msgsig_signer_free(w->signer);
}

/* Writes the Redis commands the turn queued (leases given back, answers
 * withdrawn, order memos) in one write each connection: sent before the
 * next turn's requests, their replies read with a later command. */
static void
worker_flush(struct worker *w)
{
	chstore_flush(w->chstore);
	pacer_flush(w->pacer);
}

/* One wait of the loop: the engine's transfers and timers, and the
 * children of the DNS provider (hook, nsupdate), whose ends are handled
 * right after. Returns acme_engine_run's answer. */
static int
worker_turn(struct worker *w)
{
	struct pollfd pfd[SPAWN_FDS_MAX];
	struct curl_waitfd wfd[SPAWN_FDS_MAX];
	int timeout = WORKER_TICK_MS, rc;
	size_t i, n = 0;

	if (w->dns != NULL)
		n = dns_fds(w->dns, pfd, SPAWN_FDS_MAX, &timeout);
	for (i = 0; i < n; i++) {
		wfd[i].fd = pfd[i].fd;
		wfd[i].events = (short)((pfd[i].events & POLLIN ?
		    CURL_WAIT_POLLIN : 0) | (pfd[i].events & POLLOUT ?
		    CURL_WAIT_POLLOUT : 0));
		wfd[i].revents = 0;
	}
	rc = acme_engine_run(w->engine, timeout, n > 0 ? wfd : NULL,
	    (unsigned)n);
	for (i = 0; i < n; i++)
		pfd[i].revents = (short)((wfd[i].revents & CURL_WAIT_POLLIN ?
		    POLLIN : 0) | (wfd[i].revents & CURL_WAIT_POLLOUT ?
		    POLLOUT : 0));
	if (w->dns != NULL)
		dns_process(w->dns, pfd, n);
	worker_flush(w);
	return rc;
}

/* Takes jobs from Kafka while fewer than maxinflight run, turns the engine
 * and the producer, and commits every WORKER_COMMIT_EVERY_MS, until
 * SIGTERM/SIGINT. Returns 0 when stopped, -1 when the engine failed. */
static int
worker_loop(struct worker *w, long maxinflight)
{
	uint64_t last_commit = clock_mono_ms();
	size_t active;
	unsigned budget;

	while (!worker_stop) {
		active = runner_active(w->runner);
		wmetrics_inflight(active);
		budget = active < (size_t)maxinflight ?
		    (unsigned)((size_t)maxinflight - active) : 0;
		if (budget > WORKER_POLL_BATCH)
			budget = WORKER_POLL_BATCH;
		/* Redis lost: no new jobs until it answers again (the store
		 * retries with backoff); jobs in flight go on. */
		if (!chstore_ready(w->chstore))
			budget = 0;
		/* Paused partitions keep the membership alive while full. */
		consumer_pause(w->consumer, budget == 0);
		consumer_poll(w->consumer, budget, runner_handle, w->runner);
		if (worker_turn(w) < 0) {
			log_err("main: the ACME engine failed; exiting");
			return -1;
		}
		runner_tick(w->runner, 0);
		worker_flush(w);	/* what the tick queued, ended jobs' */
		events_poll(w->events);
		if (clock_mono_ms() - last_commit >= WORKER_COMMIT_EVERY_MS) {
			consumer_commit(w->consumer);
			last_commit = clock_mono_ms();
		}
	}
	return 0;
}

/* Stops taking jobs and lets the running ones finish for up to drain
 * seconds (serving rebalances and delivery reports meanwhile). */
static void
worker_drain(struct worker *w, long drain)
{
	uint64_t deadline;

	log_info("main: stopping: %zu job(s) active, draining up to %ld s",
	    runner_active(w->runner), drain);
	consumer_pause(w->consumer, 1);
	runner_tick(w->runner, 1);	/* the coordinator learns every order */
	deadline = clock_mono_ms() + (uint64_t)drain * 1000;
	while (runner_active(w->runner) > 0 && clock_mono_ms() < deadline) {
		consumer_poll(w->consumer, 0, runner_handle, w->runner);
		worker_turn(w);
		events_poll(w->events);
	}
}

/* The run command. Returns the exit status: 0 after a drained stop, 1 on
 * a setting, a service or the engine failing. */
static int
worker_run(void)
{
	struct worker_conf c;
	struct worker w;
	char err[256];
	int rc = 1;

	memset(&c, 0, sizeof(c));
	memset(&w, 0, sizeof(w));
	if (wmetrics_init(err, sizeof(err)) < 0) {
		log_err("main: %s", err);
		goto out;
	}
	if (worker_conf_read(&c) < 0)
		goto out;
	/* Started before its services: wait for them (logged, backoff). */
	if (health_wait(&health_kafka, c.bootstrap, &worker_stop) < 0 ||
	    health_wait(&health_redis, c.redis, &worker_stop) < 0) {
		rc = 0;		/* stopped while waiting */
		goto out;
	}
	if (worker_open(&w, &c) < 0)
		goto out;
	log_info("main: worker %s consuming %s in group %s, up to %ld jobs in flight",
	    c.id, kafkaconn_topic_jobs(), c.group, c.maxinflight);
	if (worker_loop(&w, c.maxinflight) < 0)
		goto out;
	worker_drain(&w, c.drain);
	rc = 0;
out:
	worker_close(&w);
	wmetrics_free();
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
		return health_check(worker_deps, sizeof(worker_deps) /
		    sizeof(worker_deps[0]), stdout) == 0 ? 0 : 1;
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
