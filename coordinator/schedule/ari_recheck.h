/* ari_recheck.h -- ARI re-checks (RFC 9773 section 4.3): renewalInfo fetched again on the CA's Retry-After schedule, moved windows followed. */
#ifndef CERTFLEET_COORD_ARI_RECHECK_H
#define CERTFLEET_COORD_ARI_RECHECK_H

#include <stddef.h>

#include <libpq-fe.h>

#include "codec.h"
#include "results.h"

#define ARI_RECHECK_PER_TICK	32	/* due certificates taken by one tick */
#define ARI_RECHECK_LEASE_S	3600	/* ari_next_at moves this far while one runs */
#define ARI_RECHECK_DEFER_MIN_S	60	/* a deferral waits at least this long */

/*
 * One tick: takes at most limit issued certificates with ari_next_at <= now
 * through the ari_next_at index (ORDER BY ari_next_at LIMIT n FOR UPDATE
 * SKIP LOCKED) and, in one transaction, queues an ari_check job for each
 * that is still current, unexpired and has a CertID and window (through the
 * outbox), remembers its job id and moves ari_next_at ARI_RECHECK_LEASE_S
 * ahead; the others get ari_next_at NULL (never checked again). Returns the
 * number of checks queued, or -1 with a message (nothing written).
 */
int ari_recheck_tick(PGconn *c, int limit, char *err, size_t errlen);

/*
 * A scheduler round's re-checks: ari_recheck_tick of ARI_RECHECK_PER_TICK,
 * repeated while the last one took a full batch, until ms milliseconds have
 * passed. One tick a round re-checked at most 32 certificates a second, 2.8
 * million a day: a fleet of a million asked every 6 hours (Let's Encrypt's
 * Retry-After) needs 46 a second, and a CA that moves windows into the
 * past for a mass revocation is heard only when the re-check comes. The
 * workers pace the renewalInfo requests (PACE_RENEWAL_INFO). Each tick is
 * a transaction of its own. Returns the checks queued, or -1 with a
 * message when the first tick failed (a later failure ends the round,
 * logged, and the checks queued before it stand).
 */
int ari_recheck_drain(PGconn *c, int ms, char *err, size_t errlen);

/*
 * Applies an event of an ari_check job in the caller's transaction:
 * ari_window stores the window, sets ari_next_at from the event and, when
 * the window moved and no renewal is in flight, sets renew_at to a random
 * moment in the new window; failed leaves the lease as the next try;
 * deferred sets ari_next_at to the CA's not-before. The result consumer
 * calls it for events of ari_check jobs only; a superseded or unknown check
 * is RESULTS_IGNORED.
 */
enum results_outcome ari_recheck_result(PGconn *c, const Certfleet__Event *e,
    char *err, size_t errlen);

#endif
