/* renew.c -- renewal scheduler: due certificates from the renew_at index get a renewal order with a fresh key and ARI replaces. */
#include "renew.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "enroll.h"
#include "jobmsg.h"
#include "kafkaconn.h"
#include "keys.h"
#include "log.h"
#include "outbox.h"

#define RENEW_LEASE_SQL "3600"	/* RENEW_LEASE_S as SQL text */

/* Queues the renewal of certificate id inside the caller's transaction
 * (the certificate row is locked by the caller). 1 queued (oid set), 0 no
 * issued certificate, 2 an order is in flight, -1 error. */
static int
renew_one(PGconn *c, const struct vault *v, const char *id,
    char oid[IDS_LEN + 1], char *err, size_t errlen)
{
	struct enroll_request req = { 0 };
	struct enroll_material m = { 0 };
	struct jobmsg_issue ji;
	PGresult *r = NULL, *busy = NULL;
	char pkid[IDS_LEN + 1], trace[IDS_TRACE_LEN + 1], domain[256];
	const char *p[8], *replaces;
	int lens[8] = { 0 }, fmts[8] = { 0 }, rc = -1;
	void *payload = NULL;
	size_t plen;

	if ((busy = db_query(c, "renew in flight", "SELECT 1 FROM orders WHERE "
	    "certificate = $1 AND status IN ('pending', 'sent', 'processing', "
	    "'deferred') LIMIT 1", 1, &id, NULL, NULL, err, errlen)) == NULL)
		goto out;
	if (PQntuples(busy) > 0) {
		rc = 2;
		goto out;
	}
	if ((r = db_query(c, "renew certificate", "SELECT c.key_type, "
	    "coalesce(c.profile, ''), hs.names, CASE WHEN ic.ari_window_end IS "
	    "NOT NULL THEN coalesce(ic.ari_cert_id, '') ELSE '' END, ca.name, "
	    "ca.directory_url, a.id, coalesce(a.account_url, ''), ca.trust, "
	    "c.challenge FROM certificates c JOIN hostname_sets hs ON hs.id = "
	    "c.hostname_set JOIN issued_certificates ic ON ic.id = "
	    "c.current_issued LEFT JOIN orders io ON io.id = ic.order_id JOIN cas "
	    "ca ON ca.name = coalesce(io.ca, c.ca) JOIN acme_accounts a ON a.ca = "
	    "ca.name WHERE c.id = $1",
	    1, &id, NULL, NULL, err, errlen)) == NULL)
		goto out;
	if (PQntuples(r) != 1) {
		rc = 0;
		goto out;
	}
	if (keys_type_parse(PQgetvalue(r, 0, 0), &req.key_type) < 0 ||
	    (req.names = db_array_parse(PQgetvalue(r, 0, 2), &req.nnames)) ==
	    NULL || req.nnames == 0) {
		snprintf(err, errlen, "renew: certificate %s has a bad key type "
		    "or hostname set", id);
		goto out;
	}
	snprintf(req.profile, sizeof(req.profile), "%s", PQgetvalue(r, 0, 1));
	replaces = PQgetvalue(r, 0, 3);
	if (ids_new(pkid) < 0 || ids_new(oid) < 0 || ids_trace(trace) < 0) {
		snprintf(err, errlen, "renew: no random ids");
		goto out;
	}
	if (enroll_material(v, &req, pkid, &m, err, errlen) < 0)
		goto out;
	if (enroll_store_key(c, pkid, id, req.key_type, &m, err, errlen) < 0)
		goto out;
	p[0] = oid;
	p[1] = id;
	p[2] = pkid;
	p[3] = (const char *)m.csr;
	lens[3] = (int)m.csrlen;
	fmts[3] = 1;
	p[4] = trace;
	p[5] = replaces;
	p[6] = PQgetvalue(r, 0, 4);	/* renewed at the CA that issued it */
	if (db_exec(c, "renew order", "INSERT INTO orders (id, certificate, "
	    "private_key, csr_der, trace_id, replaces, ca) VALUES ($1, $2, $3, "
	    "$4, $5, nullif($6, ''), $7)", 7, p, lens, fmts, err, errlen) < 0)
		goto out;
	memset(&ji, 0, sizeof(ji));
	ji.job_id = oid;
	ji.attempt = 1;
	ji.trace_id = trace;
	ji.ca_name = PQgetvalue(r, 0, 4);
	ji.directory_url = PQgetvalue(r, 0, 5);
	ji.account_id = PQgetvalue(r, 0, 6);
	ji.account_url = PQgetvalue(r, 0, 7);
	ji.trust = PQgetvalue(r, 0, 8);
	ji.challenge_type = PQgetvalue(r, 0, 9);
	ji.certificate_id = id;
	ji.names = req.names;
	ji.nnames = req.nnames;
	ji.csr = m.csr;
	ji.csrlen = m.csrlen;
	ji.replaces = replaces;
	ji.profile = req.profile;
	if ((payload = jobmsg_issue_encode(&ji, &plen)) == NULL) {
		snprintf(err, errlen, "renew: job does not encode");
		goto out;
	}
	jobmsg_kafka_key(req.names[0], domain, sizeof(domain));
	if (outbox_add(c, kafkaconn_topic_jobs(), domain, payload, plen, oid, 1,
	    0, err, errlen) < 0)
		goto out;
	log_info("job %s attempt 1 trace %s: renewal of certificate %s queued%s%s",
	    oid, trace, id, replaces[0] != '\0' ? ", replaces " : " (no ARI)",
	    replaces);
	rc = 1;
out:
	free(payload);
	enroll_material_free(&m);
	db_array_free(req.names, req.nnames);
	PQclear(busy);
	PQclear(r);
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

int
renew_tick(PGconn *c, const struct vault *v, int limit, char *err,
    size_t errlen)
{
	PGresult *r = NULL;
	char lim[16], oid[IDS_LEN + 1];
	const char *p[1];
	int i, n, queued = 0, rc = -1;

	snprintf(lim, sizeof(lim), "%d", limit);
	p[0] = lim;
	if (db_begin(c, err, errlen) < 0)
		return -1;
	if ((r = db_query(c, "renew due", "SELECT id FROM certificates WHERE "
	    "renew_at <= now() ORDER BY renew_at LIMIT $1 FOR UPDATE SKIP "
	    "LOCKED", 1, p, NULL, NULL, err, errlen)) == NULL)
		goto out;
	for (i = 0; i < PQntuples(r); i++) {
		if ((n = renew_one(c, v, PQgetvalue(r, i, 0), oid, err,
		    errlen)) < 0 || renew_lease(c, PQgetvalue(r, i, 0), err,
		    errlen) < 0)
			goto out;
		if (n == 1)
			queued++;
	}
	if (db_commit(c, err, errlen) < 0)
		goto out;
	rc = queued;
out:
	if (rc < 0)
		db_rollback(c);
	PQclear(r);
	return rc;
}

int
renew_now(PGconn *c, const struct vault *v, const char *id,
    char oid[IDS_LEN + 1], char *err, size_t errlen)
{
	PGresult *r = NULL;
	int n, rc = -1;

	if (db_begin(c, err, errlen) < 0)
		return -1;
	if ((r = db_query(c, "renew lock", "SELECT 1 FROM certificates WHERE "
	    "id = $1 AND current_issued IS NOT NULL FOR UPDATE", 1, &id, NULL,
	    NULL, err, errlen)) == NULL)
		goto out;
	if (PQntuples(r) == 0) {
		rc = 0;
		goto out;
	}
	if ((n = renew_one(c, v, id, oid, err, errlen)) < 0)
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
