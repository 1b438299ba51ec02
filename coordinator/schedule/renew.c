/* renew.c -- renewal scheduler: due certificates from the renew_at index get a renewal order with a fresh key and ARI replaces. */
#include "renew.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "db.h"
#include "enroll.h"
#include "enroll_batch.h"
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
 * at, 8 challenge, 9 preferred chain, 10 renewals failed for good in a row,
 * 11 tenant ("" for none).
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
	"d.challenge, coalesce(d.preferred_chain, ''), d.renewal_failures, " \
	"coalesce(d.tenant, '') " \
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
	"challenge, preferred_chain, renewal_failures, tenant FROM " \
	"certificates WHERE " \
	"renew_at <= now() ORDER BY renew_at LIMIT %d FOR UPDATE SKIP " \
	"LOCKED), lease AS (UPDATE " \
	"certificates c SET renew_at = now() + make_interval(secs => " \
	RENEW_LEASE_SQL "), updated_at = now() FROM due WHERE c.id = due.id) " \
	RENEW_ROWS_SQL("due") " ORDER BY d.renew_at, d.id"

/* One renewal of a batch, and what it owns. */
struct renew_item {
	struct enroll_request	req;	/* names owned; ca, challenge... in r */
	struct enroll_material	m;
	char			pkid[IDS_LEN + 1];
};

static void
renew_item_free(struct renew_item *ri)
{
	enroll_material_free(&ri->m);
	db_array_free(ri->req.names, ri->req.nnames);
}

/* Makes ready the renewal of the certificate of row i of r (RENEW_ROWS_SQL):
 * a fresh key and CSR (ri, zeroed before) for an order at the CA to renew
 * at (row column 7), replacing the current certificate (ARI, column 6) when
 * that CA issued it and gave a window. it is the batch item, pointing into
 * ri and r. 1 ready, 0 no issued certificate (or its CA has no account), 2
 * an order is in flight, -1 error. */
static int
renew_item(PGconn *c, const struct vault *v, const struct keypool_sizes *pool,
    const PGresult *r, int i, struct renew_item *ri,
    struct enroll_batch_item *it, char *err, size_t errlen)
{
	struct enroll_request *req = &ri->req;
	const char *id = PQgetvalue(r, i, 0);

	if (strcmp(PQgetvalue(r, i, 1), "t") == 0)
		return 2;
	if (strcmp(PQgetvalue(r, i, 2), "t") != 0)
		return 0;
	if (keys_type_parse(PQgetvalue(r, i, 3), &req->key_type) < 0 ||
	    (req->names = db_array_parse(PQgetvalue(r, i, 5), &req->nnames)) ==
	    NULL || req->nnames == 0 || snprintf(req->profile,
	    sizeof(req->profile), "%s", PQgetvalue(r, i, 4)) >=
	    (int)sizeof(req->profile) || snprintf(req->tenant,
	    sizeof(req->tenant), "%s", PQgetvalue(r, i, 11)) >=
	    (int)sizeof(req->tenant)) {
		snprintf(err, errlen, "renew: certificate %s has a bad key type, "
		    "hostname set, profile or tenant", id);
		return -1;
	}
	if (ids_new(ri->pkid) < 0) {
		snprintf(err, errlen, "renew: no random ids");
		return -1;
	}
	if (keypool_take(c, v, pool, req->key_type, &ri->m.key, err,
	    errlen) < 0 || enroll_material(v, req, ri->pkid, &ri->m, err,
	    errlen) < 0)
		return -1;
	req->ca = PQgetvalue(r, i, 7);	/* renewed at the CA that issued it */
	req->challenge = PQgetvalue(r, i, 8);
	req->preferred_chain = PQgetvalue(r, i, 9);
	/* a renewal the CA refused before goes after new certificates: a
	 * fleet's departed names must not take the budget of live ones */
	req->priority = strcmp(PQgetvalue(r, i, 10), "0") == 0 ?
	    ORDER_PRIORITY_RENEWAL : ORDER_PRIORITY_FAILING;
	it->req = req;
	it->id = id;
	it->pkid = ri->pkid;
	it->m = &ri->m;
	it->replaces = PQgetvalue(r, i, 6);
	return 1;
}

/* Queues the renewals of the rows of r (RENEW_ROWS_SQL) inside the
 * caller's transaction (their certificate rows locked by the caller): each
 * one renew_item makes ready, with the others' keys, orders and jobs in
 * one statement per table (enroll_batch_orders). Returns the number
 * queued (the last one's order id in oid), or -1 with err; *last is
 * renew_item's answer for the last row. */
static int
renew_rows(PGconn *c, const struct vault *v, const struct keypool_sizes *pool,
    const PGresult *r, int *last, char oid[IDS_LEN + 1], char *err,
    size_t errlen)
{
	struct renew_item *ri;
	struct enroll_batch_item *it;
	int i, n = 0, rows = PQntuples(r), rc = -1;

	*last = 0;
	ri = calloc(rows > 0 ? (size_t)rows : 1, sizeof(*ri));
	it = calloc(rows > 0 ? (size_t)rows : 1, sizeof(*it));
	if (ri == NULL || it == NULL) {
		snprintf(err, errlen, "renew: out of memory");
		goto out;
	}
	for (i = 0; i < rows; i++) {
		if ((*last = renew_item(c, v, pool, r, i, &ri[n], &it[n], err,
		    errlen)) < 0)
			goto out;
		if (*last == 1)
			n++;	/* else ri[n] and it[n] are still empty */
	}
	if (enroll_batch_orders(c, it, (size_t)n, err, errlen) < 0)
		goto out;
	for (i = 0; i < n; i++)
		log_info_ctx(LOG_JOB(it[i].oid, 1, it[i].trace, it[i].id),
		    "renewal of certificate %s queued%s%s", it[i].id,
		    it[i].replaces[0] != '\0' ? ", replaces " : " (no ARI)",
		    it[i].replaces);
	if (n > 0)
		memcpy(oid, it[n - 1].oid, IDS_LEN + 1);
	rc = n;
out:
	for (i = 0; ri != NULL && i < rows; i++)
		renew_item_free(&ri[i]);
	free(it);
	free(ri);
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
	int last, queued, rc = -1;

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
	if ((queued = renew_rows(c, v, pool, r, &last, oid, err, errlen)) < 0)
		goto out;
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
	if (renew_rows(c, v, pool, r, &n, oid, err, errlen) < 0)
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
