/* test_coord_enroll.c -- unit tests of enroll_parse: the API body's validation and its messages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "enroll.h"

/* Parses body, expecting failure with a message containing want. */
static void
refused(const char *body, const char *want)
{
	struct enroll_request req;
	char err[512];

	err[0] = '\0';
	assert_int_equal(enroll_parse(body, strlen(body), KEYS_EC_P256, &req, err,
	    sizeof(err)), -1);
	if (strstr(err, want) == NULL)
		fail_msg("body %s: message \"%s\" lacks \"%s\"", body, err, want);
	assert_null(req.names);
}

static void
test_good(void **state)
{
	struct enroll_request req;
	const char *b = "{\"hostnames\": [\"WWW.Example.com\", \"a.example.com\", "
	    "\"www.example.com.\"], \"key_type\": \"rsa-2048\"}";
	char err[512];

	(void)state;
	assert_int_equal(enroll_parse(b, strlen(b), KEYS_EC_P256, &req, err,
	    sizeof(err)), 0);
	assert_int_equal(req.nnames, 2);
	assert_string_equal(req.names[0], "a.example.com");
	assert_string_equal(req.names[1], "www.example.com");
	assert_int_equal(req.key_type, KEYS_RSA_2048);
	enroll_request_free(&req);
}

static void
test_default_key_type_and_idn(void **state)
{
	struct enroll_request req;
	const char *b = "{\"hostnames\": [\"bücher.example\"]}";
	char err[512];

	(void)state;
	assert_int_equal(enroll_parse(b, strlen(b), KEYS_EC_P256, &req, err,
	    sizeof(err)), 0);
	assert_int_equal(req.nnames, 1);
	assert_string_equal(req.names[0], "xn--bcher-kva.example");
	assert_int_equal(req.key_type, KEYS_EC_P256);
	enroll_request_free(&req);
}

static void
test_bad_json(void **state)
{
	(void)state;
	refused("{\"hostnames\":", "malformed JSON");
	refused("", "malformed JSON");
	refused("[\"a.example.com\"]", "JSON object");
	refused("{\"hostnames\": [\"a.example.com\"], \"hostnames\": []}",
	    "malformed JSON");
}

static void
test_missing_or_wrong_fields(void **state)
{
	(void)state;
	refused("{}", "missing field \"hostnames\"");
	refused("{\"hostnames\": \"a.example.com\"}", "missing field \"hostnames\"");
	refused("{\"hostnames\": []}", "empty");
	refused("{\"hostnames\": [42]}", "hostnames[0] is not a string");
	refused("{\"hostnames\": [\"a.example.com\"], \"extra\": 1}",
	    "unknown field \"extra\"");
	refused("{\"hostnames\": [\"a.example.com\"], \"key_type\": \"dsa\"}",
	    "key_type");
}

static void
test_bad_names(void **state)
{
	(void)state;
	refused("{\"hostnames\": [\"ok.example.com\", \"x y.example.com\"]}",
	    "hostname \"x y.example.com\" has a character not allowed");
	refused("{\"hostnames\": [\"localhost\"]}", "hostname \"localhost\"");
	refused("{\"hostnames\": [\"10.0.0.1\"]}", "hostname \"10.0.0.1\"");
	refused("{\"hostnames\": [\"com\"]}", "hostname \"com\"");
	refused("{\"hostnames\": [\"a\\u0000b.example.com\"]}", "NUL");
	refused("{\"hostnames\": [\"*.example.com\"]}",
	    "a wildcard name needs \"challenge\": \"dns-01\"");
}

static void
test_too_many(void **state)
{
	char body[8192];
	size_t off;
	int i;

	(void)state;
	off = (size_t)snprintf(body, sizeof(body), "{\"hostnames\": [");
	for (i = 0; i < ENROLL_MAX_NAMES + 1; i++)
		off += (size_t)snprintf(body + off, sizeof(body) - off,
		    "%s\"h%d.example.com\"", i > 0 ? "," : "", i);
	snprintf(body + off, sizeof(body) - off, "]}");
	refused(body, "too many hostnames: 101 (at most 100)");
}

/* 100 names, all the same: one name left. */
static void
test_dedupe_at_limit(void **state)
{
	struct enroll_request req;
	char body[8192], err[512];
	size_t off;
	int i;

	(void)state;
	off = (size_t)snprintf(body, sizeof(body), "{\"hostnames\": [");
	for (i = 0; i < ENROLL_MAX_NAMES; i++)
		off += (size_t)snprintf(body + off, sizeof(body) - off,
		    "%s\"Same.Example.com\"", i > 0 ? "," : "");
	snprintf(body + off, sizeof(body) - off, "]}");
	assert_int_equal(enroll_parse(body, strlen(body), KEYS_EC_P256, &req, err,
	    sizeof(err)), 0);
	assert_int_equal(req.nnames, 1);
	enroll_request_free(&req);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_default_key_type_and_idn),
		cmocka_unit_test(test_bad_json),
		cmocka_unit_test(test_missing_or_wrong_fields),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_dedupe_at_limit),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
