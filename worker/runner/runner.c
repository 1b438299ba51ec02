/* runner.c -- one job's life in the worker: decode, dispatch by kind, result event, delivery, commit. */
#include "runner.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "codec.h"
#include "log.h"
#include "runner_int.h"
#include "utf8.h"
#include "wmetrics.h"

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
	if (r->d.dns != NULL)
		dns_forget(r->d.dns, j);	/* no begin reports to a freed job */
	if (j->claimed)		/* it ends with no order: another may open it */
		chstore_order_release(r->d.chstore, j->msg->job_id,
		    r->d.worker_id);
	proto_job_free(j->msg);
	free(j->order_unsent);
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

/* The CA a job runs against. */
static const Certfleet__CaRef *
job_ca(const Certfleet__Job *m)
{
	switch (m->kind_case) {
	case CERTFLEET__JOB__KIND_ISSUE_ORDER:
		return m->issue_order->ca;
	case CERTFLEET__JOB__KIND_REGISTER_ACCOUNT:
		return m->register_account->ca;
	case CERTFLEET__JOB__KIND_CA_ACTION:
		return m->ca_action->ca;
	case CERTFLEET__JOB__KIND_ARI_CHECK:
		return m->ari_check->ca;
	default:
		return NULL;
	}
}

/* The certificate a job is about, or NULL. */
static const char *
job_certificate(const Certfleet__Job *m)
{
	const char *id = NULL;

	if (m->kind_case == CERTFLEET__JOB__KIND_ISSUE_ORDER)
		id = m->issue_order->certificate_id;
	else if (m->kind_case == CERTFLEET__JOB__KIND_ARI_CHECK)
		id = m->ari_check->certificate_id;
	else if (m->kind_case == CERTFLEET__JOB__KIND_CA_ACTION &&
	    m->ca_action->action_case ==
	    CERTFLEET__CA_ACTION__ACTION_REVOKE_CERTIFICATE)
		id = m->ca_action->revoke_certificate->certificate_id;
	return id != NULL && id[0] != '\0' ? id : NULL;
}

