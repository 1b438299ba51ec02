/* issued.c -- records issued certificates (with their chains, ARI CertID and window) as their certificates' current ones and sets renew_at, one or a batch at a time in set-based statements; the result consumer and imports both call it. */
#include "issued.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
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

/* The rows of a batch's issued certificates in ONE insert (each one's
 * served chain's top issuer and id, ARI data and SHA-1 check included: an
 * UPDATE of the fresh rows would write them and their indexes, the GIN on
 * sans among them, again), then every chain of each. Set-based: a
 * statement's fixed costs (its executor, its locks on the table's many
 * indexes, its round trip) are paid once for the batch, not once a
 * certificate (docs/performance-log.md, "Results written together"). */
#define ISSUED_INSERT_SQL "INSERT INTO issued_certificates (id, " \
	"certificate, order_id, private_key, cert_pem, chain_pem, serial, " \
	"not_before, not_after, issuer, sans, imported_at, chain_issuer, " \
	"ari_cert_id, ari_window_start, ari_window_end, ari_explanation_url, " \
	"ari_next_at, sha1_in_chain, chain_id) SELECT id, certificate, " \
	"order_id, private_key, cert_pem, chain_pem, serial, " \
	"to_timestamp(nb), to_timestamp(na), issuer, sans, CASE WHEN " \
	"order_id IS NULL THEN now() END, chain_issuer, ari_cert_id, " \
	"to_timestamp(ws), to_timestamp(we), ari_explanation_url, " \
	"to_timestamp(nx), sha1, chain_id FROM json_to_recordset($1::json) " \
	"AS x(id text, certificate text, order_id text, private_key text, " \
	"cert_pem text, chain_pem text, serial text, nb float8, na float8, " \
	"issuer text, sans text[], chain_issuer text, ari_cert_id text, " \
	"ws float8, we float8, ari_explanation_url text, nx float8, " \
	"sha1 boolean, chain_id text)"

#define ISSUED_CHAINS_SQL "INSERT INTO certificate_chains " \
	"(issued_certificate, position, is_default, top_issuer, chain_pem, " \
	"served) SELECT ic, pos, dflt, top, pem, served FROM " \
	"json_to_recordset($1::json) AS x(ic text, pos integer, dflt boolean, " \
	"top text, pem text, served boolean)"

/* Makes each issued certificate $2[i] certificate $1[i]'s current one
 * (renew_at $3[i], Unix seconds) in ONE statement: the ARI re-checks of
 * the certificates they replace stopped (only the current certificate's
 * window is re-checked) and order $4[i] ("" for an import: none) marked
 * valid with its final URL $5[i]. The certificates UPDATE's triggers read
 * the new issued rows, which the other two parts do not touch. Rows are
 * found by `= ANY` of the arrays (index scans), each one's values by its
 * position in them: the same UPDATE joined to json_to_recordset (planned
 * as 100 rows) saved nothing over one statement a certificate
 * (docs/performance-log.md, "Results written together"). A batch holds a
 * certificate and an order once (issued_batch_holds). */
#define ISSUED_CURRENT_SQL "WITH ari AS (UPDATE issued_certificates SET " \
	"ari_next_at = NULL, ari_check_job = NULL WHERE certificate = " \
	"ANY($1::text[]) AND id <> ALL($2::text[]) AND ari_next_at IS NOT " \
	"NULL), ord AS (UPDATE orders SET status = 'valid', order_url = " \
	"($5::text[])[array_position($4::text[], id)], updated_at = now() " \
	"WHERE id = ANY($4::text[])) UPDATE certificates SET status = " \
	"'issued', current_issued = ($2::text[])[array_position($1::text[], " \
	"id)], renew_at = to_timestamp((($3::text[])[array_position(" \
	"$1::text[], id)])::float8), renewal_failures = 0, " \
	"last_problem_type = NULL, last_problem_detail = NULL, updated_at = " \
	"now() WHERE id = ANY($1::text[])"

