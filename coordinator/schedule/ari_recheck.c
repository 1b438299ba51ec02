/* ari_recheck.c -- ARI re-checks: due issued certificates get an ari_check job; its ari_window moves the stored window, ari_next_at and renew_at. */
#include "ari_recheck.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "acme.h"
#include "clock.h"
#include "db.h"
#include "ids.h"
#include "jobmsg.h"
#include "kafkaconn.h"
#include "log.h"
#include "outbox.h"

#define ARI_RECHECK_LEASE_SQL "3600"	/* ARI_RECHECK_LEASE_S as SQL text */
#define ARI_RECHECK_DEFER_MIN_S_SQL "60"	/* ARI_RECHECK_DEFER_MIN_S */

/* Queues the ari_check of the row i of r (id, certificate, CertID, CA name,
 * directory URL, trust, first name) and leases it. 0 or -1. */
static int
ari_recheck_one(PGconn *c, PGresult *r, int i, char *err, size_t errlen)
{
	Certfleet__Job job = CERTFLEET__JOB__INIT;
	Certfleet__AriCheck a = CERTFLEET__ARI_CHECK__INIT;
	Certfleet__CaRef ca = CERTFLEET__CA_REF__INIT;
	char jid[IDS_LEN + 1], trace[IDS_TRACE_LEN + 1], domain[256];
	void *payload = NULL;
	size_t plen;
	int rc = -1;

	if (ids_new(jid) < 0 || ids_trace(trace) < 0) {
		snprintf(err, errlen, "ari recheck: no random ids");
		goto out;
	}
	ca.name = PQgetvalue(r, i, 3);
	ca.directory_url = PQgetvalue(r, i, 4);
	ca.trust = PQgetvalue(r, i, 5);
	a.ca = &ca;
	a.certificate_id = PQgetvalue(r, i, 1);
	a.issued_certificate_id = PQgetvalue(r, i, 0);
	a.cert_id = PQgetvalue(r, i, 2);
	job.schema_version = PROTO_SCHEMA_VERSION;
	job.job_id = jid;
	job.attempt = 1;
	job.trace_id = trace;
	job.kind_case = CERTFLEET__JOB__KIND_ARI_CHECK;
	job.ari_check = &a;
	if ((payload = proto_job_encode(&job, &plen)) == NULL) {
		snprintf(err, errlen, "ari recheck: job does not encode");
		goto out;
	}
	jobmsg_kafka_key(PQgetvalue(r, i, 6), domain, sizeof(domain));
	if (outbox_add(c, kafkaconn_topic_jobs(), domain, payload, plen, jid, 1,
	    0, ca.name, 0, 0, err, errlen) < 0 ||
	    db_exec(c, "ari recheck lease", "UPDATE issued_certificates SET "
	    "ari_check_job = $2, ari_next_at = now() + make_interval(secs => "
	    ARI_RECHECK_LEASE_SQL ") WHERE id = $1", 2,
	    (const char *[]){ a.issued_certificate_id, jid }, NULL, NULL, err,
	    errlen) < 0)
		goto out;
	log_info_ctx(LOG_JOB(jid, 1, trace, a.certificate_id), "ari_check of "
	    "issued certificate %s (certificate %s) queued",
	    a.issued_certificate_id, a.certificate_id);
	rc = 0;
out:
	free(payload);
	return rc;
}

/* ari_recheck_tick, which also sets *taken to the due rows it took
 * (checked or retired). */
static int
ari_recheck_pass(PGconn *c, int limit, int *taken, char *err, size_t errlen)
{
	PGresult *r = NULL;
	char lim[16];
	const char *id;
	int i, queued = 0, rc = -1;

	snprintf(lim, sizeof(lim), "%d", limit);
	if (db_begin(c, err, errlen) < 0)
		return -1;
	if ((r = db_query(c, "ari recheck due", "SELECT ic.id, ic.certificate, "
	    "coalesce(ic.ari_cert_id, ''), coalesce(ca.name, ''), "
	    "coalesce(ia.directory_url, ca.directory_url, ''), "
	    "coalesce(ca.trust, ''), "
	    "coalesce(ic.sans[1], ''), (c.current_issued IS NOT DISTINCT FROM "
	    "ic.id AND c.status = 'issued' AND ic.not_after > now() AND "
	    "ic.ari_window_end IS NOT NULL AND ic.ari_cert_id IS NOT NULL AND "
	    "ca.name IS NOT NULL)::text FROM issued_certificates ic JOIN "
	    "certificates c ON c.id = ic.certificate LEFT JOIN orders o ON o.id = "
	    "ic.order_id LEFT JOIN cas ca ON ca.name = coalesce(o.ca, c.ca) "
	    "LEFT JOIN acme_accounts ia ON ia.id = o.account "
	    "WHERE ic.ari_next_at <= now() ORDER BY ic.ari_next_at LIMIT $1 FOR "
	    "UPDATE OF ic SKIP LOCKED", 1, (const char *[]){ lim }, NULL, NULL,
	    err, errlen)) == NULL)
		goto out;
	for (i = 0; i < PQntuples(r); i++) {
		id = PQgetvalue(r, i, 0);
		if (strcmp(PQgetvalue(r, i, 7), "true") != 0) {
			if (db_exec(c, "ari recheck retire", "UPDATE "
			    "issued_certificates SET ari_next_at = NULL, "
			    "ari_check_job = NULL WHERE id = $1", 1, &id, NULL,
			    NULL, err, errlen) < 0)
				goto out;
			continue;
		}
		if (ari_recheck_one(c, r, i, err, errlen) < 0)
			goto out;
		queued++;
	}
	if (db_commit(c, err, errlen) < 0)
		goto out;
	*taken = PQntuples(r);
	rc = queued;
out:
	if (rc < 0)
		db_rollback(c);
	PQclear(r);
	return rc;
}

