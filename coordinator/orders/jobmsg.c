/* jobmsg.c -- fills and packs Job messages for the outbox; the only place the coordinator builds one. */
#include "jobmsg.h"

#include <stdint.h>

#include <stdio.h>

#include "codec.h"
#include "hostname.h"

void *
jobmsg_issue_encode(const struct jobmsg_issue *ji, size_t *len)
{
	Certfleet__Job job = CERTFLEET__JOB__INIT;
	Certfleet__IssueOrder io = CERTFLEET__ISSUE_ORDER__INIT;
	Certfleet__CaRef ca = CERTFLEET__CA_REF__INIT;

	ca.name = (char *)(uintptr_t)ji->ca_name;
	ca.directory_url = (char *)(uintptr_t)ji->directory_url;
	ca.trust = (char *)(uintptr_t)(ji->trust != NULL ? ji->trust : "");
	io.ca = &ca;
	io.account_id = (char *)(uintptr_t)ji->account_id;
	io.account_url = (char *)(uintptr_t)(ji->account_url != NULL ?
	    ji->account_url : "");
	io.certificate_id = (char *)(uintptr_t)ji->certificate_id;
	io.n_identifiers = ji->nnames;
	io.identifiers = (char **)(uintptr_t)ji->names;
	io.csr_der.data = (uint8_t *)(uintptr_t)ji->csr;
	io.csr_der.len = ji->csrlen;
	io.challenge_type = (char *)(uintptr_t)(ji->challenge_type != NULL ?
	    ji->challenge_type : "http-01");
	io.order_url = (char *)(uintptr_t)(ji->order_url != NULL ?
	    ji->order_url : "");
	io.replaces = (char *)(uintptr_t)(ji->replaces != NULL ?
	    ji->replaces : "");
	io.profile = (char *)(uintptr_t)(ji->profile != NULL ?
	    ji->profile : "");
	job.schema_version = PROTO_SCHEMA_VERSION;
	job.job_id = (char *)(uintptr_t)ji->job_id;
	job.attempt = ji->attempt;
	job.trace_id = (char *)(uintptr_t)ji->trace_id;
	job.kind_case = CERTFLEET__JOB__KIND_ISSUE_ORDER;
	job.issue_order = &io;
	return proto_job_encode(&job, len);
}

void *
jobmsg_register_encode(const char *job_id, uint32_t attempt,
    const char *trace_id, const char *ca_name, const char *directory_url,
    const char *trust, const char *account_id, const char *contact,
    size_t *len)
{
	Certfleet__Job job = CERTFLEET__JOB__INIT;
	Certfleet__RegisterAccount ra = CERTFLEET__REGISTER_ACCOUNT__INIT;
	Certfleet__CaRef ca = CERTFLEET__CA_REF__INIT;
	char *contacts[1];

	ca.name = (char *)(uintptr_t)ca_name;
	ca.directory_url = (char *)(uintptr_t)directory_url;
	ca.trust = (char *)(uintptr_t)(trust != NULL ? trust : "");
	ra.ca = &ca;
	ra.account_id = (char *)(uintptr_t)account_id;
	if (contact != NULL) {
		contacts[0] = (char *)(uintptr_t)contact;
		ra.contact = contacts;
		ra.n_contact = 1;
	}
	ra.terms_of_service_agreed = 1;
	job.schema_version = PROTO_SCHEMA_VERSION;
	job.job_id = (char *)(uintptr_t)job_id;
	job.attempt = attempt;
	job.trace_id = (char *)(uintptr_t)trace_id;
	job.kind_case = CERTFLEET__JOB__KIND_REGISTER_ACCOUNT;
	job.register_account = &ra;
	return proto_job_encode(&job, len);
}

void *
jobmsg_action_encode(const struct jobmsg_action *ja, size_t *len)
{
	Certfleet__Job job = CERTFLEET__JOB__INIT;
	Certfleet__CaAction a = CERTFLEET__CA_ACTION__INIT;
	Certfleet__CaRef ca = CERTFLEET__CA_REF__INIT;
	Certfleet__RevokeCertificate rc = CERTFLEET__REVOKE_CERTIFICATE__INIT;
	Certfleet__RolloverAccountKey ro = CERTFLEET__ROLLOVER_ACCOUNT_KEY__INIT;
	Certfleet__DeactivateAccount da = CERTFLEET__DEACTIVATE_ACCOUNT__INIT;

	ca.name = (char *)(uintptr_t)ja->ca_name;
	ca.directory_url = (char *)(uintptr_t)ja->directory_url;
	ca.trust = (char *)(uintptr_t)(ja->trust != NULL ? ja->trust : "");
	a.ca = &ca;
	a.account_id = (char *)(uintptr_t)ja->account_id;
	a.account_url = (char *)(uintptr_t)ja->account_url;
	switch (ja->kind) {
	case JOBMSG_ACTION_REVOKE:
		rc.certificate_id = (char *)(uintptr_t)ja->certificate_id;
		rc.certificate_der.data = (uint8_t *)(uintptr_t)ja->cert_der;
		rc.certificate_der.len = ja->cert_len;
		rc.reason = ja->reason;
		a.action_case = CERTFLEET__CA_ACTION__ACTION_REVOKE_CERTIFICATE;
		a.revoke_certificate = &rc;
		break;
	case JOBMSG_ACTION_ROLLOVER:
		ro.new_key_thumbprint = (char *)(uintptr_t)ja->new_key_thumbprint;
		a.action_case = CERTFLEET__CA_ACTION__ACTION_ROLLOVER_ACCOUNT_KEY;
		a.rollover_account_key = &ro;
		break;
	case JOBMSG_ACTION_DEACTIVATE:
		a.action_case = CERTFLEET__CA_ACTION__ACTION_DEACTIVATE_ACCOUNT;
		a.deactivate_account = &da;
		break;
	}
	job.schema_version = PROTO_SCHEMA_VERSION;
	job.job_id = (char *)(uintptr_t)ja->job_id;
	job.attempt = ja->attempt;
	job.trace_id = (char *)(uintptr_t)ja->trace_id;
	job.kind_case = CERTFLEET__JOB__KIND_CA_ACTION;
	job.ca_action = &a;
	return proto_job_encode(&job, len);
}

void
jobmsg_kafka_key(const char *name, char *out, size_t outlen)
{
	if (hostname_registered_domain(name, out, outlen) < 0)
		snprintf(out, outlen, "%s", name);
}
