/* test_backoff.c -- unit tests of the retry schedule of a service that does not answer: doubling waits, the cap, jitter bounds, due times, the streak's length. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "backoff.h"

/* Without jitter (r = 0.5) the waits double from min to max and stay. */
static void
test_schedule(void **state)
{
	(void)state;
	assert_int_equal(backoff_delay_ms(500, 30000, 1, 0.5), 500);
	assert_int_equal(backoff_delay_ms(500, 30000, 2, 0.5), 1000);
	assert_int_equal(backoff_delay_ms(500, 30000, 3, 0.5), 2000);
	assert_int_equal(backoff_delay_ms(500, 30000, 6, 0.5), 16000);
	assert_int_equal(backoff_delay_ms(500, 30000, 7, 0.5), 30000);
	assert_int_equal(backoff_delay_ms(500, 30000, 1000, 0.5), 30000);
	assert_int_equal(backoff_delay_ms(500, 30000, 0, 0.5), 500);
}

/* Jitter stays within +-BACKOFF_JITTER, whatever r is given. */
static void
test_jitter_bounds(void **state)
{
	(void)state;
	assert_int_equal(backoff_delay_ms(1000, 1000, 1, 0.0), 800);
	assert_int_equal(backoff_delay_ms(1000, 1000, 1, 0.999999), 1199);
	assert_int_equal(backoff_delay_ms(1000, 1000, 1, -5.0), 800);
	assert_int_equal(backoff_delay_ms(1000, 1000, 1, 7.0), 1199);
	assert_true(backoff_delay_ms(1, 1, 1, 0.0) >= 1);
}

/* A try is due while the service answers, not before the wait after a
 * failure, and again once it passed; an answer ends the streak and says
 * how long it lasted. */
static void
test_due_and_streak(void **state)
{
	struct backoff b;
	unsigned w1, w2;

	(void)state;
	backoff_init(&b, 100, 400);
	assert_true(backoff_due(&b, 5));
	assert_int_equal(backoff_ok(&b, 5), 0);
	w1 = backoff_failed(&b, 1000);
	assert_true(w1 >= 80 && w1 <= 120);
	assert_int_equal(b.failures, 1);
	assert_false(backoff_due(&b, 1000 + w1 - 1));
	assert_true(backoff_due(&b, 1000 + w1));
	w2 = backoff_failed(&b, 1200);
	assert_true(w2 >= 160 && w2 <= 240);
	assert_false(backoff_due(&b, 1200 + w2 - 1));
	assert_int_equal(backoff_failed(&b, 1500) <= 480, 1);
	assert_int_equal(backoff_failed(&b, 2000) <= 480, 1);	/* capped */
	assert_int_equal(backoff_ok(&b, 2600), 1600);		/* since 1000 */
	assert_int_equal(b.failures, 0);
	assert_true(backoff_due(&b, 0));
	backoff_init(&b, 0, 0);		/* nonsense is made sane */
	assert_true(backoff_failed(&b, 0) >= 1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_schedule),
		cmocka_unit_test(test_jitter_bounds),
		cmocka_unit_test(test_due_and_streak),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
