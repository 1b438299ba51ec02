/* redisconn.h -- Redis connection helpers on hiredis: redis:// URLs, timeouts, PING. */
#ifndef CERTFLEET_REDISCONN_H
#define CERTFLEET_REDISCONN_H

#include <stddef.h>

#include <hiredis/hiredis.h>

struct redis_url {
	char	host[256];
	int	port;
	int	db;		/* -1 when the URL names none */
	char	password[256];	/* empty when none */
};

/* Parses redis://[[user]:password@]host[:port][/db]. Port defaults to 6379.
 * Returns 0, or -1 with a message in err. */
int redisconn_parse_url(const char *url, struct redis_url *u, char *err,
    size_t errlen);

/* Connects to url with connect and command timeouts of timeout_ms,
 * authenticates when the URL has a password, and selects db (or the URL's
 * database when db is -1). Returns the context, or NULL with a message in
 * err. The caller frees it with redisFree. */
redisContext *redisconn_open(const char *url, int db, int timeout_ms, char *err,
    size_t errlen);

/* Sends PING. Returns 1 on PONG, 0 when the connection is gone (reconnect),
 * -1 on another error; err says which. */
int redisconn_ping(redisContext *c, char *err, size_t errlen);

#endif
