/* test_edgeask.c -- unit tests of the ask bodies edges send: names one per line, and peter_sslers' autocert form (coordinator/api/edgeask.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "edgeask.h"

static enum edgeask_status
lines(const char *body, struct edgeask *a)
{
	return edgeask_lines(body, strlen(body), a);
}

static void
test_lines(void **state)
{
	struct edgeask a;

	(void)state;
	assert_int_equal(lines("www.example.com\nB.Example.COM.\r\n\n"
	    "www.example.com\na.example.org", &a), EDGEASK_OK);
	assert_int_equal(a.n, 3);	/* sorted, unique, normalized */
	assert_string_equal(a.names[0], "a.example.org");
	assert_string_equal(a.names[1], "b.example.com");
	assert_string_equal(a.names[2], "www.example.com");
	assert_int_equal(a.invalid, 0);
	edgeask_free(&a);
	assert_int_equal(lines("", &a), EDGEASK_OK);
	assert_int_equal(a.n, 0);
	assert_int_equal(lines("\n\n\r\n", &a), EDGEASK_OK);
	assert_int_equal(a.n, 0);
}

static void
test_bad_lines(void **state)
{
	struct edgeask a;

	(void)state;
	/* bad names are skipped and counted; the good one stays */
	assert_int_equal(lines("*.example.com\nok.example.com\ncom\na_b.test\n"
	    "a..b.test\n%2e%2e.test\n1.2.3.4\n-a.test\nb\xc3\xbc" "cher.test\n",
	    &a), EDGEASK_OK);
	assert_int_equal(a.n, 1);
	assert_string_equal(a.names[0], "ok.example.com");
	assert_int_equal(a.invalid, 8);
	edgeask_free(&a);
	/* a NUL inside a line */
	assert_int_equal(edgeask_lines("a\0b.test\nc.test\n", 16, &a),
	    EDGEASK_OK);
	assert_int_equal(a.n, 1);
	assert_int_equal(a.invalid, 1);
	edgeask_free(&a);
}

static void
test_too_many(void **state)
{
	struct edgeask a;
	char *body, *p;
	size_t i;

	(void)state;
	body = malloc((EDGEASK_MAX_NAMES + 1) * 32);
	assert_non_null(body);
	p = body;
	for (i = 0; i < EDGEASK_MAX_NAMES; i++)
		p += sprintf(p, "n%zu.example.com\n", i);
	assert_int_equal(lines(body, &a), EDGEASK_OK);
	assert_int_equal(a.n, EDGEASK_MAX_NAMES);
	edgeask_free(&a);
	sprintf(p, "one-more.example.com\n");
	assert_int_equal(lines(body, &a), EDGEASK_TOO_MANY);
	assert_int_equal(a.n, 0);
	free(body);
}

static void
test_form(void **state)
{
	char name[HOSTNAME_MAX + 1], err[200];

	(void)state;
	assert_int_equal(edgeask_form("domain_name=www.example.com", 27, name,
	    err, sizeof(err)), 0);
	assert_string_equal(name, "www.example.com");
	assert_int_equal(edgeask_form("x=1&domain_name=WWW.Example.com&y=2",
	    35, name, err, sizeof(err)), 0);
	assert_string_equal(name, "www.example.com");
	assert_int_equal(edgeask_form("domain_name=www%2Eexample.com", 29, name,
	    err, sizeof(err)), 0);
	assert_string_equal(name, "www.example.com");
}

static void
test_bad_form(void **state)
{
	static const char *const bad[] = {
		"", "domain=www.example.com", "domain_name=",
		"domain_name=a.test&domain_name=b.test", "domain_name=%",
		"domain_name=%2", "domain_name=%zz.test", "domain_name=%00a.test",
		"domain_name=*.example.com", "domain_name=a+b.test",
		"domain_name=a%2fb.test", "domain_name=com",
		"domain_name=b%C3%BCcher.test",
	};
	char name[HOSTNAME_MAX + 1], err[200];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(edgeask_form(bad[i], strlen(bad[i]), name, err,
		    sizeof(err)), -1);
		assert_string_equal(name, "");
		assert_true(err[0] != '\0');
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines),
		cmocka_unit_test(test_bad_lines),
		cmocka_unit_test(test_too_many),
		cmocka_unit_test(test_form),
		cmocka_unit_test(test_bad_form),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
