/* reseal.h -- a rotation of the master key: every secret sealed under an open-only key sealed again under the master key, in batches on the scheduler's thread. */
#ifndef CERTFLEET_COORD_RESEAL_H
#define CERTFLEET_COORD_RESEAL_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "vault.h"

#define RESEAL_PER_TICK	2000	/* secrets read per call at most */
#define RESEAL_BATCH	500	/* secrets per statement and transaction */
#define RESEAL_PASS_GAP_MS (10 * 60 * 1000)	/* a pass after the last */
#define RESEAL_LOG_FAILS 10	/* secrets that do not open, logged a pass */
#define RESEAL_ID_MAX	128	/* longest row id a pass walks past */

/*
 * What a pass has done so far; the caller keeps it between calls, zeroed
 * at first. A pass walks the five places a secret is sealed (private_keys,
 * key_pool, and acme_accounts' key, pending rollover key and EAB MAC key)
 * in id order, opens every secret sealed under an open-only key, seals it
 * under the master key with a fresh nonce and writes it back only if the
 * row still holds what was read (its nonce): a row written meanwhile, by
 * this coordinator or another, is left as it is. A secret that does not
 * open (tampered with, or copied from another row) is logged by id, never
 * by content, and left. At the end of a pass it counts what is left under
 * any key but the master key, logs it and sets certfleet_reseal_left; the
 * next pass starts RESEAL_PASS_GAP_MS later, for what a coordinator that
 * still seals under an old key wrote meanwhile.
 */
struct reseal {
	size_t		 place;		/* where the pass is (0: the first) */
	char		 after[RESEAL_ID_MAX];	/* last id read there */
	int		 passing;	/* a pass is under way */
	uint64_t	 next_ms;	/* monotonic: when the next pass starts */
	long		 done;		/* sealed again in this pass */
	long		 failed;	/* did not open in this pass */
	long		 left;		/* left at the end of the last pass (-1:
					 * no pass ended yet) */
};

/*
 * One step of the pass on c, now_ms on the monotonic clock: up to
 * RESEAL_PER_TICK secrets read. Does nothing when v has no open-only key.
 * Returns 1 when the pass has more to do (call again on the next tick),
 * 0 when it ended or is not due, or -1 with err (a database error: the
 * pass goes on from where it was on the next call).
 */
int reseal_tick(PGconn *c, const struct vault *v, struct reseal *st,
    uint64_t now_ms, char *err, size_t errlen);

#endif
