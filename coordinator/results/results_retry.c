/* results_retry.c -- applies failed and deferred events: the job is queued again (order_requeue) after a backoff or Retry-After, or given up. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "accounts.h"
#include "retrysched.h"
#include "breaker.h"
#include "clock.h"
#include "codec.h"
#include "db.h"
#include "log.h"
#include "order.h"
#include "ratelimits.h"
#include "results_int.h"
#include "utf8.h"

/* Seconds from now (to the millisecond) until the absolute time ms, >= 0. */
static double
results_until(int64_t ms)
{
	double d = (double)(ms - clock_wall_ms()) / 1000.0;

	return d > 0 ? d : 0;
}

/* deferred: the CA's Retry-After (or our pacing) passes first; a CA that
 * did not answer counts against its breaker. No failure is counted. */
static enum results_outcome
results_deferred(PGconn *c, const Certfleet__Event *e,
    const struct results_order *o, const char *order_url, char *err,
    size_t errlen)
{
	const Certfleet__Problem *p = e->deferred->problem;
	double delay = results_until(e->deferred->not_before_unix_ms);
	int open = 0;

	if (strcmp(p->type, PROTO_PROBLEM_CA_UNAVAILABLE) == 0) {
		if (o->ca[0] != '\0' && (open = breaker_failure(c, o->ca,
		    p->detail, err, errlen)) < 0)
			return RESULTS_RETRY;
		if (delay < RESULTS_UNAVAILABLE_S)
			delay = retrysched_jitter(RESULTS_UNAVAILABLE_S);
	} else if (ratelimits_record(c, e->job_id, e->attempt, e->deferred, err,
	    errlen) < 0)
		return RESULTS_RETRY;
	if (order_requeue(c, e->job_id, e->attempt + 1, order_url, delay,
	    "deferred", err, errlen) < 0)
		return RESULTS_RETRY;
	log_info_ctx(LOG_JOB(e->job_id, e->attempt, e->trace_id, o->certificate),
	    "deferred %.0f s (%s)%s", delay, p->type, open ?
	    "; the CA's breaker is open: it waits for the CA" : "");
	return RESULTS_APPLIED;
}

/* failed, for good: the certificate's problem says what to change (or the
 * next CA of its list takes over). */
static enum results_outcome
results_final(PGconn *c, const struct settings *s, const Certfleet__Event *e,
    const struct results_order *o, char *err, size_t errlen)
{
	const Certfleet__Problem *p = e->failed->problem;
	const char *hint = retrysched_hint(p->type);
	const char *sep = hint[0] != '\0' ? " -- what to do: " : "";
	char detail[RESULTS_DETAIL_MAX];
	size_t room = sizeof(detail) - 1 - strlen(sep) - strlen(hint), n;

	/* the CA's detail whole, or cut on a character boundary: never a
	 * split UTF-8 sequence PostgreSQL would refuse */
	n = utf8_cut(p->detail, strlen(p->detail), room);
	snprintf(detail, sizeof(detail), "%.*s%s%s", (int)n, p->detail, sep,
	    hint);
	if (results_problem(c, e->job_id, e->attempt, o->certificate, p->type,
	    detail, p->status, p, err, errlen) < 0 ||
	    results_order_failed(c, s, e->job_id, o, err, errlen) < 0)
		return RESULTS_RETRY;
	log_warn_ctx(LOG_JOB(e->job_id, e->attempt, e->trace_id, o->certificate),
	    "failed for good: %s: %s", p->type, detail);
	return RESULTS_APPLIED;
}

/* failed and deferred: record the problem, then defer, retry after the
 * backoff, or give up (only on a final problem, retrysched_final). */
enum results_outcome
results_unhappy(PGconn *c, const struct settings *s, const Certfleet__Event *e,
    const struct results_order *o, char *err, size_t errlen)
{
	const Certfleet__Problem *p;
	const char *order_url;
	double delay;
	int deferred = e->kind_case == CERTFLEET__EVENT__KIND_DEFERRED;

	if (strcmp(o->status, "valid") == 0 || strcmp(o->status, "failed") == 0 ||
	    e->attempt != o->attempt)
		return RESULTS_IGNORED;	/* a later attempt or final already */
	p = deferred ? e->deferred->problem : e->failed->problem;
	order_url = deferred ? e->deferred->order_url : e->failed->order_url;
	if (order_url == NULL || order_url[0] == '\0')
		order_url = o->order_url;
	if (deferred) {
		if (results_problem(c, e->job_id, e->attempt, o->certificate,
		    p->type, p->detail, p->status, p, err, errlen) < 0)
			return RESULTS_RETRY;
		return results_deferred(c, e, o, order_url, err, errlen);
	}
	/* Never given up on a transient failure: only a final problem ends
	 * the certificate as failed (docs/design.md section 7). */
	if (retrysched_final(p, e->failed->retryable))
		return results_final(c, s, e, o, err, errlen);
	delay = retrysched_delay(&s->retry_sched, o->failures + 1);
	/* counted before the job is queued again: a retry's outbox row goes
	 * after every first attempt (order.h, ORDER_PRIORITY_FAILING) */
	if (results_problem(c, e->job_id, e->attempt, o->certificate, p->type,
	    p->detail, p->status, p, err, errlen) < 0 ||
	    db_exec(c, "results failures", "UPDATE orders SET failures = "
	    "failures + 1 WHERE id = $1", 1, (const char *[]){ e->job_id }, NULL,
	    NULL, err, errlen) < 0 ||
	    order_requeue(c, e->job_id, e->attempt + 1, order_url, delay,
	    "pending", err, errlen) < 0)
		return RESULTS_RETRY;
	log_info_ctx(LOG_JOB(e->job_id, e->attempt, e->trace_id, o->certificate),
	    "failed (%s), transient failure %u: attempt %u in %.0f s", p->type,
	    o->failures + 1, e->attempt + 1, delay);
	return RESULTS_APPLIED;
}

