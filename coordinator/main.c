/* main.c -- certfleet-coordinator: flags and environment, signals, and the main loop (relay, results, primer, breakers); the ticks run on their own thread. */
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "accounts.h"
#include "api.h"
#include "backoff.h"
#include "breaker.h"
#include "clock.h"
#include "cmetrics.h"
#include "db.h"
#include "expire.h"
#include "health.h"
#include "keypool.h"
#include "log.h"
#include "migrate.h"
#include "ops.h"
#include "ondemand.h"
#include "orphans.h"
#include "outbox.h"
#include "primer.h"
#include "probe.h"
#include "publish.h"
#include "results.h"
#include "settings.h"
#include "scheduler.h"
#include "vault.h"

/* The services `check` asks. */
static const struct health_service *const main_deps[] = {
	&health_postgres, &health_kafka, &health_redis,
};
#define MAIN_APPNAME "certfleet-coordinator"
#define MAIN_POLL_MS 200	/* wait for events when idle */
#define MAIN_EVENTS_PER_TICK 100
#define MAIN_PRIME_EVERY_MS 1000
/* After events were applied, the primer runs at most this often: the
 * certificates issued meanwhile planned and written in one pass (one call
 * of certfleet_prime_plan, one pipeline per target) rather than a pass
 * after every poll (bench/e2e: docs/performance-log.md, e2epg). */
#define MAIN_PRIME_GAP_MS 200
#define MAIN_BREAKER_EVERY_MS 1000	/* circuit breakers: probes, fallbacks */
/* After a relay pass that sent less than a full batch (OUTBOX_BATCH), the
 * next one waits this long: the jobs that room freed by results and new
 * enrollments release meanwhile go out together, several to a partition,
 * in fewer produce requests and fetches (bench/e2e, three alternated runs
 * each: Kafka 1.20 ms/cert relaying after every poll, 0.86 with the gap;
 * docs/performance-log.md, "The relay's pace"). A full batch goes again
 * at once: a backlog is not paced. A job waits up to this long more on its
 * way to Kafka. */
#define MAIN_RELAY_GAP_MS 250
#define MAIN_FLUSH_MS 10000

static volatile sig_atomic_t main_stop;
static volatile sig_atomic_t main_hup;	/* SIGHUP: read the TLS files now */

static void
main_on_signal(int sig)
{
	if (sig == SIGHUP)
		main_hup = 1;
	else
		main_stop = 1;
}

