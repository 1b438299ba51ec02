/* test_dns_rfc2136.c -- the worker's rfc2136 provider against a real BIND accepting TSIG-signed updates (run by test_dns_rfc2136, which starts named). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "dns.h"
#include "spawn.h"

/* Two dns-01 values (base64url SHA-256 digests), as a wildcard and its
 * apex would publish at the same name. */
#define TXT_A	"xdGyW3wkNEjzUzdQf0VhJcAm_td9cXRd0t2VODwDsec"
#define TXT_B	"LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ"
#define TOKEN	"evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
/* A well-formed secret that is not the server's (base64 of 32 bytes). */
#define WRONG_SECRET	"d3JvbmctdHNpZy1zZWNyZXQtY2VydGZsZWV0LXRlc3Q="
#define DIG_OUT_MAX	1024

static const char *port;	/* CERTFLEET_DNS_PORT */
static const char *zone;	/* CERTFLEET_DNS_ZONE */
static const char *secret;	/* CERTFLEET_DNS_TSIG_SECRET */
static char stderr_path[] = "/tmp/certfleet-rfc2136-stderr-XXXXXX";

/* What dig printed, from its spawn_done_fn. */
struct dig_out {
	int	status;
	char	out[SPAWN_OUTPUT_MAX];
	char	err[256];
};

static void
dig_done(void *arg, const struct spawn_result *r)
{
	struct dig_out *o = arg;

	o->status = r->status;
	snprintf(o->out, sizeof(o->out), "%s", r->out);
	snprintf(o->err, sizeof(o->err), "%s", r->err);
}

/* The TXT answers named gives for _acme-challenge.<name>, one
 * "owner ttl IN TXT value" line each with single spaces, into out. */
static void
dig_txt(const char *name, char *out, size_t outlen)
{
	char qname[300], err[256];
	char *argv[] = { "dig", "@127.0.0.1", "-p", (char *)port, "+noall",
	    "+answer", "+norecurse", "+time=2", "+tries=1", "TXT", qname,
	    NULL };
	char *envp[] = { NULL };
	struct dig_out o = { -1, "", "" };
	struct spawner *sp;
	size_t i, j = 0;

	snprintf(qname, sizeof(qname), "_acme-challenge.%s.", name);
	assert_non_null(sp = spawn_new());
	if (spawn_start(sp, "/usr/bin/dig", argv, envp, NULL, 0, 5000, dig_done,
	    &o, err, sizeof(err)) < 0)
		fail_msg("dig %s: %s", qname, err);
	spawn_drain(sp, 10000);
	spawn_free(sp);
	if (o.status != 0)
		fail_msg("dig %s: %d %s %s", qname, o.status, o.err, o.out);
	for (i = 0; o.out[i] != '\0' && j + 1 < outlen; i++) {
		if (o.out[i] == ' ' || o.out[i] == '\t') {
			if (j > 0 && out[j - 1] != ' ' && out[j - 1] != '\n')
				out[j++] = ' ';
		} else
			out[j++] = o.out[i];
	}
	out[j] = '\0';
}

/* The outcome of a begin run as a child. */
struct outcome {
	int	called, ok;
	char	err[512];
};

static void
on_done(void *arg, const char *name, const char *token, const char *txt,
    int ok, const char *err)
{
	struct outcome *o = arg;

	(void)name;
	(void)token;
	(void)txt;
	o->called++;
	o->ok = ok;
	snprintf(o->err, sizeof(o->err), "%s", err);
}

/* dns_begin run to its end: 0 when published, -1 with err. */
static int
begin_sync(struct dns *d, const char *name, const char *txt, char *err,
    size_t errlen)
{
	struct outcome o = { 0 };
	int rc;

	if ((rc = dns_begin(d, name, TOKEN, txt, on_done, &o, err,
	    errlen)) <= 0)
		return rc;
	dns_drain(d, 30000);
	assert_int_equal(o.called, 1);
	if (o.ok)
		return 0;
	snprintf(err, errlen, "%s", o.err);
	return -1;
}

/* dns_done (valid) or dns_failed run to its end; its outcome is logged. */
static int
end_sync(struct dns *d, int valid, const char *name, const char *txt,
    char *err, size_t errlen)
{
	int rc;

	rc = valid ? dns_done(d, name, TOKEN, txt, "test", err, errlen) :
	    dns_failed(d, name, TOKEN, txt, "test", err, errlen);
	dns_drain(d, 30000);
	return rc;
}

