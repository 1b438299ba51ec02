/* test_netlist.c -- unit tests of CERTFLEET_EDGE_NETWORKS parsing and of the client address test (coordinator/api/netlist.c). */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdio.h>
#include <string.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <cmocka.h>

#include "netlist.h"

static int
has4(const struct netlist *l, const char *addr)
{
	struct sockaddr_in sin;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	assert_int_equal(inet_pton(AF_INET, addr, &sin.sin_addr), 1);
	return netlist_contains(l, (struct sockaddr *)&sin);
}

static int
has6(const struct netlist *l, const char *addr)
{
	struct sockaddr_in6 sin6;

	memset(&sin6, 0, sizeof(sin6));
	sin6.sin6_family = AF_INET6;
	assert_int_equal(inet_pton(AF_INET6, addr, &sin6.sin6_addr), 1);
	return netlist_contains(l, (struct sockaddr *)&sin6);
}

static void
test_ipv4(void **state)
{
	struct netlist l;
	char err[200];

	(void)state;
	assert_int_equal(netlist_parse(&l, "127.0.0.1/32, 10.0.0.0/8,"
	    "192.168.4.0/22", err, sizeof(err)), 0);
	assert_int_equal(l.n, 3);
	assert_true(has4(&l, "127.0.0.1"));
	assert_false(has4(&l, "127.0.0.2"));
	assert_true(has4(&l, "10.255.1.2"));
	assert_false(has4(&l, "11.0.0.1"));
	assert_true(has4(&l, "192.168.7.255"));
	assert_false(has4(&l, "192.168.8.0"));
	/* an IPv4-mapped IPv6 client is its IPv4 address */
	assert_true(has6(&l, "::ffff:10.1.2.3"));
	assert_false(has6(&l, "::ffff:11.1.2.3"));
}

static void
test_ipv6_and_hosts(void **state)
{
	struct netlist l;
	char err[200];

	(void)state;
	assert_int_equal(netlist_parse(&l, "fd00::/8,::1,198.51.100.7", err,
	    sizeof(err)), 0);
	assert_true(has6(&l, "fd12:3456::1"));
	assert_false(has6(&l, "fe80::1"));
	assert_true(has6(&l, "::1"));
	assert_false(has6(&l, "::2"));
	assert_true(has4(&l, "198.51.100.7"));
	assert_false(has4(&l, "198.51.100.8"));
	assert_int_equal(netlist_parse(&l, "0.0.0.0/0", err, sizeof(err)), 0);
	assert_true(has4(&l, "203.0.113.9"));
	assert_false(has6(&l, "2001:db8::1"));	/* families stay apart */
	assert_false(netlist_contains(&l, NULL));
	assert_false(netlist_contains(NULL, NULL));
}

static void
test_refused(void **state)
{
	static const char *const bad[] = {
		"", " ", ",", "10.0.0.1/8", "10.0.0.0/33", "10.0.0.0/", "10.0.0.0/x",
		"10.0.0.0/-1", "10.0.0.0/8/8", "host.example", "10.0.0.0/8,,",
		"fd00::1/8", "::/129", "1.2.3", "10.0.0.0/08x",
	};
	struct netlist l;
	char err[200];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		assert_int_equal(netlist_parse(&l, bad[i], err, sizeof(err)), -1);
		assert_true(err[0] != '\0');
		assert_int_equal(l.n, 0);
	}
}

static void
test_caps(void **state)
{
	char text[NETLIST_TEXT_MAX + 64], err[200];
	struct netlist l;
	size_t i, at = 0;

	(void)state;
	for (i = 0; i < NETLIST_MAX; i++)
		at += (size_t)snprintf(text + at, sizeof(text) - at, "%s10.0.%zu.0/24",
		    i ? "," : "", i);
	assert_int_equal(netlist_parse(&l, text, err, sizeof(err)), 0);
	assert_int_equal(l.n, NETLIST_MAX);
	snprintf(text + at, sizeof(text) - at, ",10.1.0.0/16");
	assert_int_equal(netlist_parse(&l, text, err, sizeof(err)), -1);
	memset(text, ' ', NETLIST_TEXT_MAX + 1);
	text[NETLIST_TEXT_MAX + 1] = '\0';
	assert_int_equal(netlist_parse(&l, text, err, sizeof(err)), -1);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ipv4),
		cmocka_unit_test(test_ipv6_and_hosts),
		cmocka_unit_test(test_refused),
		cmocka_unit_test(test_caps),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
