/* test_acme_ari.c -- unit tests of ARI (RFC 9773): CertID from the RFC's example, renewalInfo parsing, window pick. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acme.h"

/* RFC 9773 section 4.1 and Appendix A: keyIdentifier
 * 69:88:5B:6B:87:46:40:41:E1:B3:7B:84:7B:A0:AE:2C:DE:01:C8:D4, serial
 * 0x87654321 (DER content 00:87:65:43:21). */
static const unsigned char rfc_aki[] = {
	0x69, 0x88, 0x5b, 0x6b, 0x87, 0x46, 0x40, 0x41, 0xe1, 0xb3,
	0x7b, 0x84, 0x7b, 0xa0, 0xae, 0x2c, 0xde, 0x01, 0xc8, 0xd4,
};
static const unsigned char rfc_serial[] = { 0x00, 0x87, 0x65, 0x43, 0x21 };
#define RFC_CERTID "aYhba4dGQEHhs3uEe6CuLN4ByNQ.AIdlQyE"

/* The example certificate of RFC 9773 Appendix A. */
static const char rfc_cert[] =
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBQzCB66ADAgECAgUAh2VDITAKBggqhkjOPQQDAjAVMRMwEQYDVQQDEwpFeGFt\n"
    "cGxlIENBMCIYDzAwMDEwMTAxMDAwMDAwWhgPMDAwMTAxMDEwMDAwMDBaMBYxFDAS\n"
    "BgNVBAMTC2V4YW1wbGUuY29tMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEeBZu\n"
    "7cbpAYNXZLbbh8rNIzuOoqOOtmxA1v7cRm//AwyMwWxyHz4zfwmBhcSrf47NUAFf\n"
    "qzLQ2PPQxdTXREYEnKMjMCEwHwYDVR0jBBgwFoAUaYhba4dGQEHhs3uEe6CuLN4B\n"
    "yNQwCgYIKoZIzj0EAwIDRwAwRAIge09+S5TZAlw5tgtiVvuERV6cT4mfutXIlwTb\n"
    "+FYN/8oCIClDsqBklhB9KAelFiYt9+6FDj3z4KGVelYM5MdsO3pK\n"
    "-----END CERTIFICATE-----\n";

static void
test_certid_raw_rfc(void **state)
{
	char out[ACME_CERTID_MAX];

	(void)state;
	assert_int_equal(acme_ari_certid_raw(rfc_aki, sizeof(rfc_aki),
	    rfc_serial, sizeof(rfc_serial), out, sizeof(out)), 0);
	assert_string_equal(out, RFC_CERTID);
}

static void
test_certid_pem_rfc(void **state)
{
	char out[ACME_CERTID_MAX], err[128];

	(void)state;
	assert_int_equal(acme_ari_certid_pem(rfc_cert, strlen(rfc_cert), out,
	    sizeof(out), err, sizeof(err)), 0);
	assert_string_equal(out, RFC_CERTID);
}

static void
test_certid_failures(void **state)
{
	char out[ACME_CERTID_MAX], small[10], err[128];

	(void)state;
	assert_int_equal(acme_ari_certid_raw(rfc_aki, 0, rfc_serial,
	    sizeof(rfc_serial), out, sizeof(out)), -1);
	assert_int_equal(acme_ari_certid_raw(rfc_aki, sizeof(rfc_aki),
	    rfc_serial, 0, out, sizeof(out)), -1);
	assert_int_equal(acme_ari_certid_raw(rfc_aki, sizeof(rfc_aki),
	    rfc_serial, sizeof(rfc_serial), small, sizeof(small)), -1);
	assert_int_equal(acme_ari_certid_pem("garbage", 7, out, sizeof(out),
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "no certificate"));
}

static void
test_renewal_info_valid(void **state)
{
	struct acme_renewal_info ri;
	char err[128];
	const char *b = "{\"suggestedWindow\": {\"start\": \"2025-01-02T04:00:00Z\","
	    " \"end\": \"2025-01-03T04:00:00Z\"}, \"explanationURL\":"
	    " \"https://acme.example.com/docs/ari\"}";
	const char *frac = "{\"suggestedWindow\": {\"start\": "
	    "\"2025-01-02T04:00:00.123456Z\", \"end\": \"2025-01-02T06:00:00+02:00\"}}";

	(void)state;
	assert_int_equal(acme_renewal_info_parse(b, strlen(b), &ri, err,
	    sizeof(err)), 0);
	assert_int_equal((long long)ri.start, 1735790400LL);
	assert_int_equal((long long)ri.end, 1735790400LL + 86400);
	assert_string_equal(ri.explanation_url, "https://acme.example.com/docs/ari");
	/* fractions dropped, offsets applied; end 06:00+02:00 = 04:00Z */
	assert_int_equal(acme_renewal_info_parse(frac, strlen(frac), &ri, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "before"));
}

