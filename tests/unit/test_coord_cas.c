/* test_coord_cas.c -- unit tests of cas_parse: the CA list from the environment, and its refusals with clear messages. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cas.h"

/* A fake environment: NAME=value strings, NULL-terminated. */
static const char *
env_lookup(void *arg, const char *name)
{
	const char *const *e = arg;
	size_t n = strlen(name);

	for (; *e != NULL; e++)
		if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
			return (*e)[n + 1] != '\0' ? *e + n + 1 : NULL;
	return NULL;
}

static int
parse(const char *const *env, struct cas_conf *c, char *err, size_t errlen)
{
	err[0] = '\0';
	return cas_parse(c, env_lookup, (void *)(uintptr_t)env, err, errlen);
}

/* err must be refused and mention every needle. */
static void
refused(const char *const *env, const char *needle, const char *needle2)
{
	struct cas_conf c;
	char err[512];

	assert_int_equal(parse(env, &c, err, sizeof(err)), -1);
	if (strstr(err, needle) == NULL || (needle2 != NULL &&
	    strstr(err, needle2) == NULL))
		fail_msg("message \"%s\" lacks \"%s\"", err, needle);
}

static void
test_single_ca_default(void **state)
{
	static const char *const env[] = {
		"ACME_DIRECTORY=https://ca.test/dir", NULL };
	static const char *const named[] = {
		"ACME_DIRECTORY=https://ca.test/dir", "CERTFLEET_CA_NAME=le",
		"CERTFLEET_CA_LE_TRUST=system-2", NULL };
	struct cas_conf c;
	char err[512];

	(void)state;
	assert_int_equal(parse(env, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n, 1);
	assert_int_equal(c.def, 0);
	assert_string_equal(c.ca[0].name, "pebble");
	assert_string_equal(c.ca[0].directory, "https://ca.test/dir");
	assert_null(c.ca[0].eab_kid);
	assert_string_equal(c.ca[0].trust, "");
	assert_int_equal(parse(named, &c, err, sizeof(err)), 0);
	assert_string_equal(c.ca[0].name, "le");
	assert_string_equal(c.ca[0].trust, "system-2");
	assert_non_null(cas_find(&c, "le"));
	assert_null(cas_find(&c, "pebble"));
}

static void
test_several_cas(void **state)
{
	static const char *const env[] = {
		"ACME_DIRECTORY=https://a.test/dir",
		"CERTFLEET_CAS= pebble ,zero-ssl,b2",
		"CERTFLEET_CA_ZERO_SSL_DIRECTORY=https://z.test/dir",
		"CERTFLEET_CA_ZERO_SSL_EAB_KID=kid-1",
		"CERTFLEET_CA_ZERO_SSL_EAB_HMAC=c2VjcmV0LW1hYy1rZXk",
		"CERTFLEET_CA_ZERO_SSL_TRUST=zerossl",
		"CERTFLEET_CA_B2_DIRECTORY=https://b.test/dir", NULL };
	static const char *const noacme[] = {
		"CERTFLEET_CAS=one,two", "CERTFLEET_CA_NAME=two",
		"CERTFLEET_CA_ONE_DIRECTORY=https://1.test/dir",
		"CERTFLEET_CA_TWO_DIRECTORY=https://2.test/dir", NULL };
	struct cas_conf c;
	const struct cas_ca *z;
	char err[512];

	(void)state;
	assert_int_equal(parse(env, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n, 3);	/* pebble listed again is the same CA */
	assert_int_equal(c.def, 0);
	assert_string_equal(c.ca[0].name, "pebble");
	z = cas_find(&c, "zero-ssl");
	assert_non_null(z);
	assert_string_equal(z->directory, "https://z.test/dir");
	assert_string_equal(z->eab_kid, "kid-1");
	assert_string_equal(z->eab_hmac, "c2VjcmV0LW1hYy1rZXk");
	assert_string_equal(z->trust, "zerossl");
	assert_string_equal(c.ca[2].name, "b2");
	assert_int_equal(parse(noacme, &c, err, sizeof(err)), 0);
	assert_int_equal(c.n, 2);
	assert_string_equal(c.ca[c.def].name, "two");
}

static void
test_refusals(void **state)
{
	static const char *const none[] = { NULL };
	static const char *const bad_name[] = {
		"CERTFLEET_CAS=Upper", NULL };
	static const char *const bad_name2[] = {
		"CERTFLEET_CAS=-dash", NULL };
	static const char *const bad_name3[] = {
		"CERTFLEET_CAS=a_b", NULL };
	static const char *const long_name[] = {
		"CERTFLEET_CAS=abcdefghijklmnopqrstuvwxyz0123456789", NULL };
	static const char *const empty[] = {
		"CERTFLEET_CAS=a,,b", "CERTFLEET_CA_A_DIRECTORY=https://a/",
		"CERTFLEET_CA_B_DIRECTORY=https://b/", NULL };
	static const char *const missing_dir[] = {
		"CERTFLEET_CAS=one", NULL };
	static const char *const http_dir[] = {
		"CERTFLEET_CAS=one", "CERTFLEET_CA_ONE_DIRECTORY=http://1.test/", NULL };
	static const char *const dup[] = {
		"CERTFLEET_CAS=one,two,one",
		"CERTFLEET_CA_ONE_DIRECTORY=https://1.test/",
		"CERTFLEET_CA_TWO_DIRECTORY=https://2.test/", NULL };
	static const char *const half_eab[] = {
		"CERTFLEET_CAS=one", "CERTFLEET_CA_ONE_DIRECTORY=https://1.test/",
		"CERTFLEET_CA_ONE_EAB_KID=kid", NULL };
	static const char *const bad_hmac[] = {
		"CERTFLEET_CAS=one", "CERTFLEET_CA_ONE_DIRECTORY=https://1.test/",
		"CERTFLEET_CA_ONE_EAB_KID=kid",
		"CERTFLEET_CA_ONE_EAB_HMAC=not base64+/=", NULL };
	static const char *const bad_trust[] = {
		"CERTFLEET_CAS=one", "CERTFLEET_CA_ONE_DIRECTORY=https://1.test/",
		"CERTFLEET_CA_ONE_TRUST=../etc", NULL };
	static const char *const unknown_default[] = {
		"CERTFLEET_CAS=one", "CERTFLEET_CA_NAME=two",
		"CERTFLEET_CA_ONE_DIRECTORY=https://1.test/", NULL };
	static const char *const conflict[] = {
		"ACME_DIRECTORY=https://a.test/dir", "CERTFLEET_CAS=pebble",
		"CERTFLEET_CA_PEBBLE_DIRECTORY=https://other.test/dir", NULL };
	struct cas_conf c;
	char err[512];

	(void)state;
	refused(none, "ACME_DIRECTORY or CERTFLEET_CAS must be set", NULL);
	refused(bad_name, "CA name \"Upper\"", "lower-case");
	refused(bad_name2, "CA name \"-dash\"", NULL);
	refused(bad_name3, "CA name \"a_b\"", NULL);
	refused(long_name, "over 32 characters", NULL);
	refused(empty, "empty CA name", NULL);
	refused(missing_dir, "CERTFLEET_CA_ONE_DIRECTORY is not set", NULL);
	refused(http_dir, "CA one", "https://");
	refused(dup, "CA \"one\" is listed twice", NULL);
	refused(half_eab, "CERTFLEET_CA_ONE_EAB_KID and CERTFLEET_CA_ONE_EAB_HMAC",
	    "both or neither");
	refused(bad_hmac, "CERTFLEET_CA_ONE_EAB_HMAC must be base64url", NULL);
	refused(bad_trust, "CERTFLEET_CA_ONE_TRUST", NULL);
	refused(unknown_default, "CERTFLEET_CA_NAME \"two\" is not in "
	    "CERTFLEET_CAS", NULL);
	refused(conflict, "CERTFLEET_CA_PEBBLE_DIRECTORY differs from "
	    "ACME_DIRECTORY", NULL);
	/* the MAC key is never echoed */
	assert_int_equal(parse(bad_hmac, &c, err, sizeof(err)), -1);
	assert_null(strstr(err, "not base64"));
}

static void
test_names(void **state)
{
	(void)state;
	assert_true(cas_name_ok("pebble"));
	assert_true(cas_name_ok("le-staging2"));
	assert_false(cas_name_ok(""));
	assert_false(cas_name_ok("-x"));
	assert_false(cas_name_ok("a b"));
	assert_false(cas_name_ok("A"));
	assert_false(cas_name_ok("abcdefghijklmnopqrstuvwxyz0123456"));
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_single_ca_default),
		cmocka_unit_test(test_several_cas),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_names),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
