/* test_allowlist.c -- unit tests of on-demand allow-list entries, matching, the scope of a cached refusal (coordinator/ondemand/allowlist.c) and the negative-cache keys edges read (negcache_keys). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <string.h>

#include <cmocka.h>

#include "allowlist.h"
#include "negcache.h"

static struct allowlist_entry
entry(const char *text)
{
	struct allowlist_entry e;
	char err[200];

	assert_int_equal(allowlist_parse(text, &e, err, sizeof(err)), 0);
	return e;
}

static void
test_parse(void **state)
{
	struct allowlist_entry e;
	char err[200], out[HOSTNAME_MAX + 1];
	static const char *const bad[] = {
		"com", "*.com", "co.uk", "*.co.uk", "", "*", "a.*.example.com",
		"exa mple.com", "-a.example.com", "a..example.com", "1.2.3.4",
		"**.example.com", "*example.com",
	};
	size_t i;

	(void)state;
	e = entry("Example.COM.");
	assert_string_equal(e.base, "example.com");
	assert_false(e.wildcard);
	allowlist_format(&e, out);
	assert_string_equal(out, "example.com");
	e = entry("*.Shops.Example.net");
	assert_string_equal(e.base, "shops.example.net");
	assert_true(e.wildcard);
	allowlist_format(&e, out);
	assert_string_equal(out, "*.shops.example.net");
	e = entry("b\xc3\xbc" "cher.example");	/* U-label to A-label */
	assert_string_equal(e.base, "xn--bcher-kva.example");
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(allowlist_parse(bad[i], &e, err, sizeof(err)), -1);
		assert_true(err[0] != '\0');
	}
}

static void
test_matches(void **state)
{
	struct allowlist_entry d = entry("example.com");
	struct allowlist_entry w = entry("*.shops.example.net");

	(void)state;
	assert_true(allowlist_matches(&d, "example.com"));
	assert_true(allowlist_matches(&d, "www.example.com"));
	assert_true(allowlist_matches(&d, "a.b.example.com"));
	assert_false(allowlist_matches(&d, "notexample.com"));
	assert_false(allowlist_matches(&d, "example.com.evil.test"));
	assert_false(allowlist_matches(&d, "com"));
	assert_true(allowlist_matches(&w, "a.shops.example.net"));
	assert_false(allowlist_matches(&w, "shops.example.net"));
	assert_false(allowlist_matches(&w, "a.b.shops.example.net"));
	assert_false(allowlist_matches(&w, "a.xshops.example.net"));
	assert_false(allowlist_matches(&w, "www.example.net"));
}

static void
test_best(void **state)
{
	struct allowlist_entry es[4];

	(void)state;
	es[0] = entry("example.com");
	es[1] = entry("shop.example.com");
	es[2] = entry("*.shop.example.com");
	es[3] = entry("other.test");
	assert_int_equal(allowlist_best(es, 4, "www.example.com"), 0);
	assert_int_equal(allowlist_best(es, 4, "shop.example.com"), 1);
	/* same base: the wildcard is the more specific */
	assert_int_equal(allowlist_best(es, 4, "a.shop.example.com"), 2);
	assert_int_equal(allowlist_best(es, 4, "a.b.shop.example.com"), 1);
	assert_int_equal(allowlist_best(es, 4, "x.other.test"), 3);
	assert_int_equal(allowlist_best(es, 4, "nope.test"), -1);
	assert_int_equal(allowlist_best(es, 0, "example.com"), -1);
}

static void
test_overlaps(void **state)
{
	struct allowlist_entry d = entry("shop.example.com");
	struct allowlist_entry w = entry("*.shops.example.net");

	(void)state;
	assert_true(allowlist_overlaps(&d, "example.com"));
	assert_true(allowlist_overlaps(&d, "shop.example.com"));
	assert_true(allowlist_overlaps(&d, "a.shop.example.com"));
	assert_false(allowlist_overlaps(&d, "www.example.com"));
	assert_true(allowlist_overlaps(&w, "example.net"));
	assert_true(allowlist_overlaps(&w, "shops.example.net"));
	assert_true(allowlist_overlaps(&w, "a.shops.example.net"));
	assert_false(allowlist_overlaps(&w, "b.a.shops.example.net"));
	assert_false(allowlist_overlaps(&w, "www.example.net"));
}

static void
test_deny_scope(void **state)
{
	struct allowlist_entry es[2];
	char out[HOSTNAME_MAX + 1];

	(void)state;
	/* nothing under the registered domain: refuse all of it */
	assert_int_equal(allowlist_deny_scope("x1.denied.test", "denied.test",
	    NULL, 0, out), 1);
	assert_string_equal(out, "denied.test");
	es[0] = entry("*.shops.example.net");
	es[1] = entry("keep.a.example.net");
	/* example.net holds entries: the widest free suffix */
	assert_int_equal(allowlist_deny_scope("x.b.example.net", "example.net",
	    es, 2, out), 1);
	assert_string_equal(out, "b.example.net");
	assert_int_equal(allowlist_deny_scope("q.x.a.example.net", "example.net",
	    es, 2, out), 1);
	assert_string_equal(out, "x.a.example.net");
	/* one label under the wildcard's base is allowed; two are free */
	assert_int_equal(allowlist_deny_scope("c.b.shops.example.net",
	    "example.net", es, 2, out), 1);
	assert_string_equal(out, "c.b.shops.example.net");
	/* the wildcard's base itself: entries sit under it, exact name only */
	assert_int_equal(allowlist_deny_scope("shops.example.net", "example.net",
	    es, 2, out), 0);
	assert_string_equal(out, "");
	/* a name above an entry */
	assert_int_equal(allowlist_deny_scope("a.example.net", "example.net", es,
	    2, out), 0);
	/* a registered domain that is not a suffix of the name: the name */
	assert_int_equal(allowlist_deny_scope("www.x.test", "y.test", NULL, 0,
	    out), 1);
	assert_string_equal(out, "www.x.test");
}

static void
test_negcache_keys(void **state)
{
	char keys[NEGCACHE_KEYS][NEGCACHE_KEY_MAX];
	char name[HOSTNAME_MAX + 1];
	size_t n, i;

	(void)state;
	n = negcache_keys("a.b.example.test", keys);
	assert_int_equal(n, 5);
	assert_string_equal(keys[0], "certfleet:ondemand:deny1:a.b.example.test");
	assert_string_equal(keys[1], "certfleet:ondemand:issuing:a.b.example.test");
	assert_string_equal(keys[2], "certfleet:ondemand:deny:example.test");
	assert_string_equal(keys[3], "certfleet:ondemand:deny:b.example.test");
	assert_string_equal(keys[4], "certfleet:ondemand:deny:a.b.example.test");
	/* deep names: only the REDISKEYS_OD_SUFFIXES shortest suffixes */
	name[0] = '\0';
	for (i = 0; i < 20; i++)
		strcat(name, "a.");
	strcat(name, "example.test");
	n = negcache_keys(name, keys);
	assert_int_equal(n, NEGCACHE_KEYS);
	assert_string_equal(keys[2], "certfleet:ondemand:deny:example.test");
	assert_string_equal(keys[NEGCACHE_KEYS - 1],
	    "certfleet:ondemand:deny:a.a.a.a.a.a.a.example.test");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_matches),
		cmocka_unit_test(test_best),
		cmocka_unit_test(test_overlaps),
		cmocka_unit_test(test_deny_scope),
		cmocka_unit_test(test_negcache_keys),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
