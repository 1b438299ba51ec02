/* test_config.c -- unit tests of environment settings and per-object variable names. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"

static void
test_config_long(void **state)
{
	char err[256];
	long v;

	(void)state;
	unsetenv("CF_TEST_N");
	assert_int_equal(config_long("CF_TEST_N", 7, 0, 10, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 7);
	setenv("CF_TEST_N", "9", 1);
	assert_int_equal(config_long("CF_TEST_N", 7, 0, 10, &v, err, sizeof(err)), 0);
	assert_int_equal(v, 9);
	setenv("CF_TEST_N", "11", 1);
	assert_int_equal(config_long("CF_TEST_N", 7, 0, 10, &v, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "CF_TEST_N=11"));
	setenv("CF_TEST_N", "3x", 1);
	assert_int_equal(config_long("CF_TEST_N", 7, 0, 10, &v, err, sizeof(err)), -1);
	setenv("CF_TEST_N", "", 1);
	assert_string_equal(config_str("CF_TEST_N", "dflt"), "dflt");
}

static void
test_env_name(void **state)
{
	char out[64];

	(void)state;
	assert_int_equal(config_env_name(out, sizeof(out), "CERTFLEET_CA",
	    "lets-encrypt", "EAB_KID"), 33);
	assert_string_equal(out, "CERTFLEET_CA_LETS_ENCRYPT_EAB_KID");
	assert_int_equal(config_env_name(out, sizeof(out), "CERTFLEET_CA",
	    "pebble", "LIMIT_CERTS_PER_DOMAIN_7D"), 45);
	assert_string_equal(out, "CERTFLEET_CA_PEBBLE_LIMIT_CERTS_PER_DOMAIN_7D");
	/* No suffix; '_' kept, letters and digits upper-cased. */
	assert_int_equal(config_env_name(out, sizeof(out), "CERTFLEET_CA_FILE",
	    "corp-Root_2", NULL), 29);
	assert_string_equal(out, "CERTFLEET_CA_FILE_CORP_ROOT_2");
}

static void
test_env_name_refusals(void **state)
{
	static const char *bad[] = { "", "a b", "a.b", "a/b", "a=b", "\xc3\xa9" };
	char out[32];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memcpy(out, "junk", 5);
		assert_int_equal(config_env_name(out, sizeof(out), "P", bad[i],
		    NULL), -1);
		assert_string_equal(out, "");
	}
	/* "P_AB_S" is 6 characters: fits in 7 with its NUL, not in 6. */
	assert_int_equal(config_env_name(out, 7, "P", "ab", "S"), 6);
	assert_string_equal(out, "P_AB_S");
	assert_int_equal(config_env_name(out, 6, "P", "ab", "S"), -1);
	assert_string_equal(out, "");
	assert_int_equal(config_env_name(out, 0, "P", "ab", "S"), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_long),
		cmocka_unit_test(test_env_name),
		cmocka_unit_test(test_env_name_refusals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
