/* server.h -- the responder's HTTP server on libmicrohttpd: routes, status codes, request caps, the thread pool. */
#ifndef CERTFLEET_RESPONDER_SERVER_H
#define CERTFLEET_RESPONDER_SERVER_H

#include <stddef.h>
#include <sys/socket.h>

#include "store.h"

#define SERVER_THREADS_MAX	STORE_SLOTS_MAX	/* pool threads, one Redis connection each */
#define SERVER_URL_MAX		1024	/* longest request path; longer is 414 */
#define SERVER_CONN_MEMORY	(16 * 1024)	/* per-connection buffer: request line +
						 * headers beyond it get 414/431 */
#define SERVER_CONN_LIMIT	4096	/* open connections at once */
#define SERVER_CONN_TIMEOUT	10	/* seconds an idle connection is kept */

struct server;

/*
 * Starts serving on addr (IPv4 or IPv6, bound to that address only) with
 * a pool of threads (1..SERVER_THREADS_MAX) polling with epoll. st answers
 * the lookups; it must have at least threads slots and outlive the server.
 * Routes:
 *   GET|HEAD /.well-known/acme-challenge/<token>
 *       200 text/plain key authorization (exact bytes), 404 unknown,
 *       400 malformed token, 503 Redis unreachable, 500 bad entry
 *   GET|HEAD /healthz   200 "ok" when Redis answers PING, else 503
 *   anything else 404; other methods 405; path > SERVER_URL_MAX 414
 * Returns the server, or NULL with a message in err.
 */
struct server *server_start(const struct sockaddr *addr, socklen_t addrlen,
    unsigned threads, struct store *st, char *err, size_t errlen);

/* Stops accepting, closes every connection, joins the threads, frees srv.
 * srv may be NULL. */
void server_stop(struct server *srv);

#endif
