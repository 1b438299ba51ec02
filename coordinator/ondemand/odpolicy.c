/* odpolicy.c -- allow-lists and on-demand limits of tenants in PostgreSQL, and the allow-list's decision about a name. */
#include "odpolicy.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "odqueue.h"

/* Columns of the entries read to decide about a name. */
#define ODPOLICY_ENTRIES "SELECT tenant, base, wildcard FROM on_demand_allow "

/* Writes the allow-list rows of one transaction; 1, 0 (owned elsewhere). */
static int
odpolicy_entries(PGconn *c, const char *tenant,
    const struct allowlist_entry *es, size_t n, char *err, size_t errlen)
{
	char **txt = NULL, *lit = NULL;
	PGresult *r = NULL;
	size_t i;
	int rc = -1;

	if ((txt = calloc(n + 1, sizeof(*txt))) == NULL)
		goto nomem;
	for (i = 0; i < n; i++) {
		if ((txt[i] = malloc(HOSTNAME_MAX + 1)) == NULL)
			goto nomem;
		allowlist_format(&es[i], txt[i]);
	}
	if ((lit = db_array_literal(txt, n)) == NULL)
		goto nomem;
	if ((r = db_query(c, "on-demand entries owned", "SELECT entry, tenant "
	    "FROM on_demand_allow WHERE entry = ANY($1::text[]) AND tenant <> $2 "
	    "LIMIT 1", 2, (const char *[]){ lit, tenant }, NULL, NULL, err,
	    errlen)) == NULL)
		goto out;
	if (PQntuples(r) > 0) {
		snprintf(err, errlen, "%s is already on the allow-list of tenant "
		    "%s", PQgetvalue(r, 0, 0), PQgetvalue(r, 0, 1));
		rc = 0;
		goto out;
	}
	if (db_exec(c, "on-demand entries clear", "DELETE FROM on_demand_allow "
	    "WHERE tenant = $1", 1, &tenant, NULL, NULL, err, errlen) < 0 ||
	    db_exec(c, "on-demand entries add", "INSERT INTO on_demand_allow "
	    "(entry, tenant, base, wildcard) SELECT e, $2, CASE WHEN e LIKE "
	    "'*.%' THEN substr(e, 3) ELSE e END, e LIKE '*.%' FROM "
	    "unnest($1::text[]) AS e", 2, (const char *[]){ lit, tenant }, NULL,
	    NULL, err, errlen) < 0)
		goto out;
	rc = 1;
	goto out;
nomem:
	snprintf(err, errlen, "out of memory");
out:
	PQclear(r);
	free(lit);
	for (i = 0; txt != NULL && i < n; i++)
		free(txt[i]);
	free(txt);
	return rc;
}

int
odpolicy_set(PGconn *c, const char *tenant, const struct allowlist_entry *es,
    size_t n, long long per_minute, long long max_pending, char *err,
    size_t errlen)
{
	char pm[24], mp[24];
	int rc = -1, ok;

	snprintf(pm, sizeof(pm), "%lld", per_minute);
	snprintf(mp, sizeof(mp), "%lld", max_pending);
	if (db_begin(c, err, errlen) < 0)
		return -1;
	if (db_exec(c, "on-demand tenant", "INSERT INTO tenants (name, "
	    "od_per_minute, od_max_pending) VALUES ($1, nullif(greatest($2::"
	    "bigint, -1), -1), nullif(greatest($3::bigint, -1), -1)) ON CONFLICT "
	    "(name) DO UPDATE SET od_per_minute = excluded.od_per_minute, "
	    "od_max_pending = excluded.od_max_pending, updated_at = now()", 3,
	    (const char *[]){ tenant, pm, mp }, NULL, NULL, err, errlen) < 0 ||
	    (ok = odpolicy_entries(c, tenant, es, n, err, errlen)) < 0)
		goto out;
	if (ok == 0) {
		rc = 0;
		goto out;
	}
	if (odqueue_lift(c, err, errlen) < 0 ||
	    db_exec(c, "on-demand notify", "SELECT pg_notify('" ODPOLICY_CHANNEL
	    "', 'policy')", 0, NULL, NULL, NULL, err, errlen) < 0 ||
	    db_commit(c, err, errlen) < 0)
		goto out;
	rc = 1;
out:
	if (rc < 1)
		db_rollback(c);
	return rc;
}

/* A limit column: null, or its number. */
static json_t *
odpolicy_limit(const PGresult *r, int row, int col)
{
	if (PQgetisnull(r, row, col))
		return json_null();
	return json_integer(strtoll(PQgetvalue(r, row, col), NULL, 10));
}

int
odpolicy_get(PGconn *c, const char *tenant, json_t **out, char *err,
    size_t errlen)
{
	PGresult *r;
	json_t *allow;
	int i;

	*out = NULL;
	if ((r = db_query(c, "on-demand policy", "SELECT t.od_per_minute, "
	    "t.od_max_pending, a.entry FROM tenants t LEFT JOIN on_demand_allow "
	    "a ON a.tenant = t.name WHERE t.name = $1 ORDER BY a.entry", 1,
	    &tenant, NULL, NULL, err, errlen)) == NULL)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return 0;
	}
	allow = json_array();
	for (i = 0; i < PQntuples(r); i++)
		if (!PQgetisnull(r, i, 2))
			json_array_append_new(allow, json_string(PQgetvalue(r, i,
			    2)));
	*out = json_pack("{s:s, s:o, s:o, s:o}", "tenant", tenant, "allow",
	    allow, "per_minute", odpolicy_limit(r, 0, 0), "max_pending",
	    odpolicy_limit(r, 0, 1));
	PQclear(r);
	if (*out == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 1;
}

