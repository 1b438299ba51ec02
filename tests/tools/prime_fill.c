/* prime_fill.c -- test and bench tool: issued certificates written straight into PostgreSQL (sealed keys, no CA), and renewals of them, for the primer to prime. */
/*
 * Usage: prime_fill fill COUNT PREFIX TEMPLATES
 *        prime_fill renew PREFIX TEMPLATES [ROUND]
 *
 * Environment: CERTFLEET_PG (a migrated database), CERTFLEET_MASTER_KEY.
 *
 * TEMPLATES is a directory of t<k>.cert.pem, t<k>.chain.pem and t<k>.key.pem
 * (k = 0, 1, ...: a leaf, the chain above it, the leaf's key), made with
 * openssl by the caller. Certificate i gets template i % K, so a handful
 * of real certificates and keys is reused across rows; every row has its
 * own ids and its own private_keys row sealed with the vault under that
 * row's additional data, exactly as enrollment stores it.
 *
 * fill: COUNT managed certificates named "<PREFIX>-<i>.prime.test" (every
 * fourth one also "www.<PREFIX>-<i>.prime.test"), each with an order, a
 * private key and a current issued certificate, as the result consumer
 * leaves them; primed_at is NULL, so the primer takes them.
 *
 * renew: every current certificate of PREFIX gets a new private key, order
 * and issued certificate (template ROUND % K, default 1), which becomes
 * current (certificates.current_issued), as results_issued.c does.
 *
 * Prints the number of certificates written. Triggers (foreign keys, the
 * budget rows) are skipped when the database user may do so. A test tool:
 * never shipped.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <libpq-fe.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "db.h"
#include "ids.h"
#include "vault.h"

#define FILL_TEMPLATES_MAX 16
#define FILL_PEM_MAX (64 * 1024)
#define FILL_COUNT_MAX 1000000

struct fill_template {
	char		*cert, *chain, *key;
	unsigned char	*spki;
	int		 spkilen;
};

static int
fill_fail(const char *what)
{
	fprintf(stderr, "prime_fill: %s\n", what);
	return 1;
}

static char *
fill_read(const char *dir, int k, const char *what)
{
	char path[4096], *buf;
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/t%d.%s.pem", dir, k, what);
	if ((f = fopen(path, "r")) == NULL)
		return NULL;
	buf = calloc(1, FILL_PEM_MAX + 1);
	n = buf == NULL ? 0 : fread(buf, 1, FILL_PEM_MAX, f);
	fclose(f);
	if (buf != NULL && n == 0) {
		free(buf);
		buf = NULL;
	}
	return buf;
}

/* Loads t0.. from dir; returns how many (0: none or a bad one). */
static int
fill_templates(const char *dir, struct fill_template *t)
{
	EVP_PKEY *pk;
	BIO *b;
	int k;

	for (k = 0; k < FILL_TEMPLATES_MAX; k++) {
		if ((t[k].cert = fill_read(dir, k, "cert")) == NULL)
			break;
		t[k].chain = fill_read(dir, k, "chain");
		t[k].key = fill_read(dir, k, "key");
		if (t[k].chain == NULL || t[k].key == NULL)
			return 0;
		b = BIO_new_mem_buf(t[k].key, -1);
		pk = b == NULL ? NULL : PEM_read_bio_PrivateKey(b, NULL, NULL, NULL);
		BIO_free(b);
		if (pk == NULL)
			return 0;
		t[k].spki = NULL;
		t[k].spkilen = i2d_PUBKEY(pk, &t[k].spki);
		EVP_PKEY_free(pk);
		if (t[k].spkilen <= 0)
			return 0;
	}
	return k;
}

static int
fill_exec(PGconn *c, const char *sql, int n, const char *const *p)
{
	char err[1024];

	if (db_exec(c, "prime_fill", sql, n, p, NULL, NULL, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "prime_fill: %s\n", err);
		return -1;
	}
	return 0;
}

