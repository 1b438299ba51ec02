/* enroll_group.h -- group commit of single enrollments: concurrent requests' writes go to PostgreSQL as one batch in one transaction. */
#ifndef CERTFLEET_ENROLL_GROUP_H
#define CERTFLEET_ENROLL_GROUP_H

#include <stddef.h>

#include <libpq-fe.h>

#include "enroll_batch.h"

#define ENROLL_GROUP_MAX 100	/* enrollments in one transaction */
#define ENROLL_GROUP_LINGER_US 2000	/* a leader's wait for threads coming */

/*
 * Why: one enrollment alone is a transaction of five statements and a
 * commit (a WAL flush); PostgreSQL's share of it was as much CPU as the
 * coordinator's. Threads that enroll at the same time hand their item to
 * the group; the first finds no write under way and leads: it writes what
 * is queued (up to ENROLL_GROUP_MAX) with enroll_batch_write on its own
 * connection, in one transaction, and wakes the others. A thread enters
 * the group (enroll_group_enter) when it starts on an enrollment, before
 * its lookups and its key; a leader first waits for the threads that
 * entered to hand in their items, up to ENROLL_GROUP_LINGER_US, so that a
 * burst's batches grow (bench/e2e's 2,000 single enrollments, 16 clients,
 * 8 threads: 2.0 to 2.9 a batch without the wait, 2.9 to 4.5 with it). A
 * thread alone never waits: nobody else has entered. Every
 * item is answered after its transaction committed, as before. An item's
 * audit row (it->audit, enroll_audit.h) is written in its batch's
 * transaction.
 */
struct enroll_group;

/* Returns a group, or NULL when memory runs out. */
struct enroll_group *enroll_group_new(void);

/* No thread may be inside enroll_group_write any more; NULL is fine. */
void enroll_group_free(struct enroll_group *g);

/* Tells g that this thread will hand in an item soon. Each
 * enroll_group_enter is followed by exactly one enroll_group_write (which
 * hands the item in) or enroll_group_leave (the thread will not). */
void enroll_group_enter(struct enroll_group *g);
void enroll_group_leave(struct enroll_group *g);

/* Writes it (enroll_batch_fits(it->req); material made), and its audit
 * row when it->audit is not NULL (its id set once committed), and commits,
 * with whatever other threads hand in meanwhile; c (no transaction open) is
 * used when this thread leads. A batch that fails is rolled back and its
 * items written one by one, each in its own transaction, so one bad item
 * fails alone as it did before. The calling thread has entered g. Returns 1
 * with it->oid and it->trace set and the item committed, or -1 with err
 * (nothing of it is kept). Thread-safe. */
int enroll_group_write(struct enroll_group *g, PGconn *c,
    const struct settings *s, struct enroll_batch_item *it, char *err,
    size_t errlen);

/* What the group did since it was made (for tests and the bench's
 * figures): batches written, items in them, leaders' waits for threads
 * coming, and the waits that ended at ENROLL_GROUP_LINGER_US. */
struct enroll_group_stats {
	unsigned long	batches, items, waits, timeouts;
};
void enroll_group_counts(struct enroll_group *g,
    struct enroll_group_stats *st);

#endif
