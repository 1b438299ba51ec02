/* test_acme_headers.c -- unit tests of the ACME engine's header parsing: Retry-After, Link, Replay-Nonce, Location, caps, CR/LF/NUL and obs-fold damage. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "acme_int.h"

static void
line(struct acme_hdrs *h, const char *s, time_t now)
{
	acme_hdrs_line(h, s, strlen(s), now);
}

static void
test_retry_after(void **state)
{
	time_t when = 0;

	(void)state;
	assert_int_equal(acme_retry_after_parse("120", 3, 1000, &when), 0);
	assert_int_equal(when, 1120);
	assert_int_equal(acme_retry_after_parse("  0 ", 4, 1000, &when), 0);
	assert_int_equal(when, 1000);
	/* IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT = 784111777 */
	assert_int_equal(acme_retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT",
	    29, 784111000, &when), 0);
	assert_int_equal(when, 784111777);
	/* a date in the past means now */
	assert_int_equal(acme_retry_after_parse("Sun, 06 Nov 1994 08:49:37 GMT",
	    29, 784112000, &when), 0);
	assert_int_equal(when, 784112000);
	assert_int_equal(acme_retry_after_parse("", 0, 0, &when), -1);
	assert_int_equal(acme_retry_after_parse("-5", 2, 0, &when), -1);
	assert_int_equal(acme_retry_after_parse("12a", 3, 0, &when), -1);
	assert_int_equal(acme_retry_after_parse("99999999999999999999", 20, 0, &when), -1);
	assert_int_equal(acme_retry_after_parse("tomorrow-ish", 12, 0, &when), -1);
}

struct links {
	char	url[8][128];
	char	rel[8][32];
	int	n;
};

static void
collect(void *arg, const char *url, size_t ulen, const char *rel, size_t rlen)
{
	struct links *l = arg;

	if (l->n >= 8)
		return;
	snprintf(l->url[l->n], sizeof(l->url[0]), "%.*s", (int)ulen, url);
	snprintf(l->rel[l->n], sizeof(l->rel[0]), "%.*s", (int)rlen, rel);
	l->n++;
}

static void
test_link(void **state)
{
	const char *v = "<https://ca/cert/1/1>;rel=\"alternate\", <https://ca/dir>; rel=index,"
	    " <https://ca/a>; title=\"x, y\"; rel=\"up alternate\"";
	struct links l;

	(void)state;
	memset(&l, 0, sizeof(l));
	assert_int_equal(acme_link_parse(v, strlen(v), collect, &l), 3);
	assert_int_equal(l.n, 4);
	assert_string_equal(l.url[0], "https://ca/cert/1/1");
	assert_string_equal(l.rel[0], "alternate");
	assert_string_equal(l.rel[1], "index");
	assert_string_equal(l.url[2], "https://ca/a");
	assert_string_equal(l.rel[2], "up");
	assert_string_equal(l.rel[3], "alternate");
	assert_int_equal(acme_link_parse("<x", 2, collect, &l), -1);
	assert_int_equal(acme_link_parse("x>", 2, collect, &l), -1);
	assert_int_equal(acme_link_parse("<a>; rel=\"open", 14, collect, &l), -1);
	assert_int_equal(acme_link_parse("", 0, collect, &l), 0);
}

