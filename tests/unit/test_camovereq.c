/* test_camovereq.c -- unit tests of camovereq_parse: the bodies of POST /v1/certificates/{id}/ca and :move, their CA lists, flags, selectors, caps and messages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "camovereq.h"

#define ID1 "0880e9c7-8877-4e5f-945a-0f23ce40dcf6"

/* Parses body (bulk or not), expecting failure with a message containing
 * want, and nothing kept. */
static void
refused(const char *body, int bulk, const char *want)
{
	struct camovereq mr;
	char err[512];

	err[0] = '\0';
	assert_int_equal(camovereq_parse(body, strlen(body), bulk, &mr, err,
	    sizeof(err)), -1);
	if (strstr(err, want) == NULL)
		fail_msg("body %s: message \"%s\" lacks \"%s\"", body, err, want);
	assert_int_equal(mr.ncas, 0);
	assert_string_equal(mr.from_ca, "");
}

static void
test_one(void **state)
{
	const char *b = "{\"ca\": \"le-prod\", \"fallback\": [\"zerossl\", "
	    "\"buypass\"], \"now\": true}";
	const char *c = "{\"ca\": \"le-prod\"}";
	struct camovereq mr;
	char err[512];

	(void)state;
	assert_int_equal(camovereq_parse(b, strlen(b), 0, &mr, err,
	    sizeof(err)), 0);
	assert_int_equal(mr.ncas, 3);
	assert_string_equal(mr.cas[0], "le-prod");
	assert_string_equal(mr.cas[1], "zerossl");
	assert_string_equal(mr.cas[2], "buypass");
	assert_true(mr.now);
	assert_int_equal(camovereq_parse(c, strlen(c), 0, &mr, err,
	    sizeof(err)), 0);
	assert_int_equal(mr.ncas, 1);
	assert_false(mr.now);
}

static void
test_bulk(void **state)
{
	const char *b = "{\"from_ca\": \"old-ca\", \"ca\": \"new-ca\", "
	    "\"tenant\": \"acme-1\", \"label\": \"plan:gold\", \"after\": \""
	    ID1 "\", \"limit\": 50, \"dry_run\": true, \"now\": false}";
	const char *m = "{\"from_ca\": \"old-ca\", \"ca\": \"new-ca\"}";
	struct camovereq mr;
	char err[512];

	(void)state;
	assert_int_equal(camovereq_parse(b, strlen(b), 1, &mr, err,
	    sizeof(err)), 0);
	assert_string_equal(mr.from_ca, "old-ca");
	assert_string_equal(mr.cas[0], "new-ca");
	assert_int_equal(mr.ncas, 1);
	assert_string_equal(mr.tenant, "acme-1");
	assert_string_equal(mr.label_key, "plan");
	assert_string_equal(mr.label_value, "gold");
	assert_string_equal(mr.after, ID1);
	assert_int_equal(mr.limit, 50);
	assert_true(mr.dry_run);
	assert_int_equal(camovereq_parse(m, strlen(m), 1, &mr, err,
	    sizeof(err)), 0);
	assert_int_equal(mr.limit, CAMOVEREQ_MAX);
	assert_string_equal(mr.after, "");
	assert_string_equal(mr.tenant, "");
	assert_false(mr.dry_run);
}

static void
test_refused(void **state)
{
	(void)state;
	refused("", 0, "JSON object");
	refused("[\"a\"]", 0, "JSON object");
	refused("{\"ca\": \"a\", \"ca\": \"b\"}", 0, "JSON object");
	refused("{}", 0, "ca is required");
	refused("{\"now\": true}", 0, "ca is required");
	refused("{\"ca\": \"Bad Name\"}", 0, "ca must be a CA name");
	refused("{\"ca\": 7}", 0, "ca must be a CA name");
	refused("{\"ca\": \"a\\u0000b\"}", 0, "JSON object");
	refused("{\"ca\": \"a\", \"fallback\": \"b\"}", 0,
	    "fallback must be an array of at most 3");
	refused("{\"ca\": \"a\", \"fallback\": [\"b\", \"c\", \"d\", \"e\"]}", 0,
	    "fallback must be an array of at most 3");
	refused("{\"ca\": \"a\", \"fallback\": [\"b\", \"B\"]}", 0,
	    "fallback[1] must be a CA name");
	refused("{\"ca\": \"a\", \"fallback\": [\"b\", \"a\"]}", 0,
	    "CA \"a\" is listed twice");
	refused("{\"ca\": \"a\", \"now\": 1}", 0, "now must be true or false");
	/* the fields of :move are unknown to .../ca */
	refused("{\"ca\": \"a\", \"from_ca\": \"b\"}", 0,
	    "unknown field from_ca (ca, fallback, now)");
	refused("{\"ca\": \"a\", \"when\": \"now\"}", 1, "unknown field when");
	refused("{\"ca\": \"a\"}", 1, "from_ca is required");
	refused("{\"ca\": \"a\", \"from_ca\": \"\"}", 1, "from_ca must be a CA name");
	refused("{\"ca\": \"a\", \"from_ca\": \"b\", \"tenant\": \"Bad T\"}", 1,
	    "tenant");
	refused("{\"ca\": \"a\", \"from_ca\": \"b\", \"label\": \"nocolon\"}", 1,
	    "KEY:VALUE");
	refused("{\"ca\": \"a\", \"from_ca\": \"b\", \"after\": \"x\"}", 1,
	    "after must be a certificate id");
	refused("{\"ca\": \"a\", \"from_ca\": \"b\", \"limit\": 0}", 1,
	    "limit must be 1-1000");
	refused("{\"ca\": \"a\", \"from_ca\": \"b\", \"limit\": 1001}", 1,
	    "limit must be 1-1000");
	refused("{\"ca\": \"a\", \"from_ca\": \"b\", \"dry_run\": \"yes\"}", 1,
	    "dry_run must be true or false");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_one),
		cmocka_unit_test(test_bulk),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
