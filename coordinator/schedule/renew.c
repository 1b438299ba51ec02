/* renew.c -- renewal scheduler: due certificates from the renew_at index get a renewal order with a fresh key and ARI replaces. */
#include "renew.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "db.h"
#include "enroll.h"
#include "keypool.h"
#include "keys.h"
#include "log.h"
#include "order.h"

#define RENEW_LEASE_SQL "3600"	/* RENEW_LEASE_S as SQL text */

/*
 * What a renewal needs of each certificate of the relation d (columns of
 * certificates), one row each: 0 id, 1 an order in flight, 2 renewable (an
 * issued certificate, a hostname set, and an account at the CA to renew
 * at), 3 key type, 4 profile, 5 names, 6 ARI CertID replaced ("" when that
 * CA gave no window, or the renewal goes to another CA), 7 the CA to renew
 * at, 8 challenge, 9 preferred chain, 10 renewals failed for good in a row.
 * The CA to renew at is the one that issued the current certificate while
 * it is still one of the certificate's CAs (a certificate that fell back
 * stays where it was issued), else the certificate's first CA: its CAs
 * were changed (lifecycle_ca). An order in flight is looked for among the
 * certificate's orders along orders_certificate, their status tested after
 * the fence (OFFSET 0): with the status in the scan, statistics taken while few orders were in
 * flight made the planner walk orders_in_flight whole and filter by
 * certificate (15 ms and 2,351 buffers per renewal candidate with 27k
 * orders in flight, bench/api's kept fleet), against 4 buffers this way.
 */
#define RENEW_CA_SQL "CASE WHEN io.ca = ANY (ARRAY[d.ca] || d.fallback) " \
	"THEN io.ca ELSE d.ca END"
#define RENEW_ROWS_SQL(d) "SELECT d.id, EXISTS (SELECT 1 FROM (SELECT status " \
	"FROM orders WHERE certificate = d.id OFFSET 0) o WHERE status IN " \
	"('pending', 'sent', 'processing', 'deferred')), hs.id IS NOT NULL AND " \
	"ic.id IS NOT NULL AND EXISTS (SELECT 1 FROM acme_accounts a JOIN cas " \
	"ca ON ca.name = a.ca AND ca.directory_url = a.directory_url WHERE " \
	"a.ca = " RENEW_CA_SQL "), d.key_type, coalesce(d.profile, ''), " \
	"hs.names, CASE WHEN ic.ari_window_end IS NOT NULL AND (io.ca IS NULL " \
	"OR io.ca = " RENEW_CA_SQL ") THEN coalesce(ic.ari_cert_id, '') ELSE " \
	"'' END, " RENEW_CA_SQL ", " \
	"d.challenge, coalesce(d.preferred_chain, ''), d.renewal_failures " \
	"FROM " d " d LEFT JOIN " \
	"hostname_sets hs ON hs.id = d.hostname_set LEFT JOIN " \
	"issued_certificates ic ON ic.id = d.current_issued LEFT JOIN orders io " \
	"ON io.id = ic.order_id"

/*
 * The tick in one statement: the due certificates through the renew_at
 * index, locked (SKIP LOCKED: coordinators side by side never take the
 * same one), their renew_at moved RENEW_LEASE_S ahead (the lease), and what
 * RENEW_ROWS_SQL reads of them. It was four statements per certificate
 * (due, in flight, renewal data, lease): 64 round trips of a tick of 16.
 * The limit is written into the text (%d), not a parameter: with LIMIT $1
 * the generic plan was costed for a tenth of the rows estimated due, and
 * at 1M rows every execution was planned anew (0.5-2.5 ms to bind, against
 * 0.06 ms executing a tick with nothing due): planning `renew_at <= now()`
 * reads the lowest renew_at off the index, walking the dead entries there.
 * With the limit in the text the cached generic plan is used (0.02 ms).
 */
#define RENEW_TICK_SQL "WITH due AS MATERIALIZED (SELECT id, renew_at, " \
	"key_type, profile, hostname_set, current_issued, ca, fallback, " \
	"challenge, preferred_chain, renewal_failures FROM certificates WHERE " \
	"renew_at <= now() ORDER BY renew_at LIMIT %d FOR UPDATE SKIP " \
	"LOCKED), lease AS (UPDATE " \
	"certificates c SET renew_at = now() + make_interval(secs => " \
	RENEW_LEASE_SQL "), updated_at = now() FROM due WHERE c.id = due.id) " \
	RENEW_ROWS_SQL("due") " ORDER BY d.renew_at, d.id"

