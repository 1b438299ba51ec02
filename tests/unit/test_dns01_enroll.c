/* test_dns01_enroll.c -- unit tests of enroll_parse's "challenge" field: dns-01, and wildcards only with it. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "enroll.h"

static void
test_challenge(void **state)
{
	struct enroll_request req;
	const char *b;
	char err[512];

	(void)state;
	b = "{\"hostnames\": [\"wild-1.test\", \"*.Wild-1.test\"], "
	    "\"challenge\": \"dns-01\"}";
	assert_int_equal(enroll_parse(b, strlen(b), KEYS_EC_P256, &req, err,
	    sizeof(err)), 0);
	assert_string_equal(req.challenge, "dns-01");
	assert_int_equal(req.nnames, 2);
	assert_string_equal(req.names[0], "*.wild-1.test");
	assert_string_equal(req.names[1], "wild-1.test");
	enroll_request_free(&req);

	b = "{\"hostnames\": [\"a.example.com\"]}";
	assert_int_equal(enroll_parse(b, strlen(b), KEYS_EC_P256, &req, err,
	    sizeof(err)), 0);
	assert_string_equal(req.challenge, "http-01");
	enroll_request_free(&req);

	b = "{\"hostnames\": [\"*.example.com\"], \"challenge\": \"http-01\"}";
	assert_int_equal(enroll_parse(b, strlen(b), KEYS_EC_P256, &req, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "a wildcard name needs \"challenge\": \"dns-01\""));

	b = "{\"hostnames\": [\"a.example.com\"], \"challenge\": \"dns-1\"}";
	assert_int_equal(enroll_parse(b, strlen(b), KEYS_EC_P256, &req, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "challenge must be"));

	b = "{\"hostnames\": [\"a.example.com\"], \"challenge\": 1}";
	assert_int_equal(enroll_parse(b, strlen(b), KEYS_EC_P256, &req, err,
	    sizeof(err)), -1);

	b = "{\"hostnames\": [\"*.*.example.com\"], \"challenge\": \"dns-01\"}";
	assert_int_equal(enroll_parse(b, strlen(b), KEYS_EC_P256, &req, err,
	    sizeof(err)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_challenge),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
