/* runner_order.c -- an issue_order job: the ACME order or its resumption, http-01 answers or dns-01 records, the ARI window, the issued event. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "codec.h"
#include "log.h"
#include "runner_int.h"
#include "trust.h"

#define RUNNER_ORDER_URL_MAX ACME_URL_MAX

/* An issued certificate held back while its renewalInfo is fetched (the
 * engine's result strings live only during done()). */
struct job_issued {
	char	*order_url;
	char	*chain;
	char	*alts[ACME_ALT_MAX];
	size_t	 nalt;
};

void
runner_job_issued_free(struct job_issued *ji)
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
	runner_job_issued_free(ji);
	return NULL;
}

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
	    (old = acache_key(j->r->d.acache, id, err, sizeof(err))) == NULL)
		return NULL;
	a = jws_thumbprint(old);
	acache_forget(j->r->d.acache, id);
	if ((key = acache_key(j->r->d.acache, id, err, sizeof(err))) != NULL)
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

	if (chstore_order_put(j->r->d.chstore, j->msg->job_id, order_url, err,
	    sizeof(err)) < 0)
		log_warn("job %s: order URL not kept in Redis: %s", j->msg->job_id, err);
	runner_job_event_init(j, &e);
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

	if (chstore_http01_put(j->r->d.chstore, token, keyauth, err,
	    sizeof(err)) < 0) {
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

	if (chstore_http01_del(j->r->d.chstore, token, err, sizeof(err)) < 0)
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

	runner_job_event_init(j, &e);
	ci.order_url = ji->order_url;
	ci.fullchain_pem = ji->chain;
	ci.alternate_chain_pem = ji->alts;
	ci.n_alternate_chain_pem = ji->nalt;
	if (ari != NULL && ari->outcome == ACME_DONE) {
		ci.ari_window_start_unix_ms = (int64_t)ari->window_start * 1000;
		ci.ari_window_end_unix_ms = (int64_t)ari->window_end * 1000;
		ci.ari_explanation_url = (char *)(ari->explanation_url != NULL ?
		    ari->explanation_url : "");
		ci.ari_next_unix_ms = (int64_t)ari->ari_next * 1000;
	}
	e.kind_case = CERTFLEET__EVENT__KIND_CERTIFICATE_ISSUED;
	e.certificate_issued = &ci;
	log_info("job %s attempt %u trace %s: certificate issued (order %s)%s",
	    j->msg->job_id, j->msg->attempt, j->msg->trace_id, ji->order_url,
	    ci.ari_window_end_unix_ms > 0 ? " with its ARI window" : "");
	runner_job_report(j, &e);
}

static void
job_ari_done(void *arg, const struct acme_result *res)
{
	struct job *j = arg;

	if (res->outcome == ACME_CANCELLED) {
		log_info("job %s: cancelled, left to be redelivered", j->msg->job_id);
		runner_job_free(j);
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
		runner_job_free(j);
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
	const char *kid;
	char err[256];

	if (res->outcome == ACME_CANCELLED) {
		/* Shutdown: not committed, so redelivered and resumed elsewhere. */
		log_info("job %s: cancelled, left to be redelivered", j->msg->job_id);
		runner_job_free(j);
		return;
	}
	if (!j->reregistered && (key = job_key_rolled(j, res)) != NULL) {
		log_warn("job %s: the CA refused the key of account %s (%s): it "
		    "was rolled over, the order goes on with the new key",
		    j->msg->job_id, j->kid, res->problem.type);
		j->reregistered = 1;
		runner_job_order(j, key, j->kid);
		return;
	}
	if (job_account_lost(res) && !j->reregistered &&
	    (kid = acache_url(j->r->d.acache,
	    j->msg->issue_order->account_id)) != NULL && strcmp(kid, j->kid) != 0) {
		/* another job of this worker registered it again already */
		log_info("job %s: the CA lost account %s: going on as %s",
		    j->msg->job_id, j->kid, kid);
		j->reregistered = 1;
		j->fresh = 1;
		runner_job_order(j, acache_key(j->r->d.acache,
		    j->msg->issue_order->account_id, err, sizeof(err)), kid);
		return;
	}
	if (job_account_lost(res) && !j->reregistered) {
		log_warn("job %s: the CA lost account %s: registering it again",
		    j->msg->job_id, j->kid);
		j->reregistered = 1;
		j->fresh = 1;	/* orders of the lost account are gone too */
		runner_job_account(j, j->msg->issue_order->ca,
		    acache_key(j->r->d.acache,
		    j->msg->issue_order->account_id, err, sizeof(err)), NULL, 0);
		return;
	}
	if (res->outcome == ACME_FAILED && j->resumed && !j->fresh) {
		/* The earlier order is invalid or gone: open one new order,
		 * once. */
		log_info("job %s: resumed order failed (%s): opening a new one",
		    j->msg->job_id, res->error);
		j->fresh = 1;
		runner_job_order(j, acache_key(j->r->d.acache,
		    j->msg->issue_order->account_id, err, sizeof(err)), j->kid);
		return;
	}
	if (res->outcome != ACME_DONE) {
		runner_job_report_failure(j, res, NULL, NULL, 0);
		return;
	}
	job_issued(j, res);
}

void
runner_job_order(struct job *j, const struct jws_key *key, const char *kid)
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
		runner_job_report_failure(j, NULL, "urn:certfleet:error:worker",
		    "account key unavailable or out of memory", 1);
		return;
	}
	if (strcmp(io->challenge_type, "dns-01") == 0 && j->r->d.dns == NULL) {
		/* a configuration error: no order is opened, and retrying
		 * cannot help until the workers are configured */
		runner_job_report_failure(j, NULL, PROTO_PROBLEM_CONFIG,
		    "dns-01 needs a DNS provider on the workers: set "
		    "CERTFLEET_DNS_PROVIDER (challtestsrv, hook or rfc2136, see "
		    "certfleet-worker --help), then retry the certificate "
		    "(certfleetctl retry ID)", 0);
		return;
	}
	resume[0] = '\0';
	if (j->fresh)
		;	/* the earlier order failed: never resume it again */
	else if (io->order_url[0] != '\0')
		snprintf(resume, sizeof(resume), "%s", io->order_url);
	else if (chstore_order_get(j->r->d.chstore, j->msg->job_id, resume,
	    sizeof(resume), err, sizeof(err)) < 0)
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
		runner_job_report_failure(j, NULL, "urn:certfleet:error:badJob", err, 0);
}
