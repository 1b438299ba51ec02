/* test_hostname.c -- unit tests of hostname normalization, registered domains and set de-duplication. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "hostname.h"

static void
test_accepts_and_normalizes(void **state)
{
	static const struct { const char *in, *out; } ok[] = {
		{ "example.com", "example.com" },
		{ "WWW.Example.COM", "www.example.com" },
		{ "www.example.com.", "www.example.com" },
		{ "a-b.c-d.example.org", "a-b.c-d.example.org" },
		{ "*.example.com", "*.example.com" },
		{ "*.Shop.Example.co.uk", "*.shop.example.co.uk" },
		{ "bücher.example", "xn--bcher-kva.example" },
		{ "xn--bcher-kva.example", "xn--bcher-kva.example" },
		{ "straße.de", "xn--strae-oqa.de" },	/* non-transitional */
		{ "123.example.com", "123.example.com" },
		{ "shop1.example.test", "shop1.example.test" },
	};
	char out[HOSTNAME_MAX + 1], err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		if (hostname_normalize(ok[i].in, out, err, sizeof(err)) != 0)
			fail_msg("%s rejected: %s", ok[i].in, err);
		assert_string_equal(out, ok[i].out);
	}
}

static void
test_rejects_with_reason(void **state)
{
	static const struct { const char *in, *why; } bad[] = {
		{ "", "is empty" },
		{ "localhost", "single label" },
		{ "exa mple.com", "character not allowed" },
		{ "example..com", "empty label" },
		{ ".example.com", "empty label" },
		{ "-a.example.com", "starting or ending with '-'" },
		{ "a-.example.com", "starting or ending with '-'" },
		{ "ab--c.example.com", "reserved label" },
		{ "xn--zz.example.com", "invalid IDNA" },
		{ "a.*.example.com", "wildcard" },
		{ "w*.example.com", "wildcard" },
		{ "*.*.example.com", "wildcard" },
		{ "192.168.0.1", "IP address" },
		{ "com", "single label" },
		{ "co.uk", "public suffix" },
		{ "*.com", "public suffix" },
		{ "*.co.uk", "public suffix" },
		{ "a_b.example.com", "character not allowed" },
		{ "exa/mple.com", "character not allowed" },
	};
	char out[HOSTNAME_MAX + 1], err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		if (hostname_normalize(bad[i].in, out, err, sizeof(err)) == 0)
			fail_msg("%s accepted as %s", bad[i].in, out);
		if (strstr(err, bad[i].why) == NULL)
			fail_msg("%s: reason \"%s\" lacks \"%s\"", bad[i].in, err,
			    bad[i].why);
	}
}

static void
test_length_limits(void **state)
{
	char in[600], out[HOSTNAME_MAX + 1], err[256];
	size_t i;

	(void)state;
	/* A 63-character label passes, 64 does not. */
	memset(in, 'a', 63);
	strcpy(in + 63, ".example.com");
	assert_int_equal(hostname_normalize(in, out, err, sizeof(err)), 0);
	memset(in, 'a', 64);
	strcpy(in + 64, ".example.com");
	assert_int_equal(hostname_normalize(in, out, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "longer than 63"));

	/* 253 characters pass, 254 do not: 62 labels "abc." then the tail. */
	in[0] = '\0';
	for (i = 0; i < 61; i++)
		strcat(in, "abc.");
	strcat(in, "example.com");		/* 244 + 11 = 255 */
	assert_int_equal(hostname_normalize(in, out, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "longer than 253"));
	in[0] = '\0';
	for (i = 0; i < 60; i++)
		strcat(in, "abc.");
	strcat(in, "a.example.com");		/* 240 + 13 = 253 */
	assert_int_equal(strlen(in), 253);
	assert_int_equal(hostname_normalize(in, out, err, sizeof(err)), 0);
}

static void
test_registered_domain(void **state)
{
	char rd[HOSTNAME_MAX + 1];

	(void)state;
	assert_int_equal(hostname_registered_domain("a.b.example.com", rd, sizeof(rd)), 0);
	assert_string_equal(rd, "example.com");
	assert_int_equal(hostname_registered_domain("*.shop.example.co.uk", rd, sizeof(rd)), 0);
	assert_string_equal(rd, "example.co.uk");
	assert_int_equal(hostname_registered_domain("x.example.test", rd, sizeof(rd)), 0);
	assert_string_equal(rd, "example.test");
	assert_int_equal(hostname_registered_domain("example.com", rd, 4), -1);
	assert_int_equal(hostname_is_wildcard("*.example.com"), 1);
	assert_int_equal(hostname_is_wildcard("example.com"), 0);
}

static void
test_set_unique(void **state)
{
	const char *in[] = { "b.example.com", "a.example.com", "b.example.com",
	    "c.example.com", "a.example.com" };
	char *names[5];
	size_t i, n;

	(void)state;
	for (i = 0; i < 5; i++)
		names[i] = strdup(in[i]);
	n = hostname_set_unique(names, 5);
	assert_int_equal(n, 3);
	assert_string_equal(names[0], "a.example.com");
	assert_string_equal(names[1], "b.example.com");
	assert_string_equal(names[2], "c.example.com");
	assert_null(names[3]);
	assert_null(names[4]);
	for (i = 0; i < n; i++)
		free(names[i]);
	assert_int_equal(hostname_set_unique(NULL, 0), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepts_and_normalizes),
		cmocka_unit_test(test_rejects_with_reason),
		cmocka_unit_test(test_length_limits),
		cmocka_unit_test(test_registered_domain),
		cmocka_unit_test(test_set_unique),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
