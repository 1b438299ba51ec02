/* fallback.h -- a certificate's ordered CA list: when an order fails for good, the next CA gets a new order. */
#ifndef CERTFLEET_COORD_FALLBACK_H
#define CERTFLEET_COORD_FALLBACK_H

#include <stddef.h>

#include <libpq-fe.h>

/*
 * Order job_id failed for good (a problem the CA will not fix, or retries
 * exhausted). When its certificate is still pending and lists a CA after
 * the order's one (certificates.ca, then certificates.fallback, in order)
 * that has an account, a new order for that CA is made through
 * order_create in the caller's transaction: new job id, attempt 1, and the
 * failed order's key, CSR, trace id, challenge, replaces, profile and
 * preferred chain. CAs without an account are skipped.
 * Returns 1 when a new order was queued, 0 when no CA is left, -1 with err.
 */
int fallback_next(PGconn *c, const char *job_id, char *err, size_t errlen);

/*
 * CA ca does not answer (its breaker is open): in the caller's transaction,
 * up to max of its orders that wait (pending or deferred: not released)
 * and whose certificate is pending and lists a CA after it give up there:
 * their unsent outbox rows are dropped, they become "failed", the
 * certificate's last problem says why, and fallback_next queues the next
 * CA's order. Orders locked elsewhere are skipped (SKIP LOCKED). Returns
 * how many moved, or -1 with err.
 */
int fallback_away(PGconn *c, const char *ca, int max, char *err,
    size_t errlen);

#endif