/* Queues the renewal of the certificate of row i of r (RENEW_ROWS_SQL)
 * inside the caller's transaction (the certificate row is locked by the
 * caller): a fresh key and CSR, and an order at the CA to renew at (row
 * column 7), replacing the current certificate (ARI) when that CA issued
 * it and gave a window. 1
 * queued (oid set), 0 no issued certificate (or its CA has no account), 2
 * an order is in flight, -1 error. */
static int
renew_one(PGconn *c, const struct vault *v, const struct keypool_sizes *pool,
    const PGresult *r, int i, char oid[IDS_LEN + 1], char *err, size_t errlen)
{
	struct enroll_request req = { 0 };
	struct enroll_material m = { 0 };
	struct order_new on = { 0 };
	const char *id = PQgetvalue(r, i, 0);
	char pkid[IDS_LEN + 1], trace[IDS_TRACE_LEN + 1];
	int rc = -1;

	if (strcmp(PQgetvalue(r, i, 1), "t") == 0)
		return 2;
	if (strcmp(PQgetvalue(r, i, 2), "t") != 0)
		return 0;
	if (keys_type_parse(PQgetvalue(r, i, 3), &req.key_type) < 0 ||
	    (req.names = db_array_parse(PQgetvalue(r, i, 5), &req.nnames)) ==
	    NULL || req.nnames == 0) {
		snprintf(err, errlen, "renew: certificate %s has a bad key type "
		    "or hostname set", id);
		goto out;
	}
	if (ids_new(pkid) < 0 || ids_trace(trace) < 0) {
		snprintf(err, errlen, "renew: no random ids");
		goto out;
	}
	if (keypool_take(c, v, pool, req.key_type, &m.key, err, errlen) < 0 ||
	    enroll_material(v, &req, pkid, &m, err, errlen) < 0 ||
	    enroll_store_key(c, pkid, id, req.key_type, &m, err, errlen) < 0)
		goto out;
	/* a renewal the CA refused before goes after new certificates: a
	 * fleet's departed names must not take the budget of live ones */
	on.priority = strcmp(PQgetvalue(r, i, 10), "0") == 0 ?
	    ORDER_PRIORITY_RENEWAL : ORDER_PRIORITY_FAILING;
	on.certificate_id = id;
	on.private_key_id = pkid;
	on.csr = m.csr;
	on.csrlen = m.csrlen;
	on.ca = PQgetvalue(r, i, 7);	/* renewed at the CA that issued it */
	on.trace_id = trace;
	on.challenge = PQgetvalue(r, i, 8);
	on.replaces = PQgetvalue(r, i, 6);
	on.profile = PQgetvalue(r, i, 4);
	on.preferred_chain = PQgetvalue(r, i, 9);
	if ((rc = order_create(c, &on, oid, err, errlen)) == 1)
		log_info_ctx(LOG_JOB(oid, 1, trace, id), "renewal of "
		    "certificate %s queued%s%s", id, on.replaces[0] != '\0' ?
		    ", replaces " : " (no ARI)", on.replaces);
out:
	enroll_material_free(&m);
	db_array_free(req.names, req.nnames);
	return rc;
}

/* Moves renew_at of id RENEW_LEASE_S ahead. */
static int
renew_lease(PGconn *c, const char *id, char *err, size_t errlen)
{
	return db_exec(c, "renew lease", "UPDATE certificates SET renew_at = "
	    "now() + make_interval(secs => " RENEW_LEASE_SQL "), updated_at = "
	    "now() WHERE id = $1", 1, &id, NULL, NULL, err, errlen) < 0 ? -1 : 0;
}

/* renew_tick, which also sets *taken to the due rows it took (renewed or
 * not). */
