/* test_ops.c -- unit tests of the ops listener: listen settings, and /metrics, /healthz, /readyz (cached, 503 naming the failed check) over loopback. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "metrics.h"
#include "ops.h"

static char err[256];

static void
test_listen_parse(void **state)
{
	struct sockaddr_storage ss;
	socklen_t len;

	(void)state;
	assert_int_equal(ops_listen_parse("off", &ss, &len, err, sizeof(err)), 0);
	assert_int_equal(ops_listen_parse("127.0.0.1:9101", &ss, &len, err,
	    sizeof(err)), 1);
	assert_int_equal(ss.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&ss)->sin_port), 9101);
	assert_int_equal(ops_listen_parse("[::1]:9102", &ss, &len, err,
	    sizeof(err)), 1);
	assert_int_equal(ss.ss_family, AF_INET6);
	assert_int_equal(ops_listen_parse("0.0.0.0:9103", &ss, &len, err,
	    sizeof(err)), 1);
	assert_int_equal(ops_listen_parse("localhost:9101", &ss, &len, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "CERTFLEET_METRICS_LISTEN"));
	assert_int_equal(ops_listen_parse("127.0.0.1", &ss, &len, err,
	    sizeof(err)), -1);
	assert_int_equal(ops_listen_parse("127.0.0.1:0", &ss, &len, err,
	    sizeof(err)), -1);
	assert_int_equal(ops_listen_parse("127.0.0.1:65536", &ss, &len, err,
	    sizeof(err)), -1);
	assert_int_equal(ops_listen_parse(":9101", &ss, &len, err, sizeof(err)),
	    -1);
	assert_int_equal(ops_listen_parse("", &ss, &len, err, sizeof(err)), -1);
	assert_int_equal(ops_listen_parse("OFF", &ss, &len, err, sizeof(err)),
	    -1);
}

/* A dependency of the test's own: answers as `up` says, counts calls. */
static int up = 1, probes;

static int
fake_probe(const char *where, char *detail, size_t len)
{
	probes++;
	snprintf(detail, len, "%s at %s", up ? "fine" : "down", where);
	return up;
}

static const struct health_service fake = { "fakedb", "FAKEDB_URL",
    fake_probe };

/* A free loopback port: bound to 0, read, closed. */
static int
free_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd, port;

	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	assert_int_equal(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

/* One HTTP/1.0 request (libmicrohttpd answers in HTTP/1.1); returns the
 * whole response, in a static buffer. */
static char *
http(int port, const char *method, const char *path)
{
	static char buf[1 << 16];
	struct sockaddr_in sin;
	char req[256];
	size_t len = 0, cap = sizeof(buf);
	ssize_t n;
	int fd;

	assert_true((fd = socket(AF_INET, SOCK_STREAM, 0)) >= 0);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons((uint16_t)port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	assert_int_equal(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	snprintf(req, sizeof(req), "%s %s HTTP/1.0\r\nHost: x\r\n\r\n", method,
	    path);
	assert_int_equal(write(fd, req, strlen(req)), (ssize_t)strlen(req));
	while ((n = read(fd, buf + len, cap - len - 1)) > 0)
		len += (size_t)n;
	buf[len] = '\0';
	close(fd);
	return buf;
}

static void
expect(int port, const char *method, const char *path, const char *status,
    const char *body_part)
{
	char *r = http(port, method, path);

	if (strncmp(r, status, strlen(status)) != 0 ||
	    (body_part != NULL && strstr(r, body_part) == NULL))
		fail_msg("%s %s: wanted %s with \"%s\", got:\n%s", method, path,
		    status, body_part != NULL ? body_part : "", r);
}

static void
collect(void *arg)
{
	metrics_inc_by(arg, NULL, 1);
}

static void
test_listener(void **state)
{
	const struct ops_dep deps[] = { { &fake, "db://somewhere" } };
	struct metrics *m;
	struct metrics_family *scrapes;
	struct ops_conf c = { 0 };
	struct ops *o, *o2;
	char listen[32];
	int port = free_port(), before;

	(void)state;
	assert_non_null(m = metrics_new());
	assert_non_null(scrapes = metrics_family_new(m, METRICS_COUNTER,
	    "certfleet_test_scrapes_total", "Scrapes.", NULL, 0, NULL, 0, err,
	    sizeof(err)));
	c.daemon = "tester";
	c.metrics = m;
	c.collect = collect;
	c.collect_arg = scrapes;
	c.deps = deps;
	c.ndeps = 1;
	/* off: no listener, no error */
	setenv(OPS_LISTEN_ENV, "off", 1);
	assert_int_equal(ops_start(&o, &c, "127.0.0.1:1", err, sizeof(err)), 0);
	assert_null(o);
	setenv(OPS_LISTEN_ENV, "nonsense", 1);
	assert_int_equal(ops_start(&o, &c, NULL, err, sizeof(err)), -1);
	unsetenv(OPS_LISTEN_ENV);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	assert_int_equal(ops_start(&o, &c, listen, err, sizeof(err)), 0);
	assert_non_null(o);
	assert_string_equal(ops_listen(o), listen);

	expect(port, "GET", "/healthz", "HTTP/1.1 200", "\r\n\r\nok\n");
	expect(port, "GET", "/metrics", "HTTP/1.1 200",
	    "certfleet_test_scrapes_total 1\n");
	expect(port, "GET", "/metrics", "HTTP/1.1 200",
	    "certfleet_build_info{version=\"" CERTFLEET_VERSION
	    "\",daemon=\"tester\"} 1\n");
	expect(port, "GET", "/metrics", "HTTP/1.1 200",
	    "Content-Type: text/plain; version=0.0.4");
	expect(port, "HEAD", "/healthz", "HTTP/1.1 200", NULL);
	expect(port, "GET", "/nothing", "HTTP/1.1 404", NULL);
	expect(port, "POST", "/metrics", "HTTP/1.1 405", NULL);

	/* ready, then the answer is kept: no second probe within the cache */
	expect(port, "GET", "/readyz", "HTTP/1.1 200",
	    "ready\nfakedb ok: fine at db://somewhere\n");
	before = probes;
	up = 0;
	expect(port, "GET", "/readyz", "HTTP/1.1 200", "ready\n");
	assert_int_equal(probes, before);
	/* after the cache period: 503 naming the failed dependency */
	usleep((OPS_READY_CACHE_MS + 100) * 1000);
	expect(port, "GET", "/readyz", "HTTP/1.1 503",
	    "not ready\nfakedb FAILED: down at db://somewhere\n");
	/* alive all along */
	expect(port, "GET", "/healthz", "HTTP/1.1 200", NULL);
	up = 1;
	usleep((OPS_READY_CACHE_MS + 100) * 1000);
	expect(port, "GET", "/readyz", "HTTP/1.1 200", "ready\n");

	/* the port is taken now: a second listener says so */
	assert_non_null(c.metrics = metrics_new());
	assert_int_equal(ops_start(&o2, &c, listen, err, sizeof(err)), -1);
	assert_null(o2);
	assert_non_null(strstr(err, "cannot listen"));
	metrics_free(c.metrics);
	ops_stop(o);
	ops_stop(NULL);
	metrics_free(m);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_listen_parse),
		cmocka_unit_test(test_listener),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
