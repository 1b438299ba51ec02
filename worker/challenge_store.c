/* kv.c -- the worker's Redis connection: http-01 answers (SET EX / DEL) and job -> order URL memos. */
#include "challenge_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>

#include "b64.h"
#include "redisconn.h"
#include "rediskeys.h"

#define KV_TIMEOUT_MS 2000
#define KV_TOKEN_MAX 256

struct kv {
	char		*url;
	int		 db;
	redisContext	*c;
};

struct kv *
kv_new(const char *url, int db)
{
	struct kv *kv;

	if ((kv = calloc(1, sizeof(*kv))) == NULL)
		return NULL;
	if ((kv->url = strdup(url)) == NULL) {
		free(kv);
		return NULL;
	}
	kv->db = db;
	return kv;
}

void
kv_free(struct kv *kv)
{
	if (kv == NULL)
		return;
	if (kv->c != NULL)
		redisFree(kv->c);
	free(kv->url);
	free(kv);
}

/* Runs one command (argv form), connecting first when needed and retrying
 * once on a fresh connection when the old one broke. Returns the reply (the
 * caller frees it), or NULL with err. */
static redisReply *
kv_command(struct kv *kv, int argc, const char **argv, char *err, size_t errlen)
{
	redisReply *r = NULL;
	int try;

	for (try = 0; try < 2; try++) {
		if (kv->c == NULL &&
		    (kv->c = redisconn_open(kv->url, kv->db, KV_TIMEOUT_MS, err,
		    errlen)) == NULL)
			return NULL;
		r = redisCommandArgv(kv->c, argc, argv, NULL);
		if (r != NULL)
			break;
		snprintf(err, errlen, "redis: %s", kv->c->errstr);
		redisFree(kv->c);
		kv->c = NULL;
	}
	if (r != NULL && r->type == REDIS_REPLY_ERROR) {
		snprintf(err, errlen, "redis: %s", r->str);
		freeReplyObject(r);
		return NULL;
	}
	return r;
}

static int
kv_key(char *key, size_t keylen, const char *prefix, const char *id,
    char *err, size_t errlen)
{
	size_t n = strnlen(id, KV_TOKEN_MAX + 1);

	if (n > KV_TOKEN_MAX || !b64url_charset_ok(id, n)) {
		snprintf(err, errlen, "refusing a token or id outside [A-Za-z0-9_-]{1,%d}",
		    KV_TOKEN_MAX);
		return -1;
	}
	snprintf(key, keylen, "%s%s", prefix, id);
	return 0;
}

/* SET key value EX ttl. */
static int
kv_setex(struct kv *kv, const char *key, const char *value, int ttl, char *err,
    size_t errlen)
{
	char ttls[16];
	const char *argv[] = { "SET", key, value, "EX", ttls };
	redisReply *r;

	snprintf(ttls, sizeof(ttls), "%d", ttl);
	if ((r = kv_command(kv, 5, argv, err, errlen)) == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}

int
kv_http01_put(struct kv *kv, const char *token, const char *keyauth, char *err,
    size_t errlen)
{
	char key[sizeof(REDISKEYS_HTTP01_PREFIX) + KV_TOKEN_MAX];

	if (kv_key(key, sizeof(key), REDISKEYS_HTTP01_PREFIX, token, err, errlen) < 0)
		return -1;
	return kv_setex(kv, key, keyauth, REDISKEYS_HTTP01_TTL, err, errlen);
}

int
kv_http01_del(struct kv *kv, const char *token, char *err, size_t errlen)
{
	char key[sizeof(REDISKEYS_HTTP01_PREFIX) + KV_TOKEN_MAX];
	const char *argv[] = { "DEL", key };
	redisReply *r;

	if (kv_key(key, sizeof(key), REDISKEYS_HTTP01_PREFIX, token, err, errlen) < 0)
		return -1;
	if ((r = kv_command(kv, 2, argv, err, errlen)) == NULL)
		return -1;
	freeReplyObject(r);
	return 0;
}

int
kv_order_put(struct kv *kv, const char *job_id, const char *order_url, char *err,
    size_t errlen)
{
	char key[sizeof(REDISKEYS_ORDER_PREFIX) + KV_TOKEN_MAX];

	if (kv_key(key, sizeof(key), REDISKEYS_ORDER_PREFIX, job_id, err, errlen) < 0)
		return -1;
	return kv_setex(kv, key, order_url, REDISKEYS_ORDER_TTL, err, errlen);
}

int
kv_order_get(struct kv *kv, const char *job_id, char *out, size_t outlen,
    char *err, size_t errlen)
{
	char key[sizeof(REDISKEYS_ORDER_PREFIX) + KV_TOKEN_MAX];
	const char *argv[] = { "GET", key };
	redisReply *r;
	int rc = 0;

	if (kv_key(key, sizeof(key), REDISKEYS_ORDER_PREFIX, job_id, err, errlen) < 0)
		return -1;
	if ((r = kv_command(kv, 2, argv, err, errlen)) == NULL)
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
