/* ratelimits.h -- the coordinator's record of rate limits CAs reported (table rate_limit_hits). */
#ifndef CERTFLEET_RATELIMITS_H
#define CERTFLEET_RATELIMITS_H

#include <stddef.h>

#include <libpq-fe.h>

#include "event.pb-c.h"

/*
 * Records, inside the caller's transaction, that the CA deferred attempt
 * `attempt` of job_id (an order id or an account id): the deferral's problem
 * type and detail, the endpoint it names and its not_before. The CA and
 * account are looked up from the order, or from the account when job_id is
 * one. Returns 0, or -1 with a message in err.
 */
int ratelimits_record(PGconn *c, const char *job_id, unsigned attempt,
    const Certfleet__JobDeferred *d, char *err, size_t errlen);

#endif
