/* test_coord_p12.c -- unit tests of p12_build (store/p12.c): modern and legacy bundles open with their password (key, leaf, chain), under the algorithms promised, and not with another. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <openssl/pkcs12.h>

#include "p12.h"
#include "test_chain.h"

#define DAY 86400L

struct fixture {
	struct tc	 root, inter, leaf;
	char		*leaf_pem, *chain_pem, *key_pem;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const struct tc *chain[3];
	time_t now = time(NULL);

	if (f == NULL ||
	    tc_make(&f->root, NULL, tc_key("EC", "P-256"), "P12 Root", NULL,
	    now - DAY, now + 900 * DAY) < 0 ||
	    tc_make(&f->inter, &f->root, tc_key("EC", "P-256"), "P12 Inter",
	    NULL, now - DAY, now + 400 * DAY) < 0 ||
	    tc_make(&f->leaf, &f->inter, tc_key("RSA", "2048"), "p12.test",
	    "DNS:p12.test", now - DAY, now + 89 * DAY) < 0)
		return -1;
	chain[0] = &f->inter;
	chain[1] = &f->root;
	chain[2] = NULL;
	f->leaf_pem = tc_cert_pem(&f->leaf);
	f->chain_pem = tc_certs_pem(chain);
	f->key_pem = tc_key_pem(&f->leaf);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	tc_free(&f->root);
	tc_free(&f->inter);
	tc_free(&f->leaf);
	free(f->leaf_pem);
	free(f->chain_pem);
	free(f->key_pem);
	free(f);
	return 0;
}

/* Parses the bundle back with password: the key, the leaf and the chain
 * must be the fixture's. Returns the PKCS12 (free it) for more checks. */
static PKCS12 *
opens(const struct fixture *f, const unsigned char *der, size_t len,
    const char *password)
{
	const unsigned char *p = der;
	STACK_OF(X509) *ca = NULL;
	EVP_PKEY *key = NULL;
	X509 *cert = NULL;
	PKCS12 *p12;

	assert_non_null(p12 = d2i_PKCS12(NULL, &p, (long)len));
	assert_int_equal(PKCS12_verify_mac(p12, password, -1), 1);
	assert_int_equal(PKCS12_parse(p12, password, &key, &cert, &ca), 1);
	assert_int_equal(EVP_PKEY_eq(key, f->leaf.key), 1);
	assert_int_equal(X509_cmp(cert, f->leaf.cert), 0);
	assert_int_equal(sk_X509_num(ca), 2);
	EVP_PKEY_free(key);
	X509_free(cert);
	sk_X509_pop_free(ca, X509_free);
	return p12;
}

/* The MAC's digest of a bundle. */
static int
mac_nid(const PKCS12 *p12)
{
	const X509_ALGOR *alg;
	const ASN1_OBJECT *obj;

	PKCS12_get0_mac(NULL, &alg, NULL, NULL, p12);
	X509_ALGOR_get0(&obj, NULL, NULL, alg);
	return OBJ_obj2nid(obj);
}

/* The encryption of the bundle's certificates: the first encrypted bag. */
static int
cert_cipher_nid(PKCS12 *p12)
{
	STACK_OF(PKCS7) *safes = PKCS12_unpack_authsafes(p12);
	int i, nid = -1;

	for (i = 0; i < sk_PKCS7_num(safes) && nid < 0; i++) {
		PKCS7 *p7 = sk_PKCS7_value(safes, i);

		if (OBJ_obj2nid(p7->type) == NID_pkcs7_encrypted)
			nid = OBJ_obj2nid(p7->d.encrypted->enc_data->algorithm->
			    algorithm);
	}
	sk_PKCS7_pop_free(safes, PKCS7_free);
	return nid;
}

static void
test_modern(void **state)
{
	struct fixture *f = *state;
	unsigned char *der;
	char err[256];
	size_t len;
	PKCS12 *p12;

	der = p12_build(f->key_pem, strlen(f->key_pem), f->leaf_pem,
	    f->chain_pem, "correct horse", P12_MODERN, "p12.test", &len, err,
	    sizeof(err));
	assert_non_null(der);
	p12 = opens(f, der, len, "correct horse");
	assert_int_equal(mac_nid(p12), NID_sha256);
	assert_int_equal(cert_cipher_nid(p12), NID_pbes2);
	assert_int_equal(PKCS12_verify_mac(p12, "wrong", -1), 0);
	PKCS12_free(p12);
	p12_free(der, len);
}

static void
test_legacy(void **state)
{
	struct fixture *f = *state;
	unsigned char *der;
	char err[256];
	size_t len;
	PKCS12 *p12;

	der = p12_build(f->key_pem, strlen(f->key_pem), f->leaf_pem,
	    f->chain_pem, "pässwörd", P12_LEGACY, NULL, &len, err, sizeof(err));
	assert_non_null(der);
	p12 = opens(f, der, len, "pässwörd");
	assert_int_equal(mac_nid(p12), NID_sha1);
	assert_int_equal(cert_cipher_nid(p12),
	    NID_pbe_WithSHA1And3_Key_TripleDES_CBC);
	assert_int_equal(PKCS12_verify_mac(p12, "passwort", -1), 0);
	PKCS12_free(p12);
	p12_free(der, len);
}

static void
test_refusals(void **state)
{
	struct fixture *f = *state;
	char err[256] = "", big[P12_PASSWORD_MAX + 2];
	size_t len;

	assert_null(p12_build(f->key_pem, strlen(f->key_pem), f->leaf_pem, "",
	    "", P12_MODERN, NULL, &len, err, sizeof(err)));
	assert_non_null(strstr(err, "the password must be 1-"));
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_null(p12_build(f->key_pem, strlen(f->key_pem), f->leaf_pem, "",
	    big, P12_MODERN, NULL, &len, err, sizeof(err)));
	/* the root's key is not the leaf's */
	assert_null(p12_build(f->key_pem, strlen(f->key_pem), f->chain_pem, "",
	    "pw", P12_MODERN, NULL, &len, err, sizeof(err)));
	assert_non_null(strstr(err, "the key is not the certificate's"));
	assert_null(strstr(err, "PRIVATE"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_modern),
		cmocka_unit_test(test_legacy),
		cmocka_unit_test(test_refusals),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
