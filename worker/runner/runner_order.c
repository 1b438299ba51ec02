/* runner_order.c -- an issue_order job: the ACME order or its resumption, http-01 answers or dns-01 records, the ARI window, the issued event. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "clock.h"
#include "codec.h"
#include "events.h"
#include "log.h"
#include "rediskeys.h"
#include "runner_int.h"
#include "trust.h"
#include "wmetrics.h"

#define RUNNER_ORDER_URL_MAX ACME_URL_MAX
/* A certificate chain too big for any event (EVENTS_MAX_BYTES). */
#define RUNNER_PROBLEM_TOO_LARGE "urn:certfleet:error:resultTooLarge"

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

/* 1 when url is on the same scheme, host and port as the directory: an
 * order remembered from another directory (the CA was pointed elsewhere)
 * is not resumed. */
static int
job_same_origin(const char *url, const char *directory)
{
	const char *a = strstr(url, "://"), *b = strstr(directory, "://");
	size_t na, nb;

	if (a == NULL || b == NULL)
		return 0;
	na = (size_t)(a - url) + 3 + strcspn(a + 3, "/");
	nb = (size_t)(b - directory) + 3 + strcspn(b + 3, "/");
	return na == nb && strncmp(url, directory, na) == 0;
}

static void
job_order_created(void *arg, const char *order_url)
{
	struct job *j = arg;
	char err[256];

	if (chstore_order_put(j->r->d.chstore, j->msg->job_id, order_url, err,
	    sizeof(err)) < 0)
		runner_job_log(j, LOGL_WARN, "order URL not kept in Redis: %s",
		    err);
	j->claimed = 0;		/* the URL replaced the claim */
	runner_job_order_created(j, order_url);
	runner_job_log(j, LOGL_INFO, "order %s", order_url);
}