/* Events about a register_account job (its job id is the account id). */
enum results_outcome
results_account(PGconn *c, const struct settings *s, const Certfleet__Event *e,
    char *err, size_t errlen)
{
	const Certfleet__Problem *p = NULL;
	PGresult *r;
	const char *v[2];
	enum results_outcome out = RESULTS_RETRY;

	if ((r = db_query(c, "results account", "SELECT a.register_attempt, "
	    "a.ca, a.directory_url, coalesce(a.account_url, ''), ca.trust FROM "
	    "acme_accounts a JOIN cas ca ON ca.name = a.ca WHERE a.id = $1 "
	    "FOR UPDATE OF a", 1, (const char *[]){ e->job_id }, NULL, NULL, err,
	    errlen)) == NULL)
		return RESULTS_RETRY;
	if (PQntuples(r) == 0 || e->kind_case ==
	    CERTFLEET__EVENT__KIND_CERTIFICATE_ISSUED ||
	    e->kind_case == CERTFLEET__EVENT__KIND_ORDER_CREATED ||
	    PQgetvalue(r, 0, 3)[0] != '\0' ||
	    (unsigned)atoi(PQgetvalue(r, 0, 0)) != e->attempt) {
		log_warn_ctx(LOG_JOB(e->job_id, e->attempt, e->trace_id, NULL),
		    "%s event for no pending job, ignored",
		    proto_event_kind_name(e));
		out = RESULTS_IGNORED;
		goto out;
	}
	p = e->kind_case == CERTFLEET__EVENT__KIND_FAILED ? e->failed->problem :
	    e->deferred->problem;
	if (results_problem(c, e->job_id, e->attempt, NULL, p->type, p->detail,
	    p->status, p, err, errlen) < 0)
		goto out;
	v[0] = e->job_id;
	if (e->kind_case == CERTFLEET__EVENT__KIND_FAILED &&
	    retrysched_final(p, e->failed->retryable)) {
		if (db_exec(c, "results account failed", "UPDATE acme_accounts SET "
		    "status = 'failed', updated_at = now() WHERE id = $1", 1, v,
		    NULL, NULL, err, errlen) < 0)
			goto out;
		log_warn_ctx(LOG_JOB(e->job_id, e->attempt, e->trace_id, NULL),
		    "account registration failed: %s: %s", p->type, p->detail);
	} else {
		double delay = retrysched_delay(&s->retry_sched, e->attempt);
		char att[16];

		if (e->kind_case == CERTFLEET__EVENT__KIND_DEFERRED) {
			delay = results_until(e->deferred->not_before_unix_ms);
			if (strcmp(p->type, PROTO_PROBLEM_CA_UNAVAILABLE) != 0 &&
			    ratelimits_record(c, e->job_id, e->attempt, e->deferred,
			    err, errlen) < 0)
				goto out;
		}
		snprintf(att, sizeof(att), "%u", e->attempt + 1);
		v[1] = att;
		if (accounts_requeue(c, e->job_id, PQgetvalue(r, 0, 1),
		    PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 4), s->contact, e->trace_id, e->attempt + 1,
		    delay, err, errlen) < 0 ||
		    db_exec(c, "results account requeued", "UPDATE acme_accounts "
		    "SET register_attempt = $2, updated_at = now() WHERE id = $1", 2,
		    v, NULL, NULL, err, errlen) < 0)
			goto out;
		log_info_ctx(LOG_JOB(e->job_id, e->attempt, e->trace_id, NULL),
		    "account registration %s, attempt %u in %.0f s",
		    proto_event_kind_name(e), e->attempt + 1, delay);
	}
	out = RESULTS_APPLIED;
out:
	PQclear(r);
	return out;
}
