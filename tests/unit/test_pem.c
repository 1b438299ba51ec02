/* test_pem.c -- unit tests of PEM <-> DER conversion and chain splitting, on certificates made here. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "pem.h"

/* A throwaway self-signed P-256 certificate, as PEM. */
static char *
make_cert_pem(const char *cn)
{
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509_NAME *n;
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *out;
	long len;

	assert_non_null(k);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 42);
	X509_gmtime_adj(X509_getm_notBefore(x), 0);
	X509_gmtime_adj(X509_getm_notAfter(x), 3600);
	X509_set_pubkey(x, k);
	n = X509_get_subject_name(x);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	X509_set_issuer_name(x, n);
	assert_true(X509_sign(x, k, EVP_sha256()) > 0);
	assert_int_equal(PEM_write_bio_X509(b, x), 1);
	len = BIO_get_mem_data(b, &p);
	out = malloc((size_t)len + 1);
	memcpy(out, p, (size_t)len);
	out[len] = '\0';
	BIO_free(b);
	X509_free(x);
	EVP_PKEY_free(k);
	return out;
}

static void
test_roundtrip(void **state)
{
	char *pem = make_cert_pem("leaf"), *again, err[256];
	unsigned char *der;
	size_t derlen;

	(void)state;
	der = pem_to_der(pem, strlen(pem), "CERTIFICATE", &derlen, err, sizeof(err));
	assert_non_null(der);
	assert_true(derlen > 100);
	again = der_to_pem(der, derlen, "CERTIFICATE");
	assert_non_null(again);
	assert_string_equal(again, pem);
	free(again);
	free(der);
	free(pem);
}

static void
test_label_skip_and_missing(void **state)
{
	char *cert = make_cert_pem("x"), *both, err[256];
	const char other[] = "-----BEGIN FOO-----\nAAEC\n-----END FOO-----\n";
	unsigned char *der;
	size_t n;

	(void)state;
	both = malloc(strlen(other) + strlen(cert) + 1);
	strcpy(both, other);
	strcat(both, cert);
	der = pem_to_der(both, strlen(both), "CERTIFICATE", &n, err, sizeof(err));
	assert_non_null(der);
	free(der);
	der = pem_to_der(both, strlen(both), "FOO", &n, err, sizeof(err));
	assert_non_null(der);
	assert_int_equal(n, 3);
	free(der);
	assert_null(pem_to_der(both, strlen(both), "PRIVATE KEY", &n, err, sizeof(err)));
	assert_non_null(strstr(err, "no PEM block labelled PRIVATE KEY"));
	free(both);
	free(cert);
}

static void
test_malformed(void **state)
{
	const char broken[] = "-----BEGIN CERTIFICATE-----\n!!!notbase64\n-----END CERTIFICATE-----\n";
	const char notcert[] = "-----BEGIN CERTIFICATE-----\nAAEC\n-----END CERTIFICATE-----\n";
	char err[256], *l, *r, *big;
	size_t n;

	(void)state;
	assert_null(pem_to_der(broken, strlen(broken), "CERTIFICATE", &n, err, sizeof(err)));
	assert_int_equal(pem_chain_count(notcert, strlen(notcert), err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not a valid certificate"));
	assert_int_equal(pem_chain_split(notcert, strlen(notcert), &l, &r, err, sizeof(err)), -1);
	assert_int_equal(pem_chain_split("", 0, &l, &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no certificate"));
	big = calloc(1, PEM_MAX_INPUT + 2);
	memset(big, 'A', PEM_MAX_INPUT + 1);
	assert_int_equal(pem_chain_count(big, PEM_MAX_INPUT + 1, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "cap"));
	free(big);
}

static void
test_chain_split(void **state)
{
	char *a = make_cert_pem("leaf"), *b = make_cert_pem("intermediate"),
	    *c = make_cert_pem("root"), *chain, *leaf, *rest, err[256];
	size_t len;

	(void)state;
	len = strlen(a) + strlen(b) + strlen(c);
	chain = malloc(len + 1);
	strcpy(chain, a);
	strcat(chain, b);
	strcat(chain, c);
	assert_int_equal(pem_chain_count(chain, len, err, sizeof(err)), 3);
	assert_int_equal(pem_chain_split(chain, len, &leaf, &rest, err, sizeof(err)), 0);
	assert_string_equal(leaf, a);
	assert_int_equal(strlen(rest), strlen(b) + strlen(c));
	assert_int_equal(strncmp(rest, b, strlen(b)), 0);
	free(leaf);
	free(rest);
	assert_int_equal(pem_chain_split(a, strlen(a), &leaf, &rest, err, sizeof(err)), 0);
	assert_string_equal(rest, "");
	free(leaf);
	free(rest);
	free(chain);
	free(a);
	free(b);
	free(c);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_label_skip_and_missing),
		cmocka_unit_test(test_malformed),
		cmocka_unit_test(test_chain_split),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
