/* test_offsets.c -- unit tests of the worker's commit-point tracker for out-of-order job completion. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "offsets.h"

static void
test_out_of_order(void **state)
{
	struct offsets *t = offsets_new();

	(void)state;
	assert_int_equal(offsets_add(t, 0, 10), 0);
	assert_int_equal(offsets_add(t, 0, 11), 0);
	assert_int_equal(offsets_add(t, 0, 15), 0);
	assert_int_equal(offsets_add(t, 3, 7), 0);
	assert_int_equal(offsets_inflight(t), 4);
	assert_int_equal(offsets_committable(t, 0), -1);
	assert_int_equal(offsets_done(t, 0, 11), 0);	/* 10 still running */
	assert_int_equal(offsets_committable(t, 0), -1);
	assert_int_equal(offsets_done(t, 0, 10), 0);
	assert_int_equal(offsets_committable(t, 0), 12);
	assert_int_equal(offsets_committable(t, 0), -1);	/* consumed */
	assert_int_equal(offsets_done(t, 3, 7), 0);
	assert_int_equal(offsets_committable(t, 3), 8);
	assert_int_equal(offsets_done(t, 0, 15), 0);
	assert_int_equal(offsets_committable(t, 0), 16);
	assert_int_equal(offsets_inflight(t), 0);
	offsets_free(t);
}

static void
test_refusals(void **state)
{
	struct offsets *t = offsets_new();

	(void)state;
	assert_int_equal(offsets_add(t, 0, 5), 0);
	assert_int_equal(offsets_add(t, 0, 5), -1);	/* not increasing */
	assert_int_equal(offsets_add(t, 0, 4), -1);
	assert_int_equal(offsets_add(t, -1, 1), -1);
	assert_int_equal(offsets_add(t, 1 << 20, 1), -1);
	assert_int_equal(offsets_done(t, 0, 6), -1);	/* never added */
	assert_int_equal(offsets_done(t, 9, 6), -1);	/* unknown partition */
	assert_int_equal(offsets_done(t, 0, 5), 0);
	assert_int_equal(offsets_done(t, 0, 5), -1);	/* twice */
	assert_int_equal(offsets_committable(t, 7), -1);
	offsets_free(t);
}

static void
test_many_and_drop(void **state)
{
	struct offsets *t = offsets_new();
	int64_t i;

	(void)state;
	for (i = 0; i < 5000; i++)
		assert_int_equal(offsets_add(t, 2, 100 + i), 0);
	/* Finish the odd ones, then the even ones, newest first. */
	for (i = 4999; i >= 0; i -= 2)
		assert_int_equal(offsets_done(t, 2, 100 + i), 0);
	assert_int_equal(offsets_committable(t, 2), -1);
	for (i = 4998; i > 0; i -= 2)
		assert_int_equal(offsets_done(t, 2, 100 + i), 0);
	assert_int_equal(offsets_committable(t, 2), -1);
	assert_int_equal(offsets_done(t, 2, 100), 0);
	assert_int_equal(offsets_committable(t, 2), 5100);
	assert_int_equal(offsets_add(t, 2, 6000), 0);
	offsets_drop(t, 2);
	assert_int_equal(offsets_inflight(t), 0);
	assert_int_equal(offsets_add(t, 2, 1), 0);	/* a fresh start after a drop */
	offsets_free(t);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_out_of_order),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_many_and_drop),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
