/* retry.h -- an operator's retry: a certificate that failed for good gets a new order at its first CA, one or by filter; one whose renewals the CA refused is renewed. */
#ifndef CERTFLEET_COORD_RETRY_H
#define CERTFLEET_COORD_RETRY_H

#include <stddef.h>

#include <libpq-fe.h>

#include "ids.h"

#define RETRY_BULK_MAX	1000	/* certificates one bulk call takes */

/*
 * Certificate id failed for good: in one transaction, a new order (through
 * order_create, new job id, attempt 1) at the certificate's first CA with
 * the key and CSR of its last order and the certificate's challenge,
 * profile and preferred chain; the certificate is pending again and its
 * last problem cleared. Returns 1 with the order id in oid, 0 when there
 * is no such certificate, 2 when it is not failed (nothing written), -1
 * with a message in err (nothing written).
 */
int retry_certificate(PGconn *c, const char *id, char oid[IDS_LEN + 1],
    char *err, size_t errlen);

/*
 * The same for at most RETRY_BULK_MAX failed certificates, oldest failure
 * first, those of CA ca only (NULL or "": any CA) and with last problem
 * type problem only (NULL or "": any), each in a transaction of its own.
 * Returns how many got a new order (call again for the rest), or -1 with
 * err (the ones before were retried).
 */
int retry_bulk(PGconn *c, const char *ca, const char *problem, char *err,
    size_t errlen);

/*
 * An issued certificate whose renewals the CA refused for good (renewal
 * failures in a row, results/results_order.c) is not failed: its retry is
 * a renewal. 1 when certificate id is such a one, 0 when not, -1 with err.
 */
int retry_renewal_failing(PGconn *c, const char *id, char *err,
    size_t errlen);

/*
 * The bulk form of that: at most RETRY_BULK_MAX such certificates (of CA
 * ca, with last problem type problem, as retry_bulk), not yet due, are due
 * now: the renewal tick renews them. Returns how many, or -1 with err.
 */
int retry_renewals_due(PGconn *c, const char *ca, const char *problem,
    char *err, size_t errlen);

#endif
