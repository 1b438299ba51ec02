/* negcache.h -- the on-demand keys in Redis: refusals edges read before they ask (the negative cache), and the marker of a certificate on its way. */
#ifndef CERTFLEET_COORD_NEGCACHE_H
#define CERTFLEET_COORD_NEGCACHE_H

#include <stddef.h>

#include <hiredis/hiredis.h>

#include "hostname.h"
#include "rediskeys.h"

/* Keys one name is checked against (see negcache_keys). */
#define NEGCACHE_KEYS		(REDISKEYS_OD_SUFFIXES + 2)
#define NEGCACHE_KEY_MAX	(sizeof(REDISKEYS_OD_ISSUING_PREFIX) + \
	HOSTNAME_MAX)
#define NEGCACHE_CLEAR_MAX	100000	/* keys one negcache_clear deletes */

/*
 * The keys to read for name (normalized), in this order, the same that
 * deploy/edge/certfleet_edge.lua reads: deny1:<name>, issuing:<name>, then
 * deny:<suffix> for the suffixes of name of two labels or more, shortest
 * first, at most REDISKEYS_OD_SUFFIXES of them (a name of more labels is
 * checked up to that depth; a refusal wider than that is found by the
 * coordinator, not the edge). Writes them to keys (NEGCACHE_KEYS rows of
 * NEGCACHE_KEY_MAX) and returns how many. Pure.
 */
size_t negcache_keys(const char *name, char keys[][NEGCACHE_KEY_MAX]);

/* For each of names[0..n): refused[i] = 1 when a refusal key of
 * negcache_keys is set (deny1: or any deny:), else 0. One pipeline of n
 * MGETs. Returns 0, or -1 with err (a lost connection: the caller drops r
 * and reconnects). */
int negcache_check(redisContext *r, char *const *names, size_t n,
    int *refused, char *err, size_t errlen);

/* Appends to r's pipeline: a refusal of domain and everything under it
 * (wide 1) or of exactly that name (wide 0), holding why ("list",
 * "webhook"), for ttl_s seconds. Nothing is sent until negcache_flush. */
void negcache_deny(redisContext *r, const char *name, int wide,
    const char *why, long ttl_s);

/* Appends the marker "name's certificate is on its way" (REDISKEYS_OD_
 * ISSUING_TTL seconds). */
void negcache_issuing(redisContext *r, const char *name);

/* Reads the replies of the n commands appended. Returns 0, or -1 with err
 * (a lost connection, or a refused write: an ACL missing the keys). */
int negcache_flush(redisContext *r, size_t n, char *err, size_t errlen);

/* Deletes every refusal (deny: and deny1:), after a tenant's allow-list
 * changed, with SCAN and UNLINK, at most NEGCACHE_CLEAR_MAX keys. Returns
 * how many were deleted, or -1 with err. */
long negcache_clear(redisContext *r, char *err, size_t errlen);

#endif
