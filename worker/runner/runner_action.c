/* runner_action.c -- a ca_action job: certificate revocation, account key rollover, account deactivation. */
#include <stddef.h>

#include "codec.h"
#include "log.h"
#include "runner_int.h"

const char *
runner_job_action_name(const Certfleet__CaAction *a)
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
		runner_job_free(j);
		return;
	}
	if (res->outcome != ACME_DONE) {
		runner_job_report_failure(j, res, NULL, NULL, 0);
		return;
	}
	if (a->action_case == CERTFLEET__CA_ACTION__ACTION_ROLLOVER_ACCOUNT_KEY) {
		/* From now on this worker signs with the new key; the others
		 * fetch it again when the CA refuses the old one. */
		acache_set_key(j->r->d.acache, a->account_id, j->new_key);
		j->new_key = NULL;
	}
	runner_job_event_init(j, &e);
	d.action = (char *)runner_job_action_name(a);
	d.account_id = a->account_id;
	d.already_revoked = res->already_revoked;
	e.kind_case = CERTFLEET__EVENT__KIND_CA_ACTION_DONE;
	e.ca_action_done = &d;
	runner_job_log(j, LOGL_INFO, "%s done%s", d.action, d.already_revoked ?
	    " (it was already revoked)" : "");
	runner_job_report(j, &e);
}

void
runner_job_action(struct job *j)
{
	const Certfleet__CaAction *a = j->msg->ca_action;
	struct acme_manage_params p = { 0 };
	const struct jws_key *key;
	struct acme_op *op;
	char err[512];

	if ((key = acache_key(j->r->d.acache, a->account_id, err,
	    sizeof(err))) == NULL) {
		runner_job_report_failure(j, NULL,
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
		if ((j->new_key = acache_pending_key(j->r->d.acache,
		    a->account_id, a->rollover_account_key->new_key_thumbprint,
		    err, sizeof(err))) == NULL) {
			runner_job_report_failure(j, NULL,
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
		runner_job_report_failure(j, NULL, "urn:certfleet:error:badJob", err, 0);
}
