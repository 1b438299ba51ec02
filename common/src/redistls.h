/* redistls.h -- rediss:// for hiredis 0.14, which has no TLS: a verified OpenSSL connection relayed to a local socket hiredis uses. */
#ifndef CERTFLEET_REDISTLS_H
#define CERTFLEET_REDISTLS_H

#include <stddef.h>

#include "redisurl.h"

/* The most bytes a relay holds in each direction. */
#define REDISTLS_BUFFER	16384

/*
 * Opens a TLS connection to u->host:u->port within timeout_ms (TCP
 * connect and handshake together), TLS 1.2 or later, verifying the server
 * against the CA file named by REDISCONN_CA_FILE_ENV (else the system's
 * trust store) and against u->host (a DNS name, with SNI, or an IP
 * address); presents the client certificate of REDISCONN_CERT_FILE_ENV
 * with the key of REDISCONN_KEY_FILE_ENV (default: the same file) when
 * set.
 *
 * Returns one end of a socket pair whose bytes a detached thread relays
 * to and from the TLS connection, for redisConnectFd(); the relay ends,
 * closing the TLS connection, when that end is closed (redisFree), and
 * closes that end's peer when the server goes away, which hiredis sees as
 * EOF (a write to it then raises SIGPIPE, as on a TCP link the server
 * closed: programs ignore SIGPIPE). Returns -1 with err (the step that
 * failed and OpenSSL's reason).
 */
int redistls_connect(const struct redis_url *u, int timeout_ms, char *err,
    size_t errlen);

#endif
