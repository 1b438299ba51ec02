/* test_redisconn.c -- integration test of redisconn_open on the stack's Redis: ACL users per role, percent-encoded credentials, rediss:// with CA and client certificates. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <dirent.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "redisconn.h"

#define TIMEOUT_MS 3000

static char tls_url[512], admin_tls_url[512], dir[512];

static const char *
need(const char *var)
{
	const char *v = getenv(var);

	if (v == NULL || v[0] == '\0')
		fail_msg("%s is not set: run under tests/integration/with-env", var);
	return v;
}

static redisContext *
open_ok(const char *url, int db)
{
	char err[512];
	redisContext *c = redisconn_open(url, db, TIMEOUT_MS, err, sizeof(err));

	if (c == NULL)
		fail_msg("redisconn_open: %s", err);
	return c;
}

/* The reply of one command as "type:text" in out (errors keep their text). */
static const char *
run(redisContext *c, char *out, size_t outlen, const char *fmt, ...)
{
	redisReply *r;
	va_list ap;

	va_start(ap, fmt);
	r = redisvCommand(c, fmt, ap);
	va_end(ap);
	if (r == NULL)
		snprintf(out, outlen, "io:%s", c->errstr);
	else if (r->type == REDIS_REPLY_ERROR)
		snprintf(out, outlen, "error:%s", r->str);
	else if (r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS)
		snprintf(out, outlen, "ok:%s", r->str);
	else if (r->type == REDIS_REPLY_INTEGER)
		snprintf(out, outlen, "ok:%lld", r->integer);
	else
		snprintf(out, outlen, "ok:");
	freeReplyObject(r);
	return out;
}

/* A URL's user is sent with AUTH: each role gets its own permissions. */
static void
test_acl_user_is_used(void **state)
{
	redisContext *c;
	char out[512];

	(void)state;
	c = open_ok(need("CERTFLEET_REDIS_URL_RESPONDER"), 9);
	assert_non_null(strstr(run(c, out, sizeof(out), "GET p:anything"),
	    "NOPERM"));
	redisFree(c);
	c = open_ok(need("CERTFLEET_REDIS_URL_PRIMER"), 9);
	assert_non_null(strstr(run(c, out, sizeof(out), "ACL WHOAMI"),
	    "NOPERM"));
	assert_string_equal(run(c, out, sizeof(out), "PUBLISH %s %s",
	    "certfleet:certs:changed", "test-redisconn.invalid"), "ok:0");
	redisFree(c);
	c = open_ok(need("REDIS_URL"), 0);
	assert_string_equal(run(c, out, sizeof(out), "ACL WHOAMI"), "ok:default");
	redisFree(c);
}

/* A wrong password is refused, and the message does not repeat it. */
static void
test_wrong_password(void **state)
{
	char err[512], url[512];

	(void)state;
	snprintf(url, sizeof(url),
	    "redis://certfleet-edge:NotThePassword%%21@127.0.0.1:%d",
	    atoi(need("CERTFLEET_PORT_BASE")) + 1);
	assert_null(redisconn_open(url, -1, TIMEOUT_MS, err, sizeof(err)));
	assert_non_null(strstr(err, "AUTH"));
	assert_non_null(strstr(err, "WRONGPASS"));
	assert_null(strstr(err, "NotThePassword"));
}

/* A user and password with '@', ':', '/' and '%' work percent-encoded. */
static void
test_percent_encoded_credentials(void **state)
{
	static const char *user = "certfleet-test:u@x", *pw = "p@ss:w/rd%!";
	redisContext *admin, *c;
	char url[512], out[512];

	(void)state;
	admin = open_ok(need("REDIS_URL"), 0);
	/* the password travels inside the connection, never in argv */
	assert_string_equal(run(admin, out, sizeof(out), "ACL SETUSER %s reset "
	    "on >%s ~certfleet:test:* -@all +get +ping", user, pw), "ok:OK");
	snprintf(url, sizeof(url), "redis://certfleet-test%%3Au%%40x:"
	    "p%%40ss%%3Aw%%2Frd%%25%%21@127.0.0.1:%d/0",
	    atoi(need("CERTFLEET_PORT_BASE")) + 1);
	c = open_ok(url, -1);
	assert_string_equal(run(c, out, sizeof(out), "PING"), "ok:PONG");
	assert_non_null(strstr(run(c, out, sizeof(out), "SET certfleet:test:x 1"),
	    "NOPERM"));
	redisFree(c);
	assert_string_equal(run(admin, out, sizeof(out), "ACL DELUSER %s", user),
	    "ok:1");
	redisFree(admin);
}

