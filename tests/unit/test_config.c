/* test_config.c -- unit tests of environment settings, per-object variable names and redis:// URL parsing. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "config.h"
#include "redisconn.h"

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

static void
test_redis_url(void **state)
{
	struct redis_url u;
	char err[256];

	(void)state;
	assert_int_equal(redisconn_parse_url("redis://127.0.0.1:6380", &u, err, sizeof(err)), 0);
	assert_string_equal(u.host, "127.0.0.1");
	assert_int_equal(u.port, 6380);
	assert_int_equal(u.db, -1);
	assert_string_equal(u.password, "");
	assert_int_equal(redisconn_parse_url("redis://:s3cret@localhost/9", &u, err, sizeof(err)), 0);
	assert_string_equal(u.host, "localhost");
	assert_int_equal(u.port, 6379);
	assert_int_equal(u.db, 9);
	assert_string_equal(u.password, "s3cret");
	assert_int_equal(redisconn_parse_url("http://x", &u, err, sizeof(err)), -1);
	assert_int_equal(redisconn_parse_url("redis://:1", &u, err, sizeof(err)), -1);
	assert_int_equal(redisconn_parse_url("redis://h:99999", &u, err, sizeof(err)), -1);
	assert_int_equal(redisconn_parse_url("redis://h:1/x", &u, err, sizeof(err)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_config_long),
		cmocka_unit_test(test_env_name),
		cmocka_unit_test(test_env_name_refusals),
		cmocka_unit_test(test_redis_url),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
