/* health_int.h -- the per-service probes behind health_check (not installed); each is built into its service's library. */
#ifndef CERTFLEET_HEALTH_INT_H
#define CERTFLEET_HEALTH_INT_H

#include <stddef.h>

#define HEALTH_TIMEOUT_MS	5000	/* connect + answer, per service */

/* Checks the service at where (a URL or connection string from the
 * environment). Returns 1 when it answered, with a short description of the
 * answer in detail; 0 when it did not, with the reason in detail. */
typedef int health_probe_fn(const char *where, char *detail, size_t len);

health_probe_fn health_postgres;	/* health_postgres.c, certfleet_pgconn */
health_probe_fn health_redis;		/* health_redis.c, certfleet_redisconn */
health_probe_fn health_kafka;		/* health_kafka.c, certfleet_kafkaconn */
health_probe_fn health_acme;		/* health_acme.c, certfleet_httpget */

#endif
