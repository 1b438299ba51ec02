/* redisurl.c -- strict parser of redis:// and rediss:// URLs (RFC 3986 authority, percent-decoded credentials). */
#include "redisurl.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "hexdigit.h"

/* Characters RFC 3986 allows unescaped in the user information:
 * unreserved, sub-delims and ':' (the first ':' ends the user name). */
static int
redisurl_userinfo_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || strchr("-._~!$&'()*+,;=:", ch) != NULL;
}

/* A host name: letters, digits, '-', '.', '_' (container names use it). */
static int
redisurl_host_char(unsigned char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || ch == '-' || ch == '.' || ch == '_';
}

/* Percent-decodes [s, s + n) into out (outsz bytes with the NUL). what
 * names the part in messages ("user name", "password"); the bytes
 * themselves are never quoted. Returns 0, or -1 with err. */
static int
redisurl_decode(const char *s, size_t n, char *out, size_t outsz,
    const char *what, char *err, size_t errlen)
{
	size_t i, o = 0;
	int hi, lo;
	unsigned char ch;

	for (i = 0; i < n; i++) {
		ch = (unsigned char)s[i];
		if (ch == '%') {
			if (n - i < 3 ||
			    (hi = hexdigit((unsigned char)s[i + 1])) < 0 ||
			    (lo = hexdigit((unsigned char)s[i + 2])) < 0) {
				snprintf(err, errlen, "redis URL: bad percent escape "
				    "in the %s (%%XX with two hex digits expected)",
				    what);
				return -1;
			}
			ch = (unsigned char)(hi * 16 + lo);
			if (ch == '\0') {
				snprintf(err, errlen, "redis URL: the %s holds %%00",
				    what);
				return -1;
			}
			i += 2;
		} else if (!redisurl_userinfo_char(ch)) {
			snprintf(err, errlen, "redis URL: a character in the %s "
			    "must be percent-encoded", what);
			return -1;
		}
		if (o + 1 >= outsz) {
			snprintf(err, errlen, "redis URL: the %s is longer than "
			    "%zu bytes", what, outsz - 1);
			return -1;
		}
		out[o++] = (char)ch;
	}
	out[o] = '\0';
	return 0;
}

/* user[:password] in [s, s + n). Returns 0, or -1 with err. */
static int
redisurl_userinfo(const char *s, size_t n, struct redis_url *u, char *err,
    size_t errlen)
{
	const char *colon = memchr(s, ':', n);

	if (colon == NULL) {
		snprintf(err, errlen, "redis URL: a user name needs a password "
		    "(user:password@host)");
		return -1;
	}
	if (redisurl_decode(s, (size_t)(colon - s), u->user, sizeof(u->user),
	    "user name", err, errlen) < 0 ||
	    redisurl_decode(colon + 1, n - (size_t)(colon - s) - 1, u->password,
	    sizeof(u->password), "password", err, errlen) < 0)
		return -1;
	if (u->password[0] == '\0') {
		snprintf(err, errlen, "redis URL: empty password before '@'");
		return -1;
	}
	return 0;
}

/* Reads a decimal number of [s, s + n) into *out, refusing anything but
 * digits and values over max. Returns 0 or -1. */
