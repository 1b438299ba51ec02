/* redisconn.c -- Redis connection helpers: URL parsing, connect with timeouts, AUTH, SELECT, PING. */
#include "redisconn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int
redisconn_parse_url(const char *url, struct redis_url *u, char *err, size_t errlen)
{
	const char *p, *at, *end, *colon;
	char *e;
	long n;

	memset(u, 0, sizeof(*u));
	u->port = 6379;
	u->db = -1;
	if (strncmp(url, "redis://", 8) != 0) {
		snprintf(err, errlen, "redis URL must start with redis://");
		return -1;
	}
	p = url + 8;
	end = p + strcspn(p, "/");
	if ((at = memchr(p, '@', (size_t)(end - p))) != NULL) {
		colon = memchr(p, ':', (size_t)(at - p));
		if (colon != NULL) {
			if ((size_t)(at - colon - 1) >= sizeof(u->password)) {
				snprintf(err, errlen, "redis URL password too long");
				return -1;
			}
			memcpy(u->password, colon + 1, (size_t)(at - colon - 1));
		}
		p = at + 1;
	}
	colon = memchr(p, ':', (size_t)(end - p));
	if ((size_t)((colon ? colon : end) - p) >= sizeof(u->host) ||
	    (colon ? colon : end) == p) {
		snprintf(err, errlen, "redis URL has no host or too long a host");
		return -1;
	}
	memcpy(u->host, p, (size_t)((colon ? colon : end) - p));
	if (colon != NULL) {
		n = strtol(colon + 1, &e, 10);
		if (e != end || n < 1 || n > 65535) {
			snprintf(err, errlen, "redis URL has a bad port");
			return -1;
		}
		u->port = (int)n;
	}
	if (*end == '/' && end[1] != '\0') {
		n = strtol(end + 1, &e, 10);
		if (*e != '\0' || n < 0 || n > 1000) {
			snprintf(err, errlen, "redis URL has a bad database number");
			return -1;
		}
		u->db = (int)n;
	}
	return 0;
}

/* Runs one command expecting a status reply; returns 0 or -1 with err. */
static int
redisconn_status(redisContext *c, const char *what, redisReply *r, char *err,
    size_t errlen)
{
	int rc = -1;

	if (r == NULL)
		snprintf(err, errlen, "%s: %s", what, c->errstr);
	else if (r->type == REDIS_REPLY_ERROR)
		snprintf(err, errlen, "%s: %s", what, r->str);
	else
		rc = 0;
	freeReplyObject(r);
	return rc;
}

redisContext *
redisconn_open(const char *url, int db, int timeout_ms, char *err, size_t errlen)
{
	struct redis_url u;
	struct timeval tv;
	redisContext *c;

	if (redisconn_parse_url(url, &u, err, errlen) < 0)
		return NULL;
	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	c = redisConnectWithTimeout(u.host, u.port, tv);
	if (c == NULL || c->err) {
		snprintf(err, errlen, "connect %s:%d: %s", u.host, u.port,
		    c != NULL ? c->errstr : "out of memory");
		redisFree(c);
		return NULL;
	}
	if (redisSetTimeout(c, tv) != REDIS_OK) {
		snprintf(err, errlen, "set timeout: %s", c->errstr);
		goto fail;
	}
	if (u.password[0] != '\0' &&
	    redisconn_status(c, "AUTH", redisCommand(c, "AUTH %s", u.password),
	    err, errlen) < 0)
		goto fail;
	if (db < 0)
		db = u.db;
	if (db > 0 &&
	    redisconn_status(c, "SELECT", redisCommand(c, "SELECT %d", db),
	    err, errlen) < 0)
		goto fail;
	return c;
fail:
	redisFree(c);
	return NULL;
}

int
redisconn_ping(redisContext *c, char *err, size_t errlen)
{
	redisReply *r;
	int rc = -1;

	r = redisCommand(c, "PING");
	if (r == NULL) {
		snprintf(err, errlen, "PING: %s", c->errstr);
		rc = c->err == REDIS_ERR_EOF || c->err == REDIS_ERR_IO ? 0 : -1;
	} else if (r->type == REDIS_REPLY_STATUS && strcmp(r->str, "PONG") == 0)
		rc = 1;
	else
		snprintf(err, errlen, "PING: unexpected reply");
	freeReplyObject(r);
	return rc;
}
