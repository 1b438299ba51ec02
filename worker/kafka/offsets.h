/* offsets.h -- which Kafka offsets a worker may commit when jobs of one partition finish out of order. */
#ifndef CERTFLEET_OFFSETS_H
#define CERTFLEET_OFFSETS_H

#include <stdint.h>

struct offsets;

/* Returns an empty tracker, or NULL when memory runs out. */
struct offsets *offsets_new(void);
void offsets_free(struct offsets *t);

/* Records that the job at (partition, offset) started. Offsets of one
 * partition must be added in increasing order (as a consumer reads them).
 * Returns 0, or -1 on a bad partition/order or no memory. */
int offsets_add(struct offsets *t, int32_t partition, int64_t offset);

/* Records that the job at (partition, offset) is finished: its result is
 * delivered. Returns 0, or -1 when that offset is not in flight. */
int offsets_done(struct offsets *t, int32_t partition, int64_t offset);

/* Returns the offset to commit for partition (one past the longest run of
 * finished jobs from the oldest), or -1 when nothing new is committable.
 * Calling it consumes that run: the next call returns -1 until more jobs
 * finish. O(finished jobs released). */
int64_t offsets_committable(struct offsets *t, int32_t partition);

/* Forgets a partition (after a rebalance revoked it). */
void offsets_drop(struct offsets *t, int32_t partition);

/* Number of jobs in flight, over all partitions. */
uint64_t offsets_inflight(const struct offsets *t);

#endif
