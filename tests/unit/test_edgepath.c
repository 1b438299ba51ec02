/* test_edgepath.c -- unit tests of the config.json path of peter_sslers edges and its host name check (coordinator/api/edgepath.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "edgepath.h"

static enum edgepath_route
route(const char *path, char *name)
{
	return edgepath_route(path, strlen(path), name);
}

static void
test_names(void **state)
{
	char name[HOSTNAME_MAX + 1];

	(void)state;
	assert_int_equal(route("domain/www.example.com/config.json", name),
	    EDGEPATH_CONFIG);
	assert_string_equal(name, "www.example.com");
	assert_int_equal(route("domain/WWW.Example.COM./config.json", name),
	    EDGEPATH_CONFIG);
	assert_string_equal(name, "www.example.com");
	assert_int_equal(route("domain/*.example.com/config.json", name),
	    EDGEPATH_CONFIG);
	assert_string_equal(name, "*.example.com");
}

static void
test_bad_names(void **state)
{
	static const char *const bad[] = {
		"domain//config.json", "domain/../../v1/config.json",
		"domain/a_b.example.com/config.json",
		"domain/%2e%2e/config.json", "domain/a..b.example/config.json",
		"domain/-a.example.com/config.json", "domain/com/config.json",
		"domain/a.*.example.com/config.json",
		("domain/b\xc3\xbc" "cher.example/config.json"),
		"domain/1.2.3.4/config.json",
	};
	char name[HOSTNAME_MAX + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(route(bad[i], name), EDGEPATH_BAD_NAME);
		assert_string_equal(name, "");
	}
	/* a NUL inside the name (the API keeps %00 escaped; still) */
	assert_int_equal(edgepath_route("domain/a\0b.example/config.json", 30,
	    name), EDGEPATH_BAD_NAME);
}

static void
test_other_paths(void **state)
{
	static const char *const other[] = {
		"", "domain/", "domain/example.com", "domain/example.com/",
		"domain/example.com/config.jsonx", "domains/example.com/config.json",
		"/domain/example.com/config.json", "config.json",
	};
	char name[HOSTNAME_MAX + 1];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		assert_int_equal(route(other[i], name), EDGEPATH_NOT_FOUND);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_bad_names),
		cmocka_unit_test(test_other_paths),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
