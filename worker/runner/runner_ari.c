/* runner_ari.c -- an ari_check job: renewalInfo of an issued certificate fetched again (RFC 9773 section 4.3), reported as ari_window. */
#include <stddef.h>

#include "codec.h"
#include "log.h"
#include "runner_int.h"
#include "trust.h"

static void
job_ari_check_done(void *arg, const struct acme_result *res)
{
	struct job *j = arg;
	const Certfleet__AriCheck *a = j->msg->ari_check;
	Certfleet__Event e;
	Certfleet__AriWindow w = CERTFLEET__ARI_WINDOW__INIT;

	if (res->outcome == ACME_CANCELLED) {
		runner_job_log(j, LOGL_INFO, "cancelled, left to be "
		    "redelivered");
		runner_job_free(j);
		return;
	}
	if (res->outcome != ACME_DONE) {
		runner_job_report_failure(j, res, NULL, NULL, 0);
		return;
	}
	runner_job_event_init(j, &e);
	w.issued_certificate_id = a->issued_certificate_id;
	w.window_start_unix_ms = (int64_t)res->window_start * 1000;
	w.window_end_unix_ms = (int64_t)res->window_end * 1000;
	w.explanation_url = (char *)(res->explanation_url != NULL ?
	    res->explanation_url : "");
	w.next_check_unix_ms = (int64_t)res->ari_next * 1000;
	e.kind_case = CERTFLEET__EVENT__KIND_ARI_WINDOW;
	e.ari_window = &w;
	runner_job_log(j, LOGL_INFO, "ari_check of %s: window %lld-%lld, next "
	    "check at %lld", a->issued_certificate_id,
	    (long long)res->window_start, (long long)res->window_end,
	    (long long)res->ari_next);
	runner_job_report(j, &e);
}

void
runner_job_ari_check(struct job *j)
{
	const Certfleet__AriCheck *a = j->msg->ari_check;
	struct acme_ari_params p = { 0 };
	char err[256];

	p.directory = a->ca->directory_url;
	p.ca_file = trust_file(a->ca->trust, j->r->d.ca_file);
	p.cert_id = a->cert_id;
	if (acme_ari_start(j->r->d.engine, &p, job_ari_check_done, j, err,
	    sizeof(err)) == NULL)
		runner_job_report_failure(j, NULL, "urn:certfleet:error:badJob",
		    err, 0);
}
