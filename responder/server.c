/* server.c -- the responder's HTTP side: libmicrohttpd thread pool, routing to the store, canned error responses. */
#include "server.h"

#include <netinet/in.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "log.h"
#include "rmetrics.h"
#include "token.h"

#define SERVER_ERR_MAX		256	/* one error line */

/* The fixed answers, built once and shared by every thread (MHD counts
 * references to a response under its own lock). */
enum canned {
	CANNED_OK,		/* 200 /healthz */
	CANNED_BAD_TOKEN,	/* 400 */
	CANNED_BODY,		/* 400 body on a GET */
	CANNED_NOT_FOUND,	/* 404 */
	CANNED_METHOD,		/* 405 */
	CANNED_URI_LONG,	/* 414 */
	CANNED_BAD_ENTRY,	/* 500 */
	CANNED_UNAVAILABLE,	/* 503 */
	CANNED_COUNT,
};

static const struct {
	unsigned	 status;
	const char	*body;
} canned_def[CANNED_COUNT] = {
	[CANNED_OK] = { MHD_HTTP_OK, "ok" },
	[CANNED_BAD_TOKEN] = { MHD_HTTP_BAD_REQUEST,
	    "malformed token: expected 1-256 characters of [A-Za-z0-9_-]\n" },
	[CANNED_BODY] = { MHD_HTTP_BAD_REQUEST, "request body not allowed\n" },
	[CANNED_NOT_FOUND] = { MHD_HTTP_NOT_FOUND, "not found\n" },
	[CANNED_METHOD] = { MHD_HTTP_METHOD_NOT_ALLOWED,
	    "method not allowed\n" },
	[CANNED_URI_LONG] = { MHD_HTTP_URI_TOO_LONG, "request path too long\n" },
	[CANNED_BAD_ENTRY] = { MHD_HTTP_INTERNAL_SERVER_ERROR,
	    "internal error\n" },
	[CANNED_UNAVAILABLE] = { MHD_HTTP_SERVICE_UNAVAILABLE,
	    "challenge store unavailable\n" },
};

struct server {
	struct MHD_Daemon	*mhd;
	struct store		*st;
	struct MHD_Response	*canned[CANNED_COUNT];
};

static enum MHD_Result
server_canned(struct server *srv, struct MHD_Connection *conn, enum canned c)
{
	return MHD_queue_response(conn, canned_def[c].status, srv->canned[c]);
}

/* 200 with exactly the key authorization. */
static enum MHD_Result
server_answer(struct MHD_Connection *conn, const char *body, size_t len)
{
	struct MHD_Response *r;
	enum MHD_Result rc;

	r = MHD_create_response_from_buffer(len, (void *)(uintptr_t)body,
	    MHD_RESPMEM_MUST_COPY);
	if (r == NULL)
		return MHD_NO;
	if (MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
	    "text/plain") != MHD_YES) {
		MHD_destroy_response(r);
		return MHD_NO;
	}
	rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
	MHD_destroy_response(r);
	return rc;
}

static enum MHD_Result
server_challenge(struct server *srv, struct MHD_Connection *conn,
    const char *tok, size_t toklen)
{
	char value[STORE_VALUE_MAX + 1], err[SERVER_ERR_MAX];
	size_t len;
	int rc;

	rc = store_get_http01(srv->st, tok, toklen, value, sizeof(value), &len,
	    err, sizeof(err));
	rmetrics_lookup(rc);
	switch (rc) {
	case 1:
		return server_answer(conn, value, len);
	case 0:
		return server_canned(srv, conn, CANNED_NOT_FOUND);
	case -2:
		log_err("challenge lookup: bad entry: %s", err);
		return server_canned(srv, conn, CANNED_BAD_ENTRY);
	default:
		log_err("challenge lookup: redis: %s", err);
		return server_canned(srv, conn, CANNED_UNAVAILABLE);
	}
}

static enum MHD_Result
server_healthz(struct server *srv, struct MHD_Connection *conn)
{
	char err[SERVER_ERR_MAX];

	if (store_ping(srv->st, err, sizeof(err)) == 1)
		return server_canned(srv, conn, CANNED_OK);
	log_err("healthz: redis: %s", err);
	return server_canned(srv, conn, CANNED_UNAVAILABLE);
}

/* Marks in *con_cls: the headers were seen; a body came with them. */
static char server_seen, server_seen_body;

/*
 * MHD calls this once when the headers are in, once per piece of body, and
 * once more when the request is complete. Answers go out on that last call:
 * one queued earlier makes MHD close the connection, and keep-alive matters
 * to a CA's validators and to throughput. A method we never serve is
 * refused at once (closing is right there). A body on GET/HEAD is read,
 * dropped, and answered with 400.
 */
