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

/* The ARI columns of a new issued certificate, as text ("" for NULL): its
 * CertID (from the leaf; none without an AKI), the CA's window and the
 * first re-check. */
struct issued_ari {
	char	certid[ACME_CERTID_MAX];
	char	ws[32], we[32], nx[32];
};

static void
issued_ari_values(const struct issued_new *in, struct issued_ari *a)
{
	char why[128];

	if ((in->ch->leaf_x != NULL ? acme_ari_certid_x509(in->ch->leaf_x,
	    a->certid, sizeof(a->certid), why, sizeof(why)) :
	    acme_ari_certid_pem(in->leaf, strlen(in->leaf), a->certid,
	    sizeof(a->certid), why, sizeof(why))) < 0)
		a->certid[0] = '\0';	/* no AKI: no ARI for this certificate */
	a->ws[0] = a->we[0] = a->nx[0] = '\0';
	if (in->ari_start_ms > 0 && in->ari_end_ms > in->ari_start_ms) {
		snprintf(a->ws, sizeof(a->ws), "%.3f",
		    (double)in->ari_start_ms / 1000.0);
		snprintf(a->we, sizeof(a->we), "%.3f",
		    (double)in->ari_end_ms / 1000.0);
		/* The first re-check (RFC 9773 section 4.3): when the CA
		 * said, or ACME_ARI_RECHECK_S from now. */
		if (a->certid[0] != '\0')
			snprintf(a->nx, sizeof(a->nx), "%.3f",
			    in->ari_next_ms > 0 ? (double)in->ari_next_ms /
			    1000.0 : (double)time(NULL) + ACME_ARI_RECHECK_S);
	}
}

/* The row of issued certificate icid in ONE insert (its served chain's
 * top issuer and id, ARI data and SHA-1 check included: an UPDATE of the
 * fresh row would write it and its indexes, the GIN on sans among them,
 * again), then its chains. */
#define ISSUED_INSERT_SQL "INSERT INTO issued_certificates (id, " \
	"certificate, order_id, private_key, cert_pem, chain_pem, serial, " \
	"not_before, not_after, issuer, sans, imported_at, chain_issuer, " \
	"ari_cert_id, ari_window_start, ari_window_end, ari_explanation_url, " \
	"ari_next_at, sha1_in_chain, chain_id) VALUES ($1, $2, $3, $4, $5, $6, " \
	"$7, to_timestamp($8::float8), to_timestamp($9::float8), $10, " \
	"$11::text[], CASE WHEN $3::text IS NULL THEN now() END, $12, " \
	"nullif($13, ''), to_timestamp(nullif($14, '')::float8), " \
	"to_timestamp(nullif($15, '')::float8), nullif($16, ''), " \
	"to_timestamp(nullif($17, '')::float8), $18::boolean, $19)"

/* Makes issued certificate $2 certificate $1's current one (renew_at $3)
 * in ONE statement: the ARI re-checks of the certificates it replaces
 * stopped (only the current certificate's window is re-checked) and order
 * $4 (NULL for an import: none) marked valid with its final URL $5. The
 * certificates UPDATE's triggers read the new issued row, which the other
 * two parts do not touch. */
#define ISSUED_CURRENT_SQL "WITH ari AS (UPDATE issued_certificates SET " \
	"ari_next_at = NULL, ari_check_job = NULL WHERE certificate = $1 AND " \
	"id <> $2 AND ari_next_at IS NOT NULL), ord AS (UPDATE orders SET " \
	"status = 'valid', order_url = $5, updated_at = now() WHERE id = $4) " \
	"UPDATE certificates SET status = 'issued', " \
	"current_issued = $2, renew_at = to_timestamp($3::float8), " \
	"renewal_failures = 0, last_problem_type = NULL, " \
	"last_problem_detail = NULL, updated_at = now() WHERE id = $1"

/* What issued_record sends, and the parameters its statements point to. */
_Static_assert(2 + CHAINS_MAX <= DB_PIPELINE_MAX,
    "an issued certificate's statements fit one pipeline");