int
ari_recheck_tick(PGconn *c, int limit, char *err, size_t errlen)
{
	int taken;

	return ari_recheck_pass(c, limit, &taken, err, errlen);
}

int
ari_recheck_drain(PGconn *c, int ms, char *err, size_t errlen)
{
	uint64_t end = clock_mono_ms() + (uint64_t)(ms > 0 ? ms : 0);
	int taken = 0, queued, n = 0;

	if ((queued = ari_recheck_pass(c, ARI_RECHECK_PER_TICK, &taken, err,
	    errlen)) < 0)
		return -1;
	while (taken == ARI_RECHECK_PER_TICK && clock_mono_ms() < end) {
		if ((n = ari_recheck_pass(c, ARI_RECHECK_PER_TICK, &taken, err,
		    errlen)) < 0)
			break;
		queued += n;
	}
	if (n < 0)
		log_warn("ARI re-checks: %s (%d queued this round; the next "
		    "round goes on)", err, queued);
	return queued;
}

/* Stores the ari_window of issued certificate row r (locked) and follows
 * a moved window with renew_at, unless a renewal is in flight or the last
 * one failed for good (then the renewal schedule sets renew_at,
 * results_order.c). 0 or -1. */
static int
ari_recheck_window(PGconn *c, const Certfleet__Event *e, PGresult *r,
    char *err, size_t errlen)
{
	const Certfleet__AriWindow *w = e->ari_window;
	char ws[32], we[32], nx[32], renew[32];
	const char *cert = PQgetvalue(r, 0, 0);
	int64_t next_ms = w->next_check_unix_ms;
	int64_t now_ms = (int64_t)time(NULL) * 1000;
	uint32_t rnd;
	int moved;
	long n;

	/* The CA's Retry-After, never sooner than the engine's minimum. */
	if (next_ms < now_ms + ACME_ARI_RETRY_MIN_S * 1000)
		next_ms = now_ms + ACME_ARI_RETRY_MIN_S * 1000;
	snprintf(ws, sizeof(ws), "%.3f", (double)w->window_start_unix_ms / 1000.0);
	snprintf(we, sizeof(we), "%.3f", (double)w->window_end_unix_ms / 1000.0);
	snprintf(nx, sizeof(nx), "%.3f", (double)next_ms / 1000.0);
	moved = strtoll(PQgetvalue(r, 0, 2), NULL, 10) != w->window_start_unix_ms ||
	    strtoll(PQgetvalue(r, 0, 3), NULL, 10) != w->window_end_unix_ms;
	if (db_exec(c, "ari recheck window", "UPDATE issued_certificates SET "
	    "ari_window_start = to_timestamp($2::float8), ari_window_end = "
	    "to_timestamp($3::float8), ari_explanation_url = nullif($4, ''), "
	    "ari_next_at = to_timestamp($5::float8), ari_check_job = NULL WHERE "
	    "id = $1", 5, (const char *[]){ w->issued_certificate_id, ws, we,
	    w->explanation_url, nx }, NULL, NULL, err, errlen) < 0)
		return -1;
	if (!moved) {
		log_info_ctx(LOG_JOB(e->job_id, e->attempt, e->trace_id, NULL),
		    "ARI window of %s unchanged, next check at %s",
		    w->issued_certificate_id, nx);
		return 0;
	}
	/* RFC 9773 section 4.2: a uniformly random moment in the window. */
	if (RAND_bytes((unsigned char *)&rnd, sizeof(rnd)) != 1)
		rnd = 0x80000000u;
	snprintf(renew, sizeof(renew), "%lld", (long long)acme_ari_pick(
	    (time_t)(w->window_start_unix_ms / 1000),
	    (time_t)(w->window_end_unix_ms / 1000), (double)rnd / 4294967296.0));
	if ((n = db_exec(c, "ari recheck renew_at", "UPDATE certificates SET "
	    "renew_at = to_timestamp($3::float8), updated_at = now() WHERE id = "
	    "$1 AND current_issued = $2 AND status NOT IN ('disabled', "
	    "'deleted') AND renewal_failures = 0 AND NOT EXISTS (SELECT 1 FROM "
	    "(SELECT status FROM "
	    "orders WHERE certificate = $1 OFFSET 0) o WHERE status IN "
	    "('pending', 'sent', 'processing', 'deferred'))", 3,
	    (const char *[]){ cert, w->issued_certificate_id, renew }, NULL,
	    NULL, err, errlen)) < 0)
		return -1;
	log_info_ctx(LOG_JOB(e->job_id, e->attempt, e->trace_id, NULL), "ARI "
	    "window of %s moved to %s-%s; %s, next check at %s",
	    w->issued_certificate_id, ws, we, n > 0 ? "renew_at follows it" :
	    "a renewal is in flight or failing, renew_at kept", nx);
	return 0;
}

