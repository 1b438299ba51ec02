/* retention.h -- rows kept only for a while: outbox rows once sent, Idempotency-Keys, budget rows past their windows, events applied and rate-limit hits long ago, deleted in small batches. */
#ifndef CERTFLEET_COORD_RETENTION_H
#define CERTFLEET_COORD_RETENTION_H

#include <stddef.h>

#include <libpq-fe.h>

#define RETENTION_PER_TICK		1000	/* rows of each kind per tick */
#define RETENTION_OUTBOX_DEFAULT_S	(7 * 86400)	/* CERTFLEET_OUTBOX_RETENTION_S */
#define RETENTION_IDEM_DEFAULT_S	86400	/* CERTFLEET_IDEMPOTENCY_RETENTION_S */
#define RETENTION_EVENTS_DEFAULT_S	(30 * 86400)	/* CERTFLEET_PROCESSED_EVENTS_RETENTION_S */
#define RETENTION_HITS_DEFAULT_S	(90 * 86400)	/* CERTFLEET_RATE_LIMIT_HITS_RETENTION_S */
#define RETENTION_BUDGET_MARGIN_S	86400	/* kept past the budgets' windows */

/* How long each kind of row is kept, in seconds. */
struct retention_keep {
	long	outbox_s;	/* a job's outbox row, once sent */
	long	idem_s;		/* an Idempotency-Key */
	long	events_s;	/* processed_events: an event applied */
	long	hits_s;		/* rate_limit_hits: a CA's 429, 503 or rateLimited */
};

/*
 * Deletes, oldest first, at most limit rows of each kind: outbox rows sent
 * more than k->outbox_s seconds ago (the relay never reads them again; they
 * are kept a while to answer "was it sent?"); Idempotency-Keys taken more
 * than k->idem_s ago (a retry after that runs as a new request);
 * budget_issued rows older than the budgets' 7-day windows and a day
 * (outbox/budget.c never reads them); processed_events rows applied more
 * than k->events_s ago (an event is recognised as applied only while its
 * row is kept, so k->events_s must stay above the events topic's
 * retention); rate_limit_hits rows seen more than k->hits_s ago (history
 * for an operator: nothing reads them back). All five in one round trip.
 * Returns the rows deleted, or -1 with err.
 */
long retention_tick(PGconn *c, const struct retention_keep *k, int limit,
    char *err, size_t errlen);

#endif
