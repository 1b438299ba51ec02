/* cmetrics.c -- the coordinator's registry, its counters, and the scrape-time collection (PostgreSQL gauges, events consumer lag). */
#include "cmetrics.h"

#include <stdio.h>
#include <string.h>

#include "clock.h"
#include "config.h"
#include "fleet.h"
#include "kafkaconn.h"
#include "log.h"
#include "metrics.h"
#include "odstats.h"

#define CMETRICS_TYPE_MAX	96	/* longest problem type kept as a label */

static struct {
	struct metrics		*m;
	struct metrics_family	*problems, *ratelimits, *holds, *events,
				*published, *primed, *last_prime, *lag,
				*target_up, *target_other,
				*od_decisions, *od_events,
				*resealed, *reseal_left,
				*tls_reloads, *tls_not_after;
	uint64_t		 od_seen[ODSTATS_N];	/* exported so far */
	struct fleet		*fleet;
	rd_kafka_t		*consumer;
	rd_kafka_t		*lag_client;	/* watermark requests */
} cm;

static const char *const cmetrics_l_type[] = { "type" };
static const char *const cmetrics_l_ca_endpoint[] = { "ca", "endpoint" };
static const char *const cmetrics_l_ca_limit[] = { "ca", "limit" };
static const char *const cmetrics_l_kind_outcome[] = { "kind", "outcome" };
static const char *const cmetrics_l_lag[] = { "topic", "partition" };
static const char *const cmetrics_l_decision[] = { "decision" };
static const char *const cmetrics_l_event[] = { "event" };
static const char *const cmetrics_l_target[] = { "target" };
static const char *const cmetrics_l_result[] = { "result" };

static const struct {
	struct metrics_family	**fam;
	enum metrics_type	 type;
	const char		*name;
	const char		*help;
	const char *const	*labels;
	size_t			 nlabels;
} cmetrics_defs[] = {
	{ &cm.problems, METRICS_COUNTER, "certfleet_problems_total",
	    "Problems recorded for jobs, by type (ACME and certfleet URNs; "
	    "anything else is \"other\").", cmetrics_l_type, 1 },
	{ &cm.ratelimits, METRICS_COUNTER, "certfleet_rate_limit_hits_total",
	    "Rate limits CAs answered (429, 503, rateLimited), by CA and the "
	    "endpoint refused.", cmetrics_l_ca_endpoint, 2 },
	{ &cm.holds, METRICS_COUNTER, "certfleet_budget_holds_total",
	    "Orders the relay held back because they did not fit a CA's budget, "
	    "by CA and limit.", cmetrics_l_ca_limit, 2 },
	{ &cm.events, METRICS_COUNTER, "certfleet_events_total",
	    "Worker events the result consumer handled, by kind and outcome.",
	    cmetrics_l_kind_outcome, 2 },
	{ &cm.published, METRICS_COUNTER, "certfleet_outbox_published_total",
	    "Outbox rows the relay published (acknowledged by Kafka).", NULL, 0 },
	{ &cm.primed, METRICS_COUNTER, "certfleet_primer_primed_total",
	    "Certificates the primer wrote into Redis.", NULL, 0 },
	{ &cm.last_prime, METRICS_GAUGE,
	    "certfleet_primer_last_prime_timestamp_seconds",
	    "Unix time of the last primer pass that primed a certificate (0: "
	    "none since the coordinator started).", NULL, 0 },
	{ &cm.target_up, METRICS_GAUGE, "certfleet_primer_target_up",
	    "1 when the primer's last pass could work on the Redis target, 0 "
	    "when it is down or another fleet holds it.", cmetrics_l_target, 1 },
	{ &cm.target_other, METRICS_GAUGE, "certfleet_primer_target_other_fleet",
	    "1 when another fleet's coordinators hold the Redis target "
	    "(certfleet:prime:owner): nothing is written there.",
	    cmetrics_l_target, 1 },
	{ &cm.lag, METRICS_GAUGE, "certfleet_kafka_consumer_lag",
	    "Messages of an assigned partition the consumer has not fetched "
	    "yet (high watermark minus position), measured at the scrape.",
	    cmetrics_l_lag, 2 },
	{ &cm.resealed, METRICS_COUNTER, "certfleet_resealed_total",
	    "Secrets sealed again under the master key by a rotation "
	    "(CERTFLEET_MASTER_KEYS_OPEN_ONLY; schedule/reseal.h).", NULL, 0 },
	{ &cm.reseal_left, METRICS_GAUGE, "certfleet_reseal_left",
	    "Secrets sealed under any key but the master key, counted at the "
	    "end of the last re-seal pass; passes run only while "
	    "CERTFLEET_MASTER_KEYS_OPEN_ONLY is set (-1 until the first ends, "
	    "0 without). 0 after a pass: the open-only keys can be removed.",
	    NULL, 0 },
	{ &cm.tls_reloads, METRICS_COUNTER, "certfleet_api_tls_reloads_total",
	    "Changed API certificate/key files read again (SIGHUP or every "
	    "CERTFLEET_API_TLS_RELOAD_S): ok when swapped in, failed when "
	    "refused (the pair in use stays).", cmetrics_l_result, 1 },
	{ &cm.tls_not_after, METRICS_GAUGE,
	    "certfleet_api_tls_not_after_seconds",
	    "Unix time the API's TLS certificate in use expires (0 with TLS "
	    "off).", NULL, 0 },
	{ &cm.od_decisions, METRICS_COUNTER, "certfleet_ondemand_decisions_total",
	    "Decisions about names edges asked for on demand: allowed, existing, "
	    "denied_cache, denied_list, denied_webhook, limited (ondemand/"
	    "odstats.h).", cmetrics_l_decision, 1 },
	{ &cm.od_events, METRICS_COUNTER, "certfleet_ondemand_events_total",
	    "On-demand traffic: names asked, invalid lines, certificates "
	    "enrolled, ask webhook calls and their errors (ondemand/odstats.h).",
	    cmetrics_l_event, 1 },
};