enum results_outcome
ari_recheck_result(PGconn *c, const Certfleet__Event *e, char *err,
    size_t errlen)
{
	enum results_outcome out = RESULTS_RETRY;
	PGresult *r = NULL;
	const Certfleet__Problem *p;
	char nb[32];
	long n;

	if ((r = db_query(c, "ari recheck job", "SELECT certificate, id, "
	    "coalesce((extract(epoch FROM ari_window_start) * 1000)::bigint, 0), "
	    "coalesce((extract(epoch FROM ari_window_end) * 1000)::bigint, 0) "
	    "FROM issued_certificates WHERE ari_check_job = $1 FOR UPDATE", 1,
	    (const char *[]){ e->job_id }, NULL, NULL, err, errlen)) == NULL)
		return RESULTS_RETRY;
	if (PQntuples(r) == 0) {
		log_info_ctx(LOG_JOB(e->job_id, e->attempt, e->trace_id, NULL),
		    "%s of a superseded or unknown check, ignored",
		    proto_event_kind_name(e));
		out = RESULTS_IGNORED;
		goto out;
	}
	switch (e->kind_case) {
	case CERTFLEET__EVENT__KIND_ARI_WINDOW:
		if (strcmp(PQgetvalue(r, 0, 1),
		    e->ari_window->issued_certificate_id) != 0) {
			log_warn_ctx(
			    LOG_JOB(e->job_id, e->attempt, e->trace_id, NULL),
			    "ari_window names another issued certificate, "
			    "ignored");
			out = RESULTS_IGNORED;
			goto out;
		}
		if (ari_recheck_window(c, e, r, err, errlen) < 0)
			goto out;
		break;
	case CERTFLEET__EVENT__KIND_DEFERRED:
		p = e->deferred->problem;
		snprintf(nb, sizeof(nb), "%.3f", (double)e->deferred->
		    not_before_unix_ms / 1000.0);
		if ((n = db_exec(c, "ari recheck deferred", "UPDATE "
		    "issued_certificates SET ari_next_at = greatest("
		    "to_timestamp($2::float8), now() + make_interval(secs => "
		    "$3::float8)), ari_check_job = NULL WHERE id = $1", 3,
		    (const char *[]){ PQgetvalue(r, 0, 1), nb,
		    ARI_RECHECK_DEFER_MIN_S_SQL }, NULL, NULL, err, errlen)) < 0)
			goto out;
		log_info_ctx(LOG_JOB(e->job_id, e->attempt, e->trace_id, NULL),
		    "ari_check of %s deferred by the CA (%s): next check not "
		    "before %s", PQgetvalue(r, 0, 1), p->type, nb);
		break;
	default:
		/* The lease set by the tick is the next try. */
		p = e->failed->problem;
		if (db_exec(c, "ari recheck failed", "UPDATE issued_certificates "
		    "SET ari_check_job = NULL WHERE id = $1", 1,
		    (const char *[]){ PQgetvalue(r, 0, 1) }, NULL, NULL, err,
		    errlen) < 0)
			goto out;
		log_warn_ctx(LOG_JOB(e->job_id, e->attempt, e->trace_id, NULL),
		    "ari_check of %s failed (%s: %s): tried again when its "
		    "lease ends", PQgetvalue(r, 0, 1), p->type, p->detail);
		break;
	}
	out = RESULTS_APPLIED;
out:
	PQclear(r);
	return out;
}
