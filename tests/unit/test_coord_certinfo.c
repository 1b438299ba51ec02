/* test_coord_certinfo.c -- unit tests of certinfo.c on certificates from a CA made here: serial, dates, issuer, SANs, key match. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "certinfo.h"
#include "keys.h"
#include "test_coord_ca.h"

#define NB 1767225600	/* 2026-01-01T00:00:00Z */
#define NA 1774998000	/* 2026-03-31T23:00:00Z */

static void
test_fields(void **state)
{
	char *names[] = { "WWW.example.com", "a.example.com", "a.example.com" };
	char *want[] = { "a.example.com", "www.example.com" };
	struct testca ca;
	struct certinfo ci;
	EVP_PKEY *k, *other;
	unsigned char *spki;
	size_t spkilen;
	char err[256], *pem;
	X509 *x;

	(void)state;
	assert_int_equal(testca_new(&ca), 0);
	k = keys_generate(KEYS_EC_P256, err, sizeof(err));
	other = keys_generate(KEYS_EC_P256, err, sizeof(err));
	x = testca_issue(&ca, k, names, 3, "00FA1234567890ABCDEF", NB, NA);
	assert_non_null(x);
	pem = testca_pem(x);
	assert_int_equal(certinfo_parse(pem, strlen(pem), &ci, err, sizeof(err)),
	    0);
	assert_string_equal(ci.serial, "fa1234567890abcdef");
	assert_int_equal(ci.not_before, NB);
	assert_int_equal(ci.not_after, NA);
	assert_string_equal(ci.issuer, "CN=" TESTCA_NAME ",O=certfleet tests");
	/* lower-cased, sorted, unique */
	assert_int_equal(ci.nsans, 2);
	assert_string_equal(ci.sans[0], "a.example.com");
	assert_string_equal(ci.sans[1], "www.example.com");
	assert_true(certinfo_sans_equal(&ci, want, 2));
	assert_false(certinfo_sans_equal(&ci, want, 1));
	assert_false(certinfo_sans_equal(&ci, names, 2));

	spki = keys_public_der(k, &spkilen);
	assert_true(certinfo_key_matches(&ci, spki, spkilen));
	free(spki);
	spki = keys_public_der(other, &spkilen);
	assert_false(certinfo_key_matches(&ci, spki, spkilen));
	free(spki);

	certinfo_free(&ci);
	free(pem);
	X509_free(x);
	EVP_PKEY_free(k);
	EVP_PKEY_free(other);
	testca_free(&ca);
}

static void
test_rsa_key_match(void **state)
{
	char *names[] = { "rsa.example.net" };
	struct testca ca;
	struct certinfo ci;
	EVP_PKEY *k;
	unsigned char *spki;
	size_t spkilen;
	char err[256], *pem;
	X509 *x;

	(void)state;
	assert_int_equal(testca_new(&ca), 0);
	k = keys_generate(KEYS_RSA_2048, err, sizeof(err));
	x = testca_issue(&ca, k, names, 1, "01", NB, NA);
	pem = testca_pem(x);
	assert_int_equal(certinfo_parse(pem, strlen(pem), &ci, err, sizeof(err)),
	    0);
	assert_string_equal(ci.serial, "01");
	spki = keys_public_der(k, &spkilen);
	assert_true(certinfo_key_matches(&ci, spki, spkilen));
	free(spki);
	certinfo_free(&ci);
	free(pem);
	X509_free(x);
	EVP_PKEY_free(k);
	testca_free(&ca);
}

static void
test_garbage(void **state)
{
	struct certinfo ci;
	char err[256];
	const char *junk = "-----BEGIN CERTIFICATE-----\nAAAA\n"
	    "-----END CERTIFICATE-----\n";

	(void)state;
	assert_int_equal(certinfo_parse("", 0, &ci, err, sizeof(err)), -1);
	assert_int_equal(certinfo_parse(junk, strlen(junk), &ci, err,
	    sizeof(err)), -1);
}

/* A certificate without a subjectAltName is refused. */
static void
test_no_sans(void **state)
{
	struct testca ca;
	struct certinfo ci;
	char err[256], *pem;

	(void)state;
	assert_int_equal(testca_new(&ca), 0);
	pem = testca_pem(ca.cert);
	assert_int_equal(certinfo_parse(pem, strlen(pem), &ci, err, sizeof(err)),
	    -1);
	assert_non_null(strstr(err, "subjectAltName"));
	free(pem);
	testca_free(&ca);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_rsa_key_match),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_no_sans),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