int
cmetrics_init(char *err, size_t errlen)
{
	size_t i;

	if ((cm.m = metrics_new()) == NULL) {
		snprintf(err, errlen, "metrics: out of memory");
		return -1;
	}
	for (i = 0; i < sizeof(cmetrics_defs) / sizeof(cmetrics_defs[0]); i++)
		if ((*cmetrics_defs[i].fam = metrics_family_new(cm.m,
		    cmetrics_defs[i].type, cmetrics_defs[i].name,
		    cmetrics_defs[i].help, cmetrics_defs[i].labels,
		    cmetrics_defs[i].nlabels, NULL, 0, err, errlen)) == NULL) {
			cmetrics_free();
			return -1;
		}
	return 0;
}

void
cmetrics_free(void)
{
	fleet_free(cm.fleet);
	if (cm.lag_client != NULL)
		rd_kafka_destroy(cm.lag_client);
	metrics_free(cm.m);
	memset(&cm, 0, sizeof(cm));
}

/* Keeps the label of a problem type bounded: only URNs of the two
 * namespaces, with a short name of letters. */
static const char *
cmetrics_type_label(const char *type)
{
	static const char *const ns[] = {
		"urn:ietf:params:acme:error:", "urn:certfleet:error:",
	};
	size_t i, n, k;

	if (type == NULL || strlen(type) > CMETRICS_TYPE_MAX)
		return "other";
	for (i = 0; i < 2; i++) {
		n = strlen(ns[i]);
		if (strncmp(type, ns[i], n) != 0 || type[n] == '\0')
			continue;
		for (k = n; type[k] != '\0'; k++)
			if (!((type[k] >= 'a' && type[k] <= 'z') ||
			    (type[k] >= 'A' && type[k] <= 'Z')))
				return "other";
		return type;
	}
	return "other";
}

void
cmetrics_problem(const char *type)
{
	metrics_inc_by(cm.problems, (const char *[]){ cmetrics_type_label(type) },
	    1);
}

void
cmetrics_rate_limited(const char *ca, const char *endpoint)
{
	metrics_inc_by(cm.ratelimits, (const char *[]){ ca, endpoint != NULL &&
	    endpoint[0] != '\0' ? endpoint : "unknown" }, 1);
}

void
cmetrics_budget_held(const char *ca, const char *limit)
{
	metrics_inc_by(cm.holds, (const char *[]){ ca, limit }, 1);
}

void
cmetrics_event(const char *kind, const char *outcome)
{
	metrics_inc_by(cm.events, (const char *[]){ kind, outcome }, 1);
}

