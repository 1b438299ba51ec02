/* test_coord_lifecycle.c -- unit tests of lifecycle_names_parse: the body of a change of name set, its normalizing and its messages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "lifecycle.h"

/* Parses body, expecting failure with a message containing want. */
static void
refused(const char *body, const char *want)
{
	struct lifecycle_names ln;
	char err[512];

	err[0] = '\0';
	assert_int_equal(lifecycle_names_parse(body, strlen(body), &ln, err,
	    sizeof(err)), -1);
	if (strstr(err, want) == NULL)
		fail_msg("body %s: message \"%s\" lacks \"%s\"", body, err, want);
	assert_null(ln.add);
	assert_null(ln.drop);
}

static void
test_good(void **state)
{
	struct lifecycle_names ln;
	const char *b = "{\"add\": [\"WWW.Example.com.\", \"b.example.com\"], "
	    "\"drop\": [\"old.example.com\"]}";
	char err[512];

	(void)state;
	assert_int_equal(lifecycle_names_parse(b, strlen(b), &ln, err,
	    sizeof(err)), 0);
	assert_int_equal(ln.nadd, 2);
	assert_string_equal(ln.add[0], "www.example.com");
	assert_string_equal(ln.add[1], "b.example.com");
	assert_int_equal(ln.ndrop, 1);
	assert_string_equal(ln.drop[0], "old.example.com");
	lifecycle_names_free(&ln);
	assert_null(ln.add);
}

static void
test_one_side(void **state)
{
	struct lifecycle_names ln;
	const char *b = "{\"drop\": [\"x.example.com\"]}";
	char err[512];

	(void)state;
	assert_int_equal(lifecycle_names_parse(b, strlen(b), &ln, err,
	    sizeof(err)), 0);
	assert_int_equal(ln.nadd, 0);
	assert_int_equal(ln.ndrop, 1);
	lifecycle_names_free(&ln);
}

static void
test_refused(void **state)
{
	char big[8192];
	size_t i, n;

	(void)state;
	refused("", "JSON object");
	refused("[]", "JSON object");
	refused("{}", "nothing to change");
	refused("{\"add\": [], \"drop\": []}", "nothing to change");
	refused("{\"add\": \"a.example.com\"}", "add must be an array");
	refused("{\"add\": [1]}", "add[0] is not a string");
	refused("{\"drop\": [\"a.example.com\", \"bad..name\"]}",
	    "drop[1] is not a hostname");
	refused("{\"add\": [\"a.example.com\", \"A.example.com\"]}",
	    "a.example.com is named twice");
	refused("{\"add\": [\"a.example.com\"], \"drop\": [\"a.example.com.\"]}",
	    "a.example.com is named twice");
	refused("{\"add\": [\"a.example.com\"], \"force\": true}",
	    "unknown field force");
	refused("{\"add\": [\"a.example.com\"], \"add\": [\"b.example.com\"]}",
	    "JSON object");
	n = (size_t)snprintf(big, sizeof(big), "{\"add\": [");
	for (i = 0; i <= LIFECYCLE_NAMES_MAX; i++)
		n += (size_t)snprintf(big + n, sizeof(big) - n, "%s\"n%zu.example."
		    "com\"", i > 0 ? ", " : "", i);
	snprintf(big + n, sizeof(big) - n, "]}");
	refused(big, "at most 100 names");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good),
		cmocka_unit_test(test_one_side),
		cmocka_unit_test(test_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