static void
test_hdrs(void **state)
{
	struct acme_hdrs h;
	char big[300];
	size_t i;

	(void)state;
	memset(&h, 0, sizeof(h));
	line(&h, "HTTP/2 201\r\n", 0);
	line(&h, "replay-nonce: AbC-_09\r\n", 0);
	line(&h, "Location: https://ca.test/order/7\r\n", 0);
	line(&h, "Retry-After: 3\r\n", 100);
	line(&h, "Link: <https://ca.test/cert/7/1>;rel=\"alternate\"\r\n", 0);
	line(&h, "Link: <https://ca.test/dir>;rel=\"index\"\r\n", 0);
	line(&h, "Link: <https://ca.test/issuer>;rel=\"up\"\r\n", 0);
	line(&h, "Link: <file:///etc/passwd>;rel=\"alternate\"\r\n", 0);
	assert_string_equal(h.nonce, "AbC-_09");
	assert_string_equal(h.location, "https://ca.test/order/7");
	assert_int_equal(h.has_retry_after, 1);
	assert_int_equal(h.retry_after, 103);
	assert_int_equal(h.nalt, 1);
	assert_string_equal(h.alt[0], "https://ca.test/cert/7/1");
	assert_string_equal(h.up, "https://ca.test/issuer");

	/* bad nonces are dropped: charset and length */
	line(&h, "Replay-Nonce: a+b/c=\r\n", 0);
	assert_string_equal(h.nonce, "AbC-_09");
	memset(big, 'A', sizeof(big));
	memcpy(big, "Replay-Nonce: ", 14);
	big[sizeof(big) - 1] = '\0';
	line(&h, big, 0);
	assert_string_equal(h.nonce, "AbC-_09");
	/* a Location that is not https, or has spaces, is ignored */
	acme_hdrs_free(&h);
	line(&h, "Location: javascript:alert(1)\r\n", 0);
	line(&h, "Location: https://a b\r\n", 0);
	assert_null(h.location);
	assert_null(h.insecure);
	/* a plain http one is never used, and noted so that the engine
	 * refuses the answer with a clear problem */
	line(&h, "Location: http://ca.test/order/8\r\n", 0);
	assert_null(h.location);
	assert_string_equal(h.insecure, "Location: http://ca.test/order/8");
	line(&h, "Link: <http://ca.test/cert/8/1>;rel=\"alternate\"\r\n", 0);
	assert_int_equal(h.nalt, 0);
	assert_string_equal(h.insecure, "Location: http://ca.test/order/8");
	acme_hdrs_free(&h);
	line(&h, "Link: <http://ca.test/dir>;rel=\"index\"\r\n", 0);
	assert_null(h.insecure);	/* a link the engine never follows */
	line(&h, "Link: <http://ca.test/cert/8/1>;rel=\"alternate\"\r\n", 0);
	assert_int_equal(h.nalt, 0);
	assert_string_equal(h.insecure, "Link: http://ca.test/cert/8/1");
	acme_hdrs_free(&h);
	line(&h, "Link: <http://ca.test/issuer>;rel=\"up\"\r\n", 0);
	assert_null(h.up);
	assert_string_equal(h.insecure, "Link: http://ca.test/issuer");
	acme_hdrs_free(&h);
	/* a new status line (after 100 Continue) starts over */
	line(&h, "Replay-Nonce: first\r\n", 0);
	line(&h, "HTTP/1.1 200 OK\r\n", 0);
	assert_string_equal(h.nonce, "");
	/* alternates are capped */
	for (i = 0; i < 20; i++)
		line(&h, "Link: <https://ca/alt>;rel=\"alternate\"", 0);
	assert_int_equal(h.nalt, ACME_ALT_MAX);
	/* header bytes are capped */
	for (i = 0; i < ACME_HEADERS_MAX && !h.toobig; i++)
		line(&h, "X-Pad: 12", 0);
	assert_int_equal(h.toobig, 1);
	acme_hdrs_free(&h);
}

static void
test_helpers(void **state)
{
	(void)state;
	assert_int_equal(acme_nonce_ok("abc", 3), 1);
	assert_int_equal(acme_nonce_ok("", 0), 0);
	assert_int_equal(acme_nonce_ok("a b", 3), 0);
	assert_int_equal(acme_url_ok("https://x/y"), 1);
	assert_int_equal(acme_url_ok("HTTPS://x"), 1);
	assert_int_equal(acme_url_ok("https://"), 0);
	/* ACME is https only (RFC 8555 section 6.1) */
	assert_int_equal(acme_url_ok("http://x"), 0);
	assert_int_equal(acme_url_ok("HTTP://x"), 0);
	assert_int_equal(acme_url_insecure("http://x/y"), 1);
	assert_int_equal(acme_url_insecure("HTTP://x"), 1);
	assert_int_equal(acme_url_insecure("https://x"), 0);
	assert_int_equal(acme_url_insecure("http://a b"), 0);
	assert_int_equal(acme_url_insecure(NULL), 0);
	assert_int_equal(acme_url_ok("ftp://x"), 0);
	assert_int_equal(acme_url_ok("https://x/\x7f"), 0);
	assert_int_equal(acme_url_ok(NULL), 0);
	assert_int_equal(acme_ctype_is("application/json; charset=utf-8",
	    "application/json"), 1);
	assert_int_equal(acme_ctype_is("Application/JSON", "application/json"), 1);
	assert_int_equal(acme_ctype_is("application/jsonx", "application/json"), 0);
	assert_int_equal(acme_ctype_is(NULL, "application/json"), 0);
}

/* Every URL member of a CA's resources is looked at; others are not. */
static void
test_json_insecure(void **state)
{
	static const struct {
		const char *json;
		const char *want;	/* NULL: none */
	} cases[] = {
		{ "{\"newNonce\":\"https://ca/n\",\"newOrder\":\"https://ca/o\"}",
		    NULL },
		{ "{\"newOrder\":\"http://ca/o\"}", "http://ca/o" },
		{ "{\"status\":\"pending\",\"finalize\":\"http://ca/f\"}",
		    "http://ca/f" },
		{ "{\"certificate\":\"http://ca/c\"}", "http://ca/c" },
		{ "{\"authorizations\":[\"https://ca/a/1\",\"http://ca/a/2\"]}",
		    "http://ca/a/2" },
		{ "{\"challenges\":[{\"type\":\"http-01\",\"url\":"
		    "\"http://ca/ch/1\"}]}", "http://ca/ch/1" },
		{ "{\"url\":\"http://ca/ch/2\"}", "http://ca/ch/2" },
		{ "{\"renewalInfo\":\"http://ca/ari\"}", "http://ca/ari" },
		/* not a URL the engine follows or reports */
		{ "{\"meta\":{\"website\":\"http://ca.example\"}}", NULL },
		{ "{\"explanationURL\":\"http://ca/why\"}", NULL },
	};
	json_t *j;
	const char *got;
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		assert_non_null(j = json_loads(cases[i].json, 0, NULL));
		got = acme_json_insecure(j);
		if (cases[i].want == NULL)
			assert_null(got);
		else
			assert_string_equal(got, cases[i].want);
		json_decref(j);
	}
}

