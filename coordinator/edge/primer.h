/* primer.h -- writes issued certificates to Redis in the peter_sslers formats for edges (rediskeys.h). */
#ifndef CERTFLEET_COORD_PRIMER_H
#define CERTFLEET_COORD_PRIMER_H

#include <stddef.h>

#include <hiredis/hiredis.h>
#include <libpq-fe.h>

#include "vault.h"

#define PRIME_BATCH 1000	/* certificates per pass */
#define PRIME_TIMEOUT_MS 5000

/* One pass: every current issued certificate with primed_at NULL (up to
 * PRIME_BATCH) is written, for each of its hostnames, in prime style 1
 * (d1:<host> hash c/p/i, strings c:<id>, p:<id>, i:<id>) and style 2
 * (d2:<host> hash f/p), pipelined, followed by PUBLISH on
 * REDISKEYS_CHANNEL_CHANGED per hostname; then primed_at is set. *redis is
 * (re)connected to url, database db, as needed and dropped on error, so a
 * Redis outage only delays priming. Returns the number of certificates
 * primed (>= 0), or -1 with a message in err. */
int prime_pass(PGconn *c, redisContext **redis, const char *url, int db,
    const struct vault *v, char *err, size_t errlen);

/* One pass of withdrawals: every revoked issued certificate not withdrawn
 * yet (up to PRIME_BATCH) leaves Redis: for each hostname, d1:<host> and
 * d2:<host> are deleted (and the name PUBLISHed on
 * REDISKEYS_CHANNEL_CHANGED) only while d1:<host> still points at it, so a
 * newer certificate primed for the name stays; its c:/i:/p: strings go.
 * Then unprimed_at is set. Returns the number withdrawn (>= 0), or -1 with
 * a message in err (*redis dropped as in prime_pass). */
int prime_withdraw_pass(PGconn *c, redisContext **redis, const char *url,
    int db, char *err, size_t errlen);

#endif
