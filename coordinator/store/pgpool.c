/* pgpool.c -- a bounded pool of PostgreSQL connections: slots under one mutex, a condition variable for the wait, connects and checks outside the lock. */
#include "pgpool.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"
#include "pgconn.h"

struct pgpool_slot {
	PGconn	*conn;		/* open connection, or NULL */
	int	 held;		/* taken by a caller: conn is theirs meanwhile */
};

struct pgpool {
	pthread_mutex_t		 mu;
	pthread_cond_t		 freed;	/* a slot was given back */
	char			*conninfo;
	char			*appname;
	int			 size;
	int			 wait_ms;
	int			 nheld;
	struct pgpool_slot	*slot;
};

struct pgpool *
pgpool_new(const char *conninfo, const char *appname, int size, int wait_ms,
    char *err, size_t errlen)
{
	struct pgpool *p;
	pthread_condattr_t ca;

	if (size < 1 || size > PGPOOL_MAX || wait_ms < 0) {
		snprintf(err, errlen, "pgpool: size must be 1-%d (not %d)",
		    PGPOOL_MAX, size);
		return NULL;
	}
	if ((p = calloc(1, sizeof(*p))) == NULL ||
	    (p->slot = calloc((size_t)size, sizeof(*p->slot))) == NULL ||
	    (p->conninfo = strdup(conninfo)) == NULL ||
	    (p->appname = strdup(appname)) == NULL) {
		snprintf(err, errlen, "pgpool: out of memory");
		if (p != NULL) {
			free(p->slot);
			free(p->conninfo);
			free(p);
		}
		return NULL;
	}
	p->size = size;
	p->wait_ms = wait_ms;
	pthread_mutex_init(&p->mu, NULL);
	/* The wait's deadline is on the monotonic clock. */
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&p->freed, &ca);
	pthread_condattr_destroy(&ca);
	return p;
}

void
pgpool_free(struct pgpool *p)
{
	int i;

	if (p == NULL)
		return;
	for (i = 0; i < p->size; i++)
		if (p->slot[i].conn != NULL)
			PQfinish(p->slot[i].conn);
	pthread_cond_destroy(&p->freed);
	pthread_mutex_destroy(&p->mu);
	free(p->slot);
	free(p->conninfo);
	free(p->appname);
	free(p);
}

/* An idle connection has nothing to read: we never LISTEN, so a readable
 * socket means the server sent a termination notice or closed it. 1 when
 * it is fit to use, 0 when it must be replaced. */
static int
pgpool_fit(PGconn *c)
{
	struct pollfd pfd;

	if (PQstatus(c) != CONNECTION_OK || PQtransactionStatus(c) !=
	    PQTRANS_IDLE || (pfd.fd = PQsocket(c)) < 0)
		return 0;
	pfd.events = POLLIN;
	pfd.revents = 0;
	return poll(&pfd, 1, 0) == 0;
}

/* Under the lock: a free slot, an open one first. -1 when none. */
static int
pgpool_pick(struct pgpool *p)
{
	int i, closed = -1;

	for (i = 0; i < p->size; i++) {
		if (p->slot[i].held)
			continue;
		if (p->slot[i].conn != NULL)
			return i;
		if (closed < 0)
			closed = i;
	}
	return closed;
}

/* Under the lock: gives slot i back with connection c (NULL: closed). */
static void
pgpool_put(struct pgpool *p, int i, PGconn *c)
{
	p->slot[i].conn = c;
	p->slot[i].held = 0;
	p->nheld--;
	pthread_cond_signal(&p->freed);
}

PGconn *
pgpool_acquire(struct pgpool *p, char *err, size_t errlen)
{
	struct timespec deadline;
	PGconn *c;
	int i, rc = 0;

	clock_gettime(CLOCK_MONOTONIC, &deadline);
	deadline.tv_sec += p->wait_ms / 1000;
	deadline.tv_nsec += (long)(p->wait_ms % 1000) * 1000000L;
	if (deadline.tv_nsec >= 1000000000L) {
		deadline.tv_sec++;
		deadline.tv_nsec -= 1000000000L;
	}
	pthread_mutex_lock(&p->mu);
	while ((i = pgpool_pick(p)) < 0 && rc != ETIMEDOUT)
		rc = pthread_cond_timedwait(&p->freed, &p->mu, &deadline);
	if (i < 0) {
		pthread_mutex_unlock(&p->mu);
		snprintf(err, errlen, "pgpool: all %d PostgreSQL connections "
		    "stayed busy for %d ms", p->size, p->wait_ms);
		return NULL;
	}
	c = p->slot[i].conn;
	p->slot[i].conn = NULL;
	p->slot[i].held = 1;
	p->nheld++;
	pthread_mutex_unlock(&p->mu);
	/* Checks and connects happen outside the lock: they may be slow. */
	if (c != NULL && !pgpool_fit(c)) {
		log_info("pgpool: a PostgreSQL connection went away; reconnecting");
		PQfinish(c);
		c = NULL;
	}
	if (c == NULL && (c = pgconn_open(p->conninfo, p->appname, err,
	    errlen)) == NULL) {
		pthread_mutex_lock(&p->mu);
		pgpool_put(p, i, NULL);
		pthread_mutex_unlock(&p->mu);
		return NULL;
	}
	return c;
}

void
pgpool_release(struct pgpool *p, PGconn *c)
{
	PGresult *r;
	int i;

	if (c == NULL)
		return;
	switch (PQtransactionStatus(c)) {
	case PQTRANS_INTRANS:
	case PQTRANS_INERROR:
		/* A caller that forgot its transaction must not hand it on. */
		r = PQexec(c, "ROLLBACK");
		PQclear(r);
		break;
	case PQTRANS_IDLE:
		break;
	default:		/* a query still running, or the link is gone */
		PQfinish(c);
		c = NULL;
	}
	if (c != NULL && PQstatus(c) != CONNECTION_OK) {
		PQfinish(c);
		c = NULL;
	}
	pthread_mutex_lock(&p->mu);
	for (i = 0; i < p->size; i++)
		if (p->slot[i].held && p->slot[i].conn == NULL)
			break;
	/* Slots are interchangeable: any held one takes the connection. */
	if (i < p->size)
		pgpool_put(p, i, c);
	else if (c != NULL)
		PQfinish(c);	/* not ours: cannot happen with a held c */
	pthread_mutex_unlock(&p->mu);
}

int
pgpool_busy(struct pgpool *p)
{
	int n;

	pthread_mutex_lock(&p->mu);
	n = p->nheld;
	pthread_mutex_unlock(&p->mu);
	return n;
}
