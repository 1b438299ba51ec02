/* test_redisurl.c -- unit tests of the redis:// and rediss:// URL parser: every accepted form and every refusal, no secret in any message. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "redisurl.h"

struct accepted {
	const char	*url;
	int		 tls;
	const char	*host;
	int		 ipv6, port, db;
	const char	*user, *password;
};

static void
test_accepted_forms(void **state)
{
	static const struct accepted ok[] = {
		{ "redis://127.0.0.1:6380", 0, "127.0.0.1", 0, 6380, -1, "", "" },
		{ "redis://localhost", 0, "localhost", 0, 6379, -1, "", "" },
		{ "redis://localhost/", 0, "localhost", 0, 6379, -1, "", "" },
		{ "redis://:s3cret@localhost/9", 0, "localhost", 0, 6379, 9, "", "s3cret" },
		{ "redis://edge:pw@redis.example:7000/9", 0, "redis.example", 0, 7000, 9, "edge", "pw" },
		{ "rediss://edge:pw@redis.example", 1, "redis.example", 0, 6379, -1, "edge", "pw" },
		{ "REDISS://h", 1, "h", 0, 6379, -1, "", "" },
		{ "Redis://h:1/0", 0, "h", 0, 1, 0, "", "" },
		{ "redis://[::1]", 0, "::1", 1, 6379, -1, "", "" },
		{ "redis://[::1]:6390/3", 0, "::1", 1, 6390, 3, "", "" },
		{ "rediss://u:p@[2001:db8::7]:6390", 1, "2001:db8::7", 1, 6390, -1, "u", "p" },
		{ "redis://[::ffff:127.0.0.1]:1", 0, "::ffff:127.0.0.1", 1, 1, -1, "", "" },
		/* percent-decoding of user and password */
		{ "redis://us%65r:p%40ss%3Aw%2Fd%25@h", 0, "h", 0, 6379, -1, "user", "p@ss:w/d%" },
		{ "redis://a:b:c@h", 0, "h", 0, 6379, -1, "a", "b:c" },
		{ "redis://:%C3%A9t%C3%A9@h", 0, "h", 0, 6379, -1, "", "\xc3\xa9t\xc3\xa9" },
		{ "redis://u-1.x_y~:!$&'()*+,;=@h", 0, "h", 0, 6379, -1, "u-1.x_y~", "!$&'()*+,;=" },
		{ "redis://my_redis-1.svc:65535/1000", 0, "my_redis-1.svc", 0, 65535, 1000, "", "" },
		{ "redis://h/007", 0, "h", 0, 6379, 7, "", "" },
	};
	struct redis_url u;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(ok) / sizeof(ok[0]); i++) {
		err[0] = '\0';
		if (redisurl_parse(ok[i].url, &u, err, sizeof(err)) != 0)
			fail_msg("%s: %s", ok[i].url, err);
		assert_int_equal(u.tls, ok[i].tls);
		assert_string_equal(u.host, ok[i].host);
		assert_int_equal(u.ipv6, ok[i].ipv6);
		assert_int_equal(u.port, ok[i].port);
		assert_int_equal(u.db, ok[i].db);
		assert_string_equal(u.user, ok[i].user);
		assert_string_equal(u.password, ok[i].password);
		redisurl_wipe(&u);
		assert_string_equal(u.password, "");
	}
}

struct refused {
	const char	*url;
	const char	*says;		/* a fragment the message must hold */
};

static void
test_refusals(void **state)
{
	static const struct refused bad[] = {
		{ "http://x", "must start with redis://" },
		{ "redis:/x", "must start with redis://" },
		{ "redis//x", "must start with redis://" },
		{ "", "must start with redis://" },
		{ "unix:///tmp/redis.sock", "must start with redis://" },
		{ "redis://", "no host" },
		{ "redis://:1", "no host" },
		{ "redis:///9", "no host" },
		{ "redis://:pw@", "no host" },
		{ "redis://h:99999", "port" },
		{ "redis://h:0", "port" },
		{ "redis://h:", "port" },
		{ "redis://h:-1", "port" },
		{ "redis://h:+80", "port" },
		{ "redis://h:80x", "port" },
		{ "redis://h:1:2", "port" },
		{ "redis://h:1/x", "/<database>" },
		{ "redis://h/1001", "/<database>" },
		{ "redis://h/-1", "/<database>" },
		{ "redis://h/1/2", "/<database>" },
		{ "redis://h//1", "/<database>" },
		{ "redis://h/99999999999", "/<database>" },
		{ "redis://h?db=1", "query" },
		{ "redis://h/1#x", "fragment" },
		{ "redis://h /1", "space" },
		{ "redis://h\t", "control" },
		{ "redis://h\xc3\xa9", "non-ASCII" },
		{ "redis://user@h", "needs a password" },
		{ "redis://@h", "needs a password" },
		{ "redis://user:@h", "empty password" },
		{ "redis://:@h", "empty password" },
		{ "redis://a:b@c@h", "more than one '@'" },
		{ "redis://:p%4@h", "bad percent escape in the password" },
		{ "redis://:p%@h", "bad percent escape in the password" },
		{ "redis://:p%zz@h", "bad percent escape in the password" },
		{ "redis://u%G1:p@h", "bad percent escape in the user name" },
		{ "redis://:p%00@h", "password holds %00" },
		{ "redis://u%00:p@h", "user name holds %00" },
		{ "redis://u[:p@h", "user name must be percent-encoded" },
		{ "redis://:p\"@h", "password must be percent-encoded" },
		{ "redis://h%41", "the host may hold only" },
		{ "redis://h!", "the host may hold only" },
		{ "redis://[::1", "'[' without ']'" },
		{ "redis://[]", "bad IPv6 literal" },
		{ "redis://[::g]", "bad IPv6 literal" },
		{ "redis://[fe80::1%25eth0]", "bad IPv6 literal" },
		{ "redis://[127.0.0.1]", "bad IPv6 literal" },
		{ "redis://[::1]x", "after the IPv6 literal" },
		{ "redis://[::1]:", "port" },
		{ "redis://::1", "no host" },
	};
	struct redis_url u;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		err[0] = '\0';
		if (redisurl_parse(bad[i].url, &u, err, sizeof(err)) != -1)
			fail_msg("accepted %s", bad[i].url);
		if (strstr(err, bad[i].says) == NULL)
			fail_msg("%s: message '%s' lacks '%s'", bad[i].url, err,
			    bad[i].says);
		/* a refused URL leaves nothing behind */
		assert_string_equal(u.host, "");
		assert_string_equal(u.password, "");
		assert_string_equal(u.user, "");
	}
	assert_int_equal(redisurl_parse(NULL, &u, err, sizeof(err)), -1);
}

