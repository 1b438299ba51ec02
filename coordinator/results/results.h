/* results.h -- the result consumer: applies workers' events to PostgreSQL idempotently, dead-letters bad ones. */
#ifndef CERTFLEET_COORD_RESULTS_H
#define CERTFLEET_COORD_RESULTS_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>
#include <librdkafka/rdkafka.h>

#include "settings.h"

#define RESULTS_GROUP "certfleet-coordinator"	/* default consumer group */
#define RESULTS_GROUP_ENV "CERTFLEET_COORDINATOR_GROUP"
#define RESULTS_RENEW_JITTER 0.05	/* +-5% of the lifetime */
/* Refused results of one order before it is failed instead of re-driven. */
#define RESULTS_POISON_MAX 3
/* Tries of one event that fails for a reason that is neither transient nor
 * its content (db_fault DB_FAULT_OTHER or no database error) before it is
 * handled as a poison event. */
#define RESULTS_STALL_MAX 10
/* The problem of an order whose result event could not be applied. */
#define RESULTS_PROBLEM_REJECTED "urn:certfleet:error:eventRejected"

/* Outcome of applying one event. */
enum results_outcome {
	RESULTS_APPLIED,	/* state changed */
	RESULTS_IGNORED,	/* duplicate, stale or unknown job: nothing to do */
	RESULTS_REJECTED,	/* recorded as a problem (e.g. certificate for another key) */
	RESULTS_INVALID,	/* does not decode or validate: dead-letter it */
	RESULTS_RETRY,		/* transient failure (database): apply it again later */
	RESULTS_POISON,		/* the database refused its content (db_fault
				 * DB_FAULT_CONTENT): dead-letter it */
};

/* Partitions whose events up to an offset are applied again one by one:
 * those of a batch whose certificates, written together, failed
 * (results_flush). */
#define RESULTS_REPLAY_MAX 64
struct results_replay {
	int32_t	partition;
	int64_t	last;		/* the batch's last offset there */
};

/* The event the consumer is stuck on, if any, and the events to apply
 * one by one: kept by the caller across results_poll calls (zero it
 * first). */
struct results_stall {
	int32_t			partition;
	int64_t			offset;
	int			tries;	/* failed applications not known
					 * transient */
	struct results_replay	replay[RESULTS_REPLAY_MAX];
	int			nreplay;
};

/* A consumer in group CERTFLEET_COORDINATOR_GROUP (default RESULTS_GROUP),
 * subscribed to the events topic; offsets are stored by results_poll once
 * applied and committed by librdkafka every RESULTS_COMMIT_MS (results.c)
 * and at close. Returns NULL with a message in err. */
rd_kafka_t *results_consumer_new(const char *bootstrap, char *err,
    size_t errlen);

/* Applies the event in buf[0..len) in ONE transaction. Undecodable or
 * invalid events return RESULTS_INVALID with the reason in err: the caller
 * dead-letters them. RESULTS_POISON (the database refused what the event
 * carries) and RESULTS_RETRY (any other failure) mean nothing was
 * written. */
enum results_outcome results_apply(PGconn *c, const struct settings *s,
    const void *buf, size_t len, char *err, size_t errlen);

/*
 * Polls up to max messages (waiting at most timeout_ms for the first),
 * applies each, and stores each offset (committed within a second) only
 * once its effect is durable: up to RESULTS_BATCH_MAX events are applied
 * in one transaction, each in a savepoint (an event that fails changes
 * nothing, the others stay), and their offsets are stored after its
 * commit; a commit that fails rewinds every partition of the batch. The
 * certificates a batch issues are written together before it commits
 * (issued_batch, issued.h); when that write fails, the batch is rewound
 * and its events applied again one by one, each with its writes in its
 * savepoint and committed before the next (stall->replay), so that a
 * certificate the database refuses is found and dead-lettered alone.
 * An event that cannot be applied because of what it is (RESULTS_INVALID,
 * RESULTS_POISON, or RESULTS_STALL_MAX failures that are not transient, as
 * counted in *stall) is dead-lettered through producer (waiting for the
 * delivery) with the reason, and its order re-driven or failed
 * (results_poison); so one bad event never holds its partition. On a
 * transient failure (database or dead-letter topic) it rewinds to the
 * message and returns -1; else the number of messages handled.
 */
int results_poll(rd_kafka_t *consumer, rd_kafka_t *producer, PGconn *c,
    const struct settings *s, struct results_stall *stall, int max,
    int timeout_ms);

#endif
