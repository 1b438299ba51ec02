/* cache.h -- a small direct-mapped cache of found key authorizations, so a burst of CA validations costs one Redis GET. */
#ifndef CERTFLEET_RESPONDER_CACHE_H
#define CERTFLEET_RESPONDER_CACHE_H

#include <stddef.h>
#include <stdint.h>

#define CACHE_ENTRIES	256	/* slots per cache; a colliding token evicts */

/*
 * Only answers that exist are cached, never "not found": the worker writes
 * an answer just before it asks the CA to validate, and that first lookup
 * must see it. An answer deleted from Redis may still be served for up to
 * the TTL, which is harmless (the CA has finished with it).
 * A cache is not thread-safe: the store keeps one per connection slot and
 * uses it under the slot's lock.
 */
struct cache;

/* Returns a cache keeping entries ttl_ms milliseconds, or NULL when out of
 * memory. ttl_ms 0 gives a cache that never holds anything. */
struct cache *cache_new(unsigned ttl_ms);

/* Frees c and every entry. c may be NULL. */
void cache_free(struct cache *c);

/* Looks up tok[0..toklen) at time now_ms (clock_mono_ms). Returns 1 and
 * copies the value into out[0..*outlen) (NUL-terminated) when a fresh entry
 * fits in outsz, else 0. */
int cache_get(struct cache *c, const char *tok, size_t toklen, uint64_t now_ms,
    char *out, size_t outsz, size_t *outlen);

/* Remembers val[0..vallen) for tok[0..toklen) from now_ms on. Out of memory
 * just leaves the entry empty. */
void cache_put(struct cache *c, const char *tok, size_t toklen,
    const char *val, size_t vallen, uint64_t now_ms);

#endif
