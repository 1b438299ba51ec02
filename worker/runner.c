/* runner.c -- one job's life in the worker: decode, account, ACME order, http-01 answers or dns-01 records, result event, commit. */
#include "runner.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "log.h"
#include "trust.h"

#define RUNNER_ORDER_URL_MAX ACME_URL_MAX

struct job {
	struct runner	*r;
	struct job	*prev, *next;
	int32_t		 partition;
	int64_t		 offset;
	Certfleet__Job	*msg;		/* NULL for a dead letter */
	int		 reported;	/* result queued on Kafka */
	int		 resumed;	/* the running order is an earlier one */
	int		 fresh;		/* a new order after a failed resumption */
	int		 reregistered;	/* newAccount again after accountDoesNotExist */
	char		*kid;		/* account URL the order runs under */
	struct jws_key	*new_key;	/* ca_action rollover: the new key, owned */
	struct job_issued *issued;	/* kept while renewalInfo is fetched */
};

struct runner {
	struct runner_deps	 d;
	struct events		*ev;
	struct job		*jobs;	/* every job not yet freed */
	size_t			 active;
};

/* An issued certificate held back while its renewalInfo is fetched (the
 * engine's result strings live only during done()). */
struct job_issued {
	char	*order_url;
	char	*chain;
	char	*alts[ACME_ALT_MAX];
	size_t	 nalt;
};

static void
job_issued_free(struct job_issued *ji)
{
	size_t i;

	if (ji == NULL)
		return;
	free(ji->order_url);
	free(ji->chain);
	for (i = 0; i < ji->nalt; i++)
		free(ji->alts[i]);
	free(ji);
}

static struct job_issued *
job_issued_copy(const struct acme_result *res)
{
	struct job_issued *ji;
	size_t i;

	if ((ji = calloc(1, sizeof(*ji))) == NULL ||
	    (ji->order_url = strdup(res->order_url)) == NULL ||
	    (ji->chain = strdup(res->chain)) == NULL)
		goto fail;
	for (i = 0; i < res->nalt; i++) {
		if ((ji->alts[i] = strdup(res->alt_chains[i])) == NULL)
			goto fail;
		ji->nalt++;
	}
	return ji;
fail:
	job_issued_free(ji);
	return NULL;
}

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

static void
job_free(struct job *j)
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
	job_issued_free(j->issued);
	free(j);
}

