/* sweep.c -- the sweeper: orders sent or processing with no progress within a lease are re-driven through order_requeue. */
#include "sweep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "order.h"

/* The same condition for one order, locked. */
#define SWEEP_LOCK_SQL "SELECT attempt, coalesce(order_url, ''), status, " \
	"trace_id, sweeps, extract(epoch FROM now() - updated_at)::bigint, " \
	"certificate FROM orders WHERE id = $1 AND status IN ('sent', 'processing') AND " \
	"updated_at < now() - make_interval(secs => $2::float8) FOR UPDATE " \
	"SKIP LOCKED"

double
sweep_delay(long lease_s, unsigned n)
{
	double d = (double)lease_s;
	unsigned i;

	if (n <= 1)
		return 0;
	for (i = 2; i < n && d < SWEEP_DELAY_MAX_S; i++)
		d *= 2;
	return d < SWEEP_DELAY_MAX_S ? d : SWEEP_DELAY_MAX_S;
}

/* Re-drives order id if it is still stuck, in its own transaction.
 * Returns 1 re-driven, 0 no longer stuck (or locked by someone else), -1
 * with err (nothing written). */
static int
sweep_one(PGconn *c, const char *id, const char *lease, long lease_s,
    char *err, size_t errlen)
{
	PGresult *r = NULL;
	char n[16];
	unsigned attempt, sweeps;
	double delay;
	int rc = -1;

	if (db_begin(c, err, errlen) < 0)
		return -1;
	if ((r = db_query(c, "sweep lock", SWEEP_LOCK_SQL, 2, (const char *[]){
	    id, lease }, NULL, NULL, err, errlen)) == NULL)
		goto out;
	if (PQntuples(r) == 0) {
		rc = 0;
		goto out;
	}
	attempt = (unsigned)strtoul(PQgetvalue(r, 0, 0), NULL, 10);
	sweeps = (unsigned)strtoul(PQgetvalue(r, 0, 4), NULL, 10) + 1;
	delay = sweep_delay(lease_s, sweeps);
	snprintf(n, sizeof(n), "%u", sweeps);
	if (order_requeue(c, id, attempt + 1, PQgetvalue(r, 0, 1), delay,
	    "pending", err, errlen) < 0 ||
	    db_exec(c, "sweep count", "UPDATE orders SET sweeps = $2 WHERE "
	    "id = $1", 2, (const char *[]){ id, n }, NULL, NULL, err,
	    errlen) < 0 || db_commit(c, err, errlen) < 0)
		goto out;
	log_warn_ctx(LOG_JOB(id, attempt, PQgetvalue(r, 0, 3), PQgetvalue(r, 0,
	    6)), "no progress for %s s (%s): re-driven as attempt %u%s%s, in "
	    "%.0f s (re-drive %u without progress)", PQgetvalue(r, 0, 5),
	    PQgetvalue(r, 0, 2), attempt + 1, PQgetvalue(r, 0, 1)[0] != '\0' ?
	    ", resuming " : ", a new ACME order", PQgetvalue(r, 0, 1), delay,
	    sweeps);
	rc = 1;
out:
	if (rc != 1)
		db_rollback(c);
	PQclear(r);
	return rc;
}

/* An order that could not be re-driven waits another lease. */
static void
sweep_postpone(PGconn *c, const char *id, const char *why)
{
	char err[512];

	log_err_ctx(LOG_JOB(id, 0, NULL, NULL), "stuck, but not re-driven: %s "
	    "(tried again in a lease)", why);
	if (db_exec(c, "sweep postpone", "UPDATE orders SET updated_at = now() "
	    "WHERE id = $1 AND status IN ('sent', 'processing')", 1, &id, NULL,
	    NULL, err, sizeof(err)) < 0)
		log_warn_ctx(LOG_JOB(id, 0, NULL, NULL), "%s", err);
}

int
sweep_tick(PGconn *c, long lease_s, int limit, char *err, size_t errlen)
{
	PGresult *r;
	char lease[32], lim[16], why[512];
	int i, n, done = 0;

	snprintf(lease, sizeof(lease), "%ld", lease_s);
	snprintf(lim, sizeof(lim), "%d", limit);
	if ((r = db_query(c, "sweep list", SWEEP_LIST_SQL, 2, (const char *[]){
	    lease, lim }, NULL, NULL, err, errlen)) == NULL)
		return -1;
	for (i = 0; i < PQntuples(r); i++) {
		if ((n = sweep_one(c, PQgetvalue(r, i, 0), lease, lease_s, why,
		    sizeof(why))) < 0) {
			if (PQstatus(c) != CONNECTION_OK) {
				snprintf(err, errlen, "%s", why);
				PQclear(r);
				return -1;
			}
			sweep_postpone(c, PQgetvalue(r, i, 0), why);
		}
		done += n > 0;
	}
	PQclear(r);
	return done;
}
