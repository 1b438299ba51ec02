/* test_coord_keys.c -- unit tests of keys.c: P-256 and RSA-2048 keys, PEM roundtrip, CSRs that verify with every name as SAN, PEM/SPKI/CSR byte for byte what OpenSSL's encoders write. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "keys.h"

static char *names[] = { "a.example.com", "b.example.com", "www.example.org" };
#define NNAMES (sizeof(names) / sizeof(names[0]))

/* Checks a CSR: signature, public key, and SANs equal to names. */
static void
check_csr(EVP_PKEY *k, const unsigned char *der, size_t len)
{
	const unsigned char *p = der;
	X509_REQ *req;
	STACK_OF(X509_EXTENSION) *exts;
	GENERAL_NAMES *gens;
	GENERAL_NAME *g;
	size_t i;

	assert_non_null(req = d2i_X509_REQ(NULL, &p, (long)len));
	assert_int_equal(X509_REQ_verify(req, k), 1);
	assert_int_equal(EVP_PKEY_eq(X509_REQ_get0_pubkey(req), k), 1);
	exts = X509_REQ_get_extensions(req);
	assert_non_null(gens = X509V3_get_d2i(exts, NID_subject_alt_name, NULL,
	    NULL));
	assert_int_equal(sk_GENERAL_NAME_num(gens), NNAMES);
	for (i = 0; i < NNAMES; i++) {
		g = sk_GENERAL_NAME_value(gens, (int)i);
		assert_int_equal(g->type, GEN_DNS);
		assert_int_equal(ASN1_STRING_length(g->d.dNSName),
		    strlen(names[i]));
		assert_memory_equal(ASN1_STRING_get0_data(g->d.dNSName), names[i],
		    strlen(names[i]));
	}
	GENERAL_NAMES_free(gens);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_REQ_free(req);
}

static void
check_type(enum keys_type t, int base_id, int bits)
{
	EVP_PKEY *k, *k2;
	unsigned char *csr, *spki;
	char err[256], *pem;
	size_t len, pemlen, spkilen;

	assert_non_null(k = keys_generate(t, err, sizeof(err)));
	assert_int_equal(EVP_PKEY_get_base_id(k), base_id);
	assert_int_equal(EVP_PKEY_get_bits(k), bits);
	assert_non_null(pem = keys_private_pem(k, &pemlen));
	assert_non_null(strstr(pem, "-----BEGIN " "PRIVATE KEY-----"));
	assert_non_null(k2 = keys_from_pem(pem, pemlen, err, sizeof(err)));
	assert_int_equal(EVP_PKEY_eq(k, k2), 1);
	EVP_PKEY_free(k2);
	/* the key pool's typed read gives the same key; the other
	 * algorithm's decoders refuse it */
	assert_non_null(k2 = keys_from_pem_as(pem, pemlen, t, err,
	    sizeof(err)));
	assert_int_equal(EVP_PKEY_eq(k, k2), 1);
	assert_null(keys_from_pem_as(pem, pemlen, base_id == EVP_PKEY_EC ?
	    KEYS_RSA_2048 : KEYS_EC_P256, err, sizeof(err)));
	assert_non_null(strstr(err, "keys_from_pem"));
	assert_non_null(spki = keys_public_der(k, &spkilen));
	assert_true(spkilen > 0);
	assert_non_null(csr = keys_csr_der(k, names, NNAMES, &len, err,
	    sizeof(err)));
	check_csr(k, csr, len);
	free(csr);
	free(spki);
	keys_pem_free(pem, pemlen);
	EVP_PKEY_free(k2);
	EVP_PKEY_free(k);
}

static void
test_p256(void **state)
{
	(void)state;
	check_type(KEYS_EC_P256, EVP_PKEY_EC, 256);
}

static void
test_rsa2048(void **state)
{
	(void)state;
	check_type(KEYS_RSA_2048, EVP_PKEY_RSA, 2048);
}

static void
test_type_names(void **state)
{
	enum keys_type t;

	(void)state;
	assert_int_equal(keys_type_parse("ec-p256", &t), 0);
	assert_int_equal(t, KEYS_EC_P256);
	assert_int_equal(keys_type_parse("rsa-2048", &t), 0);
	assert_int_equal(t, KEYS_RSA_2048);
	assert_int_equal(keys_type_parse("rsa-1024", &t), -1);
	assert_int_equal(keys_type_parse("", &t), -1);
	assert_string_equal(keys_type_name(KEYS_RSA_2048), "rsa-2048");
	assert_string_equal(keys_type_name(KEYS_EC_P256), "ec-p256");
}

static void
test_bad_pem(void **state)
{
	char err[256];

	(void)state;
	assert_null(keys_from_pem("nope", 4, err, sizeof(err)));
	assert_null(keys_from_pem_as("nope", 4, KEYS_EC_P256, err,
	    sizeof(err)));
	assert_null(keys_from_pem_as("", 0, KEYS_RSA_2048, err, sizeof(err)));
}

