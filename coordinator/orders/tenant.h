/* tenant.h -- tenants of certificates and their quotas (live certificates, new orders per hour), checked at enrollment. */
#ifndef CERTFLEET_COORD_TENANT_H
#define CERTFLEET_COORD_TENANT_H

#include <stddef.h>

#include <libpq-fe.h>

#define TENANT_NAME_MAX	63	/* [a-z0-9][a-z0-9._-]* */
#define TENANT_QUOTA_PROBLEM "urn:certfleet:error:quota"

/* 1 when name is a well-formed tenant name. */
int tenant_name_ok(const char *name);

/* What tenant_admit is asked to fit in the tenant's quotas. */
#define TENANT_ADMIT_LIVE	0x1	/* one more live certificate (max_live) */
#define TENANT_ADMIT_ORDER	0x2	/* one more new order (max_orders_per_hour) */

/*
 * In the caller's transaction, before one more live certificate
 * (TENANT_ADMIT_LIVE: an enrollment, an import, a disabled certificate
 * enabled) and/or one more new order (TENANT_ADMIT_ORDER: an enrollment,
 * an enable that orders, a change of names) for tenant: creates the tenant
 * row when it is new (no quota), locks it, and checks the quotas asked
 * for, counted off indexes, each count bounded by its quota. Returns 1
 * when it fits, 0 when a quota refuses it (err names the quota, its value
 * and the count), -1 with err.
 */
int tenant_admit(PGconn *c, const char *tenant, unsigned what, char *err,
    size_t errlen);

/* A tenant's quotas and counts, read once for a batch of enrollments
 * (tenant_room_read) and taken from one enrollment after the other
 * (tenant_room_take). */
struct tenant_room {
	char		name[TENANT_NAME_MAX + 1];
	unsigned	what;		/* TENANT_ADMIT_* asked for */
	long long	max_live;	/* -1: no limit */
	long long	max_hour;	/* max_orders_per_hour, -1: no limit */
	long long	live;		/* live certificates, counted up to max_live + 1 */
	long long	hour;		/* new orders in the last hour, the same */
};

/*
 * tenant_admit's reads, once for a batch: in the caller's transaction,
 * creates tenant's row when it is new (no quota), locks it, and counts
 * what the quotas asked for (what) limit, each count bounded by its quota.
 * Returns 0 with r filled, or -1 with err.
 */
int tenant_room_read(PGconn *c, const char *tenant, unsigned what,
    struct tenant_room *r, char *err, size_t errlen);

/*
 * Admits one more enrollment of r's tenant, as tenant_admit would with the
 * enrollments taken before it written: 1 when it fits (counted in r), 0
 * when a quota refuses it (err names the quota, its value and the count,
 * word for word tenant_admit's message).
 */
int tenant_room_take(struct tenant_room *r, char *err, size_t errlen);

/*
 * Sets tenant's quotas (a negative value: no limit), creating the tenant
 * when it is new. Returns 0, or -1 with err.
 */
int tenant_set(PGconn *c, const char *tenant, long long max_live,
    long long max_orders_per_hour, char *err, size_t errlen);

#endif
