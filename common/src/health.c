/* health.c -- one round of checks against PostgreSQL, Redis, Kafka and the ACME CA. */
#include "health.h"

#include <string.h>

#include <jansson.h>

#include "config.h"
#include "httpget.h"
#include "kafkaconn.h"
#include "pgconn.h"
#include "redisconn.h"

#define HEALTH_TIMEOUT_MS 5000
#define HEALTH_DIR_MAX (64 * 1024)	/* an ACME directory is a few hundred bytes */

static int
health_postgres(const char *where, char *detail, size_t len)
{
	PGconn *c;
	int ok;

	if ((c = pgconn_open(where, "certfleet-health", detail, len)) == NULL)
		return 0;
	ok = pgconn_ping(c, detail, len) == 1;
	if (ok)
		snprintf(detail, len, "server %d", PQserverVersion(c));
	PQfinish(c);
	return ok;
}

static int
health_redis(const char *where, char *detail, size_t len)
{
	redisContext *c;
	int ok;

	if ((c = redisconn_open(where, -1, HEALTH_TIMEOUT_MS, detail, len)) == NULL)
		return 0;
	ok = redisconn_ping(c, detail, len) == 1;
	if (ok)
		snprintf(detail, len, "PONG");
	redisFree(c);
	return ok;
}

static int
health_kafka(const char *where, char *detail, size_t len)
{
	const char *topics[3];
	int n;

	topics[0] = kafkaconn_topic_jobs();
	topics[1] = kafkaconn_topic_events();
	topics[2] = kafkaconn_topic_dlq();
	if ((n = kafkaconn_check(where, HEALTH_TIMEOUT_MS, topics, 3, detail, len)) < 0)
		return 0;
	snprintf(detail, len, "%d broker(s), topics %s %s %s", n, topics[0],
	    topics[1], topics[2]);
	return 1;
}

static int
health_acme(const char *where, char *detail, size_t len)
{
	struct http_response r;
	json_error_t je;
	json_t *dir = NULL;
	int ok = 0;

	if (http_get(where, config_str("PEBBLE_TLS_CA", NULL), HEALTH_DIR_MAX, &r,
	    detail, len) < 0)
		return 0;
	if (r.status != 200)
		snprintf(detail, len, "directory answered HTTP %ld", r.status);
	else if ((dir = json_loadb(r.body, r.len, 0, &je)) == NULL)
		snprintf(detail, len, "directory is not JSON: %s", je.text);
	else if (!json_is_string(json_object_get(dir, "newNonce")) ||
	    !json_is_string(json_object_get(dir, "newAccount")) ||
	    !json_is_string(json_object_get(dir, "newOrder")))
		snprintf(detail, len, "directory lacks newNonce/newAccount/newOrder");
	else {
		snprintf(detail, len, "directory ok");
		ok = 1;
	}
	json_decref(dir);
	http_response_free(&r);
	return ok;
}

static const struct {
	unsigned	  bit;
	const char	 *name;
	const char	 *var;
	int		(*check)(const char *, char *, size_t);
} health_services[] = {
	{ HEALTH_POSTGRES, "postgresql", "CERTFLEET_PG", health_postgres },
	{ HEALTH_REDIS, "redis", "REDIS_URL", health_redis },
	{ HEALTH_KAFKA, "kafka", "KAFKA_BOOTSTRAP", health_kafka },
	{ HEALTH_ACME, "acme", "ACME_DIRECTORY", health_acme },
};

/* Copies a URL or connection string with any password replaced by "***". */
static void
health_redact(const char *where, char *out, size_t len)
{
	const char *scheme, *at, *colon;

	scheme = strstr(where, "://");
	at = scheme != NULL ? strchr(scheme + 3, '@') : NULL;
	colon = at != NULL ? memchr(scheme + 3, ':', (size_t)(at - scheme - 3)) : NULL;
	if (colon == NULL) {
		snprintf(out, len, "%s", where);
		return;
	}
	snprintf(out, len, "%.*s:***%s", (int)(colon - where), where, at);
}

int
health_check(unsigned services, FILE *out)
{
	char detail[512], shown[512];
	const char *where;
	size_t i;
	int ok, failed = 0;

	for (i = 0; i < sizeof(health_services) / sizeof(health_services[0]); i++) {
		if (!(services & health_services[i].bit))
			continue;
		detail[0] = '\0';
		if ((where = config_str(health_services[i].var, NULL)) == NULL) {
			snprintf(detail, sizeof(detail), "%s is not set",
			    health_services[i].var);
			ok = 0;
			where = "-";
		} else
			ok = health_services[i].check(where, detail, sizeof(detail));
		health_redact(where, shown, sizeof(shown));
		fprintf(out, "%-10s  %-6s  %s  %s\n", health_services[i].name,
		    ok ? "ok" : "FAILED", shown, detail);
		failed += !ok;
	}
	return failed;
}
