/* enroll_group.c -- group commit of single enrollments: concurrent requests' writes go to PostgreSQL as one batch in one transaction. */
#include "enroll_group.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "db.h"
#include "log.h"

/* One waiting thread's item, on that thread's stack. */
struct eg_wait {
	struct enroll_batch_item	*it;
	struct eg_wait			*next;
	int				 done;
	int				 rc;
	char				 err[256];
};

struct enroll_group {
	pthread_mutex_t	 mu;
	pthread_cond_t	 cv;		/* a batch written */
	pthread_cond_t	 handed;	/* an item queued, or a thread left */
	struct eg_wait	*head, *tail;	/* queued, not yet taken */
	size_t		 queued;	/* items from head to tail */
	size_t		 coming;	/* entered, item not queued yet */
	int		 writing;	/* a leader is writing a batch */
	unsigned long	 batches, items;
	unsigned long	 waits, timeouts;	/* eg_linger's */
};

struct enroll_group *
enroll_group_new(void)
{
	struct enroll_group *g;
	pthread_condattr_t ca;

	if ((g = calloc(1, sizeof(*g))) == NULL)
		return NULL;
	if (pthread_mutex_init(&g->mu, NULL) != 0) {
		free(g);
		return NULL;
	}
	if (pthread_cond_init(&g->cv, NULL) != 0)
		goto mu;
	/* the leader's wait is timed on the monotonic clock */
	if (pthread_condattr_init(&ca) != 0)
		goto cv;
	if (pthread_condattr_setclock(&ca, CLOCK_MONOTONIC) != 0 ||
	    pthread_cond_init(&g->handed, &ca) != 0) {
		pthread_condattr_destroy(&ca);
		goto cv;
	}
	pthread_condattr_destroy(&ca);
	return g;
cv:
	pthread_cond_destroy(&g->cv);
mu:
	pthread_mutex_destroy(&g->mu);
	free(g);
	return NULL;
}

void
enroll_group_free(struct enroll_group *g)
{
	if (g == NULL)
		return;
	pthread_cond_destroy(&g->handed);
	pthread_cond_destroy(&g->cv);
	pthread_mutex_destroy(&g->mu);
	free(g);
}

void
enroll_group_enter(struct enroll_group *g)
{
	pthread_mutex_lock(&g->mu);
	g->coming++;
	pthread_mutex_unlock(&g->mu);
}

void
enroll_group_leave(struct enroll_group *g)
{
	pthread_mutex_lock(&g->mu);
	if (g->coming > 0)
		g->coming--;
	pthread_cond_signal(&g->handed);
	pthread_mutex_unlock(&g->mu);
}

void
enroll_group_counts(struct enroll_group *g, struct enroll_group_stats *st)
{
	pthread_mutex_lock(&g->mu);
	st->batches = g->batches;
	st->items = g->items;
	st->waits = g->waits;
	st->timeouts = g->timeouts;
	pthread_mutex_unlock(&g->mu);
}

_Static_assert(ENROLL_GROUP_MAX <= ENROLL_AUDIT_MAX,
    "a batch's audit rows go in one statement");

/* The leader's write of the batch w[0..n): together, else one by one. */
static void
eg_flush(PGconn *c, const struct settings *s, struct eg_wait **w, size_t n)
{
	struct enroll_batch_item items[ENROLL_GROUP_MAX];
	char err[256];
	size_t i;

	for (i = 0; i < n; i++)
		items[i] = *w[i]->it;
	if (n > 1) {
		if (enroll_batch_commit(c, s, items, n, err, sizeof(err)) == 1) {
			for (i = 0; i < n; i++) {
				*w[i]->it = items[i];
				w[i]->rc = 1;
			}
			return;
		}
		log_warn("api: a group of %zu enrollments failed (%s); each is "
		    "written alone", n, err);
	}
	for (i = 0; i < n; i++) {
		w[i]->rc = enroll_batch_commit(c, s, w[i]->it, 1, w[i]->err,
		    sizeof(w[i]->err));
	}
}

/* With g->mu held and g->writing set: waits while threads that entered
 * have not queued their item yet, the batch is not full and
 * ENROLL_GROUP_LINGER_US has not passed since the wait began. */
static void
eg_linger(struct enroll_group *g)
{
	struct timespec until;

	if (g->coming == 0 || g->queued >= ENROLL_GROUP_MAX)
		return;
	clock_gettime(CLOCK_MONOTONIC, &until);
	until.tv_nsec += ENROLL_GROUP_LINGER_US * 1000L;
	if (until.tv_nsec >= 1000000000L) {
		until.tv_sec++;
		until.tv_nsec -= 1000000000L;
	}
	g->waits++;
	while (g->coming > 0 && g->queued < ENROLL_GROUP_MAX)
		if (pthread_cond_timedwait(&g->handed, &g->mu, &until) ==
		    ETIMEDOUT) {
			g->timeouts++;
			break;
		}
}

/* With g->mu held and no write under way: lingers (eg_linger), takes up
 * to ENROLL_GROUP_MAX queued items, writes them without the lock, marks
 * them done. */
static void
eg_lead(struct enroll_group *g, PGconn *c, const struct settings *s)
{
	struct eg_wait *batch[ENROLL_GROUP_MAX];
	size_t n = 0, i;

	g->writing = 1;
	eg_linger(g);
	while (g->head != NULL && n < ENROLL_GROUP_MAX) {
		batch[n++] = g->head;
		g->head = g->head->next;
	}
	if (g->head == NULL)
		g->tail = NULL;
	g->queued -= n;
	pthread_mutex_unlock(&g->mu);
	eg_flush(c, s, batch, n);
	pthread_mutex_lock(&g->mu);
	for (i = 0; i < n; i++)
		batch[i]->done = 1;
	g->batches++;
	g->items += n;
	g->writing = 0;
	pthread_cond_broadcast(&g->cv);
}

int
enroll_group_write(struct enroll_group *g, PGconn *c,
    const struct settings *s, struct enroll_batch_item *it, char *err,
    size_t errlen)
{
	struct eg_wait w;

	memset(&w, 0, sizeof(w));
	w.it = it;
	pthread_mutex_lock(&g->mu);
	if (g->tail != NULL)
		g->tail->next = &w;
	else
		g->head = &w;
	g->tail = &w;
	g->queued++;
	if (g->coming > 0)
		g->coming--;
	pthread_cond_signal(&g->handed);
	while (!w.done) {
		if (!g->writing)
			eg_lead(g, c, s);
		else
			pthread_cond_wait(&g->cv, &g->mu);
	}
	pthread_mutex_unlock(&g->mu);
	if (w.rc < 0)
		snprintf(err, errlen, "%s", w.err);
	return w.rc;
}