struct issued_batch {
	json_t	*rows;		/* ISSUED_INSERT_SQL's x */
	json_t	*chains;	/* ISSUED_CHAINS_SQL's x */
	json_t	*current;	/* ISSUED_CURRENT_SQL's rows: cert, ic,
				 * renew, ord, url */
	int	 failed;	/* a write failed (issued_batch_failed) */
};

struct issued_batch *
issued_batch_new(void)
{
	struct issued_batch *b;

	if ((b = calloc(1, sizeof(*b))) == NULL)
		return NULL;
	b->rows = json_array();
	b->chains = json_array();
	b->current = json_array();
	if (b->rows == NULL || b->chains == NULL || b->current == NULL) {
		issued_batch_free(b);
		return NULL;
	}
	return b;
}

void
issued_batch_clear(struct issued_batch *b)
{
	json_array_clear(b->rows);
	json_array_clear(b->chains);
	json_array_clear(b->current);
}

void
issued_batch_free(struct issued_batch *b)
{
	if (b == NULL)
		return;
	json_decref(b->rows);
	json_decref(b->chains);
	json_decref(b->current);
	free(b);
}

size_t
issued_batch_count(const struct issued_batch *b)
{
	return json_array_size(b->rows);
}

int
issued_batch_failed(const struct issued_batch *b)
{
	return b->failed;
}

/* s as a JSON string, null for NULL or "" when empty_null. The bytes go
 * as they are: what PostgreSQL refuses in them (not UTF-8) it refuses
 * with the SQLSTATE of content (db_fault), as it would a parameter. */
static json_t *
issued_str(const char *s, int empty_null)
{
	if (s == NULL || (empty_null && s[0] == '\0'))
		return json_null();
	return json_string_nocheck(s);
}

/* Sets key of o to v (consumed); -1 when v is NULL or memory runs out. */
static int
issued_set(json_t *o, const char *key, json_t *v)
{
	return v == NULL ? -1 : json_object_set_new_nocheck(o, key, v);
}

int
issued_batch_holds(const struct issued_batch *b, const char *order_id,
    const char *certificate)
{
	const char *ord, *cert;
	json_t *r;
	size_t i;

	json_array_foreach(b->current, i, r) {
		ord = json_string_value(json_object_get(r, "ord"));
		cert = json_string_value(json_object_get(r, "cert"));
		if ((order_id != NULL && ord != NULL &&
		    strcmp(ord, order_id) == 0) || (certificate != NULL &&
		    cert != NULL && strcmp(cert, certificate) == 0))
			return 1;
	}
	return 0;
}

