/* keypool.h -- certificate keys made ahead: a background thread keeps key_pool filled per key type, sealed; enrollments and renewals take one with FOR UPDATE SKIP LOCKED. */
#ifndef CERTFLEET_COORD_KEYPOOL_H
#define CERTFLEET_COORD_KEYPOOL_H

#include <stddef.h>

#include <libpq-fe.h>
#include <openssl/evp.h>

#include "keys.h"
#include "vault.h"

#define KEYPOOL_MAX	100000	/* keys of one type kept at most */
#define KEYPOOL_BATCH	16	/* keys made between two counts of the pool */
#define KEYPOOL_IDLE_MS	1000	/* a full pool is counted again this often */
#define KEYPOOL_NICE	10	/* the refill thread's nice value above the
				 * process's (at most 19): requests first */
#define KEYPOOL_THREAD_NAME "keypool"	/* its name in /proc/PID/task/TID/comm */

/* How many keys of each type to keep ready (CERTFLEET_KEY_POOL_<TYPE>),
 * indexed by enum keys_type; 0: keys of that type are not pooled. */
struct keypool_sizes {
	long	n[KEYS_TYPE_COUNT];
};

struct keypool;

/*
 * Starts the refill thread: on its own PostgreSQL connection to conninfo,
 * it counts the keys of each pooled type in key_pool and makes the missing
 * ones (keys_generate, at most KEYPOOL_BATCH between two counts), each
 * sealed as VAULT_POOL_KEY of its row, then sleeps KEYPOOL_IDLE_MS when all
 * are full. It runs KEYPOOL_NICE nicer than the process so that request
 * threads win the CPU, named KEYPOOL_THREAD_NAME. Keys are rows: a restart keeps them. Without a pooled type no thread
 * is started. v and sizes must outlive it. Returns the handle, or NULL with
 * a message in err when the thread cannot start.
 */
struct keypool *keypool_start(const char *conninfo, const struct vault *v,
    const struct keypool_sizes *sizes, char *err, size_t errlen);

/* Stops the thread (after the key it is making, up to seconds for RSA-4096)
 * and closes its connection; NULL is fine. */
void keypool_stop(struct keypool *kp);

/*
 * Takes the oldest key of type t from key_pool on c (DELETE of a row picked
 * FOR UPDATE SKIP LOCKED: callers side by side never get the same key; in
 * the caller's transaction when one is open, so a rollback puts it back).
 * Returns 1 with *key (EVP_PKEY_free it), 0 when t is not pooled (sizes
 * NULL or 0 for t: no query is made) or the pool has none left, -1 with a
 * message in err on a database error. A row that does not open under this
 * vault (another master key) is discarded with a warning and counts as
 * none.
 */
int keypool_take(PGconn *c, const struct vault *v,
    const struct keypool_sizes *sizes, enum keys_type t, EVP_PKEY **key,
    char *err, size_t errlen);

/*
 * One refill step on c, as the thread does it: for the first pooled type
 * with fewer keys than its size, makes up to `most` of the missing keys.
 * Returns how many keys were made (0: every pool is full), or -1 with a
 * message in err.
 */
int keypool_fill(PGconn *c, const struct vault *v,
    const struct keypool_sizes *sizes, int most, char *err, size_t errlen);

#endif