/* Header damage a hostile CA can send through libcurl (which ends a line at
 * a bare LF, passes a bare CR inside a line, refuses a NUL itself and hands
 * an obs-fold line over as a line of its own): no control byte reaches a
 * value, a folded value is dropped, and the header is named. */
static void
test_hdrs_damaged(void **state)
{
	static const char nul[] = "Replay-Nonce: AbC\0X-Injected: 1\r\n";
	struct acme_hdrs h;

	(void)state;
	memset(&h, 0, sizeof(h));
	/* a bare CR inside Location: dropped, named */
	line(&h, "Location: https://ca.test/order/7\rX-Injected: 1\r\n", 0);
	assert_null(h.location);
	assert_null(h.insecure);
	assert_string_equal(h.malformed, "Location");
	acme_hdrs_free(&h);
	/* a NUL inside Replay-Nonce (curl refuses it first; the engine too) */
	acme_hdrs_line(&h, nul, sizeof(nul) - 1, 0);
	assert_string_equal(h.nonce, "");
	assert_string_equal(h.malformed, "Replay-Nonce");
	acme_hdrs_free(&h);
	/* an obs-fold line after Location: its value is another, dropped */
	line(&h, "Location: https://ca.test/order/7\r\n", 0);
	assert_non_null(h.location);
	line(&h, " X-Injected: 1\r\n", 0);
	assert_null(h.location);
	assert_string_equal(h.malformed, "Location");
	/* the first damaged header is the one named */
	line(&h, "Replay-Nonce: AbC\r\n", 0);
	line(&h, "\tmore\r\n", 0);
	assert_string_equal(h.nonce, "");
	assert_string_equal(h.malformed, "Location");
	acme_hdrs_free(&h);
	/* a folded Link drops every link of the answer */
	line(&h, "Link: <https://ca.test/cert/7/1>;rel=\"alternate\"\r\n", 0);
	line(&h, "Link: <https://ca.test/issuer>;rel=\"up\"\r\n", 0);
	line(&h, " ;rel=\"alternate\"\r\n", 0);
	assert_int_equal(h.nalt, 0);
	assert_null(h.up);
	assert_string_equal(h.malformed, "Link");
	acme_hdrs_free(&h);
	/* a CR in Retry-After, or in a Link's URL */
	line(&h, "Retry-After: 3\rX-Injected: 1\r\n", 100);
	assert_int_equal(h.has_retry_after, 0);
	assert_string_equal(h.malformed, "Retry-After");
	acme_hdrs_free(&h);
	line(&h, "Link: <https://ca.test/a\rb>;rel=\"alternate\"\r\n", 0);
	assert_int_equal(h.nalt, 0);
	assert_string_equal(h.malformed, "Link");
	acme_hdrs_free(&h);
	/* a bare LF ends the line (curl): the header before is whole, the
	 * injected one is a header the engine does not read */
	line(&h, "Location: https://ca.test/order/7\n", 0);
	line(&h, "X-Injected: 1\r\n", 0);
	assert_string_equal(h.location, "https://ca.test/order/7");
	assert_null(h.malformed);
	/* a fold after a header the engine does not read changes nothing */
	line(&h, " more\r\n", 0);
	assert_string_equal(h.location, "https://ca.test/order/7");
	assert_null(h.malformed);
	/* trailing white space and CR LF are no damage; HT inside is none */
	line(&h, "Replay-Nonce: AbC \t\r\n", 0);
	assert_string_equal(h.nonce, "AbC");
	line(&h, "Retry-After: Wed, 21 Oct 2015\t07:28:00 GMT\r\n", 0);
	assert_null(h.malformed);
	/* a new status line starts over */
	line(&h, "Location: https://ca.test/x\ry\r\n", 0);
	assert_string_equal(h.malformed, "Location");
	line(&h, "HTTP/1.1 200 OK\r\n", 0);
	assert_null(h.malformed);
	acme_hdrs_free(&h);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_retry_after),
		cmocka_unit_test(test_link),
		cmocka_unit_test(test_hdrs),
		cmocka_unit_test(test_hdrs_damaged),
		cmocka_unit_test(test_helpers),
		cmocka_unit_test(test_json_insecure),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
