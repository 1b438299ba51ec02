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

#endif
