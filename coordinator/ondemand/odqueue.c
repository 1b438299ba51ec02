/* odqueue.c -- the on_demand_asks table: asks recorded, decisions written, held names, room under the limits, the overview. */
#include "odqueue.h"

#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "odpolicy.h"

/* The ask of a batch: new rows wait; a refusal or a certificate that is
 * old news waits again; everything else is left as it is. */
#define ODQUEUE_ASK_SQL \
	"WITH up AS (INSERT INTO on_demand_asks AS a (name, source) SELECT " \
	"unnest($1::text[]), $2 ON CONFLICT (name) DO UPDATE SET asks = " \
	"a.asks + 1, last_asked_at = now(), status = CASE WHEN (a.status = " \
	"'denied' AND a.deny_until <= now()) OR (a.status = 'done' AND " \
	"a.decided_at < now() - make_interval(secs => $3::float8)) THEN " \
	"'asked' ELSE a.status END, source = CASE WHEN a.status IN ('denied', " \
	"'done') THEN excluded.source ELSE a.source END RETURNING a.name, " \
	"a.status) SELECT name, status FROM up ORDER BY name COLLATE \"C\""

long
odqueue_ask(PGconn *c, char *const *names, size_t n, const char *source,
    int *refused, char *err, size_t errlen)
{
	char *lit, reask[16];
	PGresult *r;
	size_t i, k;
	long waiting = 0;
	int row;

	for (i = 0; i < n; i++)
		refused[i] = 0;
	if (n == 0)
		return 0;
	if ((lit = db_array_literal(names, n)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(reask, sizeof(reask), "%d", ODQUEUE_REASK_S);
	r = db_query(c, "on-demand ask", ODQUEUE_ASK_SQL, 3,
	    (const char *[]){ lit, source, reask }, NULL, NULL, err, errlen);
	free(lit);
	if (r == NULL)
		return -1;
	/* both sorted in byte order: one merge */
	for (row = 0, k = 0; row < PQntuples(r); row++) {
		while (k < n && strcmp(names[k], PQgetvalue(r, row, 0)) < 0)
			k++;
		if (k < n && strcmp(names[k], PQgetvalue(r, row, 0)) == 0 &&
		    strcmp(PQgetvalue(r, row, 1), "denied") == 0)
			refused[k] = 1;
		if (strcmp(PQgetvalue(r, row, 1), "asked") == 0)
			waiting++;
	}
	PQclear(r);
	if (waiting > 0 && db_exec(c, "on-demand notify", "SELECT pg_notify('"
	    ODPOLICY_CHANNEL "', 'ask')", 0, NULL, NULL, NULL, err,
	    errlen) < 0)
		return -1;
	return waiting;
}

int
odqueue_status(PGconn *c, const char *name, char status[16],
    char reason[ODQUEUE_REASON_MAX], char *err, size_t errlen)
{
	PGresult *r;
	int found;

	if ((r = db_query(c, "on-demand status", "SELECT CASE WHEN status = "
	    "'denied' AND deny_until <= now() THEN 'asked' ELSE status END, "
	    "coalesce(reason, '') FROM on_demand_asks WHERE name = $1", 1, &name,
	    NULL, NULL, err, errlen)) == NULL)
		return -1;
	if ((found = PQntuples(r) == 1)) {
		snprintf(status, 16, "%s", PQgetvalue(r, 0, 0));
		snprintf(reason, ODQUEUE_REASON_MAX, "%s", PQgetvalue(r, 0, 1));
	}
	PQclear(r);
	return found;
}

PGresult *
odqueue_take(PGconn *c, const char *status, int limit, long hook_s, char *err,
    size_t errlen)
{
	char lim[16], hook[24];

	snprintf(lim, sizeof(lim), "%d", limit);
	snprintf(hook, sizeof(hook), "%ld", hook_s);
	return db_query(c, "on-demand take", "SELECT name, source, "
	    "coalesce(tenant, ''), CASE WHEN hook_at > now() - make_interval("
	    "secs => $3::float8) THEN CASE WHEN hook_ok THEN 't' ELSE 'f' END "
	    "ELSE '' END, limited FROM on_demand_asks WHERE status = $1 AND "
	    "(retry_at IS NULL OR retry_at <= now()) ORDER BY first_asked_at "
	    "LIMIT $2::int", 3, (const char *[]){ status, lim, hook }, NULL,
	    NULL, err, errlen);
}

int
odqueue_live_cert(PGconn *c, const char *name, char id[IDS_LEN + 1],
    char *err, size_t errlen)
{
	char wild[HOSTNAME_MAX + 3];
	const char *dot = strchr(name, '.');
	PGresult *r;
	int found;

	snprintf(wild, sizeof(wild), "*.%s", dot != NULL ? dot + 1 : name);
	if ((r = db_query(c, "on-demand live", "SELECT c.id FROM hostname_sets "
	    "h JOIN certificates c ON c.hostname_set = h.id WHERE h.names && "
	    "ARRAY[$1, $2]::text[] AND c.status IN ('pending', 'issued') ORDER BY "
	    "c.created_at DESC LIMIT 1", 2, (const char *[]){ name, wild }, NULL,
	    NULL, err, errlen)) == NULL)
		return -1;
	if ((found = PQntuples(r) == 1))
		snprintf(id, IDS_LEN + 1, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return found;
}

/* The eight text[] literals of odqueue_decide, columns of d. */
static int
odqueue_columns(const struct odqueue_decision *d, size_t n, char *lit[8])
{
	char **col[8], num[2][24];
	size_t i, k;
	int rc = -1;

	memset(col, 0, sizeof(col));
	for (k = 0; k < 8; k++)
		if ((col[k] = calloc(n + 1, sizeof(char *))) == NULL)
			goto out;
	for (i = 0; i < n; i++) {
		snprintf(num[0], sizeof(num[0]), "%ld", d[i].deny_s);
		snprintf(num[1], sizeof(num[1]), "%d", d[i].hook);
		col[0][i] = strdup(d[i].name);
		col[1][i] = strdup(d[i].status);
		col[2][i] = strdup(d[i].decision);
		col[3][i] = strdup(d[i].reason);
		col[4][i] = strdup(d[i].tenant != NULL ? d[i].tenant : "");
		col[5][i] = strdup(d[i].certificate != NULL ? d[i].certificate :
		    "");
		col[6][i] = strdup(num[0]);
		col[7][i] = strdup(num[1]);
		for (k = 0; k < 8; k++)
			if (col[k][i] == NULL)
				goto out;
	}
	for (k = 0; k < 8; k++)
		if ((lit[k] = db_array_literal(col[k], n)) == NULL)
			goto out;
	rc = 0;
out:
	for (k = 0; k < 8; k++) {
		for (i = 0; col[k] != NULL && i < n; i++)
			free(col[k][i]);
		free(col[k]);
	}
	return rc;
}

int
odqueue_decide(PGconn *c, const struct odqueue_decision *d, size_t n,
    char *err, size_t errlen)
{
	char *lit[8] = { 0 };
	size_t k;
	int rc = -1;

	if (n == 0)
		return 0;
	if (odqueue_columns(d, n, lit) < 0) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (db_exec(c, "on-demand decide", "UPDATE on_demand_asks a SET status "
	    "= d.status, decision = d.decision, reason = d.reason, tenant = "
	    "nullif(d.tenant, ''), certificate = nullif(d.cert, ''), deny_until "
	    "= CASE WHEN d.status = 'denied' THEN now() + make_interval(secs => "
	    "d.deny::float8) END, hook_ok = CASE d.hook WHEN '1' THEN true WHEN "
	    "'0' THEN false ELSE a.hook_ok END, hook_at = CASE WHEN d.hook IN "
	    "('0', '1') THEN now() ELSE a.hook_at END, limited = false, retry_at "
	    "= NULL, decided_at = now() FROM unnest($1::text[], $2::text[], "
	    "$3::text[], $4::text[], $5::text[], $6::text[], $7::text[], "
	    "$8::text[]) AS d(name, status, decision, reason, tenant, cert, deny, "
	    "hook) WHERE a.name = d.name AND a.status = 'asked'", 8,
	    (const char *const *)lit, NULL, NULL, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	for (k = 0; k < 8; k++)
		free(lit[k]);
	return rc;
}

int
odqueue_enrolled(PGconn *c, const char *name, const char *certificate,
    const char *reason, char *err, size_t errlen)
{
	return db_exec(c, "on-demand enrolled", "UPDATE on_demand_asks SET "
	    "status = 'enrolled', certificate = $2, reason = $3, enrolled_at = "
	    "now(), retry_at = NULL WHERE name = $1", 3,
	    (const char *[]){ name, certificate, reason }, NULL, NULL, err,
	    errlen) < 0 ? -1 : 0;
}

int
odqueue_existing(PGconn *c, const char *name, const char *certificate,
    char *err, size_t errlen)
{
	return db_exec(c, "on-demand existing", "UPDATE on_demand_asks SET "
	    "status = 'done', decision = 'existing', certificate = $2, reason = "
	    "'a live certificate already carries it', decided_at = now(), "
	    "retry_at = NULL WHERE name = $1", 2,
	    (const char *[]){ name, certificate }, NULL, NULL, err,
	    errlen) < 0 ? -1 : 0;
}

int
odqueue_hold(PGconn *c, char *const *names, size_t n, const char *reason,
    long retry_s, char *err, size_t errlen)
{
	char *lit, retry[24];
	long rc;

	if (n == 0)
		return 0;
	if ((lit = db_array_literal(names, n)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	snprintf(retry, sizeof(retry), "%ld", retry_s);
	rc = db_exec(c, "on-demand hold", "UPDATE on_demand_asks SET limited = "
	    "true, reason = $2, retry_at = CASE WHEN $3::float8 > 0 THEN now() + "
	    "make_interval(secs => $3::float8) END WHERE name = ANY($1::text[]) "
	    "AND status = 'queued'", 3, (const char *[]){ lit, reason, retry },
	    NULL, NULL, err, errlen);
	free(lit);
	return rc < 0 ? -1 : 0;
}

/* room from the two counts and their limits (<= 0: none); why says which
 * limit is full. */
static long
odqueue_fit(long per_minute, long minute, long max_pending, long pending,
    const char *whose, char *why, size_t whylen)
{
	long room = LONG_MAX;

	if (per_minute > 0 && per_minute - minute < room) {
		room = per_minute - minute;
		snprintf(why, whylen, "%s limit of %ld new on-demand orders per "
		    "minute", whose, per_minute);
	}
	if (max_pending > 0 && max_pending - pending < room) {
		room = max_pending - pending;
		snprintf(why, whylen, "%s limit of %ld pending on-demand orders",
		    whose, max_pending);
	}
	return room < 0 ? 0 : room;
}

int
odqueue_room(PGconn *c, const char *tenant, long per_minute,
    long max_pending, long *room, char *why, size_t whylen, char *err,
    size_t errlen)
{
	char whose[TENANT_NAME_MAX + 40];
	PGresult *r;

	why[0] = '\0';
	if (tenant == NULL)
		r = db_query(c, "on-demand room", "SELECT -1, -1, (SELECT count(*) "
		    "FROM on_demand_asks WHERE enrolled_at > now() - interval "
		    "'1 minute'), (SELECT count(*) FROM on_demand_asks WHERE status "
		    "= 'enrolled')", 0, NULL, NULL, NULL, err, errlen);
	else
		r = db_query(c, "on-demand tenant room", "SELECT coalesce("
		    "t.od_per_minute, 0), coalesce(t.od_max_pending, 0), (SELECT "
		    "count(*) FROM on_demand_asks a WHERE a.tenant = t.name AND "
		    "a.enrolled_at > now() - interval '1 minute'), (SELECT count(*) "
		    "FROM on_demand_asks a WHERE a.tenant = t.name AND a.status = "
		    "'enrolled') FROM tenants t WHERE t.name = $1", 1, &tenant, NULL,
		    NULL, err, errlen);
	if (r == NULL)
		return -1;
	if (PQntuples(r) != 1) {
		PQclear(r);
		*room = LONG_MAX;	/* no such tenant (any more): no limits */
		return 0;
	}
	if (tenant != NULL) {
		per_minute = strtol(PQgetvalue(r, 0, 0), NULL, 10);
		max_pending = strtol(PQgetvalue(r, 0, 1), NULL, 10);
		snprintf(whose, sizeof(whose), "tenant %s's", tenant);
	} else
		snprintf(whose, sizeof(whose), "the global");
	*room = odqueue_fit(per_minute, strtol(PQgetvalue(r, 0, 2), NULL, 10),
	    max_pending, strtol(PQgetvalue(r, 0, 3), NULL, 10), whose, why,
	    whylen);
	PQclear(r);
	return 0;
}

int
odqueue_lift(PGconn *c, char *err, size_t errlen)
{
	return db_exec(c, "on-demand lift refusals", "UPDATE on_demand_asks SET "
	    "deny_until = now() WHERE status = 'denied' AND deny_until > now()",
	    0, NULL, NULL, NULL, err, errlen) < 0 ? -1 : 0;
}

int
odqueue_settle(PGconn *c, char *err, size_t errlen)
{
	char keep[24];

	snprintf(keep, sizeof(keep), "%d", ODQUEUE_KEEP_DENIED_S);
	return db_exec(c, "on-demand settle", "UPDATE on_demand_asks a SET "
	    "status = 'done' FROM certificates c WHERE a.status = 'enrolled' AND "
	    "c.id = a.certificate AND c.status <> 'pending'", 0, NULL, NULL, NULL,
	    err, errlen) < 0 ||
	    db_exec(c, "on-demand prune", "DELETE FROM on_demand_asks WHERE name "
	    "IN (SELECT name FROM on_demand_asks WHERE status = 'denied' AND "
	    "deny_until < now() - make_interval(secs => $1::float8) LIMIT 1000)",
	    1, (const char *[]){ keep }, NULL, NULL, err, errlen) < 0 ? -1 : 0;
}

/* The latest decisions as a JSON array. */
static json_t *
odqueue_recent(const PGresult *r)
{
	json_t *arr = json_array();
	int i;

	for (i = 0; arr != NULL && i < PQntuples(r); i++)
		json_array_append_new(arr, json_pack("{s:s, s:s, s:o, s:o, s:o, "
		    "s:o, s:I, s:s}", "name", PQgetvalue(r, i, 0), "status",
		    PQgetvalue(r, i, 1), "decision", PQgetisnull(r, i, 2) ?
		    json_null() : json_string(PQgetvalue(r, i, 2)), "tenant",
		    PQgetisnull(r, i, 3) ? json_null() : json_string(PQgetvalue(r,
		    i, 3)), "reason", PQgetisnull(r, i, 4) ? json_null() :
		    json_string(PQgetvalue(r, i, 4)), "certificate",
		    PQgetisnull(r, i, 5) ? json_null() : json_string(PQgetvalue(r,
		    i, 5)), "asks", (json_int_t)strtoll(PQgetvalue(r, i, 6), NULL,
		    10), "decided_at", PQgetvalue(r, i, 7)));
	return arr;
}

json_t *
odqueue_overview(PGconn *c, char *err, size_t errlen)
{
	PGresult *counts, *recent;
	char lim[16];
	json_t *j;

	snprintf(lim, sizeof(lim), "%d", ODQUEUE_RECENT);
	if ((counts = db_query(c, "on-demand counts", "SELECT (SELECT count(*) "
	    "FROM on_demand_asks WHERE status = 'asked'), (SELECT count(*) FROM "
	    "on_demand_asks WHERE status = 'queued'), (SELECT count(*) FROM "
	    "on_demand_asks WHERE status = 'enrolled'), (SELECT count(*) FROM "
	    "on_demand_asks WHERE enrolled_at > now() - interval '1 minute')",
	    0, NULL, NULL, NULL, err, errlen)) == NULL)
		return NULL;
	if ((recent = db_query(c, "on-demand recent", "SELECT name, status, "
	    "decision, tenant, reason, certificate, asks, to_char(decided_at AT "
	    "TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"') FROM "
	    "on_demand_asks WHERE decided_at IS NOT NULL ORDER BY decided_at DESC "
	    "LIMIT $1::int", 1, (const char *[]){ lim }, NULL, NULL, err,
	    errlen)) == NULL) {
		PQclear(counts);
		return NULL;
	}
	j = json_pack("{s:I, s:I, s:I, s:I, s:o}",
	    "asked", (json_int_t)strtoll(PQgetvalue(counts, 0, 0), NULL, 10),
	    "queued", (json_int_t)strtoll(PQgetvalue(counts, 0, 1), NULL, 10),
	    "enrolled", (json_int_t)strtoll(PQgetvalue(counts, 0, 2), NULL, 10),
	    "orders_last_minute", (json_int_t)strtoll(PQgetvalue(counts, 0, 3),
	    NULL, 10), "recent", odqueue_recent(recent));
	PQclear(counts);
	PQclear(recent);
	if (j == NULL)
		snprintf(err, errlen, "out of memory");
	return j;
}
