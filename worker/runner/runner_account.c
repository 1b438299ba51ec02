/* runner_account.c -- account registration for a register_account job or before an order, with the External Account Binding the CA may want. */
#include <stddef.h>

#include "codec.h"
#include "log.h"
#include "runner_int.h"
#include "trust.h"

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
		runner_job_free(j);
		return;
	}
	if (res->outcome != ACME_DONE) {
		runner_job_report_failure(j, res, NULL, NULL, 0);
		return;
	}
	id = j->msg->kind_case == CERTFLEET__JOB__KIND_ISSUE_ORDER ?
	    j->msg->issue_order->account_id : j->msg->register_account->account_id;
	if (acache_set_url(j->r->d.acache, id, res->account_url) < 0)
		runner_job_log(j, LOGL_WARN, "account URL not cached (no "
		    "memory)");
	if (j->msg->kind_case == CERTFLEET__JOB__KIND_ISSUE_ORDER) {
		runner_job_order(j, acache_key(j->r->d.acache, id, err, sizeof(err)),
		    res->account_url);
		return;
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

	/* A CA that wants an External Account Binding gets the one the
	 * coordinator holds for this account (none: a plain newAccount). */
	id = j->msg->kind_case == CERTFLEET__JOB__KIND_ISSUE_ORDER ?
	    j->msg->issue_order->account_id : j->msg->register_account->account_id;
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
