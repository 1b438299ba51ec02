/* test_clock.c -- unit tests of the monotonic and wall-clock millisecond helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <time.h>

#include <cmocka.h>

#include "clock.h"

static void
test_mono_advances(void **state)
{
	struct timespec nap = { 0, 20 * 1000000 };
	uint64_t a, b, c;

	(void)state;
	a = clock_mono_ms();
	b = clock_mono_ms();
	assert_true(b >= a);
	while (nanosleep(&nap, &nap) != 0)
		;
	c = clock_mono_ms();
	assert_true(c - a >= 20);
	assert_true(c - a < 60 * 1000);	/* a loaded machine, not a minute */
}

static void
test_wall_is_unix_ms(void **state)
{
	int64_t before, ms, after;

	(void)state;
	before = (int64_t)time(NULL) * 1000;
	ms = clock_wall_ms();
	after = (int64_t)time(NULL) * 1000;
	assert_true(ms >= before);
	assert_true(ms < after + 1000);
	assert_true(ms > INT64_C(1577836800000));	/* after 2020-01-01 */
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_mono_advances),
		cmocka_unit_test(test_wall_is_unix_ms),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
