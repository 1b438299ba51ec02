/* orphans.c -- orders waiting for a CA this coordinator has no configuration for: found by a skip scan of the orders in flight, listed for GET /v1/cas, logged at start and once a minute. */
#include "orphans.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"

/* Every CA with an order in flight, one probe of orders_in_flight (ca,
 * status) each (min above the last), then the waiting orders of those
 * not in $1 (the configured names). '' is the default CA of rows older
 * than CA names. */
#define ORPHANS_SQL "WITH RECURSIVE c(ca) AS (SELECT min(ca) FROM orders " \
	"WHERE status IN ('pending', 'sent', 'processing', 'deferred') " \
	"UNION ALL SELECT (SELECT min(o.ca) FROM orders o WHERE o.status IN " \
	"('pending', 'sent', 'processing', 'deferred') AND o.ca > c.ca) FROM " \
	"c WHERE c.ca IS NOT NULL) SELECT ca, n FROM (SELECT c.ca, (SELECT " \
	"count(*) FROM orders o WHERE o.ca = c.ca AND o.status IN " \
	"('pending', 'deferred')) AS n FROM c WHERE c.ca IS NOT NULL AND " \
	"c.ca <> '' AND c.ca <> ALL($1::text[])) w WHERE n > 0 ORDER BY ca " \
	"LIMIT $2::integer"

int
orphans_list(PGconn *c, const struct cas_conf *cas, struct orphan *out,
    size_t max, char *err, size_t errlen)
{
	char *names[CAS_MAX], *lit, lim[16];
	PGresult *r;
	size_t i;
	int n;

	for (i = 0; i < cas->n; i++)
		names[i] = (char *)cas->ca[i].name;
	if ((lit = db_array_literal(names, cas->n)) == NULL) {
		snprintf(err, errlen, "orphans: out of memory");
		return -1;
	}
	snprintf(lim, sizeof(lim), "%zu", max);
	r = db_query(c, "orphans", ORPHANS_SQL, 2, (const char *[]){ lit,
	    lim }, NULL, NULL, err, errlen);
	free(lit);
	if (r == NULL)
		return -1;
	for (n = 0; n < PQntuples(r) && (size_t)n < max; n++) {
		snprintf(out[n].ca, sizeof(out[n].ca), "%s", PQgetvalue(r, n, 0));
		out[n].waiting = strtol(PQgetvalue(r, n, 1), NULL, 10);
	}
	PQclear(r);
	return n;
}

int
orphans_tick(PGconn *c, const struct cas_conf *cas, uint64_t now_ms,
    uint64_t *last_ms, char *err, size_t errlen)
{
	struct orphan o[ORPHANS_MAX];
	int i, n;

	if (*last_ms != 0 && now_ms - *last_ms < ORPHANS_LOG_EVERY_MS)
		return 0;
	*last_ms = now_ms;
	if ((n = orphans_list(c, cas, o, ORPHANS_MAX, err, errlen)) < 0)
		return -1;
	for (i = 0; i < n; i++)
		log_warn("CA %s is not configured here (CERTFLEET_CAS): %ld "
		    "order(s) wait for it and are sent nowhere (a renewal "
		    "among them lets its certificate expire); configure it "
		    "again, or delete those certificates and enroll them at "
		    "another CA", o[i].ca, o[i].waiting);
	return 0;
}
