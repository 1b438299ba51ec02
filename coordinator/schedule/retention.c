/* retention.c -- rows kept only for a while: outbox rows once sent, and Idempotency-Keys, deleted in small batches. */
#include "retention.h"

#include <stdio.h>

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

long
retention_tick(PGconn *c, long outbox_s, long idem_s, int limit, char *err,
    size_t errlen)
{
	char o[24], k[24], lim[16];
	long n, m;

	snprintf(o, sizeof(o), "%ld", outbox_s);
	snprintf(k, sizeof(k), "%ld", idem_s);
	snprintf(lim, sizeof(lim), "%d", limit);
	if ((n = db_exec(c, "retention outbox", RETENTION_OUTBOX_SQL, 2,
	    (const char *[]){ o, lim }, NULL, NULL, err, errlen)) < 0 ||
	    (m = db_exec(c, "retention idempotency", RETENTION_IDEM_SQL, 2,
	    (const char *[]){ k, lim }, NULL, NULL, err, errlen)) < 0)
		return -1;
	return n + m;
}
