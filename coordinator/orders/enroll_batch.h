/* enroll_batch.h -- writes many enrollments, or a renewal tick's orders, at once: one statement per table for the whole batch, set-based. */
#ifndef CERTFLEET_ENROLL_BATCH_H
#define CERTFLEET_ENROLL_BATCH_H

#include <stddef.h>

#include <libpq-fe.h>

#include "enroll.h"
#include "enroll_audit.h"
#include "ids.h"

/* One enrollment of a batch: its request, ids and material (made ahead,
 * as for enroll_write), and what the write gives it. */
struct enroll_batch_item {
	const struct enroll_request	*req;
	const char			*id;	/* certificate id */
	const char			*pkid;	/* private key id */
	const struct enroll_material	*m;
	const char			*replaces;	/* ARI CertID, or NULL */
	char				 oid[IDS_LEN + 1];	/* out: order */
	char				 trace[IDS_TRACE_LEN + 1];	/* out */
	struct enroll_audit		*audit;	/* or NULL: enroll_audit.h */
};

/* Whether req can be written by enroll_batch_write with no admission
 * first: when it names no tenant. An item of a tenant is written only once
 * the caller admitted it in the same transaction (tenant_room_read once per
 * tenant, then tenant_room_take per item, in the items' order: what
 * enroll_write's tenant_admit does one enrollment after the other). */
int enroll_batch_fits(const struct enroll_request *req);

/*
 * Writes the n items (each one enroll_batch_fits, or admitted in this
 * transaction by its tenant's quotas) in c's open transaction exactly as n
 * calls of enroll_write would: hostname set, certificate (its names and
 * labels by the triggers, its tenant), sealed key, order (the certificate's
 * tenant, as order_create copies it) and its Job{issue_order} in the outbox; but with one statement per table for the
 * whole batch, the CAs' accounts read once. Returns 1 with every item's oid
 * and trace set; -1 with err when anything failed (a CA without an account
 * yet, the database): the transaction is then to be rolled back, nothing of
 * the batch is kept, and the caller may write the items one by one to learn
 * which one failed.
 */
int enroll_batch_write(PGconn *c, const struct settings *s,
    struct enroll_batch_item *items, size_t n, char *err, size_t errlen);

/*
 * The same rows and the items' audit rows (enroll_audit.h) in a transaction
 * of their own, begun and committed here: BEGIN and every statement that
 * needs nothing read first go to the server in one round trip
 * (db_pipeline), the rest and COMMIT in a second, where one statement a
 * round trip took eight. For up to ENROLL_AUDIT_MAX items. Returns 1 with
 * every item's oid, trace and audit id set; -1 with err when anything
 * failed: rolled back, no audit id set.
 */
int enroll_batch_commit(PGconn *c, const struct settings *s,
    struct enroll_batch_item *items, size_t n, char *err, size_t errlen);

/*
 * For n certificates that exist (a renewal tick's, schedule/renew.c), in
 * c's open transaction: each item's sealed key, and an order with its
 * Job{issue_order} in the outbox for the current account of the item's CA
 * (req->ca, which every item must name; the order's tenant is
 * req->tenant, the certificate's): what order_create does for one order,
 * with one statement per table for the whole batch in two round trips.
 * Returns 1 with every item's oid and trace set, or -1 with err (the
 * transaction is then to be rolled back).
 */
int enroll_batch_orders(PGconn *c, struct enroll_batch_item *items, size_t n,
    char *err, size_t errlen);

#endif
