/* test_prime_conf.c -- unit tests of the primer's settings: CERTFLEET_PRIME_STYLE, CERTFLEET_PRIME_TTL, CERTFLEET_PRIME_TARGETS. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "prime_conf.h"

#define URL "redis://:secret@127.0.0.1:6379"

static int
load(struct prime_conf *pc, char *err, size_t errlen)
{
	return prime_conf_load(pc, URL, 9, err, errlen);
}

static void
reset(void)
{
	unsetenv("CERTFLEET_PRIME_STYLE");
	unsetenv("CERTFLEET_PRIME_TTL");
	unsetenv("CERTFLEET_PRIME_TARGETS");
}

/* Unset: both styles, no TTL, one target "default" at REDIS_URL. */
static void
test_defaults(void **state)
{
	struct prime_conf pc;
	char err[256];

	(void)state;
	reset();
	assert_int_equal(load(&pc, err, sizeof(err)), 0);
	assert_int_equal(pc.style, PRIME_STYLE_BOTH);
	assert_string_equal(prime_style_name(pc.style), "both");
	assert_int_equal(pc.ttl, 0);
	assert_int_equal(pc.db, 9);
	assert_int_equal(pc.ntargets, 1);
	assert_string_equal(pc.t[0].name, PRIME_TARGET_DEFAULT);
	assert_string_equal(pc.t[0].url, URL);
}

static void
test_style_ttl(void **state)
{
	struct prime_conf pc;
	char err[256];

	(void)state;
	reset();
	setenv("CERTFLEET_PRIME_STYLE", "1", 1);
	setenv("CERTFLEET_PRIME_TTL", "3600", 1);
	assert_int_equal(load(&pc, err, sizeof(err)), 0);
	assert_int_equal(pc.style, PRIME_STYLE_1);
	assert_int_equal(pc.ttl, 3600);
	setenv("CERTFLEET_PRIME_STYLE", "2", 1);
	assert_int_equal(load(&pc, err, sizeof(err)), 0);
	assert_int_equal(pc.style, PRIME_STYLE_2);
	setenv("CERTFLEET_PRIME_STYLE", "3", 1);
	assert_int_equal(load(&pc, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "CERTFLEET_PRIME_STYLE"));
	setenv("CERTFLEET_PRIME_STYLE", "both", 1);
	setenv("CERTFLEET_PRIME_TTL", "59", 1);	/* under PRIME_TTL_MIN */
	assert_int_equal(load(&pc, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "CERTFLEET_PRIME_TTL"));
	setenv("CERTFLEET_PRIME_TTL", "-1", 1);
	assert_int_equal(load(&pc, err, sizeof(err)), -1);
	setenv("CERTFLEET_PRIME_TTL", "0", 1);
	assert_int_equal(load(&pc, err, sizeof(err)), 0);
	assert_int_equal(pc.ttl, 0);
	reset();
}

static void
test_targets(void **state)
{
	struct prime_conf pc;
	char err[256];

	(void)state;
	reset();
	setenv("CERTFLEET_PRIME_TARGETS", "eu-1=redis://:p%2Cw@10.0.0.1:6379,"
	    "us=rediss://edge@us.example:6380", 1);
	assert_int_equal(load(&pc, err, sizeof(err)), 0);
	assert_int_equal(pc.ntargets, 2);
	assert_string_equal(pc.t[0].name, "eu-1");
	assert_string_equal(pc.t[0].url, "redis://:p%2Cw@10.0.0.1:6379");
	assert_string_equal(pc.t[1].name, "us");
	assert_string_equal(pc.t[1].url, "rediss://edge@us.example:6380");
	reset();
}

/* Each refusal names the variable and never echoes a URL (passwords). */
static void
test_targets_refused(void **state)
{
	static const char *const bad[] = {
		"redis://127.0.0.1",			/* no name */
		"=redis://127.0.0.1",			/* empty name */
		"EU=redis://127.0.0.1",			/* upper case */
		"a_b=redis://127.0.0.1",		/* underscore */
		"a=http://127.0.0.1",			/* scheme */
		"a=redis://",				/* nothing after it */
		"a=redis://:pw@h,a=redis://:pw@h2",	/* twice */
		"a=redis://:pw@h,,b=redis://h",		/* empty item */
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa=redis://h", /* 33 */
	};
	struct prime_conf pc;
	char err[256];
	size_t i;

	(void)state;
	reset();
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		setenv("CERTFLEET_PRIME_TARGETS", bad[i], 1);
		assert_int_equal(load(&pc, err, sizeof(err)), -1);
		assert_non_null(strstr(err, "CERTFLEET_PRIME_TARGETS"));
		assert_null(strstr(err, "pw"));
	}
	reset();
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_defaults),
		cmocka_unit_test(test_style_ttl),
		cmocka_unit_test(test_targets),
		cmocka_unit_test(test_targets_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
