/* health.c -- one round of checks against the services a program depends on: PostgreSQL, Redis, Kafka, the ACME CA. */
#include "health.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "health_int.h"

/*
 * Each probe is built into the library of the service it talks to
 * (health_postgres.c into certfleet_pgconn...), and linking that library
 * brings the probe with it (common/CMakeLists.txt). The references here are
 * weak so that this file pulls in no service: certfleet-responder links
 * certfleet_redisconn only, and its health_check(HEALTH_REDIS) leaves libpq,
 * librdkafka and libcurl out of the program. A probe that is not linked in
 * is NULL, and asking for its service fails with "not built into this
 * program" rather than crashing.
 */
#pragma weak health_postgres
#pragma weak health_redis
#pragma weak health_kafka
#pragma weak health_acme

static const struct {
	unsigned	  bit;
	const char	 *name;
	const char	 *var;
	health_probe_fn	 *check;	/* NULL when not linked in */
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
		} else if (health_services[i].check == NULL) {
			snprintf(detail, sizeof(detail),
			    "not built into this program");
			ok = 0;
		} else
			ok = health_services[i].check(where, detail, sizeof(detail));
		health_redact(where, shown, sizeof(shown));
		fprintf(out, "%-10s  %-6s  %s  %s\n", health_services[i].name,
		    ok ? "ok" : "FAILED", shown, detail);
		failed += !ok;
	}
	return failed;
}
