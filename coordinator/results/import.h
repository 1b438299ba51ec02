/* import.h -- certificates issued elsewhere (certbot, lego, another ACME client) taken over: PEMs validated, key sealed, certificate recorded as issued (issued.c), then primed and renewed like any other. */
#ifndef CERTFLEET_COORD_IMPORT_H
#define CERTFLEET_COORD_IMPORT_H

#include <stddef.h>
#include <time.h>

#include <libpq-fe.h>
#include <openssl/evp.h>

#include "certinfo.h"
#include "enroll.h"
#include "ids.h"
#include "keys.h"
#include "settings.h"
#include "vault.h"

#define IMPORT_PEM_MAX (32 * 1024)	/* bytes of each of certificate, chain, private_key */
#define IMPORT_CHAIN_MAX 8		/* certificates of a chain, leaf excluded */
#define IMPORT_SKEW_S 3600		/* notBefore may be this far in the future */

/* A certificate to import, validated. */
struct import_cert {
	struct certinfo	 ci;		/* the leaf: serial, dates, issuer, SANs */
	char		*leaf;		/* its PEM, re-encoded */
	char		*chain;		/* the chain's PEM, re-encoded; "" for none */
	size_t		 nchain;	/* certificates in chain */
	EVP_PKEY	*key;
	enum keys_type	 key_type;
};

/*
 * Validates a certificate to import; pure. cert[0..certlen) is PEM: the
 * leaf, optionally followed by its chain (a fullchain.pem);
 * chain[0..chainlen) (chainlen 0: none) is the chain when cert holds only
 * the leaf; key[0..keylen) the private key in PEM (PKCS#8, SEC1 or PKCS#1,
 * not encrypted). Checked: every block of cert and chain is an X.509
 * certificate (at most IMPORT_CHAIN_MAX in the chain, the chain given
 * once), the leaf names at least one DNS name, it has not expired at now
 * and is valid from at most IMPORT_SKEW_S after it, each certificate of the
 * chain issued (and signed) the one before it, the key is of a kept type
 * (keys_type_of) and is the leaf's.
 * Returns 0 with ic filled (release it with import_cert_free), or -1 with
 * a message for the client in err naming what is wrong; no message quotes
 * the key.
 */
int import_check(const char *cert, size_t certlen, const char *chain,
    size_t chainlen, const char *key, size_t keylen, time_t now,
    struct import_cert *ic, char *err, size_t errlen);
void import_cert_free(struct import_cert *ic);

/* An import request: the certificate and the enrollment it stands for
 * (names and key type from the certificate, the rest from the body). */
struct import_request {
	struct import_cert	ic;
	struct enroll_request	er;
};

/*
 * Parses and validates the API body {"certificate": PEM, "chain": PEM,
 * "private_key": PEM, "ca", "fallback", "challenge", "preferred_chain",
 * "profile", "tenant", "labels", "force"} (all but certificate and
 * private_key optional; the others as POST /v1/certificates takes them;
 * "hostnames" and "key_type" come from the certificate and may not be
 * given; "challenge" is dns-01 by default when a name is a wildcard):
 * import_check, then enroll_parse of the rest. The private key's copy in
 * the parsed JSON is wiped. Pure.
 * Returns 0 with ir filled (import_request_free), or -1 with a message for
 * the client in err.
 */
int import_parse(const char *body, size_t len, enum keys_type def,
    time_t now, struct import_request *ir, char *err, size_t errlen);
void import_request_free(struct import_request *ir);

enum import_outcome {
	IMPORT_CREATED,		/* a new certificate, issued: id */
	IMPORT_EXISTING,	/* this very certificate (issuer and serial) is
				 * stored already: its certificate's id */
	IMPORT_CONFLICT,	/* a live certificate has the name set and the
				 * request did not say "force": its id */
	IMPORT_QUOTA,		/* a tenant quota refused it: err names it */
	IMPORT_ERROR,		/* err; nothing written */
};

/*
 * Stores ir unless this certificate is stored already or (without force)
 * a live certificate has its name set: in ONE transaction, the tenant's
 * live quota, the hostname set, the certificate (at er.ca or the default
 * CA, so that renewals go there), its key sealed like any other, and the
 * issued certificate recorded as current (issued_record: renew_at two
 * thirds into its lifetime, ARI CertID kept); the primer sends it to Redis
 * on its next pass, like any new issued certificate. No order is made.
 * Writes the certificate's id and status (and for IMPORT_CREATED renew_at,
 * Unix seconds) as the outcome says.
 */
enum import_outcome import_store(PGconn *c, const struct vault *v,
    const struct settings *s, const struct import_request *ir,
    char id[IDS_LEN + 1], char status[16], char renew[32], char *err,
    size_t errlen);

#endif
