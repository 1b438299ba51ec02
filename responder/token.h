/* token.h -- routing of responder request paths: which resource a raw URL path names, and the http-01 token in it. */
#ifndef CERTFLEET_RESPONDER_TOKEN_H
#define CERTFLEET_RESPONDER_TOKEN_H

#include <stddef.h>

#define TOKEN_PREFIX	"/.well-known/acme-challenge/"
#define TOKEN_MAX	256	/* longest token answered; longer is 400 */

/* What a request path asks for. */
enum token_route {
	TOKEN_ROUTE_CHALLENGE,	/* a well-formed token: look it up */
	TOKEN_ROUTE_BAD_TOKEN,	/* under TOKEN_PREFIX but not a token: 400 */
	TOKEN_ROUTE_HEALTHZ,	/* "/healthz" */
	TOKEN_ROUTE_NOT_FOUND,	/* anything else: 404 */
};

/* Name of a route for logs; never NULL. */
const char *token_route_name(enum token_route r);

/*
 * Routes the raw (not percent-decoded) request path path[0..len). A query
 * string ("?..." and anything after it) is ignored. Nothing is decoded:
 * a '%' can never be part of a token, so "%2e%2e" or "a%2fb" after
 * TOKEN_PREFIX is TOKEN_ROUTE_BAD_TOKEN, as are an empty token, one longer
 * than TOKEN_MAX, and one holding '/' or any byte outside [A-Za-z0-9_-].
 * For TOKEN_ROUTE_CHALLENGE, *tok and *toklen give the token inside path
 * (not NUL-terminated); otherwise they are set to NULL and 0.
 * path may hold any bytes, NUL included; it may be NULL when len is 0.
 */
enum token_route token_route(const char *path, size_t len, const char **tok,
    size_t *toklen);

#endif
