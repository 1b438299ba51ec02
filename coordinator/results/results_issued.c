/* results_issued.c -- applies certificate_issued: checks the certificate against the order, stores it with its chains and ARI window, sets renew_at. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "acme.h"
#include "ari_recheck.h"
#include "certinfo.h"
#include "chains.h"
#include "codec.h"
#include "db.h"
#include "ids.h"
#include "log.h"
#include "pem.h"
#include "results_int.h"
#include "sigalg.h"

#define RESULTS_PROBLEM_MISMATCH "urn:certfleet:error:certificateMismatch"
#define RESULTS_PROBLEM_BADCERT "urn:certfleet:error:badCertificate"

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
	char certid[ACME_CERTID_MAX], ws[32], we[32], nx[32], why[128];
	const char *v[6];

	if (acme_ari_certid_pem(leaf, strlen(leaf), certid, sizeof(certid), why,
	    sizeof(why)) < 0)
		certid[0] = '\0';	/* no AKI: no ARI for this certificate */
	ws[0] = we[0] = nx[0] = '\0';
	if (ev->ari_window_start_unix_ms > 0 &&
	    ev->ari_window_end_unix_ms > ev->ari_window_start_unix_ms) {
		snprintf(ws, sizeof(ws), "%.3f",
		    (double)ev->ari_window_start_unix_ms / 1000.0);
		snprintf(we, sizeof(we), "%.3f",
		    (double)ev->ari_window_end_unix_ms / 1000.0);
		/* The first re-check (RFC 9773 section 4.3): when the CA
		 * said, or ACME_ARI_RECHECK_S from now. */
		if (certid[0] != '\0')
			snprintf(nx, sizeof(nx), "%.3f", ev->ari_next_unix_ms > 0 ?
			    (double)ev->ari_next_unix_ms / 1000.0 :
			    (double)time(NULL) + ACME_ARI_RECHECK_S);
	}
	v[0] = icid;
	v[1] = certid;
	v[2] = ws;
	v[3] = we;
	v[4] = ev->ari_explanation_url;
	v[5] = nx;
	return db_exec(c, "results ari", "UPDATE issued_certificates SET "
	    "ari_cert_id = nullif($2, ''), ari_window_start = "
	    "to_timestamp(nullif($3, '')::float8), ari_window_end = "
	    "to_timestamp(nullif($4, '')::float8), ari_explanation_url = "
	    "nullif($5, ''), ari_next_at = to_timestamp(nullif($6, '')::float8) "
	    "WHERE id = $1", 6, v, NULL, NULL, err, errlen) < 0 ? -1 : 0;
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

/* Checks the CA's chain against the order: a parsable leaf (ci, leaf and
 * rest filled) for the order's key and exactly its names. Returns
 * RESULTS_APPLIED when it fits, RESULTS_REJECTED when it does not (problem
 * recorded, order failed), RESULTS_RETRY on a database error. */
static enum results_outcome
results_issued_check(PGconn *c, const Certfleet__Event *e,
    const struct results_order *o, struct certinfo *ci, char **leaf,
    char **rest, char *err, size_t errlen)
{
	const char *full = e->certificate_issued->fullchain_pem;
	PGresult *r;
	unsigned char *spki = NULL;
	size_t spkilen = 0;
	char why[256], detail[400];
	int match;

	if (pem_chain_split(full, strlen(full), leaf, rest, why,
	    sizeof(why)) < 0 || certinfo_parse(*leaf, strlen(*leaf), ci, why,
	    sizeof(why)) < 0) {
		snprintf(detail, sizeof(detail), "the CA's chain is unusable: %s",
		    why);
		return results_reject_cert(c, e, o, RESULTS_PROBLEM_BADCERT, detail,
		    err, errlen);
	}
	if ((r = db_query(c, "results public key", "SELECT public_key_der FROM "
	    "private_keys WHERE id = $1", 1, &o->private_key, NULL, NULL, err,
	    errlen)) == NULL)
		return RESULTS_RETRY;
	if (PQntuples(r) != 1 || (spki = db_bytea(r, 0, 0, &spkilen)) == NULL) {
		PQclear(r);
		snprintf(err, errlen, "results: no public key %s", o->private_key);
		return RESULTS_RETRY;
	}
	match = certinfo_key_matches(ci, spki, spkilen);
	free(spki);
	PQclear(r);
	if (!match)
		return results_reject_cert(c, e, o, RESULTS_PROBLEM_MISMATCH,
		    "the issued certificate is for another public key than the "
		    "order's private key", err, errlen);
	if (!certinfo_sans_equal(ci, o->names, o->nnames))
		return results_reject_cert(c, e, o, RESULTS_PROBLEM_MISMATCH,
		    "the issued certificate's names differ from the requested "
		    "hostname set", err, errlen);
	return RESULTS_APPLIED;
}

/* Picks the chain to serve: the order's preferred issuer, else the
 * configured one, else the CA's default. Returns its index, or -1. */
static int
results_issued_served(PGconn *c, const struct settings *s,
    const Certfleet__Event *e, const struct chains *ch, char *err,
    size_t errlen)
{
	PGresult *r;
	const char *pref;
	int served = -1;

	if ((r = db_query(c, "results preferred chain", "SELECT "
	    "coalesce(preferred_chain, '') FROM orders WHERE id = $1", 1,
	    (const char *const *)&e->job_id, NULL, NULL, err, errlen)) == NULL)
		return -1;
	if (PQntuples(r) == 1) {
		pref = PQgetvalue(r, 0, 0);
		served = (int)chains_select(ch, pref[0] != '\0' ? pref :
		    s->preferred_chain);
	} else
		snprintf(err, errlen, "results: order %s vanished", e->job_id);
	PQclear(r);
	return served;
}

