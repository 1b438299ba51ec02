/* test_acme_csr.c -- unit tests of the order's CSR reader: it accepts and refuses exactly the bytes d2i_X509_REQ does, and matches a leaf's key as EVP_PKEY_eq does. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "acme_int.h"
#include "x509lite.h"

/* A CSR for key k (with an extension request attribute when ext), as DER. */
static unsigned char *
make_csr(EVP_PKEY *k, int ext, size_t *len)
{
	X509_REQ *req = X509_REQ_new();
	STACK_OF(X509_EXTENSION) *exts = sk_X509_EXTENSION_new_null();
	X509_EXTENSION *san;
	unsigned char *der = NULL;
	int n;

	assert_int_equal(X509_REQ_set_pubkey(req, k), 1);
	if (ext) {
		san = X509V3_EXT_conf_nid(NULL, NULL, NID_subject_alt_name,
		    "DNS:csr.example");
		assert_non_null(san);
		sk_X509_EXTENSION_push(exts, san);
		assert_int_equal(X509_REQ_add_extensions(req, exts), 1);
	}
	assert_true(X509_REQ_sign(req, k, EVP_sha256()) > 0);
	n = i2d_X509_REQ(req, &der);
	assert_true(n > 0);
	*len = (size_t)n;
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
	return der;
}

/* 1 when d2i_X509_REQ reads der[0..len). */
static int
openssl_reads(const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509_REQ *r = d2i_X509_REQ(NULL, &p, (long)len);

	X509_REQ_free(r);
	return r != NULL;
}

/* Every prefix and every byte flipped (three ways) of der: acme_csr_spki
 * refuses exactly what d2i_X509_REQ refuses. */
static void
check_same_verdicts(const unsigned char *der, size_t len)
{
	static const unsigned char flips[] = { 0x01, 0x80, 0xff };
	unsigned char *m = malloc(len), *spki;
	size_t i, f, slen;

	for (i = 1; i <= len; i++) {
		spki = acme_csr_spki(der, i, &slen);
		assert_int_equal(spki != NULL, openssl_reads(der, i));
		OPENSSL_free(spki);
	}
	for (i = 0; i < len; i++)
		for (f = 0; f < sizeof(flips); f++) {
			memcpy(m, der, len);
			m[i] ^= flips[f];
			spki = acme_csr_spki(m, len, &slen);
			assert_int_equal(spki != NULL, openssl_reads(m, len));
			OPENSSL_free(spki);
		}
	free(m);
}

static void
test_same_verdicts(void **state)
{
	EVP_PKEY *ec = EVP_EC_gen("P-256");
	unsigned char *der;
	size_t len;

	(void)state;
	der = make_csr(ec, 1, &len);
	check_same_verdicts(der, len);
	OPENSSL_free(der);
	der = make_csr(ec, 0, &len);
	check_same_verdicts(der, len);
	OPENSSL_free(der);
	EVP_PKEY_free(ec);
}

static void
test_spki_bytes(void **state)
{
	EVP_PKEY *k = EVP_EC_gen("P-384");
	unsigned char *der, *spki, *want = NULL;
	size_t len, slen = 0;
	int wlen;

	(void)state;
	der = make_csr(k, 1, &len);
	spki = acme_csr_spki(der, len, &slen);
	assert_non_null(spki);
	wlen = i2d_PUBKEY(k, &want);
	assert_int_equal(slen, (size_t)wlen);
	assert_memory_equal(spki, want, slen);
	assert_null(acme_csr_spki(der, 0, &slen));
	OPENSSL_free(spki);
	OPENSSL_free(want);
	OPENSSL_free(der);
	EVP_PKEY_free(k);
}

/* A self-signed certificate for key k. */
static X509 *
make_leaf(EVP_PKEY *k)
{
	X509 *x = X509_new();

	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	return x;
}

/* The verdicts of acme_csr_leaf_matches on k's leaf (mine) and another
 * key's (theirs) against k's CSR (make_csr's ext): from the SPKI bytes,
 * then, with those bytes made to differ, from both keys decoded. */
static void
check_leaf_verdicts(EVP_PKEY *k, int ext, X509 *mine, X509 *theirs)
{
	struct acme_op op;

	memset(&op, 0, sizeof(op));
	op.csr = make_csr(k, ext, &op.csrlen);
	op.csr_spki = acme_csr_spki(op.csr, op.csrlen, &op.csr_spkilen);
	assert_non_null(op.csr_spki);
	assert_int_equal(acme_csr_leaf_matches(&op, mine), 1);
	assert_int_equal(acme_csr_leaf_matches(&op, theirs), 0);
	op.csr_spki[op.csr_spkilen - 1] ^= 0x01;
	assert_int_equal(acme_csr_leaf_matches(&op, mine), 1);
	assert_int_equal(acme_csr_leaf_matches(&op, theirs), 0);
	OPENSSL_free(op.csr_spki);
	OPENSSL_free(op.csr);
}

static void
test_leaf_matches(void **state)
{
	EVP_PKEY *k = EVP_EC_gen("P-256"), *other = EVP_EC_gen("P-256");
	X509 *mine = make_leaf(k), *theirs = make_leaf(other);

	(void)state;
	check_leaf_verdicts(k, 1, mine, theirs);
	X509_free(mine);
	X509_free(theirs);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

/* A certificate as x509lite reads it (its key not decoded). */
static X509 *
lite_of(X509 *x)
{
	unsigned char *der = NULL;
	size_t used;
	int n = i2d_X509(x, &der);
	X509 *l;

	assert_true(n > 0);
	l = x509lite_d2i(der, (size_t)n, &used);
	assert_non_null(l);
	assert_null(X509_get0_pubkey(l));
	OPENSSL_free(der);
	return l;
}

/* The worker reads the leaf without its key: the same verdicts. */
static void
test_lite_leaf_matches(void **state)
{
	EVP_PKEY *k = EVP_EC_gen("P-256"), *other = EVP_EC_gen("P-256");
	X509 *m = make_leaf(k), *t = make_leaf(other);
	X509 *mine = lite_of(m), *theirs = lite_of(t);

	(void)state;
	check_leaf_verdicts(k, 0, mine, theirs);
	X509_free(mine);
	X509_free(theirs);
	X509_free(m);
	X509_free(t);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_verdicts),
		cmocka_unit_test(test_spki_bytes),
		cmocka_unit_test(test_leaf_matches),
		cmocka_unit_test(test_lite_leaf_matches),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
