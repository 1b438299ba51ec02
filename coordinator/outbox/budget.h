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

/*
 * An order that does not fit its CA's budget of orders per 3 hours is
 * parked (its outbox row held, available_at 'infinity'), not held until
 * the next room: every order held in one window would get the same time,
 * and all would be measured again for the one that goes (a herd per
 * order released). BUDGET_UNPARK_SQL, a relay pass's, is the ids of the
 * parked rows to wake now: per CA of $1 (text[], with its orders limit in
 * $2, integer[], 0 for none: budget_orders_limits), its oldest parked
 * rows by priority, as many as its budget has room for (the limit minus
 * the orders released in the last 3 hours and minus its issue rows due
 * and not sent yet, each read no further than the limit: rows woken in a
 * pass that could not send them, its cap on orders in flight full, are
 * not woken again), or OUTBOX_BATCH (500) when it counts none (a limit
 * lifted since).
 * Each CA costs one probe of outbox_parked when nothing is parked
 * (0086_outbox_parked.sql): a LATERAL in the index's order with LIMIT 1
 * (an EXISTS was planned as a hashed subplan reading every parked row, and
 * a LIMIT 1 alone as a sequential scan of outbox for a CA with none).
 */
#define BUDGET_UNPARK_SQL "SELECT p.id FROM unnest($1::text[], " \
	"$2::integer[]) b(ca, lim) CROSS JOIN LATERAL (SELECT 1 FROM outbox " \
	"WHERE sent_at IS NULL AND held AND available_at = 'infinity' AND ca " \
	"= b.ca ORDER BY priority DESC, id LIMIT 1) e CROSS JOIN LATERAL " \
	"(SELECT CASE WHEN b.lim <= 0 " \
	"THEN 500 ELSE b.lim - (SELECT count(*) FROM (SELECT 1 FROM orders o " \
	"WHERE o.ca = b.ca AND o.released_at > now() - interval '3 hours' " \
	"LIMIT b.lim) t) - (SELECT count(*) FROM (SELECT 1 FROM outbox WHERE " \
	"sent_at IS NULL AND issue AND NOT held AND ca = b.ca LIMIT b.lim) u) " \
	"END AS room) f CROSS JOIN LATERAL (SELECT id FROM " \
	"outbox WHERE sent_at IS NULL AND held AND available_at = 'infinity' " \
	"AND ca = b.ca ORDER BY priority DESC, id LIMIT greatest(f.room, 0) " \
	"FOR UPDATE SKIP LOCKED) p"

/* The configured CAs' names and their limits of orders per 3 hours (0:
 * none) as the text[] and integer[] literals of BUDGET_UNPARK_SQL,
 * malloc'd. Returns 0, or -1 when memory runs out. */
int budget_orders_limits(const struct cas_conf *cas, char **names,
    char **limits);

/* Orders released for ca's account in the last 3 hours, counted up to the
 * CA's limit (the cost is bounded by it; no limit: every one, off the
 * orders_released index). Returns the count, or -1 with err. */
long budget_orders_used(PGconn *c, const struct cas_ca *ca, char *err,
    size_t errlen);

#endif