static void
fill_hex(char *out, const unsigned char *b, size_t n)
{
	static const char hx[] = "0123456789abcdef";
	size_t i;

	*out++ = '\\';
	*out++ = '\\';
	*out++ = 'x';
	for (i = 0; i < n; i++) {
		*out++ = hx[b[i] >> 4];
		*out++ = hx[b[i] & 15];
	}
	*out = '\0';
}

/* One staging line: i, certificate id (given or new), new key, order and
 * issued ids, template, the key sealed for the new private_keys row. */
static int
fill_stage_row(PGconn *c, const struct vault *v, long i, const char *certid,
    int tmpl, const struct fill_template *t)
{
	char cid[IDS_LEN + 1], pk[IDS_LEN + 1], oid[IDS_LEN + 1],
	    ic[IDS_LEN + 1], aad[VAULT_AAD_MAX], err[256], *line, *ct;
	struct vault_box box = { 0 };
	char nonce[2 * VAULT_NONCE_LEN + 4], tag[2 * VAULT_TAG_LEN + 4];
	size_t len;
	int rc = -1;

	if ((certid == NULL && ids_new(cid) < 0) || ids_new(pk) < 0 ||
	    ids_new(oid) < 0 || ids_new(ic) < 0)
		return -1;
	vault_aad(VAULT_CERT_KEY, pk, aad);
	if (vault_seal(v, t->key, strlen(t->key), aad, &box, err,
	    sizeof(err)) < 0)
		return -1;
	len = 2 * box.ctlen + 512;
	ct = malloc(2 * box.ctlen + 4);
	line = malloc(len);
	if (ct != NULL && line != NULL) {
		fill_hex(ct, box.ct, box.ctlen);
		fill_hex(nonce, box.nonce, VAULT_NONCE_LEN);
		fill_hex(tag, box.tag, VAULT_TAG_LEN);
		snprintf(line, len, "%ld\t%s\t%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", i,
		    certid != NULL ? certid : cid, pk, oid, ic, tmpl, ct, nonce,
		    tag, box.key_id);
		if (PQputCopyData(c, line, (int)strlen(line)) == 1)
			rc = 0;
	}
	free(line);
	free(ct);
	vault_box_clear(&box);
	return rc;
}

static int
fill_copy_end(PGconn *c)
{
	PGresult *r;
	int ok;

	if (PQputCopyEnd(c, NULL) != 1)
		return -1;
	r = PQgetResult(c);
	ok = PQresultStatus(r) == PGRES_COMMAND_OK;
	if (!ok)
		fprintf(stderr, "prime_fill: copy: %s", PQerrorMessage(c));
	PQclear(r);
	while ((r = PQgetResult(c)) != NULL)
		PQclear(r);
	return ok ? 0 : -1;
}

/* The staging and template tables, and the session settings. */
static int
fill_prepare(PGconn *c, const struct fill_template *t, int nt)
{
	PGresult *r;
	char k[16];
	int i;

	/* Skips foreign keys and the budget trigger: much faster, and only
	 * allowed to a superuser (the local stack's user is one). */
	r = PQexec(c, "SET session_replication_role = replica");
	PQclear(r);
	if (fill_exec(c, "CREATE TEMP TABLE pf_stage (i bigint, cert_id text, "
	    "pk_id text, order_id text, ic_id text, tmpl int, ct bytea, nonce "
	    "bytea, tag bytea, key_id text)", 0, NULL) < 0 ||
	    fill_exec(c, "CREATE TEMP TABLE pf_tmpl (tmpl int, cert_pem text, "
	    "chain_pem text, spki bytea)", 0, NULL) < 0 ||
	    fill_exec(c, "INSERT INTO cas (name, directory_url) VALUES "
	    "('primefill', 'https://127.0.0.1:1/dir') ON CONFLICT DO NOTHING", 0,
	    NULL) < 0)
		return -1;
	for (i = 0; i < nt; i++) {
		char *hex = malloc((size_t)t[i].spkilen * 2 + 4);

		if (hex == NULL)
			return -1;
		fill_hex(hex, t[i].spki, (size_t)t[i].spkilen);
		snprintf(k, sizeof(k), "%d", i);
		/* COPY-style escaping is not used here: decode the hex. */
		if (fill_exec(c, "INSERT INTO pf_tmpl VALUES ($1::int, $2, $3, "
		    "decode(substr($4, 4), 'hex'))", 4, (const char *[]){ k,
		    t[i].cert, t[i].chain, hex }) < 0) {
			free(hex);
			return -1;
		}
		free(hex);
	}
	return 0;
}

