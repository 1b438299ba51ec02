/* tenant.c -- per-tenant quotas on live certificates and new orders per hour, enforced in the enrollment's transaction. */
#include "tenant.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

int
tenant_name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > TENANT_NAME_MAX ||
	    !((name[0] >= 'a' && name[0] <= 'z') ||
	    (name[0] >= '0' && name[0] <= '9')))
		return 0;
	for (i = 1; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '.' ||
		    name[i] == '_' || name[i] == '-'))
			return 0;
	return 1;
}

/* Rows of sql ($1 tenant, $2 the quota) counted up to quota + 1. */
static long long
tenant_count(PGconn *c, const char *what, const char *sql, const char *tenant,
    const char *quota, char *err, size_t errlen)
{
	PGresult *r;
	long long n;

	if ((r = db_query(c, what, sql, 2, (const char *[]){ tenant, quota },
	    NULL, NULL, err, errlen)) == NULL)
		return -1;
	n = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return n;
}

int
tenant_admit(PGconn *c, const char *tenant, unsigned what, char *err,
    size_t errlen)
{
	PGresult *r;
	char live[24], hour[24];
	long long n;

	if (db_exec(c, "tenant create", "INSERT INTO tenants (name) VALUES ($1) "
	    "ON CONFLICT (name) DO NOTHING", 1, &tenant, NULL, NULL, err,
	    errlen) < 0 ||
	    (r = db_query(c, "tenant quotas", "SELECT coalesce(max_live, -1), "
	    "coalesce(max_orders_per_hour, -1) FROM tenants WHERE name = $1 FOR "
	    "UPDATE", 1, &tenant, NULL, NULL, err, errlen)) == NULL)
		return -1;
	snprintf(live, sizeof(live), "%s", PQgetvalue(r, 0, 0));
	snprintf(hour, sizeof(hour), "%s", PQgetvalue(r, 0, 1));
	PQclear(r);
	if ((what & TENANT_ADMIT_LIVE) && strcmp(live, "-1") != 0) {
		if ((n = tenant_count(c, "tenant live", "SELECT count(*) FROM "
		    "(SELECT 1 FROM certificates WHERE tenant = $1 AND status IN "
		    "('pending', 'issued') LIMIT $2::bigint + 1) t", tenant, live,
		    err, errlen)) < 0)
			return -1;
		if (n >= strtoll(live, NULL, 10)) {
			snprintf(err, errlen, "tenant %s is at its quota of %s live "
			    "certificates (max_live)", tenant, live);
			return 0;
		}
	}
	if ((what & TENANT_ADMIT_ORDER) && strcmp(hour, "-1") != 0) {
		if ((n = tenant_count(c, "tenant orders", "SELECT count(*) FROM "
		    "(SELECT 1 FROM orders WHERE tenant = $1 AND created_at > now() "
		    "- interval '1 hour' LIMIT $2::bigint + 1) t", tenant, hour,
		    err, errlen)) < 0)
			return -1;
		if (n >= strtoll(hour, NULL, 10)) {
			snprintf(err, errlen, "tenant %s is at its quota of %s new "
			    "orders per hour (max_orders_per_hour): %lld in the last "
			    "hour", tenant, hour, n);
			return 0;
		}
	}
	return 1;
}

int
tenant_set(PGconn *c, const char *tenant, long long max_live,
    long long max_orders_per_hour, char *err, size_t errlen)
{
	char live[24], hour[24];

	snprintf(live, sizeof(live), "%lld", max_live);
	snprintf(hour, sizeof(hour), "%lld", max_orders_per_hour);
	return db_exec(c, "tenant set", "INSERT INTO tenants (name, max_live, "
	    "max_orders_per_hour) VALUES ($1, nullif(greatest($2::bigint, -1), "
	    "-1), nullif(greatest($3::bigint, -1), -1)) ON CONFLICT (name) DO "
	    "UPDATE SET max_live = excluded.max_live, max_orders_per_hour = "
	    "excluded.max_orders_per_hour, updated_at = now()", 3,
	    (const char *[]){ tenant, live, hour }, NULL, NULL, err,
	    errlen) < 0 ? -1 : 0;
}
