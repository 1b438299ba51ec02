/* test_deletereq.c -- unit tests of deletereq_parse: the body of POST /v1/certificates:delete, its selectors, flags, caps and messages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "deletereq.h"

#define ID1 "0880e9c7-8877-4e5f-945a-0f23ce40dcf6"
#define ID2 "56fe2293-5379-44a9-b022-f25a0dce9329"

/* Parses body, expecting failure with a message containing want. */
static void
refused(const char *body, const char *want)
{
	struct deletereq dr;
	char err[512];

	err[0] = '\0';
	assert_int_equal(deletereq_parse(body, strlen(body), &dr, err,
	    sizeof(err)), -1);
	if (strstr(err, want) == NULL)
		fail_msg("body %s: message \"%s\" lacks \"%s\"", body, err, want);
	assert_null(dr.ids);
	assert_int_equal(dr.nids, 0);
}

static void
test_ids(void **state)
{
	const char *b = "{\"ids\": [\"" ID1 "\", \"" ID2 "\"], \"revoke\": true, "
	    "\"reason\": \"superseded\"}";
	struct deletereq dr;
	char err[512];

	(void)state;
	assert_int_equal(deletereq_parse(b, strlen(b), &dr, err, sizeof(err)),
	    0);
	assert_int_equal(dr.nids, 2);
	assert_string_equal(dr.ids[0], ID1);
	assert_string_equal(dr.ids[1], ID2);
	assert_true(dr.revoke);
	assert_int_equal(dr.reason, 4);
	assert_false(dr.dry_run);
	assert_string_equal(dr.tenant, "");
	deletereq_free(&dr);
	assert_null(dr.ids);
}

static void
test_selector(void **state)
{
	const char *b = "{\"tenant\": \"acme-1\", \"label\": \"plan:gold\", "
	    "\"dry_run\": true, \"limit\": 50}";
	const char *l = "{\"label\": \"region:eu west\"}";
	struct deletereq dr;
	char err[512];

	(void)state;
	assert_int_equal(deletereq_parse(b, strlen(b), &dr, err, sizeof(err)),
	    0);
	assert_null(dr.ids);
	assert_string_equal(dr.tenant, "acme-1");
	assert_string_equal(dr.label_key, "plan");
	assert_string_equal(dr.label_value, "gold");
	assert_true(dr.dry_run);
	assert_false(dr.revoke);
	assert_int_equal(dr.limit, 50);
	deletereq_free(&dr);
	assert_int_equal(deletereq_parse(l, strlen(l), &dr, err, sizeof(err)),
	    0);
	assert_string_equal(dr.tenant, "");
	assert_string_equal(dr.label_value, "eu west");
	assert_int_equal(dr.limit, DELETEREQ_MAX);
	deletereq_free(&dr);
}

static void
test_refused(void **state)
{
	static char big[64 * 1024];
	size_t n, i;

	(void)state;
	refused("", "JSON object");
	refused("[]", "JSON object");
	refused("{\"tenant\": \"a\", \"tenant\": \"b\"}", "JSON object");
	refused("{}", "say which certificates");
	refused("{\"dry_run\": true}", "say which certificates");
	refused("{\"tenant\": \"\"}", "say which certificates");
	refused("{\"all\": true}", "unknown field all");
	refused("{\"ids\": [\"" ID1 "\"], \"tenant\": \"t\"}", "not both");
	refused("{\"ids\": [\"" ID1 "\"], \"label\": \"a:b\"}", "not both");
	refused("{\"ids\": []}", "ids must be an array of 1-1000");
	refused("{\"ids\": \"" ID1 "\"}", "ids must be an array");
	refused("{\"ids\": [\"" ID1 "\", \"x\"]}", "ids[1] is not a certificate id");
	refused("{\"ids\": [7]}", "ids[0] is not a certificate id");
	refused("{\"tenant\": \"Bad Tenant\"}", "tenant");
	refused("{\"tenant\": 5}", "tenant");
	refused("{\"label\": \"nocolon\"}", "KEY:VALUE");
	refused("{\"tenant\": \"t\", \"limit\": 0}", "limit must be 1-1000");
	refused("{\"tenant\": \"t\", \"limit\": 1001}", "limit must be 1-1000");
	refused("{\"tenant\": \"t\", \"limit\": \"5\"}", "limit must be");
	refused("{\"tenant\": \"t\", \"dry_run\": 1}", "true or false");
	refused("{\"tenant\": \"t\", \"revoke\": \"yes\"}", "true or false");
	refused("{\"tenant\": \"t\", \"reason\": \"superseded\"}",
	    "reason is taken with revoke");
	refused("{\"tenant\": \"t\", \"revoke\": true, \"reason\": \"bogus\"}",
	    "reason is taken with revoke");
	n = (size_t)snprintf(big, sizeof(big), "{\"ids\": [");
	for (i = 0; i <= DELETEREQ_MAX; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "%s\"%s\"",
		    i > 0 ? ", " : "", ID1);
	snprintf(big + n, sizeof(big) - n, "]}");
	refused(big, "ids must be an array of 1-1000");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ids),
		cmocka_unit_test(test_selector),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
