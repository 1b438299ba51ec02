/* allowlist.h -- on-demand allow-list entries: their syntax, which names they allow, and how widely a refusal may be cached. Pure: no I/O. */
#ifndef CERTFLEET_COORD_ALLOWLIST_H
#define CERTFLEET_COORD_ALLOWLIST_H

#include <stddef.h>

#include "hostname.h"

#define ALLOWLIST_MAX_ENTRIES	5000	/* entries of one tenant */
#define ALLOWLIST_SCAN_MAX	1000	/* entries read to scope one refusal */

/*
 * An entry is one of:
 *   "example.com"          that name and every name under it (a customer's
 *                          registered domain, or any name at or below one)
 *   "*.shops.example.net"  exactly one label under shops.example.net (not
 *                          shops.example.net itself, not two labels down)
 * Entries are normalized like enrolled names (hostname_normalize: lower
 * case, A-labels); a public suffix ("com", "*.co.uk") is refused, so no
 * entry allows a whole top-level domain.
 */
struct allowlist_entry {
	char	base[HOSTNAME_MAX + 1];	/* the entry without "*." */
	int	wildcard;
};

/* Parses in as an entry into e. Returns 0, or -1 with a message for the
 * API client in err (naming what is wrong, not echoing in). */
int allowlist_parse(const char *in, struct allowlist_entry *e, char *err,
    size_t errlen);

/* Writes e as text ("*.base" or "base") into out (HOSTNAME_MAX + 1). */
void allowlist_format(const struct allowlist_entry *e, char *out);

/* 1 when e allows name (a normalized host name, no wildcard), else 0. */
int allowlist_matches(const struct allowlist_entry *e, const char *name);

/* Of es[0..n), the entry that allows name and is the most specific: the
 * longest base, a wildcard before a domain entry of the same base. Returns
 * its index, or -1 when none allows name. */
long allowlist_best(const struct allowlist_entry *es, size_t n,
    const char *name);

/* 1 when some name at or under domain could be allowed by e. */
int allowlist_overlaps(const struct allowlist_entry *e, const char *domain);

/*
 * A refused name is cached in Redis as widely as is safe. name is refused
 * (no entry of es[0..n) allows it); rd is its registered domain; es must
 * hold every entry whose base is rd or under rd (the ones that could
 * allow a name under rd). Writes into out the shortest suffix of name, rd
 * or longer, such that no entry could allow any name at or under it, and
 * returns 1; returns 0 when even name itself has entries under it (then
 * only the exact name may be cached as refused). O(labels * n).
 */
int allowlist_deny_scope(const char *name, const char *rd,
    const struct allowlist_entry *es, size_t n, char *out);

#endif
