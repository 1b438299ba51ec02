/* test_responder_token.c -- unit tests of the responder's path routing: tokens, traversal, encodings, lengths, queries. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "token.h"

#define P TOKEN_PREFIX

static enum token_route
route(const char *path, const char **tok, size_t *toklen)
{
	return token_route(path, strlen(path), tok, toklen);
}

static void
test_valid_tokens(void **state)
{
	static const char *const ok[] = {
		"a", "Z", "0", "_", "-",
		"LoqXcYV8q5ONbJQxbmR7SCTNo3tiAXDfowyjxAjEuX0",
		"evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA",
		"__--__", "abcXYZ019_-",
	};
	const char *tok;
	char path[512];
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		snprintf(path, sizeof(path), P "%s", ok[i]);
		assert_int_equal(route(path, &tok, &n), TOKEN_ROUTE_CHALLENGE);
		assert_int_equal(n, strlen(ok[i]));
		assert_memory_equal(tok, ok[i], n);
		assert_ptr_equal(tok, path + strlen(P));
	}
}

static void
test_malformed_tokens(void **state)
{
	static const char *const bad[] = {
		P,			/* empty */
		P "..",			/* traversal */
		P "../etc/passwd",
		P "..%2f..%2fetc%2fpasswd",
		P "%2e%2e",		/* encoded dots stay encoded */
		P "%2E%2E%2Fx",
		P "a%2fb",
		P "a%00b",
		P "a/b",		/* sub-path */
		P "tok/",
		P "/tok",
		P "a b",
		P "a+b",
		P "a.b",		/* key authorization syntax, not a token */
		P "a=",			/* padding */
		P "tok\\x",
		P "t\xc3\xa9",		/* UTF-8 */
		P "a\tb",
		P "tok#frag",
	};
	const char *tok;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(route(bad[i], &tok, &n), TOKEN_ROUTE_BAD_TOKEN);
		assert_null(tok);
		assert_int_equal(n, 0);
	}
}

static void
test_embedded_nul(void **state)
{
	const char path[] = P "ab\0cd";
	const char *tok;
	size_t n;

	(void)state;
	assert_int_equal(token_route(path, sizeof(path) - 1, &tok, &n),
	    TOKEN_ROUTE_BAD_TOKEN);
}

static void
test_length_cap(void **state)
{
	char path[sizeof(P) + TOKEN_MAX + 2];
	const char *tok;
	size_t n, plen = strlen(P);

	(void)state;
	memcpy(path, P, plen);
	memset(path + plen, 'A', TOKEN_MAX + 1);
	/* exactly TOKEN_MAX: accepted */
	assert_int_equal(token_route(path, plen + TOKEN_MAX, &tok, &n),
	    TOKEN_ROUTE_CHALLENGE);
	assert_int_equal(n, TOKEN_MAX);
	/* one more: refused */
	assert_int_equal(token_route(path, plen + TOKEN_MAX + 1, &tok, &n),
	    TOKEN_ROUTE_BAD_TOKEN);
}

static void
test_query_string_ignored(void **state)
{
	const char *tok;
	size_t n;

	(void)state;
	assert_int_equal(route(P "tok?x=1", &tok, &n), TOKEN_ROUTE_CHALLENGE);
	assert_int_equal(n, 3);
	assert_memory_equal(tok, "tok", 3);
	assert_int_equal(route(P "tok?", &tok, &n), TOKEN_ROUTE_CHALLENGE);
	assert_int_equal(n, 3);
	/* the query cannot smuggle a token in */
	assert_int_equal(route(P "?tok", &tok, &n), TOKEN_ROUTE_BAD_TOKEN);
	assert_int_equal(route(P "a/b?c", &tok, &n), TOKEN_ROUTE_BAD_TOKEN);
	assert_int_equal(route("/healthz?verbose=1", &tok, &n),
	    TOKEN_ROUTE_HEALTHZ);
}

static void
test_other_paths(void **state)
{
	static const char *const other[] = {
		"", "/", "/healthz/", "/healthzz", "/HEALTHZ",
		"/.well-known/acme-challenge",	/* no slash: no token part */
		"/.well-known/acme-challengeX/tok",
		"/.well-known/ACME-challenge/tok",
		"/.well-known/acme-challenge%2ftok",
		"//.well-known/acme-challenge/tok",
		"/x/.well-known/acme-challenge/tok",
		".well-known/acme-challenge/tok",
		"/index.html",
	};
	const char *tok;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(other) / sizeof(other[0]); i++)
		assert_int_equal(route(other[i], &tok, &n),
		    TOKEN_ROUTE_NOT_FOUND);
	assert_int_equal(route("/healthz", &tok, &n), TOKEN_ROUTE_HEALTHZ);
	assert_int_equal(token_route(NULL, 0, &tok, &n), TOKEN_ROUTE_NOT_FOUND);
}

static void
test_route_names(void **state)
{
	(void)state;
	assert_string_equal(token_route_name(TOKEN_ROUTE_CHALLENGE), "challenge");
	assert_string_equal(token_route_name(TOKEN_ROUTE_BAD_TOKEN), "bad-token");
	assert_string_equal(token_route_name(TOKEN_ROUTE_HEALTHZ), "healthz");
	assert_string_equal(token_route_name(TOKEN_ROUTE_NOT_FOUND), "not-found");
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_valid_tokens),
		cmocka_unit_test(test_malformed_tokens),
		cmocka_unit_test(test_embedded_nul),
		cmocka_unit_test(test_length_cap),
		cmocka_unit_test(test_query_string_ignored),
		cmocka_unit_test(test_other_paths),
		cmocka_unit_test(test_route_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
