/* test_health.c -- unit tests of health_check (one line per service named, passwords hidden, unset variables failed) and health_wait (tries until an answer, stops on request). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "health.h"

/* Runs health_check over services[0..n) into a string; returns the
 * failure count. */
static int
run(const struct health_service *const *services, size_t n, char **text)
{
	size_t len;
	FILE *f;
	int failed;

	assert_non_null(f = open_memstream(text, &len));
	failed = health_check(services, n, f);
	assert_int_equal(fclose(f), 0);
	return failed;
}

static void
test_probe_runs(void **state)
{
	static const struct health_service *const redis[] = { &health_redis };
	char *text = NULL;

	(void)state;
	setenv("REDIS_URL", "redis://:s3cret@127.0.0.1:1", 1);
	assert_int_equal(run(redis, 1, &text), 1);
	assert_non_null(strstr(text, "redis       FAILED  redis://:***@127.0.0.1:1"));
	assert_null(strstr(text, "s3cret"));
	free(text);
}

/* A service of its own: the probe gets where the variable says, and its
 * detail is printed. */
static int
fake_probe(const char *where, char *detail, size_t len)
{
	snprintf(detail, len, "asked %s", where);
	return 1;
}

static void
test_unset(void **state)
{
	static const struct health_service fake = { "fake", "FAKE_URL",
	    fake_probe };
	static const struct health_service *const both[] = { &health_redis,
	    &fake };
	char *text = NULL;

	(void)state;
	unsetenv("REDIS_URL");
	setenv("FAKE_URL", "fake://u:pw@127.0.0.1:1", 1);
	assert_int_equal(run(both, 2, &text), 1);
	assert_non_null(strstr(text, "REDIS_URL is not set"));
	assert_non_null(strstr(text, "fake        ok      fake://u:***@127.0.0.1:1  asked fake://u:pw@127.0.0.1:1"));
	free(text);
	assert_int_equal(run(both, 0, &text), 0);
	assert_string_equal(text, "");
	free(text);
}

/* A service that answers on its third probe. */
static int flaky_calls;

static int
flaky_probe(const char *where, char *detail, size_t len)
{
	(void)where;
	if (++flaky_calls < 3) {
		snprintf(detail, len, "not yet (%d)", flaky_calls);
		return 0;
	}
	snprintf(detail, len, "up");
	return 1;
}

/* health_wait tries again, with a growing wait, until the answer; a stop
 * asked for ends it without an answer. */
static void
test_wait(void **state)
{
	static const struct health_service flaky = { "flaky", "FLAKY_URL",
	    flaky_probe };
	static const struct health_service dead = { "fake", "FAKE_URL",
	    fake_probe };
	volatile sig_atomic_t stop = 0;

	(void)state;
	flaky_calls = 0;
	assert_int_equal(health_wait(&flaky, "flaky://u:pw@127.0.0.1:1", &stop),
	    0);
	assert_int_equal(flaky_calls, 3);
	stop = 1;
	flaky_calls = 0;
	assert_int_equal(health_wait(&flaky, "flaky://", &stop), -1);
	assert_int_equal(flaky_calls, 0);
	stop = 0;
	assert_int_equal(health_wait(&dead, "fake://", &stop), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_probe_runs),
		cmocka_unit_test(test_unset),
		cmocka_unit_test(test_wait),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