/* What OpenSSL's own encoders write for k: PKCS#8 PEM and SPKI DER. */
static char *
encoder_pem(EVP_PKEY *k, size_t *len)
{
	BIO *b;
	BUF_MEM *m;
	char *pem;

	assert_non_null(b = BIO_new(BIO_s_mem()));
	assert_int_equal(PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL,
	    NULL), 1);
	assert_int_equal(BIO_get_mem_ptr(b, &m), 1);
	assert_non_null(pem = malloc(m->length + 1));
	memcpy(pem, m->data, m->length);
	pem[m->length] = '\0';
	*len = m->length;
	BIO_free(b);
	return pem;
}

/* keys.c's PEM, SPKI and CSR of k are byte for byte what OpenSSL's
 * encoders write (keys_ec.c builds an EC key's without them), read back
 * as the same key, and the CSR verifies with k and carries k. */
static void
check_same_as_encoders(EVP_PKEY *k)
{
	unsigned char *spki, *ref = NULL, *csr;
	const unsigned char *p;
	char err[256], *pem, *refpem;
	size_t len, reflen, spkilen, csrlen;
	X509_REQ *req;
	EVP_PKEY *k2;
	int n;

	assert_non_null(pem = keys_private_pem(k, &len));
	refpem = encoder_pem(k, &reflen);
	assert_int_equal(len, reflen);
	assert_memory_equal(pem, refpem, len);
	assert_non_null(k2 = keys_from_pem(pem, len, err, sizeof(err)));
	assert_int_equal(EVP_PKEY_eq(k, k2), 1);
	EVP_PKEY_free(k2);
	assert_non_null(spki = keys_public_der(k, &spkilen));
	assert_true((n = i2d_PUBKEY(k, &ref)) > 0);
	assert_int_equal(spkilen, (size_t)n);
	assert_memory_equal(spki, ref, spkilen);
	p = spki;
	assert_non_null(k2 = d2i_PUBKEY(NULL, &p, (long)spkilen));
	assert_int_equal(EVP_PKEY_eq(k, k2), 1);
	EVP_PKEY_free(k2);
	assert_non_null(csr = keys_csr_der(k, names, NNAMES, &csrlen, err,
	    sizeof(err)));
	check_csr(k, csr, csrlen);
	p = csr;
	assert_non_null(req = d2i_X509_REQ(NULL, &p, (long)csrlen));
	OPENSSL_free(ref);
	ref = NULL;
	assert_int_equal(i2d_X509_PUBKEY(X509_REQ_get_X509_PUBKEY(req), &ref),
	    n);
	assert_memory_equal(spki, ref, spkilen);
	X509_REQ_free(req);
	OPENSSL_free(ref);
	free(csr);
	free(spki);
	free(refpem);
	keys_pem_free(pem, len);
}

/* P-256 and P-384 keys, generated and read from PEM (SEC1 and PKCS#8), and
 * the keys the encoders are still used for (RSA; an EC key whose point is
 * compressed) all give what the encoders give. */
static void
test_same_as_encoders(void **state)
{
	static const char *fmt = OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT;
	enum keys_type types[] = { KEYS_EC_P256, KEYS_EC_P384, KEYS_RSA_2048 };
	EVP_PKEY *k, *k2;
	BIO *b;
	BUF_MEM *m;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(types) / sizeof(types[0]); i++) {
		assert_non_null(k = keys_generate(types[i], err, sizeof(err)));
		check_same_as_encoders(k);
		if (types[i] != KEYS_RSA_2048) {
			/* the traditional SEC1 form read back */
			assert_non_null(b = BIO_new(BIO_s_mem()));
			assert_int_equal(PEM_write_bio_PrivateKey_traditional(b,
			    k, NULL, NULL, 0, NULL, NULL), 1);
			BIO_get_mem_ptr(b, &m);
			assert_non_null(k2 = keys_from_pem(m->data, m->length,
			    err, sizeof(err)));
			check_same_as_encoders(k2);
			EVP_PKEY_free(k2);
			BIO_free(b);
			assert_int_equal(EVP_PKEY_set_utf8_string_param(k, fmt,
			    "compressed"), 1);
			check_same_as_encoders(k);
		}
		EVP_PKEY_free(k);
	}
}

/* A name longer than a CN may be still goes in as a SAN. */
static void
test_long_first_name(void **state)
{
	char longname[80], *one[1];
	unsigned char *csr;
	EVP_PKEY *k;
	char err[256];
	size_t len;

	(void)state;
	memset(longname, 'a', 70);
	strcpy(longname + 70, ".example");
	one[0] = longname;
	k = keys_generate(KEYS_EC_P256, err, sizeof(err));
	assert_non_null(csr = keys_csr_der(k, one, 1, &len, err, sizeof(err)));
	free(csr);
	assert_null(keys_csr_der(k, one, 0, &len, err, sizeof(err)));
	EVP_PKEY_free(k);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_p256),
		cmocka_unit_test(test_rsa2048),
		cmocka_unit_test(test_type_names),
		cmocka_unit_test(test_bad_pem),
		cmocka_unit_test(test_long_first_name),
		cmocka_unit_test(test_same_as_encoders),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
