/* test_dns01.c -- unit tests of dns-01: the TXT value, provider argument checks, the hook's calls (children of the loop: asynchronous, a withdrawal after its begin), nsupdate scripts and secrets, the codec's rules. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "codec.h"
#include "dns.h"
#include "jws.h"
#include "spawn.h"

/* A key authorization (token "." thumbprint) of the shape RFC 8555 section
 * 8.1 defines; any string works for the digest. */
#define KA	"evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA." \
		"LPJNul-wow4m6DsqxbninhsWHlwfp0JecwQzYpOLmCQ"
/* printf %s "$KA" | openssl dgst -sha256 -binary | openssl base64 -A |
 * tr '+/' '-_' | tr -d '=' */
#define KA_TXT	"xdGyW3wkNEjzUzdQf0VhJcAm_td9cXRd0t2VODwDsec"
#define TOKEN	"evaGxfADs6pSRb2LAv9IZf17Dt3juxGJ-PCt92wr-oA"
/* A made-up TSIG secret (base64 of "certfleet-unit-test-fake-tsig!!"). */
#define FAKE_SECRET	"Y2VydGZsZWV0LXVuaXQtdGVzdC1mYWtlLXRzaWchIQ=="

static char tmpdir[] = "/tmp/certfleet-dns01-XXXXXX";

static void
test_txt_vector(void **state)
{
	char *t;

	(void)state;
	t = jws_dns01_txt(KA);
	assert_non_null(t);
	assert_string_equal(t, KA_TXT);
	assert_int_equal(strlen(t), 43);
	free(t);
	assert_null(jws_dns01_txt(NULL));
}

/* The same digest computed by the openssl command line, now. */
static void
test_txt_openssl(void **state)
{
	char line[128], *t;
	FILE *p;

	(void)state;
	p = popen("printf %s '" KA "' | openssl dgst -sha256 -binary | "
	    "openssl base64 -A | tr '+/' '-_' | tr -d '='", "r");
	assert_non_null(p);
	assert_non_null(fgets(line, sizeof(line), p));
	assert_int_equal(pclose(p), 0);
	line[strcspn(line, "\n")] = '\0';
	t = jws_dns01_txt(KA);
	assert_string_equal(t, line);
	free(t);
}

static void
test_args(void **state)
{
	(void)state;
	assert_true(dns_args_ok("wild-1.test", TOKEN, KA_TXT));
	assert_true(dns_args_ok("a-b.c.example.com", "-x_Y9", KA_TXT));
	assert_false(dns_args_ok("*.wild-1.test", TOKEN, KA_TXT));
	assert_false(dns_args_ok("-rf.test", TOKEN, KA_TXT));
	assert_false(dns_args_ok("a..b", TOKEN, KA_TXT));
	assert_false(dns_args_ok(".a.b", TOKEN, KA_TXT));
	assert_false(dns_args_ok("a.b.", TOKEN, KA_TXT));
	assert_false(dns_args_ok("a b.test", TOKEN, KA_TXT));
	assert_false(dns_args_ok("a;id.test", TOKEN, KA_TXT));
	assert_false(dns_args_ok("a$(id).test", TOKEN, KA_TXT));
	assert_false(dns_args_ok("a\n.test", TOKEN, KA_TXT));
	assert_false(dns_args_ok("", TOKEN, KA_TXT));
	assert_false(dns_args_ok("a.test", "", KA_TXT));
	assert_false(dns_args_ok("a.test", "tok/../x", KA_TXT));
	assert_false(dns_args_ok("a.test", "tok%n", KA_TXT));
	assert_false(dns_args_ok("a.test", TOKEN, "short"));
	assert_false(dns_args_ok("a.test", TOKEN, KA_TXT "A"));
	assert_false(dns_args_ok("a.test", TOKEN,
	    "xdGyW3wkNEjzUzdQf0VhJcAm+td9cXRd0t2VODwDsec"));
	assert_false(dns_args_ok(NULL, TOKEN, KA_TXT));
}

/* Writes an executable script into tmpdir; returns its path (static). */
static const char *
script(const char *name, const char *text)
{
	static char path[256];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", tmpdir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
	assert_int_equal(chmod(path, 0755), 0);
	return path;
}

