/* test_coord_import.c -- unit tests of import_check and import_parse (results/import.c): what a certificate to import must be, and the messages when it is not. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "import.h"
#include "test_chain.h"

#define DAY 86400L

/* root -> intermediate -> leaf (a.imp.test, www.a.imp.test), and their
 * PEM texts. */
struct fixture {
	struct tc	 root, inter, leaf, other;
	char		*leaf_pem, *inter_pem, *full_pem, *key_pem, *other_key;
	time_t		 now;
};

static int
setup(void **state)
{
	struct fixture *f = calloc(1, sizeof(*f));
	const struct tc *full[3];

	if (f == NULL)
		return -1;
	f->now = time(NULL);
	if (tc_make(&f->root, NULL, tc_key("EC", "P-256"), "Import Root", NULL,
	    f->now - DAY, f->now + 900 * DAY) < 0 ||
	    tc_make(&f->inter, &f->root, tc_key("EC", "P-256"), "Import Inter",
	    NULL, f->now - DAY, f->now + 400 * DAY) < 0 ||
	    tc_make(&f->leaf, &f->inter, tc_key("EC", "P-256"), "a.imp.test",
	    "DNS:a.imp.test,DNS:WWW.a.imp.test", f->now - DAY,
	    f->now + 89 * DAY) < 0 ||
	    tc_make(&f->other, &f->inter, tc_key("EC", "P-256"), "b.imp.test",
	    "DNS:b.imp.test", f->now - DAY, f->now + 89 * DAY) < 0)
		return -1;
	full[0] = &f->leaf;
	full[1] = &f->inter;
	full[2] = NULL;
	f->leaf_pem = tc_cert_pem(&f->leaf);
	f->inter_pem = tc_cert_pem(&f->inter);
	f->full_pem = tc_certs_pem(full);
	f->key_pem = tc_key_pem(&f->leaf);
	f->other_key = tc_key_pem(&f->other);
	*state = f;
	return 0;
}

static int
teardown(void **state)
{
	struct fixture *f = *state;

	tc_free(&f->root);
	tc_free(&f->inter);
	tc_free(&f->leaf);
	tc_free(&f->other);
	free(f->leaf_pem);
	free(f->inter_pem);
	free(f->full_pem);
	free(f->key_pem);
	free(f->other_key);
	free(f);
	return 0;
}

static int
check(const char *cert, const char *chain, const char *key, time_t now,
    struct import_cert *ic, char *err, size_t errlen)
{
	return import_check(cert, strlen(cert), chain != NULL ? chain : "",
	    chain != NULL ? strlen(chain) : 0, key, strlen(key), now, ic, err,
	    errlen);
}

/* import_check must refuse, with a message containing want. */
static void
refused(const char *cert, const char *chain, const char *key, time_t now,
    const char *want)
{
	struct import_cert ic;
	char err[512] = "";

	assert_int_equal(check(cert, chain, key, now, &ic, err, sizeof(err)), -1);
	if (strstr(err, want) == NULL)
		fail_msg("message \"%s\" lacks \"%s\"", err, want);
	assert_null(ic.key);
	assert_null(ic.leaf);
}

static void
test_good_separate_chain(void **state)
{
	struct fixture *f = *state;
	struct import_cert ic;
	char err[512];

	assert_int_equal(check(f->leaf_pem, f->inter_pem, f->key_pem, f->now,
	    &ic, err, sizeof(err)), 0);
	assert_int_equal(ic.ci.nsans, 2);
	assert_string_equal(ic.ci.sans[0], "a.imp.test");
	assert_string_equal(ic.ci.sans[1], "www.a.imp.test");
	assert_int_equal(ic.key_type, KEYS_EC_P256);
	assert_int_equal(ic.nchain, 1);
	assert_string_equal(ic.leaf, f->leaf_pem);
	assert_string_equal(ic.chain, f->inter_pem);
	import_cert_free(&ic);
}

static void
test_good_fullchain(void **state)
{
	struct fixture *f = *state;
	struct import_cert ic;
	char err[512];

	assert_int_equal(check(f->full_pem, NULL, f->key_pem, f->now, &ic, err,
	    sizeof(err)), 0);
	assert_string_equal(ic.leaf, f->leaf_pem);
	assert_string_equal(ic.chain, f->inter_pem);
	import_cert_free(&ic);
	/* a leaf without a chain is taken too */
	assert_int_equal(check(f->leaf_pem, NULL, f->key_pem, f->now, &ic, err,
	    sizeof(err)), 0);
	assert_string_equal(ic.chain, "");
	import_cert_free(&ic);
}

