/* results.c -- result consumer: events from workers applied once each, in one transaction, or dead-lettered. */
#include "results.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <openssl/rand.h>

#include "accounts.h"
#include "acme.h"
#include "actions.h"
#include "certinfo.h"
#include "chains.h"
#include "codec.h"
#include "db.h"
#include "fallback.h"
#include "ids.h"
#include "jobs.h"
#include "kafkaconn.h"
#include "ratelimits.h"
#include "log.h"
#include "outbox.h"
#include "pem.h"
#include "publish.h"

#define RESULTS_DLQ_WAIT_MS 30000
#define RESULTS_PROBLEM_MISMATCH "urn:certfleet:error:certificateMismatch"
#define RESULTS_PROBLEM_BADCERT "urn:certfleet:error:badCertificate"

rd_kafka_t *
results_consumer_new(const char *bootstrap, char *err, size_t errlen)
{
	rd_kafka_conf_t *conf;
	rd_kafka_topic_partition_list_t *topics = NULL;
	rd_kafka_t *rk;
	char e[512];

	if ((conf = kafkaconn_conf(bootstrap, "certfleet-coordinator", err,
	    errlen)) == NULL)
		return NULL;
	if (kafkaconn_set(conf, "group.id", RESULTS_GROUP, err, errlen) < 0 ||
	    kafkaconn_set(conf, "enable.auto.commit", "false", err, errlen) < 0 ||
	    kafkaconn_set(conf, "auto.offset.reset", "earliest", err,
	    errlen) < 0) {
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	if ((rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof(e))) == NULL) {
		snprintf(err, errlen, "consumer: %s", e);
		rd_kafka_conf_destroy(conf);
		return NULL;
	}
	rd_kafka_poll_set_consumer(rk);
	topics = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(topics, kafkaconn_topic_events(),
	    RD_KAFKA_PARTITION_UA);
	if (rd_kafka_subscribe(rk, topics) != RD_KAFKA_RESP_ERR_NO_ERROR) {
		snprintf(err, errlen, "consumer: cannot subscribe to %s",
		    kafkaconn_topic_events());
		rd_kafka_topic_partition_list_destroy(topics);
		rd_kafka_destroy(rk);
		return NULL;
	}
	rd_kafka_topic_partition_list_destroy(topics);
	return rk;
}

/* The order an event is about, locked with its certificate. */
struct results_order {
	PGresult	*r;
	const char	*status;
	unsigned	 attempt;
	const char	*certificate;
	const char	*private_key;
	const char	*order_url;
	const char	*trace_id;
	const char	*cert_status;
	char		**names;
	size_t		 nnames;
};

static void
results_order_free(struct results_order *o)
{
	db_array_free(o->names, o->nnames);
	PQclear(o->r);
	memset(o, 0, sizeof(*o));
}