/* Threads of this process, to see that relays end with their connection. */
static int
threads(void)
{
	DIR *d = opendir("/proc/self/task");
	struct dirent *e;
	int n = 0;

	while (d != NULL && (e = readdir(d)) != NULL)
		n += e->d_name[0] != '.';
	if (d != NULL)
		closedir(d);
	return n;
}

/* Waits up to a second for relay threads to end, down to n threads: the
 * relay of a freed connection ends on its own, soon after. */
static void
relays_gone(int n)
{
	int k;

	for (k = 0; k < 100 && threads() > n; k++)
		usleep(10000);
	assert_int_equal(threads(), n);
}

/* rediss://: verified against the stack's CA, with the role's ACL user;
 * a big value crosses the relay both ways; the relay thread ends with the
 * connection. */
static void
test_tls(void **state)
{
	redisContext *c;
	redisReply *r;
	char out[512], *big;
	size_t n = 3 * 1024 * 1024 + 17, i;
	int before = threads();

	(void)state;
	c = open_ok(tls_url, 9);
	assert_string_equal(run(c, out, sizeof(out), "PING"), "ok:PONG");
	assert_non_null(strstr(run(c, out, sizeof(out), "GET p:x"), "NOPERM"));
	redisFree(c);

	c = open_ok(admin_tls_url, 15);
	assert_non_null(big = malloc(n));
	for (i = 0; i < n; i++)
		big[i] = (char)('a' + i % 26);
	assert_string_equal(run(c, out, sizeof(out), "SET certfleet:test:big %b",
	    big, n), "ok:OK");
	r = redisCommand(c, "GET certfleet:test:big");
	assert_non_null(r);
	assert_int_equal(r->type, REDIS_REPLY_STRING);
	assert_int_equal(r->len, n);
	assert_memory_equal(r->str, big, n);
	freeReplyObject(r);
	run(c, out, sizeof(out), "DEL certfleet:test:big");
	free(big);
	assert_int_equal(threads(), before + 1);
	redisFree(c);
	relays_gone(before);
}

/* The server goes away: a command fails at once and PING says "reconnect". */
static void
test_tls_server_closes(void **state)
{
	redisContext *c, *admin;
	char out[512], err[512];

	(void)state;
	c = open_ok(tls_url, 9);
	assert_string_equal(run(c, out, sizeof(out), "CLIENT SETNAME x"),
	    "error:NOPERM this user has no permissions to run the 'client|setname' command");
	admin = open_ok(need("REDIS_URL"), 0);
	assert_string_equal(run(admin, out, sizeof(out),
	    "CLIENT KILL USER certfleet-responder"), "ok:1");
	redisFree(admin);
	usleep(100000);
	assert_int_equal(redisconn_ping(c, err, sizeof(err)), 0);
	redisFree(c);
	relays_gone(1);
}

/* Refusals: an unknown CA, a client certificate from another CA, TLS to the
 * plain port, a key without a certificate: each a clear error, no hang. */
