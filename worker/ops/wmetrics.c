/* wmetrics.c -- the worker's registry: ACME request latency per CA and endpoint, answers by status, waits between requests by reason, jobs by result and duration, consumer lag. */
#include "wmetrics.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "kafkaconn.h"
#include "log.h"
#include "metrics.h"

/* Request durations: a local Pebble answers in a millisecond, a distant
 * CA in tens to hundreds, a stuck one at the request timeout (30 s). */
static const double wmetrics_buckets[] = {
	0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5,
	10, 30,
};

/* Waits between an order's requests: a poll step (0.25 s up), a CA's
 * Retry-After (seconds to minutes), pacing, the gate (ms to 30 s). */
static const double wmetrics_wait_buckets[] = {
	0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60, 300,
};

/* Jobs, received to result reported: an order against a local Pebble
 * takes about a second, against a slow CA minutes. */
static const double wmetrics_job_buckets[] = {
	0.25, 0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800,
};

static struct {
	struct metrics		*m;
	struct metrics_family	*duration, *requests, *waits, *jobs, *jobtime;
	struct metrics_family	*inflight, *lag;
	struct metrics_series	*inflight_s;
	struct consumer		*consumer;
	rd_kafka_t		*lag_client;	/* watermark requests */
	struct {
		char	dir[ACME_URL_MAX + 1];
		char	name[METRICS_VALUE_MAX + 1];
	} cas[WMETRICS_CAS_MAX];
	size_t			 ncas;
} wm;

/* Adds one family to the registry; NULL with err. */
static struct metrics_family *
wmetrics_family(enum metrics_type type, const char *name, const char *help,
    const char *const *labels, size_t nlabels, char *err, size_t errlen)
{
	return metrics_family_new(wm.m, type, name, help, labels, nlabels,
	    type == METRICS_HISTOGRAM ? wmetrics_buckets : NULL,
	    type == METRICS_HISTOGRAM ? sizeof(wmetrics_buckets) /
	    sizeof(wmetrics_buckets[0]) : 0, err, errlen);
}

int
wmetrics_init(char *err, size_t errlen)
{
	static const char *const ca_ep[] = { "ca", "endpoint", "code" };
	static const char *const ca_why[] = { "ca", "reason" };
	static const char *const job[] = { "kind", "result" };
	static const char *const lag[] = { "topic", "partition" };

	if ((wm.m = metrics_new()) == NULL) {
		snprintf(err, errlen, "metrics: out of memory");
		return -1;
	}
	if ((wm.duration = wmetrics_family(METRICS_HISTOGRAM,
	    "certfleet_acme_request_duration_seconds", "ACME requests the "
	    "worker made, by CA and endpoint: the HTTP transfer, first byte out "
	    "to last byte in.", ca_ep, 2, err, errlen)) == NULL ||
	    (wm.requests = wmetrics_family(METRICS_COUNTER,
	    "certfleet_acme_requests_total", "ACME requests the worker made, by "
	    "CA, endpoint and HTTP status (0: no usable response).", ca_ep, 3,
	    err, errlen)) == NULL ||
	    (wm.waits = metrics_family_new(wm.m, METRICS_HISTOGRAM,
	    "certfleet_acme_wait_seconds", "Waits of ACME operations between "
	    "two of their requests, by CA and reason: poll (the worker's own "
	    "poll schedule), retry_after (the CA's Retry-After), pacing, gate "
	    "(newOrder and authorization fetches taking turns), directory, "
	    "dns (a dns-01 record being published), claim (another worker "
	    "opening the job's order, before its first request).", ca_why, 2,
	    wmetrics_wait_buckets, sizeof(wmetrics_wait_buckets) /
	    sizeof(wmetrics_wait_buckets[0]), err, errlen)) == NULL ||
	    (wm.jobs = wmetrics_family(METRICS_COUNTER, "certfleet_jobs_total",
	    "Jobs the worker finished, by kind and the kind of their result "
	    "event.", job, 2, err, errlen)) == NULL ||
	    (wm.jobtime = metrics_family_new(wm.m, METRICS_HISTOGRAM,
	    "certfleet_job_duration_seconds", "Jobs the worker finished, by "
	    "kind: from the job taken off Kafka to its result handed to the "
	    "producer.", job, 1, wmetrics_job_buckets,
	    sizeof(wmetrics_job_buckets) / sizeof(wmetrics_job_buckets[0]), err,
	    errlen)) == NULL ||
	    (wm.inflight = wmetrics_family(METRICS_GAUGE,
	    "certfleet_jobs_in_flight", "Jobs consumed and not yet reported.",
	    NULL, 0, err, errlen)) == NULL ||
	    (wm.lag = wmetrics_family(METRICS_GAUGE, "certfleet_kafka_consumer_lag",
	    "Messages of an assigned partition the consumer has not fetched "
	    "yet (high watermark minus position), measured at the scrape.", lag,
	    2, err, errlen)) == NULL) {
		wmetrics_free();
		return -1;
	}
	wm.inflight_s = metrics_series(wm.inflight, NULL);
	return 0;
}

