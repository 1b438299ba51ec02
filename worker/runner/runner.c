/* runner.c -- one job's life in the worker: decode, dispatch by kind, result event, delivery, commit. */
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "log.h"
#include "runner_int.h"

struct runner *
runner_new(const struct runner_deps *deps)
{
	struct runner *r;

	if ((r = calloc(1, sizeof(*r))) == NULL)
		return NULL;
	r->d = *deps;
	return r;
}

void
runner_set_events(struct runner *r, struct events *ev)
{
	r->ev = ev;
}

void
runner_job_free(struct job *j)
{
	struct runner *r = j->r;

	if (j->prev != NULL)
		j->prev->next = j->next;
	else
		r->jobs = j->next;
	if (j->next != NULL)
		j->next->prev = j->prev;
	r->active--;
	proto_job_free(j->msg);
	free(j->kid);
	jws_key_free(j->new_key);
	runner_job_issued_free(j->issued);
	free(j);
}

void
runner_free(struct runner *r)
{
	if (r == NULL)
		return;
	while (r->jobs != NULL)
		runner_job_free(r->jobs);
	free(r);
}

size_t
runner_active(const struct runner *r)
{
	return r->active;
}

static const char *
job_id(const struct job *j)
{
	return j->msg != NULL ? j->msg->job_id : "-";
}

/* Fills the header every event carries from the job. */
void
runner_job_event_init(const struct job *j, Certfleet__Event *e)
{
	certfleet__event__init(e);
	e->job_id = j->msg->job_id;
	e->attempt = j->msg->attempt;
	e->trace_id = j->msg->trace_id;
	e->job_kind = proto_job_kind_of(j->msg);
}

/* Queues the job's result; the job ends when it is delivered. */
void
runner_job_report(struct job *j, Certfleet__Event *e)
{
	char err[256];

	j->reported = 1;
	if (events_publish(j->r->ev, e, j, err, sizeof(err)) < 0) {
		/* Not committed: the job is redelivered after a restart. */
		log_err("job %s: result not queued, left uncommitted: %s",
		    job_id(j), err);
		runner_job_free(j);
	}
}

/* Converts the engine's problem (borrowed) into subproblem storage of the
 * caller's stack frame. */
struct problem_buf {
	Certfleet__Problem	 top;
	Certfleet__Problem	 sub[ACME_SUBPROBLEMS_MAX];
	Certfleet__Problem	*subp[ACME_SUBPROBLEMS_MAX];
};

static Certfleet__Problem *
job_problem(const struct acme_result *res, struct problem_buf *pb)
{
	size_t i;

	certfleet__problem__init(&pb->top);
	if (res->ca_unavailable) {
		/* whatever the CA sent, the coordinator's breaker counts it */
		pb->top.type = PROTO_PROBLEM_CA_UNAVAILABLE;
		pb->top.detail = (char *)res->error;
		pb->top.status = (int32_t)(res->has_problem ?
		    res->problem.status : 0);
		return &pb->top;
	}
	if (!res->has_problem) {
		pb->top.type = "urn:certfleet:error:worker";
		pb->top.detail = (char *)res->error;
		return &pb->top;
	}
	pb->top.type = res->problem.type[0] != '\0' ? res->problem.type :
	    "about:blank";
	pb->top.detail = res->problem.detail;
	pb->top.status = (int32_t)res->problem.status;
	for (i = 0; i < res->problem.nsub && i < ACME_SUBPROBLEMS_MAX; i++) {
		certfleet__problem__init(&pb->sub[i]);
		pb->sub[i].type = res->problem.sub[i].type[0] != '\0' ?
		    res->problem.sub[i].type : "about:blank";
		pb->sub[i].detail = res->problem.sub[i].detail;
		pb->sub[i].identifier = res->problem.sub[i].id_value;
		pb->subp[i] = &pb->sub[i];
	}
	pb->top.subproblems = pb->subp;
	pb->top.n_subproblems = i;
	return &pb->top;
}

/* Reports a failure or deferral from an engine result, or a local failure
 * when res is NULL (type/detail/retryable then describe it). */
void
runner_job_report_failure(struct job *j, const struct acme_result *res,
    const char *type, const char *detail, int retryable)
{
	Certfleet__Event e;
	Certfleet__JobFailed f = CERTFLEET__JOB_FAILED__INIT;
	Certfleet__JobDeferred d = CERTFLEET__JOB_DEFERRED__INIT;
	Certfleet__Problem local = CERTFLEET__PROBLEM__INIT, *p;
	struct problem_buf pb;
	char *order_url = res != NULL && res->order_url != NULL ?
	    (char *)res->order_url : "";

	runner_job_event_init(j, &e);
	if (res != NULL)
		p = job_problem(res, &pb);
	else {
		local.type = (char *)type;
		local.detail = (char *)detail;
		p = &local;
	}
	if (res != NULL && res->outcome == ACME_DEFERRED) {
		d.problem = p;
		d.not_before_unix_ms = (int64_t)res->not_before * 1000;
		d.order_url = order_url;
		d.endpoint = res->endpoint != NULL ? (char *)res->endpoint : "";
		e.kind_case = CERTFLEET__EVENT__KIND_DEFERRED;
		e.deferred = &d;
		log_info("job %s attempt %u trace %s: deferred until %lld: %s",
		    j->msg->job_id, j->msg->attempt, j->msg->trace_id,
		    (long long)res->not_before, p->type);
	} else {
		f.problem = p;
		f.retryable = res != NULL ? res->retryable : retryable;
		f.order_url = order_url;
		e.kind_case = CERTFLEET__EVENT__KIND_FAILED;
		e.failed = &f;
		log_info("job %s attempt %u trace %s: failed (%s): %s: %s",
		    j->msg->job_id, j->msg->attempt, j->msg->trace_id,
		    f.retryable ? "retryable" : "final", p->type,
		    res != NULL ? res->error : detail);
	}
	runner_job_report(j, &e);
}

