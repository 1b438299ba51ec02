/* runner_action.c -- a ca_action job: certificate revocation, account key rollover, account deactivation; the account registered again when the CA forgot it. */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "log.h"
#include "runner_int.h"
#include "trust.h"

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

	char err[256];

	if (res->outcome == ACME_CANCELLED) {
		runner_job_free(j);
		return;
	}
	/* The CA no longer knows the account: newAccount with the same key
	 * (a new account URL at a CA that lost its data), then the action
	 * again under it, once per attempt. */
	if (runner_account_lost(res) && !j->reregistered) {
		log_warn("job %s: the CA lost account %s (%s): registering it "
		    "again before %s", j->msg->job_id, a->account_id, j->kid,
		    runner_job_action_name(a));
		j->reregistered = 1;
		runner_job_account(j, a->ca, acache_key(j->r->d.acache,
		    a->account_id, err, sizeof(err)), NULL, 0);
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
	const char *kid;

	/* What this worker learnt last beats the job's copy: it may have
	 * registered the account again after the CA lost it. */
	kid = acache_url(j->r->d.acache, a->account_id);
	runner_job_action_run(j, kid != NULL ? kid : a->account_url);
}

void
runner_job_action_run(struct job *j, const char *kid)
{
	const Certfleet__CaAction *a = j->msg->ca_action;
	struct acme_manage_params p = { 0 };
	const struct jws_key *key;
	struct acme_op *op;
	char err[512];

	if (kid != j->kid) {
		free(j->kid);
		j->kid = strdup(kid);
	}
	if (j->kid == NULL || (key = acache_key(j->r->d.acache, a->account_id,
	    err, sizeof(err))) == NULL) {
		runner_job_report_failure(j, NULL,
		    "urn:certfleet:error:accountKeyUnavailable", j->kid == NULL ?
		    "out of memory" : err, 1);
		return;
	}
	p.directory = a->ca->directory_url;
	p.ca_file = trust_file(a->ca->trust, j->r->d.ca_file);
	p.key = key;
	p.account_url = j->kid;
	switch (a->action_case) {
	case CERTFLEET__CA_ACTION__ACTION_REVOKE_CERTIFICATE:
		op = acme_revoke_start(j->r->d.engine, &p,
		    a->revoke_certificate->certificate_der.data,
		    a->revoke_certificate->certificate_der.len,
		    (int)a->revoke_certificate->reason, job_action_done, j, err,
		    sizeof(err));
		break;
	case CERTFLEET__CA_ACTION__ACTION_ROLLOVER_ACCOUNT_KEY:
		if (j->new_key == NULL && (j->new_key = acache_pending_key(
		    j->r->d.acache, a->account_id,
		    a->rollover_account_key->new_key_thumbprint, err,
		    sizeof(err))) == NULL) {
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