void
wmetrics_free(void)
{
	if (wm.lag_client != NULL)
		rd_kafka_destroy(wm.lag_client);
	metrics_free(wm.m);
	memset(&wm, 0, sizeof(wm));
}

void
wmetrics_ca_seen(const char *name, const char *directory)
{
	size_t i;

	if (wm.m == NULL || name == NULL || directory == NULL ||
	    strlen(directory) > ACME_URL_MAX)
		return;
	for (i = 0; i < wm.ncas; i++)
		if (strcmp(wm.cas[i].dir, directory) == 0) {
			snprintf(wm.cas[i].name, sizeof(wm.cas[i].name), "%s", name);
			return;
		}
	if (wm.ncas == WMETRICS_CAS_MAX)
		return;
	snprintf(wm.cas[wm.ncas].dir, sizeof(wm.cas[0].dir), "%s", directory);
	snprintf(wm.cas[wm.ncas].name, sizeof(wm.cas[0].name), "%s", name);
	wm.ncas++;
}

static const char *
wmetrics_ca_name(const char *directory)
{
	size_t i;

	for (i = 0; i < wm.ncas; i++)
		if (strcmp(wm.cas[i].dir, directory) == 0)
			return wm.cas[i].name;
	return "unknown";
}

void
wmetrics_acme_observe(void *arg, const struct acme_request_stats *s)
{
	char code[16];
	const char *v[3];

	(void)arg;
	if (wm.m == NULL)
		return;
	snprintf(code, sizeof(code), "%ld", s->status);
	v[0] = wmetrics_ca_name(s->directory);
	v[1] = s->endpoint;
	v[2] = code;
	metrics_observe_by(wm.duration, v, s->seconds);
	metrics_inc_by(wm.requests, v, 1);
}

void
wmetrics_acme_wait(void *arg, const struct acme_wait_stats *s)
{
	const char *v[2];

	(void)arg;
	if (wm.m == NULL)
		return;
	v[0] = wmetrics_ca_name(s->directory);
	v[1] = acme_wait_name(s->reason);
	metrics_observe_by(wm.waits, v, s->seconds);
}

void
wmetrics_job_done(const char *kind, const char *result, double seconds)
{
	metrics_inc_by(wm.jobs, (const char *[]){ kind, result }, 1);
	metrics_observe_by(wm.jobtime, (const char *[]){ kind }, seconds);
}

void
wmetrics_inflight(size_t n)
{
	metrics_set(wm.inflight_s, (double)n);
}

static void
wmetrics_lag_one(void *arg, const char *topic, int32_t partition, int64_t lag)
{
	char part[16];

	(void)arg;
	snprintf(part, sizeof(part), "%d", (int)partition);
	metrics_set_by(wm.lag, (const char *[]){ topic, part }, (double)lag);
}

/* The ops listener's collect callback: the lag of the consumer's
 * partitions now. */
static void
wmetrics_collect(void *arg)
{
	char err[256];

	(void)arg;
	metrics_family_reset(wm.lag);
	if (consumer_lag(wm.consumer, wm.lag_client, WMETRICS_LAG_TIMEOUT_MS,
	    wmetrics_lag_one, NULL, err, sizeof(err)) < 0)
		log_warn("metrics: %s", err);
}

int
wmetrics_ops_start(struct ops **out, struct consumer *cn,
    const char *bootstrap, const char *client_id, char *err, size_t errlen)
{
	const struct ops_dep deps[] = {
		{ &health_kafka, NULL },
		{ &health_redis, NULL },
	};
	struct ops_conf c = { 0 };

	*out = NULL;
	if (strcmp(config_str(OPS_LISTEN_ENV, WMETRICS_LISTEN_DEFAULT),
	    "off") == 0)
		return 0;	/* no listener: nothing measures the lag */
	if ((wm.lag_client = kafkaconn_lag_client(bootstrap, client_id, err,
	    errlen)) == NULL)
		return -1;
	wm.consumer = cn;
	c.daemon = "worker";
	c.metrics = wm.m;
	c.collect = wmetrics_collect;
	c.deps = deps;
	c.ndeps = sizeof(deps) / sizeof(deps[0]);
	return ops_start(out, &c, WMETRICS_LISTEN_DEFAULT, err, errlen);
}
