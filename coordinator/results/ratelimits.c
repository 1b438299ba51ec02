/* ratelimits.c -- records which rate limit a CA answered (429/503/rateLimited) against which CA, account and request, and what the limit holds beyond the refused order (ca_holds). */
#include "ratelimits.h"

#include <stdio.h>

#include "cmetrics.h"
#include "db.h"
#include "log.h"
#include "ratescope.h"

/*
 * The hold of order $1's scope (kind $2, name $5) until $3 (capped at
 * RATELIMITS_HOLD_MAX_S): its account, its hostname set, a registered
 * domain it has or a name it has (a wildcard's authorization is its base
 * name's). A domain or name the order does not have holds nothing: the
 * CA's words are not taken for other orders' names. A later hit of the same
 * scope moves until forward only.
 */
#define RATELIMITS_HOLD_SQL "INSERT INTO ca_holds (ca, key, until, detail, " \
	"job_id) SELECT w.ca, w.key, least(to_timestamp($3::float8), now() + " \
	"make_interval(secs => $6::float8)), $4, $1 FROM (SELECT " \
	"coalesce(o.ca, c.ca) AS ca, CASE $2 WHEN 'account' THEN 'a:' || " \
	"o.account WHEN 'set' THEN 's:' || c.hostname_set WHEN 'domain' THEN " \
	"CASE WHEN $5 = ANY (hs.domains) THEN 'd:' || $5 END WHEN 'name' THEN " \
	"CASE WHEN $5 = ANY (hs.names) OR '*.' || $5 = ANY (hs.names) THEN " \
	"'n:' || $5 END END AS key FROM orders o JOIN certificates c ON c.id " \
	"= o.certificate JOIN hostname_sets hs ON hs.id = c.hostname_set " \
	"WHERE o.id = $1) w WHERE w.key IS NOT NULL AND " \
	"to_timestamp($3::float8) > now() ON CONFLICT (ca, key) DO UPDATE SET " \
	"until = greatest(ca_holds.until, EXCLUDED.until), detail = " \
	"EXCLUDED.detail, job_id = EXCLUDED.job_id, hit_at = now() " \
	"RETURNING ca, key, until"

/* Holds that ended a day ago, of the CA whose hold was just written: the
 * table keeps one row per scope and sheds the old ones here, on the rare
 * path, rather than in a pass that would run while nothing is limited. */
#define RATELIMITS_SHED_SQL "DELETE FROM ca_holds WHERE ca = $1 AND until < " \
	"now() - interval '1 day'"

/* The scope of a rateLimited deferral of order job_id held until its
 * not_before. Returns 0 (held, or nothing to hold), or -1 with err. */
static int
ratelimits_hold(PGconn *c, const char *job_id, const Certfleet__JobDeferred *d,
    const char *nb, char *err, size_t errlen)
{
	struct ratescope sc;
	char cap[24];
	const char *v[6];
	PGresult *r;

	if (ratescope_problem(d->problem->type, d->problem->detail, &sc) ==
	    RATESCOPE_NONE)
		return 0;
	snprintf(cap, sizeof(cap), "%d", RATELIMITS_HOLD_MAX_S);
	v[0] = job_id;
	v[1] = ratescope_word(sc.kind);
	v[2] = nb;
	v[3] = d->problem->detail;
	v[4] = sc.name;
	v[5] = cap;
	if ((r = db_query(c, "ratelimits hold", RATELIMITS_HOLD_SQL, 6, v, NULL,
	    NULL, err, errlen)) == NULL)
		return -1;
	if (PQntuples(r) == 1) {
		log_info_ctx(LOG_JOB(job_id, 0, NULL, NULL), "CA %s limits %s "
		    "until %s: its orders there are held (the CA said: %s)",
		    PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1),
		    PQgetvalue(r, 0, 2), d->problem->detail);
		if (db_exec(c, "ratelimits shed", RATELIMITS_SHED_SQL, 1,
		    (const char *[]){ PQgetvalue(r, 0, 0) }, NULL, NULL, err,
		    errlen) < 0) {
			PQclear(r);
			return -1;
		}
	}
	PQclear(r);
	return 0;
}

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
	return ratelimits_hold(c, job_id, d, nb, err, errlen);
}
