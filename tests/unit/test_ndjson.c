/* test_ndjson.c -- unit tests of the NDJSON line splitter (common/ndjson.h): terminators, blank lines, trimming, the cap per line, NUL bytes, counting. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "ndjson.h"

/* The next item must be kind, with text want (NULL: no text) at lineno. */
static void
next_is(struct ndjson *s, enum ndjson_kind kind, const char *want,
    size_t lineno)
{
	const char *line;
	size_t len, n = 0;

	assert_int_equal(ndjson_next(s, &line, &len, &n), kind);
	if (kind == NDJSON_END)
		return;
	assert_int_equal(n, lineno);
	if (want == NULL) {
		assert_null(line);
		assert_int_equal(len, 0);
	} else {
		assert_int_equal(len, strlen(want));
		assert_memory_equal(line, want, len);
	}
}

static void
test_lines_and_terminators(void **state)
{
	const char *t = "{\"a\":1}\n{\"b\":2}\r\n\n   \r\n\t{\"c\":3}  \nlast";
	struct ndjson s;

	(void)state;
	ndjson_init(&s, t, strlen(t), 100);
	next_is(&s, NDJSON_LINE, "{\"a\":1}", 1);
	next_is(&s, NDJSON_LINE, "{\"b\":2}", 2);
	next_is(&s, NDJSON_LINE, "{\"c\":3}", 5);	/* blank lines count */
	next_is(&s, NDJSON_LINE, "last", 6);		/* no final LF */
	next_is(&s, NDJSON_END, NULL, 0);
	next_is(&s, NDJSON_END, NULL, 0);
	assert_int_equal(ndjson_count(t, strlen(t)), 4);
}

static void
test_empty_and_blank(void **state)
{
	struct ndjson s;

	(void)state;
	ndjson_init(&s, "", 0, 10);
	next_is(&s, NDJSON_END, NULL, 0);
	ndjson_init(&s, "\n\r\n \t \n", 7, 10);
	next_is(&s, NDJSON_END, NULL, 0);
	assert_int_equal(ndjson_count("\n\n\n", 3), 0);
	assert_int_equal(ndjson_count("x", 1), 1);
}

static void
test_cap(void **state)
{
	const char *t = "12345\n123456\r\n1234567\nok\n";
	struct ndjson s;

	(void)state;
	ndjson_init(&s, t, strlen(t), 6);
	next_is(&s, NDJSON_LINE, "12345", 1);
	next_is(&s, NDJSON_LINE, "123456", 2);	/* the CR is not counted */
	next_is(&s, NDJSON_TOO_LONG, NULL, 3);
	next_is(&s, NDJSON_LINE, "ok", 4);
	next_is(&s, NDJSON_END, NULL, 0);
	/* a line over the cap still counts as a set */
	assert_int_equal(ndjson_count(t, strlen(t)), 4);
	/* a blank line is blank, however long (found by fuzz_ndjson) */
	ndjson_init(&s, "\0\n\t  \t\nx", 9, 0);
	next_is(&s, NDJSON_TOO_LONG, NULL, 1);
	next_is(&s, NDJSON_TOO_LONG, NULL, 3);
	next_is(&s, NDJSON_END, NULL, 0);
	assert_int_equal(ndjson_count("\0\n\t  \t\nx", 9), 2);
}

static void
test_nul(void **state)
{
	const char t[] = "a\nb\0c\nd";
	struct ndjson s;

	(void)state;
	ndjson_init(&s, t, sizeof(t) - 1, 100);
	next_is(&s, NDJSON_LINE, "a", 1);
	next_is(&s, NDJSON_BINARY, NULL, 2);
	next_is(&s, NDJSON_LINE, "d", 3);
	next_is(&s, NDJSON_END, NULL, 0);
}

/* The splitter never reads past len, whatever follows in memory. */
static void
test_bounds(void **state)
{
	const char t[] = "abc\ndef";
	struct ndjson s;

	(void)state;
	ndjson_init(&s, t, 5, 100);	/* "abc\nd" */
	next_is(&s, NDJSON_LINE, "abc", 1);
	next_is(&s, NDJSON_LINE, "d", 2);
	next_is(&s, NDJSON_END, NULL, 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_lines_and_terminators),
		cmocka_unit_test(test_empty_and_blank),
		cmocka_unit_test(test_cap),
		cmocka_unit_test(test_nul),
		cmocka_unit_test(test_bounds),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
