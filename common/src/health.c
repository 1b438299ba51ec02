/* health.c -- one round of checks against the services a program depends on: PostgreSQL, Redis, Kafka, the ACME CA. */
#include "health.h"

#include <stdio.h>
#include <string.h>

#include "config.h"

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
health_check(const struct health_service *const *services, size_t n,
    FILE *out)
{
	char detail[512], shown[512];
	const char *where;
	size_t i;
	int ok, failed = 0;

	for (i = 0; i < n; i++) {
		detail[0] = '\0';
		if ((where = config_str(services[i]->var, NULL)) == NULL) {
			snprintf(detail, sizeof(detail), "%s is not set",
			    services[i]->var);
			ok = 0;
			where = "-";
		} else
			ok = services[i]->probe(where, detail, sizeof(detail));
		health_redact(where, shown, sizeof(shown));
		fprintf(out, "%-10s  %-6s  %s  %s\n", services[i]->name,
		    ok ? "ok" : "FAILED", shown, detail);
		failed += !ok;
	}
	return failed;
}
