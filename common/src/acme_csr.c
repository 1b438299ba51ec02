/* acme_csr.c -- an order's CSR read without decoding its public key (OpenSSL 3.0 sets up a decoder at every d2i_X509_REQ), and the leaf's key matched against it. */
#include "acme_int.h"

#include <limits.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/x509.h>

/* PKCS#10 as OpenSSL's X509_REQ template reads it (crypto/x509/x_req.c,
 * OPTIONAL attributes included), with the SubjectPublicKeyInfo read as its
 * two fields: the same bytes are accepted and refused (d2i_X509_REQ never
 * fails on a key it cannot decode), and no decoder is set up. */
struct acme_csr_spki {
	X509_ALGOR		*algor;
	ASN1_BIT_STRING		*public_key;
};

struct acme_csr_info {
	ASN1_INTEGER			*version;
	X509_NAME			*subject;
	struct acme_csr_spki		*pubkey;
	STACK_OF(X509_ATTRIBUTE)	*attributes;
};

struct acme_csr {
	struct acme_csr_info	*info;
	X509_ALGOR		*sig_alg;
	ASN1_BIT_STRING		*signature;
};

ASN1_SEQUENCE(ACME_CSR_SPKI) = {
	ASN1_SIMPLE(struct acme_csr_spki, algor, X509_ALGOR),
	ASN1_SIMPLE(struct acme_csr_spki, public_key, ASN1_BIT_STRING)
} static_ASN1_SEQUENCE_END_name(struct acme_csr_spki, ACME_CSR_SPKI)

ASN1_SEQUENCE(ACME_CSR_INFO) = {
	ASN1_SIMPLE(struct acme_csr_info, version, ASN1_INTEGER),
	ASN1_SIMPLE(struct acme_csr_info, subject, X509_NAME),
	ASN1_SIMPLE(struct acme_csr_info, pubkey, ACME_CSR_SPKI),
	ASN1_IMP_SET_OF_OPT(struct acme_csr_info, attributes, X509_ATTRIBUTE, 0)
} static_ASN1_SEQUENCE_END_name(struct acme_csr_info, ACME_CSR_INFO)

ASN1_SEQUENCE(ACME_CSR) = {
	ASN1_SIMPLE(struct acme_csr, info, ACME_CSR_INFO),
	ASN1_SIMPLE(struct acme_csr, sig_alg, X509_ALGOR),
	ASN1_SIMPLE(struct acme_csr, signature, ASN1_BIT_STRING)
} static_ASN1_SEQUENCE_END_name(struct acme_csr, ACME_CSR)

unsigned char *
acme_csr_spki(const unsigned char *der, size_t len, size_t *spkilen)
{
	const unsigned char *p = der;
	ASN1_VALUE *v;
	unsigned char *out = NULL;
	int n;

	if (len == 0 || len > LONG_MAX ||
	    (v = ASN1_item_d2i(NULL, &p, (long)len, ASN1_ITEM_rptr(ACME_CSR))) ==
	    NULL) {
		ERR_clear_error();
		return NULL;
	}
	n = ASN1_item_i2d((ASN1_VALUE *)((struct acme_csr *)v)->info->pubkey,
	    &out, ASN1_ITEM_rptr(ACME_CSR_SPKI));
	ASN1_item_free(v, ASN1_ITEM_rptr(ACME_CSR));
	if (n <= 0) {
		ERR_clear_error();
		return NULL;
	}
	*spkilen = (size_t)n;
	return out;
}

/* The leaf's key against the CSR's by decoding both (EVP_PKEY_eq): 1 when
 * they are the same key. */
static int
acme_csr_key_eq(const struct acme_op *op, EVP_PKEY *lk)
{
	const unsigned char *p = op->csr;
	X509_REQ *req;
	EVP_PKEY *rk;
	int eq;

	if ((req = d2i_X509_REQ(NULL, &p, (long)op->csrlen)) == NULL) {
		ERR_clear_error();
		return 0;
	}
	rk = X509_REQ_get0_pubkey(req);
	eq = rk != NULL && EVP_PKEY_eq(rk, lk) == 1;
	X509_REQ_free(req);
	ERR_clear_error();
	return eq;
}

int
acme_csr_leaf_matches(const struct acme_op *op, X509 *leaf)
{
	unsigned char *spki = NULL;
	const unsigned char *p;
	EVP_PKEY *lk = NULL;
	int n, eq;

	/* the same SubjectPublicKeyInfo bytes are the same key: no key is
	 * decoded, and the leaf may have been read without it (x509lite.h) */
	n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(leaf), &spki);
	eq = n > 0 && (size_t)n == op->csr_spkilen &&
	    memcmp(spki, op->csr_spki, op->csr_spkilen) == 0;
	if (!eq && n > 0) {
		p = spki;
		if ((lk = d2i_PUBKEY(NULL, &p, n)) != NULL && p == spki + n)
			eq = acme_csr_key_eq(op, lk);
	}
	EVP_PKEY_free(lk);
	OPENSSL_free(spki);
	ERR_clear_error();
	return eq;
}