/* Lengths: each cap is accepted at its limit and refused one byte over. */
static void
test_caps(void **state)
{
	char url[REDISURL_MAX + 64], err[256];
	struct redis_url u;
	size_t n;

	(void)state;
	/* host of REDISURL_HOST_MAX bytes, then one more */
	n = (size_t)snprintf(url, sizeof(url), "redis://");
	memset(url + n, 'a', REDISURL_HOST_MAX);
	url[n + REDISURL_HOST_MAX] = '\0';
	assert_int_equal(redisurl_parse(url, &u, err, sizeof(err)), 0);
	assert_int_equal(strlen(u.host), REDISURL_HOST_MAX);
	strcat(url, "a");
	assert_int_equal(redisurl_parse(url, &u, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "host longer than"));

	/* password of REDISURL_PASSWORD_MAX decoded bytes (written %41) */
	n = (size_t)snprintf(url, sizeof(url), "redis://:");
	for (size_t i = 0; i < REDISURL_PASSWORD_MAX; i++, n += 3)
		memcpy(url + n, "%41", 3);
	snprintf(url + n, sizeof(url) - n, "@h");
	assert_int_equal(redisurl_parse(url, &u, err, sizeof(err)), 0);
	assert_int_equal(strlen(u.password), REDISURL_PASSWORD_MAX);
	n = (size_t)snprintf(url, sizeof(url), "redis://:");
	memset(url + n, 'A', REDISURL_PASSWORD_MAX + 1);
	snprintf(url + n + REDISURL_PASSWORD_MAX + 1, 8, "@h");
	assert_int_equal(redisurl_parse(url, &u, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "password is longer than"));

	/* user name over its cap */
	n = (size_t)snprintf(url, sizeof(url), "redis://");
	memset(url + n, 'u', REDISURL_USER_MAX + 1);
	snprintf(url + n + REDISURL_USER_MAX + 1, 8, ":p@h");
	assert_int_equal(redisurl_parse(url, &u, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "user name is longer than"));

	/* the whole URL over REDISURL_MAX */
	n = (size_t)snprintf(url, sizeof(url), "redis://h/");
	memset(url + n, '0', REDISURL_MAX);
	url[REDISURL_MAX + 1] = '\0';
	assert_int_equal(redisurl_parse(url, &u, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "longer than 2048"));
}

/* No message quotes the user name or the password, whatever is wrong. */
static void
test_no_secret_in_messages(void **state)
{
	static const char *const bad[] = {
		"redis://SECRETUSER:SECRETPW%zz@h",
		"redis://SECRETUSER%G0:SECRETPW@h",
		"redis://SECRETUSER:SECRETPW@h:0",
		"redis://SECRETUSER:SECRETPW@h@x",
		"redis://SECRETUSER:SECRETPW\"@h",
		"redis://SECRETUSER:SECRETPW@h/x",
		"redis://SECRETUSER:SECRETPW@h?x",
		"redis://SECRETUSER:SECRETPW@[::1",
		"redis://SECRETUSER:SECRETPW@h!",
		"redis://SECRETUSER@h",
		"redis://SECRETUSER:SECRETPW@h\n",
		"redis://SECRETUSER:SECRETPW%00@h",
	};
	struct redis_url u;
	char err[256];
	size_t i;

	(void)state;
	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		assert_int_equal(redisurl_parse(bad[i], &u, err, sizeof(err)), -1);
		if (strstr(err, "SECRET") != NULL)
			fail_msg("%s: message quotes a secret: %s", bad[i], err);
	}
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_accepted_forms),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_caps),
		cmocka_unit_test(test_no_secret_in_messages),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
