/* flow.h -- what a relay pass may release per CA: room under its cap on orders in flight, and nothing while its breaker is open. */
#ifndef CERTFLEET_COORD_FLOW_H
#define CERTFLEET_COORD_FLOW_H

#include <stddef.h>

#include <libpq-fe.h>

#include "cas.h"

#define FLOW_HALF_OPEN_ORDERS	2	/* orders in flight while half-open */

/* One configured CA as the relay sees it in this pass. */
struct flow_ca {
	const struct cas_ca	*ca;
	long			 in_flight;	/* orders sent or processing,
						 * counted up to its cap */
	long			 room;		/* issue orders it may still take;
						 * -1: no cap */
	int			 open;		/* breaker open: hold every job */
	int			 held;		/* a scope of it is held now
						 * (ca_holds): its issue orders
						 * go through budget_admit */
};

struct flow {
	struct flow_ca	ca[CAS_MAX];
	size_t		n;
};

/* Reads, in the caller's transaction, each CA of cas: its orders in flight
 * (an index on orders, read no further than its cap: a pass costs the cap,
 * not every order in flight) and its breaker (ca_health), and so its room:
 * the cap (CERTFLEET_CA_<NAME>_MAX_IN_FLIGHT; 0 none) minus what is in
 * flight, at most FLOW_HALF_OPEN_ORDERS in flight while half-open, nothing
 * while open; and whether it holds any scope now (ca_holds, written when
 * it reported a rate limit: results/ratelimits.c). Returns 0, or -1 with
 * err. */
int flow_read(PGconn *c, const struct cas_conf *cas, struct flow *f,
    char *err, size_t errlen);

/* A PostgreSQL text[] literal of the CAs whose breaker is open; NULL when
 * memory runs out. The caller frees it. */
char *flow_open(const struct flow *f);

/* The CAs with room for issue orders and how many each may take (at most
 * max): a text[] literal in *cas and an integer[] literal in *rooms, both
 * malloc'd. Returns 0, or -1 when memory runs out. */
int flow_rooms(const struct flow *f, long max, char **cas, char **rooms);

/* An issue order of CA name wants to go now: 1 when it may (its room is
 * taken), 0 when the CA is at its cap or open. A CA not configured has no
 * cap: 1. */
int flow_take(struct flow *f, const char *name);

/* 1 when CA name holds a scope now (flow_read), else 0. */
int flow_held(struct flow *f, const char *name);

#endif