json_t *
odpolicy_list(PGconn *c, char *err, size_t errlen)
{
	PGresult *r;
	json_t *arr;
	int i;

	if ((r = db_query(c, "on-demand policies", "SELECT t.name, "
	    "t.od_per_minute, t.od_max_pending, (SELECT count(*) FROM "
	    "on_demand_allow a WHERE a.tenant = t.name), coalesce((SELECT "
	    "array_agg(entry ORDER BY entry) FROM (SELECT entry FROM "
	    "on_demand_allow a WHERE a.tenant = t.name ORDER BY entry LIMIT 20) "
	    "e), '{}') FROM tenants t WHERE t.od_per_minute IS NOT NULL OR "
	    "t.od_max_pending IS NOT NULL OR EXISTS (SELECT 1 FROM "
	    "on_demand_allow a WHERE a.tenant = t.name) ORDER BY t.name", 0,
	    NULL, NULL, NULL, err, errlen)) == NULL)
		return NULL;
	arr = json_array();
	for (i = 0; arr != NULL && i < PQntuples(r); i++) {
		char **e;
		size_t ne = 0;
		json_t *allow = json_array();

		if ((e = db_array_parse(PQgetvalue(r, i, 4), &ne)) != NULL) {
			for (size_t k = 0; k < ne; k++)
				json_array_append_new(allow, json_string(e[k]));
			db_array_free(e, ne);
		}
		json_array_append_new(arr, json_pack("{s:s, s:o, s:I, s:o, s:o}",
		    "tenant", PQgetvalue(r, i, 0), "allow", allow, "entries",
		    (json_int_t)strtoll(PQgetvalue(r, i, 3), NULL, 10),
		    "per_minute", odpolicy_limit(r, i, 1), "max_pending",
		    odpolicy_limit(r, i, 2)));
	}
	PQclear(r);
	return arr;
}

/* Reads r's rows (tenant, base, wildcard) as entries into *es; their
 * tenants stay in r. Returns the count, or -1 when memory runs out. */
static long
odpolicy_read(const PGresult *r, struct allowlist_entry **es)
{
	int i, n = PQntuples(r);

	if ((*es = calloc(n > 0 ? (size_t)n : 1, sizeof(**es))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		snprintf((*es)[i].base, sizeof((*es)[i].base), "%s",
		    PQgetvalue(r, i, 1));
		(*es)[i].wildcard = strcmp(PQgetvalue(r, i, 2), "t") == 0;
	}
	return n;
}

/* The entries that could match name itself: bases among its suffixes. */
static PGresult *
odpolicy_candidates(PGconn *c, const char *name, char *err, size_t errlen)
{
	char *suf[HOSTNAME_MAX / 2 + 2], *lit;
	const char *p;
	size_t n = 0;
	PGresult *r;

	for (p = name; p != NULL; p = strchr(p, '.') != NULL ?
	    strchr(p, '.') + 1 : NULL)
		suf[n++] = (char *)(uintptr_t)p;
	if ((lit = db_array_literal(suf, n)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	r = db_query(c, "on-demand match", ODPOLICY_ENTRIES "WHERE base = "
	    "ANY($1::text[])", 1, (const char *[]){ lit }, NULL, NULL, err,
	    errlen);
	free(lit);
	return r;
}

/* Decides from the entries in r (tenant, base, wildcard); scoped 1 when r
 * holds every entry under rd, so a refusal may be widened. */
static int
odpolicy_decide(const PGresult *r, const char *name, const char *rd,
    int scoped, struct odpolicy_match *m, char *err, size_t errlen)
{
	struct allowlist_entry *es;
	long n, best;

	if ((n = odpolicy_read(r, &es)) < 0) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if ((best = allowlist_best(es, (size_t)n, name)) >= 0) {
		m->allowed = 1;
		snprintf(m->tenant, sizeof(m->tenant), "%s", PQgetvalue(r,
		    (int)best, 0));
		allowlist_format(&es[best], m->entry);
	} else if (scoped)
		m->wide = allowlist_deny_scope(name, rd, es, (size_t)n,
		    m->scope);
	free(es);
	if (!m->allowed && !m->wide)
		snprintf(m->scope, sizeof(m->scope), "%s", name);
	return 0;
}

int
odpolicy_match(PGconn *c, const char *name, struct odpolicy_match *m,
    char *err, size_t errlen)
{
	char rd[HOSTNAME_MAX + 1], limit[16];
	PGresult *r;
	int rc;

	memset(m, 0, sizeof(*m));
	if (hostname_registered_domain(name, rd, sizeof(rd)) < 0)
		snprintf(rd, sizeof(rd), "%s", name);
	snprintf(limit, sizeof(limit), "%d", ALLOWLIST_SCAN_MAX + 1);
	if ((r = db_query(c, "on-demand entries", ODPOLICY_ENTRIES "WHERE base = "
	    "$1 OR reverse(base) LIKE reverse($1) || '.%' LIMIT $2::int", 2,
	    (const char *[]){ rd, limit }, NULL, NULL, err, errlen)) == NULL)
		return -1;
	if (PQntuples(r) <= ALLOWLIST_SCAN_MAX) {
		rc = odpolicy_decide(r, name, rd, 1, m, err, errlen);
		PQclear(r);
		return rc;
	}
	PQclear(r);
	/* too many entries under that domain to scope a refusal: match only */
	if ((r = odpolicy_candidates(c, name, err, errlen)) == NULL)
		return -1;
	rc = odpolicy_decide(r, name, rd, 0, m, err, errlen);
	PQclear(r);
	return rc;
}
