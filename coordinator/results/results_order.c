/* results_order.c -- applies the events of issue orders: order created, certificate issued, failed or deferred; problems recorded. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "breaker.h"
#include "cmetrics.h"
#include "codec.h"
#include "db.h"
#include "fallback.h"
#include "log.h"
#include "results_int.h"
#include "retrysched.h"
#include "settings.h"

void
results_order_free(struct results_order *o)
{
	db_array_free(o->names, o->nnames);
	free(o->spki);
	PQclear(o->r);
	memset(o, 0, sizeof(*o));
}

int
results_order_get(PGconn *c, const char *job_id, struct results_order *o,
    char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	/* What every kind of event needs in one read: the preferred chain and
	 * the public key (certificate_issued) and whether the CA's breaker
	 * has anything to clear (breaker_answer: most answers find nothing)
	 * come with the locked order, not in statements of their own. */
	if ((o->r = db_query(c, "results order", "SELECT o.status, o.attempt, "
	    "o.certificate, o.private_key, coalesce(o.order_url, ''), o.trace_id, "
	    "c.status, hs.names, o.sweeps, o.poisoned, coalesce(o.ca, ''), "
	    "o.failures, coalesce(o.preferred_chain, ''), pk.public_key_der, "
	    "EXISTS (SELECT 1 FROM ca_health h WHERE h.ca = o.ca AND "
	    "(h.failures > 0 OR h.state <> 'closed')) FROM orders o JOIN "
	    "certificates c ON c.id = o.certificate JOIN hostname_sets hs ON "
	    "hs.id = c.hostname_set LEFT JOIN private_keys pk ON pk.id = "
	    "o.private_key WHERE o.id = $1 FOR UPDATE OF o, c", 1, &job_id, NULL,
	    NULL, err, errlen)) == NULL)
		return -1;
	if (PQntuples(o->r) == 0) {
		PQclear(o->r);	/* the caller frees o only when found */
		o->r = NULL;
		return 0;
	}
	o->status = PQgetvalue(o->r, 0, 0);
	o->attempt = (unsigned)atoi(PQgetvalue(o->r, 0, 1));
	o->certificate = PQgetvalue(o->r, 0, 2);
	o->private_key = PQgetvalue(o->r, 0, 3);
	o->order_url = PQgetvalue(o->r, 0, 4);
	o->trace_id = PQgetvalue(o->r, 0, 5);
	o->cert_status = PQgetvalue(o->r, 0, 6);
	o->sweeps = (unsigned)atoi(PQgetvalue(o->r, 0, 8));
	o->poisoned = (unsigned)atoi(PQgetvalue(o->r, 0, 9));
	o->ca = PQgetvalue(o->r, 0, 10);
	o->failures = (unsigned)atoi(PQgetvalue(o->r, 0, 11));
	o->preferred_chain = PQgetvalue(o->r, 0, 12);
	o->spki = PQgetisnull(o->r, 0, 13) ? NULL : db_bytea(o->r, 0, 13,
	    &o->spkilen);
	o->breaker_dirty = strcmp(PQgetvalue(o->r, 0, 14), "t") == 0;
	if ((o->names = db_array_parse(PQgetvalue(o->r, 0, 7), &o->nnames)) ==
	    NULL) {
		snprintf(err, errlen, "results: bad hostname set of %s", job_id);
		results_order_free(o);
		return -1;
	}
	return 1;
}

static json_t *
results_subproblems(const Certfleet__Problem *p)
{
	json_t *a = json_array(), *o;
	size_t i;

	for (i = 0; a != NULL && i < p->n_subproblems; i++) {
		const Certfleet__Problem *s = p->subproblems[i];

		o = json_pack("{s:s, s:s, s:i, s:s}", "type", s->type, "detail",
		    s->detail, "status", s->status, "identifier", s->identifier);
		if (o != NULL)
			json_array_append_new(a, o);
	}
	return a;
}

