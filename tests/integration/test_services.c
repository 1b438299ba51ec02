/* test_services.c -- integration test: every service of the local stack answers through common/'s helpers. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>

#include "config.h"
#include "health.h"
#include "httpget.h"
#include "kafkaconn.h"
#include "pgconn.h"
#include "redisconn.h"

static const char *
need(const char *var)
{
	const char *v = config_str(var, NULL);

	if (v == NULL)
		fail_msg("%s is not set: run under tests/integration/with-env", var);
	return v;
}

static void
test_postgres(void **state)
{
	char err[512];
	PGconn *c;
	PGresult *r;

	(void)state;
	c = pgconn_open(need("CERTFLEET_PG"), "test_services", err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(pgconn_ping(c, err, sizeof(err)), 1);
	r = PQexec(c, "SELECT current_database(), current_setting('server_version_num')::int >= 150000");
	assert_int_equal(PQresultStatus(r), PGRES_TUPLES_OK);
	assert_string_equal(PQgetvalue(r, 0, 0), "certfleet");
	assert_string_equal(PQgetvalue(r, 0, 1), "t");
	PQclear(r);
	PQfinish(c);

	/* A wrong port is an error with a message, not a crash. */
	assert_null(pgconn_open("postgresql://certfleet@127.0.0.1:1/certfleet",
	    "test_services", err, sizeof(err)));
	assert_non_null(strstr(err, "connect"));
}

static void
test_redis(void **state)
{
	redisContext *c;
	redisReply *r;
	char err[512];

	(void)state;
	c = redisconn_open(need("REDIS_URL"), 9, 2000, err, sizeof(err));
	if (c == NULL)
		fail_msg("%s", err);
	assert_int_equal(redisconn_ping(c, err, sizeof(err)), 1);
	r = redisCommand(c, "SET certfleet:test:k %s EX 60", "v");
	assert_non_null(r);
	freeReplyObject(r);
	r = redisCommand(c, "GET certfleet:test:k");
	assert_int_equal(r->type, REDIS_REPLY_STRING);
	assert_string_equal(r->str, "v");
	freeReplyObject(r);
	r = redisCommand(c, "DEL certfleet:test:k");
	freeReplyObject(r);
	redisFree(c);

	assert_null(redisconn_open("redis://127.0.0.1:1", -1, 500, err, sizeof(err)));
	assert_non_null(strstr(err, "connect"));
}

static void
test_kafka(void **state)
{
	const char *topics[] = { kafkaconn_topic_jobs(), kafkaconn_topic_events(),
	    kafkaconn_topic_dlq() };
	const char *missing[] = { "certfleet.no-such-topic" };
	char err[512];
	int n;

	(void)state;
	n = kafkaconn_check(need("KAFKA_BOOTSTRAP"), 10000, topics, 3, err, sizeof(err));
	if (n < 0)
		fail_msg("%s", err);
	assert_int_equal(n, 1);
	assert_int_equal(kafkaconn_check(need("KAFKA_BOOTSTRAP"), 10000, missing, 1,
	    err, sizeof(err)), -1);
	assert_non_null(strstr(err, "does not exist"));
}

static void
test_acme_directory(void **state)
{
	struct http_response r;
	json_t *dir;
	char err[512];

	(void)state;
	if (http_get(need("ACME_DIRECTORY"), need("PEBBLE_TLS_CA"), 65536, &r,
	    err, sizeof(err)) < 0)
		fail_msg("%s", err);
	assert_int_equal(r.status, 200);
	dir = json_loadb(r.body, r.len, 0, NULL);
	assert_non_null(dir);
	assert_true(json_is_string(json_object_get(dir, "newNonce")));
	assert_true(json_is_string(json_object_get(dir, "newOrder")));
	json_decref(dir);
	http_response_free(&r);

	/* Without the CA bundle, Pebble's TLS certificate is not trusted. */
	assert_int_equal(http_get(need("ACME_DIRECTORY"), "/dev/null", 65536, &r,
	    err, sizeof(err)), -1);
	/* The body cap holds. */
	assert_int_equal(http_get(need("ACME_DIRECTORY"), need("PEBBLE_TLS_CA"), 16,
	    &r, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "over 16 bytes"));
}

static void
test_health_all(void **state)
{
	(void)state;
	static const struct health_service *const all[] = {
		&health_postgres, &health_redis, &health_kafka, &health_acme,
	};

	assert_int_equal(health_check(all, 4, stdout), 0);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_postgres),
		cmocka_unit_test(test_redis),
		cmocka_unit_test(test_kafka),
		cmocka_unit_test(test_acme_directory),
		cmocka_unit_test(test_health_all),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