/* The answer line the provider's record must give: owner, the configured
 * TTL, and the value as one quoted character-string. */
static void
rr_line(const char *name, const char *txt, char *out, size_t outlen)
{
	snprintf(out, outlen, "_acme-challenge.%s. %s IN TXT \"%s\"\n", name,
	    getenv("CERTFLEET_DNS_TTL"), txt);
}

static int
setup(void **state)
{
	int fd;

	(void)state;
	signal(SIGPIPE, SIG_IGN);
	port = getenv("CERTFLEET_DNS_PORT");
	zone = getenv("CERTFLEET_DNS_ZONE");
	secret = getenv("CERTFLEET_DNS_TSIG_SECRET");
	if (port == NULL || zone == NULL || secret == NULL ||
	    getenv("CERTFLEET_DNS_TTL") == NULL) {
		fprintf(stderr, "run by tests/integration/test_dns_rfc2136\n");
		return -1;
	}
	if ((fd = mkstemp(stderr_path)) < 0)
		return -1;
	close(fd);
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	unlink(stderr_path);
	return 0;
}

/* The settings exactly as certfleet-worker reads them (CERTFLEET_DNS_*). */
static struct dns *
provider_from_env(void)
{
	struct dns *d = NULL;
	char err[256];

	if (dns_from_env(&d, err, sizeof(err)) != 1)
		fail_msg("dns_from_env: %s", err);
	assert_string_equal(dns_provider_name(d), "rfc2136");
	return d;
}

/* The same settings with another secret or key name, or without a zone. */
static struct dns *
provider_with(const char *key_name, const char *key_secret, int no_zone)
{
	struct dns_conf c;
	struct dns *d;
	char err[256];

	memset(&c, 0, sizeof(c));
	c.provider = "rfc2136";
	c.server = getenv("CERTFLEET_DNS_SERVER");
	c.port = atoi(port);
	c.zone = no_zone ? NULL : zone;
	c.key_name = key_name;
	c.key_alg = getenv("CERTFLEET_DNS_TSIG_ALGORITHM");
	c.key_secret = key_secret;
	c.ttl = atoi(getenv("CERTFLEET_DNS_TTL"));
	c.timeout_ms = 5000;
	if ((d = dns_new(&c, err, sizeof(err))) == NULL)
		fail_msg("dns_new: %s", err);
	return d;
}

/* begin publishes the record with the configured TTL and the value quoted
 * as one string; done withdraws it. */
static void
test_begin_done(void **state)
{
	struct dns *d;
	char name[300], got[DIG_OUT_MAX], want[512], err[512];

	(void)state;
	d = provider_from_env();
	snprintf(name, sizeof(name), "www.%s", zone);
	dig_txt(name, got, sizeof(got));
	assert_string_equal(got, "");
	if (begin_sync(d, name, TXT_A, err, sizeof(err)) != 0)
		fail_msg("dns_begin: %s", err);
	dig_txt(name, got, sizeof(got));
	rr_line(name, TXT_A, want, sizeof(want));
	assert_string_equal(got, want);
	if (end_sync(d, 1, name, TXT_A, err, sizeof(err)) != 0)
		fail_msg("dns_done: %s", err);
	dig_txt(name, got, sizeof(got));
	assert_string_equal(got, "");
	dns_free(d);
}

/* A wildcard and its apex share _acme-challenge.<name>: withdrawing one
 * value leaves the other; failed withdraws too. */
static void
test_two_values_one_name(void **state)
{
	struct dns *d;
	char name[300], got[DIG_OUT_MAX], a[512], b[512], err[512];

	(void)state;
	d = provider_from_env();
	snprintf(name, sizeof(name), "wild.%s", zone);
	rr_line(name, TXT_A, a, sizeof(a));
	rr_line(name, TXT_B, b, sizeof(b));
	if (begin_sync(d, name, TXT_A, err, sizeof(err)) != 0 ||
	    begin_sync(d, name, TXT_B, err, sizeof(err)) != 0)
		fail_msg("dns_begin: %s", err);
	dig_txt(name, got, sizeof(got));
	assert_non_null(strstr(got, a));
	assert_non_null(strstr(got, b));
	assert_int_equal(strlen(got), strlen(a) + strlen(b));
	if (end_sync(d, 1, name, TXT_A, err, sizeof(err)) != 0)
		fail_msg("dns_done: %s", err);
	dig_txt(name, got, sizeof(got));
	assert_string_equal(got, b);
	if (end_sync(d, 0, name, TXT_B, err, sizeof(err)) != 0)
		fail_msg("dns_failed: %s", err);
	dig_txt(name, got, sizeof(got));
	assert_string_equal(got, "");
	/* Withdrawing a value that is not there is not an error. */
	assert_int_equal(end_sync(d, 1, name, TXT_A, err, sizeof(err)), 0);
	dns_free(d);
}