static void
test_renewal_info_offsets(void **state)
{
	struct acme_renewal_info ri;
	char err[128];
	const char *b = "{\"suggestedWindow\": {\"start\": "
	    "\"2025-01-02T04:00:00.5Z\", \"end\": \"2025-01-02T07:00:00+02:00\"},"
	    " \"explanationURL\": \"javascript:alert(1)\"}";

	(void)state;
	assert_int_equal(acme_renewal_info_parse(b, strlen(b), &ri, err,
	    sizeof(err)), 0);
	assert_int_equal((long long)ri.start, 1735790400LL);
	assert_int_equal((long long)ri.end, 1735790400LL + 3600);
	assert_string_equal(ri.explanation_url, "");	/* not http(s): dropped */
}

static void
test_renewal_info_invalid(void **state)
{
	static const char *bad[] = {
		"",
		"null",
		"[]",
		"{}",
		"{\"suggestedWindow\": {}}",
		"{\"suggestedWindow\": {\"start\": \"2025-01-02T04:00:00Z\"}}",
		"{\"suggestedWindow\": {\"start\": 1, \"end\": 2}}",
		"{\"suggestedWindow\": {\"start\": \"2025-01-03T04:00:00Z\", "
		    "\"end\": \"2025-01-02T04:00:00Z\"}}",	/* end before start */
		"{\"suggestedWindow\": {\"start\": \"2025-01-02T04:00:00Z\", "
		    "\"end\": \"2025-01-02T04:00:00Z\"}}",	/* empty window */
		"{\"suggestedWindow\": {\"start\": \"yesterday\", \"end\": \"tomorrow\"}}",
		"{\"suggestedWindow\": {\"start\": \"2025-13-02T04:00:00Z\", "
		    "\"end\": \"2025-14-02T04:00:00Z\"}}",
		"{\"suggestedWindow\": {\"start\": \"2025-01-02T04:00:00\", "
		    "\"end\": \"2025-01-03T04:00:00\"}}",	/* no zone */
		"{\"suggestedWindow\": {\"start\": \"2025-01-02T04:00:00Z\", "
		    "\"end\": \"2025-01-03T04:00:00Z\"}, \"suggestedWindow\": 1}",
		"\x01\x02garbage",
	};
	struct acme_renewal_info ri;
	char err[128], *huge;
	size_t i, n = ACME_JSON_MAX + 100;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(acme_renewal_info_parse(bad[i], strlen(bad[i]),
		    &ri, err, sizeof(err)), -1);
		assert_true(err[0] != '\0');
		assert_int_equal((long long)ri.start, 0);
	}
	/* over the cap: refused before parsing */
	assert_non_null(huge = malloc(n));
	memset(huge, ' ', n);
	memcpy(huge, "{\"suggestedWindow\":", 19);
	assert_int_equal(acme_renewal_info_parse(huge, n, &ri, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "over"));
	free(huge);
}

static void
test_pick_inside_window(void **state)
{
	time_t s = 1735790400, e = s + 86400, t;
	int i;

	(void)state;
	assert_int_equal((long long)acme_ari_pick(s, e, 0.0), (long long)s);
	for (i = 0; i < 1000; i++) {
		t = acme_ari_pick(s, e, (double)rand() / ((double)RAND_MAX + 1.0));
		assert_true(t >= s && t < e);
	}
	assert_true(acme_ari_pick(s, e, 0.999999999) < e);
	assert_int_equal((long long)acme_ari_pick(s, e, 1.0), (long long)s);
	assert_int_equal((long long)acme_ari_pick(e, s, 0.5), (long long)e);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_certid_raw_rfc),
		cmocka_unit_test(test_certid_pem_rfc),
		cmocka_unit_test(test_certid_failures),
		cmocka_unit_test(test_renewal_info_valid),
		cmocka_unit_test(test_renewal_info_offsets),
		cmocka_unit_test(test_renewal_info_invalid),
		cmocka_unit_test(test_pick_inside_window),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
