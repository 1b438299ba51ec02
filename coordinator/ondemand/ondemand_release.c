/* ondemand_release.c -- queued (allowed) names enrolled, oldest first, while the global and per-tenant limits leave room; the others wait. */
#include "ondemand_int.h"

#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "enroll.h"
#include "log.h"
#include "negcache.h"
#include "odqueue.h"
#include "odstats.h"
#include "tenant.h"

#define OD_WHY_MAX 200

/* Room left for one tenant in this pass. */
struct od_room {
	char	tenant[TENANT_NAME_MAX + 1];
	long	room;
	char	why[OD_WHY_MAX];
};

struct od_release {
	long		 room;		/* global */
	char		 why[OD_WHY_MAX];
	struct od_room	*t;
	size_t		 nt;
	size_t		 issuing;	/* Redis writes queued */
};

/* The room entry of tenant, read from PostgreSQL on first sight; NULL with
 * err. */
static struct od_room *
od_room(struct ondemand *od, struct od_release *rel, const char *tenant,
    char *err, size_t errlen)
{
	struct od_room *t;
	size_t i;

	for (i = 0; i < rel->nt; i++)
		if (strcmp(rel->t[i].tenant, tenant) == 0)
			return &rel->t[i];
	t = &rel->t[rel->nt];	/* nt < ONDEMAND_RELEASE_MAX: one per row */
	snprintf(t->tenant, sizeof(t->tenant), "%s", tenant);
	if (odqueue_room(od->db, tenant, 0, 0, &t->room, t->why, sizeof(t->why),
	    err, errlen) < 0)
		return NULL;
	rel->nt++;
	return t;
}

/*
 * A single-name certificate for name, of tenant, with on-demand priority.
 * Returns 1 (enrolled, id set), 2 (a live certificate of that name set
 * exists: id set), 0 (a tenant quota refused it: err says which), -1 err.
 */
static int
od_enroll(struct ondemand *od, const char *name, const char *tenant,
    const char *source, char id[IDS_LEN + 1], char *err, size_t errlen)
{
	struct enroll_request req;
	char *names[1], labels[64], status[16];
	int n;

	memset(&req, 0, sizeof(req));
	names[0] = (char *)(uintptr_t)name;
	req.names = names;
	req.nnames = 1;
	req.key_type = od->s->key_type;
	req.challenge = "http-01";
	snprintf(req.tenant, sizeof(req.tenant), "%s", tenant);
	snprintf(labels, sizeof(labels), "{\"on-demand\":\"%s\"}", source);
	req.labels = labels;
	req.priority = ONDEMAND_PRIORITY;
	if ((n = enroll_find_live(od->db, &req, id, status, err, errlen)) != 0)
		return n < 0 ? -1 : 2;
	return enroll_create(od->db, od->v, od->s, &req, id, err, errlen);
}

/* name stays queued: held by why (a limit, or a quota for retry_s). The
 * first hold of a name is counted and logged. */
static int
od_hold(struct ondemand *od, const char *name, const char *tenant,
    int limited, const char *why, long retry_s, char *err, size_t errlen)
{
	char reason[ODQUEUE_REASON_MAX];

	if (limited && retry_s == 0)
		return 0;	/* held already, still held: nothing new */
	snprintf(reason, sizeof(reason), "allowed for tenant %s, waiting: held "
	    "by %s", tenant, why);
	if (odqueue_hold(od->db, (char *const[]){ (char *)(uintptr_t)name }, 1,
	    reason, retry_s, err, errlen) < 0)
		return -1;
	if (!limited) {
		odstats_add(ODSTATS_LIMITED, 1);
		log_info("on-demand: %s allowed for tenant %s but held by %s; it "
		    "waits in the queue%s", name, tenant, why, retry_s > 0 ?
		    ", tried again in a minute" : "");
	}
	return 0;
}

/* Enrolls row i of r or holds it (a name whose enrollment failed is tried
 * again a minute later). 0, or -1 with err (the pass stops). */
static int
od_release_one(struct ondemand *od, struct od_release *rel, PGresult *r,
    int i, char *err, size_t errlen)
{
	const char *name = PQgetvalue(r, i, OQ_NAME);
	const char *tenant = PQgetvalue(r, i, OQ_TENANT);
	int limited = strcmp(PQgetvalue(r, i, OQ_LIMITED), "t") == 0, n;
	char id[IDS_LEN + 1], reason[ODQUEUE_REASON_MAX], quota[512];
	struct od_room *t;

	if (rel->room == 0)
		return od_hold(od, name, tenant, limited, rel->why, 0, err, errlen);
	if ((t = od_room(od, rel, tenant, err, errlen)) == NULL)
		return -1;
	if (t->room == 0)
		return od_hold(od, name, tenant, limited, t->why, 0, err, errlen);
	n = od_enroll(od, name, tenant, PQgetvalue(r, i, OQ_SOURCE), id, quota,
	    sizeof(quota));
	if (n < 0) {	/* this name only: the others go on */
		log_warn("on-demand: enrolling %s failed: %s; tried again in a "
		    "minute", name, quota);
		return od_hold(od, name, tenant, 1, quota, ONDEMAND_QUOTA_RETRY_S,
		    err, errlen);
	}
	if (n == 0)
		return od_hold(od, name, tenant, limited, quota,
		    ONDEMAND_QUOTA_RETRY_S, err, errlen);
	if (n == 2) {
		odstats_add(ODSTATS_EXISTING, 1);
		return odqueue_existing(od->db, name, id, err, errlen);
	}
	snprintf(reason, sizeof(reason), "enrolled for tenant %s: certificate "
	    "%s", tenant, id);
	if (odqueue_enrolled(od->db, name, id, reason, err, errlen) < 0)
		return -1;
	if (!limited)	/* else counted as limited when it was held */
		odstats_add(ODSTATS_ALLOWED, 1);
	odstats_add(ODSTATS_ENROLLED, 1);
	log_info("on-demand: %s enrolled for tenant %s: certificate %s, order "
	    "priority %d%s", name, tenant, id, ONDEMAND_PRIORITY, limited ?
	    " (released from the queue)" : "");
	if (rel->room != LONG_MAX)
		rel->room--;
	if (t->room != LONG_MAX)
		t->room--;
	if (od->redis != NULL) {
		negcache_issuing(od->redis, name);
		rel->issuing++;
	}
	return 0;
}

int
ondemand_release(struct ondemand *od, char *err, size_t errlen)
{
	struct od_release rel;
	PGresult *r;
	char ferr[512];
	int i, n, rc = -1;

	memset(&rel, 0, sizeof(rel));
	if ((r = odqueue_take(od->db, "queued", ONDEMAND_RELEASE_MAX, 0, err,
	    errlen)) == NULL)
		return -1;
	if ((n = PQntuples(r)) == 0) {
		PQclear(r);
		return 0;
	}
	if ((rel.t = calloc((size_t)n, sizeof(*rel.t))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	if (odqueue_room(od->db, NULL, od->s->od.per_minute,
	    od->s->od.max_pending, &rel.room, rel.why, sizeof(rel.why), err,
	    errlen) < 0)
		goto out;
	ondemand_redis(od);
	for (i = 0; i < n && !atomic_load(&od->stop); i++)
		if (od_release_one(od, &rel, r, i, err, errlen) < 0)
			goto out;
	rc = 0;
out:
	if (rel.issuing > 0 && negcache_flush(od->redis, rel.issuing, ferr,
	    sizeof(ferr)) < 0)
		ondemand_redis_lost(od, ferr);
	free(rel.t);
	PQclear(r);
	return rc;
}
