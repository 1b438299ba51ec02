/* challenge_store.c -- the challenge publisher's Redis connection: http-01 answers (SET EX / DEL), job -> order URL memos and the claims that keep one job from opening two orders. */
#include "challenge_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "b64.h"
#include "backoff.h"
#include "clock.h"
#include "log.h"
#include "redisconn.h"
#include "redisdefer.h"
#include "rediskeys.h"

#define CHSTORE_TIMEOUT_MS 2000
#define CHSTORE_TOKEN_MAX 256

struct chstore {
	char		*url;
	int		 db;
	redisContext	*c;
	struct redisdefer later;	/* queued: DEL of answers, memos */
	struct backoff	 retry;		/* connecting again after a loss */
};

struct chstore *
chstore_new(const char *url, int db)
{
	struct chstore *cs;

	if ((cs = calloc(1, sizeof(*cs))) == NULL)
		return NULL;
	if ((cs->url = strdup(url)) == NULL) {
		free(cs);
		return NULL;
	}
	cs->db = db;
	cs->later.what = "challenge store";
	backoff_init(&cs->retry, BACKOFF_MIN_MS, BACKOFF_MAX_MS);
	return cs;
}

/* Connects when there is no connection, unless the last tries failed and
 * the next one is not due yet: a worker whose Redis is gone fails fast
 * instead of waiting out a connect timeout on every call. Losses and
 * returns are logged once each. Returns 0, or -1 with err. */
static int
chstore_connect(struct chstore *cs, char *err, size_t errlen)
{
	uint64_t now = clock_mono_ms(), down;
	unsigned wait;

	if (cs->c != NULL)
		return 0;
	if (!backoff_due(&cs->retry, now)) {
		snprintf(err, errlen, "redis: unavailable, next try in %.1f s",
		    (double)(cs->retry.next_ms - now) / 1000.0);
		return -1;
	}
	if ((cs->c = redisconn_open(cs->url, cs->db, CHSTORE_TIMEOUT_MS, err,
	    errlen)) == NULL) {
		wait = backoff_failed(&cs->retry, now);
		log_warn("challenge store: %s; try %u, next in %.1f s", err,
		    cs->retry.failures, (double)wait / 1000.0);
		return -1;
	}
	if ((down = backoff_ok(&cs->retry, now)) > 0)
		log_info("challenge store: Redis back after %.1f s",
		    (double)down / 1000.0);
	return 0;
}

static void chstore_drop(struct chstore *cs, const char *err);

int
chstore_ready(struct chstore *cs)
{
	char err[256];

	if (cs->retry.failures == 0)
		return 1;
	if (!backoff_due(&cs->retry, clock_mono_ms()))
		return 0;
	if (chstore_connect(cs, err, sizeof(err)) < 0)
		return 0;
	if (redisconn_ping(cs->c, err, sizeof(err)) != 1) {
		chstore_drop(cs, err);
		return 0;
	}
	return 1;
}

void
chstore_free(struct chstore *cs)
{
	if (cs == NULL)
		return;
	chstore_sync(cs);	/* what was queued still goes out */
	if (cs->c != NULL)
		redisFree(cs->c);
	free(cs->url);
	free(cs);
}

/* Drops the connection after err; the queued commands it still owed
 * replies for may be lost (each one repaired by its key's TTL). */
static void
chstore_drop(struct chstore *cs, const char *err)
{
	unsigned lost = redisdefer_reset(&cs->later);

	if (lost > 0)
		log_warn("challenge store: %s; %u command(s) sent without "
		    "waiting may be lost (their keys expire)", err, lost);
	redisFree(cs->c);
	cs->c = NULL;
}

/* Runs one command (argv form), connecting first when needed and retrying
 * once on a fresh connection when the old one broke; anything queued goes
 * out with it. Returns the reply (the caller frees it), or NULL with err. */
