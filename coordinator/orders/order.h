/* order.h -- the one owner of an issue order: its row, its Job{issue_order}, its Kafka key and its outbox row. */
#ifndef CERTFLEET_COORD_ORDER_H
#define CERTFLEET_COORD_ORDER_H

#include <stddef.h>

#include <libpq-fe.h>

#include "ids.h"

/*
 * Enrollment one at a time, fallback to the next CA, lifecycle changes
 * and retries come here (batches of enrollments and a renewal tick's orders are
 * written by enroll_batch.c, which fills the same fields): the job is
 * always built from the order's row (joined with its CA, the
 * CA's current account and the certificate's hostname set) by one function,
 * so no caller can forget a field. The CA's current account is the one
 * registered at the directory URL the CA has now (cas.directory_url); the
 * order's row remembers the account each job was built for
 * (orders.account), and an order URL opened under another account (the CA
 * was pointed at another directory) is never resumed.
 */

/* What a new order is made of. Strings may be NULL where noted. */
struct order_new {
	const char		*certificate_id;
	const char		*private_key_id;
	const unsigned char	*csr;		/* DER */
	size_t			 csrlen;
	const char		*ca;		/* the CA to order from */
	const char		*trace_id;
	const char		*challenge;	/* "http-01" or "dns-01"; NULL: http-01 */
	const char		*replaces;	/* ARI CertID renewed, NULL or "" */
	const char		*profile;	/* newOrder profile, NULL or "" */
	const char		*preferred_chain; /* issuer CN served, NULL or "" */
	int			 priority;	/* ORDER_PRIORITY_*: higher
						 * leaves the outbox first */
};

/*
 * The priorities of orders (orders.priority, outbox.priority): the relay
 * releases higher first, then older first. A renewal goes before new
 * certificates, so that a bulk enrollment or an import of a million names
 * queued at a CA never delays the renewals of the certificates already
 * served; an on-demand name, which an edge waits for on a handshake, goes
 * before both. What failed goes after them all: an order's attempts after
 * a transient failure (orders.failures > 0; only its outbox rows, the
 * order keeping its own priority), and the renewal of a certificate whose
 * last renewal the CA refused for good (a name that no longer points at
 * the fleet, most often): a fleet's departed names must not take the
 * new-order budget of live ones. A new order for the same certificate (a
 * fallback to the next CA, an operator's retry) keeps the priority of the
 * one it replaces.
 */
#define ORDER_PRIORITY_FAILING		(-1)	/* an order's retry after a
						 * transient failure, or a
						 * renewal after one refused
						 * for good (renew.c) */
#define ORDER_PRIORITY_ROUTINE		0	/* a new certificate */
#define ORDER_PRIORITY_RENEWAL		1	/* a renewal (renew.c) */
#define ORDER_PRIORITY_ON_DEMAND	2	/* a name an edge asked for */

/*
 * In the caller's transaction: writes order row oid (attempt 1, status
 * pending, every field of on) and its Job{issue_order} in the outbox (with
 * the order's priority, which its retries keep),
 * keyed by the registered domain of the set's first name. The CA's current
 * account row is locked FOR SHARE. Returns 1 with the new id in oid, 0 when the CA
 * has no account (nothing written), -1 with a message in err (the caller
 * rolls back).
 */
int order_create(PGconn *c, const struct order_new *on,
    char oid[IDS_LEN + 1], char *err, size_t errlen);

/*
 * In the caller's transaction: attempt `attempt` of order job_id, carrying
 * order_url (NULL or "": a new ACME order), is queued delay_s seconds from
 * now, and the order's row moves to status ("pending" or "deferred") with
 * that attempt, URL and not_before. The URL is dropped when the CA's current
 * account is not the one it was opened under. Returns 0, or -1 with err.
 */
int order_requeue(PGconn *c, const char *job_id, unsigned attempt,
    const char *order_url, double delay_s, const char *status, char *err,
    size_t errlen);

/*
 * In the caller's transaction: every order of certificate certificate_id
 * in flight (pending, sent, processing, deferred) becomes "cancelled", and
 * its unsent jobs leave the outbox (locked before the orders, in the
 * outbox relay's order, so the two cannot deadlock); a job already on
 * Kafka still runs, and the result consumer ignores its events. The caller
 * holds the certificate's row lock. Returns how many were cancelled, or -1
 * with err.
 */
long order_cancel_in_flight(PGconn *c, const char *certificate_id, char *err,
    size_t errlen);

#endif
