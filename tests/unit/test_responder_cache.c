/* test_responder_cache.c -- unit tests of the responder's answer cache: hits, expiry, collisions, ttl 0, small buffers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cache.h"

static void
test_hit_and_expiry(void **state)
{
	struct cache *c;
	char out[64];
	size_t n;

	(void)state;
	assert_non_null(c = cache_new(1000));
	assert_int_equal(cache_get(c, "tok", 3, 0, out, sizeof(out), &n), 0);
	cache_put(c, "tok", 3, "tok.thumb", 9, 5000);
	assert_int_equal(cache_get(c, "tok", 3, 5000, out, sizeof(out), &n), 1);
	assert_int_equal(n, 9);
	assert_string_equal(out, "tok.thumb");
	assert_int_equal(cache_get(c, "tok", 3, 5999, out, sizeof(out), &n), 1);
	assert_int_equal(cache_get(c, "tok", 3, 6000, out, sizeof(out), &n), 0);
	/* gone for good once expired */
	assert_int_equal(cache_get(c, "tok", 3, 5500, out, sizeof(out), &n), 0);
	cache_free(c);
}

static void
test_other_tokens_miss(void **state)
{
	struct cache *c;
	char out[64], tok[16];
	size_t n, i;

	(void)state;
	assert_non_null(c = cache_new(1000));
	cache_put(c, "abc", 3, "abc.x", 5, 0);
	assert_int_equal(cache_get(c, "ab", 2, 0, out, sizeof(out), &n), 0);
	assert_int_equal(cache_get(c, "abcd", 4, 0, out, sizeof(out), &n), 0);
	assert_int_equal(cache_get(c, "abd", 3, 0, out, sizeof(out), &n), 0);
	/* more tokens than slots: every answer found is the right one */
	for (i = 0; i < 4 * CACHE_ENTRIES; i++) {
		snprintf(tok, sizeof(tok), "t%zu", i);
		cache_put(c, tok, strlen(tok), tok, strlen(tok), 0);
	}
	for (i = 0; i < 4 * CACHE_ENTRIES; i++) {
		snprintf(tok, sizeof(tok), "t%zu", i);
		if (cache_get(c, tok, strlen(tok), 0, out, sizeof(out), &n))
			assert_string_equal(out, tok);
	}
	cache_free(c);
}

static void
test_ttl_zero_and_small_buffer(void **state)
{
	struct cache *c;
	char out[4];
	size_t n;

	(void)state;
	assert_non_null(c = cache_new(0));
	cache_put(c, "tok", 3, "v", 1, 0);
	assert_int_equal(cache_get(c, "tok", 3, 0, out, sizeof(out), &n), 0);
	cache_free(c);
	assert_non_null(c = cache_new(1000));
	cache_put(c, "tok", 3, "long-value", 10, 0);
	assert_int_equal(cache_get(c, "tok", 3, 0, out, sizeof(out), &n), 0);
	cache_free(c);
	cache_free(NULL);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hit_and_expiry),
		cmocka_unit_test(test_other_tokens_miss),
		cmocka_unit_test(test_ttl_zero_and_small_buffer),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
