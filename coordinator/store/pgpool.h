/* pgpool.h -- a bounded pool of PostgreSQL connections shared by threads: acquire with a bounded wait, release, bad connections replaced. */
#ifndef CERTFLEET_COORD_PGPOOL_H
#define CERTFLEET_COORD_PGPOOL_H

#include <stddef.h>

#include <libpq-fe.h>

#define PGPOOL_MAX 256		/* connections in one pool */

struct pgpool;

/* A pool of at most size (1-PGPOOL_MAX) connections to conninfo, named
 * appname, opened on demand (none at first). A caller of pgpool_acquire
 * waits at most wait_ms for a free one. Returns NULL with a message in err
 * when size is out of range or memory runs out; nothing is connected yet,
 * so an unreachable server is not an error here. */
struct pgpool *pgpool_new(const char *conninfo, const char *appname,
    int size, int wait_ms, char *err, size_t errlen);

/* Closes every connection. None may be held any more; NULL is fine. */
void pgpool_free(struct pgpool *p);

/* Takes a connection for the calling thread alone, until pgpool_release:
 * an idle one, checked without a round trip (a connection the server
 * closed is noticed from its socket and reopened), else a new one while
 * fewer than size are open, else the first to come back within wait_ms.
 * Returns it, or NULL with a message in err: every connection stayed busy
 * for wait_ms, or PostgreSQL could not be reached. Thread-safe. */
PGconn *pgpool_acquire(struct pgpool *p, char *err, size_t errlen);

/* Gives c back: a transaction left open is rolled back, and a connection
 * that went bad is closed (its slot reconnects on a later acquire).
 * NULL is fine. Thread-safe. */
void pgpool_release(struct pgpool *p, PGconn *c);

/* How many connections are held right now (for tests and logs). */
int pgpool_busy(struct pgpool *p);

#endif
