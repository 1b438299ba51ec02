/* import.c -- takes over a certificate issued elsewhere: the PEMs checked (key, names, dates, chain), the key sealed, the certificate recorded as issued in one transaction. */
#include "import.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "chains.h"
#include "db.h"
#include "hostname.h"
#include "issued.h"
#include "log.h"

/* What a PEM block's label may be called in a message: [A-Z0-9 ], short. */
static const char *
import_label(const char *name, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; name[i] != '\0' && i + 1 < outlen && i < 40; i++) {
		if (!((name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == ' '))
			return "non-certificate";
		out[i] = name[i];
	}
	out[i] = '\0';
	return name[i] == '\0' ? out : "non-certificate";
}

/* Appends every block of pem[0..len) to sk, each of which must be an X.509
 * certificate, at most max of them; what names the field. 0 or -1. */
static int
import_certs(const char *pem, size_t len, const char *what, int max,
    STACK_OF(X509) *sk, char *err, size_t errlen)
{
	char *name = NULL, *header = NULL, label[48];
	unsigned char *data = NULL;
	const unsigned char *q;
	unsigned long e;
	long dlen;
	BIO *b;
	X509 *x;
	int n = 0, rc = -1;

	if ((b = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (PEM_read_bio(b, &name, &header, &data, &dlen) == 1) {
		if (strcmp(name, "CERTIFICATE") != 0) {
			snprintf(err, errlen, "%s holds a %s block; only "
			    "CERTIFICATE blocks belong there", what,
			    import_label(name, label, sizeof(label)));
			goto out;
		}
		q = data;
		if ((x = d2i_X509(NULL, &q, dlen)) == NULL || q != data + dlen) {
			X509_free(x);
			snprintf(err, errlen, "%s: certificate %d is not X.509",
			    what, n + 1);
			goto out;
		}
		if (++n > max || sk_X509_push(sk, x) <= 0) {
			X509_free(x);
			snprintf(err, errlen, "%s holds more than %d certificates",
			    what, max);
			goto out;
		}
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(data);
		name = header = NULL;
		data = NULL;
	}
	e = ERR_peek_last_error();
	if (ERR_GET_LIB(e) != ERR_LIB_PEM ||
	    ERR_GET_REASON(e) != PEM_R_NO_START_LINE) {
		snprintf(err, errlen, "%s is not well-formed PEM", what);
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	BIO_free(b);
	return rc;
}

/* certs[from..to) as one PEM text, malloc'd ("" when none); NULL on
 * failure. */
static char *
import_pem(STACK_OF(X509) *certs, int from, int to)
{
	BIO *b;
	char *p, *out = NULL;
	long n;
	int i;

	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	for (i = from; i < to; i++)
		if (PEM_write_bio_X509(b, sk_X509_value(certs, i)) != 1)
			goto out;
	n = BIO_get_mem_data(b, &p);
	if (n >= 0 && (out = malloc((size_t)n + 1)) != NULL) {
		if (n > 0)
			memcpy(out, p, (size_t)n);
		out[n] = '\0';
	}
out:
	BIO_free(b);
	return out;
}

/* Each certificate of certs[1..] issued and signed the one before it. */
static int
import_chain_fits(STACK_OF(X509) *certs, char *err, size_t errlen)
{
	X509 *child, *parent;
	int i;

	for (i = 1; i < sk_X509_num(certs); i++) {
		child = sk_X509_value(certs, i - 1);
		parent = sk_X509_value(certs, i);
		if (X509_check_issued(parent, child) != X509_V_OK ||
		    X509_verify(child, X509_get0_pubkey(parent)) != 1) {
			ERR_clear_error();
			snprintf(err, errlen, "the chain does not fit: its "
			    "certificate %d did not issue %s", i, i == 1 ?
			    "the certificate" : "the one before it");
			return -1;
		}
	}
	return 0;
}

/* The private key: read, of a kept type, the leaf's. 0 or -1. */
static int
import_key(const char *key, size_t keylen, X509 *leaf, struct import_cert *ic,
    char *err, size_t errlen)
{
	char why[256];

	if (keylen == 0) {
		snprintf(err, errlen, "private_key is empty");
		return -1;
	}
	/* "BEGIN ENCRYPTED PRIVATE KEY" or an old "Proc-Type: 4,ENCRYPTED" */
	if (strstr(key, "ENCRYPTED") != NULL) {
		snprintf(err, errlen, "private_key is encrypted; give it "
		    "decrypted (openssl pkey -in KEY -out PLAIN)");
		return -1;
	}
	if ((ic->key = keys_from_pem(key, keylen, why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "private_key holds no PEM private key");
		return -1;
	}
	if (keys_type_of(ic->key, &ic->key_type, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "private_key is %s", why);
		return -1;
	}
	if (EVP_PKEY_eq(ic->key, X509_get0_pubkey(leaf)) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "the private key does not match the "
		    "certificate (their public keys differ)");
		return -1;
	}
	return 0;
}

/* The leaf's dates against now. 0 or -1. */
static int
import_dates(const struct certinfo *ci, time_t now, char *err, size_t errlen)
{
	char when[32];
	struct tm tm;

	if (ci->not_after <= now) {
		gmtime_r(&ci->not_after, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(err, errlen, "the certificate expired at %s", when);
		return -1;
	}
	if (ci->not_before > now + IMPORT_SKEW_S) {
		gmtime_r(&ci->not_before, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(err, errlen, "the certificate is not valid before %s",
		    when);
		return -1;
	}
	return 0;
}

int
import_check(const char *cert, size_t certlen, const char *chain,
    size_t chainlen, const char *key, size_t keylen, time_t now,
    struct import_cert *ic, char *err, size_t errlen)
{
	STACK_OF(X509) *certs;
	char why[256];
	int rc = -1;

	memset(ic, 0, sizeof(*ic));
	if ((certs = sk_X509_new_null()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (certlen > IMPORT_PEM_MAX || chainlen > IMPORT_PEM_MAX ||
	    keylen > IMPORT_PEM_MAX) {
		snprintf(err, errlen, "certificate, chain and private_key are "
		    "each at most %d bytes", IMPORT_PEM_MAX);
		goto out;
	}
	if (import_certs(cert, certlen, "certificate", IMPORT_CHAIN_MAX + 1,
	    certs, err, errlen) < 0)
		goto out;
	if (sk_X509_num(certs) == 0) {
		snprintf(err, errlen, "certificate holds no PEM certificate");
		goto out;
	}
	if (chainlen > 0 && sk_X509_num(certs) > 1) {
		snprintf(err, errlen, "the chain is given twice: certificate "
		    "holds %d certificates and chain is set too",
		    sk_X509_num(certs));
		goto out;
	}
	if (chainlen > 0 && import_certs(chain, chainlen, "chain",
	    IMPORT_CHAIN_MAX, certs, err, errlen) < 0)
		goto out;
	if ((ic->leaf = import_pem(certs, 0, 1)) == NULL ||
	    (ic->chain = import_pem(certs, 1, sk_X509_num(certs))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	ic->nchain = (size_t)sk_X509_num(certs) - 1;
	if (certinfo_parse(ic->leaf, strlen(ic->leaf), &ic->ci, why,
	    sizeof(why)) < 0) {
		snprintf(err, errlen, "the certificate: %s", why);
		goto out;
	}
	if (ic->ci.nsans == 0) {
		snprintf(err, errlen, "the certificate names no DNS name in its "
		    "subjectAltName");
		goto out;
	}
	if (import_dates(&ic->ci, now, err, errlen) < 0 ||
	    import_chain_fits(certs, err, errlen) < 0 ||
	    import_key(key, keylen, sk_X509_value(certs, 0), ic, err,
	    errlen) < 0)
		goto out;
	rc = 0;
out:
	sk_X509_pop_free(certs, X509_free);
	if (rc < 0)
		import_cert_free(ic);
	return rc;
}

void
import_cert_free(struct import_cert *ic)
{
	certinfo_free(&ic->ci);
	free(ic->leaf);
	free(ic->chain);
	EVP_PKEY_free(ic->key);
	memset(ic, 0, sizeof(*ic));
}

/* A PEM field of the body: a string without NUL of at most IMPORT_PEM_MAX
 * bytes; absent (NULL, length 0) when optional. 0 or -1. */
static int
import_field(json_t *root, const char *field, int required, const char **out,
    size_t *len, char *err, size_t errlen)
{
	json_t *v = json_object_get(root, field);

	*out = NULL;
	*len = 0;
	if (v == NULL || (!required && json_is_null(v)))
		goto absent;
	if (!json_is_string(v) || strlen(json_string_value(v)) !=
	    json_string_length(v)) {
		snprintf(err, errlen, "%s must be a PEM text", field);
		return -1;
	}
	if (json_string_length(v) > IMPORT_PEM_MAX) {
		snprintf(err, errlen, "%s is over %d bytes", field, IMPORT_PEM_MAX);
		return -1;
	}
	*out = json_string_value(v);
	*len = json_string_length(v);
	return 0;
absent:
	if (required) {
		snprintf(err, errlen, "missing field \"%s\": a PEM text", field);
		return -1;
	}
	return 0;
}

/* Wipes the private key's text inside the parsed body before it is freed
 * (jansson frees without wiping). */
static void
import_wipe_key(json_t *root)
{
	json_t *v = json_object_get(root, "private_key");

	if (json_is_string(v))
		OPENSSL_cleanse((char *)(uintptr_t)json_string_value(v),
		    json_string_length(v));
}

/* The enrollment the certificate stands for: the body without its PEMs,
 * with the certificate's names and key type (and dns-01 when a name is a
 * wildcard and no challenge was asked), through enroll_parse. 0 or -1. */
static int
import_enrollment(json_t *root, struct import_request *ir, enum keys_type def,
    char *err, size_t errlen)
{
	char *body = NULL, why[400];
	json_t *names;
	size_t i;
	int wild = 0, rc = -1;

	json_object_del(root, "certificate");
	json_object_del(root, "chain");
	json_object_del(root, "private_key");
	if ((names = json_array()) == NULL)
		goto oom;
	for (i = 0; i < ir->ic.ci.nsans; i++) {
		json_array_append_new(names, json_string(ir->ic.ci.sans[i]));
		wild |= hostname_is_wildcard(ir->ic.ci.sans[i]);
	}
	json_object_set_new(root, "hostnames", names);
	json_object_set_new(root, "key_type",
	    json_string(keys_type_name(ir->ic.key_type)));
	if (wild && json_object_get(root, "challenge") == NULL)
		json_object_set_new(root, "challenge", json_string("dns-01"));
	if ((body = json_dumps(root, JSON_COMPACT)) == NULL)
		goto oom;
	if (enroll_parse(body, strlen(body), def, &ir->er, why,
	    sizeof(why)) < 0) {
		snprintf(err, errlen, "%s", why);
		goto out;
	}
	if (!certinfo_sans_equal(&ir->ic.ci, ir->er.names, ir->er.nnames)) {
		snprintf(err, errlen, "the certificate's names are not host "
		    "names in normal form (lower-case A-labels)");
		goto out;
	}
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	free(body);
	return rc;
}

int
import_parse(const char *body, size_t len, enum keys_type def, time_t now,
    struct import_request *ir, char *err, size_t errlen)
{
	const char *cert, *chain, *key;
	size_t certlen, chainlen, keylen;
	json_error_t je;
	json_t *root;
	int rc = -1;

	memset(ir, 0, sizeof(*ir));
	if ((root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		snprintf(err, errlen, "malformed JSON: %s (line %d, column %d)",
		    je.text, je.line, je.column);
		return -1;
	}
	if (!json_is_object(root)) {
		snprintf(err, errlen, "the body must be a JSON object");
		goto out;
	}
	if (json_object_get(root, "hostnames") != NULL ||
	    json_object_get(root, "key_type") != NULL) {
		snprintf(err, errlen, "an import takes its hostnames and key type "
		    "from the certificate; leave \"hostnames\" and \"key_type\" out");
		goto out;
	}
	if (import_field(root, "certificate", 1, &cert, &certlen, err,
	    errlen) < 0 || import_field(root, "chain", 0, &chain, &chainlen,
	    err, errlen) < 0 || import_field(root, "private_key", 1, &key,
	    &keylen, err, errlen) < 0)
		goto out;
	if (import_check(cert, certlen, chain, chainlen, key, keylen, now,
	    &ir->ic, err, errlen) < 0)
		goto out;
	import_wipe_key(root);
	if (import_enrollment(root, ir, def, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	import_wipe_key(root);
	json_decref(root);
	if (rc < 0)
		import_request_free(ir);
	return rc;
}

void
import_request_free(struct import_request *ir)
{
	import_cert_free(&ir->ic);
	enroll_request_free(&ir->er);
}

/* The certificate holding this very leaf (same issuer and serial): 1 with
 * its id and status, 0 when none, -1 with err. */
static int
import_find(PGconn *c, const struct certinfo *ci, char id[IDS_LEN + 1],
    char status[16], char *err, size_t errlen)
{
	PGresult *r;
	int found;

	if ((r = db_query(c, "import find", "SELECT c.id, c.status FROM "
	    "issued_certificates ic JOIN certificates c ON c.id = "
	    "ic.certificate WHERE ic.serial = $1 AND ic.issuer = $2 LIMIT 1", 2,
	    (const char *[]){ ci->serial, ci->issuer }, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	if ((found = PQntuples(r) == 1)) {
		snprintf(id, IDS_LEN + 1, "%s", PQgetvalue(r, 0, 0));
		snprintf(status, 16, "%s", PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return found;
}

/* In the caller's transaction: the certificate's rows and its issued
 * certificate. 1, 0 (quota) or -1. */
static int
import_write(PGconn *c, const struct settings *s,
    const struct import_request *ir, const char *id, const char *pkid,
    const struct enroll_material *m, char renew[32], char *err,
    size_t errlen)
{
	struct issued_new in = { 0 };
	struct chains ch = { 0 };
	char icid[IDS_LEN + 1], why[256], *full = NULL;
	int n, rc = -1;

	if ((n = enroll_insert(c, s, &ir->er, id, pkid, m, 0, err, errlen)) <= 0)
		return n;
	if ((full = malloc(strlen(ir->ic.leaf) + strlen(ir->ic.chain) + 1)) ==
	    NULL) {
		snprintf(err, errlen, "import: out of memory");
		return -1;
	}
	strcpy(full, ir->ic.leaf);
	strcat(full, ir->ic.chain);
	if (chains_parse(full, NULL, 0, &ch, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "import: chain: %s", why);
		goto out;
	}
	in.certificate = id;
	in.order_id = NULL;	/* imported: issued elsewhere */
	in.private_key = pkid;
	in.ci = &ir->ic.ci;
	in.leaf = ir->ic.leaf;
	in.ch = &ch;
	in.served = 0;
	if (issued_record(c, &in, icid, renew, err, errlen) < 0)
		goto out;
	rc = 1;
out:
	chains_free(&ch);
	free(full);
	return rc;
}

enum import_outcome
import_store(PGconn *c, const struct vault *v, const struct settings *s,
    const struct import_request *ir, char id[IDS_LEN + 1], char status[16],
    char renew[32], char *err, size_t errlen)
{
	struct enroll_material m = { 0 };
	enum import_outcome out = IMPORT_ERROR;
	char pkid[IDS_LEN + 1];
	int n;

	if ((n = import_find(c, &ir->ic.ci, id, status, err, errlen)) != 0)
		return n > 0 ? IMPORT_EXISTING : IMPORT_ERROR;
	if (!ir->er.force && (n = enroll_find_live(c, &ir->er, id, status, err,
	    errlen)) != 0)
		return n > 0 ? IMPORT_CONFLICT : IMPORT_ERROR;
	if (ids_new(id) < 0 || ids_new(pkid) < 0) {
		snprintf(err, errlen, "import: no random ids");
		return IMPORT_ERROR;
	}
	if (EVP_PKEY_up_ref(ir->ic.key) != 1 ||
	    enroll_seal(v, ir->ic.key, pkid, &m, err, errlen) < 0 ||
	    db_begin(c, err, errlen) < 0)
		goto out;
	if ((n = import_write(c, s, ir, id, pkid, &m, renew, err, errlen)) <= 0) {
		out = n == 0 ? IMPORT_QUOTA : IMPORT_ERROR;
		goto out;
	}
	if (db_commit(c, err, errlen) < 0)
		goto out;
	snprintf(status, 16, "issued");
	out = IMPORT_CREATED;
out:
	if (out != IMPORT_CREATED)
		db_rollback(c);
	enroll_material_free(&m);
	return out;
}
