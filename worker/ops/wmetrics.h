/* wmetrics.h -- the worker's metrics (ACME request latency and answers per CA and endpoint, waits by reason, jobs and their duration, consumer lag) and its ops listener. */
#ifndef CERTFLEET_WMETRICS_H
#define CERTFLEET_WMETRICS_H

#include <stddef.h>

#include "acme.h"
#include "consumer.h"
#include "ops.h"

#define WMETRICS_LISTEN_DEFAULT	"127.0.0.1:9102"
#define WMETRICS_CAS_MAX	32	/* CA names remembered for the ca label */
#define WMETRICS_LAG_TIMEOUT_MS	1000	/* one watermark request at a scrape */

/*
 * One registry per process, made by wmetrics_init; until then (and in
 * tests that never call it) every function here does nothing. Everything
 * but wmetrics_collect runs on the worker's loop thread; the registry's
 * values are atomics (metrics.h), so the ops listener renders them from
 * its own threads.
 */

/* Makes the registry and the worker's families. Returns 0, or -1 with a
 * message in err. */
int wmetrics_init(char *err, size_t errlen);

/* Starts the ops listener (CERTFLEET_METRICS_LISTEN, default
 * WMETRICS_LISTEN_DEFAULT, "off" for none): /readyz checks Kafka and Redis,
 * /metrics measures the lag of cn's partitions at each scrape, asking the
 * brokers at bootstrap through a client of its own (client_id). cn must
 * outlive the listener. Returns 0 with *out set (NULL when off), or -1
 * with a message in err. */
int wmetrics_ops_start(struct ops **out, struct consumer *cn,
    const char *bootstrap, const char *client_id, char *err, size_t errlen);

/* Frees the registry; call after ops_stop. */
void wmetrics_free(void);

/* acme_observe_fn for the engine (struct acme_engine_conf.observe): one
 * request's duration and HTTP status, labelled with its CA's name. */
void wmetrics_acme_observe(void *arg, const struct acme_request_stats *s);

/* acme_observe_wait_fn for the engine (observe_wait): one wait between two
 * requests of an operation, labelled with its CA's name and reason. */
void wmetrics_acme_wait(void *arg, const struct acme_wait_stats *s);

/* A job names CA name at directory: the ca label of requests to that
 * directory (the engine knows CAs by URL only). At most WMETRICS_CAS_MAX
 * are kept; requests to others are labelled "unknown". */
void wmetrics_ca_seen(const char *name, const char *directory);

/* A job of kind (proto_job_kind_name) ended with result (the kind of its
 * result event: certificate_issued, failed, deferred...), seconds after
 * it was taken off Kafka. */
void wmetrics_job_done(const char *kind, const char *result,
    double seconds);

/* Jobs in flight now (set once per loop turn). */
void wmetrics_inflight(size_t n);

#endif