/* Without CERTFLEET_DNS_ZONE nsupdate finds the zone by asking the server
 * for the SOA; a name outside every zone of the server is refused. */
static void
test_zone_found_by_nsupdate(void **state)
{
	struct dns *d;
	char name[300], got[DIG_OUT_MAX], want[512], err[512];

	(void)state;
	d = provider_with(getenv("CERTFLEET_DNS_TSIG_NAME"), secret, 1);
	snprintf(name, sizeof(name), "deep.sub.%s", zone);
	if (begin_sync(d, name, TXT_B, err, sizeof(err)) != 0)
		fail_msg("dns_begin: %s", err);
	dig_txt(name, got, sizeof(got));
	rr_line(name, TXT_B, want, sizeof(want));
	assert_string_equal(got, want);
	if (end_sync(d, 1, name, TXT_B, err, sizeof(err)) != 0)
		fail_msg("dns_done: %s", err);
	dig_txt(name, got, sizeof(got));
	assert_string_equal(got, "");
	dns_free(d);

	d = provider_from_env();
	assert_int_equal(begin_sync(d, "www.other.test", TXT_A, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "dns: nsupdate add www.other.test"));
	assert_null(strstr(err, secret));
	dns_free(d);
}

/* Runs begin with d while stderr goes to a file; returns what was written
 * there, in buf. */
static int
begin_quiet(struct dns *d, const char *name, char *err, size_t errlen,
    char *buf, size_t buflen)
{
	FILE *f;
	size_t n;
	int saved, rc;

	fflush(stderr);
	saved = dup(2);
	assert_true(saved >= 0);
	assert_non_null(freopen(stderr_path, "w", stderr));
	rc = begin_sync(d, name, TXT_A, err, errlen);
	fprintf(stderr, "worker would log: %s\n", err);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_non_null(f = fopen(stderr_path, "r"));
	n = fread(buf, 1, buflen - 1, f);
	buf[n] = '\0';
	fclose(f);
	return rc;
}

/* A wrong secret or an unknown key is refused by the server: a clear error,
 * no record, and neither secret in the error or on stderr. */
static void
test_wrong_key_refused(void **state)
{
	struct dns *d;
	char name[300], got[DIG_OUT_MAX], err[512], logged[2048];

	(void)state;
	snprintf(name, sizeof(name), "refused.%s", zone);
	d = provider_with(getenv("CERTFLEET_DNS_TSIG_NAME"), WRONG_SECRET, 0);
	assert_int_equal(begin_quiet(d, name, err, sizeof(err), logged,
	    sizeof(logged)), -1);
	print_message("wrong secret: %s\n", err);
	assert_non_null(strstr(err, "dns: nsupdate add refused."));
	assert_non_null(strstr(err, "refused by 127.0.0.1 port "));
	assert_non_null(strstr(err, "for key certfleet-test. (wrong TSIG "
	    "secret or algorithm)"));
	assert_non_null(strstr(err, "NOTAUTH(BADSIG)"));
	assert_int_not_equal(err[strlen(err) - 1], ' ');
	assert_null(strstr(err, WRONG_SECRET));
	assert_null(strstr(err, secret));
	assert_null(strstr(logged, WRONG_SECRET));
	assert_null(strstr(logged, secret));
	assert_null(strchr(err, '\n'));
	dig_txt(name, got, sizeof(got));
	assert_string_equal(got, "");
	dns_free(d);

	d = provider_with("unknown-key.", secret, 0);
	assert_int_equal(begin_quiet(d, name, err, sizeof(err), logged,
	    sizeof(logged)), -1);
	print_message("unknown key: %s\n", err);
	assert_non_null(strstr(err, "(TSIG key unknown to the server)"));
	assert_non_null(strstr(err, "NOTAUTH(BADKEY)"));
	assert_null(strstr(err, secret));
	assert_null(strstr(logged, secret));
	dig_txt(name, got, sizeof(got));
	assert_string_equal(got, "");
	dns_free(d);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_begin_done),
		cmocka_unit_test(test_two_values_one_name),
		cmocka_unit_test(test_zone_found_by_nsupdate),
		cmocka_unit_test(test_wrong_key_refused),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
