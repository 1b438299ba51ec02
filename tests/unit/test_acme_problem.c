/* test_acme_problem.c -- unit tests of ACME problem documents: parsing, subproblems, broken and huge input, retry policy. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acme.h"
#include "utf8.h"

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

/* The cut of a long detail never splits a character: a detail cut inside
 * one would make PostgreSQL refuse the whole event (SQLSTATE 22021). */
static void
test_utf8_cut(void **state)
{
	struct acme_problem p;
	char err[128], *doc, *d;
	size_t n, i, off;

	(void)state;
	/* "a" then 1500 x "é" (2 bytes): byte 1024 falls inside an "é" */
	doc = malloc(8192);
	off = (size_t)sprintf(doc, "{\"type\":\"urn:ietf:params:acme:error:"
	    "rejectedIdentifier\",\"detail\":\"a");
	for (i = 0; i < 1500; i++)
		off += (size_t)sprintf(doc + off, "\xc3\xa9");
	off += (size_t)sprintf(doc + off, "\"}");
	assert_int_equal(acme_problem_parse(doc, off, 400, &p, err,
	    sizeof(err)), 0);
	n = strlen(p.detail);
	assert_int_equal(n, 1023);	/* 1 + 511 x 2: the 512th "é" did not fit */
	assert_true(utf8_valid(p.detail, n));
	assert_int_equal((unsigned char)p.detail[n - 1], 0xa9);
	acme_problem_free(&p);
	/* 4-byte characters and escapes: same rule */
	off = (size_t)sprintf(doc, "{\"detail\":\"");
	for (i = 0; i < 400; i++)
		off += (size_t)sprintf(doc + off, "\\ud83d\\ude00");	/* U+1F600 */
	off += (size_t)sprintf(doc + off, "\"}");
	assert_int_equal(acme_problem_parse(doc, off, 400, &p, err,
	    sizeof(err)), 0);
	assert_int_equal(strlen(p.detail), 1024);	/* 256 x 4 */
	assert_true(utf8_valid(p.detail, strlen(p.detail)));
	acme_problem_free(&p);
	/* controls (C0, DEL, C1) become '?', the rest is kept */
	strcpy(doc, "{\"detail\":\"x\\u0001\\u007f\\u0085y\\u00e9\"}");
	assert_int_equal(acme_problem_parse(doc, strlen(doc), 400, &p, err,
	    sizeof(err)), 0);
	assert_string_equal(p.detail, "x???y\xc3\xa9");
	acme_problem_free(&p);
	/* invalid UTF-8 or a lone surrogate: not a problem document at all */
	d = "{\"detail\":\"\xff\xfe\"}";
	assert_int_equal(acme_problem_parse(d, strlen(d), 400, &p, err,
	    sizeof(err)), -1);
	d = "{\"detail\":\"\\ud800\"}";
	assert_int_equal(acme_problem_parse(d, strlen(d), 400, &p, err,
	    sizeof(err)), -1);
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
		cmocka_unit_test(test_utf8_cut),
		cmocka_unit_test(test_retry_policy),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
