/* kv.h -- the worker's Redis: http-01 answers for responders, and order URLs kept across crashes. */
#ifndef CERTFLEET_KV_H
#define CERTFLEET_KV_H

#include <stddef.h>

struct kv;

/* Connects lazily to url, database db (rediskeys.h: the challenge db).
 * Returns NULL only when memory runs out. */
struct kv *kv_new(const char *url, int db);
void kv_free(struct kv *kv);

/* Stores the key authorization for token with REDISKEYS_HTTP01_TTL.
 * The token must match [A-Za-z0-9_-]+. Returns 0, or -1 with err (Redis down
 * or a bad token). Reconnects once when the connection was lost. */
int kv_http01_put(struct kv *kv, const char *token, const char *keyauth,
    char *err, size_t errlen);

/* Deletes the answer for token. Returns 0 (also when it was gone), -1 on error. */
int kv_http01_del(struct kv *kv, const char *token, char *err, size_t errlen);

/* Remembers the order URL of a job (REDISKEYS_ORDER_TTL). Returns 0 or -1. */
int kv_order_put(struct kv *kv, const char *job_id, const char *order_url,
    char *err, size_t errlen);

/* Looks up the order URL of a job into out. Returns 1 found, 0 none, -1 error. */
int kv_order_get(struct kv *kv, const char *job_id, char *out, size_t outlen,
    char *err, size_t errlen);

#endif
