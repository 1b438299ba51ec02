/* gate.h -- a CA's gate shared by every worker: newOrder requests and authorization fetches never in flight at once (Pebble's deadlock), leases in Redis, and each worker's memory of a side kept out. */
#ifndef CERTFLEET_GATE_H
#define CERTFLEET_GATE_H

#include <stddef.h>
#include <stdint.h>

#include "acme.h"

/*
 * Why: Pebble deadlocks when a newOrder's FindValidAuthorization walk (the
 * store's read lock, then each authorization's), an authorization fetch
 * (that authorization's write lock, then the store's read lock) and any
 * store writer meet (docs/design.md section 7). Writers come when the CA
 * likes (a finalize completes in the background), but the other two are
 * requests: when no authorization fetch is in flight at a CA while a
 * newOrder is, the three never meet.
 *
 * The state, on Redis's clock (rediskeys.h: certfleet:gate:<ca>:...): one
 * sorted set per side of leases (member: a lease id, score: when it expires,
 * GATE_LEASE_MS after it was taken) and a hash of the sides waiting (since
 * when, last seen). The enter script (gate_enter_lua) drops expired leases,
 * then lets a request in when the other side holds no lease, unless the
 * other side has been waiting GATE_FAIR_MS or more (and longer than this
 * side): then it is kept out too, so the other side's holders drain and it
 * gets its turn (no starvation). A side kept out records its wait and is
 * told to ask again in GATE_RETRY_MS. A wait not refreshed for
 * GATE_WANT_TTL_MS (its requests gave up) no longer counts. Leaving removes
 * the lease (ZREM); a holder that crashed loses it after GATE_LEASE_MS.
 *
 * A request that takes longer than GATE_LEASE_MS loses its exclusion: at
 * Pebble that means the CA is already stuck or starved of CPU.
 */
#define GATE_LEASE_MS		10000
#define GATE_RETRY_MS		20
#define GATE_FAIR_MS		50
#define GATE_WANT_TTL_MS	500

/* KEYS: this side's leases, the other side's, the waits hash. ARGV: the
 * lease id, GATE_LEASE_MS, this side's and the other side's names, FAIR,
 * WANT_TTL, RETRY, and "1" when this side wins a tie of waits. Returns 0
 * (the lease is taken) or the milliseconds until asking again. */
extern const char gate_enter_lua[];

/* The side's name in keys and logs: "newOrder", "authz"; "?" for none. */
const char *gate_side_name(enum acme_gate side);

/* The other side; ACME_GATE_NONE for none. */
enum acme_gate gate_other(enum acme_gate side);

/* Key out (outlen bytes) of CA name's what: a side's name or "want".
 * Returns 0, or -1 when it does not fit. */
int gate_key(char *out, size_t outlen, const char *ca, const char *what);

/* Lease ids: each worker starts from a random base and counts; never 0. */
struct gate_ids {
	uint64_t	next;
};
void gate_ids_init(struct gate_ids *ids);
uint64_t gate_ids_take(struct gate_ids *ids);

/*
 * What one worker remembers of one CA's gate, so that its requests kept
 * out ask Redis once per retry, not each: until[side] is when (monotonic
 * ms) its side may ask again.
 */
struct gate_local {
	uint64_t	until[3];
};

/* The milliseconds side must still wait before asking Redis at now (0:
 * ask). */
long gate_local_wait(const struct gate_local *g, enum acme_gate side,
    uint64_t now);

/* Redis kept side out at now, asking again in retry_ms. */
void gate_local_out(struct gate_local *g, enum acme_gate side, uint64_t now,
    long retry_ms);

#endif
