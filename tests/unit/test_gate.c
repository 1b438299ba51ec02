/* test_gate.c -- unit tests of the CA's gate without Redis: its sides, keys, lease ids, and a worker's memory of a side kept out (worker/runner/gate.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "gate.h"

static void
test_gate_sides(void **state)
{
	(void)state;
	assert_int_equal(gate_other(ACME_GATE_NEW_ORDER), ACME_GATE_AUTHZ);
	assert_int_equal(gate_other(ACME_GATE_AUTHZ), ACME_GATE_NEW_ORDER);
	assert_int_equal(gate_other(ACME_GATE_NONE), ACME_GATE_NONE);
	assert_string_equal(gate_side_name(ACME_GATE_NEW_ORDER), "newOrder");
	assert_string_equal(gate_side_name(ACME_GATE_AUTHZ), "authz");
	assert_string_equal(gate_side_name(ACME_GATE_NONE), "?");
}

static void
test_gate_keys(void **state)
{
	char k[40];

	(void)state;
	assert_int_equal(gate_key(k, sizeof(k), "pebble", "authz"), 0);
	assert_string_equal(k, "certfleet:gate:pebble:authz");
	/* cut keys would mix CAs: refused */
	assert_int_equal(gate_key(k, 20, "pebble", "authz"), -1);
	assert_int_equal(gate_key(k, sizeof(k), "a-ca-name-that-is-long",
	    "newOrder"), -1);
}

static void
test_gate_lease_ids(void **state)
{
	struct gate_ids a, b;
	uint64_t x, y;

	(void)state;
	gate_ids_init(&a);
	gate_ids_init(&b);
	/* two workers start apart (64 random bits) and each counts */
	assert_true(a.next != b.next);
	x = gate_ids_take(&a);
	y = gate_ids_take(&a);
	assert_true(x != 0 && y != 0 && y == x + 1);
	/* 0 means "nothing to release": never a lease */
	a.next = UINT64_MAX;
	assert_true(gate_ids_take(&a) == UINT64_MAX);
	assert_true(gate_ids_take(&a) == 1);
}

static void
test_gate_local_memory(void **state)
{
	struct gate_local g;

	(void)state;
	memset(&g, 0, sizeof(g));
	/* nothing known: ask Redis */
	assert_int_equal(gate_local_wait(&g, ACME_GATE_AUTHZ, 1000), 0);
	/* kept out at 1000 for 20 ms: that side's next requests wait the
	 * rest without asking, the other side asks */
	gate_local_out(&g, ACME_GATE_AUTHZ, 1000, GATE_RETRY_MS);
	assert_int_equal(gate_local_wait(&g, ACME_GATE_AUTHZ, 1000),
	    GATE_RETRY_MS);
	assert_int_equal(gate_local_wait(&g, ACME_GATE_AUTHZ, 1015), 5);
	assert_int_equal(gate_local_wait(&g, ACME_GATE_NEW_ORDER, 1015), 0);
	/* once the retry is due, ask again */
	assert_int_equal(gate_local_wait(&g, ACME_GATE_AUTHZ, 1020), 0);
	assert_int_equal(gate_local_wait(&g, ACME_GATE_AUTHZ, 5000), 0);
	/* out of range sides are ignored */
	gate_local_out(&g, (enum acme_gate)7, 1000, 50);
	assert_int_equal(gate_local_wait(&g, (enum acme_gate)7, 1000), 0);
	/* a retry of 0 (let in) leaves nothing to wait */
	gate_local_out(&g, ACME_GATE_NEW_ORDER, 2000, 0);
	assert_int_equal(gate_local_wait(&g, ACME_GATE_NEW_ORDER, 2000), 0);
}

static void
test_gate_constants(void **state)
{
	(void)state;
	/* a waiting side's turn comes before its wait goes stale, and its
	 * requests refresh the wait several times within the TTL */
	assert_true(GATE_FAIR_MS < GATE_WANT_TTL_MS);
	assert_true(GATE_RETRY_MS * 4 <= GATE_WANT_TTL_MS);
	/* a crashed holder blocks the other side well before an op defers */
	assert_true(GATE_LEASE_MS < ACME_PACE_DEFER_MS);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_gate_sides),
		cmocka_unit_test(test_gate_keys),
		cmocka_unit_test(test_gate_lease_ids),
		cmocka_unit_test(test_gate_local_memory),
		cmocka_unit_test(test_gate_constants),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