/* Records a problem for job_id and as the certificate's last problem. */
int
results_problem(PGconn *c, const char *job_id, unsigned attempt,
    const char *certificate, const char *type, const char *detail,
    int status, const Certfleet__Problem *p, char *err, size_t errlen)
{
	char att[16], st[16], *sub = NULL;
	const char *v[6];
	json_t *a = NULL;
	int rc = -1;

	if (p != NULL && (a = results_subproblems(p)) != NULL)
		sub = json_dumps(a, JSON_COMPACT);
	snprintf(att, sizeof(att), "%u", attempt);
	snprintf(st, sizeof(st), "%d", status);
	v[0] = job_id;
	v[1] = att;
	v[2] = type;
	v[3] = detail;
	v[4] = status != 0 ? st : NULL;
	v[5] = sub != NULL ? sub : "[]";
	if (db_exec(c, "results problem", "INSERT INTO acme_problems (job_id, "
	    "attempt, type, detail, status, subproblems) VALUES ($1, $2, $3, $4, "
	    "$5, $6::jsonb)", 6, v, NULL, NULL, err, errlen) < 0)
		goto out;
	cmetrics_problem(type);
	if (certificate != NULL) {
		if (db_exec(c, "results last problem", "UPDATE certificates SET "
		    "last_problem_type = $2, last_problem_detail = $3, updated_at = "
		    "now() WHERE id = $1", 3, (const char *[]){ certificate, type,
		    detail }, NULL, NULL, err, errlen) < 0)
			goto out;
	}
	rc = 0;
out:
	free(sub);
	json_decref(a);
	return rc;
}

/*
 * A renewal of issued certificate o->certificate failed for good: one more
 * in a row (renewal_failures), and the next renewal waits out that count's
 * step of the renewal schedule (CERTFLEET_RENEW_BACKOFF, with jitter), not
 * the renewal tick's one-hour lease; with the current certificate expired,
 * renewals stop (renew_at NULL) until an operator asks again (certfleetctl
 * renew ID). A disabled or deleted certificate, or one issued
 * meanwhile, is left alone. The steps go to the statement whole, the count
 * picking one, so the count is read and raised in the same row lock.
 */