/* The row of in (id icid) for ISSUED_INSERT_SQL, or NULL. */
static json_t *
issued_row(const struct issued_new *in, const char *icid)
{
	const struct chains_entry *served = &in->ch->e[in->served];
	char nb[32], na[32], chain_id[CHAINS_ID_LEN + 1];
	struct issued_ari ari;
	json_t *r, *sans;
	size_t i;
	int sha1, bad = 0;

	if ((r = json_object()) == NULL || (sans = json_array()) == NULL) {
		json_decref(r);
		return NULL;
	}
	for (i = 0; i < in->ci->nsans; i++)
		bad |= json_array_append_new(sans,
		    json_string_nocheck(in->ci->sans[i]));
	issued_ari_values(in, &ari);
	snprintf(nb, sizeof(nb), "%lld", (long long)in->ci->not_before);
	snprintf(na, sizeof(na), "%lld", (long long)in->ci->not_after);
	sha1 = (in->ch->leaf_x != NULL ? sigalg_sha1_in_chain_x509(
	    in->ch->leaf_x, served->rest_x) : sigalg_sha1_in_chain(in->leaf,
	    served->rest)) == 1;
	chains_id(served->rest, chain_id);
	bad |= issued_set(r, "id", issued_str(icid, 0)) |
	    issued_set(r, "certificate", issued_str(in->certificate, 0)) |
	    issued_set(r, "order_id", issued_str(in->order_id, 0)) |
	    issued_set(r, "private_key", issued_str(in->private_key, 0)) |
	    issued_set(r, "cert_pem", issued_str(in->leaf, 0)) |
	    issued_set(r, "chain_pem", issued_str(served->rest, 0)) |
	    issued_set(r, "serial", issued_str(in->ci->serial, 0)) |
	    issued_set(r, "nb", issued_str(nb, 0)) |
	    issued_set(r, "na", issued_str(na, 0)) |
	    issued_set(r, "issuer", issued_str(in->ci->issuer, 0)) |
	    issued_set(r, "sans", sans) |
	    issued_set(r, "chain_issuer", issued_str(served->top_issuer, 0)) |
	    issued_set(r, "ari_cert_id", issued_str(ari.certid, 1)) |
	    issued_set(r, "ws", issued_str(ari.ws, 1)) |
	    issued_set(r, "we", issued_str(ari.we, 1)) |
	    issued_set(r, "ari_explanation_url",
	    issued_str(in->ari_explanation_url, 1)) |
	    issued_set(r, "nx", issued_str(ari.nx, 1)) |
	    issued_set(r, "sha1", json_boolean(sha1)) |
	    issued_set(r, "chain_id", issued_str(chain_id, 0));
	if (bad) {
		json_decref(r);
		return NULL;
	}
	return r;
}

/* Appends every chain of in (id icid) to b->chains; -1 when memory runs
 * out (b->chains may then hold some of them: the caller drops them). */
static int
issued_chain_rows(struct issued_batch *b, const struct issued_new *in,
    const char *icid)
{
	json_t *r;
	size_t i;
	int bad;

	for (i = 0; i < in->ch->n; i++) {
		if ((r = json_object()) == NULL)
			return -1;
		bad = issued_set(r, "ic", issued_str(icid, 0)) |
		    issued_set(r, "pos", json_integer((json_int_t)i)) |
		    issued_set(r, "dflt", json_boolean(in->ch->e[i].is_default)) |
		    issued_set(r, "top", issued_str(in->ch->e[i].top_issuer, 0)) |
		    issued_set(r, "pem", issued_str(in->ch->e[i].rest, 0)) |
		    issued_set(r, "served", json_boolean(i == in->served));
		if (bad || json_array_append_new(b->chains, r) != 0)
			return -1;
	}
	return 0;
}

/* in's row of ISSUED_CURRENT_SQL (id icid, renew_at renew), or NULL. */
static json_t *
issued_current_row(const struct issued_new *in, const char *icid,
    const char *renew)
{
	json_t *r;

	if ((r = json_object()) == NULL)
		return NULL;
	if (issued_set(r, "cert", issued_str(in->certificate, 0)) |
	    issued_set(r, "ic", issued_str(icid, 0)) |
	    issued_set(r, "renew", issued_str(renew, 0)) |
	    issued_set(r, "ord", issued_str(in->order_id, 0)) |
	    issued_set(r, "url", issued_str(in->order_url, 0))) {
		json_decref(r);
		return NULL;
	}
	return r;
}

