/* scheduler.c -- the ticks' own thread: one round of renewals, ARI re-checks, backfill, sweeper, retention and re-sealing a second, off the main loop. */
#include "scheduler.h"

#include <stdio.h>
#include <stdlib.h>

#include "ari_recheck.h"
#include "bgthread.h"
#include "clock.h"
#include "db.h"
#include "log.h"
#include "renew.h"
#include "reseal.h"
#include "retention.h"
#include "sigalg.h"
#include "sweep.h"

#define SCHEDULER_APPNAME "certfleet-coordinator-schedule"

struct scheduler {
	struct bgthread		 t;
	struct scheduler_conf	 conf;
	struct reseal		 reseal;	/* a master key's rotation */
};

/* One round of every tick on c; each failure is logged, and the next round
 * tries again. */
static void
scheduler_round(struct scheduler *s, PGconn *c)
{
	const struct scheduler_conf *cf = &s->conf;
	char err[1024];

	if (renew_drain(c, cf->v, cf->key_pool, RENEW_DRAIN_BACKLOG,
	    (int)cf->drain_ms, err, sizeof(err)) < 0)
		log_warn("renewals: %s (will retry)", err);
	if (ari_recheck_drain(c, (int)cf->drain_ms / 2, err, sizeof(err)) < 0)
		log_warn("ARI re-checks: %s (will retry)", err);
	if (sigalg_backfill(c, SIGALG_BACKFILL_BATCH, err, sizeof(err)) < 0)
		log_warn("%s (will retry)", err);
	if (sweep_tick(c, cf->sweep_lease_s, SWEEP_PER_TICK, err,
	    sizeof(err)) < 0)
		log_warn("sweeper: %s (will retry)", err);
	if (retention_tick(c, &cf->keep, RETENTION_PER_TICK, err,
	    sizeof(err)) < 0)
		log_warn("retention: %s (will retry)", err);
	if (reseal_tick(c, cf->v, &s->reseal, clock_mono_ms(), err,
	    sizeof(err)) < 0)
		log_warn("%s (will retry)", err);
}

static void *
scheduler_main(void *arg)
{
	struct scheduler *s = arg;
	PGconn *c = NULL;
	char err[1024];
	int lost = 0, ms = 0;	/* the first round at once */

	while (!bgthread_wait(&s->t, ms)) {
		ms = SCHEDULER_EVERY_MS;
		if (db_ensure(&c, s->conf.conninfo, SCHEDULER_APPNAME, err,
		    sizeof(err)) < 0) {
			if (!lost)
				log_warn("schedule: PostgreSQL lost: %s (the "
				    "ticks wait for it)", err);
			lost = 1;
			continue;
		}
		if (lost)
			log_info("schedule: PostgreSQL back, ticks resume");
		lost = 0;
		scheduler_round(s, c);
	}
	if (c != NULL)
		PQfinish(c);
	return NULL;
}

struct scheduler *
scheduler_start(const struct scheduler_conf *conf, char *err, size_t errlen)
{
	struct scheduler *s;

	if ((s = calloc(1, sizeof(*s))) == NULL) {
		snprintf(err, errlen, "schedule: out of memory");
		return NULL;
	}
	s->conf = *conf;
	if (bgthread_start(&s->t, SCHEDULER_THREAD_NAME, SCHEDULER_NICE,
	    scheduler_main, s) < 0) {
		snprintf(err, errlen, "schedule: cannot start the ticks' thread");
		free(s);
		return NULL;
	}
	return s;
}

void
scheduler_stop(struct scheduler *s)
{
	if (s == NULL)
		return;
	bgthread_stop(&s->t);
	free(s);
}
