/* jobs.h -- the worker's Kafka consumer of jobs: consumer group, pause/resume, commit of finished offsets only. */
#ifndef CERTFLEET_JOBS_H
#define CERTFLEET_JOBS_H

#include <stddef.h>
#include <stdint.h>

struct jobs;

/* One consumed message, valid only during the handler call. */
struct job_msg {
	const char	*topic;
	int32_t		 partition;
	int64_t		 offset;
	const void	*key;
	size_t		 keylen;
	const void	*payload;
	size_t		 len;
};

/* Handles one message. The message's offset is in flight from this call on
 * until jobs_done is called for it (from the handler or any time later). */
typedef void jobs_handler_fn(void *arg, const struct job_msg *m);

/* Joins consumer group group on topic at bootstrap, with auto commit off.
 * Returns NULL with err on failure. */
struct jobs *jobs_new(const char *bootstrap, const char *group,
    const char *topic, const char *client_id, char *err, size_t errlen);

/* Leaves the group (commits what is committable first) and frees. */
void jobs_free(struct jobs *j);

/* Reads up to max messages without blocking, calling handler for each.
 * Serves rebalances. Returns the number handled. */
unsigned jobs_poll(struct jobs *j, unsigned max, jobs_handler_fn *handler,
    void *arg);

/* The job at (partition, offset) is finished: its result is delivered. */
void jobs_done(struct jobs *j, int32_t partition, int64_t offset);

/* Commits, asynchronously, every partition's newly committable offset. */
void jobs_commit(struct jobs *j);

/* Stops (pause = 1) or restarts (0) fetching, e.g. when too many jobs are
 * in flight. The group membership stays alive while paused. */
void jobs_pause(struct jobs *j, int pause);

/* Jobs consumed and not yet done, over partitions still assigned. */
uint64_t jobs_inflight(const struct jobs *j);

#endif
