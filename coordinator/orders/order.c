/* order.c -- creates and re-queues issue orders; the job is always built from the order's row, in one place. */
#include "order.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "hostname.h"
#include "jobmsg.h"
#include "kafkaconn.h"
#include "outbox.h"

#define ORDER_PRIORITY_FAILING_SQL "-1"	/* ORDER_PRIORITY_FAILING */

/* Columns of the row a job is built from, in this order. The account is
 * the CA's current one (at the CA's directory URL as configured now); an
 * order URL opened under another account (the CA's directory changed) is
 * not resumed. The job's priority (column 14) is the order's, or below
 * every first attempt once the order failed (order.h); column 15 says
 * whether the order already names that account. */
#define ORDER_JOB_SQL "SELECT o.attempt, o.trace_id, o.certificate, " \
	"o.csr_der, CASE WHEN o.account IS NOT NULL AND o.account <> a.id " \
	"THEN '' ELSE coalesce(o.order_url, '') END, o.challenge, " \
	"coalesce(o.replaces, ''), coalesce(o.profile, ''), ca.name, " \
	"ca.directory_url, ca.trust, a.id, coalesce(a.account_url, ''), " \
	"hs.names, CASE WHEN o.failures > 0 THEN least(o.priority, " \
	ORDER_PRIORITY_FAILING_SQL ") ELSE o.priority END, " \
	"o.account IS NOT DISTINCT FROM a.id FROM orders o JOIN " \
	"certificates c ON c.id = " \
	"o.certificate " \
	"JOIN hostname_sets hs ON hs.id = c.hostname_set JOIN cas ca ON " \
	"ca.name = o.ca JOIN acme_accounts a ON a.ca = ca.name AND " \
	"a.directory_url = ca.directory_url WHERE o.id = $1"

/* Records that order job_id's job is built for account (an order URL of
 * another account is forgotten). Returns 0, or -1 with err. */
static int
order_set_account(PGconn *c, const char *job_id, const char *account,
    char *err, size_t errlen)
{
	return db_exec(c, "order account", "UPDATE orders SET order_url = CASE "
	    "WHEN account IS NOT NULL AND account <> $2 THEN NULL ELSE "
	    "order_url END, account = $2 WHERE id = $1", 2,
	    (const char *[]){ job_id, account }, NULL, NULL, err, errlen) < 0 ?
	    -1 : 0;
}

/* Puts order job_id's Job{issue_order}, built from its row as it is now,
 * in the outbox delay_s seconds from now. Returns 0, or -1 with err. */
static int
order_publish(PGconn *c, const char *job_id, double delay_s, char *err,
    size_t errlen)
{
	struct jobmsg_issue ji;
	PGresult *r;
	unsigned char *csr = NULL;
	char **names = NULL, key[HOSTNAME_MAX + 1];
	size_t nnames = 0, plen;
	void *payload = NULL;
	int rc = -1;

	if ((r = db_query(c, "order job", ORDER_JOB_SQL, 1, &job_id, NULL, NULL,
	    err, errlen)) == NULL)
		return -1;
	memset(&ji, 0, sizeof(ji));
	if (PQntuples(r) != 1) {
		snprintf(err, errlen, "order %s: no such order or its CA has no "
		    "account", job_id);
		goto out;
	}
	if ((csr = db_bytea(r, 0, 3, &ji.csrlen)) == NULL ||
	    (names = db_array_parse(PQgetvalue(r, 0, 13), &nnames)) == NULL ||
	    nnames == 0) {
		snprintf(err, errlen, "order %s: bad CSR or hostname set", job_id);
		goto out;
	}
	ji.job_id = job_id;
	ji.attempt = (uint32_t)strtoul(PQgetvalue(r, 0, 0), NULL, 10);
	ji.trace_id = PQgetvalue(r, 0, 1);
	ji.certificate_id = PQgetvalue(r, 0, 2);
	ji.csr = csr;
	ji.order_url = PQgetvalue(r, 0, 4);
	ji.challenge_type = PQgetvalue(r, 0, 5);
	ji.replaces = PQgetvalue(r, 0, 6);
	ji.profile = PQgetvalue(r, 0, 7);
	ji.ca_name = PQgetvalue(r, 0, 8);
	ji.directory_url = PQgetvalue(r, 0, 9);
	ji.trust = PQgetvalue(r, 0, 10);
	ji.account_id = PQgetvalue(r, 0, 11);
	ji.account_url = PQgetvalue(r, 0, 12);
	ji.names = names;
	ji.nnames = nnames;
	if ((payload = jobmsg_issue_encode(&ji, &plen)) == NULL) {
		snprintf(err, errlen, "order %s: job does not encode", job_id);
		goto out;
	}
	jobmsg_kafka_key(names[0], key, sizeof(key));
	/* a new order names its account already (order_create): no second
	 * write of the row it just inserted */
	if (outbox_add(c, kafkaconn_topic_jobs(), key, payload, plen, job_id,
	    ji.attempt, delay_s, ji.ca_name, 1, (int)strtol(PQgetvalue(r, 0,
	    14), NULL, 10), err, errlen) < 0 ||
	    (strcmp(PQgetvalue(r, 0, 15), "t") != 0 && order_set_account(c,
	    job_id, ji.account_id, err, errlen) < 0))
		goto out;
	rc = 0;
out:
	free(payload);
	free(csr);
	db_array_free(names, nnames);
	PQclear(r);
	return rc;
}

