/* anchors.h -- verifies a chain a CA sent against that CA's configured trust anchors (a PEM file); pure, no database. */
#ifndef CERTFLEET_COORD_ANCHORS_H
#define CERTFLEET_COORD_ANCHORS_H

#include <openssl/x509.h>

#include <stddef.h>
#include <stdint.h>

#define ANCHORS_FILE_MAX	(1024 * 1024)	/* bytes of an anchors file */
#define ANCHORS_MAX		64		/* certificates in it */
#define ANCHORS_CHAIN_MAX	1000		/* certificates of a chain (an event's
						 * size bounds it before) */

/* The problem type of a chain that does not verify. */
#define ANCHORS_PROBLEM "urn:certfleet:error:untrustedChain"

/*
 * Verifies that leaf (one PEM certificate) chains to one of the trust
 * anchors in file path (PEM certificates; read at every call, so a changed
 * file counts at once, and parsed again only when its bytes changed: a
 * store per file is cached) through the certificates of rest (PEM, the chain
 * without its leaf, may be empty), at time now_s (Unix seconds; 0 = now):
 * OpenSSL's path building and checks (signatures, validity, CA flags, path
 * lengths, the leaf usable for a TLS server); an anchor may be an
 * intermediate (partial chains). At now_s 0, a leaf whose rest starts with
 * an intermediate a full check proved before is checked against it alone
 * (anchors_proven.h), and in full when it does not verify there. Returns 0
 * when the chain verifies, or -1 with the reason in err (the file
 * unusable, a chain over ANCHORS_CHAIN_MAX, or OpenSSL's verdict with the
 * certificate depth it concerns).
 */
int anchors_verify(const char *path, const char *leaf, const char *rest,
    int64_t now_s, char *err, size_t errlen);

/* The same for a leaf and a chain already parsed (chains.h: leaf_x,
 * rest_x; rest may be NULL), which stay the caller's. */
int anchors_verify_x509(const char *path, X509 *leaf, STACK_OF(X509) *rest,
    int64_t now_s, char *err, size_t errlen);

#endif
