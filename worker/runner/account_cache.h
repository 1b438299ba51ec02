/* account_cache.h -- the worker's cache of ACME account keys (fetched from the coordinator) and account URLs. */
#ifndef CERTFLEET_ACCOUNT_CACHE_H
#define CERTFLEET_ACCOUNT_CACHE_H

#include <stddef.h>

#include "httpget.h"
#include "jws.h"

struct acache;

/* api is the coordinator's base URL (CERTFLEET_API), token the workers'
 * bearer token (CERTFLEET_WORKER_TOKEN), tls (may be NULL; its strings are
 * borrowed for the cache's life) the CA that verifies an https:// API and
 * the worker's client certificate. Returns NULL when memory runs out. */
struct acache *acache_new(const char *api, const char *token,
    const struct http_tls *tls);

/* Frees every cached key. */
void acache_free(struct acache *a);

/* Returns the key of account id, fetching it from the coordinator's
 * internal endpoint on first use (one blocking HTTP request, then cached for
 * the life of the process). The key stays owned by the cache. Returns NULL
 * with err when the coordinator cannot give it. */
const struct jws_key *acache_key(struct acache *a, const char *id,
    char *err, size_t errlen);

/* The External Account Binding of account id, fetched from the
 * coordinator's internal endpoint on first use (one blocking request, then
 * cached, "none" included). Returns 1 with *kid and *hmac pointing into the
 * cache (hmac is a secret: never log it), 0 when the account has none, or
 * -1 with err. */
int acache_eab(struct acache *a, const char *id, const char **kid,
    const char **hmac, char *err, size_t errlen);

/* Drops the cached key of id, so that the next acache_key fetches it
 * again (after a rollover elsewhere). Keys already handed out stay valid
 * until acache_free: running operations borrow them. */
void acache_forget(struct acache *a, const char *id);

/* Fetches the pending (rollover) key of account id from the coordinator
 * and checks that its RFC 7638 thumbprint is thumbprint. Not cached: the
 * caller owns the key (jws_key_free, or acache_set_key). Returns NULL
 * with err. */
struct jws_key *acache_pending_key(struct acache *a, const char *id,
    const char *thumbprint, char *err, size_t errlen);

/* Makes key (taken over) the cached key of id, retiring the old one. */
void acache_set_key(struct acache *a, const char *id, struct jws_key *key);

/* The account URL (kid) learnt for id, or NULL. */
const char *acache_url(struct acache *a, const char *id);

/* Remembers the account URL of id (copied). Returns 0 or -1 (no memory). */
int acache_set_url(struct acache *a, const char *id, const char *url);

#endif
