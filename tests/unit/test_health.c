/* test_health.c -- unit tests of health_check in a program that links only certfleet_redisconn: the Redis probe runs, the others are absent. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "health.h"

/* Nothing listens on port 1 of the loopback: the Redis probe fails fast. */
#define DEAD_REDIS	"redis://127.0.0.1:1"

/* Runs health_check(services) into a string; returns the failure count. */
static int
run(unsigned services, char **text)
{
	size_t len;
	FILE *f;
	int n;

	assert_non_null(f = open_memstream(text, &len));
	n = health_check(services, f);
	assert_int_equal(fclose(f), 0);
	return n;
}

static void
test_absent_probe(void **state)
{
	char *text = NULL;

	(void)state;
	setenv("CERTFLEET_PG", "postgresql://u:pw@127.0.0.1:1/db", 1);
	setenv("KAFKA_BOOTSTRAP", "127.0.0.1:1", 1);
	setenv("ACME_DIRECTORY", "https://127.0.0.1:1/dir", 1);
	assert_int_equal(run(HEALTH_POSTGRES | HEALTH_KAFKA | HEALTH_ACME, &text), 3);
	assert_non_null(strstr(text, "postgresql  FAILED"));
	assert_non_null(strstr(text, "kafka       FAILED"));
	assert_non_null(strstr(text, "acme        FAILED"));
	assert_non_null(strstr(text, "not built into this program"));
	assert_null(strstr(text, "pw@"));
	free(text);
}

static void
test_linked_probe(void **state)
{
	char *text = NULL;

	(void)state;
	setenv("REDIS_URL", "redis://:s3cret@127.0.0.1:1", 1);
	assert_int_equal(run(HEALTH_REDIS, &text), 1);
	assert_non_null(strstr(text, "redis       FAILED  redis://:***@127.0.0.1:1"));
	/* The probe ran: the failure is Redis's, not a missing probe. */
	assert_null(strstr(text, "not built into this program"));
	assert_null(strstr(text, "s3cret"));
	free(text);
}

static void
test_unset(void **state)
{
	char *text = NULL;

	(void)state;
	unsetenv("REDIS_URL");
	assert_int_equal(run(HEALTH_REDIS, &text), 1);
	assert_non_null(strstr(text, "REDIS_URL is not set"));
	free(text);
	setenv("REDIS_URL", DEAD_REDIS, 1);
	assert_int_equal(run(0, &text), 0);
	assert_string_equal(text, "");
	free(text);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_absent_probe),
		cmocka_unit_test(test_linked_probe),
		cmocka_unit_test(test_unset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