static int
job_challenge_begin(void *arg, const char *token, const char *keyauth)
{
	struct job *j = arg;
	char err[256];

	if (chstore_http01_put(j->r->d.chstore, token, keyauth, err,
	    sizeof(err)) < 0) {
		runner_job_log(j, LOGL_WARN, "http-01 answer not published: %s",
		    err);
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
		runner_job_log(j, LOGL_WARN, "http-01 answer not withdrawn "
		    "(expires by TTL): %s", err);
}

/* dns-01: a record published by a child (hook, nsupdate) is ready, or not:
 * the order goes on or fails. */
static void
job_dns_published(void *arg, const char *name, const char *token,
    const char *txt, int ok, const char *err)
{
	struct job *j = arg;

	(void)txt;
	if (ok)
		log_info("job %s: dns-01 TXT record published at "
		    "_acme-challenge.%s (%s)", j->msg->job_id, name,
		    dns_provider_name(j->r->d.dns));
	else
		log_warn("job %s: TXT record for %s not published: %s",
		    j->msg->job_id, name, err);
	if (j->op != NULL)
		acme_order_dns01_published(j->op, token, ok, err);
}

/* dns-01: the provider publishes the TXT record, at once (challtestsrv) or
 * through a child the event loop watches. */
static int
job_dns_begin(void *arg, const char *domain, const char *token,
    const char *txt)
{
	struct job *j = arg;
	char err[512];
	int rc;

	if (j->r->d.dns == NULL) {	/* job_start refuses such jobs */
		runner_job_log(j, LOGL_WARN, "dns-01 needs a DNS provider "
		    "(CERTFLEET_DNS_PROVIDER is not set)");
		return -1;
	}
	if ((rc = dns_begin(j->r->d.dns, domain, token, txt, job_dns_published,
	    j, err, sizeof(err))) < 0) {
		runner_job_log(j, LOGL_WARN, "TXT record for %s not published: "
		    "%s", domain, err);
		return -1;
	}
	if (rc == 1)
		return ACME_DNS01_PENDING;
	runner_job_log(j, LOGL_INFO, "dns-01 TXT record published at "
	    "_acme-challenge.%s (%s)", domain, dns_provider_name(j->r->d.dns));
	return 0;
}

/* dns-01: the record is withdrawn (after its begin, if that still runs);
 * the provider logs how it went. */
static void
job_dns_end(void *arg, const char *domain, const char *token,
    const char *txt, int valid)
{
	struct job *j = arg;
	char err[512], tag[160];
	int rc;

	snprintf(tag, sizeof(tag), "job %s", j->msg->job_id);
	rc = valid ? dns_done(j->r->d.dns, domain, token, txt, tag, err,
	    sizeof(err)) : dns_failed(j->r->d.dns, domain, token, txt, tag, err,
	    sizeof(err));
	if (rc < 0)
		runner_job_log(j, LOGL_WARN, "TXT record at _acme-challenge.%s "
		    "not removed: %s", domain, err);
}

/* Drops alternates of ci (from the last) until e, which carries ci, fits
 * in an event; logs what went. Returns e's size once it fits, or the size
 * of e with the default chain alone when even that is too big. */
static size_t
job_issued_fit(const struct job *j, Certfleet__Event *e,
    Certfleet__CertificateIssued *ci)
{
	size_t size, offered = ci->n_alternate_chain_pem;

	while ((size = proto_event_size(e)) > EVENTS_MAX_BYTES &&
	    ci->n_alternate_chain_pem > 0)
		ci->n_alternate_chain_pem--;
	if (ci->n_alternate_chain_pem < offered)
		runner_job_log(j, LOGL_WARN, "%zu of %zu alternate chain(s) "
		    "dropped: with them the result would be over the events "
		    "topic's limit of %d bytes", offered -
		    ci->n_alternate_chain_pem, offered, EVENTS_MAX_BYTES);
	return size;
}

/* Reports the issued certificate, with the ARI window when ari is a DONE
 * renewalInfo result (else without), and as many alternate chains as fit
 * in an event; a default chain too big for any event is a final failure
 * (RUNNER_PROBLEM_TOO_LARGE). */
static void
job_report_issued(struct job *j, const struct acme_result *ari)
{
	struct job_issued *ji = j->issued;
	Certfleet__Event e;
	Certfleet__CertificateIssued ci = CERTFLEET__CERTIFICATE_ISSUED__INIT;
	char detail[512];
	size_t size;

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
	if ((size = job_issued_fit(j, &e, &ci)) > EVENTS_MAX_BYTES) {
		snprintf(detail, sizeof(detail), "the CA's certificate chain is "
		    "%zu bytes: a result event carries at most %d bytes (Kafka's "
		    "message.max.bytes), so the certificate of order %.200s "
		    "cannot be delivered", strlen(ji->chain), EVENTS_MAX_BYTES,
		    ji->order_url);
		runner_job_report_failure(j, NULL, RUNNER_PROBLEM_TOO_LARGE,
		    detail, 0);
		return;
	}
	runner_job_log(j, LOGL_INFO, "certificate issued (order %s)%s, %zu "
	    "bytes", ji->order_url, ci.ari_window_end_unix_ms > 0 ?
	    " with its ARI window" : "", size);
	runner_job_report(j, &e);
}

static void
job_ari_done(void *arg, const struct acme_result *res)
{
	struct job *j = arg;

	if (res->outcome == ACME_CANCELLED) {
		runner_job_log(j, LOGL_INFO, "cancelled, left to be "
		    "redelivered");
		runner_job_free(j);
		return;
	}
	if (res->outcome != ACME_DONE)
		runner_job_log(j, LOGL_INFO, "no ARI window: %s", res->error);
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
		runner_job_log(j, LOGL_ERR, "out of memory for the issued "
		    "chain: left uncommitted");
		runner_job_free(j);
		return;
	}
	if (acme_ari_certid_pem(res->chain, strlen(res->chain), certid,
	    sizeof(certid), err, sizeof(err)) < 0) {
		runner_job_log(j, LOGL_INFO, "no ARI window: %s", err);
		job_report_issued(j, NULL);
		return;
	}
	p.directory = io->ca->directory_url;
	p.ca_file = trust_file(io->ca->trust, j->r->d.ca_file);
	p.cert_id = certid;
	if (acme_ari_start(j->r->d.engine, &p, job_ari_done, j, err,
	    sizeof(err)) == NULL) {
		runner_job_log(j, LOGL_INFO, "no ARI window: %s", err);
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

	j->op = NULL;	/* gone once this returns */
	if (res->outcome == ACME_CANCELLED) {
		/* Shutdown: not committed, so redelivered and resumed elsewhere. */
		runner_job_log(j, LOGL_INFO, "cancelled, left to be "
		    "redelivered");
		runner_job_free(j);
		return;
	}
	if (!j->reregistered && (key = job_key_rolled(j, res)) != NULL) {
		runner_job_log(j, LOGL_WARN, "the CA refused the key of "
		    "account %s (%s): it was rolled over, the order goes on "
		    "with the new key", j->kid, res->problem.type);
		j->reregistered = 1;
		runner_job_order(j, key, j->kid);
		return;
	}
	/* The CA no longer knows the account: newAccount with the same key
	 * makes it again, unless another job of this worker did already. */
	if (runner_account_lost(res) && !j->reregistered &&
	    (kid = acache_url(j->r->d.acache,
	    j->msg->issue_order->account_id)) != NULL && strcmp(kid, j->kid) != 0) {
		runner_job_log(j, LOGL_INFO, "the CA lost account %s: going on "
		    "as %s", j->kid, kid);
		j->reregistered = 1;
		j->fresh = 1;
		runner_job_order(j, acache_key(j->r->d.acache,
		    j->msg->issue_order->account_id, err, sizeof(err)), kid);
		return;
	}
	if (runner_account_lost(res) && !j->reregistered) {
		runner_job_log(j, LOGL_WARN, "the CA lost account %s: "
		    "registering it again", j->kid);
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
		runner_job_log(j, LOGL_INFO, "resumed order failed (%s): "
		    "opening a new one", res->error);
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
runner_job_claim_waited(struct job *j)
{
	struct acme_wait_stats s;

	if (j->claim_since_ms == 0)
		return;
	s.directory = j->msg->issue_order->ca->directory_url;
	s.reason = ACME_WAIT_CLAIM;
	s.seconds = (double)(clock_mono_ms() - j->claim_since_ms) / 1000.0;
	wmetrics_acme_wait(NULL, &s);
	j->claim_since_ms = 0;
}

/*
 * Claims j's order before opening one (challenge_store.h): fills resume
 * with the URL of an order that exists already, or leaves it empty for a
 * new order, claimed (or Redis is down: opened unclaimed, as before
 * claims). Returns -1 when another worker holds the claim: j then waits
 * (runner_tick looks again every RUNNER_CLAIM_WAIT_MS; a worker that died
 * holding it lets go after REDISKEYS_ORDER_CLAIM_TTL).
 */
static int
job_claim(struct job *j, char *resume, size_t len)
{
	char err[256];

	switch (chstore_order_claim(j->r->d.chstore, j->msg->job_id,
	    j->r->d.worker_id, resume, len, err, sizeof(err))) {
	case CHSTORE_CLAIMED:
		runner_job_claim_waited(j);
		j->claimed = 1;
		return 0;
	case CHSTORE_RESUME:
		runner_job_claim_waited(j);
		return 0;
	case CHSTORE_BUSY:
		if (j->claim_waits++ == 0)
			runner_job_log(j, LOGL_INFO, "its order is being opened "
			    "by worker %s: waiting for it (at most %d s)", resume,
			    REDISKEYS_ORDER_CLAIM_TTL);
		if (j->claim_since_ms == 0)
			j->claim_since_ms = clock_mono_ms();
		resume[0] = '\0';
		j->claim_wait_ms = clock_mono_ms() + RUNNER_CLAIM_WAIT_MS;
		return -1;
	default:
		runner_job_claim_waited(j);
		runner_job_log(j, LOGL_WARN, "no resume lookup (%s): a new "
		    "order is opened", err);
		resume[0] = '\0';
		return 0;
	}
}

void
runner_job_order_again(struct job *j)
{
	char err[256];

	runner_job_order(j, acache_key(j->r->d.acache,
	    j->msg->issue_order->account_id, err, sizeof(err)), j->kid);
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
	else if (job_claim(j, resume, sizeof(resume)) < 0)
		return;		/* another worker opens it: wait */
	if (resume[0] != '\0' && !job_same_origin(resume, io->ca->directory_url)) {
		runner_job_log(j, LOGL_INFO, "order %s is not at %s: a new order "
		    "is opened", resume, io->ca->directory_url);
		resume[0] = '\0';
	}
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
		runner_job_log(j, LOGL_INFO, "resuming order %s", p.order_url);
	if ((j->op = acme_order_start(j->r->d.engine, &p, &cb, err,
	    sizeof(err))) == NULL)
		runner_job_report_failure(j, NULL, "urn:certfleet:error:badJob", err, 0);
}
