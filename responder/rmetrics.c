/* rmetrics.c -- the responder's registry: lookups by result and requests by route, counted lock-free from the server's threads. */
#include "rmetrics.h"

#include <stdio.h>
#include <string.h>

#include "metrics.h"

#define RMETRICS_ROUTES	4	/* enum token_route */

static struct {
	struct metrics		*m;
	struct metrics_series	*hits, *misses, *redis_errors, *bad_entries;
	struct metrics_series	*routes[RMETRICS_ROUTES];
} rm;

/* A counter family without labels and its one series; NULL with err. */
static struct metrics_series *
rmetrics_counter(const char *name, const char *help, char *err, size_t errlen)
{
	struct metrics_family *f;

	if ((f = metrics_family_new(rm.m, METRICS_COUNTER, name, help, NULL, 0,
	    NULL, 0, err, errlen)) == NULL)
		return NULL;
	return metrics_series(f, NULL);
}

int
rmetrics_init(char *err, size_t errlen)
{
	static const char *const route[] = { "route" };
	struct metrics_family *f;
	size_t i;

	if ((rm.m = metrics_new()) == NULL) {
		snprintf(err, errlen, "metrics: out of memory");
		return -1;
	}
	if ((rm.hits = rmetrics_counter("certfleet_responder_hits_total",
	    "http-01 lookups answered with a key authorization (from the "
	    "memory cache or Redis).", err, errlen)) == NULL ||
	    (rm.misses = rmetrics_counter("certfleet_responder_misses_total",
	    "http-01 lookups of a token Redis does not hold (404).", err,
	    errlen)) == NULL ||
	    (rm.redis_errors = rmetrics_counter(
	    "certfleet_responder_redis_errors_total", "http-01 lookups that "
	    "could not reach Redis (503).", err, errlen)) == NULL ||
	    (rm.bad_entries = rmetrics_counter(
	    "certfleet_responder_bad_entries_total", "http-01 lookups whose "
	    "Redis entry is not a key authorization (500).", err,
	    errlen)) == NULL ||
	    (f = metrics_family_new(rm.m, METRICS_COUNTER,
	    "certfleet_responder_requests_total", "Requests by route: challenge, "
	    "bad-token, healthz, not-found.", route, 1, NULL, 0, err,
	    errlen)) == NULL) {
		rmetrics_free();
		return -1;
	}
	for (i = 0; i < RMETRICS_ROUTES; i++)
		rm.routes[i] = metrics_series(f, (const char *[]){
		    token_route_name((enum token_route)i) });
	return 0;
}

void
rmetrics_free(void)
{
	metrics_free(rm.m);
	memset(&rm, 0, sizeof(rm));
}

void
rmetrics_request(enum token_route r)
{
	if ((unsigned)r < RMETRICS_ROUTES)
		metrics_add(rm.routes[r], 1);
}

void
rmetrics_lookup(int result)
{
	metrics_add(result == 1 ? rm.hits : result == 0 ? rm.misses :
	    result == -1 ? rm.redis_errors : rm.bad_entries, 1);
}

int
rmetrics_ops_start(struct ops **out, const char *redis_url, char *err,
    size_t errlen)
{
	const struct ops_dep deps[] = { { &health_redis, redis_url } };
	struct ops_conf c = { 0 };

	c.daemon = "responder";
	c.metrics = rm.m;
	c.deps = deps;
	c.ndeps = 1;
	return ops_start(out, &c, RMETRICS_LISTEN_DEFAULT, err, errlen);
}
