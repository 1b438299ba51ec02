/* challenge_store.h -- the worker's challenge publisher: http-01 answers written to Redis for the responders, and each job's order URL kept there across crashes. */
#ifndef CERTFLEET_CHALLENGE_STORE_H
#define CERTFLEET_CHALLENGE_STORE_H

#include <stddef.h>

/*
 * Both live in the challenge database (rediskeys.h) and share one lazy
 * connection: the http-01 answers are the responders' contract, the order
 * memo lets a job re-delivered after a crash resume its order.
 */
struct chstore;

/* Connects lazily to url, database db (rediskeys.h: the challenge db).
 * Returns NULL only when memory runs out. */
struct chstore *chstore_new(const char *url, int db);

/* Closes the connection and frees; cs may be NULL. */
void chstore_free(struct chstore *cs);

/* 1 when Redis is usable as far as the store knows. After a failed
 * connection it reconnects (and PINGs) only when its backoff says a try is
 * due (BACKOFF_MIN_MS doubling to BACKOFF_MAX_MS): 0 until one works. The
 * worker takes no new jobs while it is 0. */
int chstore_ready(struct chstore *cs);

/* Stores the key authorization for token with REDISKEYS_HTTP01_TTL.
 * The token must match [A-Za-z0-9_-]+. Returns 0, or -1 with err (Redis down
 * or a bad token). Reconnects once when the connection was lost; after a
 * failed reconnection it fails at once until the next try is due. */
int chstore_http01_put(struct chstore *cs, const char *token,
    const char *keyauth, char *err, size_t errlen);

/* Deletes the answer for token. Returns 0 (also when it was gone), -1 on
 * error. */
int chstore_http01_del(struct chstore *cs, const char *token, char *err,
    size_t errlen);

/* Remembers the order URL of a job (REDISKEYS_ORDER_TTL). Returns 0 or -1. */
int chstore_order_put(struct chstore *cs, const char *job_id,
    const char *order_url, char *err, size_t errlen);

/* Looks up the order URL of a job into out. Returns 1 found, 0 none, -1
 * error. */
int chstore_order_get(struct chstore *cs, const char *job_id, char *out,
    size_t outlen, char *err, size_t errlen);

#endif
