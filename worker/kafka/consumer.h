/* consumer.h -- the worker's Kafka consumer of jobs: consumer group, pause/resume, commit of finished offsets only. */
#ifndef CERTFLEET_CONSUMER_H
#define CERTFLEET_CONSUMER_H

#include <stddef.h>
#include <stdint.h>

#include "kafkaconn.h"

struct consumer;

/* One consumed message, valid only during the handler call. */
struct consumer_msg {
	const char	*topic;
	int32_t		 partition;
	int64_t		 offset;
	const void	*key;
	size_t		 keylen;
	const void	*payload;
	size_t		 len;
	const void	*sig;		/* its MSGSIG_HEADER value, or NULL */
	size_t		 siglen;
};

/* Handles one message. The message's offset is in flight from this call on
 * until consumer_done is called for it (from the handler or any time later). */
typedef void consumer_handler_fn(void *arg, const struct consumer_msg *m);

/* Joins consumer group group on topic at bootstrap, with auto commit off.
 * Returns NULL with err on failure. */
struct consumer *consumer_new(const char *bootstrap, const char *group,
    const char *topic, const char *client_id, char *err, size_t errlen);

/* Leaves the group (commits what is committable first) and frees. */
void consumer_free(struct consumer *cn);

/* Reads up to max messages without blocking, calling handler for each.
 * Serves rebalances. Returns the number handled. */
unsigned consumer_poll(struct consumer *cn, unsigned max,
    consumer_handler_fn *handler, void *arg);

/* The job at (partition, offset) is finished: its result is delivered. */
void consumer_done(struct consumer *cn, int32_t partition, int64_t offset);

/* Commits, asynchronously, every partition's newly committable offset. */
void consumer_commit(struct consumer *cn);

/* Stops (pause = 1) or restarts (0) fetching, e.g. when too many jobs are
 * in flight. The group membership stays alive while paused. */
void consumer_pause(struct consumer *cn, int pause);

/* Jobs consumed and not yet done, over partitions still assigned. */
uint64_t consumer_inflight(const struct consumer *cn);

/* Measures the lag of every assigned partition (kafkaconn_lag, asking the
 * watermarks through client: blocks up to timeout_ms per broker request);
 * the one function here that may run on another thread than the loop's,
 * for metrics. Returns the number of partitions reported, or -1 with a
 * message in err. */
int consumer_lag(struct consumer *cn, rd_kafka_t *client, int timeout_ms,
    kafkaconn_lag_fn *fn, void *arg, char *err, size_t errlen);

#endif
