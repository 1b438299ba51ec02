/* fallback.c -- moves a certificate whose order failed for good on to the next CA of its list, with a new order. */
#include "fallback.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "ids.h"
#include "jobmsg.h"
#include "kafkaconn.h"
#include "log.h"
#include "outbox.h"

int
fallback_next(PGconn *c, const char *job_id, char *err, size_t errlen)
{
	PGresult *r = NULL, *a = NULL;
	struct jobmsg_issue ji;
	unsigned char *csr = NULL;
	char **cas = NULL, **names = NULL, oid[IDS_LEN + 1], domain[256];
	const char *p[6], *from;
	int lens[6] = { 0 }, fmts[6] = { 0 }, rc = -1;
	size_t ncas = 0, nnames = 0, i, csrlen = 0;
	void *payload = NULL;
	size_t plen;

	memset(&ji, 0, sizeof(ji));
	/* The certificate's CA list: its CA, then its fallbacks. */
	if ((r = db_query(c, "fallback order", "SELECT c.id, coalesce(o.ca, "
	    "c.ca), ARRAY[c.ca] || c.fallback, o.private_key, o.csr_der, "
	    "o.trace_id, hs.names, c.status, c.challenge FROM orders o JOIN "
	    "certificates c ON "
	    "c.id = o.certificate JOIN hostname_sets hs ON hs.id = "
	    "c.hostname_set WHERE o.id = $1", 1, &job_id, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	if (PQntuples(r) != 1 || strcmp(PQgetvalue(r, 0, 7), "pending") != 0) {
		rc = 0;
		goto out;
	}
	from = PQgetvalue(r, 0, 1);
	if ((cas = db_array_parse(PQgetvalue(r, 0, 2), &ncas)) == NULL ||
	    (names = db_array_parse(PQgetvalue(r, 0, 6), &nnames)) == NULL ||
	    nnames == 0 || (csr = db_bytea(r, 0, 4, &csrlen)) == NULL) {
		snprintf(err, errlen, "fallback: order %s is malformed", job_id);
		goto out;
	}
	for (i = 0; i < ncas && strcmp(cas[i], from) != 0; i++)
		;
	for (i++; i < ncas; i++) {
		p[0] = cas[i];
		if ((a = db_query(c, "fallback account", "SELECT a.id, "
		    "coalesce(a.account_url, ''), ca.directory_url, ca.trust FROM "
		    "acme_accounts a JOIN cas ca ON ca.name = a.ca WHERE a.ca = $1",
		    1, p, NULL, NULL, err, errlen)) == NULL)
			goto out;
		if (PQntuples(a) == 1)
			break;
		log_warn("fallback: CA %s of certificate %s has no account: "
		    "skipped", cas[i], PQgetvalue(r, 0, 0));
		PQclear(a);
		a = NULL;
	}
	if (a == NULL) {
		rc = 0;
		goto out;
	}
	if (ids_new(oid) < 0) {
		snprintf(err, errlen, "fallback: no random id");
		goto out;
	}
	p[0] = oid;
	p[1] = PQgetvalue(r, 0, 0);
	p[2] = PQgetvalue(r, 0, 3);
	p[3] = (const char *)csr;
	lens[3] = (int)csrlen;
	fmts[3] = 1;
	p[4] = PQgetvalue(r, 0, 5);
	p[5] = cas[i];
	if (db_exec(c, "fallback new order", "INSERT INTO orders (id, "
	    "certificate, private_key, csr_der, trace_id, ca) VALUES ($1, $2, "
	    "$3, $4, $5, $6)", 6, p, lens, fmts, err, errlen) < 0)
		goto out;
	ji.job_id = oid;
	ji.attempt = 1;
	ji.trace_id = PQgetvalue(r, 0, 5);
	ji.ca_name = cas[i];
	ji.directory_url = PQgetvalue(a, 0, 2);
	ji.trust = PQgetvalue(a, 0, 3);
	ji.account_id = PQgetvalue(a, 0, 0);
	ji.account_url = PQgetvalue(a, 0, 1);
	ji.certificate_id = PQgetvalue(r, 0, 0);
	ji.names = names;
	ji.nnames = nnames;
	ji.csr = csr;
	ji.csrlen = csrlen;
	ji.challenge_type = PQgetvalue(r, 0, 8);
	if ((payload = jobmsg_issue_encode(&ji, &plen)) == NULL) {
		snprintf(err, errlen, "fallback: job does not encode");
		goto out;
	}
	jobmsg_kafka_key(names[0], domain, sizeof(domain));
	if (outbox_add(c, kafkaconn_topic_jobs(), domain, payload, plen, oid, 1,
	    0, err, errlen) < 0)
		goto out;
	log_info("job %s attempt 1 trace %s: certificate %s falls back from CA "
	    "%s to CA %s (order %s failed for good)", oid, ji.trace_id,
	    ji.certificate_id, from, cas[i], job_id);
	rc = 1;
out:
	free(payload);
	free(csr);
	db_array_free(cas, ncas);
	db_array_free(names, nnames);
	PQclear(a);
	PQclear(r);
	return rc;
}
