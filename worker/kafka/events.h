/* events.h -- the worker's Kafka producer: progress and result events, and dead letters. */
#ifndef CERTFLEET_EVENTS_H
#define CERTFLEET_EVENTS_H

#include <stddef.h>
#include <stdint.h>

#include "codec.h"
#include "kafkaconn.h"
#include "msgsig.h"

/* The largest event this worker publishes: the producers' cap less room for
 * the key (a job id) and the fields events_publish stamps. A result over it
 * is trimmed or refused by the runner (runner_order.c), never produced. */
#define EVENTS_MAX_BYTES	(KAFKACONN_MESSAGE_MAX - 4096)
/* linger.ms of the events producer: a busy worker's events of this long
 * share a produce request (at 5 ms, the default before, almost every event
 * was a request of its own; at 50 ms a busy worker still sent 20 produce
 * requests a second, each waking the coordinator's fetch: bench/e2e,
 * docs/performance-log.md, "kafkaidle"). A job ends when its event is delivered, so
 * this is also what a job's end may wait, and what a result may take
 * longer to reach the coordinator. */
#define EVENTS_LINGER_MS	"200"

struct events;

/* Called from events_poll once per published message: ok is 1 when the
 * broker acknowledged it, 0 when it could not be delivered (err says why;
 * the caller may publish again). */
typedef void events_delivered_fn(void *opaque, int ok, const char *err);

/* Creates an idempotent producer (acks=all) on bootstrap; every event it
 * publishes is signed with signer (borrowed, outliving the producer;
 * msgsig.h). Returns NULL with err on failure. */
struct events *events_new(const char *bootstrap, const char *worker_id,
    struct msgsig_signer *signer, events_delivered_fn *cb, char *err,
    size_t errlen);

/* Flushes what is queued for up to timeout_ms, then frees. */
void events_free(struct events *ev, int timeout_ms);

/* The partition, of a topic of cnt, that worker_id's events go to while it
 * has a leader (else the next one that has): a hash of the id, the same in
 * every process. -1 when cnt is not positive. */
int32_t events_home_partition(const char *worker_id, int32_t cnt);

/* The value of the producer's property name as librdkafka holds it (a
 * topic-level one, such as acks or message.timeout.ms, from the default
 * topic configuration) into out; 0, or -1 when it has none. For tests and
 * diagnostics. */
int events_conf_get(const struct events *ev, const char *name, char *out,
    size_t outlen);

/* Publishes e on the events topic keyed by its job id, on this worker's
 * partition (events_home_partition: every event of a worker in one
 * partition, in order), after stamping schema_version, worker_id and
 * at_unix_ms, with its signature header
 * (MSGSIG_EVENT, no expiry). opaque comes back through the
 * callback. Returns 0 when queued, -1 with err (also when the event is over
 * EVENTS_MAX_BYTES). */
int events_publish(struct events *ev, Certfleet__Event *e, void *opaque,
    char *err, size_t errlen);

/* Publishes a DeadLetter for a message this worker cannot use; at most
 * KAFKACONN_DLQ_PAYLOAD_MAX bytes of its payload are carried. */
int events_deadletter(struct events *ev, const char *topic, int32_t partition,
    int64_t offset, const void *key, size_t keylen, const void *payload,
    size_t len, const char *reason, void *opaque, char *err, size_t errlen);

/* Serves delivery reports (calls the callback). Never blocks. */
void events_poll(struct events *ev);

/* Number of messages queued and not yet reported. */
int events_pending(const struct events *ev);

#endif
