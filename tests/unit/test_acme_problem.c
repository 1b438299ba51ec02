/* test_acme_problem.c -- unit tests of ACME problem documents: parsing, subproblems, broken and huge input, retry policy. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acme.h"

static void
test_valid(void **state)
{
	const char doc[] = "{\"type\":\"urn:ietf:params:acme:error:unauthorized\","
	    "\"detail\":\"No authorization\\nfor you\",\"status\":403}";
	const char odd[] = "{\"type\":7,\"detail\":[],\"status\":99999}";
	struct acme_problem p;
	char err[128];

	(void)state;
	assert_int_equal(acme_problem_parse(doc, strlen(doc), 400, &p, err,
	    sizeof(err)), 0);
	assert_string_equal(p.type, "urn:ietf:params:acme:error:unauthorized");
	assert_string_equal(p.detail, "No authorization?for you");	/* no newline */
	assert_int_equal(p.status, 403);	/* the document wins */
	assert_int_equal(p.nsub, 0);
	acme_problem_free(&p);

	/* no members at all: empty strings and the HTTP status */
	assert_int_equal(acme_problem_parse("{}", 2, 500, &p, err, sizeof(err)), 0);
	assert_string_equal(p.type, "");
	assert_string_equal(p.detail, "");
	assert_int_equal(p.status, 500);
	acme_problem_free(&p);

	/* wrong member types are ignored, a silly status too */
	assert_int_equal(acme_problem_parse(odd, strlen(odd), 400, &p, err,
	    sizeof(err)), 0);
	assert_string_equal(p.type, "");
	assert_int_equal(p.status, 400);
	acme_problem_free(&p);
}

static void
test_subproblems(void **state)
{
	const char doc[] =
	    "{\"type\":\"urn:ietf:params:acme:error:rejectedIdentifier\","
	    "\"detail\":\"some names were refused\",\"subproblems\":["
	    "{\"type\":\"urn:ietf:params:acme:error:rejectedIdentifier\","
	    "\"detail\":\"policy forbids\",\"identifier\":{\"type\":\"dns\","
	    "\"value\":\"bad.example\"}},"
	    "17,"
	    "{\"type\":\"urn:ietf:params:acme:error:caa\"}]}";
	struct acme_problem p;
	char err[128];

	(void)state;
	assert_int_equal(acme_problem_parse(doc, strlen(doc), 400, &p, err,
	    sizeof(err)), 0);
	assert_int_equal(p.nsub, 2);	/* the non-object is skipped */
	assert_string_equal(p.sub[0].id_type, "dns");
	assert_string_equal(p.sub[0].id_value, "bad.example");
	assert_string_equal(p.sub[0].detail, "policy forbids");
	assert_string_equal(p.sub[1].type, "urn:ietf:params:acme:error:caa");
	assert_string_equal(p.sub[1].id_value, "");
	acme_problem_free(&p);
}

static void
test_broken(void **state)
{
	static const char *const bad[] = {
		"", "{", "[]", "\"x\"", "{\"type\":\"a\",\"type\":\"b\"}",
		"{\"type\":\"a\"} trailing", "null",
	};
	struct acme_problem p;
	char err[128];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(acme_problem_parse(bad[i], strlen(bad[i]), 400, &p,
		    err, sizeof(err)), -1);
		assert_true(err[0] != '\0');
		assert_null(p.type);
	}
}

static void
test_huge(void **state)
{
	struct acme_problem p;
	char err[128], *doc;
	size_t n = ACME_JSON_MAX + 100, i;

	(void)state;
	/* over the cap: refused without parsing */
	doc = malloc(n + 1);
	memset(doc, ' ', n);
	memcpy(doc, "{\"detail\":\"", 11);
	doc[n - 2] = '"';
	doc[n - 1] = '}';
	doc[n] = '\0';
	assert_int_equal(acme_problem_parse(doc, n, 400, &p, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "over"));
	/* under the cap, a long detail is truncated; many subproblems capped */
	n = ACME_JSON_MAX - 10;
	memset(doc, 'a', n);
	memcpy(doc, "{\"detail\":\"", 11);
	doc[n - 2] = '"';
	doc[n - 1] = '}';
	assert_int_equal(acme_problem_parse(doc, n, 400, &p, err, sizeof(err)), 0);
	assert_true(strlen(p.detail) <= 1024);
	acme_problem_free(&p);
	strcpy(doc, "{\"subproblems\":[");
	for (i = 0; i < 100; i++)
		strcat(doc, i == 0 ? "{}" : ",{}");
	strcat(doc, "]}");
	assert_int_equal(acme_problem_parse(doc, strlen(doc), 400, &p, err,
	    sizeof(err)), 0);
	assert_int_equal(p.nsub, ACME_SUBPROBLEMS_MAX);
	acme_problem_free(&p);
	/* deep nesting does not crash */
	memset(doc, '[', 5000);
	strcpy(doc + 5000, "");
	assert_int_equal(acme_problem_parse(doc, 5000, 400, &p, err, sizeof(err)), -1);
	free(doc);
}

static void
test_retry_policy(void **state)
{
	(void)state;
	assert_int_equal(acme_problem_retry("urn:ietf:params:acme:error:badNonce", 400),
	    ACME_RETRY_YES);
	assert_int_equal(acme_problem_retry("urn:ietf:params:acme:error:serverInternal", 500),
	    ACME_RETRY_YES);
	assert_int_equal(acme_problem_retry("urn:ietf:params:acme:error:connection", 400),
	    ACME_RETRY_YES);
	assert_int_equal(acme_problem_retry("urn:ietf:params:acme:error:rateLimited", 429),
	    ACME_RETRY_DEFER);
	assert_int_equal(acme_problem_retry("urn:ietf:params:acme:error:malformed", 400),
	    ACME_RETRY_NO);
	assert_int_equal(acme_problem_retry("urn:ietf:params:acme:error:rejectedIdentifier", 400),
	    ACME_RETRY_NO);
	assert_int_equal(acme_problem_retry("urn:ietf:params:acme:error:unauthorized", 403),
	    ACME_RETRY_NO);
	assert_int_equal(acme_problem_retry("urn:ietf:params:acme:error:caa", 403),
	    ACME_RETRY_NO);
	assert_int_equal(acme_problem_retry("urn:ietf:params:acme:error:dns", 400),
	    ACME_RETRY_NO);
	assert_int_equal(acme_problem_retry("urn:ietf:params:acme:error:incorrectResponse", 403),
	    ACME_RETRY_NO);
	assert_int_equal(acme_problem_retry(NULL, 502), ACME_RETRY_YES);
	assert_int_equal(acme_problem_retry("", 429), ACME_RETRY_DEFER);
	assert_int_equal(acme_problem_retry(NULL, 404), ACME_RETRY_NO);
	assert_int_equal(acme_problem_retry("about:blank", 503), ACME_RETRY_YES);
	assert_string_equal(acme_outcome_name(ACME_DEFERRED), "deferred");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_subproblems),
		cmocka_unit_test(test_broken),
		cmocka_unit_test(test_huge),
		cmocka_unit_test(test_retry_policy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
