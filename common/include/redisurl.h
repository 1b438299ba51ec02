/* redisurl.h -- strict parser of redis:// and rediss:// URLs: ACL user, percent-decoded password, IPv6 literals, database. */
#ifndef CERTFLEET_REDISURL_H
#define CERTFLEET_REDISURL_H

#include <stddef.h>

/* Caps on what a URL may hold; longer input is refused, never cut. */
#define REDISURL_MAX		2048	/* the whole URL, bytes */
#define REDISURL_HOST_MAX	253	/* host name or IPv6 literal, decoded */
#define REDISURL_USER_MAX	255	/* ACL user name, decoded */
#define REDISURL_PASSWORD_MAX	511	/* password, decoded */
#define REDISURL_DB_MAX		1000	/* highest database number accepted */
#define REDISURL_DEFAULT_PORT	6379

struct redis_url {
	int	tls;				/* 1 for rediss:// */
	char	host[REDISURL_HOST_MAX + 1];	/* IPv6 without brackets */
	int	ipv6;				/* 1 when host is an IPv6 literal */
	int	port;				/* REDISURL_DEFAULT_PORT when none */
	int	db;				/* -1 when the URL names none */
	char	user[REDISURL_USER_MAX + 1];	/* "" when none: AUTH password */
	char	password[REDISURL_PASSWORD_MAX + 1];	/* "" when none */
};

/*
 * Parses url, one of
 *   redis://[[user]:password@]host[:port][/db]
 *   rediss://[[user]:password@]host[:port][/db]       (TLS)
 * where host is a DNS name, an IPv4 address or an IPv6 literal in brackets
 * ("[::1]"); user and password are percent-decoded (a '@', ':' or '/' in
 * them must be written %40, %3A, %2F); db is a decimal number up to
 * REDISURL_DB_MAX; the scheme is matched without regard to case.
 *
 * Refused, each with its own message: another scheme; a URL longer than
 * REDISURL_MAX or holding a control character, space or NUL; a query
 * ("?") or fragment ("#"); more than one '@'; a user name without a
 * password; a bad or truncated percent escape, or one decoding to NUL; a
 * character RFC 3986 does not allow in the user information, the host or
 * the path; an empty or too long host, a bad IPv6 literal (zone ids
 * included); a port outside 1..65535 or empty after ':'; a path other than
 * "", "/" or "/<db>".
 *
 * Returns 0 with *u filled, or -1 with *u zeroed and one line in err. The
 * message names the part that is wrong and never contains the user name's
 * or the password's bytes. The caller wipes u with redisurl_wipe() once
 * done: it holds the password.
 */
int redisurl_parse(const char *url, struct redis_url *u, char *err,
    size_t errlen);

/* Zeroes u (the password with it) so the compiler cannot skip it. u may be
 * NULL. */
void redisurl_wipe(struct redis_url *u);

#endif
