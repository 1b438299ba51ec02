/* orphans.h -- orders waiting for a CA this coordinator has no configuration for: the relay sends them nowhere, so GET /v1/cas lists them and the coordinator logs them at start and once a minute. */
#ifndef CERTFLEET_COORD_ORPHANS_H
#define CERTFLEET_COORD_ORPHANS_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "cas.h"

#define ORPHANS_MAX		16	/* unconfigured CAs listed at once */
#define ORPHANS_LOG_EVERY_MS	60000	/* how often they are logged */

/*
 * Why: the relay gives room only to the CAs of this coordinator's
 * configuration (outbox/flow.h). A CA taken out of CERTFLEET_CAS while
 * orders for it wait (a renewal of a certificate it issued is queued at it,
 * whatever the configuration says), or put in on another coordinator
 * first, leaves those orders pending: nothing fails, nothing is sent, and a
 * renewal that never goes out lets its certificate expire. They are not
 * failed here: in a rolling change of the configuration another coordinator
 * may still send them. They are shown instead.
 */
struct orphan {
	char	ca[CAS_NAME_MAX + 1];
	long	waiting;	/* orders pending or deferred, never sent */
};

/* The CAs not in cas with orders waiting (pending or deferred), by name,
 * at most max, into out. Found by a skip scan of the index of orders in
 * flight (one probe per CA in it), counted for the unconfigured ones only.
 * Returns their number, or -1 with err. */
int orphans_list(PGconn *c, const struct cas_conf *cas, struct orphan *out,
    size_t max, char *err, size_t errlen);

/* Logs a warning for each CA orphans_list finds, at most once per
 * ORPHANS_LOG_EVERY_MS (*last_ms: monotonic ms of the last look, 0 at
 * first; now_ms: now). Returns 0, or -1 with err (logged by the caller). */
int orphans_tick(PGconn *c, const struct cas_conf *cas, uint64_t now_ms,
    uint64_t *last_ms, char *err, size_t errlen);

#endif
