/* fallback.c -- moves a certificate whose order failed for good on to the next CA of its list, with a new order. */
#include "fallback.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "codec.h"
#include "log.h"
#include "order.h"
#include "outbox.h"

#define FALLBACK_AWAY_WAIT_S 30.0	/* an order that found no next CA */

/* The failed order and its certificate's CA list, in this column order. */
#define FALLBACK_SQL "SELECT c.id, o.ca, ARRAY[c.ca] || c.fallback, " \
	"o.private_key, o.csr_der, o.trace_id, c.status, o.challenge, " \
	"coalesce(o.replaces, ''), coalesce(o.profile, ''), " \
	"coalesce(o.preferred_chain, ''), o.priority FROM orders o JOIN " \
	"certificates c ON c.id = o.certificate WHERE o.id = $1"

/* Orders from the first CA after the failed order's one in cas[0..ncas)
 * that has an account; the new order keeps everything of the failed one
 * but its CA. 1 queued, 0 no CA left, -1 with err. */
static int
fallback_order(PGconn *c, const PGresult *r, char *const *cas, size_t ncas,
    const unsigned char *csr, size_t csrlen, const char *job_id, char *err,
    size_t errlen)
{
	struct order_new on = { 0 };
	const char *from = PQgetvalue(r, 0, 1);
	char oid[IDS_LEN + 1];
	size_t i;
	int n;

	on.certificate_id = PQgetvalue(r, 0, 0);
	on.private_key_id = PQgetvalue(r, 0, 3);
	on.csr = csr;
	on.csrlen = csrlen;
	on.trace_id = PQgetvalue(r, 0, 5);
	on.challenge = PQgetvalue(r, 0, 7);
	on.replaces = PQgetvalue(r, 0, 8);
	on.profile = PQgetvalue(r, 0, 9);
	on.preferred_chain = PQgetvalue(r, 0, 10);
	on.priority = atoi(PQgetvalue(r, 0, 11));
	for (i = 0; i < ncas && strcmp(cas[i], from) != 0; i++)
		;
	for (i++; i < ncas; i++) {
		on.ca = cas[i];
		if ((n = order_create(c, &on, oid, err, errlen)) < 0)
			return -1;
		if (n == 1) {
			log_info_ctx(
			    LOG_JOB(oid, 1, on.trace_id, on.certificate_id),
			    "certificate %s falls back from CA %s to CA %s "
			    "(order %s failed for good)", on.certificate_id,
			    from, cas[i], job_id);
			return 1;
		}
		log_warn("fallback: CA %s of certificate %s has no account: "
		    "skipped", cas[i], on.certificate_id);
	}
	return 0;
}

int
fallback_next(PGconn *c, const char *job_id, char *err, size_t errlen)
{
	PGresult *r;
	unsigned char *csr = NULL;
	char **cas = NULL;
	size_t ncas = 0, csrlen = 0;
	int rc = -1;

	if ((r = db_query(c, "fallback order", FALLBACK_SQL, 1, &job_id, NULL,
	    NULL, err, errlen)) == NULL)
		return -1;
	if (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 6), "pending") != 0) {
		rc = 0;
		goto out;
	}
	if ((cas = db_array_parse(PQgetvalue(r, 0, 2), &ncas)) == NULL ||
	    (csr = db_bytea(r, 0, 4, &csrlen)) == NULL) {
		snprintf(err, errlen, "fallback: order %s is malformed", job_id);
		goto out;
	}
	rc = fallback_order(c, r, cas, ncas, csr, csrlen, job_id, err, errlen);
out:
	free(csr);
	db_array_free(cas, ncas);
	PQclear(r);
	return rc;
}

int
fallback_away(PGconn *c, const char *ca, int max, char *err, size_t errlen)
{
	PGresult *r;
	char lim[16], detail[160];
	const char *p[3];
	int i, n, moved = 0;

	snprintf(lim, sizeof(lim), "%d", max);
	p[0] = ca;
	p[1] = lim;
	if ((r = db_query(c, "fallback away", "SELECT o.id, c.id, o.attempt, "
	    "coalesce(o.order_url, '') FROM orders o "
	    "JOIN certificates c ON c.id = o.certificate WHERE o.ca = $1 AND "
	    "o.status IN ('pending', 'deferred') AND c.status = 'pending' AND "
	    "array_position(ARRAY[c.ca] || c.fallback, o.ca) < "
	    "cardinality(ARRAY[c.ca] || c.fallback) ORDER BY o.created_at "
	    "LIMIT $2::integer FOR UPDATE OF o SKIP LOCKED", 2, p, NULL, NULL,
	    err, errlen)) == NULL)
		return -1;
	snprintf(detail, sizeof(detail), "CA %s does not answer (its circuit "
	    "breaker is open): the order moves to the next CA of the "
	    "certificate", ca);
	for (i = 0; i < PQntuples(r); i++) {
		p[0] = PQgetvalue(r, i, 0);
		p[1] = PQgetvalue(r, i, 1);
		p[2] = detail;
		if (outbox_drop_job(c, p[0], err, errlen) < 0 ||
		    db_exec(c, "fallback away order", "UPDATE orders SET status = "
		    "'failed', updated_at = now() WHERE id = $1", 1, p, NULL, NULL,
		    err, errlen) < 0 ||
		    db_exec(c, "fallback away problem", "UPDATE certificates SET "
		    "last_problem_type = '" PROTO_PROBLEM_CA_UNAVAILABLE "', "
		    "last_problem_detail = $3, updated_at = now() WHERE id = $2 AND "
		    "$1::text IS NOT NULL", 3, p, NULL, NULL, err, errlen) < 0 ||
		    (n = fallback_next(c, p[0], err, errlen)) < 0 ||
		    (n == 0 && order_requeue(c, p[0], (unsigned)atoi(PQgetvalue(r,
		    i, 2)), PQgetvalue(r, i, 3), FALLBACK_AWAY_WAIT_S, "deferred",
		    err, errlen) < 0)) {
			PQclear(r);
			return -1;
		}
		moved += n;	/* n == 0: no next CA has an account: it waits */
	}
	PQclear(r);
	return moved;
}
