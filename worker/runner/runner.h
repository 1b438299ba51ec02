/* runner.h -- runs consumed jobs on the ACME engine and reports their progress and results as events. */
#ifndef CERTFLEET_RUNNER_H
#define CERTFLEET_RUNNER_H

#include <stddef.h>

#include "account_cache.h"
#include "acme.h"
#include "challenge_store.h"
#include "consumer.h"
#include "dns.h"
#include "events.h"
#include "pacer.h"
#include "msgsig.h"

struct runner;

/* The problem type of a failure the worker's own configuration causes (a
 * dns-01 job on a worker with no DNS provider): not retryable, and its
 * detail says what to set. */
#define RUNNER_PROBLEM_CONFIG "urn:certfleet:error:workerConfiguration"

/* How often runner_tick looks for orders to report, in ms. */
#define RUNNER_TICK_MS		250

/* How often a job whose order another worker is opening looks again
 * whether that order exists (or the claim ended), in ms. */
#define RUNNER_CLAIM_WAIT_MS	1000

/* Default of CERTFLEET_WORKER_ORDER_REPORT_MS: an order still running
 * after this long is reported to the coordinator. */
#define RUNNER_ORDER_REPORT_MS	3000

/* Everything a runner drives; all borrowed, all outliving the runner. */
struct runner_deps {
	struct acme_engine	*engine;
	struct consumer		*consumer;
	struct chstore		*chstore;
	struct acache		*acache;
	const char		*ca_file;	/* trust bundle for the CAs, or NULL */
	struct dns		*dns;		/* dns-01 provider, or NULL: none */
	struct pacer		*pacer;		/* learns each job's CA name, or NULL */
	struct msgsig_verifier	*jobkeys;	/* the coordinator's job keys */
	long			 order_report_ms; /* an order running this
					 * long is reported to the coordinator
					 * (0: at once) */
	const char		*worker_id;	/* names its order claims
					 * (challenge_store.h) */
};

/* Returns a runner, or NULL when memory runs out. */
struct runner *runner_new(const struct runner_deps *deps);

/* Frees the runner; call after acme_engine_free (which ends every job) and
 * after the event producer is flushed. */
void runner_free(struct runner *r);

/* Sets the event producer (created after the runner: its delivery callback
 * is runner_delivered with the runner as opaque). */
void runner_set_events(struct runner *r, struct events *ev);

/* consumer_handler_fn: verifies one message's signature (a job signed by
 * a key of deps->jobkeys, not expired), decodes it and starts its job; a
 * message that is unsigned, badly signed, expired or does not decode is
 * dead-lettered with the reason, and nothing else is done for it. An
 * attempt of an order a job of this worker still runs joins that job: the
 * job takes the newer attempt number, and no second ACME order is
 * opened. */
void runner_handle(void *r, const struct consumer_msg *m);

/* events_delivered_fn for the producer. */
void runner_delivered(void *opaque, int ok, const char *err);

/* Reports to the coordinator the URL of every order that has run
 * deps->order_report_ms without its result (all: of every order, at once,
 * as a stopping worker does, which also drops, uncommitted, the jobs
 * waiting for another worker's order); and every RUNNER_CLAIM_WAIT_MS,
 * lets such a waiting job look again. Call it from the main loop (it scans
 * the jobs at most every RUNNER_TICK_MS unless all). */
void runner_tick(struct runner *r, int all);

/* Jobs started and not yet reported. */
size_t runner_active(const struct runner *r);

#endif
