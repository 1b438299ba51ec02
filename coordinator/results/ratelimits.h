/* ratelimits.h -- the coordinator's record of rate limits CAs reported (table rate_limit_hits) and of what they hold (table ca_holds). */
#ifndef CERTFLEET_RATELIMITS_H
#define CERTFLEET_RATELIMITS_H

#include <stddef.h>

#include <libpq-fe.h>

#include "event.pb-c.h"

/* The longest a CA's report holds a scope: Let's Encrypt's longest window
 * is 7 days; a Retry-After beyond this is taken as this. */
#define RATELIMITS_HOLD_MAX_S	(8 * 86400)

/*
 * Records, inside the caller's transaction, that the CA deferred attempt
 * `attempt` of job_id (an order id or an account id): the deferral's problem
 * type and detail, the endpoint it names and its not_before. The CA and
 * account are looked up from the order, or from the account when job_id is
 * one. A rateLimited problem whose detail names its limit (ratescope.h)
 * also holds that scope (the order's account, one of its registered
 * domains or names, or its name set) in ca_holds until not_before: the
 * relay then holds every other issue order in it (outbox/budget.c).
 * Returns 0, or -1 with a message in err.
 */
int ratelimits_record(PGconn *c, const char *job_id, unsigned attempt,
    const Certfleet__JobDeferred *d, char *err, size_t errlen);

#endif
