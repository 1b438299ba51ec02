/* main.c -- certfleet-coordinator: flags and environment, signals, and the main loop (relay, results, primer). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <hiredis/hiredis.h>

#include "accounts.h"
#include "api.h"
#include "breaker.h"
#include "clock.h"
#include "db.h"
#include "health.h"
#include "log.h"
#include "migrate.h"
#include "outbox.h"
#include "primer.h"
#include "probe.h"
#include "publish.h"
#include "results.h"
#include "settings.h"
#include "ari_recheck.h"
#include "renew.h"
#include "vault.h"

/* The services `check` asks. */
static const struct health_service *const main_deps[] = {
	&health_postgres, &health_kafka, &health_redis,
};
#define MAIN_APPNAME "certfleet-coordinator"
#define MAIN_POLL_MS 200	/* wait for events when idle */
#define MAIN_EVENTS_PER_TICK 100
#define MAIN_PRIME_EVERY_MS 1000
#define MAIN_RENEW_EVERY_MS 1000	/* renewal scheduler tick */
#define MAIN_BREAKER_EVERY_MS 1000	/* circuit breakers: probes, fallbacks */
#define MAIN_FLUSH_MS 10000

static volatile sig_atomic_t main_stop;

static void
main_on_signal(int sig)
{
	(void)sig;
	main_stop = 1;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: certfleet-coordinator [COMMAND]\n"
	    "\n"
	    "commands:\n"
	    "  run       (default) apply migrations, ensure the CA's ACME account,\n"
	    "            then serve the API and run the outbox relay, the result\n"
	    "            consumer and the Redis primer until SIGTERM or SIGINT\n"
	    "  migrate   apply the database migrations and exit\n"
	    "  check     check that PostgreSQL (CERTFLEET_PG), Kafka (KAFKA_BOOTSTRAP)\n"
	    "            and Redis (REDIS_URL) answer; exit 0 when all do\n"
	    "  version   print the version\n"
	    "\n");
	settings_usage(f);
	fprintf(f, "\nSettings come from the environment: source deploy/local/state/env.\n");
}

static int
main_migrate(void)
{
	struct settings s;
	PGconn *c = NULL;
	char err[1024];
	int n;

	if (settings_load(&s, 0, err, sizeof(err)) < 0 ||
	    db_ensure(&c, s.pg, MAIN_APPNAME, err, sizeof(err)) < 0) {
		log_err("migrate: %s", err);
		return 1;
	}
	n = migrate_apply(c, err, sizeof(err));
	PQfinish(c);
	if (n < 0) {
		log_err("migrate: %s", err);
		return 1;
	}
	printf("%d migration(s) applied\n", n);
	return 0;
}

/* Everything the main loop owns. */
struct coordinator {
	struct settings	 s;
	struct vault	*vault;
	PGconn		*db;
	rd_kafka_t	*producer;
	rd_kafka_t	*consumer;
	redisContext	*redis;
	struct api	*api;
	struct probe	*probe;
};

static void
main_close(struct coordinator *co)
{
	api_stop(co->api);
	if (co->consumer != NULL) {
		rd_kafka_consumer_close(co->consumer);
		rd_kafka_destroy(co->consumer);
	}
	publish_close(co->producer, MAIN_FLUSH_MS);
	if (co->redis != NULL)
		redisFree(co->redis);
	if (co->db != NULL)
		PQfinish(co->db);
	vault_free(co->vault);
	probe_free(co->probe);
}

static int
main_start(struct coordinator *co, char *err, size_t errlen)
{
	int n;

	if (settings_load(&co->s, 1, err, errlen) < 0 ||
	    (co->vault = vault_new(co->s.master_key, err, errlen)) == NULL)
		return -1;
	if (db_ensure(&co->db, co->s.pg, MAIN_APPNAME, err, errlen) < 0 ||
	    (n = migrate_apply(co->db, err, errlen)) < 0 ||
	    accounts_ensure(co->db, co->vault, &co->s, err, errlen) < 0)
		return -1;
	if ((co->producer = publish_producer_new(co->s.kafka, MAIN_APPNAME, err,
	    errlen)) == NULL ||
	    (co->consumer = results_consumer_new(co->s.kafka, err,
	    errlen)) == NULL ||
	    (co->api = api_start(&co->s, co->vault, err, errlen)) == NULL)
		return -1;
	if ((co->probe = probe_new()) == NULL) {
		snprintf(err, errlen, "out of memory for the breaker's probes");
		return -1;
	}
	log_info("coordinator up: CA %s at %s, master key %s, %d migration(s) "
	    "applied", co->s.ca_name, co->s.acme_directory,
	    vault_key_id(co->vault), n);
	return 0;
}

