/* results.h -- the result consumer: applies workers' events to PostgreSQL idempotently, dead-letters bad ones. */
#ifndef CERTFLEET_COORD_RESULTS_H
#define CERTFLEET_COORD_RESULTS_H

#include <stddef.h>

#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>

#include "settings.h"

#define RESULTS_GROUP "certfleet-coordinator"	/* default consumer group */
#define RESULTS_GROUP_ENV "CERTFLEET_COORDINATOR_GROUP"
#define RESULTS_RENEW_JITTER 0.05	/* +-5% of the lifetime */

/* Outcome of applying one event. */
enum results_outcome {
	RESULTS_APPLIED,	/* state changed */
	RESULTS_IGNORED,	/* duplicate, stale or unknown job: nothing to do */
	RESULTS_REJECTED,	/* recorded as a problem (e.g. certificate for another key) */
	RESULTS_INVALID,	/* does not decode or validate: dead-letter it */
	RESULTS_RETRY,		/* transient failure (database): apply it again later */
};

/* A consumer in group CERTFLEET_COORDINATOR_GROUP (default RESULTS_GROUP),
 * subscribed to the events topic, with auto commit off. Returns NULL with a message in err. */
rd_kafka_t *results_consumer_new(const char *bootstrap, char *err,
    size_t errlen);

/* Applies the event in buf[0..len) in ONE transaction. Undecodable or
 * invalid events return RESULTS_INVALID with the reason in err: the caller
 * dead-letters them. RESULTS_RETRY means nothing was written. */
enum results_outcome results_apply(PGconn *c, const struct settings *s,
    const void *buf, size_t len, char *err, size_t errlen);

/* Polls up to max messages (waiting at most timeout_ms for the first),
 * applies each, dead-letters the invalid ones through producer (waiting for
 * delivery), and commits each offset only once its effect is durable. On a
 * transient failure it rewinds to the message and returns. Returns the
 * number of messages handled, or -1 on a transient failure. */
int results_poll(rd_kafka_t *consumer, rd_kafka_t *producer, PGconn *c,
    const struct settings *s, int max, int timeout_ms);

#endif
