/* test_prime_lease.c -- unit tests of the primer's hold on a Redis target: what its owner key says after a SET NX (prime_lease_judge). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>

#include <cmocka.h>

#include "prime_int.h"

#define US	"0b9a4c55-6f4e-4c5e-9d7b-2f0e8f3b1a10"
#define OTHER	"5d1f7a0e-2c3b-4e8a-a1f4-7c6b9e0d2a31"

/* The SET NX took the key: ours, whatever the GET after it read. */
static void
test_taken(void **state)
{
	(void)state;
	assert_int_equal(prime_lease_judge(US, 1, US), PRIME_LEASE_OURS);
	assert_int_equal(prime_lease_judge(US, 1, NULL), PRIME_LEASE_OURS);
}

/* Held already by this fleet (this coordinator or another of the same
 * database): ours, renewed. */
static void
test_renewed(void **state)
{
	(void)state;
	assert_int_equal(prime_lease_judge(US, 0, US), PRIME_LEASE_OURS);
}

/* Held by another fleet: never ours, even when one id begins the other. */
static void
test_foreign(void **state)
{
	(void)state;
	assert_int_equal(prime_lease_judge(US, 0, OTHER), PRIME_LEASE_FOREIGN);
	assert_int_equal(prime_lease_judge(US, 0, US "x"), PRIME_LEASE_FOREIGN);
	assert_int_equal(prime_lease_judge(US, 0, ""), PRIME_LEASE_FOREIGN);
	assert_int_equal(prime_lease_judge(US "x", 0, US), PRIME_LEASE_FOREIGN);
}

/* The SET failed and the key is gone: it lapsed in between, ask again. */
static void
test_gone(void **state)
{
	(void)state;
	assert_int_equal(prime_lease_judge(US, 0, NULL), PRIME_LEASE_GONE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_taken),
		cmocka_unit_test(test_renewed),
		cmocka_unit_test(test_foreign),
		cmocka_unit_test(test_gone),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
