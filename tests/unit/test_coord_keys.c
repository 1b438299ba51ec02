/* test_coord_keys.c -- unit tests of keys.c: P-256 and RSA-2048 keys, PEM roundtrip, CSRs that verify with every name as SAN. */
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
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