static void
test_tls_refusals(void **state)
{
	char err[512], other[600], url[512];
	const char *pebble_ca = need("PEBBLE_TLS_CA");

	(void)state;
	setenv(REDISCONN_CA_FILE_ENV, pebble_ca, 1);
	assert_null(redisconn_open(tls_url, -1, TIMEOUT_MS, err, sizeof(err)));
	assert_non_null(strstr(err, "not trusted"));
	setenv(REDISCONN_CA_FILE_ENV, "/nonexistent/ca.pem", 1);
	assert_null(redisconn_open(tls_url, -1, TIMEOUT_MS, err, sizeof(err)));
	assert_non_null(strstr(err, "cannot load the CA file"));
	setenv(REDISCONN_CA_FILE_ENV, need("CERTFLEET_REDIS_TLS_CA"), 1);

	/* Pebble's certificate is no client certificate Redis trusts */
	snprintf(other, sizeof(other), "%.500s", pebble_ca);
	strcpy(strrchr(other, '/'), "/tls-cert.pem");
	setenv(REDISCONN_CERT_FILE_ENV, other, 1);
	strcpy(strrchr(other, '/'), "/tls-key.pem");
	setenv(REDISCONN_KEY_FILE_ENV, other, 1);
	assert_null(redisconn_open(tls_url, -1, TIMEOUT_MS, err, sizeof(err)));
	unsetenv(REDISCONN_CERT_FILE_ENV);
	assert_null(redisconn_open(tls_url, -1, TIMEOUT_MS, err, sizeof(err)));
	assert_non_null(strstr(err, "is set but"));
	unsetenv(REDISCONN_KEY_FILE_ENV);

	snprintf(url, sizeof(url), "rediss://127.0.0.1:%d",
	    atoi(need("CERTFLEET_PORT_BASE")) + 1);
	assert_null(redisconn_open(url, -1, TIMEOUT_MS, err, sizeof(err)));
	assert_non_null(strstr(err, "TLS handshake"));
}

/* The stack's own client certificate is accepted. */
static void
test_tls_client_cert(void **state)
{
	redisContext *c;
	char cert[600], key[600], out[64];

	(void)state;
	snprintf(cert, sizeof(cert), "%.500s/client.pem", dir);
	snprintf(key, sizeof(key), "%.500s/client-key.pem", dir);
	setenv(REDISCONN_CERT_FILE_ENV, cert, 1);
	setenv(REDISCONN_KEY_FILE_ENV, key, 1);
	c = open_ok(tls_url, 9);
	assert_string_equal(run(c, out, sizeof(out), "PING"), "ok:PONG");
	redisFree(c);
	unsetenv(REDISCONN_CERT_FILE_ENV);
	unsetenv(REDISCONN_KEY_FILE_ENV);
	relays_gone(1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_acl_user_is_used),
		cmocka_unit_test(test_wrong_password),
		cmocka_unit_test(test_percent_encoded_credentials),
		cmocka_unit_test(test_tls),
		cmocka_unit_test(test_tls_server_closes),
		cmocka_unit_test(test_tls_refusals),
		cmocka_unit_test(test_tls_client_cert),
	};
	const char *u, *p, *ca;

	/* CERTFLEET_REDIS_URL_RESPONDER and REDIS_URL on the TLS port */
	if ((u = getenv("CERTFLEET_REDIS_URL_RESPONDER")) == NULL ||
	    (p = getenv("CERTFLEET_REDIS_TLS_PORT")) == NULL ||
	    (ca = getenv("CERTFLEET_REDIS_CA_FILE")) == NULL ||
	    getenv("REDIS_URL") == NULL || getenv("CERTFLEET_REDIS_TLS_DIR") == NULL) {
		fprintf(stderr, "run under tests/integration/with-env\n");
		return 1;
	}
	snprintf(tls_url, sizeof(tls_url), "rediss://%s", u + strlen("redis://"));
	strcpy(strrchr(tls_url, ':') + 1, p);
	snprintf(admin_tls_url, sizeof(admin_tls_url), "rediss://%s",
	    getenv("REDIS_URL") + strlen("redis://"));
	strcpy(strrchr(admin_tls_url, ':') + 1, p);
	snprintf(dir, sizeof(dir), "%s", getenv("CERTFLEET_REDIS_TLS_DIR"));
	setenv("CERTFLEET_REDIS_TLS_CA", ca, 1);
	unsetenv(REDISCONN_CERT_FILE_ENV);
	unsetenv(REDISCONN_KEY_FILE_ENV);
	/* as the daemons do: hiredis writes to a link the server may close */
	signal(SIGPIPE, SIG_IGN);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
