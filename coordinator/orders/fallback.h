/* fallback.h -- a certificate's ordered CA list: when an order fails for good, the next CA gets a new order. */
#ifndef CERTFLEET_COORD_FALLBACK_H
#define CERTFLEET_COORD_FALLBACK_H

#include <stddef.h>

#include <libpq-fe.h>

/*
 * Order job_id failed for good (a problem the CA will not fix, or retries
 * exhausted). When its certificate is still pending and lists a CA after
 * the order's one (certificates.ca, then certificates.fallback, in order)
 * that has an account row, writes, in the caller's transaction, a new order
 * for that CA (new job id, attempt 1, same key and CSR, same trace id) and
 * its Job{issue_order} in the outbox. CAs without an account are skipped.
 * Returns 1 when a new order was queued, 0 when no CA is left, -1 with err.
 */
int fallback_next(PGconn *c, const char *job_id, char *err, size_t errlen);

#endif
