/* store.c -- the responder's Redis pool: lazily opened hiredis connections, one slot per server thread, dropped on error. */
#include "store.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "cache.h"
#include "clock.h"
#include "redisconn.h"
#include "rediskeys.h"

#define STORE_URL_MAX	1024

struct store_slot {
	pthread_mutex_t	 lock;
	redisContext	*ctx;		/* NULL until opened or after an error */
	struct cache	*cache;
};

struct store {
	char			 url[STORE_URL_MAX];
	int			 db;
	int			 timeout_ms;
	size_t			 nslots;
	atomic_size_t		 next;		/* slot handed to the next new thread */
	struct store_slot	 slots[];
};

/* The slot this thread uses, +1 (0: none chosen yet). Threads are given
 * slots round-robin the first time they call in. */
static _Thread_local size_t store_thread_slot;

struct store *
store_open(const char *url, int db, int timeout_ms, unsigned cache_ms,
    size_t nslots, char *err, size_t errlen)
{
	struct redis_url u;
	struct store *st = NULL, *rv = NULL;
	size_t i, inited = 0;
	int udb;

	if (nslots < 1 || nslots > STORE_SLOTS_MAX) {
		snprintf(err, errlen, "store_open: %zu connections: expected 1..%d",
		    nslots, STORE_SLOTS_MAX);
		goto out;
	}
	if (timeout_ms < 1) {
		snprintf(err, errlen, "store_open: timeout must be positive");
		goto out;
	}
	if (strlen(url) >= STORE_URL_MAX) {
		snprintf(err, errlen, "store_open: Redis URL too long");
		goto out;
	}
	if (redisurl_parse(url, &u, err, errlen) < 0)
		goto out;
	udb = u.db;
	redisurl_wipe(&u);	/* only its database is needed */
	if ((st = calloc(1, sizeof(*st) + nslots * sizeof(st->slots[0]))) == NULL) {
		snprintf(err, errlen, "store_open: out of memory");
		goto out;
	}
	memcpy(st->url, url, strlen(url) + 1);
	st->db = db >= 0 ? db : (udb >= 0 ? udb : 0);
	st->timeout_ms = timeout_ms;
	st->nslots = nslots;
	atomic_init(&st->next, 0);
	for (inited = 0; inited < nslots; inited++) {
		if ((st->slots[inited].cache = cache_new(cache_ms)) == NULL) {
			snprintf(err, errlen, "store_open: out of memory");
			goto out;
		}
		if (pthread_mutex_init(&st->slots[inited].lock, NULL) != 0) {
			cache_free(st->slots[inited].cache);
			snprintf(err, errlen, "store_open: pthread_mutex_init failed");
			goto out;
		}
	}
	rv = st;
	st = NULL;
out:
	if (st != NULL) {
		for (i = 0; i < inited; i++) {
			cache_free(st->slots[i].cache);
			pthread_mutex_destroy(&st->slots[i].lock);
		}
		free(st);
	}
	return rv;
}

void
store_close(struct store *st)
{
	size_t i;

	if (st == NULL)
		return;
	for (i = 0; i < st->nslots; i++) {
		if (st->slots[i].ctx != NULL)
			redisFree(st->slots[i].ctx);
		cache_free(st->slots[i].cache);
		pthread_mutex_destroy(&st->slots[i].lock);
	}
	free(st);
}

/* Locks this thread's slot and returns it. */
static struct store_slot *
store_lock(struct store *st)
{
	struct store_slot *s;

	if (store_thread_slot == 0)
		store_thread_slot = atomic_fetch_add(&st->next, 1) % st->nslots + 1;
	s = &st->slots[(store_thread_slot - 1) % st->nslots];
	pthread_mutex_lock(&s->lock);
	return s;
}

/* Makes sure the locked slot s holds an open connection. Returns 0, or -1
 * with err (s unlocked) when Redis cannot be reached. */
static int
store_connect(struct store *st, struct store_slot *s, char *err, size_t errlen)
{
	if (s->ctx == NULL &&
	    (s->ctx = redisconn_open(st->url, st->db, st->timeout_ms, err,
	    errlen)) == NULL) {
		pthread_mutex_unlock(&s->lock);
		return -1;
	}
	return 0;
}

/* Drops the slot's connection after an I/O or protocol error, and unlocks. */
static void
store_release(struct store_slot *s, int broken)
{
	if (broken) {
		redisFree(s->ctx);
		s->ctx = NULL;
	}
	pthread_mutex_unlock(&s->lock);
}

int
store_get_http01(struct store *st, const char *tok, size_t toklen, char *out,
    size_t outsz, size_t *outlen, char *err, size_t errlen)
{
	struct store_slot *s;
	redisReply *r = NULL;
	uint64_t now;
	int rc = -1, broken = 0;

	*outlen = 0;
	if (outsz <= STORE_VALUE_MAX) {
		snprintf(err, errlen, "store_get_http01: output buffer too small");
		return -2;
	}
	s = store_lock(st);
	now = clock_mono_ms();
	if (cache_get(s->cache, tok, toklen, now, out, outsz, outlen)) {
		pthread_mutex_unlock(&s->lock);
		return 1;
	}
	if (store_connect(st, s, err, errlen) < 0)
		return -1;
	r = redisCommand(s->ctx, "GET " REDISKEYS_HTTP01_PREFIX "%b", tok,
	    toklen);
	if (r == NULL) {
		/* A connection Redis closed while it was idle (a restart, an
		 * ACL LOAD, a timeout) fails its next command: the CA must not
		 * see that, so one new connection, once. */
		redisFree(s->ctx);
		s->ctx = NULL;
		if (store_connect(st, s, err, errlen) < 0)
			return -1;
		r = redisCommand(s->ctx, "GET " REDISKEYS_HTTP01_PREFIX "%b", tok,
		    toklen);
	}
	if (r == NULL) {
		snprintf(err, errlen, "GET: %s", s->ctx->errstr);
		broken = 1;
		goto out;
	}
	switch (r->type) {
	case REDIS_REPLY_NIL:
		rc = 0;
		break;
	case REDIS_REPLY_STRING:
		if (r->len == 0 || (size_t)r->len > STORE_VALUE_MAX) {
			snprintf(err, errlen, "GET: value of %zu bytes is not a "
			    "key authorization", (size_t)r->len);
			rc = -2;
			break;
		}
		memcpy(out, r->str, (size_t)r->len);
		out[r->len] = '\0';
		*outlen = (size_t)r->len;
		cache_put(s->cache, tok, toklen, out, *outlen, now);
		rc = 1;
		break;
	case REDIS_REPLY_ERROR:
		/* WRONGTYPE is the key's fault; LOADING, MISCONF... are Redis's */
		if (strncmp(r->str, "WRONGTYPE", 9) == 0)
			rc = -2;
		else
			broken = 1;
		snprintf(err, errlen, "GET: %.200s", r->str);
		break;
	default:
		snprintf(err, errlen, "GET: unexpected reply type %d", r->type);
		rc = -2;
		break;
	}
out:
	freeReplyObject(r);
	store_release(s, broken);
	return rc;
}

int
store_ping(struct store *st, char *err, size_t errlen)
{
	struct store_slot *s;
	int rc;

	s = store_lock(st);
	if (store_connect(st, s, err, errlen) < 0)
		return -1;
	rc = redisconn_ping(s->ctx, err, errlen);
	store_release(s, rc != 1);
	return rc == 1 ? 1 : -1;
}
