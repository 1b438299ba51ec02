/* fuzz_redisurl.c -- libFuzzer target: the redis:// URL parser; whatever it accepts, written back with every credential byte escaped, parses to the same fields. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "redisurl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Appends s percent-encoded byte by byte. */
static size_t
escape(char *out, size_t n, const char *s)
{
	for (; *s != '\0'; s++)
		n += (size_t)sprintf(out + n, "%%%02X", (unsigned char)*s);
	return n;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char url[REDISURL_MAX + 2], again[4 * REDISURL_MAX];
	struct redis_url u, v;
	char err[256];
	size_t n;

	if (size > REDISURL_MAX + 1)
		return 0;
	memcpy(url, data, size);
	url[size] = '\0';
	if (redisurl_parse(url, &u, err, sizeof(err)) != 0) {
		if (err[0] == '\0')
			abort();	/* every refusal says why */
		return 0;
	}
	if (u.host[0] == '\0' || u.port < 1 || u.port > 65535 ||
	    u.db < -1 || u.db > REDISURL_DB_MAX ||
	    (u.user[0] != '\0' && u.password[0] == '\0'))
		abort();
	n = (size_t)sprintf(again, "%s://", u.tls ? "rediss" : "redis");
	if (u.password[0] != '\0') {
		n = escape(again, n, u.user);
		again[n++] = ':';
		n = escape(again, n, u.password);
		again[n++] = '@';
	}
	n += (size_t)sprintf(again + n, u.ipv6 ? "[%s]:%d" : "%s:%d", u.host,
	    u.port);
	if (u.db >= 0)
		sprintf(again + n, "/%d", u.db);
	/* the escaped form may be longer than REDISURL_MAX: then refused */
	if (redisurl_parse(again, &v, err, sizeof(err)) != 0) {
		if (strlen(again) <= REDISURL_MAX)
			abort();
		return 0;
	}
	if (memcmp(&u, &v, sizeof(u)) != 0)
		abort();
	return 0;
}
