/* test_coord_ids.c -- unit tests of ids.c: UUID v7 shape, ids in the order they were made across milliseconds, ids_valid. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <cmocka.h>

#include "ids.h"

/* The shape of RFC 9562's version 7: version nibble 7, variant 10, and the
 * first 48 bits the wall clock in ms (within a second of now). */
static void
test_v7(void **state)
{
	char id[IDS_LEN + 1], hex[13];
	unsigned long long ms, now;
	struct timespec ts;

	(void)state;
	assert_int_equal(ids_new(id), 0);
	assert_int_equal(strlen(id), IDS_LEN);
	assert_true(ids_valid(id));
	assert_int_equal(id[14], '7');
	assert_non_null(strchr("89ab", id[19]));
	memcpy(hex, id, 8);
	memcpy(hex + 8, id + 9, 4);
	hex[12] = '\0';
	ms = strtoull(hex, NULL, 16);
	assert_int_equal(clock_gettime(CLOCK_REALTIME, &ts), 0);
	now = (unsigned long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
	assert_true(ms <= now && now - ms < 1000);
}

/* Ids made in different milliseconds sort as they were made (what keeps
 * an index of ids written at its end); ids of one ms differ. */
static void
test_ordered(void **state)
{
	char a[IDS_LEN + 1], b[IDS_LEN + 1], c[IDS_LEN + 1];
	struct timespec two_ms = { 0, 2000000 };

	(void)state;
	assert_int_equal(ids_new(a), 0);
	assert_int_equal(ids_new(c), 0);
	assert_string_not_equal(a, c);
	nanosleep(&two_ms, NULL);
	assert_int_equal(ids_new(b), 0);
	assert_true(strcmp(a, b) < 0);
	assert_true(strcmp(c, b) < 0);
}

/* ids made before (v4) stay valid; anything else is not an id. */
static void
test_valid(void **state)
{
	(void)state;
	assert_true(ids_valid("1b4e28ba-2fa1-41d2-883f-0016d3cca427"));
	assert_false(ids_valid("1b4e28ba-2fa1-41d2-883f-0016d3cca42"));
	assert_false(ids_valid("1b4e28ba-2fa1-41d2-883f-0016d3cca4277"));
	assert_false(ids_valid("1B4E28BA-2fa1-41d2-883f-0016d3cca427"));
	assert_false(ids_valid("1b4e28ba_2fa1-41d2-883f-0016d3cca427"));
	assert_false(ids_valid("1b4e28ba-2fa1-41d2-883f-0016d3cca42'"));
	assert_false(ids_valid(NULL));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_v7),
		cmocka_unit_test(test_ordered),
		cmocka_unit_test(test_valid),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
