/* issued.c -- records an issued certificate (with its chains, ARI CertID and window) as its certificate's current one and sets renew_at; the result consumer and imports both call it. */
#include "issued.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

#include "acme.h"
#include "db.h"
#include "results.h"
#include "sigalg.h"

/* A uniform random number in [0, 1). */
static double
issued_uniform(void)
{
	uint32_t rnd;

	if (RAND_bytes((unsigned char *)&rnd, sizeof(rnd)) != 1)
		rnd = 0x80000000u;
	return (double)rnd / 4294967296.0;
}

double
issued_renew_at(const struct certinfo *ci, int64_t start_ms, int64_t end_ms)
{
	double life = difftime(ci->not_after, ci->not_before), u;

	if (end_ms > start_ms && start_ms > 0)
		return (double)acme_ari_pick((time_t)(start_ms / 1000),
		    (time_t)(end_ms / 1000), issued_uniform());
	u = issued_uniform() * 2.0 - 1.0;	/* [-1, 1) */
	return (double)ci->not_before + life * 2.0 / 3.0 +
	    u * RESULTS_RENEW_JITTER * life;
}

/* Stores the ARI CertID (from the leaf) and the CA's window of issued
 * certificate icid. */
static int
issued_ari_store(PGconn *c, const char *icid, const struct issued_new *in,
    char *err, size_t errlen)
{
	char certid[ACME_CERTID_MAX], ws[32], we[32], nx[32], why[128];
	const char *v[6];

	if (acme_ari_certid_pem(in->leaf, strlen(in->leaf), certid,
	    sizeof(certid), why, sizeof(why)) < 0)
		certid[0] = '\0';	/* no AKI: no ARI for this certificate */
	ws[0] = we[0] = nx[0] = '\0';
	if (in->ari_start_ms > 0 && in->ari_end_ms > in->ari_start_ms) {
		snprintf(ws, sizeof(ws), "%.3f", (double)in->ari_start_ms / 1000.0);
		snprintf(we, sizeof(we), "%.3f", (double)in->ari_end_ms / 1000.0);
		/* The first re-check (RFC 9773 section 4.3): when the CA
		 * said, or ACME_ARI_RECHECK_S from now. */
		if (certid[0] != '\0')
			snprintf(nx, sizeof(nx), "%.3f", in->ari_next_ms > 0 ?
			    (double)in->ari_next_ms / 1000.0 :
			    (double)time(NULL) + ACME_ARI_RECHECK_S);
	}
	v[0] = icid;
	v[1] = certid;
	v[2] = ws;
	v[3] = we;
	v[4] = in->ari_explanation_url != NULL ? in->ari_explanation_url : "";
	v[5] = nx;
	return db_exec(c, "issued ari", "UPDATE issued_certificates SET "
	    "ari_cert_id = nullif($2, ''), ari_window_start = "
	    "to_timestamp(nullif($3, '')::float8), ari_window_end = "
	    "to_timestamp(nullif($4, '')::float8), ari_explanation_url = "
	    "nullif($5, ''), ari_next_at = to_timestamp(nullif($6, '')::float8) "
	    "WHERE id = $1", 6, v, NULL, NULL, err, errlen) < 0 ? -1 : 0;
}

/* Inserts the row of issued certificate icid, its chains and ARI data. */
static int
issued_store(PGconn *c, const struct issued_new *in, const char *icid,
    char *err, size_t errlen)
{
	const struct chains_entry *served = &in->ch->e[in->served];
	char nb[32], na[32], *sans;
	const char *v[11];
	long n;

	if ((sans = db_array_literal(in->ci->sans, in->ci->nsans)) == NULL) {
		snprintf(err, errlen, "issued: out of memory");
		return -1;
	}
	snprintf(nb, sizeof(nb), "%lld", (long long)in->ci->not_before);
	snprintf(na, sizeof(na), "%lld", (long long)in->ci->not_after);
	v[0] = icid;
	v[1] = in->certificate;
	v[2] = in->order_id;	/* NULL: imported */
	v[3] = in->private_key;
	v[4] = in->leaf;
	v[5] = served->rest;
	v[6] = in->ci->serial;
	v[7] = nb;
	v[8] = na;
	v[9] = in->ci->issuer;
	v[10] = sans;
	n = db_exec(c, "issued store certificate", "INSERT INTO "
	    "issued_certificates (id, certificate, order_id, private_key, "
	    "cert_pem, chain_pem, serial, not_before, not_after, issuer, sans, "
	    "imported_at) VALUES ($1, $2, $3, $4, $5, $6, $7, "
	    "to_timestamp($8::float8), to_timestamp($9::float8), $10, "
	    "$11::text[], CASE WHEN $3::text IS NULL THEN now() END)", 11, v,
	    NULL, NULL, err, errlen);
	free(sans);
	if (n < 0 || chains_store(c, icid, in->ch, in->served, err, errlen) < 0 ||
	    db_exec(c, "issued chain issuer", "UPDATE issued_certificates SET "
	    "chain_issuer = $2 WHERE id = $1", 2, (const char *[]){ icid,
	    served->top_issuer }, NULL, NULL, err, errlen) < 0)
		return -1;
	return issued_ari_store(c, icid, in, err, errlen);
}

int
issued_record(PGconn *c, const struct issued_new *in, char icid[IDS_LEN + 1],
    char renew[32], char *err, size_t errlen)
{
	const char *v[3];

	if (ids_new(icid) < 0) {
		snprintf(err, errlen, "issued: no random id");
		return -1;
	}
	snprintf(renew, 32, "%.0f", issued_renew_at(in->ci, in->ari_start_ms,
	    in->ari_end_ms));
	if (issued_store(c, in, icid, err, errlen) < 0 ||
	    sigalg_store(c, icid, in->leaf, in->ch->e[in->served].rest, err,
	    errlen) < 0)
		return -1;
	v[0] = in->certificate;
	v[1] = icid;
	v[2] = renew;
	/* Only the current certificate's window is re-checked. */
	if (db_exec(c, "issued ari replaced", "UPDATE issued_certificates SET "
	    "ari_next_at = NULL, ari_check_job = NULL WHERE certificate = $1 AND "
	    "id <> $2 AND ari_next_at IS NOT NULL", 2, v, NULL, NULL, err,
	    errlen) < 0 ||
	    db_exec(c, "issued current", "UPDATE certificates SET status = "
	    "'issued', current_issued = $2, renew_at = to_timestamp($3::float8), "
	    "last_problem_type = NULL, last_problem_detail = NULL, updated_at = "
	    "now() WHERE id = $1", 3, v, NULL, NULL, err, errlen) < 0)
		return -1;
	return 0;
}
