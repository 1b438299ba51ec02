/* token.c -- routing of responder request paths: the challenge prefix, the token charset and length, /healthz. */
#include "token.h"

#include <string.h>

#include "b64.h"

#define HEALTHZ_PATH	"/healthz"

const char *
token_route_name(enum token_route r)
{
	switch (r) {
	case TOKEN_ROUTE_CHALLENGE:
		return "challenge";
	case TOKEN_ROUTE_BAD_TOKEN:
		return "bad-token";
	case TOKEN_ROUTE_HEALTHZ:
		return "healthz";
	case TOKEN_ROUTE_NOT_FOUND:
		return "not-found";
	}
	return "unknown";
}

enum token_route
token_route(const char *path, size_t len, const char **tok, size_t *toklen)
{
	const size_t plen = sizeof(TOKEN_PREFIX) - 1;
	const char *q;

	*tok = NULL;
	*toklen = 0;
	if (len > 0 && (q = memchr(path, '?', len)) != NULL)
		len = (size_t)(q - path);
	if (len == sizeof(HEALTHZ_PATH) - 1 &&
	    memcmp(path, HEALTHZ_PATH, len) == 0)
		return TOKEN_ROUTE_HEALTHZ;
	if (len < plen || memcmp(path, TOKEN_PREFIX, plen) != 0)
		return TOKEN_ROUTE_NOT_FOUND;
	path += plen;
	len -= plen;
	if (len > TOKEN_MAX || !b64url_charset_ok(path, len))
		return TOKEN_ROUTE_BAD_TOKEN;
	*tok = path;
	*toklen = len;
	return TOKEN_ROUTE_CHALLENGE;
}