static int
redisurl_number(const char *s, size_t n, long max, long *out)
{
	size_t i;
	long v = 0;

	if (n == 0 || n > 10)
		return -1;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* The host of [s, s + n) and where its port begins: *rest is after the
 * host (at ':' or the end). Returns 0, or -1 with err. */
static int
redisurl_host(const char *s, size_t n, struct redis_url *u, const char **rest,
    char *err, size_t errlen)
{
	const char *end;
	unsigned char addr[16];
	size_t hlen, i;

	if (n > 0 && s[0] == '[') {
		if ((end = memchr(s, ']', n)) == NULL) {
			snprintf(err, errlen, "redis URL: '[' without ']' in the host");
			return -1;
		}
		hlen = (size_t)(end - s - 1);
		if (hlen == 0 || hlen >= sizeof(u->host)) {
			snprintf(err, errlen, "redis URL: bad IPv6 literal");
			return -1;
		}
		memcpy(u->host, s + 1, hlen);
		u->host[hlen] = '\0';
		if (inet_pton(AF_INET6, u->host, addr) != 1) {
			snprintf(err, errlen, "redis URL: bad IPv6 literal [%s] "
			    "(zone ids are not supported)", u->host);
			return -1;
		}
		u->ipv6 = 1;
		*rest = end + 1;
		if (*rest != s + n && **rest != ':') {
			snprintf(err, errlen, "redis URL: ':' or the end expected "
			    "after the IPv6 literal");
			return -1;
		}
		return 0;
	}
	end = memchr(s, ':', n);
	hlen = end != NULL ? (size_t)(end - s) : n;
	if (hlen == 0) {
		snprintf(err, errlen, "redis URL: no host");
		return -1;
	}
	if (hlen >= sizeof(u->host)) {
		snprintf(err, errlen, "redis URL: host longer than %d bytes",
		    REDISURL_HOST_MAX);
		return -1;
	}
	for (i = 0; i < hlen; i++)
		if (!redisurl_host_char((unsigned char)s[i])) {
			snprintf(err, errlen, "redis URL: the host may hold only "
			    "letters, digits, '-', '.' and '_' (IPv6 in brackets)");
			return -1;
		}
	memcpy(u->host, s, hlen);
	u->host[hlen] = '\0';
	*rest = s + hlen;
	return 0;
}

/* host[:port] in [s, s + n). Returns 0, or -1 with err. */
static int
redisurl_hostport(const char *s, size_t n, struct redis_url *u, char *err,
    size_t errlen)
{
	const char *rest;
	long port;

	if (redisurl_host(s, n, u, &rest, err, errlen) < 0)
		return -1;
	if (rest == s + n)
		return 0;
	/* *rest is ':' */
	if (redisurl_number(rest + 1, (size_t)(s + n - rest - 1), 65535,
	    &port) < 0 || port < 1) {
		snprintf(err, errlen, "redis URL: the port must be a number "
		    "in 1..65535");
		return -1;
	}
	u->port = (int)port;
	return 0;
}

/* Refuses what no part of a URL may hold. Returns 0, or -1 with err. */
static int
redisurl_charset(const char *url, size_t len, char *err, size_t errlen)
{
	size_t i;
	unsigned char ch;

	for (i = 0; i < len; i++) {
		ch = (unsigned char)url[i];
		if (ch <= ' ' || ch >= 0x7f) {
			snprintf(err, errlen, "redis URL: control character, space "
			    "or non-ASCII byte at offset %zu (percent-encode it)", i);
			return -1;
		}
		if (ch == '?' || ch == '#') {
			snprintf(err, errlen, "redis URL: query strings and "
			    "fragments are not supported ('%c' at offset %zu)",
			    ch, i);
			return -1;
		}
	}
	return 0;
}

/* Parses everything after the scheme; u is zeroed with defaults set. */
static int
redisurl_parse_rest(const char *p, struct redis_url *u, char *err,
    size_t errlen)
{
	const char *aend, *at, *at2;
	long db;

	aend = p + strcspn(p, "/");
	if ((at = memchr(p, '@', (size_t)(aend - p))) != NULL) {
		at2 = memchr(at + 1, '@', (size_t)(aend - at - 1));
		if (at2 != NULL) {
			snprintf(err, errlen, "redis URL: more than one '@' (write "
			    "an '@' in the user name or password as %%40)");
			return -1;
		}
		if (redisurl_userinfo(p, (size_t)(at - p), u, err, errlen) < 0)
			return -1;
		p = at + 1;
	}
	if (redisurl_hostport(p, (size_t)(aend - p), u, err, errlen) < 0)
		return -1;
	if (*aend == '\0' || aend[1] == '\0')
		return 0;
	if (redisurl_number(aend + 1, strlen(aend + 1), REDISURL_DB_MAX,
	    &db) < 0) {
		snprintf(err, errlen, "redis URL: the path must be /<database>, "
		    "a number in 0..%d", REDISURL_DB_MAX);
		return -1;
	}
	u->db = (int)db;
	return 0;
}

int
redisurl_parse(const char *url, struct redis_url *u, char *err, size_t errlen)
{
	size_t len;
	const char *p;

	memset(u, 0, sizeof(*u));
	u->port = REDISURL_DEFAULT_PORT;
	u->db = -1;
	if (url == NULL || (len = strnlen(url, REDISURL_MAX + 1)) > REDISURL_MAX) {
		snprintf(err, errlen, "redis URL: missing or longer than %d bytes",
		    REDISURL_MAX);
		goto fail;
	}
	if (len >= 9 && strncasecmp(url, "rediss://", 9) == 0) {
		u->tls = 1;
		p = url + 9;
	} else if (len >= 8 && strncasecmp(url, "redis://", 8) == 0)
		p = url + 8;
	else {
		snprintf(err, errlen, "redis URL must start with redis:// or "
		    "rediss://");
		goto fail;
	}
	if (redisurl_charset(url, len, err, errlen) < 0 ||
	    redisurl_parse_rest(p, u, err, errlen) < 0)
		goto fail;
	return 0;
fail:
	redisurl_wipe(u);
	return -1;
}

void
redisurl_wipe(struct redis_url *u)
{
	volatile unsigned char *p = (volatile unsigned char *)u;
	size_t i;

	if (u == NULL)
		return;
	for (i = 0; i < sizeof(*u); i++)
		p[i] = 0;
}
