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
health_run(const struct health_service *const *services, size_t n,
    struct health_result *results)
{
	struct health_result *r;
	const char *where;
	size_t i;
	int failed = 0;

	for (i = 0; i < n; i++) {
		r = &results[i];
		r->name = services[i]->name;
		r->detail[0] = '\0';
		if ((where = config_str(services[i]->var, NULL)) == NULL) {
			snprintf(r->detail, sizeof(r->detail), "%s is not set",
			    services[i]->var);
			r->ok = 0;
			where = "-";
		} else
			r->ok = services[i]->probe(where, r->detail,
			    sizeof(r->detail));
		health_redact(where, r->where, sizeof(r->where));
		failed += !r->ok;
	}
	return failed;
}

int
health_check(const struct health_service *const *services, size_t n,
    FILE *out)
{
	struct health_result r;
	size_t i;
	int failed = 0;

	for (i = 0; i < n; i++) {
		failed += health_run(&services[i], 1, &r);
		fprintf(out, "%-10s  %-6s  %s  %s\n", r.name, r.ok ? "ok" :
		    "FAILED", r.where, r.detail);
	}
	return failed;
}
