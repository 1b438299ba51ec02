/* test_sigalg.c -- unit tests of SHA-1 detection in a served chain (coordinator/results/sigalg.h): leaf, intermediate, a root's own signature. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "sigalg.h"

static EVP_PKEY *root_key, *inter_key, *leaf_key;

/* A certificate of key for CN sub, issued by CN iss and signed by signer
 * with md, as PEM (malloc'd). sub == iss makes it self-signed. */
static char *
cert(const char *sub, EVP_PKEY *key, const char *iss, EVP_PKEY *signer,
    const EVP_MD *md)
{
	X509 *x = X509_new();
	X509_NAME *s = X509_NAME_new(), *i = X509_NAME_new();
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *out;
	long n;

	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_NAME_add_entry_by_txt(s, "CN", MBSTRING_ASC,
	    (const unsigned char *)sub, -1, -1, 0);
	X509_NAME_add_entry_by_txt(i, "CN", MBSTRING_ASC,
	    (const unsigned char *)iss, -1, -1, 0);
	X509_set_subject_name(x, s);
	X509_set_issuer_name(x, i);
	X509_set_pubkey(x, key);
	assert_true(X509_sign(x, signer, md) > 0);
	PEM_write_bio_X509(b, x);
	n = BIO_get_mem_data(b, &p);
	out = strndup(p, (size_t)n);
	BIO_free(b);
	X509_NAME_free(s);
	X509_NAME_free(i);
	X509_free(x);
	return out;
}

/* The certificates of PEM text pem, parsed. */
static STACK_OF(X509) *
certs(const char *pem)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	BIO *b = BIO_new_mem_buf(pem, -1);
	X509 *x;

	assert_non_null(sk);
	assert_non_null(b);
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		assert_true(sk_X509_push(sk, x) > 0);
	ERR_clear_error();
	BIO_free(b);
	return sk;
}

/* root -> intermediate -> leaf, each signed with its own md; rest is the
 * intermediate and the root. The answer for the chain parsed
 * (sigalg_sha1_in_chain_x509) is the same as for its PEM. */
static int
chain(const EVP_MD *leaf_md, const EVP_MD *inter_md, const EVP_MD *root_md)
{
	char *leaf, *inter, *root, rest[16384];
	STACK_OF(X509) *lx, *rx;
	int n;

	root = cert("Root", root_key, "Root", root_key, root_md);
	inter = cert("Inter", inter_key, "Root", root_key, inter_md);
	leaf = cert("leaf.example.com", leaf_key, "Inter", inter_key, leaf_md);
	snprintf(rest, sizeof(rest), "%s%s", inter, root);
	n = sigalg_sha1_in_chain(leaf, rest);
	lx = certs(leaf);
	rx = certs(rest);
	assert_int_equal(sk_X509_num(rx), 2);
	assert_int_equal(sigalg_sha1_in_chain_x509(sk_X509_value(lx, 0), rx), n);
	sk_X509_pop_free(lx, X509_free);
	sk_X509_pop_free(rx, X509_free);
	free(leaf);
	free(inter);
	free(root);
	return n;
}

static int
setup(void **state)
{
	(void)state;
	root_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	inter_key = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	leaf_key = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	return root_key != NULL && inter_key != NULL && leaf_key != NULL ? 0 : -1;
}

static int
teardown(void **state)
{
	(void)state;
	EVP_PKEY_free(root_key);
	EVP_PKEY_free(inter_key);
	EVP_PKEY_free(leaf_key);
	return 0;
}

static void
test_sha256_everywhere(void **state)
{
	(void)state;
	assert_int_equal(chain(EVP_sha256(), EVP_sha256(), EVP_sha256()), 0);
	assert_int_equal(chain(EVP_sha384(), EVP_sha256(), EVP_sha512()), 0);
}

static void
test_sha1_leaf(void **state)
{
	(void)state;
	/* ecdsa-with-SHA1, signed by the RSA intermediate: sha1WithRSA */
	assert_int_equal(chain(EVP_sha1(), EVP_sha256(), EVP_sha256()), 1);
}

static void
test_sha1_intermediate(void **state)
{
	(void)state;
	/* the intermediate signed by the EC root: ecdsa-with-SHA1 */
	assert_int_equal(chain(EVP_sha256(), EVP_sha1(), EVP_sha256()), 1);
}

static void
test_sha1_root_only(void **state)
{
	(void)state;
	/* a root's self-signature is never checked by a client */
	assert_int_equal(chain(EVP_sha256(), EVP_sha256(), EVP_sha1()), 0);
}

static void
test_leaf_alone_and_garbage(void **state)
{
	char *leaf;

	(void)state;
	leaf = cert("leaf.example.com", leaf_key, "Inter", inter_key, EVP_sha1());
	assert_int_equal(sigalg_sha1_in_chain(leaf, ""), 1);
	assert_int_equal(sigalg_sha1_in_chain(leaf, NULL), 1);
	free(leaf);
	leaf = cert("leaf.example.com", leaf_key, "Inter", inter_key,
	    EVP_sha256());
	assert_int_equal(sigalg_sha1_in_chain(leaf, "not a chain"), 0);
	free(leaf);
	assert_int_equal(sigalg_sha1_in_chain("", ""), -1);
	assert_int_equal(sigalg_sha1_in_chain(NULL, NULL), -1);
	assert_int_equal(sigalg_sha1_in_chain_x509(NULL, NULL), -1);
	assert_int_equal(sigalg_sha1_in_chain("-----BEGIN CERTIFICATE-----\n"
	    "AAAA\n-----END CERTIFICATE-----\n", ""), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sha256_everywhere),
		cmocka_unit_test(test_sha1_leaf),
		cmocka_unit_test(test_sha1_intermediate),
		cmocka_unit_test(test_sha1_root_only),
		cmocka_unit_test(test_leaf_alone_and_garbage),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
