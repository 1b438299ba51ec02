/* redisconn.c -- Redis connection helpers: connect (plain or TLS) with timeouts, AUTH with an ACL user, SELECT, PING. */
#include "redisconn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "redistls.h"

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

/* AUTH [user] password; 0 or -1 with err (Redis's reply never echoes
 * the password). */
static int
redisconn_auth(redisContext *c, const struct redis_url *u, char *err,
    size_t errlen)
{
	const char *argv[3] = { "AUTH", u->user, u->password };
	size_t lens[3] = { 4, strlen(u->user), strlen(u->password) };

	if (u->user[0] != '\0')
		return redisconn_status(c, "AUTH", redisCommandArgv(c, 3, argv,
		    lens), err, errlen);
	argv[1] = u->password;
	lens[1] = lens[2];
	return redisconn_status(c, "AUTH", redisCommandArgv(c, 2, argv, lens),
	    err, errlen);
}

/* The hiredis context for u: plain TCP, or the local end of a TLS relay.
 * Returns it, or NULL with err. */
static redisContext *
redisconn_connect(const struct redis_url *u, int timeout_ms, char *err,
    size_t errlen)
{
	struct timeval tv;
	redisContext *c;
	int fd;

	tv.tv_sec = timeout_ms / 1000;
	tv.tv_usec = (timeout_ms % 1000) * 1000;
	if (!u->tls)
		c = redisConnectWithTimeout(u->host, u->port, tv);
	else if ((fd = redistls_connect(u, timeout_ms, err, errlen)) < 0)
		return NULL;
	else if ((c = redisConnectFd(fd)) == NULL)
		close(fd);
	if (c == NULL || c->err) {
		snprintf(err, errlen, "connect %s:%d: %s", u->host, u->port,
		    c != NULL ? c->errstr : "out of memory");
		redisFree(c);
		return NULL;
	}
	if (redisSetTimeout(c, tv) != REDIS_OK) {
		snprintf(err, errlen, "set timeout: %s", c->errstr);
		redisFree(c);
		return NULL;
	}
	return c;
}

redisContext *
redisconn_open(const char *url, int db, int timeout_ms, char *err, size_t errlen)
{
	struct redis_url u;
	redisContext *c = NULL, *rv = NULL;

	if (redisurl_parse(url, &u, err, errlen) < 0)
		return NULL;
	if ((c = redisconn_connect(&u, timeout_ms, err, errlen)) == NULL)
		goto out;
	if (u.password[0] != '\0' && redisconn_auth(c, &u, err, errlen) < 0)
		goto out;
	if (db < 0)
		db = u.db;
	if (db > 0 &&
	    redisconn_status(c, "SELECT", redisCommand(c, "SELECT %d", db),
	    err, errlen) < 0)
		goto out;
	rv = c;
	c = NULL;	/* the caller's now */
out:
	redisFree(c);
	redisurl_wipe(&u);
	return rv;
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