static redisReply *
chstore_command(struct chstore *cs, int argc, const char **argv, char *err,
    size_t errlen)
{
	redisReply *r = NULL;
	int try;

	for (try = 0; try < 2; try++) {
		if (chstore_connect(cs, err, errlen) < 0)
			return NULL;
		r = redisdefer_command(&cs->later, cs->c, argc, argv);
		if (r != NULL)
			break;
		snprintf(err, errlen, "redis: %s", cs->c->errstr);
		chstore_drop(cs, err);
	}
	if (r != NULL && r->type == REDIS_REPLY_ERROR) {
		snprintf(err, errlen, "redis: %s", r->str);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

/* Queues one command (argv form) whose reply nobody waits for: written by
 * chstore_flush or with the next command. Returns 0, or -1 with err (no
 * connection, or out of memory). */
static int
chstore_later(struct chstore *cs, int argc, const char **argv, char *err,
    size_t errlen)
{
	if (chstore_connect(cs, err, errlen) < 0)
		return -1;
	if (redisdefer_append(&cs->later, cs->c, argc, argv) < 0) {
		snprintf(err, errlen, "redis: out of memory");
		return -1;
	}
	return 0;
}

/* Writes what is queued; with wait, also reads every owed reply. A failed
 * connection is dropped. */
static void
chstore_write(struct chstore *cs, int wait)
{
	char err[256];

	if (cs->c == NULL || (wait ? redisdefer_sync(&cs->later, cs->c) :
	    redisdefer_flush(&cs->later, cs->c)) == 0)
		return;
	snprintf(err, sizeof(err), "redis: %s", cs->c->errstr);
	chstore_drop(cs, err);
}

void
chstore_flush(struct chstore *cs)
{
	chstore_write(cs, 0);
}

void
chstore_sync(struct chstore *cs)
{
	chstore_write(cs, 1);
}

/* Writes prefix and id into key; refuses an id outside [A-Za-z0-9_-] or
 * longer than CHSTORE_TOKEN_MAX. Returns 0, or -1 with err. */
static int
chstore_key(char *key, size_t keylen, const char *prefix, const char *id,
    char *err, size_t errlen)
{
	size_t n = strnlen(id, CHSTORE_TOKEN_MAX + 1);

	if (n > CHSTORE_TOKEN_MAX || !b64url_charset_ok(id, n)) {
		snprintf(err, errlen, "refusing a token or id outside [A-Za-z0-9_-]{1,%d}",
		    CHSTORE_TOKEN_MAX);
		return -1;
	}
	snprintf(key, keylen, "%s%s", prefix, id);
	return 0;
}

/* SET key value EX ttl. */
static int
chstore_setex(struct chstore *cs, const char *key, const char *value, int ttl,
    char *err, size_t errlen)
{
	char ttls[16];
	const char *argv[] = { "SET", key, value, "EX", ttls };
	redisReply *r;

	snprintf(ttls, sizeof(ttls), "%d", ttl);
	if ((r = chstore_command(cs, 5, argv, err, errlen)) == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}

int
chstore_http01_put(struct chstore *cs, const char *token, const char *keyauth,
    char *err, size_t errlen)
{
	char key[sizeof(REDISKEYS_HTTP01_PREFIX) + CHSTORE_TOKEN_MAX];

	if (chstore_key(key, sizeof(key), REDISKEYS_HTTP01_PREFIX, token, err,
	    errlen) < 0)
		return -1;
	return chstore_setex(cs, key, keyauth, REDISKEYS_HTTP01_TTL, err, errlen);
}

int
chstore_http01_del(struct chstore *cs, const char *token, char *err,
    size_t errlen)
{
	char key[sizeof(REDISKEYS_HTTP01_PREFIX) + CHSTORE_TOKEN_MAX];
	const char *argv[] = { "DEL", key };

	if (chstore_key(key, sizeof(key), REDISKEYS_HTTP01_PREFIX, token, err,
	    errlen) < 0)
		return -1;
	return chstore_later(cs, 2, argv, err, errlen);
}

int
chstore_order_put(struct chstore *cs, const char *job_id,
    const char *order_url, char *err, size_t errlen)
{
	char key[sizeof(REDISKEYS_ORDER_PREFIX) + CHSTORE_TOKEN_MAX], ttl[16];
	const char *argv[] = { "SET", key, order_url, "EX", ttl };

	if (chstore_key(key, sizeof(key), REDISKEYS_ORDER_PREFIX, job_id, err,
	    errlen) < 0)
		return -1;
	snprintf(ttl, sizeof(ttl), "%d", REDISKEYS_ORDER_TTL);
	return chstore_later(cs, 5, argv, err, errlen);
}

/* GET key into out. Returns 1 (a value), 0 (none), or -1 with err. */
static int
chstore_get(struct chstore *cs, const char *key, char *out, size_t outlen,
    char *err, size_t errlen)
{
	const char *argv[] = { "GET", key };
	redisReply *r;
	int rc = 0;

	if ((r = chstore_command(cs, 2, argv, err, errlen)) == NULL)
		return -1;
	if (r->type == REDIS_REPLY_STRING) {
		if (r->len >= outlen) {
			snprintf(err, errlen, "stored order URL too long");
			rc = -1;
		} else {
			memcpy(out, r->str, r->len + 1);
			rc = 1;
		}
	}
	freeReplyObject(r);
	return rc;
}

int
chstore_order_claim(struct chstore *cs, const char *job_id, const char *owner,
    char *out, size_t outlen, char *err, size_t errlen)
{
	char key[sizeof(REDISKEYS_ORDER_PREFIX) + CHSTORE_TOKEN_MAX];
	char claim[sizeof(REDISKEYS_ORDER_CLAIM) + CHSTORE_TOKEN_MAX], ttl[16];
	const char *argv[] = { "SET", key, claim, "NX", "EX", ttl };
	size_t n = strlen(REDISKEYS_ORDER_CLAIM);
	redisReply *r;
	int try, set;

	if (chstore_key(key, sizeof(key), REDISKEYS_ORDER_PREFIX, job_id, err,
	    errlen) < 0)
		return -1;
	snprintf(claim, sizeof(claim), REDISKEYS_ORDER_CLAIM "%s", owner);
	snprintf(ttl, sizeof(ttl), "%d", REDISKEYS_ORDER_CLAIM_TTL);
	for (try = 0; try < 2; try++) {
		if ((r = chstore_command(cs, 6, argv, err, errlen)) == NULL)
			return -1;
		set = r->type == REDIS_REPLY_STATUS;	/* nil: the key exists */
		freeReplyObject(r);
		if (set)
			return CHSTORE_CLAIMED;
		switch (chstore_get(cs, key, out, outlen, err, errlen)) {
		case -1:
			return -1;
		case 0:
			continue;	/* it ended meanwhile: claim again */
		}
		if (strncmp(out, REDISKEYS_ORDER_CLAIM, n) != 0)
			return CHSTORE_RESUME;
		if (strcmp(out, claim) != 0) {
			memmove(out, out + n, strlen(out + n) + 1);
			return CHSTORE_BUSY;
		}
		/* this worker's own: left by a crash of the same id */
		return chstore_setex(cs, key, claim, REDISKEYS_ORDER_CLAIM_TTL,
		    err, errlen) < 0 ? -1 : CHSTORE_CLAIMED;
	}
	snprintf(err, errlen, "the order memo of job %s came and went twice",
	    job_id);
	return -1;
}

void
chstore_order_release(struct chstore *cs, const char *job_id,
    const char *owner)
{
	char key[sizeof(REDISKEYS_ORDER_PREFIX) + CHSTORE_TOKEN_MAX];
	char claim[sizeof(REDISKEYS_ORDER_CLAIM) + CHSTORE_TOKEN_MAX];
	char cur[sizeof(claim)], err[256];
	const char *argv[] = { "DEL", key };
	redisReply *r;

	/* on any error the claim ends with its TTL */
	if (chstore_key(key, sizeof(key), REDISKEYS_ORDER_PREFIX, job_id, err,
	    sizeof(err)) < 0)
		return;
	snprintf(claim, sizeof(claim), REDISKEYS_ORDER_CLAIM "%s", owner);
	if (chstore_get(cs, key, cur, sizeof(cur), err, sizeof(err)) != 1 ||
	    strcmp(cur, claim) != 0)
		return;
	if ((r = chstore_command(cs, 2, argv, err, sizeof(err))) != NULL)
		freeReplyObject(r);
}
