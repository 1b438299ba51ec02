/* scheduler.c -- the ticks' own thread: one round of renewals, ARI re-checks, backfill, sweeper and retention a second, off the main loop. */
#include "scheduler.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "ari_recheck.h"
#include "db.h"
#include "log.h"
#include "renew.h"
#include "retention.h"
#include "sigalg.h"
#include "sweep.h"

#define SCHEDULER_APPNAME "certfleet-coordinator-schedule"

struct scheduler {
	pthread_t		 thread;
	int			 running;	/* the thread was started */
	pthread_mutex_t		 mu;
	pthread_cond_t		 wake;
	int			 stop;		/* under mu */
	struct scheduler_conf	 conf;
};

/* Waits ms (or not at all for 0) unless a stop is asked; returns 1 when
 * the thread must stop. */
static int
scheduler_wait(struct scheduler *s, int ms)
{
	struct timespec until;
	int stop;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_sec += ms / 1000;
	until.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&s->mu);
	if (ms > 0 && !s->stop)
		pthread_cond_timedwait(&s->wake, &s->mu, &until);
	stop = s->stop;
	pthread_mutex_unlock(&s->mu);
	return stop;
}

/* One round of every tick on c; each failure is logged, and the next round
 * tries again. */
static void
scheduler_round(const struct scheduler_conf *cf, PGconn *c)
{
	char err[1024];

	if (renew_tick(c, cf->v, cf->key_pool, RENEW_PER_TICK, err,
	    sizeof(err)) < 0)
		log_warn("renewals: %s (will retry)", err);
	if (ari_recheck_tick(c, ARI_RECHECK_PER_TICK, err, sizeof(err)) < 0)
		log_warn("ARI re-checks: %s (will retry)", err);
	if (sigalg_backfill(c, SIGALG_BACKFILL_BATCH, err, sizeof(err)) < 0)
		log_warn("%s (will retry)", err);
	if (sweep_tick(c, cf->sweep_lease_s, SWEEP_PER_TICK, err,
	    sizeof(err)) < 0)
		log_warn("sweeper: %s (will retry)", err);
	if (retention_tick(c, cf->outbox_keep_s, cf->idem_keep_s,
	    RETENTION_PER_TICK, err, sizeof(err)) < 0)
		log_warn("retention: %s (will retry)", err);
}

static void *
scheduler_main(void *arg)
{
	struct scheduler *s = arg;
	PGconn *c = NULL;
	char err[1024];
	int nice, lost = 0, ms = 0;	/* the first round at once */

	/* Linux: a thread's name and nice value are its own. */
	prctl(PR_SET_NAME, SCHEDULER_THREAD_NAME, 0, 0, 0);
	errno = 0;
	nice = getpriority(PRIO_PROCESS, 0);
	if (errno != 0 || setpriority(PRIO_PROCESS, (id_t)syscall(SYS_gettid),
	    nice + SCHEDULER_NICE > 19 ? 19 : nice + SCHEDULER_NICE) < 0)
		log_debug("schedule: the ticks' thread keeps its priority");
	while (!scheduler_wait(s, ms)) {
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
		scheduler_round(&s->conf, c);
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
	pthread_mutex_init(&s->mu, NULL);
	pthread_cond_init(&s->wake, NULL);
	if (pthread_create(&s->thread, NULL, scheduler_main, s) != 0) {
		snprintf(err, errlen, "schedule: cannot start the ticks' thread");
		scheduler_stop(s);
		return NULL;
	}
	s->running = 1;
	return s;
}

void
scheduler_stop(struct scheduler *s)
{
	if (s == NULL)
		return;
	if (s->running) {
		pthread_mutex_lock(&s->mu);
		s->stop = 1;
		pthread_cond_signal(&s->wake);
		pthread_mutex_unlock(&s->mu);
		pthread_join(s->thread, NULL);
	}
	pthread_cond_destroy(&s->wake);
	pthread_mutex_destroy(&s->mu);
	free(s);
}
