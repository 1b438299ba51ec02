/* retention.c -- rows kept only for a while: outbox rows once sent, Idempotency-Keys, budget rows past their windows and events applied long ago, deleted in small batches. */
#include "retention.h"

#include <stdio.h>
#include <stdlib.h>

#include "budget.h"
#include "db.h"

/* Oldest sent first along outbox_sent (0073_outbox_held.sql), which holds
 * the sent rows only: a tick reads the rows it deletes and one more. (Along
 * the primary key, a table with no row old enough was read whole.) */
#define RETENTION_OUTBOX_SQL "DELETE FROM outbox WHERE id IN (SELECT id " \
	"FROM outbox WHERE sent_at < now() - make_interval(secs => " \
	"$1::float8) ORDER BY sent_at LIMIT $2::integer)"
/* along idempotency_keys_created */
#define RETENTION_IDEM_SQL "DELETE FROM idempotency_keys WHERE key IN " \
	"(SELECT key FROM idempotency_keys WHERE created_at < now() - " \
	"make_interval(secs => $1::float8) ORDER BY created_at LIMIT " \
	"$2::integer)"
/* along budget_issued_at and processed_events_at (0091): the rows have no
 * key of their own, so they are named by ctid within the statement */
#define RETENTION_BUDGET_SQL "DELETE FROM budget_issued WHERE ctid = ANY " \
	"(ARRAY(SELECT ctid FROM budget_issued WHERE issued_at < now() - " \
	"make_interval(secs => $1::float8) ORDER BY issued_at LIMIT " \
	"$2::integer))"
#define RETENTION_EVENTS_SQL "DELETE FROM processed_events WHERE ctid = " \
	"ANY (ARRAY(SELECT ctid FROM processed_events WHERE processed_at < " \
	"now() - make_interval(secs => $1::float8) ORDER BY processed_at " \
	"LIMIT $2::integer))"

long
retention_tick(PGconn *c, const struct retention_keep *k, int limit,
    char *err, size_t errlen)
{
	static const char *const what[4] = { "retention outbox",
	    "retention idempotency", "retention budget", "retention events" };
	static const char *const sql[4] = { RETENTION_OUTBOX_SQL,
	    RETENTION_IDEM_SQL, RETENTION_BUDGET_SQL, RETENTION_EVENTS_SQL };
	char keep[4][24], lim[16];
	const char *p[4][2];
	struct db_stmt st[4] = { 0 };
	long n = 0;
	size_t i;

	snprintf(keep[0], sizeof(keep[0]), "%ld", k->outbox_s);
	snprintf(keep[1], sizeof(keep[1]), "%ld", k->idem_s);
	snprintf(keep[2], sizeof(keep[2]), "%ld",
	    (long)BUDGET_CERTS_WINDOW_S + RETENTION_BUDGET_MARGIN_S);
	snprintf(keep[3], sizeof(keep[3]), "%ld", k->events_s);
	snprintf(lim, sizeof(lim), "%d", limit);
	for (i = 0; i < 4; i++) {
		p[i][0] = keep[i];
		p[i][1] = lim;
		st[i].what = what[i];
		st[i].sql = sql[i];
		st[i].n = 2;
		st[i].params = p[i];
	}
	if (db_pipeline(c, st, 4, err, errlen) < 0)
		return -1;
	for (i = 0; i < 4; i++) {
		n += atol(PQcmdTuples(st[i].res));
		PQclear(st[i].res);
	}
	return n;
}
