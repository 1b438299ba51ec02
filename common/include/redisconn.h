/* redisconn.h -- Redis connection helpers on hiredis: redis:// and rediss:// URLs, ACL users, timeouts, PING. */
#ifndef CERTFLEET_REDISCONN_H
#define CERTFLEET_REDISCONN_H

#include <stddef.h>

#include <hiredis/hiredis.h>

#include "redisurl.h"

/* rediss:// settings, read from the environment at each connect:
 *   CERTFLEET_REDIS_CA_FILE    PEM file of the CAs that may sign the
 *                              server's certificate (default: the system's
 *                              trust store)
 *   CERTFLEET_REDIS_CERT_FILE  client certificate (PEM, chain allowed), for
 *                              a Redis with tls-auth-clients yes
 *   CERTFLEET_REDIS_KEY_FILE   its private key (default: CERT_FILE) */
#define REDISCONN_CA_FILE_ENV	"CERTFLEET_REDIS_CA_FILE"
#define REDISCONN_CERT_FILE_ENV	"CERTFLEET_REDIS_CERT_FILE"
#define REDISCONN_KEY_FILE_ENV	"CERTFLEET_REDIS_KEY_FILE"

/* Connects to url (redisurl_parse() says which forms) with connect and
 * command timeouts of timeout_ms: over TLS for rediss://, the server's
 * certificate verified against the URL's host. Authenticates with
 * "AUTH user password" when the URL names a user, "AUTH password" when it
 * has only a password, and selects db (or the URL's database when db is
 * -1). Returns the context, or NULL with a message in err (which never
 * holds the password). The caller frees it with redisFree. */
redisContext *redisconn_open(const char *url, int db, int timeout_ms, char *err,
    size_t errlen);

/* Sends PING. Returns 1 on PONG, 0 when the connection is gone (reconnect),
 * -1 on another error; err says which. */
int redisconn_ping(redisContext *c, char *err, size_t errlen);

#endif