void
cmetrics_published(int n)
{
	if (n > 0)
		metrics_inc_by(cm.published, NULL, (uint64_t)n);
}

void
cmetrics_primed(int n)
{
	if (n <= 0)
		return;
	metrics_inc_by(cm.primed, NULL, (uint64_t)n);
	metrics_set_by(cm.last_prime, NULL, (double)clock_wall_ms() / 1000.0);
}

void
cmetrics_resealed(long n)
{
	if (n > 0)
		metrics_inc_by(cm.resealed, NULL, (uint64_t)n);
}

void
cmetrics_reseal_left(long n)
{
	metrics_set_by(cm.reseal_left, NULL, (double)n);
}

void
cmetrics_api_tls_reload(int outcome, long not_after)
{
	if (outcome >= 0)
		metrics_inc_by(cm.tls_reloads, (const char *[]){ outcome ?
		    "ok" : "failed" }, 1);
	metrics_set_by(cm.tls_not_after, NULL, (double)not_after);
}

void
cmetrics_prime_target(const char *name, int up, int other_fleet)
{
	metrics_set_by(cm.target_up, (const char *[]){ name }, up ? 1 : 0);
	metrics_set_by(cm.target_other, (const char *[]){ name },
	    other_fleet ? 1 : 0);
}

static void
cmetrics_lag_one(void *arg, const char *topic, int32_t partition, int64_t lag)
{
	char part[16];

	(void)arg;
	snprintf(part, sizeof(part), "%d", (int)partition);
	metrics_set_by(cm.lag, (const char *[]){ topic, part }, (double)lag);
}

/* The on-demand counters (kept in ondemand/odstats.c, process-wide): what
 * they grew by since the last scrape. */
static void
cmetrics_ondemand(void)
{
	uint64_t v;
	int c;

	for (c = 0; c < ODSTATS_N; c++) {
		v = odstats_get((enum odstats_counter)c);
		if (v <= cm.od_seen[c])
			continue;
		metrics_inc_by(odstats_is_decision((enum odstats_counter)c) ?
		    cm.od_decisions : cm.od_events, (const char *[]){
		    odstats_name((enum odstats_counter)c) }, v - cm.od_seen[c]);
		cm.od_seen[c] = v;
	}
}

/* The ops listener's collect callback, on its thread. */
static void
cmetrics_collect(void *arg)
{
	char err[512];

	(void)arg;
	cmetrics_ondemand();
	if (fleet_refresh(cm.fleet, 0, err, sizeof(err)) < 0)
		log_warn("metrics: %s", err);
	metrics_family_reset(cm.lag);
	if (kafkaconn_lag(cm.consumer, cm.lag_client, CMETRICS_LAG_TIMEOUT_MS,
	    cmetrics_lag_one, NULL, err, sizeof(err)) < 0)
		log_warn("metrics: %s", err);
}

int
cmetrics_ops_start(struct ops **out, const struct settings *s,
    rd_kafka_t *consumer, char *err, size_t errlen)
{
	const struct ops_dep deps[] = {
		{ &health_postgres, s->pg },
		{ &health_kafka, s->kafka },
		{ &health_redis, s->redis_url },
	};
	struct ops_conf c = { 0 };
	long refresh;

	*out = NULL;
	if (strcmp(config_str(OPS_LISTEN_ENV, CMETRICS_LISTEN_DEFAULT),
	    "off") == 0)
		return 0;	/* no listener: nothing reads the gauges */
	if (config_long(CMETRICS_REFRESH_ENV, FLEET_REFRESH_DEFAULT_S, 1, 3600,
	    &refresh, err, errlen) < 0 ||
	    (cm.fleet = fleet_new(cm.m, s->pg, &s->cas, refresh, err,
	    errlen)) == NULL ||
	    (cm.lag_client = kafkaconn_lag_client(s->kafka,
	    "certfleet-coordinator-metrics", err, errlen)) == NULL)
		return -1;
	cm.consumer = consumer;
	c.daemon = "coordinator";
	c.metrics = cm.m;
	c.collect = cmetrics_collect;
	c.deps = deps;
	c.ndeps = sizeof(deps) / sizeof(deps[0]);
	return ops_start(out, &c, CMETRICS_LISTEN_DEFAULT, err, errlen);
}
