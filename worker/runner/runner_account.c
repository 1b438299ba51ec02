/* runner_account.c -- account registration for a register_account job, before an order, or again for any job whose account the CA forgot; the External Account Binding the CA may want. */
#include <stddef.h>
#include <string.h>

#include "codec.h"
#include "log.h"
#include "runner_int.h"
#include "trust.h"

const char *
runner_job_account_id(const struct job *j)
{
	switch (j->msg->kind_case) {
	case CERTFLEET__JOB__KIND_ISSUE_ORDER:
		return j->msg->issue_order->account_id;
	case CERTFLEET__JOB__KIND_CA_ACTION:
		return j->msg->ca_action->account_id;
	default:
		return j->msg->register_account->account_id;
	}
}

int
runner_account_lost(const struct acme_result *res)
{
	return res->outcome == ACME_FAILED && res->has_problem &&
	    strcmp(res->problem.type,
	    "urn:ietf:params:acme:error:accountDoesNotExist") == 0;
}

/* The account URL the job carried from the coordinator ("" when none). */
static const char *
job_known_url(const struct job *j)
{
	switch (j->msg->kind_case) {
	case CERTFLEET__JOB__KIND_ISSUE_ORDER:
		return j->msg->issue_order->account_url;
	case CERTFLEET__JOB__KIND_CA_ACTION:
		return j->msg->ca_action->account_url;
	default:
		return "";
	}
}

/* A job other than register_account (re-)registered its account: the URL
 * goes to the coordinator as a progress event, so that the next jobs
 * carry it. Its delivery gates nothing: a lost one costs the next job
 * the same re-registration. */
static void
job_account_progress(struct job *j, const char *id, const char *url)
{
	Certfleet__Event e;
	Certfleet__AccountRegistered ar = CERTFLEET__ACCOUNT_REGISTERED__INIT;
	char err[256];

	if (strcmp(job_known_url(j), url) == 0)
		return;	/* the coordinator has it already */
	runner_job_event_init(j, &e);
	ar.account_id = (char *)id;
	ar.account_url = (char *)url;
	e.kind_case = CERTFLEET__EVENT__KIND_ACCOUNT_REGISTERED;
	e.account_registered = &ar;
	if (events_publish(j->r->ev, &e, NULL, err, sizeof(err)) < 0)
		log_warn("job %s: new URL of account %s not reported: %s",
		    j->msg->job_id, id, err);
	else
		log_info("job %s attempt %u trace %s: account %s is now %s "
		    "(reported)", j->msg->job_id, j->msg->attempt,
		    j->msg->trace_id, id, url);
}

/* An account lookup/registration done as a job, before an order, or again
 * for a job whose account the CA no longer knew. */
static void
job_account_done(void *arg, const struct acme_result *res)
{
	struct job *j = arg;
	const char *id;
	Certfleet__Event e;
	Certfleet__AccountRegistered ar = CERTFLEET__ACCOUNT_REGISTERED__INIT;
	char err[256];

	if (res->outcome == ACME_CANCELLED) {
		runner_job_free(j);
		return;
	}
	if (res->outcome != ACME_DONE) {
		runner_job_report_failure(j, res, NULL, NULL, 0);
		return;
	}
	id = runner_job_account_id(j);
	if (acache_set_url(j->r->d.acache, id, res->account_url) < 0)
		runner_job_log(j, LOGL_WARN, "account URL not cached (no "
		    "memory)");
	switch (j->msg->kind_case) {
	case CERTFLEET__JOB__KIND_ISSUE_ORDER:
		job_account_progress(j, id, res->account_url);
		runner_job_order(j, acache_key(j->r->d.acache, id, err,
		    sizeof(err)), res->account_url);
		return;
	case CERTFLEET__JOB__KIND_CA_ACTION:
		job_account_progress(j, id, res->account_url);
		runner_job_action_run(j, res->account_url);
		return;
	default:
		break;
	}
	runner_job_event_init(j, &e);
	ar.account_id = (char *)id;
	ar.account_url = (char *)res->account_url;
	e.kind_case = CERTFLEET__EVENT__KIND_ACCOUNT_REGISTERED;
	e.account_registered = &ar;
	runner_job_log(j, LOGL_INFO, "account %s is %s", id, res->account_url);
	runner_job_report(j, &e);
}

/* Starts newAccount for key (idempotent at the CA: an existing key gets its
 * existing account back). */
void
runner_job_account(struct job *j, const Certfleet__CaRef *ca, const struct jws_key *key,
    const char *const *contacts, size_t ncontacts)
{
	struct acme_account_params p = { 0 };
	const char *id;
	char err[512];

	if (key == NULL) {
		runner_job_report_failure(j, NULL,
		    "urn:certfleet:error:accountKeyUnavailable",
		    "the account key is not available", 1);
		return;
	}
	/* A CA that wants an External Account Binding gets the one the
	 * coordinator holds for this account (none: a plain newAccount). */
	id = runner_job_account_id(j);
	if (acache_eab(j->r->d.acache, id, &p.eab_kid, &p.eab_hmac, err,
	    sizeof(err)) < 0) {
		runner_job_report_failure(j, NULL, "urn:certfleet:error:eabUnavailable",
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
		runner_job_report_failure(j, NULL, "urn:certfleet:error:badJob", err, 0);
}