static void
test_key_mismatch(void **state)
{
	struct fixture *f = *state;

	refused(f->leaf_pem, f->inter_pem, f->other_key, f->now,
	    "the private key does not match the certificate");
}

static void
test_dates(void **state)
{
	struct fixture *f = *state;

	refused(f->leaf_pem, f->inter_pem, f->key_pem, f->now + 90 * DAY,
	    "the certificate expired at ");
	refused(f->leaf_pem, f->inter_pem, f->key_pem, f->now - 2 * DAY,
	    "the certificate is not valid before ");
}

static void
test_chain_problems(void **state)
{
	struct fixture *f = *state;
	char *two = NULL;

	/* the root did not issue the leaf */
	two = tc_cert_pem(&f->root);
	refused(f->leaf_pem, two, f->key_pem, f->now,
	    "the chain does not fit: its certificate 1 did not issue the "
	    "certificate");
	free(two);
	refused(f->full_pem, f->inter_pem, f->key_pem, f->now,
	    "the chain is given twice");
	refused(f->leaf_pem, f->key_pem, f->key_pem, f->now,
	    "chain holds a PRIVATE KEY block");
	refused(f->leaf_pem, "-----BEGIN CERTIFICATE-----\nnot base64!\n"
	    "-----END CERTIFICATE-----\n", f->key_pem, f->now,
	    "chain is not well-formed PEM");
}

static void
test_not_certificates(void **state)
{
	struct fixture *f = *state;

	refused("", NULL, f->key_pem, f->now, "certificate holds no PEM "
	    "certificate");
	refused("just text", NULL, f->key_pem, f->now, "certificate holds no "
	    "PEM certificate");
	refused(f->key_pem, NULL, f->key_pem, f->now, "certificate holds a "
	    "PRIVATE KEY block");
	refused("-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
	    NULL, f->key_pem, f->now, "certificate: certificate 1 is not X.509");
}

static void
test_keys(void **state)
{
	struct fixture *f = *state;
	struct tc ed, rsa;
	/* Not a key (four bytes of base64): the marker is split so that
	 * scanners for committed private keys pass over it. */
	char *c, *k, enc[] = "-----BEGIN ENCRYPTED PRIVATE" " KEY-----\nAAAA\n"
	    "-----END ENCRYPTED PRIVATE KEY-----\n";

	refused(f->leaf_pem, NULL, "", f->now, "private_key is empty");
	refused(f->leaf_pem, NULL, enc, f->now, "private_key is encrypted");
	refused(f->leaf_pem, NULL, f->leaf_pem, f->now, "private_key holds no "
	    "PEM private key");
	assert_int_equal(tc_make(&ed, &f->inter, tc_key("ED25519", NULL),
	    "ed.imp.test", "DNS:ed.imp.test", f->now - DAY, f->now + DAY), 0);
	c = tc_cert_pem(&ed);
	k = tc_key_pem(&ed);
	refused(c, NULL, k, f->now, "private_key is a ED25519 key");
	free(c);
	free(k);
	tc_free(&ed);
	assert_int_equal(tc_make(&rsa, &f->inter, tc_key("RSA", "1024"),
	    "rsa.imp.test", "DNS:rsa.imp.test", f->now - DAY, f->now + DAY), 0);
	c = tc_cert_pem(&rsa);
	k = tc_key_pem(&rsa);
	refused(c, NULL, k, f->now, "private_key is an RSA key of 1024 bits");
	free(c);
	free(k);
	tc_free(&rsa);
}

static void
test_no_dns_name(void **state)
{
	struct fixture *f = *state;
	struct tc t;
	char *c, *k;

	assert_int_equal(tc_make(&t, &f->inter, tc_key("EC", "P-384"),
	    "ip.imp.test", "IP:192.0.2.1", f->now - DAY, f->now + DAY), 0);
	c = tc_cert_pem(&t);
	k = tc_key_pem(&t);
	refused(c, NULL, k, f->now, "the certificate names no DNS name");
	free(c);
	free(k);
	tc_free(&t);
}

