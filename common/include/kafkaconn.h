/* kafkaconn.h -- Kafka helpers on librdkafka: configuration with our defaults, metadata checks, consumer lag. */
#ifndef CERTFLEET_KAFKACONN_H
#define CERTFLEET_KAFKACONN_H

#include <stddef.h>
#include <stdint.h>

#include <librdkafka/rdkafka.h>

/*
 * Message sizes, one rule for every certfleet client and topic. Producers
 * refuse (MSG_SIZE_TOO_LARGE) a message whose key and value together
 * exceed KAFKACONN_MESSAGE_MAX (librdkafka's message.max.bytes, set
 * explicitly by kafkaconn_conf); the stack creates every topic with
 * max.message.bytes = KAFKACONN_TOPIC_MESSAGE_MAX (Kafka's own default),
 * which leaves room for the record batch's framing of a message at the
 * producers' cap. Whoever builds a message keeps it under the cap
 * (worker/kafka/events.h EVENTS_MAX_BYTES; dead letters cut the payload
 * they carry to KAFKACONN_DLQ_PAYLOAD_MAX).
 */
#define KAFKACONN_MESSAGE_MAX		1000000
#define KAFKACONN_TOPIC_MESSAGE_MAX	1048588
#define KAFKACONN_DLQ_PAYLOAD_MAX	(KAFKACONN_MESSAGE_MAX - 64 * 1024)

/*
 * fetch.wait.max.ms of certfleet's consumers (jobs in the workers, events
 * in the coordinator): how long the broker holds a fetch that finds
 * nothing. With fetch.min.bytes 1 a fetch returns as soon as one message
 * arrives, so this adds no latency to a message; it sets how often an idle
 * consumer asks again (librdkafka's default 500 ms: 2 fetches a second per
 * consumer, each a TLS request the broker handles; docs/performance-log.md,
 * "kafkaidle"). What it does delay: a fetch from a new position (a seek, a
 * partition assigned or resumed) waits for the one held at the broker. So
 * it stays at the coordinator's pause before it retries an event it
 * rewound to (1 s, coordinator/main.c), and a retry waits no longer.
 */
#define KAFKACONN_FETCH_WAIT_MS		"1000"

/* The project's topics, overridable through the environment variables
 * CERTFLEET_KAFKA_TOPIC_JOBS, _EVENTS and _DLQ. */
const char *kafkaconn_topic_jobs(void);
const char *kafkaconn_topic_events(void);
const char *kafkaconn_topic_dlq(void);

/* Returns a new configuration with bootstrap.servers and client.id set,
 * message.max.bytes = KAFKACONN_MESSAGE_MAX, then the properties of
 * CERTFLEET_KAFKA_PROPERTIES_FILE and CERTFLEET_KAFKA_PROPERTIES
 * (kafkaprops.h: security.protocol, sasl.*, ssl.*, ...), and librdkafka's
 * own log lines routed through log.h, or NULL with a message in
 * err. The caller owns it (rd_kafka_conf_destroy, or hand it to rd_kafka_new). */
rd_kafka_conf_t *kafkaconn_conf(const char *bootstrap, const char *client_id,
    char *err, size_t errlen);

/* Sets one property on conf; returns 0, or -1 with librdkafka's message. */
int kafkaconn_set(rd_kafka_conf_t *conf, const char *name, const char *value,
    char *err, size_t errlen);

/* Asks the cluster at bootstrap for its metadata within timeout_ms and checks
 * that every topic in topics[0..ntopics) exists. Returns the number of
 * brokers (> 0), or -1 with a message in err. */
int kafkaconn_check(const char *bootstrap, int timeout_ms,
    const char *const *topics, size_t ntopics, char *err, size_t errlen);

/* Receives the lag of one partition: messages in it that the consumer has
 * not fetched yet. */
typedef void kafkaconn_lag_fn(void *arg, const char *topic, int32_t partition,
    int64_t lag);

/* A client for kafkaconn_lag's watermark requests, with connections of its
 * own: on a consumer's connections they would wait behind its fetches, which
 * the broker holds up to fetch.wait.max.ms when there is nothing new.
 * Returns NULL with a message in err; free it with rd_kafka_destroy. */
rd_kafka_t *kafkaconn_lag_client(const char *bootstrap, const char *client_id,
    char *err, size_t errlen);

/*
 * Measures the lag of every partition assigned to consumer rk and calls fn
 * for each: its high watermark, asked of the broker through client (from
 * kafkaconn_lag_client), minus the consumer's position (the offset after
 * the last message it fetched), or when it has fetched nothing there since
 * the assignment, minus the group's committed offset (else the low
 * watermark). Blocks up to timeout_ms per broker request, so call it off
 * the consumer's own loop (librdkafka handles are thread-safe); stops at
 * the first request that fails. Returns the number of partitions reported,
 * or -1 with a message in err.
 */
int kafkaconn_lag(rd_kafka_t *rk, rd_kafka_t *client, int timeout_ms,
    kafkaconn_lag_fn *fn, void *arg, char *err, size_t errlen);

#endif
