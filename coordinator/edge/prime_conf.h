/* prime_conf.h -- the primer's settings: prime style, TTL of the edge keys, and the Redis targets it primes (CERTFLEET_PRIME_*). */
#ifndef CERTFLEET_COORD_PRIME_CONF_H
#define CERTFLEET_COORD_PRIME_CONF_H

#include <stddef.h>

#define PRIME_TARGETS_MAX	16	/* targets in CERTFLEET_PRIME_TARGETS */
#define PRIME_TARGET_NAME_MAX	32	/* [a-z0-9-], also the row in prime_targets */
#define PRIME_TARGET_URL_MAX	1024
#define PRIME_TTL_MIN		60	/* seconds; 0 means no TTL */
#define PRIME_TTL_MAX		(90L * 24 * 3600)
#define PRIME_TARGET_DEFAULT	"default"

/* Which peter_sslers prime styles are written (rediskeys.h): bits. */
enum prime_style {
	PRIME_STYLE_1 = 1,	/* d1:<host> -> c:, p:, i: */
	PRIME_STYLE_2 = 2,	/* d2:<host> {f, p} */
	PRIME_STYLE_BOTH = 3,
};

struct prime_target_conf {
	char	name[PRIME_TARGET_NAME_MAX + 1];
	char	url[PRIME_TARGET_URL_MAX + 1];	/* may hold a password: never logged */
};

struct prime_conf {
	enum prime_style style;		/* CERTFLEET_PRIME_STYLE */
	long		 ttl;		/* CERTFLEET_PRIME_TTL, seconds, 0 none */
	int		 db;		/* CERTFLEET_REDIS_PRIME_DB, every target */
	size_t		 ntargets;
	struct prime_target_conf t[PRIME_TARGETS_MAX];
};

/* Reads CERTFLEET_PRIME_STYLE ("1", "2" or "both", default both),
 * CERTFLEET_PRIME_TTL (0, or PRIME_TTL_MIN..PRIME_TTL_MAX) and
 * CERTFLEET_PRIME_TARGETS ("name=URL,name=URL", names [a-z0-9-] unique, URLs
 * redis:// or rediss://); without it one target PRIME_TARGET_DEFAULT at
 * redis_url. db is the prime database. Returns 0, or -1 with a message
 * naming the variable in err (never a URL: it may hold a password). */
int prime_conf_load(struct prime_conf *pc, const char *redis_url, long db,
    char *err, size_t errlen);

/* "1", "2" or "both". */
const char *prime_style_name(enum prime_style s);

#endif
