/* health_kafka.c -- the Kafka probe of health_check: cluster metadata and the project's topics. */
#include "health.h"

#include <stdio.h>

#include "kafkaconn.h"

static int
health_kafka_probe(const char *where, char *detail, size_t len)
{
	const char *topics[3];
	int n;

	topics[0] = kafkaconn_topic_jobs();
	topics[1] = kafkaconn_topic_events();
	topics[2] = kafkaconn_topic_dlq();
	if ((n = kafkaconn_check(where, HEALTH_TIMEOUT_MS, topics, 3, detail, len)) < 0)
		return 0;
	snprintf(detail, len, "%d broker(s), topics %s %s %s", n, topics[0],
	    topics[1], topics[2]);
	return 1;
}

const struct health_service health_kafka = {
	"kafka", "KAFKA_BOOTSTRAP", health_kafka_probe,
};
