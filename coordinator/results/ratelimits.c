/* ratelimits.c -- records which rate limit a CA answered (429/503/rateLimited) against which CA, account and request. */
#include "ratelimits.h"

#include <stdio.h>

#include "cmetrics.h"
#include "db.h"

int
ratelimits_record(PGconn *c, const char *job_id, unsigned attempt,
    const Certfleet__JobDeferred *d, char *err, size_t errlen)
{
	char att[16], nb[32], st[16];
	const char *v[7];
	PGresult *r;

	snprintf(att, sizeof(att), "%u", attempt);
	snprintf(nb, sizeof(nb), "%.3f", (double)d->not_before_unix_ms / 1000.0);
	snprintf(st, sizeof(st), "%d", d->problem->status);
	v[0] = job_id;
	v[1] = att;
	v[2] = d->endpoint != NULL ? d->endpoint : "";
	v[3] = d->problem->type;
	v[4] = d->problem->detail != NULL ? d->problem->detail : "";
	v[5] = d->problem->status != 0 ? st : NULL;
	v[6] = nb;
	/* The job is an order (CA from its certificate) or an account. */
	if ((r = db_query(c, "ratelimits record", "INSERT INTO rate_limit_hits "
	    "(ca, account_id, job_id, attempt, endpoint, problem_type, detail, "
	    "status, not_before) SELECT w.ca, w.account, $1, $2, $3, $4, $5, "
	    "$6::integer, to_timestamp($7::float8) FROM (SELECT c.ca, o.account "
	    "FROM orders o JOIN certificates c ON c.id = o.certificate WHERE "
	    "o.id = $1 UNION ALL SELECT a.ca, a.id FROM acme_accounts a WHERE "
	    "a.id = $1) w LIMIT 1 RETURNING ca", 7, v, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		snprintf(err, errlen, "ratelimits: job %s is no order or account",
		    job_id);
		return -1;
	}
	cmetrics_rate_limited(PQgetvalue(r, 0, 0), v[2]);
	PQclear(r);
	return 0;
}