static void
usage(FILE *f)
{
	fprintf(f,
	    "usage: certfleet-coordinator [COMMAND]\n"
	    "\n"
	    "commands:\n"
	    "  run       (default) wait for PostgreSQL, apply migrations, ensure\n"
	    "            the CAs' ACME accounts, wait for Kafka (its topics) and\n"
	    "            Redis, then serve the API and run the outbox relay, the\n"
	    "            result consumer and the Redis primer until SIGTERM or\n"
	    "            SIGINT. Every wait, at start or after losing a service,\n"
	    "            is logged and retried with backoff (0.5 s doubling to\n"
	    "            30 s); Kafka connections are retried by librdkafka\n"
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
	struct primer	*primer;
	struct api_server *api;
	struct probe	*probe;
	struct expire	*expire;	/* peter_sslers edges' caches */
	struct ops	*ops;
	struct results_stall stall;	/* the event the consumer is stuck on */
	struct ondemand	*ondemand;	/* edges' asks for unknown names */
	struct keypool	*keypool;	/* keys made ahead, on a thread */
	struct scheduler *sched;	/* the ticks, on a thread */
	struct scheduler_conf sched_conf;
};

static void
main_close(struct coordinator *co)
{
	ops_stop(co->ops);	/* its scrapes read the consumer */
	scheduler_stop(co->sched);
	expire_stop(co->expire);
	api_stop(co->api);
	keypool_stop(co->keypool);
	ondemand_stop(co->ondemand);
	if (co->consumer != NULL) {
		rd_kafka_consumer_close(co->consumer);
		rd_kafka_destroy(co->consumer);
	}
	publish_close(co->producer, MAIN_FLUSH_MS);
	primer_free(co->primer);
	if (co->db != NULL)
		PQfinish(co->db);
	vault_free(co->vault);
	probe_free(co->probe);
	settings_keys_free(&co->s);
}

/* Waits for PostgreSQL (health_wait: logged, with backoff), then applies
 * the migrations and makes sure every CA has its account; a connection
 * lost on the way is waited for again. Returns the number of migrations
 * applied, or -1 with err (a real error, or a stop while waiting). */
static int
main_prepare_db(struct coordinator *co, char *err, size_t errlen)
{
	int n;

	for (;;) {
		if (health_wait(&health_postgres, co->s.pg, &main_stop) < 0) {
			snprintf(err, errlen, "stopped while waiting for "
			    "PostgreSQL");
			return -1;
		}
		if (db_ensure(&co->db, co->s.pg, MAIN_APPNAME, err,
		    errlen) == 0 && (n = migrate_apply(co->db, err,
		    errlen)) >= 0 && accounts_ensure(co->db, co->vault, &co->s,
		    err, errlen) == 0)
			return n;
		if (co->db != NULL && PQstatus(co->db) == CONNECTION_OK)
			return -1;	/* not the connection: a real error */
		log_warn("PostgreSQL went away while starting: %s", err);
	}
}

/* Starts the ticks' thread (schedule/scheduler.h) on co's settings. */
static int
main_schedule(struct coordinator *co, char *err, size_t errlen)
{
	co->sched_conf.conninfo = co->s.pg;
	co->sched_conf.v = co->vault;
	co->sched_conf.key_pool = &co->s.key_pool;
	co->sched_conf.sweep_lease_s = co->s.sweep_lease_s;
	co->sched_conf.drain_ms = co->s.drain_ms;
	co->sched_conf.keep.outbox_s = co->s.outbox_keep_s;
	co->sched_conf.keep.idem_s = co->s.idem_keep_s;
	co->sched_conf.keep.events_s = co->s.events_keep_s;
	co->sched_conf.keep.hits_s = co->s.hits_keep_s;
	return (co->sched = scheduler_start(&co->sched_conf, err,
	    errlen)) == NULL ? -1 : 0;
}

/* Gives the vault CERTFLEET_MASTER_KEYS_OPEN_ONLY's keys, if any. Returns
 * 0, or -1 with err (which names a bad key by its place, never its bytes). */
static int
main_vault_open_only(struct coordinator *co, char *err, size_t errlen)
{
	char why[512];

	if (co->s.master_keys_open_only == NULL ||
	    vault_add_open_only(co->vault, co->s.master_keys_open_only, why,
	    sizeof(why)) == 0)
		return 0;
	snprintf(err, errlen, "CERTFLEET_MASTER_KEYS_OPEN_ONLY: %s", why);
	return -1;
}

static int
main_start(struct coordinator *co, char *err, size_t errlen)
{
	size_t i;
	int n;

	if (settings_load(&co->s, 1, err, errlen) < 0 ||
	    settings_keys(&co->s, err, errlen) < 0 ||
	    (co->vault = vault_new(co->s.master_key, err, errlen)) == NULL)
		return -1;
	if (main_vault_open_only(co, err, errlen) < 0)
		return -1;
	/* Started before its services (a boot, a stack coming up): wait. */
	if ((n = main_prepare_db(co, err, errlen)) < 0)
		return -1;
	if (health_wait(&health_kafka, co->s.kafka, &main_stop) < 0 ||
	    health_wait(&health_redis, co->s.redis_url, &main_stop) < 0) {
		snprintf(err, errlen, "stopped while waiting for Kafka and Redis");
		return -1;
	}
	if ((co->producer = publish_producer_new(co->s.kafka, MAIN_APPNAME, err,
	    errlen)) == NULL ||
	    (co->consumer = results_consumer_new(co->s.kafka, err,
	    errlen)) == NULL ||
	    (co->keypool = keypool_start(co->s.pg, co->vault, &co->s.key_pool,
	    err, errlen)) == NULL ||
	    main_schedule(co, err, errlen) < 0 ||
	    (co->ondemand = ondemand_start(&co->s, co->vault, err,
	    errlen)) == NULL ||
	    (co->api = api_start(&co->s, co->vault, err, errlen)) == NULL ||
	    (co->primer = primer_new(&co->s.prime, err, errlen)) == NULL ||
	    (co->expire = expire_start(&co->s, err, errlen)) == NULL ||
	    cmetrics_ops_start(&co->ops, &co->s, co->consumer, err, errlen) < 0)
		return -1;
	primer_expiries(co->primer, expire_nedges(co->expire) > 0);
	if ((co->probe = probe_new()) == NULL) {
		snprintf(err, errlen, "out of memory for the breaker's probes");
		return -1;
	}
	log_info("coordinator up: CA %s at %s, master key %s%s, %d "
	    "migration(s) applied, jobs signed with key %s, events verified "
	    "with %zu key(s)", co->s.ca_name, co->s.acme_directory,
	    vault_key_id(co->vault), vault_open_only_count(co->vault) > 0 ?
	    " (and open-only keys: secrets under them are sealed again)" : "",
	    n, msgsig_signer_kid(co->s.job_signer),
	    msgsig_verifier_count(co->s.event_keys));
	for (i = 0; i < vault_open_only_count(co->vault); i++)
		log_info("open-only master key %s", vault_open_only_id(co->vault,
		    i));
	return 0;
}

/* Makes sure the main loop's PostgreSQL connection is up: a lost one is
 * reconnected with backoff, and its loss and return are logged. Returns 0
 * when it is up, -1 when not (the caller goes round again). */
static int
main_db_up(struct coordinator *co, struct backoff *b)
{
	char err[1024];
	uint64_t now = clock_mono_ms(), down;
	unsigned wait;

	if (!backoff_due(b, now)) {
		poll(NULL, 0, MAIN_POLL_MS);
		return -1;
	}
	if (db_ensure(&co->db, co->s.pg, MAIN_APPNAME, err, sizeof(err)) < 0) {
		wait = backoff_failed(b, now);
		log_warn("PostgreSQL lost: %s; try %u, next in %.1f s", err,
		    b->failures, (double)wait / 1000.0);
		return -1;
	}
	if ((down = backoff_ok(b, now)) > 0)
		log_info("PostgreSQL back after %.1f s", (double)down / 1000.0);
	return 0;
}

/* One pass of the primer (edge/primer.h): every Redis target brought up
 * to PostgreSQL. A target whose Redis fails is backed off inside the
 * primer while the others go on; a database failure waits here with
 * backoff, logged once, and the recovery too. Returns 1 when a target has
 * work left now (call again at once), else 0. */
static int
main_prime(struct coordinator *co, struct backoff *b)
{
	char err[1024];
	uint64_t down;
	unsigned wait;
	int busy;

	if ((busy = primer_tick(co->primer, co->db, co->vault, err,
	    sizeof(err))) < 0) {
		wait = backoff_failed(b, clock_mono_ms());
		log_warn("primer: %s; try %u, next in %.1f s", err, b->failures,
		    (double)wait / 1000.0);
		return 0;
	}
	if ((down = backoff_ok(b, clock_mono_ms())) > 0)
		log_info("primer: working again after %.1f s", (double)down /
		    1000.0);
	return busy;
}

/* When the main loop runs the primer. */
struct main_primer {
	struct backoff	retry;
	uint64_t	last;		/* the last pass began */
	uint64_t	last_watch;	/* the last primer_watch */
	int		busy;		/* a target has work left: again at once */
	int		due;		/* events applied since the last pass */
};

/* How long the result consumer may wait for events at now: until a pass
 * that applied events call for is due, at most MAIN_POLL_MS (the whole of
 * it while the primer is backed off: no busy loop through an outage). */
static int
main_prime_wait(const struct main_primer *ps, uint64_t now)
{
	uint64_t left;

	if (!ps->due || !backoff_due(&ps->retry, now))
		return MAIN_POLL_MS;
	left = now - ps->last >= MAIN_PRIME_GAP_MS ? 0 :
	    MAIN_PRIME_GAP_MS - (now - ps->last);
	return left < MAIN_POLL_MS ? (int)left : MAIN_POLL_MS;
}

/* When the relay runs next: gap milliseconds after its last pass (last 0:
 * none yet, due at once). */
struct main_relay {
	uint64_t	last;
	uint64_t	gap;
};

/* Milliseconds until the relay's next pass is due at now (0: due). */
static uint64_t
main_relay_left(const struct main_relay *rl, uint64_t now)
{
	if (rl->last == 0 || now - rl->last >= rl->gap)
		return 0;
	return rl->gap - (now - rl->last);
}

/* One relay pass when one is due at now. A full batch makes the next
 * pass due at once; anything less (a failure too) MAIN_RELAY_GAP_MS later. */
static void
main_relay_step(struct coordinator *co, struct main_relay *rl,
    const struct outbox_signing *sign, uint64_t now)
{
	char err[1024];
	int n;

	if (main_relay_left(rl, now) > 0)
		return;
	rl->last = now;
	if ((n = outbox_relay(co->db, co->producer, &co->s.cas, sign, err,
	    sizeof(err))) < 0)
		log_warn("%s", err);
	rl->gap = n >= OUTBOX_BATCH ? 0 : MAIN_RELAY_GAP_MS;
}

/* The primer's turn in the main loop at now (applied: events were applied
 * by this turn's poll): a pass at once while a target has work left (a
 * re-prime, a backlog of changes; it bounds its own slices), within
 * MAIN_PRIME_GAP_MS of applied events (every certificate issued meanwhile
 * in one pass), and every MAIN_PRIME_EVERY_MS anyway (the API's changes:
 * a certificate deleted or disabled, a name leaving its set). */
static void
main_prime_step(struct coordinator *co, struct main_primer *ps, int applied,
    uint64_t now)
{
	if (!ps->busy && now - ps->last_watch >= PRIMER_WATCH_MS) {
		ps->last_watch = now;
		ps->busy = primer_watch(co->primer);
	}
	if (applied)
		ps->due = 1;
	if (((ps->due && now - ps->last >= MAIN_PRIME_GAP_MS) || ps->busy ||
	    now - ps->last >= MAIN_PRIME_EVERY_MS) &&
	    backoff_due(&ps->retry, now)) {
		ps->last = now;
		ps->due = 0;
		ps->busy = main_prime(co, &ps->retry);
	}
}

/* On SIGHUP, and every CERTFLEET_API_TLS_RELOAD_S seconds (0: never), the
 * API reads its certificate and key files again (api.h). Runs first in
 * each turn of the loop, so before the database is up too. */
static void
main_tls_step(struct coordinator *co, uint64_t *last)
{
	uint64_t now = clock_mono_ms();
	long every = co->s.apic.reload_s;

	if (!main_hup && (every == 0 || now - *last < (uint64_t)every * 1000))
		return;
	main_hup = 0;
	*last = now;
	api_reload_tls(co->api);
}

static int
main_run(void)
{
	struct coordinator co;
	struct sigaction sa;
	struct backoff pg_retry;
	struct main_primer ps;
	struct outbox_signing sign;
	char err[1024];
	struct main_relay relay = { 0, 0 };
	uint64_t last_breaker = 0, last_tls, last_orphans = 0;
	uint64_t now;
	int n, rc = 1, wait;

	memset(&co, 0, sizeof(co));
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = main_on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGINT, &sa, NULL);
	sa.sa_flags = SA_RESTART;	/* a reload interrupts nothing */
	sigaction(SIGHUP, &sa, NULL);
	signal(SIGPIPE, SIG_IGN);

	if (cmetrics_init(err, sizeof(err)) < 0 ||
	    main_start(&co, err, sizeof(err)) < 0) {
		log_err("%s", err);
		rc = main_stop ? 0 : 1;
		goto out;
	}
	sign.signer = co.s.job_signer;
	sign.ttl_s = co.s.job_ttl_s;
	backoff_init(&pg_retry, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
	memset(&ps, 0, sizeof(ps));
	backoff_init(&ps.retry, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
	last_tls = clock_mono_ms();
	while (!main_stop) {
		main_tls_step(&co, &last_tls);
		if (main_db_up(&co, &pg_retry) < 0)
			continue;
		main_relay_step(&co, &relay, &sign, clock_mono_ms());
		now = clock_mono_ms();
		wait = main_prime_wait(&ps, now);
		if (main_relay_left(&relay, now) < (uint64_t)wait)
			wait = (int)main_relay_left(&relay, now);
		n = results_poll(co.consumer, co.producer, co.db, &co.s,
		    &co.stall, MAIN_EVENTS_PER_TICK, ps.busy ? 0 : wait);
		if (n < 0)
			sleep(1);
		now = clock_mono_ms();
		main_prime_step(&co, &ps, n > 0, now);
		if (now - last_breaker >= MAIN_BREAKER_EVERY_MS ||
		    probe_busy(co.probe)) {
			last_breaker = now;
			if (breaker_tick(co.db, co.probe, &co.s, err,
			    sizeof(err)) < 0)
				log_warn("breakers: %s (will retry)", err);
		}
		if (orphans_tick(co.db, &co.s.cas, now, &last_orphans, err,
		    sizeof(err)) < 0)
			log_warn("unconfigured CAs: %s (will retry)", err);
	}
	log_info("shutting down");
	rc = 0;
out:
	main_close(&co);
	cmetrics_free();
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
