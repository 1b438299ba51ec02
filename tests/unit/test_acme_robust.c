/* test_acme_robust.c -- unit tests of the engine's patience: the poll backoff schedule, Retry-After when polling, which answers defer, and an invalid order without a reason retried. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "acme_int.h"

static void
test_backoff_schedule(void **state)
{
	static const uint64_t want[] = { 250, 500, 1000, 2000, 4000, 8000,
	    16000, 30000, 30000, 30000 };
	unsigned int i;

	(void)state;
	for (i = 0; i < sizeof(want) / sizeof(want[0]); i++)
		assert_int_equal(acme_poll_delay_ms(i, 0, 0, 1000), want[i]);
	assert_int_equal(acme_poll_delay_ms(1000, 0, 0, 1000), ACME_POLL_MAX_MS);
}

static void
test_retry_after_when_polling(void **state)
{
	(void)state;
	/* Retry-After wins over the backoff, whatever the poll count */
	assert_int_equal(acme_poll_delay_ms(0, 1, 1005, 1000), 5000);
	assert_int_equal(acme_poll_delay_ms(7, 1, 1003, 1000), 3000);
	/* in the past or now: a short floor, never a busy loop */
	assert_int_equal(acme_poll_delay_ms(0, 1, 900, 1000), 200);
	assert_int_equal(acme_poll_delay_ms(0, 1, 1000, 1000), 200);
	/* absurdly far: capped at 600 s */
	assert_int_equal(acme_poll_delay_ms(0, 1, 1000 + 86400, 1000), 600000);
}

static void
test_retry_after_header(void **state)
{
	time_t when;

	(void)state;
	assert_int_equal(acme_retry_after_parse("5", 1, 1000, &when), 0);
	assert_int_equal(when, 1005);
	assert_int_equal(acme_retry_after_parse("Wed, 21 Oct 2015 07:28:00 GMT",
	    29, 1000, &when), 0);
	assert_int_equal(when, 1445412480);
	assert_int_equal(acme_retry_after_parse("soon", 4, 1000, &when), -1);
}

static void
test_what_defers(void **state)
{
	(void)state;
	assert_int_equal(acme_problem_retry("urn:ietf:params:acme:error:rateLimited",
	    429), ACME_RETRY_DEFER);
	assert_int_equal(acme_problem_retry(NULL, 429), ACME_RETRY_DEFER);
	assert_int_not_equal(acme_problem_retry(
	    "urn:ietf:params:acme:error:malformed", 400), ACME_RETRY_DEFER);
}

/* An invalid resource without a reason is retried; with one, the problem
 * decides (rejectedIdentifier ends it, connection is retried). */
static void
test_invalid_without_reason(void **state)
{
	struct acme_result res;
	json_t *j;

	(void)state;
	acme_result_from_problem(&res, NULL, "order is invalid");
	assert_int_equal(res.outcome, ACME_FAILED);
	assert_true(res.retryable);
	assert_false(res.has_problem);
	assert_non_null(strstr(res.error, "no error detail"));
	acme_problem_free(&res.problem);

	j = json_pack("{s:s, s:s, s:i}", "type",
	    "urn:ietf:params:acme:error:rejectedIdentifier", "detail", "no",
	    "status", 400);
	acme_result_from_problem(&res, j, "order is invalid");
	assert_int_equal(res.outcome, ACME_FAILED);
	assert_false(res.retryable);
	assert_true(res.has_problem);
	acme_problem_free(&res.problem);
	json_decref(j);

	j = json_pack("{s:s, s:s, s:i}", "type",
	    "urn:ietf:params:acme:error:connection", "detail", "timeout",
	    "status", 400);
	acme_result_from_problem(&res, j, "challenge is invalid");
	assert_true(res.retryable);
	acme_problem_free(&res.problem);
	json_decref(j);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_backoff_schedule),
		cmocka_unit_test(test_retry_after_when_polling),
		cmocka_unit_test(test_retry_after_header),
		cmocka_unit_test(test_what_defers),
		cmocka_unit_test(test_invalid_without_reason),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
