/* cmetrics.h -- the coordinator's metrics: what its modules count (problems, rate limits, budget holds, events, primes) and its ops listener. */
#ifndef CERTFLEET_COORD_CMETRICS_H
#define CERTFLEET_COORD_CMETRICS_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "ops.h"
#include "settings.h"

#define CMETRICS_LISTEN_DEFAULT	"127.0.0.1:9101"
#define CMETRICS_REFRESH_ENV	"CERTFLEET_METRICS_REFRESH_S"
#define CMETRICS_LAG_TIMEOUT_MS	1000	/* one watermark request at a scrape */

/*
 * One registry per process, made by cmetrics_init; until then (and in the
 * tests, which never call it) every counting function does nothing. The
 * counting functions may be called from any thread (the values are
 * atomics, metrics.h) and cost a mutex and a short search: call them per
 * event, not per row of a scan.
 *
 * Counters move when the code that saw the event runs, which is inside a
 * transaction for problems, rate-limit hits and budget holds: a
 * transaction retried after a database error counts its event again.
 */

/* Makes the registry and the counters. Returns 0, or -1 with err. */
int cmetrics_init(char *err, size_t errlen);

/* Starts the ops listener (CERTFLEET_METRICS_LISTEN, default
 * CMETRICS_LISTEN_DEFAULT, "off" for none): /readyz checks PostgreSQL,
 * Kafka and Redis; each scrape refreshes the PostgreSQL gauges (fleet.h)
 * when they are CERTFLEET_METRICS_REFRESH_S old (default 15) and measures
 * the lag of consumer's partitions. s and consumer must outlive the
 * listener. Returns 0 with *out set (NULL when off), or -1 with err. */
int cmetrics_ops_start(struct ops **out, const struct settings *s,
    rd_kafka_t *consumer, char *err, size_t errlen);

/* Frees the registry; call after ops_stop. */
void cmetrics_free(void);

/* A problem was recorded for a job; type is its URN (a type outside the
 * ACME and certfleet namespaces is counted as "other"). */
void cmetrics_problem(const char *type);

/* A CA answered a request of ca's (endpoint: "newOrder"...; "" unknown)
 * with a rate limit. */
void cmetrics_rate_limited(const char *ca, const char *endpoint);

/* An order was held by ca's budget limit (orders_per_3h,
 * certs_per_domain_7d, duplicates_7d). */
void cmetrics_budget_held(const char *ca, const char *limit);

/* The result consumer handled an event of kind (proto_event_kind_name)
 * with outcome ("applied", "ignored", "rejected", "invalid", "retry"). */
void cmetrics_event(const char *kind, const char *outcome);

/* The relay published n outbox rows. */
void cmetrics_published(int n);

/* A re-seal batch sealed n secrets again under the master key; a pass
 * ended with n left under other keys (schedule/reseal.h). */
void cmetrics_resealed(long n);
void cmetrics_reseal_left(long n);

/* The API's TLS pair (api_tls.h): outcome 1 a changed pair was swapped
 * in, 0 a reload was refused, -1 the pair read at start (not counted);
 * not_after is the expiry of the pair in use, Unix time. */
void cmetrics_api_tls_reload(int outcome, long not_after);

/* Prime target name after its share of a pass: up 1 when the pass could
 * do its work there, 0 when it is down or held by another fleet;
 * other_fleet 1 when another fleet's coordinators hold it
 * (certfleet:prime:owner). */
void cmetrics_prime_target(const char *name, int up, int other_fleet);

/* A primer pass primed n certificates (n > 0 also sets the time of the
 * last prime). */
void cmetrics_primed(int n);

#endif
