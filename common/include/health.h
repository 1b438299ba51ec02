/* health.h -- "does every service I depend on answer?", for `check` subcommands and certfleetctl doctor. */
#ifndef CERTFLEET_HEALTH_H
#define CERTFLEET_HEALTH_H

#include <signal.h>
#include <stddef.h>
#include <stdio.h>

#define HEALTH_TIMEOUT_MS	5000	/* connect + answer, per service */

/* A service a program may depend on: its name in the output, the
 * environment variable that says where it is, and its probe. The probe
 * checks the service at where and returns 1 when it answered (a short
 * description of the answer in detail), 0 when not (the reason in detail). */
struct health_service {
	const char	*name;
	const char	*var;
	int		(*probe)(const char *where, char *detail, size_t len);
};

/* Each service is defined in its own library, so a program links only the
 * client libraries of the services it names. */
extern const struct health_service health_postgres; /* CERTFLEET_PG: SELECT 1; certfleet_pgconn */
extern const struct health_service health_redis;    /* REDIS_URL: PING; certfleet_redisconn */
extern const struct health_service health_kafka;    /* KAFKA_BOOTSTRAP: metadata + the project's topics; certfleet_kafkaconn */
extern const struct health_service health_acme;     /* ACME_DIRECTORY (+ PEBBLE_TLS_CA): directory JSON; certfleet_httpget */

/* What one service answered. */
struct health_result {
	const char	*name;		/* the service's name */
	int		 ok;
	char		 where[512];	/* from its variable, password as "***" */
	char		 detail[512];
};

/* Checks services[0..n), reading where each is from the environment, into
 * results[0..n). Returns the number that failed; a service whose variable
 * is unset counts as failed. */
int health_run(const struct health_service *const *services, size_t n,
    struct health_result *results);

/* health_run, printed to out one line per service: "<service> <ok|FAILED>
 * <where> <detail>". Returns the number that failed. */
int health_check(const struct health_service *const *services, size_t n,
    FILE *out);

/*
 * A daemon starting before the services it needs: probes svc at where (a
 * URL or connection string; any password is shown as "***") until it
 * answers. Each failure is logged with the reason and the wait before the
 * next try, which doubles from BACKOFF_MIN_MS to BACKOFF_MAX_MS with jitter
 * (backoff.h); an answer after failures is logged too. The wait checks
 * *stop (set by a signal handler) every 100 ms. Returns 0 once it answered,
 * -1 when *stop was set first.
 */
int health_wait(const struct health_service *svc, const char *where,
    const volatile sig_atomic_t *stop);

#endif
