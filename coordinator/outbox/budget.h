/* budget.h -- per-CA issuance budgets: an issue order is released to the workers only when it fits every limit of its CA. */
#ifndef CERTFLEET_COORD_BUDGET_H
#define CERTFLEET_COORD_BUDGET_H

#include <stddef.h>

#include <libpq-fe.h>

#include "cas.h"

#define BUDGET_ORDERS_WINDOW_S	(3.0 * 3600)	/* new orders per account */
#define BUDGET_CERTS_WINDOW_S	(7.0 * 86400)	/* certificates per domain, per name set */
#define BUDGET_PROBLEM		"urn:certfleet:error:budget"

/*
 * Window arithmetic. times[0..n) are the epoch seconds of counted items, in
 * any order (items at or before now - window_s have left the window and do
 * not count). Returns 0 when one more item fits at now (limit 0: no limit),
 * else the earliest time it does: when the limit-th newest item in the
 * window leaves it (its time + window_s). Sorts times in place.
 */
double budget_release_at(double *times, size_t n, long limit,
    double window_s, double now);

/*
 * Decides, in the caller's transaction, whether outbox row outbox_id (job
 * job_id) may be published now. When its CA holds a scope now (held: see
 * flow_held), an issue order in a held scope (ca_holds: its account, its
 * name set, one of its registered domains or names, held since the CA
 * reported that limit) waits until the hold ends, released once or not;
 * renewals carrying ARI `replaces` (exempt at Let's Encrypt) are not held,
 * and renewals without it (an order for the exact name set of the
 * certificate's current one, issued by the same CA) are not held by their
 * account's or their domains' limits, which Let's Encrypt does not apply
 * to them. Then jobs that are no issue order, orders already released
 * once, and `replaces` renewals are admitted; other orders are admitted
 * when they fit the budgets of their CA in cas (orders of its account in
 * the last 3 h, issued certificates per registered domain and per exact
 * name set in the last 7 days; a renewal without `replaces`: the exact
 * name set's alone), counted from PostgreSQL under a per-CA advisory lock.
 * An admitted order is counted from now (orders.released_at). A held one
 * has its outbox row's available_at pushed to its release time and its
 * certificate's last problem set to BUDGET_PROBLEM with the limit named.
 * Returns 1 admitted, 0 held, -1 with a message in err.
 */
int budget_admit(PGconn *c, const struct cas_conf *cas, int held,
    const char *outbox_id, const char *job_id, char *err, size_t errlen);

/* 1 when the issue orders of CA name (NULL: none) are measured by
 * budget_admit before release: name is a CA of cas that counts anything.
 * 0 when nothing is to be measured: such an order is admitted as it is,
 * and released (BUDGET_RELEASE) in the statement that marks it sent, so
 * that its row is written once per relay pass, not twice. Pure. */
int budget_counts(const struct cas_conf *cas, const char *name);

/* The names of cas' CAs that count anything, as a text[] literal
 * (malloc'd; "{}" for none or cas NULL), or NULL out of memory: the
 * parameter of BUDGET_RELEASE. */
char *budget_limited_names(const struct cas_conf *cas);

/* The orders row condition under which an order is released (its
 * released_at stamped) without measuring: not released yet, and a renewal
 * carrying `replaces` or of a CA that counts nothing. p is the parameter
 * ("$2") bound to budget_limited_names(). */
#define BUDGET_RELEASE(p) "(released_at IS NULL AND NOT (replaces IS " \
	"NULL AND coalesce(ca = ANY(" p "::text[]), false)))"

/* Orders released for ca's account in the last 3 hours, counted up to the
 * CA's limit (the cost is bounded by it; no limit: every one, off the
 * orders_released index). Returns the count, or -1 with err. */
long budget_orders_used(PGconn *c, const struct cas_ca *ca, char *err,
    size_t errlen);

#endif
