/* challenge_store.h -- the worker's challenge publisher: http-01 answers written to Redis for the responders, and each job's order URL kept there across crashes. */
#ifndef CERTFLEET_CHALLENGE_STORE_H
#define CERTFLEET_CHALLENGE_STORE_H

#include <stddef.h>

/*
 * Both live in the challenge database (rediskeys.h) and share one lazy
 * connection: the http-01 answers are the responders' contract, the order
 * memo lets a job re-delivered after a crash resume its order, and its
 * claim keeps two workers running one job from opening two orders.
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

/* Deletes the answer for token: queued (chstore_flush), since the answer
 * expires anyway. Returns 0, or -1 with err (no connection, a bad token). */
int chstore_http01_del(struct chstore *cs, const char *token, char *err,
    size_t errlen);

/* Remembers the order URL of a job (REDISKEYS_ORDER_TTL): queued
 * (chstore_flush), since a memo lost with a connection only costs a job
 * resumed elsewhere a new order. Returns 0, or -1 with err. */
int chstore_order_put(struct chstore *cs, const char *job_id,
    const char *order_url, char *err, size_t errlen);

/* What chstore_order_claim found. */
enum chstore_claim {
	CHSTORE_CLAIMED,	/* the job is owner's now: open a new order */
	CHSTORE_RESUME,		/* an order exists: out holds its URL */
	CHSTORE_BUSY		/* another worker opens it: out holds its id */
};

/*
 * Before a job opens a new order: claims it for owner (the worker's id)
 * for REDISKEYS_ORDER_CLAIM_TTL seconds, in the memo's key, unless the
 * memo already holds an order URL or another owner's claim. A job taken
 * again by a second worker while the first still waits to open the order
 * (a rebalance) so waits for that order instead of opening another. The
 * claim is replaced by the URL (chstore_order_put) or released
 * (chstore_order_release); owner's own claim (left by a crash of a worker
 * with the same id) is taken over. Returns an enum chstore_claim, or -1
 * with err (Redis down: the caller opens an order, as without a memo).
 */
int chstore_order_claim(struct chstore *cs, const char *job_id,
    const char *owner, char *out, size_t outlen, char *err, size_t errlen);

/* Writes the commands queued since the last call (an answer's DEL, a
 * memo) in one write, without waiting for their replies: the next command
 * reads them (redisdefer.h). The worker calls it at the end of each turn.
 * A connection that fails is dropped, the queued commands with it. */
void chstore_flush(struct chstore *cs);

/* chstore_flush, then waits until Redis applied every queued command (on
 * close; a test that reads through another connection). */
void chstore_sync(struct chstore *cs);

/* Deletes owner's claim on job_id's order, if the key still holds it. */
void chstore_order_release(struct chstore *cs, const char *job_id,
    const char *owner);

#endif
