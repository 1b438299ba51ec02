/* test_ratescope.c -- unit tests of ratescope_parse: the scope Let's Encrypt's rate-limit details name (account, registered domain, name set, name), older pages' fragments, and details that name nothing usable. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ratescope.h"

#define LE "https://letsencrypt.org/docs/rate-limits/#"

static enum ratescope_kind
parse(const char *d, struct ratescope *sc)
{
	return ratescope_parse(d, strlen(d), sc);
}

static void
test_current_page(void **state)
{
	struct ratescope sc;

	(void)state;
	assert_int_equal(parse("too many new orders (300) from this account in "
	    "the last 3h0m0s, retry after 2025-01-01 00:00:00 UTC: see " LE
	    "new-orders-per-account", &sc), RATESCOPE_ACCOUNT);
	assert_string_equal(sc.name, "");
	assert_int_equal(parse("too many certificates (50) already issued for "
	    "\"Example.COM\" in the last 168h0m0s, retry after 2025-01-01 "
	    "00:00:00 UTC: see " LE "new-certificates-per-registered-domain",
	    &sc), RATESCOPE_DOMAIN);
	assert_string_equal(sc.name, "example.com");	/* normalized */
	assert_int_equal(parse("too many certificates (5) already issued for "
	    "this exact set of identifiers in the last 168h0m0s, retry after "
	    "2025-09-18 09:13:16 UTC: see " LE
	    "new-certificates-per-exact-set-of-identifiers", &sc),
	    RATESCOPE_SET);
	assert_int_equal(parse("too many failed authorizations (5) for "
	    "\"www.example.com\" in the last 1h0m0s, retry after 2025-01-01 "
	    "00:00:00 UTC: see " LE
	    "authorization-failures-per-identifier-per-account", &sc),
	    RATESCOPE_NAME);
	assert_string_equal(sc.name, "www.example.com");
	assert_string_equal(ratescope_word(RATESCOPE_DOMAIN), "domain");
	assert_string_equal(ratescope_word(RATESCOPE_NONE), "none");
}

static void
test_older_page(void **state)
{
	struct ratescope sc;

	(void)state;
	assert_int_equal(parse("Error creating new order :: too many "
	    "certificates already issued for \"example.org\". Retry after "
	    "2023-01-01T00:00:00Z: see " LE
	    "certificates-per-registered-domain", &sc), RATESCOPE_DOMAIN);
	assert_string_equal(sc.name, "example.org");
	assert_int_equal(parse("too many certificates already issued for exact "
	    "set of domains: see " LE "duplicate-certificate-limit", &sc),
	    RATESCOPE_SET);
	assert_int_equal(parse("too many new orders recently: see " LE
	    "new-orders", &sc), RATESCOPE_ACCOUNT);
}

static void
test_nothing_usable(void **state)
{
	struct ratescope sc;

	(void)state;
	/* no fragment: only the refused order waits (test_robust's 429) */
	assert_int_equal(parse("too many new orders recently: see "
	    "https://letsencrypt.org/docs/rate-limits/", &sc), RATESCOPE_NONE);
	/* a fragment of no known limit, or a known one with more after it */
	assert_int_equal(parse("see " LE "overall-requests", &sc),
	    RATESCOPE_NONE);
	assert_int_equal(parse("see " LE "new-orders-per-accountx", &sc),
	    RATESCOPE_NONE);
	/* a domain limit without a usable name holds nothing */
	assert_int_equal(parse("too many certificates: see " LE
	    "new-certificates-per-registered-domain", &sc), RATESCOPE_NONE);
	assert_int_equal(parse("for \"not a name\": see " LE
	    "new-certificates-per-registered-domain", &sc), RATESCOPE_NONE);
	assert_int_equal(parse("for \"com\": see " LE
	    "new-certificates-per-registered-domain", &sc), RATESCOPE_NONE);
	assert_int_equal(parse("for \"example.com: see " LE
	    "new-certificates-per-registered-domain", &sc), RATESCOPE_NONE);
	assert_int_equal(parse("for \"\": see " LE
	    "authorization-failures-per-hostname-per-account", &sc),
	    RATESCOPE_NONE);
	assert_int_equal(ratescope_parse(NULL, 0, &sc), RATESCOPE_NONE);
	/* the scope of a rateLimited problem only */
	assert_int_equal(ratescope_problem(RATESCOPE_PROBLEM_TYPE, "see " LE
	    "new-orders-per-account", &sc), RATESCOPE_ACCOUNT);
	assert_int_equal(ratescope_problem("urn:ietf:params:acme:error:"
	    "rejectedIdentifier", "see " LE "new-orders-per-account", &sc),
	    RATESCOPE_NONE);
	assert_int_equal(ratescope_problem(NULL, "see " LE
	    "new-orders-per-account", &sc), RATESCOPE_NONE);
	assert_int_equal(ratescope_problem(RATESCOPE_PROBLEM_TYPE, NULL, &sc),
	    RATESCOPE_NONE);
	assert_int_equal(parse("", &sc), RATESCOPE_NONE);
}

static void
test_bounds(void **state)
{
	static const char d[] = "for \"example.com\": see " LE
	    "new-certificates-per-registered-domain";
	struct ratescope sc;
	char nul[sizeof(d) + 8];

	(void)state;
	/* only len bytes are read: a cut before the fragment's end */
	assert_int_equal(ratescope_parse(d, strlen(d) - 1, &sc),
	    RATESCOPE_NONE);
	assert_int_equal(ratescope_parse(d, strlen(d), &sc), RATESCOPE_DOMAIN);
	/* a NUL ends the detail */
	memcpy(nul, d, sizeof(d));
	nul[10] = '\0';
	assert_int_equal(ratescope_parse(nul, sizeof(d) - 1, &sc),
	    RATESCOPE_NONE);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_current_page),
		cmocka_unit_test(test_older_page),
		cmocka_unit_test(test_nothing_usable),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
