/* test_coord_ca.h -- a throwaway certificate authority for the coordinator's tests: signs CSRs and keys. */
#ifndef CERTFLEET_TEST_COORD_CA_H
#define CERTFLEET_TEST_COORD_CA_H

#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rand.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define TESTCA_NAME "certfleet test CA"

struct testca {
	EVP_PKEY	*key;
	X509		*cert;
};

/* A P-256 self-signed CA valid for a year whose CN is cn[0..cnlen) as an
 * ASN.1 string of type cn_type, bytes as given (V_ASN1_T61STRING,
 * V_ASN1_BMPSTRING...: what a CA of another age may carry), or MBSTRING_ASC
 * for plain text. Returns 0 or -1. */
/* Adds extension nid with value (OpenSSL's config syntax) to self-signed
 * x. Returns 0 or -1. */
static inline int
testca_ext(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;
	int ok;

	X509V3_set_ctx_nodb(&ctx);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if ((e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return -1;
	ok = X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
	return ok == 1 ? 0 : -1;
}

static inline int
testca_new_cn(struct testca *ca, int cn_type, const char *cn, int cnlen)
{
	X509_NAME *n;

	memset(ca, 0, sizeof(*ca));
	if ((ca->key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256")) == NULL ||
	    (ca->cert = X509_new()) == NULL)
		return -1;
	X509_set_version(ca->cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(ca->cert), 1);
	X509_gmtime_adj(X509_getm_notBefore(ca->cert), -3600);
	X509_gmtime_adj(X509_getm_notAfter(ca->cert), 365L * 86400);
	n = X509_get_subject_name(ca->cert);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
	    (const unsigned char *)"certfleet tests", -1, -1, 0);
	if (X509_NAME_add_entry_by_NID(n, NID_commonName, cn_type,
	    (const unsigned char *)cn, cnlen, -1, 0) != 1)
		return -1;
	X509_set_issuer_name(ca->cert, n);
	X509_set_pubkey(ca->cert, ca->key);
	/* a CA a chain check accepts as one (results/anchors.c) */
	if (testca_ext(ca->cert, NID_basic_constraints, "critical,CA:TRUE") < 0 ||
	    testca_ext(ca->cert, NID_key_usage, "critical,keyCertSign,cRLSign") < 0)
		return -1;
	return X509_sign(ca->cert, ca->key, EVP_sha256()) > 0 ? 0 : -1;
}

/* A P-256 self-signed CA named TESTCA_NAME, valid for a year. */
static inline int
testca_new(struct testca *ca)
{
	return testca_new_cn(ca, MBSTRING_ASC, TESTCA_NAME, -1);
}

static inline void
testca_free(struct testca *ca)
{
	EVP_PKEY_free(ca->key);
	X509_free(ca->cert);
}

/* A leaf for pub carrying names[0..n) as SANs, serial `serial` (hex),
 * valid from nb to na (unix seconds). */
static inline X509 *
testca_issue(const struct testca *ca, EVP_PKEY *pub, char *const *names,
    size_t n, const char *serial, time_t nb, time_t na)
{
	X509 *x = X509_new();
	BIGNUM *bn = NULL;
	GENERAL_NAMES *gens = sk_GENERAL_NAME_new_null();
	GENERAL_NAME *g;
	ASN1_IA5STRING *s;
	size_t i;

	BN_hex2bn(&bn, serial);
	BN_to_ASN1_INTEGER(bn, X509_get_serialNumber(x));
	BN_free(bn);
	X509_set_version(x, 2);
	ASN1_TIME_set(X509_getm_notBefore(x), nb);
	ASN1_TIME_set(X509_getm_notAfter(x), na);
	X509_set_issuer_name(x, X509_get_subject_name(ca->cert));
	X509_set_pubkey(x, pub);
	for (i = 0; i < n; i++) {
		s = ASN1_IA5STRING_new();
		ASN1_STRING_set(s, names[i], (int)strlen(names[i]));
		g = GENERAL_NAME_new();
		GENERAL_NAME_set0_value(g, GEN_DNS, s);
		sk_GENERAL_NAME_push(gens, g);
	}
	X509_add1_ext_i2d(x, NID_subject_alt_name, gens, 0, 0);
	GENERAL_NAMES_free(gens);
	if (X509_sign(x, ca->key, EVP_sha256()) <= 0) {
		X509_free(x);
		return NULL;
	}
	return x;
}

/* Signs a CSR the way a CA does: its key, its SANs, a random serial,
 * 90 days from an hour ago. Returns NULL when the CSR does not verify. */
static inline X509 *
testca_sign_csr(const struct testca *ca, const unsigned char *der,
    size_t len)
{
	const unsigned char *p = der;
	X509_REQ *req;
	STACK_OF(X509_EXTENSION) *exts;
	GENERAL_NAMES *gens;
	EVP_PKEY *pub;
	char *names[100], serial[33];
	unsigned char rnd[16];
	X509 *x = NULL;
	size_t n = 0, i;
	int j;

	if ((req = d2i_X509_REQ(NULL, &p, (long)len)) == NULL)
		return NULL;
	pub = X509_REQ_get0_pubkey(req);
	if (X509_REQ_verify(req, pub) != 1)
		goto out;
	exts = X509_REQ_get_extensions(req);
	gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL, NULL);
	for (j = 0; gens != NULL && j < sk_GENERAL_NAME_num(gens) && n < 100;
	    j++) {
		GENERAL_NAME *g = sk_GENERAL_NAME_value(gens, j);

		if (g->type == GEN_DNS)
			names[n++] = strndup((const char *)ASN1_STRING_get0_data(
			    g->d.dNSName), (size_t)ASN1_STRING_length(g->d.dNSName));
	}
	RAND_bytes(rnd, sizeof(rnd));
	rnd[0] &= 0x7f;
	for (i = 0; i < sizeof(rnd); i++)
		snprintf(serial + 2 * i, 3, "%02x", rnd[i]);
	x = testca_issue(ca, pub, names, n, serial, time(NULL) - 3600,
	    time(NULL) + 90L * 86400);
	for (i = 0; i < n; i++)
		free(names[i]);
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
out:
	X509_REQ_free(req);
	return x;
}

/* x as a malloc'd PEM string. */
static inline char *
testca_pem(X509 *x)
{
	BIO *b = BIO_new(BIO_s_mem());
	BUF_MEM *m;
	char *s;

	PEM_write_bio_X509(b, x);
	BIO_get_mem_ptr(b, &m);
	s = strndup(m->data, m->length);
	BIO_free(b);
	return s;
}

#endif
