/* retention.c -- rows kept only for a while: outbox rows once sent, Idempotency-Keys, budget rows past their windows, events applied and rate-limit hits long ago, deleted in small batches. */
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
/* along rate_limit_hits_seen (0092) */
#define RETENTION_HITS_SQL "DELETE FROM rate_limit_hits WHERE id IN " \
	"(SELECT id FROM rate_limit_hits WHERE seen_at < now() - " \
	"make_interval(secs => $1::float8) ORDER BY seen_at LIMIT " \
	"$2::integer)"

/* The kinds of row, in the order retention_tick sends their deletes. */
static const struct {
	const char	*what;
	const char	*sql;
} retention_kinds[] = {
	{ "retention outbox", RETENTION_OUTBOX_SQL },
	{ "retention idempotency", RETENTION_IDEM_SQL },
	{ "retention budget", RETENTION_BUDGET_SQL },
	{ "retention events", RETENTION_EVENTS_SQL },
	{ "retention rate-limit hits", RETENTION_HITS_SQL },
};
#define RETENTION_KINDS (sizeof(retention_kinds) / sizeof(retention_kinds[0]))
_Static_assert(RETENTION_KINDS <= DB_PIPELINE_MAX,
    "the retention deletes fit one pipeline");

long
retention_tick(PGconn *c, const struct retention_keep *k, int limit,
    char *err, size_t errlen)
{
	const long keep_s[RETENTION_KINDS] = { k->outbox_s, k->idem_s,
	    (long)BUDGET_CERTS_WINDOW_S + RETENTION_BUDGET_MARGIN_S,
	    k->events_s, k->hits_s };
	char keep[RETENTION_KINDS][24], lim[16];
	const char *p[RETENTION_KINDS][2];
	struct db_stmt st[RETENTION_KINDS] = { 0 };
	long n = 0;
	size_t i;

	snprintf(lim, sizeof(lim), "%d", limit);
	for (i = 0; i < RETENTION_KINDS; i++) {
		snprintf(keep[i], sizeof(keep[i]), "%ld", keep_s[i]);
		p[i][0] = keep[i];
		p[i][1] = lim;
		st[i].what = retention_kinds[i].what;
		st[i].sql = retention_kinds[i].sql;
		st[i].n = 2;
		st[i].params = p[i];
	}
	if (db_pipeline(c, st, RETENTION_KINDS, err, errlen) < 0)
		return -1;
	for (i = 0; i < RETENTION_KINDS; i++) {
		n += atol(PQcmdTuples(st[i].res));
		PQclear(st[i].res);
	}
	return n;
}
