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
tenant_room_read(PGconn *c, const char *tenant, unsigned what,
    struct tenant_room *r, char *err, size_t errlen)
{
	PGresult *res;
	char live[24], hour[24];

	memset(r, 0, sizeof(*r));
	snprintf(r->name, sizeof(r->name), "%s", tenant);
	r->what = what;
	if (db_exec(c, "tenant create", "INSERT INTO tenants (name) VALUES ($1) "
	    "ON CONFLICT (name) DO NOTHING", 1, &tenant, NULL, NULL, err,
	    errlen) < 0 ||
	    (res = db_query(c, "tenant quotas", "SELECT coalesce(max_live, -1), "
	    "coalesce(max_orders_per_hour, -1) FROM tenants WHERE name = $1 FOR "
	    "UPDATE", 1, &tenant, NULL, NULL, err, errlen)) == NULL)
		return -1;
	snprintf(live, sizeof(live), "%s", PQgetvalue(res, 0, 0));
	snprintf(hour, sizeof(hour), "%s", PQgetvalue(res, 0, 1));
	PQclear(res);
	r->max_live = strtoll(live, NULL, 10);
	r->max_hour = strtoll(hour, NULL, 10);
	if ((what & TENANT_ADMIT_LIVE) && r->max_live != -1 &&
	    (r->live = tenant_count(c, "tenant live", "SELECT count(*) FROM "
	    "(SELECT 1 FROM certificates WHERE tenant = $1 AND status IN "
	    "('pending', 'issued') LIMIT $2::bigint + 1) t", tenant, live, err,
	    errlen)) < 0)
		return -1;
	if ((what & TENANT_ADMIT_ORDER) && r->max_hour != -1 &&
	    (r->hour = tenant_count(c, "tenant orders", "SELECT count(*) FROM "
	    "(SELECT 1 FROM orders WHERE tenant = $1 AND created_at > now() - "
	    "interval '1 hour' LIMIT $2::bigint + 1) t", tenant, hour, err,
	    errlen)) < 0)
		return -1;
	return 0;
}

int
tenant_room_take(struct tenant_room *r, char *err, size_t errlen)
{
	if ((r->what & TENANT_ADMIT_LIVE) && r->max_live != -1 &&
	    r->live >= r->max_live) {
		snprintf(err, errlen, "tenant %s is at its quota of %lld live "
		    "certificates (max_live)", r->name, r->max_live);
		return 0;
	}
	if ((r->what & TENANT_ADMIT_ORDER) && r->max_hour != -1 &&
	    r->hour >= r->max_hour) {
		snprintf(err, errlen, "tenant %s is at its quota of %lld new "
		    "orders per hour (max_orders_per_hour): %lld in the last "
		    "hour", r->name, r->max_hour, r->hour);
		return 0;
	}
	/* what tenant_admit counts again once this enrollment is written */
	if (r->what & TENANT_ADMIT_LIVE)
		r->live++;
	if (r->what & TENANT_ADMIT_ORDER)
		r->hour++;
	return 1;
}

int
tenant_admit(PGconn *c, const char *tenant, unsigned what, char *err,
    size_t errlen)
{
	struct tenant_room r;

	if (tenant_room_read(c, tenant, what, &r, err, errlen) < 0)
		return -1;
	return tenant_room_take(&r, err, errlen);
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
