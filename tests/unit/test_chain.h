/* test_chain.h -- certificate chains for tests: a root, intermediates and leaves with real extensions, keys of each type, PEM texts and files. */
#ifndef CERTFLEET_TEST_CHAIN_H
#define CERTFLEET_TEST_CHAIN_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* A certificate with its key. */
struct tc {
	EVP_PKEY	*key;
	X509		*cert;
};

/* A key: "EC" with a curve ("P-256"), or "RSA" with bits in curve ("2048"),
 * or "ED25519". */
static inline EVP_PKEY *
tc_key(const char *type, const char *param)
{
	if (strcmp(type, "RSA") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "RSA",
		    (size_t)strtoul(param, NULL, 10));
	if (strcmp(type, "EC") == 0)
		return EVP_PKEY_Q_keygen(NULL, NULL, "EC", param);
	return EVP_PKEY_Q_keygen(NULL, NULL, type);
}

static inline void
tc_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *e;

	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	if ((e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) != NULL) {
		X509_add_ext(x, e, -1);
		X509_EXTENSION_free(e);
	}
}

/*
 * A certificate for key (taken over) named cn, issued by parent (NULL:
 * self-signed), valid from nb to na; a CA when sans is NULL, else a leaf
 * with the subjectAltName sans ("DNS:a.test,DNS:b.test"). Serial: a
 * counter.
 */
static inline int
tc_make(struct tc *t, const struct tc *parent, EVP_PKEY *key, const char *cn,
    const char *sans, time_t nb, time_t na)
{
	static long serial = 4096;
	X509_NAME *n;
	X509 *issuer;

	memset(t, 0, sizeof(*t));
	t->key = key;
	if (key == NULL || (t->cert = X509_new()) == NULL)
		return -1;
	X509_set_version(t->cert, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(t->cert), serial++);
	ASN1_TIME_set(X509_getm_notBefore(t->cert), nb);
	ASN1_TIME_set(X509_getm_notAfter(t->cert), na);
	n = X509_get_subject_name(t->cert);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC,
	    (const unsigned char *)cn, -1, -1, 0);
	issuer = parent != NULL ? parent->cert : t->cert;
	X509_set_issuer_name(t->cert, X509_get_subject_name(issuer));
	X509_set_pubkey(t->cert, key);
	tc_ext(t->cert, issuer, NID_subject_key_identifier, "hash");
	tc_ext(t->cert, issuer, NID_authority_key_identifier, "keyid:always");
	if (sans == NULL) {
		tc_ext(t->cert, issuer, NID_basic_constraints, "critical,CA:TRUE");
		tc_ext(t->cert, issuer, NID_key_usage,
		    "critical,keyCertSign,cRLSign");
	} else {
		tc_ext(t->cert, issuer, NID_basic_constraints, "CA:FALSE");
		if (sans[0] != '\0')
			tc_ext(t->cert, issuer, NID_subject_alt_name, sans);
	}
	return X509_sign(t->cert, parent != NULL ? parent->key : key,
	    EVP_sha256()) > 0 ? 0 : -1;
}

static inline void
tc_free(struct tc *t)
{
	EVP_PKEY_free(t->key);
	X509_free(t->cert);
	memset(t, 0, sizeof(*t));
}

/* A BIO's contents as a malloc'd string, the BIO freed. */
static inline char *
tc_take(BIO *b)
{
	BUF_MEM *m;
	char *s;

	BIO_get_mem_ptr(b, &m);
	s = strndup(m->data, m->length);
	BIO_free(b);
	return s;
}

/* PEM of a certificate, of several (NULL-terminated), of a key. */
static inline char *
tc_cert_pem(const struct tc *t)
{
	BIO *b = BIO_new(BIO_s_mem());

	PEM_write_bio_X509(b, t->cert);
	return tc_take(b);
}

static inline char *
tc_certs_pem(const struct tc *const *v)
{
	BIO *b = BIO_new(BIO_s_mem());

	for (; *v != NULL; v++)
		PEM_write_bio_X509(b, (*v)->cert);
	return tc_take(b);
}

static inline char *
tc_key_pem(const struct tc *t)
{
	BIO *b = BIO_new(BIO_s_mem());

	PEM_write_bio_PrivateKey(b, t->key, NULL, NULL, 0, NULL, NULL);
	return tc_take(b);
}

/* DER of a certificate (OPENSSL_free it) with its length, or NULL. */
static inline unsigned char *
tc_der(const struct tc *t, size_t *len)
{
	unsigned char *der = NULL;
	int n = i2d_X509(t->cert, &der);

	if (n <= 0)
		return NULL;
	*len = (size_t)n;
	return der;
}

/* Writes text to path. 0 or -1. */
static inline int
tc_write(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int rc;

	if (f == NULL)
		return -1;
	rc = fputs(text, f) >= 0 ? 0 : -1;
	return fclose(f) == 0 ? rc : -1;
}

#endif
