/* retention.h -- rows kept only for a while: outbox rows once sent, and Idempotency-Keys, deleted in small batches. */
#ifndef CERTFLEET_COORD_RETENTION_H
#define CERTFLEET_COORD_RETENTION_H

#include <stddef.h>

#include <libpq-fe.h>

#define RETENTION_PER_TICK		1000	/* rows of each kind per tick */
#define RETENTION_OUTBOX_DEFAULT_S	(7 * 86400)	/* CERTFLEET_OUTBOX_RETENTION_S */
#define RETENTION_IDEM_DEFAULT_S	86400	/* CERTFLEET_IDEMPOTENCY_RETENTION_S */

/*
 * Deletes at most limit outbox rows sent more than outbox_s seconds ago
 * (the relay never reads them again; they are kept a while to answer "was
 * it sent?") and at most limit Idempotency-Keys taken more than idem_s
 * seconds ago (a retry after that runs as a new request). Returns the rows
 * deleted, or -1 with err.
 */
long retention_tick(PGconn *c, long outbox_s, long idem_s, int limit,
    char *err, size_t errlen);

#endif