/* What fill and renew both do once the staging table is filled: the key,
 * order and issued certificate of every staged row, made current. */
static const char *const fill_insert_sql[] = {
	"INSERT INTO private_keys (id, certificate, key_type, public_key_der, "
	"key_ciphertext, key_nonce, key_tag, key_id) SELECT s.pk_id, s.cert_id, "
	"'ec-p256', t.spki, s.ct, s.nonce, s.tag, s.key_id FROM pf_stage s JOIN "
	"pf_tmpl t USING (tmpl)",
	"INSERT INTO orders (id, certificate, private_key, csr_der, trace_id, "
	"status, ca) SELECT order_id, cert_id, pk_id, '\\x00', order_id, "
	"'valid', 'primefill' FROM pf_stage",
	"INSERT INTO issued_certificates (id, certificate, order_id, "
	"private_key, cert_pem, chain_pem, chain_id, serial, not_before, "
	"not_after, issuer, sans, sha1_in_chain) SELECT s.ic_id, s.cert_id, "
	"s.order_id, s.pk_id, t.cert_pem, t.chain_pem, "
	"certfleet_chain_id(t.chain_pem), s.i::text, now(), now() + interval "
	"'90 days', 'prime_fill', hs.names, false FROM pf_stage s JOIN pf_tmpl t USING (tmpl) "
	"JOIN certificates c ON c.id = s.cert_id JOIN hostname_sets hs ON "
	"hs.id = c.hostname_set",
	("UPDATE certificates c SET current_issued = s.ic_id, status = 'issued', "
	"updated_at = now() FROM pf_stage s WHERE c.id = s.cert_id"),
};

static int
fill_insert(PGconn *c)
{
	size_t i;

	for (i = 0; i < sizeof(fill_insert_sql) / sizeof(fill_insert_sql[0]); i++)
		if (fill_exec(c, fill_insert_sql[i], 0, NULL) < 0)
			return -1;
	return 0;
}

static int
fill_fill(PGconn *c, const struct vault *v, long count, const char *prefix,
    const struct fill_template *t, int nt)
{
	char err[256];
	PGresult *r;
	long i;

	r = PQexec(c, "COPY pf_stage FROM STDIN");
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		PQclear(r);
		return fill_fail(PQerrorMessage(c));
	}
	PQclear(r);
	for (i = 0; i < count; i++)
		if (fill_stage_row(c, v, i, NULL, (int)(i % nt), &t[i % nt]) < 0)
			return fill_fail("cannot stage a row");
	if (fill_copy_end(c) < 0)
		return 1;
	if (db_begin(c, err, sizeof(err)) < 0 ||
	    fill_exec(c, "WITH s AS (SELECT cert_id, CASE WHEN i % 4 = 0 THEN "
	    "ARRAY[$1 || '-' || i || '.prime.test', 'www.' || $1 || '-' || i || "
	    "'.prime.test'] ELSE ARRAY[$1 || '-' || i || '.prime.test'] END AS "
	    "names FROM pf_stage), hs AS (INSERT INTO hostname_sets (names, "
	    "domains) SELECT names, ARRAY['prime.test'] FROM s RETURNING id, "
	    "names) INSERT INTO certificates (id, hostname_set, ca, key_type, "
	    "status) SELECT s.cert_id, hs.id, 'primefill', 'ec-p256', 'issued' "
	    "FROM s JOIN hs USING (names)", 1, &prefix) < 0 ||
	    fill_insert(c) < 0 ||
	    db_commit(c, err, sizeof(err)) < 0)
		return fill_fail("fill failed");
	printf("%ld\n", count);
	return 0;
}

