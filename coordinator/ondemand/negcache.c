/* negcache.c -- on-demand keys in the prime db: the refusals edges read before asking, and the "being issued" marker. */
#include "negcache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

size_t
negcache_keys(const char *name, char keys[][NEGCACHE_KEY_MAX])
{
	const char *suf[HOSTNAME_MAX / 2 + 2], *p;
	size_t n = 0, ns = 0, i;

	snprintf(keys[n++], NEGCACHE_KEY_MAX, "%s%s", REDISKEYS_OD_DENY1_PREFIX,
	    name);
	snprintf(keys[n++], NEGCACHE_KEY_MAX, "%s%s",
	    REDISKEYS_OD_ISSUING_PREFIX, name);
	/* every suffix that still holds a dot, longest first */
	for (p = name; p != NULL && strchr(p, '.') != NULL; ) {
		suf[ns++] = p;
		p = strchr(p, '.') + 1;
	}
	for (i = ns; i > 0 && n < NEGCACHE_KEYS; i--)
		snprintf(keys[n++], NEGCACHE_KEY_MAX, "%s%s",
		    REDISKEYS_OD_DENY_PREFIX, suf[i - 1]);
	return n;
}

int
negcache_check(redisContext *r, char *const *names, size_t n, int *refused,
    char *err, size_t errlen)
{
	char keys[NEGCACHE_KEYS][NEGCACHE_KEY_MAX];
	const char *argv[NEGCACHE_KEYS + 1];
	redisReply *rep;
	size_t i, j, k;
	int rc = 0;

	for (i = 0; i < n; i++) {
		k = negcache_keys(names[i], keys);
		argv[0] = "MGET";
		for (j = 0; j < k; j++)
			argv[j + 1] = keys[j];
		if (redisAppendCommandArgv(r, (int)k + 1, argv, NULL) != REDIS_OK) {
			snprintf(err, errlen, "negative cache: %s", r->errstr);
			return -1;
		}
	}
	for (i = 0; i < n; i++) {
		if (redisGetReply(r, (void **)&rep) != REDIS_OK) {
			snprintf(err, errlen, "negative cache: %s", r->errstr);
			return -1;
		}
		refused[i] = 0;
		if (rep->type == REDIS_REPLY_ERROR) {
			snprintf(err, errlen, "negative cache: MGET: %.200s",
			    rep->str);
			rc = -1;
		} else if (rep->type == REDIS_REPLY_ARRAY)
			for (j = 0; j < rep->elements; j++)
				if (j != 1 && rep->element[j]->type ==
				    REDIS_REPLY_STRING)
					refused[i] = 1;	/* j 1: issuing: */
		freeReplyObject(rep);
	}
	return rc;
}

void
negcache_deny(redisContext *r, const char *name, int wide, const char *why,
    long ttl_s)
{
	char key[NEGCACHE_KEY_MAX], ttl[24];

	snprintf(key, sizeof(key), "%s%s", wide ? REDISKEYS_OD_DENY_PREFIX :
	    REDISKEYS_OD_DENY1_PREFIX, name);
	snprintf(ttl, sizeof(ttl), "%ld", ttl_s);
	redisAppendCommandArgv(r, 5, (const char *[]){ "SET", key, why, "EX",
	    ttl }, NULL);
}

void
negcache_issuing(redisContext *r, const char *name)
{
	char key[NEGCACHE_KEY_MAX], ttl[24];

	snprintf(key, sizeof(key), "%s%s", REDISKEYS_OD_ISSUING_PREFIX, name);
	snprintf(ttl, sizeof(ttl), "%d", REDISKEYS_OD_ISSUING_TTL);
	redisAppendCommandArgv(r, 5, (const char *[]){ "SET", key, "1", "EX",
	    ttl }, NULL);
}

int
negcache_flush(redisContext *r, size_t n, char *err, size_t errlen)
{
	redisReply *rep;
	size_t i;
	int rc = 0;

	for (i = 0; i < n; i++) {
		if (redisGetReply(r, (void **)&rep) != REDIS_OK) {
			snprintf(err, errlen, "negative cache: %s", r->errstr);
			return -1;
		}
		if (rep->type == REDIS_REPLY_ERROR && rc == 0) {
			snprintf(err, errlen, "negative cache: %.200s", rep->str);
			rc = -1;
		}
		freeReplyObject(rep);
	}
	return rc;
}

/* One SCAN step over pattern from *cursor, UNLINKing what it returns;
 * *deleted grows. Returns 0, or -1 with err. */
static int
negcache_scan(redisContext *r, const char *pattern, char cursor[32],
    long *deleted, char *err, size_t errlen)
{
	redisReply *rep, *keys, *del;
	const char **argv = NULL;
	size_t i;
	int rc = -1;

	rep = redisCommandArgv(r, 6, (const char *[]){ "SCAN", cursor, "MATCH",
	    pattern, "COUNT", "1000" }, NULL);
	if (rep == NULL || rep->type != REDIS_REPLY_ARRAY || rep->elements != 2 ||
	    rep->element[0]->type != REDIS_REPLY_STRING ||
	    rep->element[1]->type != REDIS_REPLY_ARRAY) {
		snprintf(err, errlen, "negative cache: SCAN: %s", rep == NULL ?
		    r->errstr : rep->type == REDIS_REPLY_ERROR ? rep->str :
		    "unexpected reply");
		goto out;
	}
	snprintf(cursor, 32, "%s", rep->element[0]->str);
	keys = rep->element[1];
	if (keys->elements > 0) {
		if ((argv = calloc(keys->elements + 1, sizeof(*argv))) == NULL) {
			snprintf(err, errlen, "negative cache: out of memory");
			goto out;
		}
		argv[0] = "UNLINK";
		for (i = 0; i < keys->elements; i++)
			argv[i + 1] = keys->element[i]->str;
		del = redisCommandArgv(r, (int)keys->elements + 1, argv, NULL);
		if (del == NULL || del->type != REDIS_REPLY_INTEGER) {
			snprintf(err, errlen, "negative cache: UNLINK: %s",
			    del == NULL ? r->errstr : "unexpected reply");
			freeReplyObject(del);
			goto out;
		}
		*deleted += (long)del->integer;
		freeReplyObject(del);
	}
	rc = 0;
out:
	free(argv);
	freeReplyObject(rep);
	return rc;
}

long
negcache_clear(redisContext *r, char *err, size_t errlen)
{
	static const char *const patterns[] = { REDISKEYS_OD_DENY_PREFIX "*",
	    REDISKEYS_OD_DENY1_PREFIX "*" };
	char cursor[32];
	long deleted = 0;
	size_t p;

	for (p = 0; p < 2; p++) {
		snprintf(cursor, sizeof(cursor), "0");
		do {
			if (negcache_scan(r, patterns[p], cursor, &deleted, err,
			    errlen) < 0)
				return -1;
		} while (strcmp(cursor, "0") != 0 && deleted < NEGCACHE_CLEAR_MAX);
	}
	return deleted;
}
