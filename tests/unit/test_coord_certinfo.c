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
#include "utf8.h"

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

/* Issuer names come out as RFC 4514 UTF-8 whatever string type the CA
 * used, or are refused; never the raw ASN.1 bytes. */
static void
test_issuer_utf8(void **state)
{
	static const struct {
		int		 type;
		const char	*bytes;
		int		 len;
		const char	*name;	/* NULL: refused */
		const char	*cn;	/* NULL: refused */
	} cases[] = {
		/* T61String, as Latin-1 (OpenSSL's reading, and the common one) */
		{ V_ASN1_T61STRING, "Caf\xe9 Root", 9,
		    "CN=Caf\xc3\xa9 Root,O=certfleet tests", "Caf\xc3\xa9 Root" },
		/* BMPString (UCS-2 big endian): "Z\u00fcrich" */
		{ V_ASN1_BMPSTRING, "\0Z\0\xfc\0r\0i\0c\0h", 12,
		    "CN=Z\xc3\xbcrich,O=certfleet tests", "Z\xc3\xbcrich" },
		/* UTF8String, and RFC 4514 escapes of special characters */
		{ V_ASN1_UTF8STRING, "A, B+C \xe2\x82\xac", 10,
		    "CN=A\\, B\\+C \xe2\x82\xac,O=certfleet tests",
		    "A, B+C \xe2\x82\xac" },
		/* controls are escaped in the name, '?' in the CN */
		{ V_ASN1_UTF8STRING, "a\nb", 3, "CN=a\\0Ab,O=certfleet tests",
		    "a?b" },
		/* refusals: a UTF8String that is not UTF-8, a BMPString
		 * surrogate (OpenSSL 3 will not even encode or decode a
		 * certificate with such a name: certinfo_parse then says "not a
		 * PEM certificate"; the name itself is refused here) */
		{ V_ASN1_UTF8STRING, "Caf\xe9", 4, NULL, NULL },
		{ V_ASN1_BMPSTRING, "\xd8\x00", 2, NULL, NULL },
	};
	struct testca ca;
	char out[CERTINFO_MAX_ISSUER + 1], err[256], *pem;
	char *names[] = { "utf8.example.com" };
	struct certinfo ci;
	EVP_PKEY *k;
	X509 *x;
	size_t i;
	int rc;

	(void)state;
	k = keys_generate(KEYS_EC_P256, err, sizeof(err));
	assert_non_null(k);
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_int_equal(testca_new_cn(&ca, cases[i].type, cases[i].bytes,
		    cases[i].len), 0);
		rc = certinfo_name_utf8(X509_get_subject_name(ca.cert), out,
		    sizeof(out));
		if (cases[i].name == NULL) {
			if (rc != -1)
				fail_msg("case %zu: printed as \"%s\"", i, out);
			assert_string_equal(out, "");
		} else {
			assert_int_equal(rc, 0);
			assert_string_equal(out, cases[i].name);
		}
		rc = certinfo_cn_utf8(X509_get_subject_name(ca.cert), out,
		    sizeof(out));
		assert_int_equal(rc, cases[i].cn == NULL ? -1 : 1);
		assert_string_equal(out, cases[i].cn == NULL ? "" : cases[i].cn);
		/* a leaf of that CA is parsed with that issuer */
		if (cases[i].name != NULL) {
			assert_non_null(x = testca_issue(&ca, k, names, 1, "01",
			    NB, NA));
			pem = testca_pem(x);
			assert_int_equal(certinfo_parse(pem, strlen(pem), &ci, err,
			    sizeof(err)), 0);
			assert_string_equal(ci.issuer, cases[i].name);
			certinfo_free(&ci);
			free(pem);
			X509_free(x);
		}
		testca_free(&ca);
	}
	EVP_PKEY_free(k);
}

/* A long name is cut on a character boundary; a name without a CN has no
 * CN. */
static void
test_issuer_cut(void **state)
{
	struct testca ca;
	char cn[400], out[16];
	size_t i;

	(void)state;
	for (i = 0; i + 2 <= 300; i += 2)
		memcpy(cn + i, "\xc3\xa9", 2);
	assert_int_equal(testca_new_cn(&ca, V_ASN1_UTF8STRING, cn, 300), 0);
	/* "CN=" then e-acutes: 15 bytes fit, the cut keeps 3 + 6 x 2 */
	assert_int_equal(certinfo_name_utf8(X509_get_subject_name(ca.cert), out,
	    sizeof(out)), 0);
	assert_int_equal(strlen(out), 15);
	assert_true(utf8_valid(out, strlen(out)));
	assert_int_equal(certinfo_cn_utf8(X509_get_subject_name(ca.cert), out,
	    sizeof(out)), 1);
	assert_int_equal(strlen(out), 14);
	assert_true(utf8_valid(out, strlen(out)));
	testca_free(&ca);
	{
		X509_NAME *n = X509_NAME_new();

		X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC,
		    (const unsigned char *)"no cn", -1, -1, 0);
		assert_int_equal(certinfo_cn_utf8(n, out, sizeof(out)), 0);
		assert_string_equal(out, "");
		X509_NAME_free(n);
	}
}

/* A SAN that is not a printable ASCII DNS name is refused, not stored. */
static void
test_san_not_ascii(void **state)
{
	char *bad[][1] = { { "caf\xc3\xa9.example.com" }, { "a b.example.com" },
	    { "tab\t.example.com" } };
	struct testca ca;
	struct certinfo ci;
	char err[256], *pem;
	EVP_PKEY *k;
	X509 *x;
	size_t i;

	(void)state;
	assert_int_equal(testca_new(&ca), 0);
	k = keys_generate(KEYS_EC_P256, err, sizeof(err));
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_non_null(x = testca_issue(&ca, k, bad[i], 1, "03", NB, NA));
		pem = testca_pem(x);
		assert_int_equal(certinfo_parse(pem, strlen(pem), &ci, err,
		    sizeof(err)), -1);
		assert_non_null(strstr(err, "not a printable ASCII DNS name"));
		free(pem);
		X509_free(x);
	}
	EVP_PKEY_free(k);
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
		cmocka_unit_test(test_issuer_utf8),
		cmocka_unit_test(test_issuer_cut),
		cmocka_unit_test(test_san_not_ascii),
		cmocka_unit_test(test_rsa_key_match),
		cmocka_unit_test(test_garbage),
		cmocka_unit_test(test_no_sans),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