static int
main_run(void)
{
	struct coordinator co;
	struct sigaction sa;
	char err[1024];
	uint64_t last_prime = 0, last_renew = 0, last_breaker = 0, now;
	int n, rc = 1, busy;

	memset(&co, 0, sizeof(co));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = main_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (main_start(&co, err, sizeof(err)) < 0) {
		log_err("%s", err);
		goto out;
	}
	while (!main_stop) {
		if (db_ensure(&co.db, co.s.pg, MAIN_APPNAME, err,
		    sizeof(err)) < 0) {
			log_warn("database: %s; retrying", err);
			sleep(1);
			continue;
		}
		busy = 0;
		if ((n = outbox_relay(co.db, co.producer, &co.s.cas, err,
		    sizeof(err))) < 0)
			log_warn("%s", err);
		else if (n > 0)
			busy = 1;
		n = results_poll(co.consumer, co.producer, co.db, &co.s,
		    MAIN_EVENTS_PER_TICK, busy ? 0 : MAIN_POLL_MS);
		if (n < 0)
			sleep(1);
		now = clock_mono_ms();
		if (n > 0 || now - last_prime >= MAIN_PRIME_EVERY_MS) {
			last_prime = now;
			if (prime_pass(co.db, &co.redis, co.s.redis_url,
			    (int)co.s.prime_db, co.vault, err, sizeof(err)) < 0)
				log_warn("%s (will retry)", err);
			if (prime_withdraw_pass(co.db, &co.redis, co.s.redis_url,
			    (int)co.s.prime_db, err, sizeof(err)) < 0)
				log_warn("%s (will retry)", err);
		}
		if (now - last_renew >= MAIN_RENEW_EVERY_MS) {
			last_renew = now;
			if (renew_tick(co.db, co.vault, RENEW_PER_TICK, err,
			    sizeof(err)) < 0)
				log_warn("renewals: %s (will retry)", err);
			if (ari_recheck_tick(co.db, ARI_RECHECK_PER_TICK, err,
			    sizeof(err)) < 0)
				log_warn("ARI re-checks: %s (will retry)", err);
		}
		if (now - last_breaker >= MAIN_BREAKER_EVERY_MS ||
		    probe_busy(co.probe)) {
			last_breaker = now;
			if (breaker_tick(co.db, co.probe, &co.s, err,
			    sizeof(err)) < 0)
				log_warn("breakers: %s (will retry)", err);
		}
	}
	log_info("shutting down");
	rc = 0;
out:
	main_close(&co);
	return rc;
}

int
main(int argc, char *argv[])
{
	log_init(MAIN_APPNAME, LOGL_INFO);
	if (argc == 1 || (argc == 2 && strcmp(argv[1], "run") == 0))
		return main_run();
	if (argc == 2 && strcmp(argv[1], "migrate") == 0)
		return main_migrate();
	if (argc == 2 && strcmp(argv[1], "check") == 0)
		return health_check(main_deps, sizeof(main_deps) /
		    sizeof(main_deps[0]), stdout) == 0 ? 0 : 1;
	if (argc == 2 && strcmp(argv[1], "version") == 0) {
		printf("certfleet-coordinator %s\n", CERTFLEET_VERSION);
		return 0;
	}
	if (argc == 2 && (strcmp(argv[1], "-h") == 0 ||
	    strcmp(argv[1], "--help") == 0)) {
		usage(stdout);
		return 0;
	}
	usage(stderr);
	return 2;
}