/* Returns 1 when found, 0 when the job is no order, -1 on error. */
static int
results_order_get(PGconn *c, const char *job_id, struct results_order *o,
    char *err, size_t errlen)
{
	memset(o, 0, sizeof(*o));
	if ((o->r = db_query(c, "results order", "SELECT o.status, o.attempt, "
	    "o.certificate, o.private_key, coalesce(o.order_url, ''), o.trace_id, "
	    "c.status, hs.names FROM orders o JOIN certificates c ON "
	    "c.id = o.certificate JOIN hostname_sets hs ON hs.id = c.hostname_set "
	    "WHERE o.id = $1 FOR UPDATE OF o, c", 1, &job_id, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	if (PQntuples(o->r) == 0) {
		PQclear(o->r);	/* the caller frees o only when found */
		o->r = NULL;
		return 0;
	}
	o->status = PQgetvalue(o->r, 0, 0);
	o->attempt = (unsigned)atoi(PQgetvalue(o->r, 0, 1));
	o->certificate = PQgetvalue(o->r, 0, 2);
	o->private_key = PQgetvalue(o->r, 0, 3);
	o->order_url = PQgetvalue(o->r, 0, 4);
	o->trace_id = PQgetvalue(o->r, 0, 5);
	o->cert_status = PQgetvalue(o->r, 0, 6);
	if ((o->names = db_array_parse(PQgetvalue(o->r, 0, 7), &o->nnames)) ==
	    NULL) {
		snprintf(err, errlen, "results: bad hostname set of %s", job_id);
		return -1;
	}
	return 1;
}

static json_t *
results_subproblems(const Certfleet__Problem *p)
{
	json_t *a = json_array(), *o;
	size_t i;

	for (i = 0; a != NULL && i < p->n_subproblems; i++) {
		const Certfleet__Problem *s = p->subproblems[i];

		o = json_pack("{s:s, s:s, s:i, s:s}", "type", s->type, "detail",
		    s->detail, "status", s->status, "identifier", s->identifier);
		if (o != NULL)
			json_array_append_new(a, o);
	}
	return a;
}

/* Records a problem for job_id and as the certificate's last problem. */
static int
results_problem(PGconn *c, const char *job_id, unsigned attempt,
    const char *certificate, const char *type, const char *detail,
    int status, const Certfleet__Problem *p, char *err, size_t errlen)
{
	char att[16], st[16], *sub = NULL;
	const char *v[6];
	json_t *a = NULL;
	int rc = -1;

	if (p != NULL && (a = results_subproblems(p)) != NULL)
		sub = json_dumps(a, JSON_COMPACT);
	snprintf(att, sizeof(att), "%u", attempt);
	snprintf(st, sizeof(st), "%d", status);
	v[0] = job_id;
	v[1] = att;
	v[2] = type;
	v[3] = detail;
	v[4] = status != 0 ? st : NULL;
	v[5] = sub != NULL ? sub : "[]";
	if (db_exec(c, "results problem", "INSERT INTO acme_problems (job_id, "
	    "attempt, type, detail, status, subproblems) VALUES ($1, $2, $3, $4, "
	    "$5, $6::jsonb)", 6, v, NULL, NULL, err, errlen) < 0)
		goto out;
	if (certificate != NULL) {
		if (db_exec(c, "results last problem", "UPDATE certificates SET "
		    "last_problem_type = $2, last_problem_detail = $3, updated_at = "
		    "now() WHERE id = $1", 3, (const char *[]){ certificate, type,
		    detail }, NULL, NULL, err, errlen) < 0)
			goto out;
	}
	rc = 0;
out:
	free(sub);
	json_decref(a);
	return rc;
}

/* The order failed for good; its certificate too (unless already issued),
 * except when a fallback CA takes over with a new order (fallback.c). */
static int
results_order_failed(PGconn *c, const char *job_id,
    const struct results_order *o, char *err, size_t errlen)
{
	int next;

	if (db_exec(c, "results order failed", "UPDATE orders SET status = "
	    "'failed', updated_at = now() WHERE id = $1", 1, &job_id, NULL, NULL,
	    err, errlen) < 0 ||
	    (next = fallback_next(c, job_id, err, errlen)) < 0)
		return -1;
	if (next > 0)
		return 0;
	if (db_exec(c, "results certificate failed", "UPDATE certificates SET "
	    "status = 'failed', updated_at = now() WHERE id = $1 AND status = "
	    "'pending'", 1, &o->certificate, NULL, NULL, err, errlen) < 0)
		return -1;
	return 0;
}

/* Queues attempt `attempt` of issue order job_id after delay_s seconds,
 * carrying order_url, and moves the order back to status. */
static int
results_requeue(PGconn *c, const char *job_id, const struct results_order *o,
    unsigned attempt, const char *order_url, double delay_s,
    const char *status, char *err, size_t errlen)
{
	PGresult *r;
	struct jobs_issue ji;
	unsigned char *csr = NULL;
	char att[16], delay[32], domain[256];
	const char *v[5];
	void *payload = NULL;
	size_t plen;
	int rc = -1;

	if ((r = db_query(c, "results requeue", "SELECT o.csr_der, ca.name, "
	    "ca.directory_url, a.id, coalesce(a.account_url, ''), ca.trust, "
	    "c.challenge, coalesce(o.replaces, ''), coalesce(c.profile, '') FROM "
	    "orders o JOIN certificates c ON c.id = o.certificate JOIN cas ca ON "
	    "ca.name = coalesce(o.ca, c.ca) JOIN acme_accounts a ON a.ca = "
	    "ca.name WHERE o.id = $1",
	    1, &job_id, NULL, NULL, err, errlen)) == NULL)
		return -1;
	if (PQntuples(r) != 1) {
		snprintf(err, errlen, "results: order %s has no CA account", job_id);
		goto out;
	}
	memset(&ji, 0, sizeof(ji));
	if ((csr = db_bytea(r, 0, 0, &ji.csrlen)) == NULL) {
		snprintf(err, errlen, "results: bad CSR of %s", job_id);
		goto out;
	}
	ji.job_id = job_id;
	ji.attempt = attempt;
	ji.trace_id = o->trace_id;
	ji.ca_name = PQgetvalue(r, 0, 1);
	ji.directory_url = PQgetvalue(r, 0, 2);
	ji.trust = PQgetvalue(r, 0, 5);
	ji.account_id = PQgetvalue(r, 0, 3);
	ji.account_url = PQgetvalue(r, 0, 4);
	ji.certificate_id = o->certificate;
	ji.names = o->names;
	ji.nnames = o->nnames;
	ji.csr = csr;
	ji.order_url = order_url;
	ji.challenge_type = PQgetvalue(r, 0, 6);
	ji.replaces = PQgetvalue(r, 0, 7);
	ji.profile = PQgetvalue(r, 0, 8);
	if ((payload = jobs_issue_encode(&ji, &plen)) == NULL) {
		snprintf(err, errlen, "results: job does not encode");
		goto out;
	}
	jobs_kafka_key(o->names[0], domain, sizeof(domain));
	snprintf(att, sizeof(att), "%u", attempt);
	snprintf(delay, sizeof(delay), "%.3f", delay_s);
	v[0] = job_id;
	v[1] = att;
	v[2] = status;
	v[3] = order_url != NULL ? order_url : "";
	v[4] = delay;
	if (outbox_add(c, kafkaconn_topic_jobs(), domain, payload, plen, job_id,
	    attempt, delay_s, err, errlen) < 0 ||
	    db_exec(c, "results order requeued", "UPDATE orders SET attempt = $2, "
	    "status = $3, order_url = nullif($4, ''), not_before = now() + "
	    "make_interval(secs => $5::float8), updated_at = now() WHERE id = $1",
	    5, v, NULL, NULL, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	free(payload);
	free(csr);
	PQclear(r);
	return rc;
}

/* renew_at: notBefore + 2/3 of the lifetime, +- RESULTS_RENEW_JITTER of it. */
static double
results_renew_at(const struct certinfo *ci)
{
	double life = difftime(ci->not_after, ci->not_before), u;
	uint32_t rnd;

	if (RAND_bytes((unsigned char *)&rnd, sizeof(rnd)) != 1)
		rnd = 0x80000000u;
	u = (double)rnd / 4294967295.0 * 2.0 - 1.0;	/* [-1, 1] */
	return (double)ci->not_before + life * 2.0 / 3.0 +
	    u * RESULTS_RENEW_JITTER * life;
}

/* renew_at inside the CA's ARI window (RFC 9773 section 4.2: a uniformly
 * random moment in it), or the 2/3 rule when the CA gave none. */
static double
results_renew_at_ari(const Certfleet__CertificateIssued *ev,
    const struct certinfo *ci)
{
	uint32_t rnd;

	if (ev->ari_window_end_unix_ms <= ev->ari_window_start_unix_ms ||
	    ev->ari_window_start_unix_ms <= 0)
		return results_renew_at(ci);
	if (RAND_bytes((unsigned char *)&rnd, sizeof(rnd)) != 1)
		rnd = 0x80000000u;
	return (double)acme_ari_pick((time_t)(ev->ari_window_start_unix_ms / 1000),
	    (time_t)(ev->ari_window_end_unix_ms / 1000),
	    (double)rnd / 4294967296.0);
}

/* Stores the ARI CertID (from the leaf) and the CA's window of issued
 * certificate icid. */
static int
results_ari_store(PGconn *c, const char *icid, const char *leaf,
    const Certfleet__CertificateIssued *ev, char *err, size_t errlen)
{
	char certid[ACME_CERTID_MAX], ws[32], we[32], why[128];
	const char *v[5];

	if (acme_ari_certid_pem(leaf, strlen(leaf), certid, sizeof(certid), why,
	    sizeof(why)) < 0)
		certid[0] = '\0';	/* no AKI: no ARI for this certificate */
	ws[0] = we[0] = '\0';
	if (ev->ari_window_start_unix_ms > 0 &&
	    ev->ari_window_end_unix_ms > ev->ari_window_start_unix_ms) {
		snprintf(ws, sizeof(ws), "%.3f",
		    (double)ev->ari_window_start_unix_ms / 1000.0);
		snprintf(we, sizeof(we), "%.3f",
		    (double)ev->ari_window_end_unix_ms / 1000.0);
	}
	v[0] = icid;
	v[1] = certid;
	v[2] = ws;
	v[3] = we;
	v[4] = ev->ari_explanation_url;
	return db_exec(c, "results ari", "UPDATE issued_certificates SET "
	    "ari_cert_id = nullif($2, ''), ari_window_start = "
	    "to_timestamp(nullif($3, '')::float8), ari_window_end = "
	    "to_timestamp(nullif($4, '')::float8), ari_explanation_url = "
	    "nullif($5, '') WHERE id = $1", 5, v, NULL, NULL, err, errlen) < 0 ?
	    -1 : 0;
}

/* A certificate the CA issued that is not what we asked for: a problem,
 * the order failed, nothing stored. */
static enum results_outcome
results_reject_cert(PGconn *c, const Certfleet__Event *e,
    const struct results_order *o, const char *type, const char *detail,
    char *err, size_t errlen)
{
	if (results_problem(c, e->job_id, e->attempt, o->certificate, type,
	    detail, 0, NULL, err, errlen) < 0 ||
	    results_order_failed(c, e->job_id, o, err, errlen) < 0)
		return RESULTS_RETRY;
	log_warn("job %s attempt %u trace %s: certificate rejected: %s",
	    e->job_id, e->attempt, e->trace_id, detail);
	snprintf(err, errlen, "%s", detail);
	return RESULTS_REJECTED;
}

static enum results_outcome
results_issued(PGconn *c, const struct settings *s, const Certfleet__Event *e,
    const struct results_order *o, char *err, size_t errlen)
{
	const Certfleet__CertificateIssued *ci_ev = e->certificate_issued;
	struct certinfo ci = { 0 };
	struct chains ch = { 0 };
	size_t served;
	PGresult *r = NULL, *pr = NULL;
	unsigned char *spki = NULL;
	size_t spkilen = 0;
	char *leaf = NULL, *rest = NULL, *sans = NULL, why[256];
	char icid[IDS_LEN + 1], nb[32], na[32], renew[32];
	const char *v[11];
	enum results_outcome out = RESULTS_RETRY;

	if (strcmp(o->status, "valid") == 0)
		return RESULTS_IGNORED;
	if (pem_chain_split(ci_ev->fullchain_pem, strlen(ci_ev->fullchain_pem),
	    &leaf, &rest, why, sizeof(why)) < 0 ||
	    certinfo_parse(leaf, strlen(leaf), &ci, why, sizeof(why)) < 0) {
		char detail[400];

		snprintf(detail, sizeof(detail), "the CA's chain is unusable: %s",
		    why);
		out = results_reject_cert(c, e, o, RESULTS_PROBLEM_BADCERT, detail,
		    err, errlen);
		goto out;
	}
	if ((r = db_query(c, "results public key", "SELECT public_key_der FROM "
	    "private_keys WHERE id = $1", 1, &o->private_key, NULL, NULL, err,
	    errlen)) == NULL || PQntuples(r) != 1 ||
	    (spki = db_bytea(r, 0, 0, &spkilen)) == NULL)
		goto out;
	if (!certinfo_key_matches(&ci, spki, spkilen)) {
		out = results_reject_cert(c, e, o, RESULTS_PROBLEM_MISMATCH,
		    "the issued certificate is for another public key than the "
		    "order's private key", err, errlen);
		goto out;
	}
	if (!certinfo_sans_equal(&ci, o->names, o->nnames)) {
		out = results_reject_cert(c, e, o, RESULTS_PROBLEM_MISMATCH,
		    "the issued certificate's names differ from the requested "
		    "hostname set", err, errlen);
		goto out;
	}
	if (ids_new(icid) < 0 ||
	    (sans = db_array_literal(ci.sans, ci.nsans)) == NULL) {
		snprintf(err, errlen, "results: out of memory");
		goto out;
	}
	/* Every chain offered is kept; the preferred one is served. */
	if (chains_parse(ci_ev->fullchain_pem, ci_ev->alternate_chain_pem,
	    ci_ev->n_alternate_chain_pem, &ch, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "results: chains of %s: %s", e->job_id, why);
		goto out;
	}
	if ((pr = db_query(c, "results preferred chain", "SELECT "
	    "coalesce(preferred_chain, '') FROM certificates WHERE id = $1", 1,
	    &o->certificate, NULL, NULL, err, errlen)) == NULL ||
	    PQntuples(pr) != 1)
		goto out;
	served = chains_select(&ch, PQgetvalue(pr, 0, 0)[0] != '\0' ?
	    PQgetvalue(pr, 0, 0) : s->preferred_chain);
	free(rest);
	if ((rest = strdup(ch.e[served].rest)) == NULL) {
		snprintf(err, errlen, "results: out of memory");
		goto out;
	}
	snprintf(nb, sizeof(nb), "%lld", (long long)ci.not_before);
	snprintf(na, sizeof(na), "%lld", (long long)ci.not_after);
	snprintf(renew, sizeof(renew), "%.0f", results_renew_at_ari(ci_ev, &ci));
	v[0] = icid;
	v[1] = o->certificate;
	v[2] = e->job_id;
	v[3] = o->private_key;
	v[4] = leaf;
	v[5] = rest;
	v[6] = ci.serial;
	v[7] = nb;
	v[8] = na;
	v[9] = ci.issuer;
	v[10] = sans;
	if (db_exec(c, "results store certificate", "INSERT INTO "
	    "issued_certificates (id, certificate, order_id, private_key, "
	    "cert_pem, chain_pem, serial, not_before, not_after, issuer, sans) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8::float8), "
	    "to_timestamp($9::float8), $10, $11::text[])", 11, v, NULL, NULL, err,
	    errlen) < 0 ||
	    chains_store(c, icid, &ch, served, err, errlen) < 0 ||
	    db_exec(c, "results chain issuer", "UPDATE issued_certificates SET "
	    "chain_issuer = $2 WHERE id = $1", 2, (const char *[]){ icid,
	    ch.e[served].top_issuer }, NULL, NULL, err, errlen) < 0 ||
	    results_ari_store(c, icid, leaf, ci_ev, err, errlen) < 0)
		goto out;
	v[0] = o->certificate;
	v[1] = icid;
	v[2] = renew;
	if (db_exec(c, "results certificate issued", "UPDATE certificates SET "
	    "status = 'issued', current_issued = $2, renew_at = "
	    "to_timestamp($3::float8), last_problem_type = NULL, "
	    "last_problem_detail = NULL, updated_at = now() WHERE id = $1", 3, v,
	    NULL, NULL, err, errlen) < 0)
		goto out;
	v[0] = e->job_id;
	v[1] = ci_ev->order_url;
	if (db_exec(c, "results order valid", "UPDATE orders SET status = "
	    "'valid', order_url = $2, updated_at = now() WHERE id = $1", 2, v,
	    NULL, NULL, err, errlen) < 0)
		goto out;
	log_info("job %s attempt %u trace %s: certificate %s issued, serial %s, "
	    "not after %s, chain %zu of %zu (%s)", e->job_id, e->attempt,
	    e->trace_id, o->certificate, ci.serial, na, served + 1, ch.n,
	    ch.e[served].top_issuer);
	out = RESULTS_APPLIED;
out:
	chains_free(&ch);
	PQclear(pr);
	free(sans);
	free(spki);
	free(leaf);
	free(rest);
	certinfo_free(&ci);
	PQclear(r);
	return out;
}

/* Seconds from now (to the millisecond) until the absolute time ms, >= 0. */
static double
results_until(int64_t ms)
{
	struct timespec ts;
	double d;

	clock_gettime(CLOCK_REALTIME, &ts);
	d = (double)ms / 1000.0 - ((double)ts.tv_sec + ts.tv_nsec / 1e9);
	return d > 0 ? d : 0;
}

/* failed and deferred: record the problem, then retry, defer or give up. */
static enum results_outcome
results_unhappy(PGconn *c, const struct settings *s, const Certfleet__Event *e,
    const struct results_order *o, char *err, size_t errlen)
{
	const Certfleet__Problem *p;
	const char *order_url;
	double delay;
	int deferred = e->kind_case == CERTFLEET__EVENT__KIND_DEFERRED;

	if (strcmp(o->status, "valid") == 0 || strcmp(o->status, "failed") == 0 ||
	    e->attempt != o->attempt)
		return RESULTS_IGNORED;	/* a later attempt or final already */
	p = deferred ? e->deferred->problem : e->failed->problem;
	order_url = deferred ? e->deferred->order_url : e->failed->order_url;
	if (order_url == NULL || order_url[0] == '\0')
		order_url = o->order_url;
	if (results_problem(c, e->job_id, e->attempt, o->certificate, p->type,
	    p->detail, p->status, p, err, errlen) < 0)
		return RESULTS_RETRY;
	if (deferred) {
		delay = results_until(e->deferred->not_before_unix_ms);
		if (ratelimits_record(c, e->job_id, e->attempt, e->deferred, err,
		    errlen) < 0)
			return RESULTS_RETRY;
		if (results_requeue(c, e->job_id, o, e->attempt + 1, order_url,
		    delay, "deferred", err, errlen) < 0)
			return RESULTS_RETRY;
		log_info("job %s attempt %u trace %s: deferred %.0f s (%s)",
		    e->job_id, e->attempt, e->trace_id, delay, p->type);
	} else if (e->failed->retryable && e->attempt < (unsigned)s->retry_max) {
		delay = RESULTS_RETRY_BASE_S * pow(2.0, (double)e->attempt - 1);
		if (results_requeue(c, e->job_id, o, e->attempt + 1, order_url,
		    delay, "pending", err, errlen) < 0)
			return RESULTS_RETRY;
		log_info("job %s attempt %u trace %s: failed (%s), attempt %u in "
		    "%.0f s", e->job_id, e->attempt, e->trace_id, p->type,
		    e->attempt + 1, delay);
	} else {
		if (results_order_failed(c, e->job_id, o, err, errlen) < 0)
			return RESULTS_RETRY;
		log_warn("job %s attempt %u trace %s: failed for good: %s: %s",
		    e->job_id, e->attempt, e->trace_id, p->type, p->detail);
	}
	return RESULTS_APPLIED;
}

/* Events about a register_account job (its job id is the account id). */
static enum results_outcome
results_account(PGconn *c, const struct settings *s, const Certfleet__Event *e,
    char *err, size_t errlen)
{
	const Certfleet__Problem *p = NULL;
	PGresult *r;
	const char *v[2];
	enum results_outcome out = RESULTS_RETRY;

	if ((r = db_query(c, "results account", "SELECT a.register_attempt, "
	    "a.ca, ca.directory_url, coalesce(a.account_url, ''), ca.trust FROM "
	    "acme_accounts a JOIN cas ca ON ca.name = a.ca WHERE a.id = $1 "
	    "FOR UPDATE OF a", 1, (const char *[]){ e->job_id }, NULL, NULL, err,
	    errlen)) == NULL)
		return RESULTS_RETRY;
	if (PQntuples(r) == 0 || e->kind_case ==
	    CERTFLEET__EVENT__KIND_CERTIFICATE_ISSUED ||
	    e->kind_case == CERTFLEET__EVENT__KIND_ORDER_CREATED ||
	    PQgetvalue(r, 0, 3)[0] != '\0' ||
	    (unsigned)atoi(PQgetvalue(r, 0, 0)) != e->attempt) {
		log_warn("job %s attempt %u trace %s: %s event for no pending job, "
		    "ignored", e->job_id, e->attempt, e->trace_id,
		    proto_event_kind_name(e));
		out = RESULTS_IGNORED;
		goto out;
	}
	p = e->kind_case == CERTFLEET__EVENT__KIND_FAILED ? e->failed->problem :
	    e->deferred->problem;
	if (results_problem(c, e->job_id, e->attempt, NULL, p->type, p->detail,
	    p->status, p, err, errlen) < 0)
		goto out;
	v[0] = e->job_id;
	if ((e->kind_case == CERTFLEET__EVENT__KIND_FAILED &&
	    (!e->failed->retryable || e->attempt >= (unsigned)s->retry_max))) {
		if (db_exec(c, "results account failed", "UPDATE acme_accounts SET "
		    "status = 'failed', updated_at = now() WHERE id = $1", 1, v,
		    NULL, NULL, err, errlen) < 0)
			goto out;
		log_warn("job %s attempt %u trace %s: account registration failed: "
		    "%s: %s", e->job_id, e->attempt, e->trace_id, p->type, p->detail);
	} else {
		double delay = RESULTS_RETRY_BASE_S * pow(2.0, (double)e->attempt -
		    1);
		char att[16];

		if (e->kind_case == CERTFLEET__EVENT__KIND_DEFERRED) {
			delay = results_until(e->deferred->not_before_unix_ms);
			if (ratelimits_record(c, e->job_id, e->attempt, e->deferred,
			    err, errlen) < 0)
				goto out;
		}
		snprintf(att, sizeof(att), "%u", e->attempt + 1);
		v[1] = att;
		if (accounts_requeue(c, e->job_id, PQgetvalue(r, 0, 1),
		    PQgetvalue(r, 0, 2), PQgetvalue(r, 0, 4), s->contact, e->trace_id, e->attempt + 1,
		    delay, err, errlen) < 0 ||
		    db_exec(c, "results account requeued", "UPDATE acme_accounts "
		    "SET register_attempt = $2, updated_at = now() WHERE id = $1", 2,
		    v, NULL, NULL, err, errlen) < 0)
			goto out;
		log_info("job %s attempt %u trace %s: account registration %s, "
		    "attempt %u in %.0f s", e->job_id, e->attempt, e->trace_id,
		    proto_event_kind_name(e), e->attempt + 1, delay);
	}
	out = RESULTS_APPLIED;
out:
	PQclear(r);
	return out;
}

/* Applies e inside the caller's transaction. */
static enum results_outcome
results_dispatch(PGconn *c, const struct settings *s, const Certfleet__Event *e,
    char *err, size_t errlen)
{
	struct results_order o;
	const char *v[3];
	enum results_outcome out = RESULTS_RETRY;
	long n;
	int found;

	if (e->kind_case == CERTFLEET__EVENT__KIND_ACCOUNT_REGISTERED) {
		v[0] = e->account_registered->account_id;
		v[1] = e->account_registered->account_url;
		if ((n = db_exec(c, "results account registered", "UPDATE "
		    "acme_accounts SET account_url = $2, status = 'valid', "
		    "updated_at = now() WHERE id = $1", 2, v, NULL, NULL, err,
		    errlen)) < 0)
			return RESULTS_RETRY;
		log_info("job %s attempt %u trace %s: account %s registered%s",
		    e->job_id, e->attempt, e->trace_id, v[0], n == 0 ?
		    " (unknown account, ignored)" : "");
		return n == 0 ? RESULTS_IGNORED : RESULTS_APPLIED;
	}
	if ((out = actions_result(c, s, e, err, errlen)) != RESULTS_NOT_MINE)
		return out;
	if ((found = results_order_get(c, e->job_id, &o, err, errlen)) < 0)
		goto out;
	if (found == 0) {
		out = results_account(c, s, e, err, errlen);
		goto out;
	}
	switch (e->kind_case) {
	case CERTFLEET__EVENT__KIND_ORDER_CREATED:
		v[0] = e->job_id;
		v[1] = e->order_created->order_url;
		if ((n = db_exec(c, "results order created", "UPDATE orders SET "
		    "order_url = $2, status = CASE WHEN status IN ('pending', "
		    "'sent') THEN 'processing' ELSE status END, updated_at = now() "
		    "WHERE id = $1 AND status NOT IN ('valid', 'failed')", 2, v,
		    NULL, NULL, err, errlen)) < 0)
			goto out;
		if (n > 0)
			log_info("job %s attempt %u trace %s: order %s created",
			    e->job_id, e->attempt, e->trace_id, v[1]);
		out = n > 0 ? RESULTS_APPLIED : RESULTS_IGNORED;
		break;
	case CERTFLEET__EVENT__KIND_CERTIFICATE_ISSUED:
		out = results_issued(c, s, e, &o, err, errlen);
		break;
	default:
		out = results_unhappy(c, s, e, &o, err, errlen);
		break;
	}
out:
	if (found > 0)
		results_order_free(&o);
	return out;
}

enum results_outcome
results_apply(PGconn *c, const struct settings *s, const void *buf,
    size_t len, char *err, size_t errlen)
{
	Certfleet__Event *e;
	const char *v[3];
	char att[16];
	enum results_outcome out = RESULTS_RETRY;
	long n;

	if ((e = proto_event_decode(buf, len, err, errlen)) == NULL)
		return RESULTS_INVALID;
	if (db_begin(c, err, errlen) < 0)
		goto out;
	snprintf(att, sizeof(att), "%u", e->attempt);
	v[0] = e->job_id;
	v[1] = att;
	v[2] = proto_event_kind_name(e);
	if ((n = db_exec(c, "results processed", "INSERT INTO processed_events "
	    "(job_id, attempt, kind) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING",
	    3, v, NULL, NULL, err, errlen)) < 0)
		goto out;
	if (n == 0) {
		log_info("job %s attempt %u trace %s: %s seen before, ignored",
		    e->job_id, e->attempt, e->trace_id, v[2]);
		out = RESULTS_IGNORED;
		goto out;
	}
	out = results_dispatch(c, s, e, err, errlen);
	if (out != RESULTS_RETRY && db_commit(c, err, errlen) < 0)
		out = RESULTS_RETRY;
out:
	db_rollback(c);
	proto_event_free(e);
	return out;
}

/* Publishes m's bytes and reason on the dead-letter topic and waits for
 * the delivery. Returns 0, or -1 when it was not delivered. */
static int
results_deadletter(rd_kafka_t *producer, const rd_kafka_message_t *m,
    const char *reason)
{
	Certfleet__DeadLetter d = CERTFLEET__DEAD_LETTER__INIT;
	struct publish_msg pm = { 0 };
	struct timespec ts;
	void *buf;
	size_t len;

	clock_gettime(CLOCK_REALTIME, &ts);
	d.schema_version = PROTO_SCHEMA_VERSION;
	d.source_topic = (char *)(uintptr_t)rd_kafka_topic_name(m->rkt);
	d.partition = m->partition;
	d.offset = m->offset;
	d.key.data = m->key;
	d.key.len = m->key_len;
	d.payload.data = m->payload;
	d.payload.len = m->len;
	d.reason = (char *)(uintptr_t)reason;
	d.consumer = (char *)(uintptr_t)"certfleet-coordinator";
	d.at_unix_ms = (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	if ((buf = proto_deadletter_encode(&d, &len)) == NULL)
		return -1;
	pm.topic = kafkaconn_topic_dlq();
	pm.payload = buf;
	pm.len = len;
	publish_batch(producer, &pm, 1, RESULTS_DLQ_WAIT_MS);
	free(buf);
	if (pm.delivered != 1) {
		log_warn("results: dead letter not delivered: %s", pm.error);
		return -1;
	}
	return 0;
}

/* Goes back to m so that the next poll returns it again. */
static void
results_rewind(rd_kafka_t *consumer, const rd_kafka_message_t *m)
{
	rd_kafka_topic_partition_list_t *l;
	rd_kafka_error_t *e;

	l = rd_kafka_topic_partition_list_new(1);
	rd_kafka_topic_partition_list_add(l, rd_kafka_topic_name(m->rkt),
	    m->partition)->offset = m->offset;
	if ((e = rd_kafka_seek_partitions(consumer, l, 5000)) != NULL) {
		log_warn("results: rewind failed: %s", rd_kafka_error_string(e));
		rd_kafka_error_destroy(e);
	}
	rd_kafka_topic_partition_list_destroy(l);
}

int
results_poll(rd_kafka_t *consumer, rd_kafka_t *producer, PGconn *c,
    const struct settings *s, int max, int timeout_ms)
{
	rd_kafka_message_t *m;
	rd_kafka_resp_err_t ce;
	enum results_outcome out;
	char err[512];
	int handled = 0;

	while (handled < max) {
		m = rd_kafka_consumer_poll(consumer, handled == 0 ? timeout_ms : 0);
		if (m == NULL)
			break;
		if (m->err != RD_KAFKA_RESP_ERR_NO_ERROR) {
			if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
				log_warn("results: consumer: %s",
				    rd_kafka_message_errstr(m));
			rd_kafka_message_destroy(m);
			continue;
		}
		err[0] = '\0';
		out = results_apply(c, s, m->payload, m->len, err, sizeof(err));
		if (out == RESULTS_INVALID) {
			log_warn("results: %s [%d] offset %lld dead-lettered: %s",
			    rd_kafka_topic_name(m->rkt), m->partition,
			    (long long)m->offset, err);
			if (results_deadletter(producer, m, err) < 0)
				out = RESULTS_RETRY;
		} else if (out == RESULTS_RETRY)
			log_warn("results: %s [%d] offset %lld not applied, will "
			    "retry: %s", rd_kafka_topic_name(m->rkt), m->partition,
			    (long long)m->offset, err);
		if (out == RESULTS_RETRY) {
			results_rewind(consumer, m);
			rd_kafka_message_destroy(m);
			return -1;
		}
		if ((ce = rd_kafka_commit_message(consumer, m, 0)) !=
		    RD_KAFKA_RESP_ERR_NO_ERROR)
			log_warn("results: offset commit failed: %s (the event "
			    "may be seen again; it will change nothing)",
			    rd_kafka_err2str(ce));
		rd_kafka_message_destroy(m);
		handled++;
	}
	return handled;
}