/* import_parse: a body as the API gets it. */
static char *
body(const struct fixture *f, const char *extra)
{
	json_t *j = json_pack("{s:s, s:s, s:s}", "certificate", f->leaf_pem,
	    "chain", f->inter_pem, "private_key", f->key_pem);
	json_t *x = extra != NULL ? json_loads(extra, 0, NULL) : NULL;
	char *s;

	json_object_update(j, x);
	s = json_dumps(j, JSON_COMPACT);
	json_decref(x);
	json_decref(j);
	return s;
}

static void
test_parse(void **state)
{
	struct fixture *f = *state;
	struct import_request ir;
	char err[512], *b;

	b = body(f, "{\"tenant\": \"acme\", \"labels\": {\"from\": \"certbot\"}, "
	    "\"ca\": \"other\"}");
	assert_int_equal(import_parse(b, strlen(b), KEYS_RSA_2048, f->now, &ir,
	    err, sizeof(err)), 0);
	assert_int_equal(ir.er.nnames, 2);
	assert_string_equal(ir.er.names[1], "www.a.imp.test");
	assert_int_equal(ir.er.key_type, KEYS_EC_P256);	/* the key's */
	assert_string_equal(ir.er.tenant, "acme");
	assert_string_equal(ir.er.ca, "other");
	assert_string_equal(ir.er.challenge, "http-01");
	assert_string_equal(ir.er.labels, "{\"from\":\"certbot\"}");
	import_request_free(&ir);
	free(b);
}

static void
parse_refused(const struct fixture *f, const char *b, const char *want)
{
	struct import_request ir;
	char err[512] = "";

	assert_int_equal(import_parse(b, strlen(b), KEYS_EC_P256, f->now, &ir,
	    err, sizeof(err)), -1);
	if (strstr(err, want) == NULL)
		fail_msg("body %.60s: message \"%s\" lacks \"%s\"", b, err, want);
}

static void
test_parse_refusals(void **state)
{
	struct fixture *f = *state;
	char *b;

	parse_refused(f, "[1]", "the body must be a JSON object");
	parse_refused(f, "{\"certificate\": 1}", "certificate must be a PEM text");
	parse_refused(f, "{\"private_key\": \"x\"}", "missing field "
	    "\"certificate\"");
	b = body(f, "{\"hostnames\": [\"x.test\"]}");
	parse_refused(f, b, "takes its hostnames and key type from the "
	    "certificate");
	free(b);
	b = body(f, "{\"colour\": \"red\"}");
	parse_refused(f, b, "unknown field \"colour\"");
	free(b);
	b = body(f, "{\"tenant\": \"Not A Tenant\"}");
	parse_refused(f, b, "tenant must be a name");
	free(b);
}

static void
test_parse_wildcard(void **state)
{
	struct fixture *f = *state;
	struct import_request ir;
	struct tc w;
	char err[512], *b, *c, *k;
	json_t *j;

	assert_int_equal(tc_make(&w, &f->inter, tc_key("EC", "P-256"),
	    "w.imp.test", "DNS:*.w.imp.test,DNS:w.imp.test", f->now - DAY,
	    f->now + DAY), 0);
	c = tc_cert_pem(&w);
	k = tc_key_pem(&w);
	j = json_pack("{s:s, s:s, s:s}", "certificate", c, "chain",
	    f->inter_pem, "private_key", k);
	free(c);
	free(k);
	b = json_dumps(j, JSON_COMPACT);
	assert_int_equal(import_parse(b, strlen(b), KEYS_EC_P256, f->now, &ir,
	    err, sizeof(err)), 0);
	assert_string_equal(ir.er.challenge, "dns-01");
	assert_string_equal(ir.er.names[0], "*.w.imp.test");
	import_request_free(&ir);
	free(b);
	json_object_set_new(j, "challenge", json_string("http-01"));
	b = json_dumps(j, JSON_COMPACT);
	parse_refused(f, b, "a wildcard name needs \"challenge\": \"dns-01\"");
	free(b);
	json_decref(j);
	tc_free(&w);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_good_separate_chain),
		cmocka_unit_test(test_good_fullchain),
		cmocka_unit_test(test_key_mismatch),
		cmocka_unit_test(test_dates),
		cmocka_unit_test(test_chain_problems),
		cmocka_unit_test(test_not_certificates),
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_no_dns_name),
		cmocka_unit_test(test_parse),
		cmocka_unit_test(test_parse_refusals),
		cmocka_unit_test(test_parse_wildcard),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
