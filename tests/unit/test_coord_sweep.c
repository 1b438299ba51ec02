/* test_coord_sweep.c -- unit tests of the sweeper's spacing of re-drives (sweep_delay); the sweep itself is tested against PostgreSQL. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "sweep.h"

static void
test_delay(void **state)
{
	(void)state;
	/* the first re-drive at once, then lease x 2^(n-2) */
	assert_true(sweep_delay(900, 0) == 0);
	assert_true(sweep_delay(900, 1) == 0);
	assert_true(sweep_delay(900, 2) == 900);
	assert_true(sweep_delay(900, 3) == 1800);
	assert_true(sweep_delay(900, 4) == 3600);
	/* capped */
	assert_true(sweep_delay(900, 6) == 14400);
	assert_true(sweep_delay(900, 7) == SWEEP_DELAY_MAX_S);
	assert_true(sweep_delay(900, 4000000000u) == SWEEP_DELAY_MAX_S);
	assert_true(sweep_delay(7 * 86400, 2) == SWEEP_DELAY_MAX_S);
	assert_true(sweep_delay(1, 3) == 2);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_delay),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