static char *
slurp(const char *path)
{
	static char buf[8192];
	size_t n;
	FILE *f;

	buf[0] = '\0';
	if ((f = fopen(path, "r")) == NULL)
		return buf;
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

/* What the done() of a begin that ran as a child said. */
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
begin_wait(struct dns *d, const char *name, const char *token,
    const char *txt, char *err, size_t errlen)
{
	struct outcome o = { 0 };
	int rc;

	if ((rc = dns_begin(d, name, token, txt, on_done, &o, err,
	    errlen)) <= 0)
		return rc;
	dns_drain(d, 30000);
	assert_int_equal(o.called, 1);
	if (o.ok)
		return 0;
	snprintf(err, errlen, "%s", o.err);
	return -1;
}

/* dns_done or dns_failed run to its end (the outcome is logged). */
static int
end_wait(struct dns *d, int valid, const char *name, char *err,
    size_t errlen)
{
	int rc;

	rc = valid ? dns_done(d, name, TOKEN, KA_TXT, "job test", err, errlen) :
	    dns_failed(d, name, TOKEN, KA_TXT, "job test", err, errlen);
	dns_drain(d, 30000);
	return rc;
}

static void
test_hook_calls(void **state)
{
	struct dns_conf c = { 0 };
	struct dns *d;
	char rec[256], err[512], hook[256];

	(void)state;
	snprintf(rec, sizeof(rec), "%s/calls", tmpdir);
	unlink(rec);
	setenv("CERTFLEET_HOOK_RECORD", rec, 1);
	setenv("CERTFLEET_WORKER_TOKEN", "worker-token-never-given", 1);
	snprintf(hook, sizeof(hook), "%s", script("hook",
	    "#!/bin/sh\n"
	    "echo \"$# $1 $2 $3 $4\" >> \"$CERTFLEET_HOOK_RECORD\"\n"
	    "env | grep -q WORKER_TOKEN && echo leaked >> \"$CERTFLEET_HOOK_RECORD\"\n"
	    "[ \"$2\" = fail.test ] && { echo 'no such zone'; exit 3; }\n"
	    "exit 0\n"));
	c.provider = "hook";
	c.hook = hook;
	c.timeout_ms = 5000;
	assert_non_null(d = dns_new(&c, err, sizeof(err)));
	assert_int_equal(begin_wait(d, "wild-1.test", TOKEN, KA_TXT, err,
	    sizeof(err)), 0);
	assert_int_equal(end_wait(d, 1, "wild-1.test", err, sizeof(err)), 0);
	assert_int_equal(end_wait(d, 0, "wild-1.test", err, sizeof(err)), 0);
	/* Bad arguments never reach the hook. */
	assert_int_equal(dns_begin(d, "x;touch /tmp/p.test", TOKEN, KA_TXT,
	    on_done, NULL, err, sizeof(err)), -1);
	assert_int_equal(dns_begin(d, "x.test", "$(id)", KA_TXT, on_done, NULL,
	    err, sizeof(err)), -1);
	/* A non-zero exit is a failure carrying its output. */
	assert_int_equal(begin_wait(d, "fail.test", TOKEN, KA_TXT, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "exited 3"));
	assert_non_null(strstr(err, "no such zone"));
	assert_string_equal(slurp(rec),
	    "4 begin wild-1.test " TOKEN " " KA_TXT "\n"
	    "4 done wild-1.test " TOKEN " " KA_TXT "\n"
	    "4 failed wild-1.test " TOKEN " " KA_TXT "\n"
	    "4 begin fail.test " TOKEN " " KA_TXT "\n");
	assert_int_equal(dns_pending(d), 0);
	dns_free(d);
}

static void
test_hook_timeout(void **state)
{
	struct dns_conf c = { 0 };
	struct outcome o = { 0 };
	struct dns *d;
	char err[512], hook[256];
	time_t t0;

	(void)state;
	snprintf(hook, sizeof(hook), "%s", script("slow", "#!/bin/sh\nsleep 30\n"));
	c.provider = "hook";
	c.hook = hook;
	c.timeout_ms = 300;
	assert_non_null(d = dns_new(&c, err, sizeof(err)));
	t0 = time(NULL);
	assert_int_equal(dns_begin(d, "a.test", TOKEN, KA_TXT, on_done, &o, err,
	    sizeof(err)), 1);
	assert_int_equal(o.called, 0);
	dns_drain(d, 30000);
	assert_true(time(NULL) - t0 < 5);
	assert_int_equal(o.called, 1);
	assert_int_equal(o.ok, 0);
	assert_non_null(strstr(o.err, "killed after 300 ms"));
	dns_free(d);
	c.hook = "relative/hook";
	assert_null(dns_new(&c, err, sizeof(err)));
}

/* The caller's loop, as the worker's: poll on dns_fds, then dns_process,
 * until nothing is pending. Returns the turns it took. */
static int
loop_until_idle(struct dns *d)
{
	struct pollfd fds[SPAWN_FDS_MAX];
	int turns = 0, t;
	size_t n;

	while (dns_pending(d) > 0 && turns < 100000) {
		t = 50;
		n = dns_fds(d, fds, SPAWN_FDS_MAX, &t);
		assert_true(n <= SPAWN_FDS_MAX);
		assert_true(t >= 0 && t <= 50);
		assert_true(poll(fds, n, t) >= 0);
		dns_process(d, fds, n);
		turns++;
	}
	return turns;
}

/* begin returns at once while the hook runs; the loop drives it; more
 * calls than SPAWN_CHILDREN_MAX all end, each done() exactly once. */
static void
test_hook_async(void **state)
{
	struct dns_conf c = { 0 };
	struct outcome o[SPAWN_CHILDREN_MAX + 8];
	struct dns *d;
	char err[512], hook[256], rec[256], name[64];
	size_t i, n = sizeof(o) / sizeof(*o);

	(void)state;
	snprintf(rec, sizeof(rec), "%s/async", tmpdir);
	unlink(rec);
	setenv("CERTFLEET_HOOK_RECORD", rec, 1);
	snprintf(hook, sizeof(hook), "%s", script("hook-slow",
	    "#!/bin/sh\nsleep 0.3\necho \"$1 $2\" >> \"$CERTFLEET_HOOK_RECORD\"\n"));
	c.provider = "hook";
	c.hook = hook;
	c.timeout_ms = 10000;
	assert_non_null(d = dns_new(&c, err, sizeof(err)));
	memset(o, 0, sizeof(o));
	for (i = 0; i < n; i++) {
		snprintf(name, sizeof(name), "n%zu.test", i);
		assert_int_equal(dns_begin(d, name, TOKEN, KA_TXT, on_done, &o[i],
		    err, sizeof(err)), 1);
	}
	assert_int_equal(dns_pending(d), n);
	assert_true(loop_until_idle(d) > 1);
	for (i = 0; i < n; i++) {
		assert_int_equal(o[i].called, 1);
		assert_int_equal(o[i].ok, 1);
	}
	dns_free(d);
}

/* A record withdrawn while its begin runs: the withdrawal runs after the
 * begin, and the begin's done() is never called; dns_forget silences a
 * begin. */
static void
test_hook_end_waits_for_begin(void **state)
{
	struct dns_conf c = { 0 };
	struct outcome o = { 0 }, o2 = { 0 };
	struct dns *d;
	char err[512], hook[256], rec[256];

	(void)state;
	snprintf(rec, sizeof(rec), "%s/order", tmpdir);
	unlink(rec);
	setenv("CERTFLEET_HOOK_RECORD", rec, 1);
	snprintf(hook, sizeof(hook), "%s", script("hook-order",
	    "#!/bin/sh\n[ \"$1 $2\" = \"begin a.test\" ] && sleep 0.5\n"
	    "echo \"$1 $2\" >> \"$CERTFLEET_HOOK_RECORD\"\n"));
	c.provider = "hook";
	c.hook = hook;
	c.timeout_ms = 10000;
	assert_non_null(d = dns_new(&c, err, sizeof(err)));
	assert_int_equal(dns_begin(d, "a.test", TOKEN, KA_TXT, on_done, &o, err,
	    sizeof(err)), 1);
	assert_int_equal(dns_failed(d, "a.test", TOKEN, KA_TXT, "job t", err,
	    sizeof(err)), 0);
	assert_int_equal(dns_begin(d, "b.test", TOKEN, KA_TXT, on_done, &o2, err,
	    sizeof(err)), 1);
	dns_forget(d, &o2);
	loop_until_idle(d);
	assert_int_equal(o.called, 0);
	assert_int_equal(o2.called, 0);
	assert_string_equal(slurp(rec), "begin b.test\nbegin a.test\n"
	    "failed a.test\n");
	dns_free(d);
}

static void
conf_rfc2136(struct dns_conf *c)
{
	memset(c, 0, sizeof(*c));
	c->provider = "rfc2136";
	c->server = "127.0.0.1";
	c->port = 5353;
	c->zone = "example.test";
	c->key_name = "certfleet-key";
	c->key_alg = "hmac-sha256";
	c->key_secret = FAKE_SECRET;
	c->ttl = 30;
}

static void
test_nsupdate_script(void **state)
{
	struct dns_conf c;
	char out[4096];

	(void)state;
	conf_rfc2136(&c);
	assert_true(dns_rfc2136_script(&c, 1, "wild-1.example.test", KA_TXT,
	    out, sizeof(out)) > 0);
	assert_string_equal(out,
	    "server 127.0.0.1 5353\n"
	    "zone example.test.\n"
	    "key hmac-sha256:certfleet-key " FAKE_SECRET "\n"
	    "update add _acme-challenge.wild-1.example.test. 30 IN TXT \""
	    KA_TXT "\"\n"
	    "send\n");
	assert_true(dns_rfc2136_script(&c, 0, "wild-1.example.test", KA_TXT,
	    out, sizeof(out)) > 0);
	assert_non_null(strstr(out, "update delete "
	    "_acme-challenge.wild-1.example.test. IN TXT \"" KA_TXT "\"\n"));
	c.zone = NULL;
	assert_true(dns_rfc2136_script(&c, 1, "a.test", KA_TXT, out,
	    sizeof(out)) > 0);
	assert_null(strstr(out, "zone"));
	/* Nothing can add a line or a word to the script. */
	conf_rfc2136(&c);
	c.server = "127.0.0.1\nupdate delete example.test.";
	assert_int_equal(dns_rfc2136_script(&c, 1, "a.test", KA_TXT, out,
	    sizeof(out)), -1);
	conf_rfc2136(&c);
	c.key_name = "k y";
	assert_int_equal(dns_rfc2136_script(&c, 1, "a.test", KA_TXT, out,
	    sizeof(out)), -1);
	conf_rfc2136(&c);
	c.key_secret = "c2VjcmV0\nsend";
	assert_int_equal(dns_rfc2136_script(&c, 1, "a.test", KA_TXT, out,
	    sizeof(out)), -1);
	conf_rfc2136(&c);
	assert_int_equal(dns_rfc2136_script(&c, 1, "a.test\"; x", KA_TXT, out,
	    sizeof(out)), -1);
	assert_int_equal(dns_rfc2136_script(&c, 1, "a.test", KA_TXT, out, 40),
	    -1);
}

/* A fake nsupdate that echoes its script (with the secret) and fails: the
 * error the worker logs must not carry the secret. Its stderr (the log)
 * is captured in a file and searched too. */
static void
test_nsupdate_secret_not_logged(void **state)
{
	struct dns_conf c;
	struct dns *d;
	char err[1024], fake[256], logf[256];
	int saved;
	FILE *f;

	(void)state;
	conf_rfc2136(&c);
	snprintf(fake, sizeof(fake), "%s", script("nsupdate",
	    "#!/bin/sh\necho \"args: $*\"\ncat\nexit 2\n"));
	c.nsupdate = fake;
	c.timeout_ms = 5000;
	assert_non_null(d = dns_new(&c, err, sizeof(err)));
	snprintf(logf, sizeof(logf), "%s/log", tmpdir);
	saved = dup(2);
	assert_non_null(f = freopen(logf, "w", stderr));
	assert_int_equal(begin_wait(d, "a.example.test", TOKEN, KA_TXT, err,
	    sizeof(err)), -1);
	fprintf(stderr, "worker would log: %s\n", err);
	/* the withdrawal logs its own failure */
	assert_int_equal(end_wait(d, 1, "a.example.test", err, sizeof(err)), 0);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	assert_non_null(strstr(slurp(logf), "exited 2"));
	assert_non_null(strstr(slurp(logf), "args: -t 5"));
	assert_non_null(strstr(slurp(logf), "update add _acme-challenge.a.example.test."));
	assert_null(strstr(slurp(logf), FAKE_SECRET));
	assert_null(strstr(slurp(logf), "Y2VydGZsZWV0"));
	dns_free(d);

	/* The real nsupdate against a port where nobody answers: bounded. */
	if (access("/usr/bin/nsupdate", X_OK) == 0) {
		conf_rfc2136(&c);
		c.port = 9;
		c.timeout_ms = 1000;
		assert_non_null(d = dns_new(&c, err, sizeof(err)));
		assert_int_equal(begin_wait(d, "a.example.test", TOKEN, KA_TXT,
		    err, sizeof(err)), -1);
		assert_null(strstr(err, FAKE_SECRET));
		dns_free(d);
	}
	conf_rfc2136(&c);
	c.key_secret = NULL;
	assert_null(dns_new(&c, err, sizeof(err)));
}

static void
test_provider_choice(void **state)
{
	struct dns_conf c = { 0 };
	struct dns *d;
	char err[256];

	(void)state;
	c.provider = "route53";
	assert_null(dns_new(&c, err, sizeof(err)));
	assert_non_null(strstr(err, "unknown provider"));
	c.provider = "challtestsrv";
	assert_null(dns_new(&c, err, sizeof(err)));
	c.mgmt_url = "http://127.0.0.1:1";
	assert_non_null(d = dns_new(&c, err, sizeof(err)));
	assert_string_equal(dns_provider_name(d), "challtestsrv");
	/* Nobody listens: a clear, bounded failure. */
	assert_int_equal(dns_begin(d, "a.test", TOKEN, KA_TXT, on_done, NULL,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "challtestsrv /set-txt"));
	dns_free(d);
	unsetenv("CERTFLEET_DNS_PROVIDER");
	assert_int_equal(dns_from_env(&d, err, sizeof(err)), 0);
	assert_null(d);
}

/* ---- the codec: dns-01 and wildcards ---- */

static uint8_t csr[] = { 0x30, 0x03, 0x02, 0x01, 0x00 };

static int
codec_accepts(const char *type, char **ids, size_t n, char *err, size_t errlen)
{
	Certfleet__Job j = CERTFLEET__JOB__INIT, *d;
	Certfleet__IssueOrder o = CERTFLEET__ISSUE_ORDER__INIT;
	Certfleet__CaRef ca = CERTFLEET__CA_REF__INIT;
	size_t len;
	void *buf;

	ca.name = "pebble";
	ca.directory_url = "https://127.0.0.1:14000/dir";
	o.ca = &ca;
	o.account_id = "acct-1";
	o.certificate_id = "cert-1";
	o.identifiers = ids;
	o.n_identifiers = n;
	o.csr_der.data = csr;
	o.csr_der.len = sizeof(csr);
	o.challenge_type = (char *)type;
	j.schema_version = PROTO_SCHEMA_VERSION;
	j.job_id = "job-1";
	j.attempt = 1;
	j.trace_id = "trace-1";
	j.kind_case = CERTFLEET__JOB__KIND_ISSUE_ORDER;
	j.issue_order = &o;
	assert_non_null(buf = proto_job_encode(&j, &len));
	d = proto_job_decode(buf, len, err, errlen);
	free(buf);
	if (d == NULL)
		return 0;
	assert_string_equal(d->issue_order->challenge_type, type);
	proto_job_free(d);
	return 1;
}

static void
test_codec(void **state)
{
	char *wild[] = { "*.wild-1.test", "wild-1.test" };
	char *plain[] = { "wild-1.test" };
	char *unnorm[] = { "*.Wild-1.test" };
	char err[256];

	(void)state;
	assert_true(codec_accepts("dns-01", wild, 2, err, sizeof(err)));
	assert_true(codec_accepts("dns-01", plain, 1, err, sizeof(err)));
	assert_true(codec_accepts("http-01", plain, 1, err, sizeof(err)));
	assert_false(codec_accepts("http-01", wild, 2, err, sizeof(err)));
	assert_non_null(strstr(err, "wildcard without dns-01"));
	assert_false(codec_accepts("dns-01", unnorm, 1, err, sizeof(err)));
	assert_false(codec_accepts("tls-alpn-01", plain, 1, err, sizeof(err)));
	assert_non_null(strstr(err, "not http-01 or dns-01"));
}

static int
setup(void **state)
{
	(void)state;
	signal(SIGPIPE, SIG_IGN);
	return mkdtemp(tmpdir) == NULL ? -1 : 0;
}

static int
teardown(void **state)
{
	char cmd[128];

	(void)state;
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
	return system(cmd) == 0 ? 0 : -1;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_txt_vector),
		cmocka_unit_test(test_txt_openssl),
		cmocka_unit_test(test_args),
		cmocka_unit_test(test_hook_calls),
		cmocka_unit_test(test_hook_timeout),
		cmocka_unit_test(test_hook_async),
		cmocka_unit_test(test_hook_end_waits_for_begin),
		cmocka_unit_test(test_nsupdate_script),
		cmocka_unit_test(test_nsupdate_secret_not_logged),
		cmocka_unit_test(test_provider_choice),
		cmocka_unit_test(test_codec),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