/* 1 when ca has an account at its directory URL (its row locked FOR
 * SHARE; its id into acct), 0 when not, -1. */
static int
order_ca_account(PGconn *c, const char *ca, char *acct, size_t acctlen,
    char *err, size_t errlen)
{
	PGresult *r;
	int n;

	if ((r = db_query(c, "order account", "SELECT a.id FROM acme_accounts "
	    "a JOIN cas ca ON ca.name = a.ca AND ca.directory_url = "
	    "a.directory_url WHERE a.ca = $1 FOR SHARE OF a", 1, &ca, NULL, NULL,
	    err, errlen)) == NULL)
		return -1;
	if ((n = PQntuples(r) > 0) && snprintf(acct, acctlen, "%s",
	    PQgetvalue(r, 0, 0)) >= (int)acctlen) {
		snprintf(err, errlen, "order: account id of CA %s too long", ca);
		n = -1;
	}
	PQclear(r);
	return n;
}

int
order_create(PGconn *c, const struct order_new *on, char oid[IDS_LEN + 1],
    char *err, size_t errlen)
{
	const char *p[12];
	int lens[12] = { 0 }, fmts[12] = { 0 }, ready;
	char prio[16], acct[256];
	long n;

	if ((ready = order_ca_account(c, on->ca, acct, sizeof(acct), err,
	    errlen)) <= 0)
		return ready;
	if (ids_new(oid) < 0) {
		snprintf(err, errlen, "order: no random id");
		return -1;
	}
	p[0] = oid;
	p[1] = on->certificate_id;
	p[2] = on->private_key_id;
	p[3] = (const char *)on->csr;
	lens[3] = (int)on->csrlen;
	fmts[3] = 1;
	p[4] = on->trace_id;
	p[5] = on->ca;
	p[6] = on->challenge != NULL ? on->challenge : "http-01";
	p[7] = on->replaces != NULL ? on->replaces : "";
	p[8] = on->profile != NULL ? on->profile : "";
	p[9] = on->preferred_chain != NULL ? on->preferred_chain : "";
	snprintf(prio, sizeof(prio), "%d", on->priority);
	p[10] = prio;
	p[11] = acct;
	if ((n = db_exec(c, "order create", "INSERT INTO orders (id, "
	    "certificate, private_key, csr_der, trace_id, ca, challenge, "
	    "replaces, profile, preferred_chain, tenant, priority, account) "
	    "SELECT $1, $2, $3, $4, $5, $6, $7, nullif($8, ''), nullif($9, ''), "
	    "nullif($10, ''), c.tenant, $11::smallint, $12 FROM certificates c "
	    "WHERE c.id = $2", 12, p, lens, fmts, err, errlen)) < 0)
		return -1;
	if (n != 1) {
		snprintf(err, errlen, "order: no certificate %s",
		    on->certificate_id);
		return -1;
	}
	if (order_publish(c, oid, 0, err, errlen) < 0)
		return -1;
	return 1;
}

int
order_requeue(PGconn *c, const char *job_id, unsigned attempt,
    const char *order_url, double delay_s, const char *status, char *err,
    size_t errlen)
{
	char att[16], delay[32];
	const char *v[5];

	snprintf(att, sizeof(att), "%u", attempt);
	snprintf(delay, sizeof(delay), "%.3f", delay_s);
	v[0] = job_id;
	v[1] = att;
	v[2] = status;
	v[3] = order_url != NULL ? order_url : "";
	v[4] = delay;
	if (db_exec(c, "order requeue", "UPDATE orders SET attempt = $2, "
	    "status = $3, order_url = nullif($4, ''), not_before = now() + "
	    "make_interval(secs => $5::float8), updated_at = now() WHERE id = $1",
	    5, v, NULL, NULL, err, errlen) < 0)
		return -1;
	return order_publish(c, job_id, delay_s, err, errlen);
}

long
order_cancel_in_flight(PGconn *c, const char *certificate_id, char *err,
    size_t errlen)
{
	PGresult *r;
	long n;

	/* The outbox rows first, then the orders: the order the relay takes
	 * them in (SELECT ... FOR UPDATE OF outbox, then UPDATE orders), so
	 * the two never wait on each other in a circle. A row the relay holds
	 * is waited for; sent by then, it stays, and its late result is
	 * ignored because the order is cancelled. */
	if (db_exec(c, "order cancel", "DELETE FROM outbox WHERE sent_at IS "
	    "NULL AND job_id IN (SELECT id FROM orders WHERE certificate = $1 "
	    "AND status IN ('pending', 'sent', 'processing', 'deferred'))", 1,
	    &certificate_id, NULL, NULL, err, errlen) < 0)
		return -1;
	if ((r = db_query(c, "order cancel", "UPDATE orders SET status = "
	    "'cancelled', updated_at = now() WHERE certificate = $1 AND status "
	    "IN ('pending', 'sent', 'processing', 'deferred') RETURNING id", 1,
	    &certificate_id, NULL, NULL, err, errlen)) == NULL)
		return -1;
	n = PQntuples(r);
	PQclear(r);
	return n;
}