static int
results_renewal_failed(PGconn *c, const struct settings *s,
    const struct results_order *o, char *err, size_t errlen)
{
	char steps[RETRYSCHED_STEPS_MAX * 24 + 3];
	size_t i, n = 0;
	PGresult *r;

	steps[n++] = '{';
	for (i = 0; i < s->renew_sched.n; i++)
		n += (size_t)snprintf(steps + n, sizeof(steps) - n, "%s%.3f",
		    i > 0 ? "," : "", retrysched_jitter(s->renew_sched.step[i]));
	snprintf(steps + n, sizeof(steps) - n, "}");
	if ((r = db_query(c, "results renewal failed", "UPDATE certificates SET "
	    "renewal_failures = renewal_failures + 1, renew_at = CASE WHEN "
	    "current_not_after > now() THEN now() + make_interval(secs => "
	    "($2::float8[])[least(renewal_failures + 1, cardinality("
	    "$2::float8[]))]) END, updated_at = now() WHERE id = $1 AND "
	    "status = 'issued' AND renew_at IS NOT NULL RETURNING "
	    "renewal_failures, coalesce(extract(epoch FROM renew_at - now())::"
	    "bigint::text, '')", 2, (const char *[]){ o->certificate, steps },
	    NULL, NULL, err, errlen)) == NULL)
		return -1;
	if (PQntuples(r) == 1 && PQgetvalue(r, 0, 1)[0] != '\0')
		log_warn("certificate %s: its renewal failed for good (%s in a "
		    "row); the next renewal in %s s", o->certificate,
		    PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
	else if (PQntuples(r) == 1)
		log_warn("certificate %s: its renewal failed for good (%s in a "
		    "row) and its current certificate has expired: renewals "
		    "stopped (certfleetctl renew %s once the cause is fixed)",
		    o->certificate, PQgetvalue(r, 0, 0), o->certificate);
	PQclear(r);
	return 0;
}

/* The order failed for good; its certificate too (unless already issued:
 * then its renewal failed, results_renewal_failed), except when a fallback
 * CA takes over with a new order (fallback.c). */
int
results_order_failed(PGconn *c, const struct settings *s, const char *job_id,
    const struct results_order *o, char *err, size_t errlen)
{
	int next;

	if (db_exec(c, "results order failed", "UPDATE orders SET status = "
	    "'failed', updated_at = now() WHERE id = $1", 1, &job_id, NULL, NULL,
	    err, errlen) < 0 ||
	    (next = fallback_next(c, job_id, err, errlen)) < 0)
		return -1;
	if (next > 0)
		return 0;
	if (db_exec(c, "results certificate failed", "UPDATE certificates SET "
	    "status = 'failed', updated_at = now() WHERE id = $1 AND status = "
	    "'pending'", 1, &o->certificate, NULL, NULL, err, errlen) < 0)
		return -1;
	return strcmp(o->cert_status, "issued") == 0 ?
	    results_renewal_failed(c, s, o, err, errlen) : 0;
}

/* order_created: the order URL a re-delivered job resumes from. Only the
 * current attempt's counts: an older attempt, superseded by a retry or by
 * the sweeper, must not move the order back to processing nor replace the
 * URL the new attempt carries. */
static enum results_outcome
results_order_created(PGconn *c, const Certfleet__Event *e,
    const struct results_order *o, char *err, size_t errlen)
{
	const char *v[2];
	long n;

	if (e->attempt != o->attempt) {
		log_info_ctx(LOG_JOB(e->job_id, e->attempt, e->trace_id,
		    o->certificate), "order %s created by a superseded attempt "
		    "(now %u), ignored", e->order_created->order_url, o->attempt);
		return RESULTS_IGNORED;
	}
	v[0] = e->job_id;
	v[1] = e->order_created->order_url;
	if ((n = db_exec(c, "results order created", "UPDATE orders SET "
	    "order_url = $2, status = CASE WHEN status IN ('pending', 'sent') "
	    "THEN 'processing' ELSE status END, updated_at = now() WHERE id = $1 "
	    "AND status NOT IN ('valid', 'failed')", 2, v, NULL, NULL, err,
	    errlen)) < 0)
		return RESULTS_RETRY;
	if (n > 0)
		log_info_ctx(LOG_JOB(e->job_id, e->attempt, e->trace_id, NULL),
		    "order %s created", v[1]);
	return n > 0 ? RESULTS_APPLIED : RESULTS_IGNORED;
}

/* 1 when e shows that its CA answered: an order made or issued, or a
 * problem document of the CA (a refusal, a rate limit). A failure of the
 * worker itself, or a CA that did not answer, shows nothing. */
static int
results_ca_answered(const Certfleet__Event *e)
{
	const Certfleet__Problem *p = NULL;

	if (e->kind_case == CERTFLEET__EVENT__KIND_ORDER_CREATED ||
	    e->kind_case == CERTFLEET__EVENT__KIND_CERTIFICATE_ISSUED)
		return 1;
	if (e->kind_case == CERTFLEET__EVENT__KIND_FAILED)
		p = e->failed->problem;
	else if (e->kind_case == CERTFLEET__EVENT__KIND_DEFERRED)
		p = e->deferred->problem;
	return p != NULL && p->type != NULL && strncmp(p->type,
	    RESULTS_ACME_URN, strlen(RESULTS_ACME_URN)) == 0;
}

enum results_outcome
results_order_event(PGconn *c, const struct settings *s,
    const Certfleet__Event *e, struct issued_batch *ib, char *err,
    size_t errlen)
{
	struct results_order o;
	enum results_outcome out;
	int found;

	if ((found = results_order_get(c, e->job_id, &o, err, errlen)) < 0)
		return RESULTS_RETRY;
	if (found == 0) {
		log_warn_ctx(LOG_JOB(e->job_id, e->attempt, e->trace_id, NULL),
		    "%s for no known order, ignored", proto_event_kind_name(e));
		return RESULTS_IGNORED;
	}
	/* Its certificate was deleted, disabled or given another name set
	 * (orders/lifecycle.c): nothing the CA says about it matters now. */
	if (strcmp(o.status, "cancelled") == 0) {
		log_info_ctx(LOG_JOB(e->job_id, e->attempt, e->trace_id,
		    o.certificate), "%s for a cancelled order, ignored",
		    proto_event_kind_name(e));
		results_order_free(&o);
		return RESULTS_IGNORED;
	}
	if (results_ca_answered(e) && o.ca[0] != '\0' && o.breaker_dirty &&
	    breaker_answer(c, o.ca, err, errlen) < 0) {
		results_order_free(&o);
		return RESULTS_RETRY;
	}
	switch (e->kind_case) {
	case CERTFLEET__EVENT__KIND_ORDER_CREATED:
		out = results_order_created(c, e, &o, err, errlen);
		break;
	case CERTFLEET__EVENT__KIND_CERTIFICATE_ISSUED:
		out = results_issued(c, s, e, &o, ib, err, errlen);
		break;
	default:
		out = results_unhappy(c, s, e, &o, err, errlen);
		break;
	}
	/* Progress of the current attempt: the sweeper's count of re-drives
	 * without progress starts again (schedule/sweep.c). */
	if (out == RESULTS_APPLIED && o.sweeps > 0 && e->attempt == o.attempt &&
	    db_exec(c, "results progress", "UPDATE orders SET sweeps = 0 WHERE "
	    "id = $1", 1, (const char *const *)&e->job_id, NULL, NULL, err,
	    errlen) < 0)
		out = RESULTS_RETRY;
	results_order_free(&o);
	return out;
}
