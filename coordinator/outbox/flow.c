/* flow.c -- per relay pass, each CA's room: its cap on orders in flight (CERTFLEET_CA_<NAME>_MAX_IN_FLIGHT) minus those in flight, none while its breaker is open. */
#include "flow.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"

static struct flow_ca *
flow_find(struct flow *f, const char *name)
{
	size_t i;

	for (i = 0; i < f->n; i++)
		if (strcmp(f->ca[i].ca->name, name) == 0)
			return &f->ca[i];
	return NULL;
}

/*
 * Per configured CA ($1, its cap $2; 0: none): its breaker's state and its
 * orders in flight, counted only up to the cap that applies (at most
 * FLOW_HALF_OPEN_ORDERS, $3, while half-open; none counted without a cap):
 * the room is all a pass needs, and counting every order in flight read
 * them all on every pass, which grew with the orders nobody answered. Off
 * the partial index orders_in_flight (0017_fleet_metrics.sql). Whether
 * it holds a scope now: one row at most, off ca_holds_until.
 */
#define FLOW_READ_SQL "SELECT r.ca, (SELECT count(*) FROM (SELECT 1 FROM " \
	"orders o WHERE o.ca = r.ca AND o.status IN ('sent', 'processing') " \
	"LIMIT CASE WHEN h.state = 'half_open' AND (r.cap = 0 OR r.cap > " \
	"$3::bigint) THEN $3::bigint ELSE r.cap END) x), " \
	"coalesce(h.state, 'closed'), EXISTS (SELECT 1 FROM ca_holds hd " \
	"WHERE hd.ca = r.ca AND hd.until > now()) FROM unnest($1::text[], " \
	"$2::bigint[]) r(ca, cap) LEFT JOIN ca_health h ON h.ca = r.ca"

/* The parameters of FLOW_READ_SQL for f's CAs: a text[] and a bigint[]
 * literal. Returns 0, or -1 when memory runs out. */
static int
flow_params(const struct flow *f, char **names, char **caps)
{
	char *n[CAS_MAX], *p;
	size_t i;

	*caps = NULL;
	for (i = 0; i < f->n; i++)
		n[i] = (char *)(uintptr_t)f->ca[i].ca->name;
	if ((*names = db_array_literal(n, f->n)) == NULL ||
	    (*caps = malloc(CAS_MAX * 24 + 3)) == NULL) {
		free(*names);
		*names = NULL;
		return -1;
	}
	p = *caps;
	*p++ = '{';
	for (i = 0; i < f->n; i++)
		p += snprintf(p, 24, "%s%ld", i > 0 ? "," : "",
		    f->ca[i].ca->max_in_flight > 0 ?
		    f->ca[i].ca->max_in_flight : 0L);
	*p++ = '}';
	*p = '\0';
	return 0;
}

int
flow_read(PGconn *c, const struct cas_conf *cas, struct flow *f, char *err,
    size_t errlen)
{
	PGresult *r;
	struct flow_ca *fc;
	char *names = NULL, *caps = NULL, half[16];
	long cap;
	size_t i;
	int k;

	memset(f, 0, sizeof(*f));
	for (i = 0; cas != NULL && i < cas->n; i++)
		f->ca[f->n++].ca = &cas->ca[i];
	if (flow_params(f, &names, &caps) < 0) {
		snprintf(err, errlen, "flow: out of memory");
		return -1;
	}
	snprintf(half, sizeof(half), "%d", FLOW_HALF_OPEN_ORDERS);
	r = db_query(c, "flow in flight", FLOW_READ_SQL, 3,
	    (const char *[]){ names, caps, half }, NULL, NULL, err, errlen);
	free(names);
	free(caps);
	if (r == NULL)
		return -1;
	for (k = 0; k < PQntuples(r); k++) {
		if ((fc = flow_find(f, PQgetvalue(r, k, 0))) == NULL)
			continue;
		fc->in_flight = strtol(PQgetvalue(r, k, 1), NULL, 10);
		if (strcmp(PQgetvalue(r, k, 2), "open") == 0)
			fc->open = 1;
		else if (strcmp(PQgetvalue(r, k, 2), "half_open") == 0)
			fc->open = -1;	/* sorted out below */
		fc->held = strcmp(PQgetvalue(r, k, 3), "t") == 0;
	}
	PQclear(r);
	for (i = 0; i < f->n; i++) {
		fc = &f->ca[i];
		cap = fc->ca->max_in_flight;
		if (fc->open == -1) {
			fc->open = 0;
			if (cap == 0 || cap > FLOW_HALF_OPEN_ORDERS)
				cap = FLOW_HALF_OPEN_ORDERS;
		}
		if (fc->open)
			fc->room = 0;
		else if (cap == 0)
			fc->room = -1;
		else
			fc->room = cap > fc->in_flight ? cap - fc->in_flight : 0;
	}
	return 0;
}

char *
flow_open(const struct flow *f)
{
	char *names[CAS_MAX];
	size_t i, n = 0;

	for (i = 0; i < f->n; i++)
		if (f->ca[i].open)
			names[n++] = (char *)(uintptr_t)f->ca[i].ca->name;
	return db_array_literal(names, n);
}

int
flow_rooms(const struct flow *f, long max, char **cas, char **rooms)
{
	char *names[CAS_MAX], *p;
	size_t i, n = 0, len;
	long room;

	*rooms = NULL;
	if ((*rooms = malloc(CAS_MAX * 24 + 3)) == NULL)
		return -1;
	p = *rooms;
	*p++ = '{';
	for (i = 0; i < f->n; i++) {
		room = f->ca[i].room < 0 || f->ca[i].room > max ? max :
		    f->ca[i].room;
		if (f->ca[i].open || room == 0)
			continue;
		len = (size_t)snprintf(p, 24, "%s%ld", n > 0 ? "," : "", room);
		p += len;
		names[n++] = (char *)(uintptr_t)f->ca[i].ca->name;
	}
	*p++ = '}';
	*p = '\0';
	if ((*cas = db_array_literal(names, n)) == NULL) {
		free(*rooms);
		*rooms = NULL;
		return -1;
	}
	return 0;
}

int
flow_held(struct flow *f, const char *name)
{
	const struct flow_ca *fc = flow_find(f, name);

	return fc != NULL && fc->held;
}

int
flow_take(struct flow *f, const char *name)
{
	struct flow_ca *fc = flow_find(f, name);

	if (fc == NULL || fc->room < 0)
		return 1;
	if (fc->room == 0)
		return 0;
	fc->room--;
	return 1;
}