void
runner_job_log(const struct job *j, enum log_level level, const char *fmt,
    ...)
{
	struct log_ctx ctx = { 0 };
	va_list ap;

	if (j->msg != NULL) {
		ctx.job_id = j->msg->job_id;
		ctx.attempt = j->msg->attempt;
		ctx.trace_id = j->msg->trace_id;
		ctx.certificate_id = job_certificate(j->msg);
	}
	va_start(ap, fmt);
	log_vmsg_ctx(level, &ctx, fmt, ap);
	va_end(ap);
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

/* Publishes the order_created event of j's order URL not yet reported,
 * if any. Its delivery gates nothing (opaque NULL): the order URL is also
 * in Redis, and the result carries it. */
static void
runner_job_order_report(struct job *j)
{
	Certfleet__Event e;
	Certfleet__OrderCreated oc = CERTFLEET__ORDER_CREATED__INIT;
	char err[256];

	if (j->order_unsent == NULL)
		return;
	runner_job_event_init(j, &e);
	oc.order_url = j->order_unsent;
	e.kind_case = CERTFLEET__EVENT__KIND_ORDER_CREATED;
	e.order_created = &oc;
	if (events_publish(j->r->ev, &e, NULL, err, sizeof(err)) < 0)
		runner_job_log(j, LOGL_WARN, "progress event not queued: %s",
		    err);
	free(j->order_unsent);
	j->order_unsent = NULL;
}

void
runner_job_order_created(struct job *j, const char *order_url)
{
	free(j->order_unsent);
	if ((j->order_unsent = strdup(order_url)) == NULL) {
		runner_job_log(j, LOGL_WARN, "out of memory: order %s not "
		    "reported", order_url);
		return;
	}
	j->order_at_ms = clock_mono_ms();
	if (j->r->d.order_report_ms == 0)
		runner_job_order_report(j);
}

void
runner_tick(struct runner *r, int all)
{
	struct job *j, *next;
	uint64_t now = clock_mono_ms();

	if (!all && now - r->ticked_ms < RUNNER_TICK_MS)
		return;
	r->ticked_ms = now;
	for (j = r->jobs; j != NULL; j = next) {
		next = j->next;
		if (j->order_unsent != NULL && (all ||
		    now - j->order_at_ms >= (uint64_t)r->d.order_report_ms))
			runner_job_order_report(j);
		if (j->claim_wait_ms == 0)
			continue;
		if (all) {
			/* stopping: left to be redelivered */
			runner_job_log(j, LOGL_INFO, "stopping while another "
			    "worker opens its order: left to be redelivered");
			runner_job_claim_waited(j);
			runner_job_free(j);
		} else if (now >= j->claim_wait_ms) {
			j->claim_wait_ms = 0;
			runner_job_order_again(j);
		}
	}
}

/* Queues the job's result; the job ends when it is delivered. */
void
runner_job_report(struct job *j, Certfleet__Event *e)
{
	char err[256];

	if (e->kind_case != CERTFLEET__EVENT__KIND_CERTIFICATE_ISSUED)
		runner_job_order_report(j);
	free(j->order_unsent);
	j->order_unsent = NULL;
	j->reported = 1;
	wmetrics_job_done(proto_job_kind_name(proto_job_kind_of(j->msg)),
	    proto_event_kind_name(e), (double)(clock_mono_ms() - j->taken_ms) /
	    1000.0);
	if (events_publish(j->r->ev, e, j, err, sizeof(err)) < 0) {
		/* Not committed: the job is redelivered after a restart. */
		runner_job_log(j, LOGL_ERR, "result not queued, left "
		    "uncommitted: %s", err);
		runner_job_free(j);
	}
}

/* A problem as it goes into an event: every string sanitised into the
 * buffers here (heap: about 100 KiB with every subproblem). */
struct problem_buf {
	Certfleet__Problem	 top;
	Certfleet__Problem	 sub[ACME_SUBPROBLEMS_MAX];
	Certfleet__Problem	*subp[ACME_SUBPROBLEMS_MAX];
	char			 text[1 + ACME_SUBPROBLEMS_MAX][3]
				    [ACME_PROBLEM_TEXT_MAX + 1];
};

/* A problem type as the codec takes it: 1 to PROTO_MAX_URL printable ASCII
 * characters (a URN); anything else from a CA becomes "about:blank". */
static char *
job_problem_type(const char *t, char *out)
{
	size_t i, n = t != NULL ? strlen(t) : 0;

	if (n == 0 || n > ACME_PROBLEM_TEXT_MAX)
		t = "about:blank";
	for (i = 0; i < n; i++)
		if (t[i] < 0x21 || t[i] > 0x7e) {
			t = "about:blank";
			break;
		}
	snprintf(out, ACME_PROBLEM_TEXT_MAX + 1, "%s", t);
	return out;
}

/* s as valid UTF-8 on one line, cut on a character boundary, in out. */
static char *
job_problem_text(const char *s, char *out)
{
	utf8_sanitize(s != NULL ? s : "", s != NULL ? strlen(s) : 0, out,
	    ACME_PROBLEM_TEXT_MAX + 1);
	return out;
}

/* Fills pb from the engine's result (has_problem or not), or from a local
 * type and detail when res is NULL: whatever a CA or a library wrote is
 * made safe for the codec and for PostgreSQL here (utf8.h), so that one
 * odd byte never makes the coordinator refuse the whole event. */
static Certfleet__Problem *
job_problem(const struct acme_result *res, const char *type,
    const char *detail, struct problem_buf *pb)
{
	size_t i;

	certfleet__problem__init(&pb->top);
	if (res != NULL && res->ca_unavailable) {
		/* whatever the CA sent, the coordinator's breaker counts it */
		pb->top.type = PROTO_PROBLEM_CA_UNAVAILABLE;
		pb->top.detail = job_problem_text(res->error, pb->text[0][1]);
		pb->top.status = (int32_t)(res->has_problem ?
		    res->problem.status : 0);
		return &pb->top;
	}
	if (res == NULL || !res->has_problem) {
		pb->top.type = job_problem_type(res != NULL ?
		    "urn:certfleet:error:worker" : type, pb->text[0][0]);
		pb->top.detail = job_problem_text(res != NULL ? res->error :
		    detail, pb->text[0][1]);
		return &pb->top;
	}
	pb->top.type = job_problem_type(res->problem.type, pb->text[0][0]);
	pb->top.detail = job_problem_text(res->problem.detail, pb->text[0][1]);
	pb->top.status = (int32_t)res->problem.status;
	for (i = 0; i < res->problem.nsub && i < ACME_SUBPROBLEMS_MAX; i++) {
		certfleet__problem__init(&pb->sub[i]);
		pb->sub[i].type = job_problem_type(res->problem.sub[i].type,
		    pb->text[i + 1][0]);
		pb->sub[i].detail = job_problem_text(res->problem.sub[i].detail,
		    pb->text[i + 1][1]);
		pb->sub[i].identifier = job_problem_text(
		    res->problem.sub[i].id_value, pb->text[i + 1][2]);
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
	Certfleet__Problem *p;
	struct problem_buf *pb;
	char *order_url = res != NULL && res->order_url != NULL ?
	    (char *)res->order_url : "";

	if ((pb = malloc(sizeof(*pb))) == NULL) {
		runner_job_log(j, LOGL_ERR, "out of memory for its problem: left "
		    "uncommitted");
		runner_job_free(j);
		return;
	}
	runner_job_event_init(j, &e);
	p = job_problem(res, type, detail, pb);
	if (res != NULL && res->outcome == ACME_DEFERRED) {
		d.problem = p;
		d.not_before_unix_ms = (int64_t)res->not_before * 1000;
		d.order_url = order_url;
		d.endpoint = res->endpoint != NULL ? (char *)res->endpoint : "";
		e.kind_case = CERTFLEET__EVENT__KIND_DEFERRED;
		e.deferred = &d;
		runner_job_log(j, LOGL_INFO, "deferred until %lld: %s: %s",
		    (long long)res->not_before, p->type, p->detail);
	} else {
		f.problem = p;
		f.retryable = res != NULL ? res->retryable : retryable;
		f.order_url = order_url;
		e.kind_case = CERTFLEET__EVENT__KIND_FAILED;
		e.failed = &f;
		runner_job_log(j, LOGL_INFO, "failed (%s): %s: %s",
		    f.retryable ? "retryable" : "final", p->type,
		    res != NULL ? res->error : p->detail);
	}
	runner_job_report(j, &e);
	free(pb);
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
	/* No provider: no ACME order is opened at all (it could only fail),
	 * and nothing a retry could change. */
	if (strcmp(io->challenge_type, "dns-01") == 0 && j->r->d.dns == NULL) {
		runner_job_report_failure(j, NULL, RUNNER_PROBLEM_CONFIG,
		    "dns-01 needs a DNS provider on the worker: set "
		    "CERTFLEET_DNS_PROVIDER (challtestsrv, hook or rfc2136; see "
		    "certfleet-worker --help) and restart it, then retry the "
		    "certificate", 0);
		return;
	}
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

/* 1 when two issue_order jobs ask for the same order: the same
 * certificate, CA, account, CSR, challenge, profile and replaced
 * certificate (what an attempt of one order keeps). */
static int
job_same_order(const Certfleet__IssueOrder *a, const Certfleet__IssueOrder *b)
{
	return strcmp(a->certificate_id, b->certificate_id) == 0 &&
	    a->ca != NULL && b->ca != NULL &&
	    strcmp(a->ca->directory_url, b->ca->directory_url) == 0 &&
	    strcmp(a->account_id, b->account_id) == 0 &&
	    a->csr_der.len == b->csr_der.len && (a->csr_der.len == 0 ||
	    memcmp(a->csr_der.data, b->csr_der.data, a->csr_der.len) == 0) &&
	    strcmp(a->challenge_type, b->challenge_type) == 0 &&
	    strcmp(a->profile, b->profile) == 0 &&
	    strcmp(a->replaces, b->replaces) == 0;
}

/*
 * j (just decoded) is an attempt of an order another job of this worker
 * still runs: a re-drive the sweeper or a retry queued behind it (workers
 * that were away find every attempt of an order queued), or the same
 * message again. One ACME order serves them: the running job goes on under
 * the newest attempt number (so that the coordinator counts its events),
 * j is done at once (its offset is committed only after the running job's,
 * offsets.h), and no second order is opened at the CA, where it would cost
 * an order and a duplicate certificate. The running job ends, whatever
 * happens, by its order's deadline (acme.h: 600 s), with a result the
 * coordinator takes. Returns 1 when j was merged (and freed), 0 when it is
 * to run.
 */
static int
runner_merge(struct runner *r, struct job *j)
{
	struct job *x;

	if (j->msg->kind_case != CERTFLEET__JOB__KIND_ISSUE_ORDER)
		return 0;
	for (x = r->jobs; x != NULL; x = x->next)
		if (x != j && !x->reported && x->msg != NULL &&
		    x->msg->kind_case == CERTFLEET__JOB__KIND_ISSUE_ORDER &&
		    strcmp(x->msg->job_id, j->msg->job_id) == 0 &&
		    job_same_order(x->msg->issue_order, j->msg->issue_order))
			break;
	if (x == NULL)
		return 0;
	if (j->msg->attempt > x->msg->attempt) {
		runner_job_log(x, LOGL_INFO, "attempt %u of this order came "
		    "while it runs here: it goes on as attempt %u, no second "
		    "ACME order", j->msg->attempt, j->msg->attempt);
		x->msg->attempt = j->msg->attempt;
	} else
		runner_job_log(x, LOGL_INFO, "attempt %u of this order came "
		    "again while attempt %u runs here: nothing more to do",
		    j->msg->attempt, x->msg->attempt);
	consumer_done(r->d.consumer, j->partition, j->offset);
	runner_job_free(j);
	return 1;
}

void
runner_handle(void *arg, const struct consumer_msg *m)
{
	struct runner *r = arg;
	const Certfleet__CaRef *ca;
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
	j->taken_ms = clock_mono_ms();
	j->next = r->jobs;
	if (r->jobs != NULL)
		r->jobs->prev = j;
	r->jobs = j;
	r->active++;

	if (msgsig_verify(r->d.jobkeys, MSGSIG_JOB, m->sig, m->siglen, m->key,
	    m->keylen, m->payload, m->len, clock_wall_ms(), reason,
	    sizeof(reason)) < 0 || (j->msg = proto_job_decode(m->payload,
	    m->len, reason, sizeof(reason))) == NULL) {
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
	if (runner_merge(r, j))
		return;
	runner_pace_learn(r, j->msg);
	if ((ca = job_ca(j->msg)) != NULL)
		wmetrics_ca_seen(ca->name, ca->directory_url);
	runner_job_log(j, LOGL_INFO, "started (%s)",
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
		runner_job_log(j, LOGL_ERR, "result not delivered (%s): left "
		    "uncommitted", err);
	runner_job_free(j);
}