struct issued_plan {
	struct db_stmt		 st[2 + CHAINS_MAX];
	size_t			 n;
	const char		*row[19];	/* ISSUED_INSERT_SQL's */
	const char		*cur[5];	/* ISSUED_CURRENT_SQL's */
	struct chains_rows	 chains;
	struct issued_ari	 ari;
	char			 nb[32], na[32];
	char			 chain_id[CHAINS_ID_LEN + 1];
	char			*sans;
};

/* Plans the row of in (id icid), its chains and the UPDATE that makes it
 * current (renew_at renew) in p. Returns 0, or -1 when memory runs out. */
static int
issued_plan(struct issued_plan *p, const struct issued_new *in,
    const char *icid, const char *renew)
{
	const struct chains_entry *served = &in->ch->e[in->served];

	memset(p, 0, sizeof(*p));
	if ((p->sans = db_array_literal(in->ci->sans, in->ci->nsans)) == NULL)
		return -1;
	issued_ari_values(in, &p->ari);
	snprintf(p->nb, sizeof(p->nb), "%lld", (long long)in->ci->not_before);
	snprintf(p->na, sizeof(p->na), "%lld", (long long)in->ci->not_after);
	p->row[0] = icid;
	p->row[1] = in->certificate;
	p->row[2] = in->order_id;	/* NULL: imported */
	p->row[3] = in->private_key;
	p->row[4] = in->leaf;
	p->row[5] = served->rest;
	p->row[6] = in->ci->serial;
	p->row[7] = p->nb;
	p->row[8] = p->na;
	p->row[9] = in->ci->issuer;
	p->row[10] = p->sans;
	p->row[11] = served->top_issuer;
	p->row[12] = p->ari.certid;
	p->row[13] = p->ari.ws;
	p->row[14] = p->ari.we;
	p->row[15] = in->ari_explanation_url != NULL ?
	    in->ari_explanation_url : "";
	p->row[16] = p->ari.nx;
	p->row[17] = (in->ch->leaf_x != NULL ? sigalg_sha1_in_chain_x509(
	    in->ch->leaf_x, served->rest_x) : sigalg_sha1_in_chain(in->leaf,
	    served->rest)) == 1 ? "t" : "f";
	chains_id(served->rest, p->chain_id);
	p->row[18] = p->chain_id;
	p->st[0].what = "issued store certificate";
	p->st[0].sql = ISSUED_INSERT_SQL;
	p->st[0].n = 19;
	p->st[0].params = p->row;
	p->n = 1 + chains_stmts(icid, in->ch, in->served, &p->chains,
	    &p->st[1]);
	p->cur[0] = in->certificate;
	p->cur[1] = icid;
	p->cur[2] = renew;
	p->cur[3] = in->order_id;
	p->cur[4] = in->order_url;
	p->st[p->n].what = "issued current";
	p->st[p->n].sql = ISSUED_CURRENT_SQL;
	p->st[p->n].n = 5;
	p->st[p->n++].params = p->cur;
	return 0;
}

int
issued_record(PGconn *c, const struct issued_new *in, char icid[IDS_LEN + 1],
    char renew[32], char *err, size_t errlen)
{
	struct issued_plan p;
	size_t i;
	int rc;

	if (ids_new(icid) < 0) {
		snprintf(err, errlen, "issued: no random id");
		return -1;
	}
	snprintf(renew, 32, "%.0f", issued_renew_at(in->ci, in->ari_start_ms,
	    in->ari_end_ms));
	if (issued_plan(&p, in, icid, renew) < 0) {
		snprintf(err, errlen, "issued: out of memory");
		return -1;
	}
	/* the row, its chains and the UPDATE in one round trip */
	rc = db_pipeline(c, p.st, p.n, err, errlen);
	for (i = 0; rc == 0 && i < p.n; i++)
		PQclear(p.st[i].res);
	free(p.sans);
	return rc;
}
