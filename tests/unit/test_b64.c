/* test_b64.c -- unit tests of base64url: RFC 4648 and RFC 7515 vectors, strictness of the decoder. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "b64.h"

/* RFC 4648 section 10, in the URL alphabet and without padding. */
static const struct { const char *plain, *enc; } rfc4648[] = {
	{ "", "" },
	{ "f", "Zg" },
	{ "fo", "Zm8" },
	{ "foo", "Zm9v" },
	{ "foob", "Zm9vYg" },
	{ "fooba", "Zm9vYmE" },
	{ "foobar", "Zm9vYmFy" },
};

static void
test_rfc4648_vectors(void **state)
{
	size_t i, n;
	unsigned char *d;
	char *e;

	(void)state;
	for (i = 0; i < sizeof(rfc4648) / sizeof(rfc4648[0]); i++) {
		e = b64url_encode(rfc4648[i].plain, strlen(rfc4648[i].plain));
		assert_non_null(e);
		assert_string_equal(e, rfc4648[i].enc);
		assert_int_equal(b64url_encoded_len(strlen(rfc4648[i].plain)), strlen(e));
		free(e);
		d = b64url_decode(rfc4648[i].enc, strlen(rfc4648[i].enc), &n);
		assert_non_null(d);
		assert_int_equal(n, strlen(rfc4648[i].plain));
		assert_memory_equal(d, rfc4648[i].plain, n);
		free(d);
	}
}

/* RFC 7515 appendix A.1: the JWS protected header, with its CR LF. */
static void
test_rfc7515_header(void **state)
{
	const char hdr[] = "{\"typ\":\"JWT\",\r\n \"alg\":\"HS256\"}";
	char *e;

	(void)state;
	e = b64url_encode(hdr, strlen(hdr));
	assert_string_equal(e, "eyJ0eXAiOiJKV1QiLA0KICJhbGciOiJIUzI1NiJ9");
	free(e);
}

/* Bytes that use both characters that differ from standard base64. */
static void
test_url_alphabet(void **state)
{
	const unsigned char raw[] = { 0xfb, 0xff, 0xbf };
	unsigned char *d;
	size_t n;
	char *e;

	(void)state;
	e = b64url_encode(raw, sizeof(raw));
	assert_string_equal(e, "-_-_");
	d = b64url_decode(e, strlen(e), &n);
	assert_int_equal(n, 3);
	assert_memory_equal(d, raw, 3);
	free(e);
	free(d);
}

static void
test_decode_rejects(void **state)
{
	const char *bad[] = {
		"Zm9v=",	/* padding */
		"Zm 9v",	/* whitespace */
		"Zm+v",		/* standard alphabet */
		"Zm/v",
		"Z",		/* 4n+1 characters encode nothing */
		"Zh",		/* non-zero leftover bits ("Zg" is canonical) */
		"Zm9",		/* same, two bytes */
	};
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_null(b64url_decode(bad[i], strlen(bad[i]), &n));
}

static void
test_roundtrip_all_lengths(void **state)
{
	unsigned char buf[300], *d;
	size_t len, n, i;
	char *e;

	(void)state;
	for (i = 0; i < sizeof(buf); i++)
		buf[i] = (unsigned char)(i * 131 + 7);
	for (len = 0; len <= sizeof(buf); len++) {
		e = b64url_encode(buf, len);
		assert_non_null(e);
		d = b64url_decode(e, strlen(e), &n);
		assert_non_null(d);
		assert_int_equal(n, len);
		if (len > 0)
			assert_memory_equal(d, buf, len);
		free(e);
		free(d);
	}
}

static void
test_token_charset(void **state)
{
	(void)state;
	assert_int_equal(b64url_charset_ok("LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0", 43), 1);
	assert_int_equal(b64url_charset_ok("a_b-C9", 6), 1);
	assert_int_equal(b64url_charset_ok("", 0), 0);
	assert_int_equal(b64url_charset_ok("../etc", 6), 0);
	assert_int_equal(b64url_charset_ok("a b", 3), 0);
	assert_int_equal(b64url_charset_ok("a%2f", 4), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc4648_vectors),
		cmocka_unit_test(test_rfc7515_header),
		cmocka_unit_test(test_url_alphabet),
		cmocka_unit_test(test_decode_rejects),
		cmocka_unit_test(test_roundtrip_all_lengths),
		cmocka_unit_test(test_token_charset),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
