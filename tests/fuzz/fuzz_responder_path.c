/* fuzz_responder_path.c -- libFuzzer target: token_route on arbitrary request paths; a token it accepts must be clean. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "token.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = (const char *)data, *tok;
	size_t toklen;

	switch (token_route(path, size, &tok, &toklen)) {
	case TOKEN_ROUTE_CHALLENGE:
		/* the token lies inside the input, after the prefix, before
		 * any query, and holds only the token charset */
		if (toklen == 0 || toklen > TOKEN_MAX ||
		    tok < path + strlen(TOKEN_PREFIX) ||
		    tok + toklen > path + size ||
		    !b64url_charset_ok(tok, toklen) ||
		    memcmp(path, TOKEN_PREFIX, strlen(TOKEN_PREFIX)) != 0)
			abort();
		break;
	case TOKEN_ROUTE_BAD_TOKEN:
	case TOKEN_ROUTE_HEALTHZ:
	case TOKEN_ROUTE_NOT_FOUND:
		if (tok != NULL || toklen != 0)
			abort();
		break;
	default:
		abort();
	}
	return 0;
}