static int
renew_pass(PGconn *c, const struct vault *v, const struct keypool_sizes *pool,
    int limit, int *taken, char *err, size_t errlen)
{
	PGresult *r = NULL;
	char sql[sizeof(RENEW_TICK_SQL) + 16], oid[IDS_LEN + 1];
	int i, n, queued = 0, rc = -1;

	if (limit < 0) {
		snprintf(err, errlen, "renew: limit %d", limit);
		return -1;
	}
	snprintf(sql, sizeof(sql), RENEW_TICK_SQL, limit);
	if (db_begin(c, err, errlen) < 0)
		return -1;
	if ((r = db_query(c, "renew due", sql, 0, NULL, NULL, NULL, err,
	    errlen)) == NULL)
		goto out;
	for (i = 0; i < PQntuples(r); i++) {
		if ((n = renew_one(c, v, pool, r, i, oid, err, errlen)) < 0)
			goto out;
		if (n == 1)
			queued++;
	}
	if (db_commit(c, err, errlen) < 0)
		goto out;
	*taken = PQntuples(r);
	rc = queued;
out:
	if (rc < 0)
		db_rollback(c);
	PQclear(r);
	return rc;
}

int
renew_tick(PGconn *c, const struct vault *v, const struct keypool_sizes *pool,
    int limit, char *err, size_t errlen)
{
	int taken;

	return renew_pass(c, v, pool, limit, &taken, err, errlen);
}

/* The orders of every CA in flight, counted up to max along the
 * orders_in_flight index. Returns the count, or -1 with a message. */
static int
renew_in_flight(PGconn *c, int max, char *err, size_t errlen)
{
	PGresult *r;
	char lim[16];
	const char *p = lim;
	int n;

	snprintf(lim, sizeof(lim), "%d", max);
	if ((r = db_query(c, "renew backlog", "SELECT count(*) FROM (SELECT 1 "
	    "FROM orders WHERE status IN ('pending', 'sent', 'processing', "
	    "'deferred') LIMIT $1::integer) o", 1, &p, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	n = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n;
}

int
renew_drain(PGconn *c, const struct vault *v, const struct keypool_sizes *pool,
    int backlog, int ms, char *err, size_t errlen)
{
	uint64_t end = clock_mono_ms() + (uint64_t)(ms > 0 ? ms : 0);
	int taken = 0, queued = 0, n = 0;

	if ((queued = renew_pass(c, v, pool, RENEW_PER_TICK, &taken, err,
	    errlen)) < 0)
		return -1;
	while (taken == RENEW_PER_TICK && clock_mono_ms() < end) {
		if ((n = renew_in_flight(c, backlog, err, errlen)) < 0 ||
		    n >= backlog)
			break;
		if ((n = renew_pass(c, v, pool, RENEW_PER_TICK, &taken, err,
		    errlen)) < 0)
			break;
		queued += n;
	}
	if (n < 0)
		log_warn("renewals: %s (%d queued this round; the next round "
		    "goes on)", err, queued);
	return queued;
}

int
renew_now(PGconn *c, const struct vault *v, const struct keypool_sizes *pool,
    const char *id, char oid[IDS_LEN + 1], char *err, size_t errlen)
{
	PGresult *r = NULL;
	int n, rc = -1;

	if (db_begin(c, err, errlen) < 0)
		return -1;
	if ((r = db_query(c, "renew lock", "SELECT 1 FROM certificates WHERE "
	    "id = $1 AND current_issued IS NOT NULL AND status NOT IN ('disabled', "
	    "'deleted') FOR UPDATE", 1, &id, NULL,
	    NULL, err, errlen)) == NULL)
		goto out;
	if (PQntuples(r) == 0) {
		rc = 0;
		goto out;
	}
	PQclear(r);
	if ((r = db_query(c, "renew certificate", RENEW_ROWS_SQL("(SELECT * "
	    "FROM certificates WHERE id = $1)"), 1, &id, NULL, NULL, err,
	    errlen)) == NULL)
		goto out;
	if (PQntuples(r) != 1) {
		rc = 0;
		goto out;
	}
	if ((n = renew_one(c, v, pool, r, 0, oid, err, errlen)) < 0)
		goto out;
	if (n != 1) {
		rc = n;
		goto out;
	}
	if (renew_lease(c, id, err, errlen) < 0 || db_commit(c, err, errlen) < 0)
		goto out;
	rc = 1;
out:
	if (rc != 1)
		db_rollback(c);
	PQclear(r);
	return rc;
}
