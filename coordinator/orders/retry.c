/* retry.c -- brings failed certificates back: a new order from the key and CSR of their last order, at their first CA; and makes due the renewals the CA refused. */
#include "retry.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "order.h"

/* The certificate, locked, with what its last order was made of. */
#define RETRY_SQL "SELECT c.status, c.ca, c.challenge, " \
	"coalesce(c.profile, ''), coalesce(c.preferred_chain, ''), " \
	"o.private_key, o.csr_der, o.trace_id, o.priority FROM certificates c " \
	"JOIN LATERAL (SELECT private_key, csr_der, trace_id, priority FROM " \
	"orders WHERE certificate = c.id ORDER BY created_at DESC LIMIT 1) o ON " \
	"true WHERE c.id = $1 FOR UPDATE OF c"

/* retry_certificate inside the caller's transaction. */
static int
retry_one(PGconn *c, const char *id, char oid[IDS_LEN + 1], char *err,
    size_t errlen)
{
	struct order_new on = { 0 };
	PGresult *r;
	unsigned char *csr = NULL;
	int rc = -1;

	if ((r = db_query(c, "retry certificate", RETRY_SQL, 1, &id, NULL, NULL,
	    err, errlen)) == NULL)
		return -1;
	if (PQntuples(r) != 1) {
		rc = 0;
		goto out;
	}
	if (strcmp(PQgetvalue(r, 0, 0), "failed") != 0) {
		rc = 2;
		goto out;
	}
	if ((csr = db_bytea(r, 0, 6, &on.csrlen)) == NULL) {
		snprintf(err, errlen, "retry: certificate %s: bad CSR", id);
		goto out;
	}
	on.certificate_id = id;
	on.ca = PQgetvalue(r, 0, 1);
	on.challenge = PQgetvalue(r, 0, 2);
	on.profile = PQgetvalue(r, 0, 3);
	on.preferred_chain = PQgetvalue(r, 0, 4);
	on.private_key_id = PQgetvalue(r, 0, 5);
	on.csr = csr;
	on.trace_id = PQgetvalue(r, 0, 7);
	on.priority = atoi(PQgetvalue(r, 0, 8));
	if ((rc = order_create(c, &on, oid, err, errlen)) == 0) {
		snprintf(err, errlen, "retry: CA %s of certificate %s has no "
		    "account", on.ca, id);
		rc = -1;
	}
	if (rc < 0)
		goto out;
	if (db_exec(c, "retry pending", "UPDATE certificates SET status = "
	    "'pending', last_problem_type = NULL, last_problem_detail = NULL, "
	    "updated_at = now() WHERE id = $1", 1, &id, NULL, NULL, err,
	    errlen) < 0) {
		rc = -1;
		goto out;
	}
	log_info("job %s attempt 1 trace %s: certificate %s retried at CA %s "
	    "by an operator", oid, on.trace_id, id, on.ca);
	rc = 1;
out:
	free(csr);
	PQclear(r);
	return rc;
}

int
retry_certificate(PGconn *c, const char *id, char oid[IDS_LEN + 1],
    char *err, size_t errlen)
{
	int rc;

	if (db_begin(c, err, errlen) < 0)
		return -1;
	if ((rc = retry_one(c, id, oid, err, errlen)) != 1 ||
	    db_commit(c, err, errlen) < 0) {
		db_rollback(c);
		return rc == 1 ? -1 : rc;
	}
	return 1;
}

int
retry_bulk(PGconn *c, const char *ca, const char *problem, char *err,
    size_t errlen)
{
	PGresult *r;
	char lim[16], oid[IDS_LEN + 1];
	const char *p[3];
	int i, n, done = 0;

	snprintf(lim, sizeof(lim), "%d", RETRY_BULK_MAX);
	p[0] = ca != NULL ? ca : "";
	p[1] = problem != NULL ? problem : "";
	p[2] = lim;
	if ((r = db_query(c, "retry bulk", "SELECT id FROM certificates WHERE "
	    "status = 'failed' AND ($1 = '' OR ca = $1) AND ($2 = '' OR "
	    "last_problem_type = $2) ORDER BY updated_at LIMIT $3::int", 3, p,
	    NULL, NULL, err, errlen)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(r); i++) {
		/* 2: it moved on since the select (another retry, a result). */
		if ((n = retry_certificate(c, PQgetvalue(r, i, 0), oid, err,
		    errlen)) < 0) {
			done = -1;
			break;
		}
		done += n == 1;
	}
	PQclear(r);
	return done;
}

int
retry_renewal_failing(PGconn *c, const char *id, char *err, size_t errlen)
{
	PGresult *r;
	int rc;

	if ((r = db_query(c, "retry renewal failing", "SELECT 1 FROM "
	    "certificates WHERE id = $1 AND status = 'issued' AND "
	    "renewal_failures > 0", 1, &id, NULL, NULL, err, errlen)) == NULL)
		return -1;
	rc = PQntuples(r) == 1;
	PQclear(r);
	return rc;
}

int
retry_renewals_due(PGconn *c, const char *ca, const char *problem,
    char *err, size_t errlen)
{
	char lim[16];

	snprintf(lim, sizeof(lim), "%d", RETRY_BULK_MAX);
	return (int)db_exec(c, "retry renewals due", "UPDATE certificates SET "
	    "renew_at = now(), updated_at = now() WHERE id IN (SELECT id FROM "
	    "certificates WHERE status = 'issued' AND renewal_failures > 0 AND "
	    "(renew_at IS NULL OR renew_at > now()) AND ($1 = '' OR ca = $1) "
	    "AND ($2 = '' OR last_problem_type = $2) LIMIT $3::int FOR UPDATE "
	    "SKIP LOCKED)", 3, (const char *[]){ ca != NULL ? ca : "",
	    problem != NULL ? problem : "", lim }, NULL, NULL, err, errlen);
}