static int
fill_renew(PGconn *c, const struct vault *v, const char *prefix, long round,
    const struct fill_template *t, int nt)
{
	char err[1024], like[300];
	PGresult *r, *ids;
	int i, n, tmpl = (int)(round % nt);

	snprintf(like, sizeof(like), "%s-%%", prefix);
	if ((ids = db_query(c, "prime_fill renew", "SELECT c.id FROM "
	    "certificates c JOIN hostname_sets hs ON hs.id = c.hostname_set "
	    "WHERE hs.names[1] LIKE $1 AND c.current_issued IS NOT NULL ORDER BY "
	    "c.id", 1, (const char *[]){ like }, NULL, NULL, err,
	    sizeof(err))) == NULL)
		return fill_fail(err);
	n = PQntuples(ids);
	r = PQexec(c, "COPY pf_stage FROM STDIN");
	if (PQresultStatus(r) != PGRES_COPY_IN) {
		PQclear(r);
		PQclear(ids);
		return fill_fail(PQerrorMessage(c));
	}
	PQclear(r);
	for (i = 0; i < n; i++)
		if (fill_stage_row(c, v, i, PQgetvalue(ids, i, 0), tmpl,
		    &t[tmpl]) < 0) {
			PQclear(ids);
			return fill_fail("cannot stage a row");
		}
	PQclear(ids);
	if (fill_copy_end(c) < 0)
		return 1;
	if (db_begin(c, err, sizeof(err)) < 0 ||
	    fill_insert(c) < 0 ||
	    db_commit(c, err, sizeof(err)) < 0)
		return fill_fail("renew failed");
	printf("%d\n", n);
	return 0;
}

int
main(int argc, char *argv[])
{
	struct fill_template t[FILL_TEMPLATES_MAX];
	struct vault *v = NULL;
	PGconn *c = NULL;
	char err[256];
	long count = 0, round = 1;
	int nt, rc = 1;

	memset(t, 0, sizeof(t));
	if (argc == 5 && strcmp(argv[1], "fill") == 0)
		count = strtol(argv[2], NULL, 10);
	else if ((argc == 4 || argc == 5) && strcmp(argv[1], "renew") == 0)
		round = argc == 5 ? strtol(argv[4], NULL, 10) : 1;
	else
		return fill_fail("usage: prime_fill fill COUNT PREFIX TEMPLATES | "
		    "renew PREFIX TEMPLATES [ROUND]");
	if (argv[1][0] == 'f' && (count < 1 || count > FILL_COUNT_MAX))
		return fill_fail("COUNT must be 1-1000000");
	if ((v = vault_new(getenv("CERTFLEET_MASTER_KEY"), err,
	    sizeof(err))) == NULL) {
		fill_fail(err);
		goto out;
	}
	if ((nt = fill_templates(argv[argv[1][0] == 'f' ? 4 : 3], t)) == 0) {
		fill_fail("no usable templates t0.{cert,chain,key}.pem");
		goto out;
	}
	if (getenv("CERTFLEET_PG") == NULL) {
		fill_fail("CERTFLEET_PG is not set");
		goto out;
	}
	c = PQconnectdb(getenv("CERTFLEET_PG"));
	if (PQstatus(c) != CONNECTION_OK)
		fill_fail(PQerrorMessage(c));
	else if (fill_prepare(c, t, nt) < 0)
		rc = 1;
	else if (argv[1][0] == 'f')
		rc = fill_fill(c, v, count, argv[3], t, nt);
	else
		rc = fill_renew(c, v, argv[2], round < 0 ? 0 : round, t, nt);
out:
	PQfinish(c);
	vault_free(v);
	for (nt = 0; nt < FILL_TEMPLATES_MAX; nt++) {
		free(t[nt].cert);
		free(t[nt].chain);
		free(t[nt].key);
		OPENSSL_free(t[nt].spki);
	}
	return rc;
}
