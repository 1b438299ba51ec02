/* primer.h -- keeps every Redis target of the edges equal to PostgreSQL, in the peter_sslers formats (rediskeys.h): changes, full re-prime after a loss, periodic comparison. */
#ifndef CERTFLEET_COORD_PRIMER_H
#define CERTFLEET_COORD_PRIMER_H

#include <stddef.h>

#include <libpq-fe.h>

#include "prime_conf.h"
#include "vault.h"

struct primer;

/* A primer for the targets, style and TTL of pc (copied). Connects to
 * nothing yet. Returns NULL with a message in err when memory runs out. */
struct primer *primer_new(const struct prime_conf *pc, char *err,
    size_t errlen);
void primer_free(struct primer *p);	/* closes the targets; NULL is fine */

/* Whether the plan queues a row in edge_expiries for each certificate it
 * primes or withdraws (on, the default): the expire thread (expire.h) takes
 * them to the peter_sslers edges, and deletes them all when there is no
 * edge, so a coordinator without edges turns it off (migration 0083). */
void primer_expiries(struct primer *p, int on);

/* One pass:
 *  1. plan: new current issued certificates and revoked ones (primed_at /
 *     unprimed_at NULL) move edge_names, the owner of each hostname
 *     (certfleet_prime_plan), and are marked primed / withdrawn;
 *  2. for each target in turn, up to PRIME_SLICE_MS of work each: one GET of
 *     its generation marker (missing or not the one in prime_targets: the
 *     target lost its data, and a full re-prime of every live name starts,
 *     resumable from prime_targets after a restart); the edge_names changes
 *     it has not applied (names written or deleted and PUBLISHed, then the
 *     c:/p:/i: keys they pointed at deleted once nothing calls for them);
 *     the next batch of a running re-prime; and, once caught up, one step of
 *     the throttled comparison (prime_check_step).
 * A target whose Redis fails is dropped and retried after a backoff (1 s
 * doubling to 8 s; connecting may take 0.5 s, a reply 2 s) while the
 * others go on; its errors are logged, not returned. The cost of a pass
 * with nothing to do is one GET and two small queries per target, plus the
 * comparison step, whatever the fleet's size.
 * Returns 1 when a target has work left now (call again without waiting),
 * 0 when every target is caught up, or -1 with err on a database error. */
int primer_tick(struct primer *p, PGconn *c, const struct vault *v, char *err,
    size_t errlen);

/* Between passes: one GET of the generation marker of each connected target
 * that is not re-priming already (no PostgreSQL, nothing written). Returns 1
 * when one of them lost its marker, or its connection failed: the caller
 * then runs primer_tick at once instead of at its next turn (a flushed or
 * restarted Redis is noticed within PRIMER_WATCH_MS, not a whole period). */
#define PRIMER_WATCH_MS 200
int primer_watch(struct primer *p);

#endif
