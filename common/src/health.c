/* health.c -- one round of checks against the services a program depends on: PostgreSQL, Redis, Kafka, the ACME CA. */
#include "health.h"

#include <poll.h>
#include <stdio.h>
#include <string.h>

#include "backoff.h"
#include "clock.h"
#include "config.h"
#include "log.h"

#define HEALTH_WAIT_SLICE_MS	100	/* how often a wait looks at *stop */

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

int
health_wait(const struct health_service *svc, const char *where,
    const volatile sig_atomic_t *stop)
{
	struct backoff b;
	char shown[512], detail[512];
	uint64_t now, down;
	unsigned wait;

	health_redact(where, shown, sizeof(shown));
	backoff_init(&b, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
	while (!*stop) {
		now = clock_mono_ms();
		if (!backoff_due(&b, now)) {
			poll(NULL, 0, HEALTH_WAIT_SLICE_MS);
			continue;
		}
		detail[0] = '\0';
		if (svc->probe(where, detail, sizeof(detail))) {
			if ((down = backoff_ok(&b, clock_mono_ms())) > 0)
				log_info("%s at %s answers, after %.1f s of "
				    "waiting", svc->name, shown,
				    (double)down / 1000.0);
			return 0;
		}
		wait = backoff_failed(&b, clock_mono_ms());
		log_warn("waiting for %s at %s: %s; try %u, next in %.1f s",
		    svc->name, shown, detail, b.failures, (double)wait / 1000.0);
	}
	return -1;
}
