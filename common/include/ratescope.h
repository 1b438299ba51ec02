/* ratescope.h -- what a CA's rate-limit problem holds: the scope (its account, a registered domain, an exact name set, a name) read from the detail Let's Encrypt writes; the engine and the coordinator both read it. */
#ifndef CERTFLEET_RATESCOPE_H
#define CERTFLEET_RATESCOPE_H

#include <stddef.h>

#include "hostname.h"

/*
 * The scope of a rateLimited problem: every other order in it would be
 * refused too until the CA's Retry-After, so the coordinator holds them
 * (ca_holds, coordinator/outbox/budget.c) instead of sending each to be
 * refused; and the orders outside it would not be, so the ACME engine
 * does not block the request class for the whole CA on a scope narrower
 * than the account (acme_engine.c).
 */
enum ratescope_kind {
	RATESCOPE_NONE = 0,	/* not known: only the refused order waits */
	RATESCOPE_ACCOUNT,	/* new orders per account */
	RATESCOPE_DOMAIN,	/* new certificates per registered domain */
	RATESCOPE_SET,		/* new certificates per exact set of names */
	RATESCOPE_NAME		/* failed authorizations per name (per account) */
};

struct ratescope {
	enum ratescope_kind	kind;
	char			name[HOSTNAME_MAX + 1];	/* DOMAIN, NAME: normalized */
};

/*
 * Reads the scope from a rateLimited problem's detail (untrusted bytes,
 * at most len of them, NUL or not). Let's Encrypt ends each detail with
 * its documentation's URL, whose fragment names the limit, and quotes the
 * domain or name the limit counts:
 *
 *   too many certificates (50) already issued for "example.com" in the
 *   last 168h0m0s, retry after 2025-01-01 00:00:00 UTC: see
 *   https://letsencrypt.org/docs/rate-limits/#new-certificates-per-registered-domain
 *
 * The fragments of the current page and of the older one are known
 * (ratescope.c). DOMAIN and NAME need the first double-quoted word to be a
 * valid host name (hostname_normalize); otherwise, and for an unknown or
 * missing fragment, the kind is RATESCOPE_NONE. Returns the kind.
 */
enum ratescope_kind ratescope_parse(const char *detail, size_t len,
    struct ratescope *out);

/* The problem type whose detail ratescope_problem reads (RFC 8555). */
#define RATESCOPE_PROBLEM_TYPE "urn:ietf:params:acme:error:rateLimited"

/* ratescope_parse of detail when type is RATESCOPE_PROBLEM_TYPE; any other
 * type, or a NULL one, is RATESCOPE_NONE (out emptied). */
enum ratescope_kind ratescope_problem(const char *type, const char *detail,
    struct ratescope *out);

/* "account", "domain", "set", "name" or "none": the kind's word in the
 * API and the logs. */
const char *ratescope_word(enum ratescope_kind k);

#endif
