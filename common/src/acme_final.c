/* acme_final.c -- which ACME problem types (RFC 8555 section 6.7) the CA will not change its mind about: an order that got one fails for good. */
#include "acme.h"

#include <string.h>

#define ACME_ERR_URN "urn:ietf:params:acme:error:"

/*
 * RFC 8555 section 6.7, one by one. Final: the request or the identifiers
 * themselves are refused, and asking again (minutes or days later) gets
 * the same answer until someone changes the names, the CSR, the account
 * or the CA's policy:
 *   badCSR, badPublicKey, badRevocationReason, badSignatureAlgorithm, caa,
 *   externalAccountRequired, incorrectResponse, invalidContact, malformed,
 *   rejectedIdentifier, unauthorized, unsupportedContact,
 *   unsupportedIdentifier, userActionRequired.
 * Transient (certfleet tries again, backing off): accountDoesNotExist (the
 * worker registers again), alreadyRevoked (success for a revocation),
 * badNonce, connection, dns, tls (the network between the CA and the
 * name, which its owner may fix), orderNotReady, rateLimited (deferred),
 * serverInternal. compound: final when every subproblem is (the caller
 * checks them).
 */
static const char *const acme_final_types[] = {
	"badCSR", "badPublicKey", "badRevocationReason",
	"badSignatureAlgorithm", "caa", "externalAccountRequired",
	"incorrectResponse", "invalidContact", "malformed",
	"rejectedIdentifier", "unauthorized", "unsupportedContact",
	"unsupportedIdentifier", "userActionRequired",
};

int
acme_problem_final(const char *type)
{
	size_t i, n = strlen(ACME_ERR_URN);

	if (type == NULL || strncmp(type, ACME_ERR_URN, n) != 0)
		return 0;
	for (i = 0; i < sizeof(acme_final_types) / sizeof(acme_final_types[0]);
	    i++)
		if (strcmp(type + n, acme_final_types[i]) == 0)
			return 1;
	return 0;
}