int
issued_batch_add(struct issued_batch *b, const struct issued_new *in,
    char icid[IDS_LEN + 1], char renew[32], char *err, size_t errlen)
{
	size_t chains = json_array_size(b->chains);
	json_t *row = NULL, *cur = NULL;

	if (ids_new(icid) < 0) {
		snprintf(err, errlen, "issued: no random id");
		return -1;
	}
	snprintf(renew, 32, "%.0f", issued_renew_at(in->ci, in->ari_start_ms,
	    in->ari_end_ms));
	row = issued_row(in, icid);
	cur = issued_current_row(in, icid, renew);
	if (row == NULL || cur == NULL || issued_chain_rows(b, in, icid) < 0)
		goto oom;
	/* json_array_append_new takes its value, failing or not */
	if (json_array_append_new(b->rows, row) != 0) {
		row = NULL;
		goto oom;
	}
	row = NULL;
	if (json_array_append_new(b->current, cur) != 0) {
		cur = NULL;
		json_array_remove(b->rows, json_array_size(b->rows) - 1);
		goto oom;
	}
	return 0;
oom:
	json_decref(row);
	json_decref(cur);
	while (json_array_size(b->chains) > chains)
		json_array_remove(b->chains, json_array_size(b->chains) - 1);
	snprintf(err, errlen, "issued: out of memory");
	return -1;
}

/* ISSUED_CURRENT_SQL's five arrays of b's rows, as literals into v[0..5).
 * Returns 0, or -1 when memory runs out (v as far as it got: free them). */
static int
issued_current_arrays(const struct issued_batch *b, char *v[5])
{
	static const char *const key[5] = { "cert", "ic", "renew", "ord",
	    "url" };
	size_t n = json_array_size(b->current), i, k;
	char **col;
	const char *s;

	if ((col = calloc(n > 0 ? n : 1, sizeof(*col))) == NULL)
		return -1;
	for (k = 0; k < 5; k++) {
		for (i = 0; i < n; i++) {
			s = json_string_value(json_object_get(json_array_get(
			    b->current, i), key[k]));
			col[i] = (char *)(uintptr_t)(s != NULL ? s : "");
		}
		if ((v[k] = db_array_literal(col, n)) == NULL)
			break;
	}
	free(col);
	return k == 5 ? 0 : -1;
}

int
issued_batch_write(PGconn *c, struct issued_batch *b, char *err,
    size_t errlen)
{
	struct db_stmt st[3];
	char *txt[2] = { NULL, NULL }, *cur[5] = { NULL };
	size_t i;
	int rc = -1;

	if (issued_batch_count(b) == 0)
		return 0;
	memset(st, 0, sizeof(st));
	if ((txt[0] = json_dumps(b->rows, JSON_COMPACT)) == NULL ||
	    (txt[1] = json_dumps(b->chains, JSON_COMPACT)) == NULL ||
	    issued_current_arrays(b, cur) < 0) {
		snprintf(err, errlen, "issued: out of memory");
		goto out;
	}
	st[0].what = "issued store certificates";
	st[0].sql = ISSUED_INSERT_SQL;
	st[1].what = "chains store";
	st[1].sql = ISSUED_CHAINS_SQL;
	for (i = 0; i < 2; i++) {
		st[i].n = 1;
		st[i].params = (const char *const *)&txt[i];
	}
	st[2].what = "issued current";
	st[2].sql = ISSUED_CURRENT_SQL;
	st[2].n = 5;
	st[2].params = (const char *const *)cur;
	/* the rows, their chains and the UPDATE in one round trip */
	if ((rc = db_pipeline(c, st, 3, err, errlen)) == 0)
		for (i = 0; i < 3; i++)
			PQclear(st[i].res);
out:
	for (i = 0; i < 2; i++)
		free(txt[i]);
	for (i = 0; i < 5; i++)
		free(cur[i]);
	issued_batch_clear(b);
	if (rc < 0)
		b->failed = 1;
	return rc;
}

int
issued_record(PGconn *c, const struct issued_new *in, char icid[IDS_LEN + 1],
    char renew[32], char *err, size_t errlen)
{
	struct issued_batch *b;
	int rc;

	if ((b = issued_batch_new()) == NULL) {
		snprintf(err, errlen, "issued: out of memory");
		return -1;
	}
	rc = issued_batch_add(b, in, icid, renew, err, errlen) < 0 ? -1 :
	    issued_batch_write(c, b, err, errlen);
	issued_batch_free(b);
	return rc;
}
