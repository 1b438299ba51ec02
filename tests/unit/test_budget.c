/* test_budget.c -- unit tests of the budgets: when a held order becomes releasable, and the limit variables of cas_parse. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "budget.h"
#include "cas.h"

#define H3	BUDGET_ORDERS_WINDOW_S
#define D7	BUDGET_CERTS_WINDOW_S
#define NOW	1800000000.0

static void
test_no_limit(void **state)
{
	double t[3] = { NOW - 1, NOW - 2, NOW - 3 };

	(void)state;
	assert_true(budget_release_at(t, 3, 0, H3, NOW) == 0);
	assert_true(budget_release_at(NULL, 0, 1, H3, NOW) == 0);
}

static void
test_fits_under_limit(void **state)
{
	double t[2] = { NOW - 10, NOW - 20 };

	(void)state;
	assert_true(budget_release_at(t, 2, 3, H3, NOW) == 0);
}

static void
test_full_waits_for_oldest_counted(void **state)
{
	/* unsorted on purpose; limit 2: the second newest (NOW - 100) leaves
	 * the window at NOW - 100 + 3 h */
	double t[3] = { NOW - 200, NOW - 50, NOW - 100 };

	(void)state;
	assert_true(budget_release_at(t, 3, 2, H3, NOW) == NOW - 100 + H3);
	/* limit 3: the oldest counted one */
	t[0] = NOW - 200;
	t[1] = NOW - 50;
	t[2] = NOW - 100;
	assert_true(budget_release_at(t, 3, 3, H3, NOW) == NOW - 200 + H3);
}

static void
test_items_outside_window_do_not_count(void **state)
{
	/* one item 8 days old: the 7-day window holds only one */
	double t[2] = { NOW - 8 * 86400.0, NOW - 60 };

	(void)state;
	assert_true(budget_release_at(t, 2, 2, D7, NOW) == 0);
	t[0] = NOW - 8 * 86400.0;
	t[1] = NOW - 60;
	assert_true(budget_release_at(t, 2, 1, D7, NOW) == NOW - 60 + D7);
	/* exactly window_s old: already out */
	t[0] = NOW - D7;
	assert_true(budget_release_at(t, 1, 1, D7, NOW) == 0);
}

static void
test_release_is_releasable(void **state)
{
	double t[1] = { NOW - 3600 }, rel;

	(void)state;
	rel = budget_release_at(t, 1, 1, H3, NOW);
	assert_true(rel == NOW + 2 * 3600);
	assert_true(budget_release_at(t, 1, 1, H3, rel - 0.001) > 0);
	assert_true(budget_release_at(t, 1, 1, H3, rel) == 0);
}

/* A fake environment: NAME=value strings, NULL-terminated. */
static const char *
env_lookup(void *arg, const char *name)
{
	const char *const *e = arg;
	size_t n = strlen(name);

	for (; *e != NULL; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return (*e)[n + 1] != '\0' ? *e + n + 1 : NULL;
	return NULL;
}

static int
parse(const char *const *env, struct cas_conf *c, char *err, size_t errlen)
{
	err[0] = '\0';
	return cas_parse(c, env_lookup, (void *)(uintptr_t)env, err, errlen);
}

static void
test_limits_default_letsencrypt(void **state)
{
	static const char *const env[] = {
		"ACME_DIRECTORY=https://127.0.0.1:1/dir", NULL };
	struct cas_conf c;
	char err[256];

	(void)state;
	assert_int_equal(parse(env, &c, err, sizeof(err)), 0);
	assert_int_equal(c.ca[0].limit_orders_3h, 300);
	assert_int_equal(c.ca[0].limit_domain_7d, 50);
	assert_int_equal(c.ca[0].limit_dups_7d, 5);
}

static void
test_limits_set_per_ca(void **state)
{
	static const char *const env[] = {
		"ACME_DIRECTORY=https://127.0.0.1:1/dir",
		"CERTFLEET_CAS=le-staging",
		"CERTFLEET_CA_LE_STAGING_DIRECTORY=https://127.0.0.1:2/dir",
		"CERTFLEET_CA_LE_STAGING_LIMIT_ORDERS_PER_3H=2",
		"CERTFLEET_CA_LE_STAGING_LIMIT_CERTS_PER_DOMAIN_7D=0",
		"CERTFLEET_CA_PEBBLE_LIMIT_DUPLICATES_7D=1",
		NULL };
	struct cas_conf c;
	const struct cas_ca *le;
	char err[256];

	(void)state;
	assert_int_equal(parse(env, &c, err, sizeof(err)), 0);
	assert_int_equal(c.ca[0].limit_dups_7d, 1);
	assert_int_equal(c.ca[0].limit_orders_3h, 300);
	assert_non_null(le = cas_find(&c, "le-staging"));
	assert_int_equal(le->limit_orders_3h, 2);
	assert_int_equal(le->limit_domain_7d, 0);
	assert_int_equal(le->limit_dups_7d, 5);
}

static void
test_limits_refused(void **state)
{
	static const char *const bad[] = { "-1", "ten", "5x", "1000001",
	    "99999999999999999999", " 3" };
	const char *env[3];
	char var[128], err[256];
	struct cas_conf c;
	size_t i;

	(void)state;
	env[0] = "ACME_DIRECTORY=https://127.0.0.1:1/dir";
	env[2] = NULL;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(var, sizeof(var),
		    "CERTFLEET_CA_PEBBLE_LIMIT_CERTS_PER_DOMAIN_7D=%s", bad[i]);
		env[1] = var;
		assert_int_equal(parse(env, &c, err, sizeof(err)), -1);
		assert_non_null(strstr(err,
		    "CERTFLEET_CA_PEBBLE_LIMIT_CERTS_PER_DOMAIN_7D"));
		assert_non_null(strstr(err, "whole number"));
	}
}

/* The parameters of BUDGET_UNPARK_SQL: every configured CA with its orders
 * limit, 0 for a CA that counts none (its parked orders are woken). */
static void
test_orders_limits_literals(void **state)
{
	static const char *const env[] = {
		"ACME_DIRECTORY=https://127.0.0.1:1/dir",
		"CERTFLEET_CAS=le-staging",
		"CERTFLEET_CA_LE_STAGING_DIRECTORY=https://127.0.0.1:2/dir",
		"CERTFLEET_CA_LE_STAGING_LIMIT_ORDERS_PER_3H=0",
		NULL };
	struct cas_conf c;
	char err[256], *names, *limits;

	(void)state;
	assert_int_equal(parse(env, &c, err, sizeof(err)), 0);
	assert_int_equal(budget_orders_limits(&c, &names, &limits), 0);
	assert_string_equal(names, "{\"pebble\",\"le-staging\"}");
	assert_string_equal(limits, "{\"300\",\"0\"}");
	free(names);
	free(limits);
	assert_int_equal(budget_orders_limits(NULL, &names, &limits), 0);
	assert_string_equal(names, "{}");
	assert_string_equal(limits, "{}");
	free(names);
	free(limits);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_limit),
		cmocka_unit_test(test_fits_under_limit),
		cmocka_unit_test(test_full_waits_for_oldest_counted),
		cmocka_unit_test(test_items_outside_window_do_not_count),
		cmocka_unit_test(test_release_is_releasable),
		cmocka_unit_test(test_limits_default_letsencrypt),
		cmocka_unit_test(test_limits_set_per_ca),
		cmocka_unit_test(test_limits_refused),
		cmocka_unit_test(test_orders_limits_literals),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
