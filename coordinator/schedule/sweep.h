/* sweep.h -- the sweeper: orders in flight that made no progress within a lease are re-driven as their next attempt. */
#ifndef CERTFLEET_COORD_SWEEP_H
#define CERTFLEET_COORD_SWEEP_H

#include <stddef.h>

#include <libpq-fe.h>

#define SWEEP_PER_TICK		64	/* stuck orders taken by one tick */
#define SWEEP_LEASE_DEFAULT_S	900	/* CERTFLEET_SWEEP_LEASE_S */
#define SWEEP_DELAY_MAX_S	21600	/* longest wait before a re-drive */

/* The stuck orders ($1 the lease in seconds, $2 the limit), oldest first,
 * through the partial index orders_sweep; no lock: each is locked and
 * checked again before it is re-driven. Public for EXPLAIN in tests. */
#define SWEEP_LIST_SQL "SELECT id FROM orders WHERE status IN ('sent', " \
	"'processing') AND updated_at < now() - make_interval(secs => " \
	"$1::float8) ORDER BY updated_at LIMIT $2"

/*
 * What counts as progress: anything that moves orders.updated_at. The
 * relay sets it when it publishes the job ("sent"), an order_created event
 * of the current attempt when the worker has the ACME order
 * ("processing"), and every result (issued, failed, deferred) ends the
 * order or queues it anew ("pending"/"deferred", then the relay again).
 * An order "sent" or "processing" whose updated_at is older than the lease
 * lost its job (never delivered, consumed by a worker that died or never
 * answered), its result (dead-lettered), or its worker.
 *
 * One tick takes at most limit such orders, oldest first, through the
 * partial index orders_sweep (0025_sweep.sql: updated_at WHERE status
 * IN ('sent', 'processing')), so its cost follows the stuck orders, not the
 * table. Each is re-driven in a transaction of its own through
 * order_requeue: attempt + 1, carrying its order URL so that the ACME order
 * is resumed, status "pending". The first re-drive without progress goes
 * out at once; each further one waits lease x 2^(n-2), at most
 * SWEEP_DELAY_MAX_S, so that a fleet with no worker at all is not flooded
 * with copies of the same jobs (orders.sweeps counts them; any applied
 * event of the current attempt resets it). An order that cannot be
 * re-driven (its CA lost its account, say) is logged and its updated_at
 * moved on, so that it waits another lease and never blocks the tick. Every
 * re-drive is logged. The superseded attempt may still answer: its
 * failures and progress are ignored, its certificate is taken
 * (results_issued.c says why).
 *
 * Returns the number of orders re-driven, or -1 with a message in err when
 * the stuck orders could not be listed.
 */
int sweep_tick(PGconn *c, long lease_s, int limit, char *err, size_t errlen);

/* The wait before the n-th consecutive re-drive (n >= 1) of an order:
 * 0 for the first, then lease_s x 2^(n-2), at most SWEEP_DELAY_MAX_S. */
double sweep_delay(long lease_s, unsigned n);

#endif
