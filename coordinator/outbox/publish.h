/* publish.h -- the coordinator's idempotent Kafka producer and waiting for delivery reports. */
#ifndef CERTFLEET_COORD_PUBLISH_H
#define CERTFLEET_COORD_PUBLISH_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#include "msgsig.h"

/* One message to publish; delivered is set by publish_batch. */
struct publish_msg {
	const char	*topic;
	const void	*key;
	size_t		 keylen;
	const void	*payload;
	size_t		 len;
	char		 sig[MSGSIG_HEADER_MAX + 1]; /* signature header, "" none */
	int		 delivered;	/* 1 acknowledged by all in-sync replicas, -1 not */
	char		 error[128];
};

/* A producer with enable.idempotence=true and acks=all. Returns NULL with
 * librdkafka's message in err. Close it with publish_close. */
rd_kafka_t *publish_producer_new(const char *bootstrap, const char *client_id,
    char *err, size_t errlen);

/* Produces msgs[0..n) and waits up to timeout_ms for every delivery report.
 * Afterwards every msgs[i].delivered is 1 or -1: messages not reported in
 * time are purged and count as not delivered (they may still reach the
 * broker, so consumers must be idempotent). Returns the number delivered. */
size_t publish_batch(rd_kafka_t *rk, struct publish_msg *msgs, size_t n,
    int timeout_ms);

/* Flushes for up to timeout_ms and destroys the producer; NULL is fine. */
void publish_close(rd_kafka_t *rk, int timeout_ms);

#endif