static void
job_start(struct job *j)
{
	const Certfleet__RegisterAccount *ra;
	const Certfleet__IssueOrder *io;
	const struct jws_key *key;
	const char *kid;
	char err[512];

	if (j->msg->kind_case == CERTFLEET__JOB__KIND_CA_ACTION) {
		runner_job_action(j);
		return;
	}
	if (j->msg->kind_case == CERTFLEET__JOB__KIND_ARI_CHECK) {
		runner_job_ari_check(j);
		return;
	}
	if (j->msg->kind_case == CERTFLEET__JOB__KIND_REGISTER_ACCOUNT) {
		ra = j->msg->register_account;
		if ((key = acache_key(j->r->d.acache, ra->account_id, err,
		    sizeof(err))) == NULL) {
			runner_job_report_failure(j, NULL,
			    "urn:certfleet:error:accountKeyUnavailable", err, 1);
			return;
		}
		runner_job_account(j, ra->ca, key, (const char *const *)ra->contact,
		    ra->n_contact);
		return;
	}
	io = j->msg->issue_order;
	if ((key = acache_key(j->r->d.acache, io->account_id, err,
	    sizeof(err))) == NULL) {
		runner_job_report_failure(j, NULL, "urn:certfleet:error:accountKeyUnavailable",
		    err, 1);
		return;
	}
	/* What this worker learnt last beats the job's copy: it may have
	 * registered the account again after the CA lost it. */
	kid = acache_url(j->r->d.acache, io->account_id);
	if (kid == NULL && io->account_url[0] != '\0')
		kid = io->account_url;
	if (kid == NULL)
		runner_job_account(j, io->ca, key, NULL, 0);
	else
		runner_job_order(j, key, kid);
}

/* Tells the pacer which CA name a job's directory URL belongs to. */
static void
runner_pace_learn(struct runner *r, const Certfleet__Job *msg)
{
	const Certfleet__CaRef *ca = NULL;

	switch (msg->kind_case) {
	case CERTFLEET__JOB__KIND_ISSUE_ORDER:
		ca = msg->issue_order->ca;
		break;
	case CERTFLEET__JOB__KIND_REGISTER_ACCOUNT:
		ca = msg->register_account->ca;
		break;
	case CERTFLEET__JOB__KIND_CA_ACTION:
		ca = msg->ca_action->ca;
		break;
	case CERTFLEET__JOB__KIND_ARI_CHECK:
		ca = msg->ari_check->ca;
		break;
	default:
		break;
	}
	if (ca != NULL && r->d.pacer != NULL)
		pacer_learn(r->d.pacer, ca->directory_url, ca->name);
}

void
runner_handle(void *arg, const struct consumer_msg *m)
{
	struct runner *r = arg;
	struct job *j;
	char reason[256], err[256];

	if ((j = calloc(1, sizeof(*j))) == NULL) {
		log_err("runner: out of memory: job %d/%lld left uncommitted",
		    (int)m->partition, (long long)m->offset);
		return;
	}
	j->r = r;
	j->partition = m->partition;
	j->offset = m->offset;
	j->next = r->jobs;
	if (r->jobs != NULL)
		r->jobs->prev = j;
	r->jobs = j;
	r->active++;

	if ((j->msg = proto_job_decode(m->payload, m->len, reason,
	    sizeof(reason))) == NULL) {
		log_warn("runner: message %s/%d/%lld dead-lettered: %s", m->topic,
		    (int)m->partition, (long long)m->offset, reason);
		j->reported = 1;
		if (events_deadletter(r->ev, m->topic, m->partition, m->offset,
		    m->key, m->keylen, m->payload, m->len, reason, j, err,
		    sizeof(err)) < 0) {
			log_err("runner: dead letter not queued: %s", err);
			consumer_done(r->d.consumer, j->partition, j->offset);
			runner_job_free(j);
		}
		return;
	}
	runner_pace_learn(r, j->msg);
	log_info("job %s attempt %u trace %s: started (%s)", j->msg->job_id,
	    j->msg->attempt, j->msg->trace_id,
	    j->msg->kind_case == CERTFLEET__JOB__KIND_ISSUE_ORDER ?
	    "issue_order" : j->msg->kind_case == CERTFLEET__JOB__KIND_CA_ACTION ?
	    runner_job_action_name(j->msg->ca_action) :
	    j->msg->kind_case == CERTFLEET__JOB__KIND_ARI_CHECK ? "ari_check" :
	    "register_account");
	job_start(j);
}

void
runner_delivered(void *opaque, int ok, const char *err)
{
	struct job *j = opaque;

	if (j == NULL) {	/* a progress event */
		if (!ok)
			log_warn("runner: progress event lost: %s", err);
		return;
	}
	if (ok)
		consumer_done(j->r->d.consumer, j->partition, j->offset);
	else
		log_err("job %s: result not delivered (%s): left uncommitted",
		    job_id(j), err);
	runner_job_free(j);
}
