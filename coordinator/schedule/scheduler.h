/* scheduler.h -- the ticks' own thread: renewals, ARI re-checks, the signature backfill, the sweeper, retention and re-sealing, once a second on a connection of their own. */
#ifndef CERTFLEET_COORD_SCHEDULER_H
#define CERTFLEET_COORD_SCHEDULER_H

#include <stddef.h>

#include "keypool.h"
#include "retention.h"
#include "vault.h"

#define SCHEDULER_EVERY_MS	1000	/* one round of every tick */
#define SCHEDULER_DRAIN_DEFAULT_MS 500	/* CERTFLEET_SCHEDULE_DRAIN_MS */
#define SCHEDULER_NICE		5	/* the thread's nice value above the
					 * process's (at most 19): API requests,
					 * results and the primer first */
#define SCHEDULER_THREAD_NAME	"schedule"	/* /proc/PID/task/TID/comm */

/* What the ticks need; it must outlive the thread. */
struct scheduler_conf {
	const char			*conninfo;	/* CERTFLEET_PG */
	const struct vault		*v;
	const struct keypool_sizes	*key_pool;	/* renewals' keys */
	long				 sweep_lease_s;
	long				 drain_ms;	/* renewals' drain; ARI's half */
	struct retention_keep		 keep;		/* retention's */
};

struct scheduler;

/*
 * Starts the thread. Every SCHEDULER_EVERY_MS it runs, in turn and each in
 * its own transactions, renew_drain (for up to drain_ms), ari_recheck_drain
 * (up to half of it), sigalg_backfill,
 * sweep_tick, retention_tick and reseal_tick (a master key's rotation,
 * schedule/reseal.h) on its own PostgreSQL connection (a lost
 * one is reconnected on the next round, logged); a tick that fails is
 * logged and tried again on the next round. It runs SCHEDULER_NICE nicer
 * than the process: a renewal that makes an RSA key without the pool
 * (seconds of a core for RSA-4096) delays neither the main loop's relay,
 * results and primer nor the API's requests. Returns the handle, or NULL
 * with a message in err when the thread cannot start.
 */
struct scheduler *scheduler_start(const struct scheduler_conf *conf,
    char *err, size_t errlen);

/* Stops the thread after the tick it is in (up to seconds while it makes
 * an RSA-4096 key) and closes its connection; NULL is fine. */
void scheduler_stop(struct scheduler *s);

#endif
