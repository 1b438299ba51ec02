/* kafkaconn.h -- Kafka helpers on librdkafka: configuration with our defaults, metadata checks. */
#ifndef CERTFLEET_KAFKACONN_H
#define CERTFLEET_KAFKACONN_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

/* The project's topics, overridable through the environment variables
 * CERTFLEET_KAFKA_TOPIC_JOBS, _EVENTS and _DLQ. */
const char *kafkaconn_topic_jobs(void);
const char *kafkaconn_topic_events(void);
const char *kafkaconn_topic_dlq(void);

/* Returns a new configuration with bootstrap.servers and client.id set and
 * librdkafka's own log lines routed through log.h, or NULL with a message in
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

#endif
