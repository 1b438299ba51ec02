/* odpolicy.h -- tenants' on-demand policies in PostgreSQL: allow-lists and limits; the allow-list's decision about a name. */
#ifndef CERTFLEET_COORD_ODPOLICY_H
#define CERTFLEET_COORD_ODPOLICY_H

#include <stddef.h>

#include <jansson.h>
#include <libpq-fe.h>

#include "allowlist.h"
#include "tenant.h"

/* The channel the on-demand thread LISTENs on; the payload "policy" says a
 * tenant's allow-list changed, "ask" that names wait for a decision. */
#define ODPOLICY_CHANNEL	"certfleet_ondemand"

/*
 * Replaces tenant's policy in one transaction: its allow-list becomes
 * es[0..n) (n <= ALLOWLIST_MAX_ENTRIES, no duplicates), its limits
 * per_minute and max_pending (negative: none), creating the tenant when it
 * is new. Refusals still in force are lifted (the names are judged again
 * on their next ask) and the on-demand thread is told, so it empties the
 * negative cache in Redis. Returns 1, 0 when an entry belongs to another
 * tenant (err, for the client, names the entry and that tenant; nothing
 * written), or -1 with err.
 */
int odpolicy_set(PGconn *c, const char *tenant,
    const struct allowlist_entry *es, size_t n, long long per_minute,
    long long max_pending, char *err, size_t errlen);

/* The policy of tenant: {"tenant", "allow": [...], "per_minute",
 * "max_pending"} (limits null when none). Returns 1 with *out (decref it),
 * 0 when there is no such tenant, -1 with err. */
int odpolicy_get(PGconn *c, const char *tenant, json_t **out, char *err,
    size_t errlen);

/* Every tenant with an allow-list or an on-demand limit, as odpolicy_get
 * shows one, with its allow-list cut to the first 20 entries and "entries"
 * the count. Returns a JSON array, or NULL with err. */
json_t *odpolicy_list(PGconn *c, char *err, size_t errlen);

/* The allow-list's answer for name (normalized, no wildcard). */
struct odpolicy_match {
	int	allowed;			/* 1: allowed, 0: refused */
	char	tenant[TENANT_NAME_MAX + 1];	/* allowed: the entry's tenant */
	char	entry[HOSTNAME_MAX + 1];	/* allowed: the entry */
	char	scope[HOSTNAME_MAX + 1];	/* refused: the name or domain
						 * the refusal may cover */
	int	wide;				/* refused: 1 scope and all
						 * under it, 0 exactly scope */
};

/* Reads the entries at or under name's registered domain (at most
 * ALLOWLIST_SCAN_MAX; beyond, a second query finds the matching ones and a
 * refusal covers the exact name only) and decides: the most specific
 * matching entry allows name (allowlist_best), else name is refused with
 * the widest safe scope (allowlist_deny_scope). Returns 0 with m filled,
 * or -1 with err. Two indexed queries at most. */
int odpolicy_match(PGconn *c, const char *name, struct odpolicy_match *m,
    char *err, size_t errlen);

#endif
