/* deletereq.h -- the body of POST /v1/certificates:delete (listed ids, or a tenant/label selector, with limit, dry_run, revoke and reason) parsed strictly. Pure: no I/O. */
#ifndef CERTFLEET_COORD_DELETEREQ_H
#define CERTFLEET_COORD_DELETEREQ_H

#include <stddef.h>

#include "searchq.h"

#define DELETEREQ_MAX	1000	/* certificates one request deletes or lists */

/* What a request asks for. */
struct deletereq {
	char	**ids;		/* listed ids (owned), or NULL: the selector's */
	size_t	  nids;
	char	  tenant[64];	/* "" when not selected by */
	char	  label_key[64];	/* "" when not selected by */
	char	  label_value[SEARCHQ_VALUE_MAX + 1];
	long	  limit;	/* 1-DELETEREQ_MAX (default DELETEREQ_MAX) */
	int	  dry_run;
	int	  revoke;
	int	  reason;	/* RFC 5280 code, 0 unless given */
};

/*
 * Parses body[0..len): a JSON object of known fields only, "ids" (1 to
 * DELETEREQ_MAX certificate ids) or "tenant" (a tenant name) and/or
 * "label" ("KEY:VALUE", as GET /v1/certificates takes it) but never both
 * kinds, "limit" (1-DELETEREQ_MAX), "dry_run" and "revoke" (booleans),
 * "reason" (only with "revoke": true; a name or code acme_revoke_reason_parse
 * takes). Returns 0 with dr filled (release it with deletereq_free), or -1
 * with a message for the client in err and dr empty.
 */
int deletereq_parse(const char *body, size_t len, struct deletereq *dr,
    char *err, size_t errlen);
void deletereq_free(struct deletereq *dr);

#endif
