/* test_coord_dbprep.c -- unit tests of a connection's prepared statement table (dbprep): names, eligibility, the cap, removal and forgetting; the statements themselves run against PostgreSQL in every integration test. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "dbprep.h"

static void
test_add_find(void **state)
{
	struct dbprep *p = dbprep_new();
	const char *a, *b;
	char buf[64];

	(void)state;
	assert_non_null(p);
	assert_null(dbprep_find(p, "SELECT 1"));
	a = dbprep_add(p, "SELECT 1");
	assert_non_null(a);
	assert_string_equal(a, "cf_0");
	assert_string_equal(dbprep_find(p, "SELECT 1"), "cf_0");
	/* the same text in another buffer is the same statement */
	snprintf(buf, sizeof(buf), "SELECT %d", 1);
	assert_string_equal(dbprep_find(p, buf), "cf_0");
	assert_string_equal(dbprep_add(p, buf), "cf_0");
	b = dbprep_add(p, "UPDATE t SET x = $1");
	assert_string_equal(b, "cf_1");
	assert_null(dbprep_find(p, "SELECT 2"));
	dbprep_free(p);
}

static void
test_eligible(void **state)
{
	struct dbprep *p = dbprep_new();
	char *big;

	(void)state;
	/* transaction control, DDL and odd texts run unprepared */
	assert_null(dbprep_add(p, "BEGIN"));
	assert_null(dbprep_add(p, "COMMIT"));
	assert_null(dbprep_add(p, "CREATE TABLE t (x int)"));
	assert_null(dbprep_add(p, "SELECTED"));
	assert_null(dbprep_add(p, ""));
	assert_non_null(dbprep_add(p, "with x AS (SELECT 1) SELECT * FROM x"));
	assert_non_null(dbprep_add(p, "DELETE FROM t"));
	assert_non_null(dbprep_add(p, "INSERT INTO t VALUES ($1)"));
	big = malloc(DBPREP_SQL_MAX + 16);
	assert_non_null(big);
	memcpy(big, "SELECT ", 7);
	memset(big + 7, '1', DBPREP_SQL_MAX);
	big[DBPREP_SQL_MAX + 7] = '\0';
	assert_null(dbprep_add(p, big));
	free(big);
	/* no table (out of memory at connect): nothing prepared */
	assert_null(dbprep_add(NULL, "SELECT 1"));
	assert_null(dbprep_find(NULL, "SELECT 1"));
	dbprep_free(p);
}

static void
test_cap_drop_forget(void **state)
{
	struct dbprep *p = dbprep_new();
	char sql[64], name[16];
	int i;

	(void)state;
	for (i = 0; i < DBPREP_MAX; i++) {
		snprintf(sql, sizeof(sql), "SELECT %d", i);
		snprintf(name, sizeof(name), "cf_%d", i);
		assert_string_equal(dbprep_add(p, sql), name);
	}
	/* full: more texts run unprepared, the known ones stay */
	assert_null(dbprep_add(p, "SELECT 'one more'"));
	for (i = 0; i < DBPREP_MAX; i++) {
		snprintf(sql, sizeof(sql), "SELECT %d", i);
		snprintf(name, sizeof(name), "cf_%d", i);
		assert_string_equal(dbprep_find(p, sql), name);
	}
	/* a failed PQprepare drops its text; every other one is still found
	 * (the probe runs past the hole) */
	for (i = 0; i < DBPREP_MAX; i += 3) {
		snprintf(sql, sizeof(sql), "SELECT %d", i);
		dbprep_drop(p, sql);
		assert_null(dbprep_find(p, sql));
	}
	for (i = 0; i < DBPREP_MAX; i++) {
		snprintf(sql, sizeof(sql), "SELECT %d", i);
		snprintf(name, sizeof(name), "cf_%d", i);
		if (i % 3 == 0)
			assert_null(dbprep_find(p, sql));
		else
			assert_string_equal(dbprep_find(p, sql), name);
	}
	/* room again; a new name is never one used before */
	assert_string_equal(dbprep_add(p, "SELECT 'one more'"), "cf_256");
	/* a reset connection has none */
	dbprep_forget(p);
	assert_null(dbprep_find(p, "SELECT 1"));
	assert_string_equal(dbprep_add(p, "SELECT 1"), "cf_257");
	dbprep_free(p);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_add_find),
		cmocka_unit_test(test_eligible),
		cmocka_unit_test(test_cap_drop_forget),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