void
runner_free(struct runner *r)
{
	if (r == NULL)
		return;
	while (r->jobs != NULL)
		job_free(r->jobs);
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
static void
job_event_init(const struct job *j, Certfleet__Event *e)
{
	certfleet__event__init(e);
	e->job_id = j->msg->job_id;
	e->attempt = j->msg->attempt;
	e->trace_id = j->msg->trace_id;
}

/* Queues the job's result; the job ends when it is delivered. */
static void
job_report(struct job *j, Certfleet__Event *e)
{
	char err[256];

	j->reported = 1;
	if (events_publish(j->r->ev, e, j, err, sizeof(err)) < 0) {
		/* Not committed: the job is redelivered after a restart. */
		log_err("job %s: result not queued, left uncommitted: %s",
		    job_id(j), err);
		job_free(j);
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
static void
job_report_failure(struct job *j, const struct acme_result *res,
    const char *type, const char *detail, int retryable)
{
	Certfleet__Event e;
	Certfleet__JobFailed f = CERTFLEET__JOB_FAILED__INIT;
	Certfleet__JobDeferred d = CERTFLEET__JOB_DEFERRED__INIT;
	Certfleet__Problem local = CERTFLEET__PROBLEM__INIT, *p;
	struct problem_buf pb;
	char *order_url = res != NULL && res->order_url != NULL ?
	    (char *)res->order_url : "";

	job_event_init(j, &e);
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
	job_report(j, &e);
}

/* ---- issue_order ---- */

static void job_order(struct job *, const struct jws_key *, const char *);
static void job_account(struct job *, const Certfleet__CaRef *,
    const struct jws_key *, const char *const *, size_t);

/* The CA no longer knows the account (a CA that lost its data, or a test CA
 * restarted): newAccount with the same key makes it again. */
static int
job_account_lost(const struct acme_result *res)
{
	return res->outcome == ACME_FAILED && res->has_problem &&
	    strcmp(res->problem.type,
	    "urn:ietf:params:acme:error:accountDoesNotExist") == 0;
}

/* The CA refused the signature (Pebble: malformed, Boulder: unauthorized):
 * the account's key may have been rolled over by another worker. Fetches
 * the key again; returns it when it differs from the one used, else NULL. */
static const struct jws_key *
job_key_rolled(struct job *j, const struct acme_result *res)
{
	const char *id = j->msg->issue_order->account_id;
	const struct jws_key *old, *key;
	char err[256], *a = NULL, *b = NULL;
	int same;

	if (res->outcome != ACME_FAILED || !res->has_problem ||
	    (strcmp(res->problem.type, "urn:ietf:params:acme:error:malformed") !=
	    0 && strcmp(res->problem.type,
	    "urn:ietf:params:acme:error:unauthorized") != 0) ||
	    (old = accounts_key(j->r->d.accounts, id, err, sizeof(err))) == NULL)
		return NULL;
	a = jws_thumbprint(old);
	accounts_forget(j->r->d.accounts, id);
	if ((key = accounts_key(j->r->d.accounts, id, err, sizeof(err))) != NULL)
		b = jws_thumbprint(key);
	same = a == NULL || b == NULL || strcmp(a, b) == 0;
	free(a);
	free(b);
	return same ? NULL : key;
}

static void
job_order_created(void *arg, const char *order_url)
{
	struct job *j = arg;
	Certfleet__Event e;
	Certfleet__OrderCreated oc = CERTFLEET__ORDER_CREATED__INIT;
	char err[256];

	if (kv_order_put(j->r->d.kv, j->msg->job_id, order_url, err, sizeof(err)) < 0)
		log_warn("job %s: order URL not kept in Redis: %s", j->msg->job_id, err);
	job_event_init(j, &e);
	oc.order_url = (char *)order_url;
	e.kind_case = CERTFLEET__EVENT__KIND_ORDER_CREATED;
	e.order_created = &oc;
	/* Progress: its delivery gates nothing (opaque NULL). */
	if (events_publish(j->r->ev, &e, NULL, err, sizeof(err)) < 0)
		log_warn("job %s: progress event not queued: %s", j->msg->job_id, err);
	log_info("job %s attempt %u trace %s: order %s", j->msg->job_id,
	    j->msg->attempt, j->msg->trace_id, order_url);
}

static int
job_challenge_begin(void *arg, const char *token, const char *keyauth)
{
	struct job *j = arg;
	char err[256];

	if (kv_http01_put(j->r->d.kv, token, keyauth, err, sizeof(err)) < 0) {
		log_warn("job %s: http-01 answer not published: %s", j->msg->job_id, err);
		return -1;
	}
	return 0;
}

static void
job_challenge_end(void *arg, const char *token)
{
	struct job *j = arg;
	char err[256];

	if (kv_http01_del(j->r->d.kv, token, err, sizeof(err)) < 0)
		log_warn("job %s: http-01 answer not withdrawn (expires by TTL): %s",
		    j->msg->job_id, err);
}

/* dns-01: the provider publishes the TXT record (a short blocking call). */
static int
job_dns_begin(void *arg, const char *domain, const char *token,
    const char *txt)
{
	struct job *j = arg;
	char err[512];

	if (j->r->d.dns == NULL) {
		log_warn("job %s: dns-01 needs a DNS provider "
		    "(CERTFLEET_DNS_PROVIDER is not set)", j->msg->job_id);
		return -1;
	}
	if (dns_begin(j->r->d.dns, domain, token, txt, err, sizeof(err)) < 0) {
		log_warn("job %s: TXT record for %s not published: %s",
		    j->msg->job_id, domain, err);
		return -1;
	}
	log_info("job %s: dns-01 TXT record published at _acme-challenge.%s "
	    "(%s)", j->msg->job_id, domain, dns_provider_name(j->r->d.dns));
	return 0;
}

static void
job_dns_end(void *arg, const char *domain, const char *token,
    const char *txt, int valid)
{
	struct job *j = arg;
	char err[512];
	int rc;

	rc = valid ? dns_done(j->r->d.dns, domain, token, txt, err, sizeof(err)) :
	    dns_failed(j->r->d.dns, domain, token, txt, err, sizeof(err));
	if (rc < 0)
		log_warn("job %s: TXT record at _acme-challenge.%s not removed: %s",
		    j->msg->job_id, domain, err);
	else
		log_info("job %s: dns-01 TXT record at _acme-challenge.%s "
		    "removed (%s)", j->msg->job_id, domain,
		    valid ? "done" : "failed");
}

/* Reports the issued certificate, with the ARI window when ari is a DONE
 * renewalInfo result (else without). */
static void
job_report_issued(struct job *j, const struct acme_result *ari)
{
	struct job_issued *ji = j->issued;
	Certfleet__Event e;
	Certfleet__CertificateIssued ci = CERTFLEET__CERTIFICATE_ISSUED__INIT;

	job_event_init(j, &e);
	ci.order_url = ji->order_url;
	ci.fullchain_pem = ji->chain;
	ci.alternate_chain_pem = ji->alts;
	ci.n_alternate_chain_pem = ji->nalt;
	if (ari != NULL && ari->outcome == ACME_DONE) {
		ci.ari_window_start_unix_ms = (int64_t)ari->window_start * 1000;
		ci.ari_window_end_unix_ms = (int64_t)ari->window_end * 1000;
		ci.ari_explanation_url = (char *)(ari->explanation_url != NULL ?
		    ari->explanation_url : "");
	}
	e.kind_case = CERTFLEET__EVENT__KIND_CERTIFICATE_ISSUED;
	e.certificate_issued = &ci;
	log_info("job %s attempt %u trace %s: certificate issued (order %s)%s",
	    j->msg->job_id, j->msg->attempt, j->msg->trace_id, ji->order_url,
	    ci.ari_window_end_unix_ms > 0 ? " with its ARI window" : "");
	job_report(j, &e);
}

static void
job_ari_done(void *arg, const struct acme_result *res)
{
	struct job *j = arg;

	if (res->outcome == ACME_CANCELLED) {
		log_info("job %s: cancelled, left to be redelivered", j->msg->job_id);
		job_free(j);
		return;
	}
	if (res->outcome != ACME_DONE)
		log_info("job %s: no ARI window: %s", j->msg->job_id, res->error);
	job_report_issued(j, res);
}

/* The certificate is issued: asks the CA for its renewal window (RFC 9773)
 * when the chain has a CertID, then reports. */
static void
job_issued(struct job *j, const struct acme_result *res)
{
	const Certfleet__IssueOrder *io = j->msg->issue_order;
	struct acme_ari_params p = { 0 };
	char certid[ACME_CERTID_MAX], err[256];

	if ((j->issued = job_issued_copy(res)) == NULL) {
		log_err("job %s: out of memory for the issued chain: left "
		    "uncommitted", j->msg->job_id);
		job_free(j);
		return;
	}
	if (acme_ari_certid_pem(res->chain, strlen(res->chain), certid,
	    sizeof(certid), err, sizeof(err)) < 0) {
		log_info("job %s: no ARI window: %s", j->msg->job_id, err);
		job_report_issued(j, NULL);
		return;
	}
	p.directory = io->ca->directory_url;
	p.ca_file = trust_file(io->ca->trust, j->r->d.ca_file);
	p.cert_id = certid;
	if (acme_ari_start(j->r->d.engine, &p, job_ari_done, j, err,
	    sizeof(err)) == NULL) {
		log_info("job %s: no ARI window: %s", j->msg->job_id, err);
		job_report_issued(j, NULL);
	}
}

static void
job_order_done(void *arg, const struct acme_result *res)
{
	struct job *j = arg;
	const struct jws_key *key;
	char err[256];

	if (res->outcome == ACME_CANCELLED) {
		/* Shutdown: not committed, so redelivered and resumed elsewhere. */
		log_info("job %s: cancelled, left to be redelivered", j->msg->job_id);
		job_free(j);
		return;
	}
	if (!j->reregistered && (key = job_key_rolled(j, res)) != NULL) {
		log_warn("job %s: the CA refused the key of account %s (%s): it "
		    "was rolled over, the order goes on with the new key",
		    j->msg->job_id, j->kid, res->problem.type);
		j->reregistered = 1;
		job_order(j, key, j->kid);
		return;
	}
	if (job_account_lost(res) && !j->reregistered) {
		log_warn("job %s: the CA lost account %s: registering it again",
		    j->msg->job_id, j->kid);
		j->reregistered = 1;
		j->fresh = 1;	/* orders of the lost account are gone too */
		job_account(j, j->msg->issue_order->ca,
		    accounts_key(j->r->d.accounts,
		    j->msg->issue_order->account_id, err, sizeof(err)), NULL, 0);
		return;
	}
	if (res->outcome == ACME_FAILED && j->resumed && !j->fresh) {
		/* The earlier order is invalid or gone: open one new order,
		 * once. */
		log_info("job %s: resumed order failed (%s): opening a new one",
		    j->msg->job_id, res->error);
		j->fresh = 1;
		job_order(j, accounts_key(j->r->d.accounts,
		    j->msg->issue_order->account_id, err, sizeof(err)), j->kid);
		return;
	}
	if (res->outcome != ACME_DONE) {
		job_report_failure(j, res, NULL, NULL, 0);
		return;
	}
	job_issued(j, res);
}

static void
job_order(struct job *j, const struct jws_key *key, const char *kid)
{
	const Certfleet__IssueOrder *io = j->msg->issue_order;
	struct acme_order_params p = { 0 };
	struct acme_order_cb cb = { 0 };
	static const struct acme_dns01_cb dns01 = { job_dns_begin, job_dns_end };
	char resume[RUNNER_ORDER_URL_MAX], err[512];

	if (kid != j->kid) {
		free(j->kid);
		j->kid = strdup(kid);
	}
	if (key == NULL || j->kid == NULL) {
		job_report_failure(j, NULL, "urn:certfleet:error:worker",
		    "account key unavailable or out of memory", 1);
		return;
	}
	resume[0] = '\0';
	if (j->fresh)
		;	/* the earlier order failed: never resume it again */
	else if (io->order_url[0] != '\0')
		snprintf(resume, sizeof(resume), "%s", io->order_url);
	else if (kv_order_get(j->r->d.kv, j->msg->job_id, resume, sizeof(resume),
	    err, sizeof(err)) < 0)
		log_warn("job %s: no resume lookup (%s): a new order is opened",
		    j->msg->job_id, err);
	j->resumed = resume[0] != '\0';
	p.directory = io->ca->directory_url;
	p.ca_file = trust_file(io->ca->trust, j->r->d.ca_file);
	p.key = key;
	p.account_url = j->kid;
	p.names = (const char *const *)io->identifiers;
	p.nnames = io->n_identifiers;
	p.csr_der = io->csr_der.data;
	p.csr_len = io->csr_der.len;
	p.order_url = resume[0] != '\0' ? resume : NULL;
	p.challenge_type = io->challenge_type;
	p.dns01 = &dns01;
	p.replaces = io->replaces;
	p.profile = io->profile;
	cb.order_created = job_order_created;
	cb.challenge_begin = job_challenge_begin;
	cb.challenge_end = job_challenge_end;
	cb.done = job_order_done;
	cb.arg = j;
	if (p.order_url != NULL)
		log_info("job %s attempt %u: resuming order %s", j->msg->job_id,
		    j->msg->attempt, p.order_url);
	if (acme_order_start(j->r->d.engine, &p, &cb, err, sizeof(err)) == NULL)
		job_report_failure(j, NULL, "urn:certfleet:error:badJob", err, 0);
}

/* An account lookup/registration done before an order or as a job. */
static void
job_account_done(void *arg, const struct acme_result *res)
{
	struct job *j = arg;
	const char *id;
	Certfleet__Event e;
	Certfleet__AccountRegistered ar = CERTFLEET__ACCOUNT_REGISTERED__INIT;
	char err[256];

	if (res->outcome == ACME_CANCELLED) {
		job_free(j);
		return;
	}
	if (res->outcome != ACME_DONE) {
		job_report_failure(j, res, NULL, NULL, 0);
		return;
	}
	id = j->msg->kind_case == CERTFLEET__JOB__KIND_ISSUE_ORDER ?
	    j->msg->issue_order->account_id : j->msg->register_account->account_id;
	if (accounts_set_url(j->r->d.accounts, id, res->account_url) < 0)
		log_warn("job %s: account URL not cached (no memory)", j->msg->job_id);
	if (j->msg->kind_case == CERTFLEET__JOB__KIND_ISSUE_ORDER) {
		job_order(j, accounts_key(j->r->d.accounts, id, err, sizeof(err)),
		    res->account_url);
		return;
	}
	job_event_init(j, &e);
	ar.account_id = (char *)id;
	ar.account_url = (char *)res->account_url;
	e.kind_case = CERTFLEET__EVENT__KIND_ACCOUNT_REGISTERED;
	e.account_registered = &ar;
	log_info("job %s trace %s: account %s is %s", j->msg->job_id,
	    j->msg->trace_id, id, res->account_url);
	job_report(j, &e);
}

/* Starts newAccount for key (idempotent at the CA: an existing key gets its
 * existing account back). */
static void
job_account(struct job *j, const Certfleet__CaRef *ca, const struct jws_key *key,
    const char *const *contacts, size_t ncontacts)
{
	struct acme_account_params p = { 0 };
	const char *id;
	char err[512];

	/* A CA that wants an External Account Binding gets the one the
	 * coordinator holds for this account (none: a plain newAccount). */
	id = j->msg->kind_case == CERTFLEET__JOB__KIND_ISSUE_ORDER ?
	    j->msg->issue_order->account_id : j->msg->register_account->account_id;
	if (accounts_eab(j->r->d.accounts, id, &p.eab_kid, &p.eab_hmac, err,
	    sizeof(err)) < 0) {
		job_report_failure(j, NULL, "urn:certfleet:error:eabUnavailable",
		    err, 1);
		return;
	}
	p.directory = ca->directory_url;
	p.ca_file = trust_file(ca->trust, j->r->d.ca_file);
	p.key = key;
	p.contacts = contacts;
	p.ncontacts = ncontacts;
	p.tos_agreed = 1;
	if (acme_account_start(j->r->d.engine, &p, job_account_done, j, err,
	    sizeof(err)) == NULL)
		job_report_failure(j, NULL, "urn:certfleet:error:badJob", err, 0);
}

/* ---- ca_action: revocation, key rollover, deactivation ---- */

static const char *
job_action_name(const Certfleet__CaAction *a)
{
	switch (a->action_case) {
	case CERTFLEET__CA_ACTION__ACTION_REVOKE_CERTIFICATE:
		return "revoke_certificate";
	case CERTFLEET__CA_ACTION__ACTION_ROLLOVER_ACCOUNT_KEY:
		return "rollover_account_key";
	default:
		return "deactivate_account";
	}
}

static void
job_action_done(void *arg, const struct acme_result *res)
{
	struct job *j = arg;
	const Certfleet__CaAction *a = j->msg->ca_action;
	Certfleet__Event e;
	Certfleet__CaActionDone d = CERTFLEET__CA_ACTION_DONE__INIT;

	if (res->outcome == ACME_CANCELLED) {
		job_free(j);
		return;
	}
	if (res->outcome != ACME_DONE) {
		job_report_failure(j, res, NULL, NULL, 0);
		return;
	}
	if (a->action_case == CERTFLEET__CA_ACTION__ACTION_ROLLOVER_ACCOUNT_KEY) {
		/* From now on this worker signs with the new key; the others
		 * fetch it again when the CA refuses the old one. */
		accounts_set_key(j->r->d.accounts, a->account_id, j->new_key);
		j->new_key = NULL;
	}
	job_event_init(j, &e);
	d.action = (char *)job_action_name(a);
	d.account_id = a->account_id;
	d.already_revoked = res->already_revoked;
	e.kind_case = CERTFLEET__EVENT__KIND_CA_ACTION_DONE;
	e.ca_action_done = &d;
	log_info("job %s attempt %u trace %s: %s done%s", j->msg->job_id,
	    j->msg->attempt, j->msg->trace_id, d.action, d.already_revoked ?
	    " (it was already revoked)" : "");
	job_report(j, &e);
}

static void
job_action(struct job *j)
{
	const Certfleet__CaAction *a = j->msg->ca_action;
	struct acme_manage_params p = { 0 };
	const struct jws_key *key;
	struct acme_op *op;
	char err[512];

	if ((key = accounts_key(j->r->d.accounts, a->account_id, err,
	    sizeof(err))) == NULL) {
		job_report_failure(j, NULL,
		    "urn:certfleet:error:accountKeyUnavailable", err, 1);
		return;
	}
	p.directory = a->ca->directory_url;
	p.ca_file = j->r->d.ca_file;
	p.key = key;
	p.account_url = a->account_url;
	switch (a->action_case) {
	case CERTFLEET__CA_ACTION__ACTION_REVOKE_CERTIFICATE:
		op = acme_revoke_start(j->r->d.engine, &p,
		    a->revoke_certificate->certificate_der.data,
		    a->revoke_certificate->certificate_der.len,
		    (int)a->revoke_certificate->reason, job_action_done, j, err,
		    sizeof(err));
		break;
	case CERTFLEET__CA_ACTION__ACTION_ROLLOVER_ACCOUNT_KEY:
		if ((j->new_key = accounts_pending_key(j->r->d.accounts,
		    a->account_id, a->rollover_account_key->new_key_thumbprint,
		    err, sizeof(err))) == NULL) {
			job_report_failure(j, NULL,
			    "urn:certfleet:error:accountKeyUnavailable", err, 1);
			return;
		}
		op = acme_keychange_start(j->r->d.engine, &p, j->new_key,
		    job_action_done, j, err, sizeof(err));
		break;
	default:
		op = acme_deactivate_start(j->r->d.engine, &p, job_action_done, j,
		    err, sizeof(err));
		break;
	}
	if (op == NULL)
		job_report_failure(j, NULL, "urn:certfleet:error:badJob", err, 0);
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
		job_action(j);
		return;
	}
	if (j->msg->kind_case == CERTFLEET__JOB__KIND_REGISTER_ACCOUNT) {
		ra = j->msg->register_account;
		if ((key = accounts_key(j->r->d.accounts, ra->account_id, err,
		    sizeof(err))) == NULL) {
			job_report_failure(j, NULL,
			    "urn:certfleet:error:accountKeyUnavailable", err, 1);
			return;
		}
		job_account(j, ra->ca, key, (const char *const *)ra->contact,
		    ra->n_contact);
		return;
	}
	io = j->msg->issue_order;
	if ((key = accounts_key(j->r->d.accounts, io->account_id, err,
	    sizeof(err))) == NULL) {
		job_report_failure(j, NULL, "urn:certfleet:error:accountKeyUnavailable",
		    err, 1);
		return;
	}
	/* What this worker learnt last beats the job's copy: it may have
	 * registered the account again after the CA lost it. */
	kid = accounts_url(j->r->d.accounts, io->account_id);
	if (kid == NULL && io->account_url[0] != '\0')
		kid = io->account_url;
	if (kid == NULL)
		job_account(j, io->ca, key, NULL, 0);
	else
		job_order(j, key, kid);
}

void
runner_handle(void *arg, const struct job_msg *m)
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
			jobs_done(r->d.jobs, j->partition, j->offset);
			job_free(j);
		}
		return;
	}
	log_info("job %s attempt %u trace %s: started (%s)", j->msg->job_id,
	    j->msg->attempt, j->msg->trace_id,
	    j->msg->kind_case == CERTFLEET__JOB__KIND_ISSUE_ORDER ?
	    "issue_order" : j->msg->kind_case == CERTFLEET__JOB__KIND_CA_ACTION ?
	    job_action_name(j->msg->ca_action) : "register_account");
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
		jobs_done(j->r->d.jobs, j->partition, j->offset);
	else
		log_err("job %s: result not delivered (%s): left uncommitted",
		    job_id(j), err);
	job_free(j);
}