/* Stores issued certificate icid (leaf, served chain, every chain, ARI
 * window) for the order. Returns 0, or -1 with err. */
static int
results_issued_store(PGconn *c, const Certfleet__Event *e,
    const struct results_order *o, const struct certinfo *ci,
    const char *leaf, const struct chains *ch, size_t served,
    const char *icid, char *err, size_t errlen)
{
	char nb[32], na[32], *sans;
	const char *v[11];
	long n;

	if ((sans = db_array_literal(ci->sans, ci->nsans)) == NULL) {
		snprintf(err, errlen, "results: out of memory");
		return -1;
	}
	snprintf(nb, sizeof(nb), "%lld", (long long)ci->not_before);
	snprintf(na, sizeof(na), "%lld", (long long)ci->not_after);
	v[0] = icid;
	v[1] = o->certificate;
	v[2] = e->job_id;
	v[3] = o->private_key;
	v[4] = leaf;
	v[5] = ch->e[served].rest;
	v[6] = ci->serial;
	v[7] = nb;
	v[8] = na;
	v[9] = ci->issuer;
	v[10] = sans;
	n = db_exec(c, "results store certificate", "INSERT INTO "
	    "issued_certificates (id, certificate, order_id, private_key, "
	    "cert_pem, chain_pem, serial, not_before, not_after, issuer, sans) "
	    "VALUES ($1, $2, $3, $4, $5, $6, $7, to_timestamp($8::float8), "
	    "to_timestamp($9::float8), $10, $11::text[])", 11, v, NULL, NULL, err,
	    errlen);
	free(sans);
	if (n < 0 || chains_store(c, icid, ch, served, err, errlen) < 0 ||
	    db_exec(c, "results chain issuer", "UPDATE issued_certificates SET "
	    "chain_issuer = $2 WHERE id = $1", 2, (const char *[]){ icid,
	    ch->e[served].top_issuer }, NULL, NULL, err, errlen) < 0 ||
	    results_ari_store(c, icid, leaf, e->certificate_issued, err,
	    errlen) < 0)
		return -1;
	return 0;
}

/* Makes icid the certificate's current one (renew_at), stops re-checking
 * the windows of the ones it replaces, and marks the order valid. */
static int
results_issued_current(PGconn *c, const Certfleet__Event *e,
    const struct results_order *o, const char *icid, const char *renew,
    char *err, size_t errlen)
{
	const char *v[3];

	v[0] = o->certificate;
	v[1] = icid;
	v[2] = renew;
	/* Only the current certificate's window is re-checked. */
	if (db_exec(c, "results ari replaced", "UPDATE issued_certificates SET "
	    "ari_next_at = NULL, ari_check_job = NULL WHERE certificate = $1 AND "
	    "id <> $2 AND ari_next_at IS NOT NULL", 2, v, NULL, NULL, err,
	    errlen) < 0 ||
	    db_exec(c, "results certificate issued", "UPDATE certificates SET "
	    "status = 'issued', current_issued = $2, renew_at = "
	    "to_timestamp($3::float8), last_problem_type = NULL, "
	    "last_problem_detail = NULL, updated_at = now() WHERE id = $1", 3, v,
	    NULL, NULL, err, errlen) < 0)
		return -1;
	v[0] = e->job_id;
	v[1] = e->certificate_issued->order_url;
	return db_exec(c, "results order valid", "UPDATE orders SET status = "
	    "'valid', order_url = $2, updated_at = now() WHERE id = $1", 2, v,
	    NULL, NULL, err, errlen) < 0 ? -1 : 0;
}

enum results_outcome
results_issued(PGconn *c, const struct settings *s, const Certfleet__Event *e,
    const struct results_order *o, char *err, size_t errlen)
{
	const Certfleet__CertificateIssued *ci_ev = e->certificate_issued;
	struct certinfo ci = { 0 };
	struct chains ch = { 0 };
	char *leaf = NULL, *rest = NULL, why[256];
	char icid[IDS_LEN + 1], renew[32];
	enum results_outcome out;
	int served;

	if (strcmp(o->status, "valid") == 0)
		return RESULTS_IGNORED;
	if ((out = results_issued_check(c, e, o, &ci, &leaf, &rest, err,
	    errlen)) != RESULTS_APPLIED)
		goto out;
	out = RESULTS_RETRY;
	if (ids_new(icid) < 0) {
		snprintf(err, errlen, "results: no random id");
		goto out;
	}
	/* Every chain offered is kept; the preferred one is served. */
	if (chains_parse(ci_ev->fullchain_pem, ci_ev->alternate_chain_pem,
	    ci_ev->n_alternate_chain_pem, &ch, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "results: chains of %s: %s", e->job_id, why);
		goto out;
	}
	if ((served = results_issued_served(c, s, e, &ch, err, errlen)) < 0)
		goto out;
	snprintf(renew, sizeof(renew), "%.0f", results_renew_at_ari(ci_ev, &ci));
	if (results_issued_store(c, e, o, &ci, leaf, &ch, (size_t)served, icid,
	    err, errlen) < 0 ||
	    sigalg_store(c, icid, leaf, ch.e[served].rest, err, errlen) < 0 ||
	    results_issued_current(c, e, o, icid, renew, err, errlen) < 0)
		goto out;
	log_info("job %s attempt %u trace %s: certificate %s issued, serial %s, "
	    "not after %lld, chain %d of %zu (%s)", e->job_id, e->attempt,
	    e->trace_id, o->certificate, ci.serial, (long long)ci.not_after,
	    served + 1, ch.n, ch.e[served].top_issuer);
	out = RESULTS_APPLIED;
out:
	chains_free(&ch);
	free(leaf);
	free(rest);
	certinfo_free(&ci);
	return out;
}
