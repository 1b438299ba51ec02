/* cas.h -- the CAs the coordinator uses: parsed from the environment (CERTFLEET_CAS, CERTFLEET_CA_<NAME>_*), and a certificate's ordered CA list. */
#ifndef CERTFLEET_COORD_CAS_H
#define CERTFLEET_COORD_CAS_H

#include <stddef.h>

#define CAS_MAX		16	/* CAs configured at once */
#define CAS_NAME_MAX	32	/* [a-z0-9-], starting with a letter or digit */
#define CAS_LIST_MAX	4	/* a certificate's CA plus its fallbacks */
#define CAS_LIMIT_MAX	1000000	/* largest budget a limit variable accepts */

/* Let's Encrypt's published limits, the defaults of every CA. */
#define CAS_DEF_ORDERS_3H	300
#define CAS_DEF_DOMAIN_7D	50
#define CAS_DEF_DUPS_7D		5

/* Orders in flight at once at one CA, across every worker (outbox/flow.c).
 * Pebble deadlocks under load (docs/design.md, section 7: seen with 100 and
 * more, and with 25 and 50 when newOrder came in bursts); 50 with newOrder
 * smoothed (PACE_NEW_ORDER=20:1) kept it alive through 2,000 orders. */
#define CAS_DEF_MAX_IN_FLIGHT	50

/* One CA. Strings point into the environment (or the lookup's storage). */
struct cas_ca {
	char		 name[CAS_NAME_MAX + 1];
	const char	*directory;	/* https:// directory URL */
	const char	*eab_kid;	/* External Account Binding key id, or NULL */
	const char	*eab_hmac;	/* its MAC key, base64url (a secret), or NULL */
	const char	*trust;		/* trust bundle name, or "" (worker default) */
	const char	*roots;		/* PEM file of its trust anchors, or NULL */
	long		 limit_orders_3h;	/* new orders per account per 3 h */
	long		 limit_domain_7d;	/* certificates per registered domain per 7 days */
	long		 limit_dups_7d;		/* certificates per exact name set per 7 days */
	long		 max_in_flight;		/* orders released and not answered */
};				/* limits: 0 = no limit (budget.h, flow.h) */

struct cas_conf {
	struct cas_ca	ca[CAS_MAX];
	size_t		n;
	size_t		def;		/* index of the default CA */
};

/* Looks up an environment variable: NULL when unset or empty. */
typedef const char *cas_lookup_fn(void *arg, const char *name);

/*
 * Reads the CA list. The single-CA settings stay the default: with
 * ACME_DIRECTORY set, CA CERTFLEET_CA_NAME (default "pebble") is the first
 * and default CA. CERTFLEET_CAS (comma-separated names) adds more; each needs
 * CERTFLEET_CA_<NAME>_DIRECTORY (NAME upper-cased, '-' as '_') unless it is
 * the ACME_DIRECTORY CA, and may have _EAB_KID with _EAB_HMAC (both or none)
 * and _TRUST, _ROOTS_FILE (the PEM file of the trust anchors its issued
 * chains must verify to; default CERTFLEET_CA_ROOTS_FILE, else NULL), and the budgets _LIMIT_ORDERS_PER_3H, _LIMIT_CERTS_PER_DOMAIN_7D
 * and _LIMIT_DUPLICATES_7D (0 to CAS_LIMIT_MAX, 0 = no limit; default
 * CAS_DEF_*). Without ACME_DIRECTORY the default is CERTFLEET_CA_NAME when
 * set (it must be listed), else the first listed. lookup NULL means getenv.
 * Returns 0, or -1 with a message naming the variable in err (never an EAB
 * MAC key).
 */
int cas_parse(struct cas_conf *c, cas_lookup_fn *lookup, void *arg,
    char *err, size_t errlen);

/* The CA named name, or NULL. */
const struct cas_ca *cas_find(const struct cas_conf *c, const char *name);

/* Checks a certificate's CA list (its CA, then its fallbacks) against c:
 * every one configured, none twice. Returns 0, or -1 with a message for
 * the client in err. */
int cas_list_check(const struct cas_conf *c, const char *const *list,
    size_t n, char *err, size_t errlen);

/* 1 when name is a well-formed CA name. */
int cas_name_ok(const char *name);

#endif
