/* test_ctl_setline.c -- unit tests of setline_body (ctl/setline.c): the lines of `enroll --from`, as host names or NDJSON, with the command line's defaults. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "setline.h"

static void
body_is(const char *line, const json_t *defaults, const char *want)
{
	char err[256], *body = NULL;

	assert_int_equal(setline_body(line, strlen(line), defaults, &body, err,
	    sizeof(err)), 1);
	assert_string_equal(body, want);
	free(body);
}

static void
refused(const char *line, const char *want)
{
	char err[256] = "", *body = NULL;

	assert_int_equal(setline_body(line, strlen(line), NULL, &body, err,
	    sizeof(err)), -1);
	assert_null(body);
	if (strstr(err, want) == NULL)
		fail_msg("line %s: message \"%s\" lacks \"%s\"", line, err, want);
}

static void
test_names(void **state)
{
	json_t *d = json_pack("{s:s, s:s}", "key_type", "ec-p384", "tenant",
	    "acme");

	(void)state;
	body_is("a.test", NULL, "{\"hostnames\":[\"a.test\"]}");
	body_is("a.test \t www.a.test  b.test", NULL,
	    "{\"hostnames\":[\"a.test\",\"www.a.test\",\"b.test\"]}");
	/* names are passed as given: the API checks them */
	body_is("x_y", d, "{\"hostnames\":[\"x_y\"],\"key_type\":\"ec-p384\","
	    "\"tenant\":\"acme\"}");
	json_decref(d);
}

static void
test_json(void **state)
{
	json_t *d = json_pack("{s:s, s:s}", "key_type", "ec-p384", "tenant",
	    "acme");

	(void)state;
	body_is("{\"hostnames\": [\"a.test\"], \"tenant\": \"other\"}", d,
	    "{\"hostnames\":[\"a.test\"],\"tenant\":\"other\","
	    "\"key_type\":\"ec-p384\"}");
	body_is("{}", NULL, "{}");
	/* defaults are not changed by a line */
	assert_int_equal(json_object_size(d), 2);
	assert_string_equal(json_string_value(json_object_get(d, "tenant")),
	    "acme");
	json_decref(d);
}

static void
test_comments_and_refusals(void **state)
{
	char err[64], *body = (char *)1, name[300];

	(void)state;
	assert_int_equal(setline_body("# a comment", 11, NULL, &body, err,
	    sizeof(err)), 0);
	assert_null(body);
	refused("{\"hostnames\": [", "malformed JSON");
	refused("{\"a\": 1, \"a\": 2}", "malformed JSON");
	refused("{[1, 2]", "malformed JSON");
	memset(name, 'a', sizeof(name) - 1);
	name[sizeof(name) - 1] = '\0';
	refused(name, "a name of 299 bytes");
	refused("\xff\xfe.test", "not UTF-8");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_json),
		cmocka_unit_test(test_comments_and_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
