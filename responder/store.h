/* store.h -- the responder's view of Redis: a small locked pool of hiredis connections for http-01 lookups and PING. */
#ifndef CERTFLEET_RESPONDER_STORE_H
#define CERTFLEET_RESPONDER_STORE_H

#include <stddef.h>

#define STORE_SLOTS_MAX		256	/* most connections one pool holds */
#define STORE_VALUE_MAX		1024	/* longest key authorization answered */

struct store;

/*
 * Creates a pool of nslots (1..STORE_SLOTS_MAX) Redis connections to url
 * (redis://...), database db (-1: the URL's database, else 0), with connect
 * and command timeouts of timeout_ms. Each slot caches found answers for
 * cache_ms milliseconds (0: no cache; see cache.h). Connections open lazily, on first use,
 * so a Redis that is down now does not stop the responder from starting;
 * only a malformed URL or bad arguments fail. Returns NULL with a message in
 * err on failure.
 */
struct store *store_open(const char *url, int db, int timeout_ms,
    unsigned cache_ms, size_t nslots, char *err, size_t errlen);

/* Closes every connection and frees st. st may be NULL. No other thread may
 * use st during or after the call. */
void store_close(struct store *st);

/*
 * Looks up the key authorization of token tok[0..toklen) under
 * REDISKEYS_HTTP01_PREFIX (or in the slot's cache), without deleting it. Safe from any number of
 * threads: each call locks one connection of the pool (threads keep to
 * their own slot, so there is no contention while threads <= slots).
 * Returns 1 with the value in out[0..*outlen) (NUL-terminated; outsz must
 * be > STORE_VALUE_MAX), 0 when the key does not exist, -1 when Redis
 * cannot be reached (the connection is dropped and reopened on the next
 * call), -2 when the key holds something that is not a key authorization
 * (wrong type, too long). err says why for -1 and -2.
 */
int store_get_http01(struct store *st, const char *tok, size_t toklen,
    char *out, size_t outsz, size_t *outlen, char *err, size_t errlen);

/* Sends PING on this thread's connection. Returns 1 on PONG, -1 with a
 * message in err otherwise (the connection is reopened on the next call). */
int store_ping(struct store *st, char *err, size_t errlen);

#endif
