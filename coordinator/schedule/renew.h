/* renew.h -- renewals: the scheduler tick over the renew_at index, and a forced renewal of one certificate. */
#ifndef CERTFLEET_COORD_RENEW_H
#define CERTFLEET_COORD_RENEW_H

#include <stddef.h>

#include <libpq-fe.h>

#include "ids.h"
#include "keypool.h"
#include "vault.h"

#define RENEW_PER_TICK	16	/* due certificates taken by one tick */
#define RENEW_LEASE_S	3600	/* renew_at moves this far while one runs */
#define RENEW_DRAIN_BACKLOG 1000 /* a round's renewal ticks stop at this
				  * many orders in flight */

/*
 * One scheduler tick: takes at most limit certificates with renew_at <= now
 * through the renew_at index (ORDER BY renew_at LIMIT n FOR UPDATE SKIP
 * LOCKED: the cost depends on the due rows, not on the table's size, and
 * coordinators running side by side never take the same row; in the same
 * statement their lease and what their renewals need), and for each
 * one with no order in flight writes, in one transaction, a fresh key, its
 * CSR (the key from the key pool when pool holds one of its type; pool
 * may be NULL), a renewal order (replaces = the ARI CertID of the current
 * certificate when its CA gave an ARI window) and its outbox row: the
 * tick's keys, orders and jobs with one statement per table
 * (enroll_batch_orders), where one renewal at a time took five. renew_at
 * moves RENEW_LEASE_S ahead; the renewal's result sets it anew. Returns the
 * number of renewals queued, or -1 with a message (nothing written).
 */
int renew_tick(PGconn *c, const struct vault *v,
    const struct keypool_sizes *pool, int limit, char *err, size_t errlen);

/*
 * A scheduler round's renewals: renew_tick of RENEW_PER_TICK, repeated
 * while the last one took a full batch of due certificates, until ms
 * milliseconds have passed or backlog orders (of every CA) are in flight.
 * One tick a round renewed at most 16 certificates a second: a burst of
 * renewals due together (a CA's mass replacement through ARI, a fleet
 * imported on one day, the backlog of a coordinator that was down) drained
 * at that rate while the CA took six times as many. The first tick always
 * runs; the backlog bound keeps the others from queueing renewals (each
 * with its key) far ahead of what the CAs' caps let out. Each tick is a
 * transaction of its own. Returns the renewals queued, or -1 with a
 * message when the first tick failed (a later failure ends the round,
 * logged, and the renewals queued before it stand).
 */
int renew_drain(PGconn *c, const struct vault *v,
    const struct keypool_sizes *pool, int backlog, int ms, char *err,
    size_t errlen);

/*
 * Queues a renewal of certificate id now, as the tick would. Returns 1 with
 * the order id in oid, 0 when there is no issued certificate id, 2 when an
 * order for it is already in flight (nothing written), -1 with a message.
 */
int renew_now(PGconn *c, const struct vault *v,
    const struct keypool_sizes *pool, const char *id, char oid[IDS_LEN + 1],
    char *err, size_t errlen);

#endif
