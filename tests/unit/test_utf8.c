/* test_utf8.c -- unit tests of utf8.h: strict validation, cuts on character boundaries, sanitised copies. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "utf8.h"

#define V(s) utf8_valid(s, sizeof(s) - 1)

static void
test_valid(void **state)
{
	(void)state;
	assert_true(V(""));
	assert_true(V("plain ASCII"));
	assert_true(V("caf\xc3\xa9"));			/* U+00E9 */
	assert_true(V("\xe2\x82\xac"));			/* U+20AC */
	assert_true(V("\xf0\x9f\x98\x80"));		/* U+1F600 */
	assert_true(V("\xf4\x8f\xbf\xbf"));		/* U+10FFFF */
	assert_true(V("\xef\xbf\xbd"));			/* U+FFFD */
	/* refusals */
	assert_false(V("\xff"));
	assert_false(V("caf\xe9"));			/* Latin-1 */
	assert_false(V("\x80"));			/* stray continuation */
	assert_false(V("\xc3"));			/* truncated */
	assert_false(V("\xe2\x82"));
	assert_false(V("\xc0\x80"));			/* overlong NUL */
	assert_false(V("\xc1\xbf"));			/* overlong */
	assert_false(V("\xe0\x80\xaf"));		/* overlong '/' */
	assert_false(V("\xf0\x80\x80\xaf"));
	assert_false(V("\xed\xa0\x80"));		/* surrogate U+D800 */
	assert_false(V("\xed\xbf\xbf"));		/* surrogate U+DFFF */
	assert_false(V("\xf4\x90\x80\x80"));		/* U+110000 */
	assert_false(V("\xf5\x80\x80\x80"));
	assert_false(V("\xc3\x28"));			/* bad continuation */
	assert_false(utf8_valid("a\0b", 3));		/* NUL: not text for PG */
}

static void
test_cut(void **state)
{
	const char *s = "a\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80";	/* 1+2+3+4 */

	(void)state;
	assert_int_equal(utf8_cut(s, 10, 100), 10);
	assert_int_equal(utf8_cut(s, 10, 10), 10);
	assert_int_equal(utf8_cut(s, 10, 9), 6);	/* not inside the emoji */
	assert_int_equal(utf8_cut(s, 10, 6), 6);
	assert_int_equal(utf8_cut(s, 10, 5), 3);	/* not inside the euro */
	assert_int_equal(utf8_cut(s, 10, 2), 1);	/* not inside the e-acute */
	assert_int_equal(utf8_cut(s, 10, 1), 1);
	assert_int_equal(utf8_cut(s, 10, 0), 0);
	/* invalid bytes count as one character each */
	assert_int_equal(utf8_cut("\xff\xfe\xc3\xa9", 4, 3), 2);
	assert_int_equal(utf8_cut("ab\xc3", 3, 3), 3);
}

static void
test_sanitize(void **state)
{
	char out[16];

	(void)state;
	assert_int_equal(utf8_sanitize("caf\xc3\xa9", 5, out, sizeof(out)), 5);
	assert_string_equal(out, "caf\xc3\xa9");
	/* each bad byte becomes U+FFFD */
	assert_int_equal(utf8_sanitize("a\xff" "b\xc3", 4, out, sizeof(out)), 8);
	assert_string_equal(out, "a" UTF8_REPLACEMENT "b" UTF8_REPLACEMENT);
	/* controls (C0, DEL, C1 as UTF-8) become '?' */
	assert_int_equal(utf8_sanitize("a\n\x7f\xc2\x85z", 6, out, sizeof(out)),
	    5);
	assert_string_equal(out, "a???z");
	/* a NUL in counted input is not text */
	assert_int_equal(utf8_sanitize("a\0b", 3, out, sizeof(out)), 5);
	assert_string_equal(out, "a" UTF8_REPLACEMENT "b");
	/* the copy stops before a character that would not fit whole */
	assert_int_equal(utf8_sanitize("abc\xe2\x82\xac", 6, out, 6), 3);
	assert_string_equal(out, "abc");
	assert_int_equal(utf8_sanitize("abcd\xff", 5, out, 7), 4);
	assert_string_equal(out, "abcd");
	assert_int_equal(utf8_sanitize("abc", 3, out, 1), 0);
	assert_string_equal(out, "");
	/* the result is always valid */
	assert_int_equal(utf8_sanitize("\xed\xa0\x80", 3, out, sizeof(out)), 9);
	assert_true(utf8_valid(out, strlen(out)));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid),
		cmocka_unit_test(test_cut),
		cmocka_unit_test(test_sanitize),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
