/* budget.c -- counts a CA's orders and issued certificates in their windows and holds issue orders that would exceed a limit. */
#include "budget.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cmetrics.h"
#include "config.h"
#include "db.h"
#include "log.h"
#include "utf8.h"

#define BUDGET_DETAIL_MAX 1024

static int
budget_cmp_desc(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? 1 : x > y ? -1 : 0;
}

double
budget_release_at(double *times, size_t n, long limit, double window_s,
    double now)
{
	size_t in = 0, i;

	if (limit <= 0 || n < (size_t)limit)
		return 0;
	qsort(times, n, sizeof(*times), budget_cmp_desc);
	for (i = 0; i < n && times[i] > now - window_s; i++)
		in++;
	if (in < (size_t)limit)
		return 0;
	return times[limit - 1] + window_s;
}

/* Runs sql (its rows: key, epoch seconds, newest first per key, at most
 * limit per key) and returns the latest release time over the keys (0:
 * fits), the binding key in key. -1 on error. */
static double
budget_query(PGconn *c, const char *what, const char *sql, int np,
    const char *const *p, long limit, double window_s, double now,
    char *key, size_t keylen, char *err, size_t errlen)
{
	PGresult *r;
	double *t = NULL, rel, worst = 0;
	size_t n, i, j, k;

	if ((r = db_query(c, what, sql, np, p, NULL, NULL, err, errlen)) == NULL)
		return -1;
	n = (size_t)PQntuples(r);
	if (n > 0 && (t = calloc(n, sizeof(*t))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", what);
		worst = -1;
		goto out;
	}
	for (i = 0; i < n; i = j) {
		for (j = i, k = 0; j < n && strcmp(PQgetvalue(r, (int)j, 0),
		    PQgetvalue(r, (int)i, 0)) == 0; j++)
			t[k++] = strtod(PQgetvalue(r, (int)j, 1), NULL);
		rel = budget_release_at(t, k, limit, window_s, now);
		if (rel > worst) {
			worst = rel;
			snprintf(key, keylen, "%s", PQgetvalue(r, (int)i, 0));
		}
	}
out:
	free(t);
	PQclear(r);
	return worst;
}

/* Holds outbox row oid until rel, saying why on certificate cert; rel
 * INFINITY parks it (available_at 'infinity': BUDGET_UNPARK_SQL wakes it
 * when its CA's orders budget has room and the rows parked before it
 * went). */
static int
budget_hold(PGconn *c, const char *oid, const char *job, const char *cert,
    double rel, const char *detail, char *err, size_t errlen)
{
	char at[32];
	const char *p[2];

	if (isinf(rel))
		snprintf(at, sizeof(at), "Infinity");
	else
		snprintf(at, sizeof(at), "%.6f", rel);
	p[0] = oid;
	p[1] = at;
	if (db_exec(c, "budget hold", "UPDATE outbox SET available_at = "
	    "to_timestamp($2::float8), held = true WHERE id = $1::bigint", 2, p,
	    NULL, NULL, err, errlen) < 0)
		return -1;
	p[0] = cert;
	p[1] = detail;
	if (db_exec(c, "budget problem", "UPDATE certificates SET "
	    "last_problem_type = '" BUDGET_PROBLEM "', last_problem_detail = $2, "
	    "updated_at = now() WHERE id = $1", 2, p, NULL, NULL, err,
	    errlen) < 0)
		return -1;
	log_info_ctx(LOG_JOB(job, 0, NULL, cert), "%s", detail);
	return 0;
}

/* The metrics' names of the three limits, in budget_measure's order. */
static const char *const budget_limit_names[] = {
	"orders_per_3h", "certs_per_domain_7d", "duplicates_7d",
};

/* The latest release time (0: fits now) of an order of ca for hostname
 * set setid at now, with the binding limit described in detail and its
 * index in budget_limit_names in *which; -1 on error. A renewal (of a
 * certificate the CA issued for the same exact name set) is measured
 * against the exact-set limit alone. Each query reads at most limit rows
 * per key off a range index. */
static double
budget_measure(PGconn *c, const struct cas_ca *ca, const char *setid,
    int renewal, double now, char *detail, size_t detaillen, size_t *which,
    char *err, size_t errlen)
{
	char lim[3][24], key[3][300], when[32], var[96];
	const char *p[3], *what;
	double rel[3] = { 0, 0, 0 }, worst = 0;
	size_t i, w = 0;
	time_t tt;
	struct tm tm;

	snprintf(lim[0], sizeof(lim[0]), "%ld", ca->limit_orders_3h);
	snprintf(lim[1], sizeof(lim[1]), "%ld", ca->limit_domain_7d);
	snprintf(lim[2], sizeof(lim[2]), "%ld", ca->limit_dups_7d);
	p[0] = ca->name;
	p[1] = lim[0];
	if (!renewal && ca->limit_orders_3h > 0 && (rel[0] = budget_query(c,
	    "budget orders", "SELECT '', extract(epoch from released_at) FROM "
	    "orders WHERE ca = $1 AND released_at > now() - interval '3 hours' "
	    "ORDER BY released_at DESC LIMIT $2::integer", 2, p,
	    ca->limit_orders_3h, BUDGET_ORDERS_WINDOW_S, now, key[0],
	    sizeof(key[0]), err, errlen)) < 0)
		return -1;
	p[1] = setid;
	p[2] = lim[1];
	if (!renewal && ca->limit_domain_7d > 0 && (rel[1] = budget_query(c,
	    "budget domains", "SELECT d.dom, extract(epoch from t.at) FROM "
	    "(SELECT DISTINCT dom FROM hostname_sets h, unnest(h.domains) dom "
	    "WHERE h.id = $2::bigint) d, "
	    "LATERAL (SELECT b.issued_at AS at FROM budget_issued b WHERE "
	    "b.ca = $1 AND b.key = 'd:' || d.dom AND b.issued_at > now() - "
	    "interval '7 days' ORDER BY b.issued_at DESC LIMIT $3::integer) t "
	    "ORDER BY d.dom, t.at DESC", 3, p, ca->limit_domain_7d,
	    BUDGET_CERTS_WINDOW_S, now, key[1], sizeof(key[1]), err,
	    errlen)) < 0)
		return -1;
	p[2] = lim[2];
	if (ca->limit_dups_7d > 0 && (rel[2] = budget_query(c,
	    "budget duplicates", "SELECT '', extract(epoch from issued_at) FROM "
	    "budget_issued WHERE ca = $1 AND key = 's:' || $2 AND issued_at > "
	    "now() - interval '7 days' ORDER BY issued_at DESC "
	    "LIMIT $3::integer", 3, p, ca->limit_dups_7d,
	    BUDGET_CERTS_WINDOW_S, now, key[2], sizeof(key[2]), err,
	    errlen)) < 0)
		return -1;
	for (i = 0; i < 3; i++)
		if (rel[i] > worst) {
			worst = rel[i];
			w = i;
		}
	if (worst == 0)
		return 0;
	*which = w;
	tt = (time_t)ceil(worst);
	gmtime_r(&tt, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	what = w == 0 ? "LIMIT_ORDERS_PER_3H" : w == 1 ?
	    "LIMIT_CERTS_PER_DOMAIN_7D" : "LIMIT_DUPLICATES_7D";
	(void)config_env_name(var, sizeof(var), "CERTFLEET_CA", ca->name, what);
	/* the orders budget's room goes to the parked orders oldest first
	 * (parked: budget_hold at INFINITY, BUDGET_UNPARK_SQL): the next
	 * room is not necessarily this order's */
	snprintf(detail, detaillen, "held %s %s by CA %s's limit on %s%s%s: "
	    "%s=%s", w == 0 ? "in turn, next room at" : "until", when,
	    ca->name, w == 0 ?
	    "new orders per account per 3 hours" : w == 1 ?
	    "certificates per registered domain per 7 days" :
	    "certificates per exact name set per 7 days", w == 1 ? " for " : "",
	    w == 1 ? key[1] : "", var, lim[w]);
	return worst;
}

/* 1 when ca counts anything (any of its three limits set). */
static int
budget_limited(const struct cas_ca *ca)
{
	return ca->limit_orders_3h > 0 || ca->limit_domain_7d > 0 ||
	    ca->limit_dups_7d > 0;
}

int
budget_counts(const struct cas_conf *cas, const char *name)
{
	const struct cas_ca *ca;

	if (cas == NULL || name == NULL || (ca = cas_find(cas, name)) == NULL)
		return 0;
	return budget_limited(ca);
}

char *
budget_limited_names(const struct cas_conf *cas)
{
	char *names[CAS_MAX];
	size_t i, n = 0;

	for (i = 0; cas != NULL && i < cas->n && n < CAS_MAX; i++)
		if (budget_limited(&cas->ca[i]))
			names[n++] = (char *)(uintptr_t)cas->ca[i].name;
	return db_array_literal(names, n);
}

/*
 * 1 when order o (of certificate c) renews c's current certificate for the
 * same exact name set at the CA that issued it: a renewal to Let's Encrypt
 * even without ARI (its "Limit Exemptions for Renewals": the exact set of
 * an earlier certificate), exempt from the limits on new orders per
 * account and on certificates per registered domain, not from those on the
 * exact name set and on failed authorizations. An imported certificate (no
 * order) renews nothing at a CA. Reads only through c.current_issued: an
 * order of a certificate never issued costs one index probe.
 */
#define BUDGET_RENEWAL_SQL "EXISTS (SELECT 1 FROM issued_certificates ric " \
	"JOIN orders rio ON rio.id = ric.order_id JOIN hostname_sets rhs ON " \
	"rhs.id = c.hostname_set WHERE ric.id = c.current_issued AND " \
	"coalesce(rio.ca, c.ca) = coalesce(o.ca, c.ca) AND ric.sans @> " \
	"rhs.names AND rhs.names @> ric.sans)"

/*
 * The latest hold (ca_holds) over order $1 now: the scopes it is in (its
 * account, its name set, its registered domains, its names, a wildcard's
 * as its base name's, as results/ratelimits.c writes them), each looked up
 * by its key. No row for a renewal carrying `replaces`; a renewal without
 * it (BUDGET_RENEWAL_SQL) is not in its account's and its domains' scopes.
 */
#define BUDGET_HOLDS_SQL "SELECT h.key, extract(epoch FROM h.until), " \
	"h.detail, c.id, h.ca FROM orders o JOIN certificates c ON c.id = " \
	"o.certificate JOIN hostname_sets hs ON hs.id = c.hostname_set CROSS " \
	"JOIN LATERAL (SELECT " BUDGET_RENEWAL_SQL " AS renewal) rn CROSS " \
	"JOIN LATERAL (SELECT 'a:' || o.account AS key WHERE NOT rn.renewal " \
	"UNION ALL SELECT 's:' || hs.id UNION ALL SELECT 'd:' || d FROM " \
	"unnest(hs.domains) d WHERE NOT rn.renewal UNION ALL SELECT 'n:' || " \
	"regexp_replace(n, '^\\*\\.', '') FROM unnest(hs.names) n) k JOIN " \
	"ca_holds h ON h.ca = coalesce(o.ca, c.ca) AND h.key = k.key AND " \
	"h.until > now() WHERE o.id = $1 AND o.replaces IS NULL ORDER BY " \
	"h.until DESC LIMIT 1"

/* What a hold's key (ca_holds.key) covers, in words, into out. */
static void
budget_scope_words(const char *key, char *out, size_t outlen)
{
	const char *v = key[0] != '\0' && key[1] == ':' ? key + 2 : key;

	switch (key[0]) {
	case 'a':
		snprintf(out, outlen, "new orders of account %s", v);
		break;
	case 'd':
		snprintf(out, outlen, "certificates for registered domain %s",
		    v);
		break;
	case 's':
		snprintf(out, outlen, "certificates for this exact name set");
		break;
	case 'n':
		snprintf(out, outlen, "authorizations of %s", v);
		break;
	default:
		snprintf(out, outlen, "%s", key);
		break;
	}
}

/* Holds outbox row oid (job job_id) when a scope it is in is held now.
 * Returns 1 held, 0 not, -1 with err. */
static int
budget_held(PGconn *c, const char *oid, const char *job_id, char *err,
    size_t errlen)
{
	char detail[BUDGET_DETAIL_MAX], when[32], scope[320];
	const char *said;
	PGresult *r;
	struct tm tm;
	time_t tt;
	double until;
	size_t k;
	int rc, n;

	if ((r = db_query(c, "budget holds", BUDGET_HOLDS_SQL, 1, &job_id,
	    NULL, NULL, err, errlen)) == NULL)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return 0;
	}
	until = strtod(PQgetvalue(r, 0, 1), NULL);
	tt = (time_t)ceil(until);
	gmtime_r(&tt, &tm);
	strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
	budget_scope_words(PQgetvalue(r, 0, 0), scope, sizeof(scope));
	n = snprintf(detail, sizeof(detail), "held until %s: CA %s reported "
	    "its limit on %s (it said: ", when, PQgetvalue(r, 0, 4), scope);
	/* the CA's words, cut on a character's boundary: a split one
	 * would make PostgreSQL refuse the row, and the relay's pass */
	if (n > 0 && (size_t)n + 2 < sizeof(detail)) {
		said = PQgetvalue(r, 0, 2);
		k = utf8_cut(said, strlen(said), sizeof(detail) - (size_t)n - 2);
		snprintf(detail + n, sizeof(detail) - (size_t)n, "%.*s)", (int)k,
		    said);
	}
	cmetrics_budget_held(PQgetvalue(r, 0, 4), "ca_reported");
	rc = budget_hold(c, oid, job_id, PQgetvalue(r, 0, 3), until, detail,
	    err, errlen) < 0 ? -1 : 1;
	PQclear(r);
	return rc;
}

/*
 * The order's row as budget_admit reads it, and in the same statement its
 * release (released_at stamped) whenever no limit has to be measured
 * first: an order that is exempt (it replaces a certificate, or was
 * released before), of a CA that counts nothing or that is not
 * configured. The SELECT sees the row as it was before the UPDATE. Column
 * 6: a renewal without `replaces` (BUDGET_RENEWAL_SQL), read only for an
 * order that is not exempt of a CA that counts.
 */
#define BUDGET_ORDER_SQL "WITH o AS (SELECT o.ca, o.certificate, " \
	"c.hostname_set, o.replaces IS NOT NULL OR o.released_at IS NOT NULL " \
	"AS exempt, extract(epoch from now()) AS now, CASE WHEN o.replaces IS " \
	"NULL AND o.released_at IS NULL AND coalesce(o.ca = ANY($2::text[]), " \
	"false) THEN " BUDGET_RENEWAL_SQL " ELSE false END AS renewal FROM " \
	"orders o JOIN certificates c ON c.id = o.certificate WHERE o.id = " \
	"$1), rel AS (UPDATE orders SET released_at = now() WHERE id = $1 AND " \
	BUDGET_RELEASE("$2") " RETURNING 1) SELECT o.ca, o.certificate, " \
	"o.hostname_set, o.exempt, o.now, (SELECT count(*) FROM rel), " \
	"o.renewal FROM o"

int
budget_admit(PGconn *c, const struct cas_conf *cas, int held,
    const char *outbox_id, const char *job_id, char *err, size_t errlen)
{
	PGresult *r = NULL;
	const struct cas_ca *ca = NULL;
	char detail[BUDGET_DETAIL_MAX], *limited;
	const char *p[2];
	double worst = 0;
	size_t which = 0;
	int rc = -1;

	if (held && (rc = budget_held(c, outbox_id, job_id, err, errlen)) != 0)
		return rc < 0 ? -1 : 0;
	if ((limited = budget_limited_names(cas)) == NULL) {
		snprintf(err, errlen, "budget: out of memory");
		return -1;
	}
	p[0] = job_id;
	p[1] = limited;
	r = db_query(c, "budget order", BUDGET_ORDER_SQL, 2, p, NULL, NULL, err,
	    errlen);
	free(limited);
	if (r == NULL)
		return -1;
	/* Not an order, exempt, already counted, or a CA no longer configured. */
	if (PQntuples(r) == 1 && cas != NULL &&
	    strcmp(PQgetvalue(r, 0, 3), "f") == 0)
		ca = cas_find(cas, PQgetvalue(r, 0, 0));
	/* A CA with every budget lifted has nothing to count: no lock, and
	 * the order was released by the read (BUDGET_ORDER_SQL) */
	if (ca == NULL || !budget_limited(ca)) {
		rc = 1;
		goto out;
	}
	p[0] = ca->name;
	if (db_exec(c, "budget lock", "SELECT pg_advisory_xact_lock("
	    "hashtext('certfleet-budget:' || $1))", 1, p, NULL, NULL, err,
	    errlen) < 0 ||
	    (worst = budget_measure(c, ca, PQgetvalue(r, 0, 2),
	    strcmp(PQgetvalue(r, 0, 6), "t") == 0,
	    strtod(PQgetvalue(r, 0, 4), NULL), detail, sizeof(detail),
	    &which, err, errlen)) < 0)
		goto out;
	if (worst > 0) {
		cmetrics_budget_held(ca->name, budget_limit_names[which]);
		/* the orders budget parks it (budget.h, BUDGET_UNPARK_SQL) */
		if (budget_hold(c, outbox_id, job_id, PQgetvalue(r, 0, 1),
		    which == 0 ? INFINITY : worst, detail, err, errlen) < 0)
			goto out;
		rc = 0;
		goto out;
	}
	p[0] = job_id;
	if (db_exec(c, "budget release", "UPDATE orders SET released_at = now() "
	    "WHERE id = $1 AND released_at IS NULL", 1, p, NULL, NULL, err,
	    errlen) < 0)
		goto out;
	rc = 1;
out:
	PQclear(r);
	return rc;
}

long
budget_orders_used(PGconn *c, const struct cas_ca *ca, char *err,
    size_t errlen)
{
	PGresult *r;
	char lim[24];
	const char *p[2];
	long n;

	snprintf(lim, sizeof(lim), "%ld", ca->limit_orders_3h > 0 ?
	    ca->limit_orders_3h : -1L);
	p[0] = ca->name;
	p[1] = lim;
	if ((r = db_query(c, "budget orders used", "SELECT count(*) FROM "
	    "(SELECT 1 FROM orders WHERE ca = $1 AND released_at > now() - "
	    "interval '3 hours' LIMIT nullif($2::bigint, -1)) t", 2, p, NULL,
	    NULL, err, errlen)) == NULL)
		return -1;
	n = strtol(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return n;
}

int
budget_orders_limits(const struct cas_conf *cas, char **names, char **limits)
{
	char *n[CAS_MAX], lim[CAS_MAX][24], *l[CAS_MAX];
	size_t i, k = 0;

	for (i = 0; cas != NULL && i < cas->n && k < CAS_MAX; i++, k++) {
		n[k] = (char *)(uintptr_t)cas->ca[i].name;
		snprintf(lim[k], sizeof(lim[k]), "%ld",
		    cas->ca[i].limit_orders_3h > 0 ? cas->ca[i].limit_orders_3h :
		    0L);
		l[k] = lim[k];
	}
	*names = db_array_literal(n, k);
	*limits = db_array_literal(l, k);
	if (*names == NULL || *limits == NULL) {
		free(*names);
		free(*limits);
		*names = *limits = NULL;
		return -1;
	}
	return 0;
}