static enum MHD_Result
server_request(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload_data,
    size_t *upload_data_size, void **con_cls)
{
	struct server *srv = cls;
	enum token_route route;
	const char *tok;
	size_t toklen, urllen;

	(void)version;
	(void)upload_data;
	if (*con_cls == NULL) {
		if (strcmp(method, MHD_HTTP_METHOD_GET) != 0 &&
		    strcmp(method, MHD_HTTP_METHOD_HEAD) != 0)
			return server_canned(srv, conn, CANNED_METHOD);
		*con_cls = &server_seen;
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		*upload_data_size = 0;
		*con_cls = &server_seen_body;
		return MHD_YES;
	}
	if (*con_cls == &server_seen_body)
		return server_canned(srv, conn, CANNED_BODY);
	urllen = strlen(url);
	if (urllen > SERVER_URL_MAX)
		return server_canned(srv, conn, CANNED_URI_LONG);
	route = token_route(url, urllen, &tok, &toklen);
	rmetrics_request(route);
	switch (route) {
	case TOKEN_ROUTE_CHALLENGE:
		return server_challenge(srv, conn, tok, toklen);
	case TOKEN_ROUTE_BAD_TOKEN:
		return server_canned(srv, conn, CANNED_BAD_TOKEN);
	case TOKEN_ROUTE_HEALTHZ:
		return server_healthz(srv, conn);
	case TOKEN_ROUTE_NOT_FOUND:
		break;
	}
	return server_canned(srv, conn, CANNED_NOT_FOUND);
}

/* Leaves the path as the client sent it: tokens are matched on raw bytes,
 * so "%2e%2e" stays three-character groups that no token may hold. */
static size_t
server_unescape_none(void *cls, struct MHD_Connection *conn, char *s)
{
	(void)cls;
	(void)conn;
	return strlen(s);
}

__attribute__((format(printf, 2, 0)))
static void
server_mhd_log(void *cls, const char *fmt, va_list ap)
{
	char line[SERVER_ERR_MAX];
	size_t n;

	(void)cls;
	vsnprintf(line, sizeof(line), fmt, ap);
	n = strlen(line);
	while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
		line[--n] = '\0';
	log_warn("libmicrohttpd: %s", line);
}

struct server *
server_start(const struct sockaddr *addr, socklen_t addrlen, unsigned threads,
    struct store *st, char *err, size_t errlen)
{
	struct server *srv = NULL, *rv = NULL;
	unsigned int flags;
	size_t i;

	if (threads < 1 || threads > SERVER_THREADS_MAX) {
		snprintf(err, errlen, "server_start: %u threads: expected 1..%d",
		    threads, SERVER_THREADS_MAX);
		goto out;
	}
	if (addr->sa_family != AF_INET && addr->sa_family != AF_INET6) {
		snprintf(err, errlen, "server_start: not an IP address");
		goto out;
	}
	if ((addr->sa_family == AF_INET && addrlen < sizeof(struct sockaddr_in)) ||
	    (addr->sa_family == AF_INET6 && addrlen < sizeof(struct sockaddr_in6))) {
		snprintf(err, errlen, "server_start: short socket address");
		goto out;
	}
	if ((srv = calloc(1, sizeof(*srv))) == NULL) {
		snprintf(err, errlen, "server_start: out of memory");
		goto out;
	}
	srv->st = st;
	for (i = 0; i < CANNED_COUNT; i++) {
		srv->canned[i] = MHD_create_response_from_buffer(
		    strlen(canned_def[i].body),
		    (void *)(uintptr_t)canned_def[i].body, MHD_RESPMEM_PERSISTENT);
		if (srv->canned[i] == NULL ||
		    MHD_add_response_header(srv->canned[i],
		    MHD_HTTP_HEADER_CONTENT_TYPE, "text/plain") != MHD_YES) {
			snprintf(err, errlen, "server_start: out of memory");
			goto out;
		}
	}
	if (MHD_add_response_header(srv->canned[CANNED_METHOD],
	    MHD_HTTP_HEADER_ALLOW, "GET, HEAD") != MHD_YES) {
		snprintf(err, errlen, "server_start: out of memory");
		goto out;
	}
	flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO |
	    MHD_USE_ERROR_LOG;
	if (addr->sa_family == AF_INET6)
		flags |= MHD_USE_IPv6;
	srv->mhd = MHD_start_daemon(flags, 0, NULL, NULL, server_request, srv,
	    MHD_OPTION_EXTERNAL_LOGGER, server_mhd_log, NULL,
	    MHD_OPTION_SOCK_ADDR, addr,
	    MHD_OPTION_THREAD_POOL_SIZE, threads,
	    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)SERVER_CONN_MEMORY,
	    MHD_OPTION_CONNECTION_LIMIT, (unsigned int)SERVER_CONN_LIMIT,
	    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)SERVER_CONN_TIMEOUT,
	    MHD_OPTION_LISTEN_BACKLOG_SIZE, (unsigned int)511,
	    MHD_OPTION_UNESCAPE_CALLBACK, server_unescape_none, NULL,
	    MHD_OPTION_END);
	if (srv->mhd == NULL) {
		snprintf(err, errlen, "server_start: libmicrohttpd could not "
		    "start (address in use, or not a local address?)");
		goto out;
	}
	rv = srv;
	srv = NULL;
out:
	server_stop(srv);
	return rv;
}

void
server_stop(struct server *srv)
{
	size_t i;

	if (srv == NULL)
		return;
	if (srv->mhd != NULL)
		MHD_stop_daemon(srv->mhd);
	for (i = 0; i < CANNED_COUNT; i++)
		if (srv->canned[i] != NULL)
			MHD_destroy_response(srv->canned[i]);
	free(srv);
}
