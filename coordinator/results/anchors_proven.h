/* anchors_proven.h -- intermediates proven to chain to a CA's trust anchors, remembered so that the next leaf each one issues costs one signature check. */
#ifndef CERTFLEET_COORD_ANCHORS_PROVEN_H
#define CERTFLEET_COORD_ANCHORS_PROVEN_H

#include <openssl/x509.h>

#include <time.h>

#define ANCHORS_PROVEN_MAX	32	/* intermediates remembered, all CAs */
#define ANCHORS_PROVEN_S	3600	/* how long one is trusted unchecked */

/*
 * A CA issues every leaf under one of a few intermediates, and a full
 * check of each chain verifies the intermediate's signature again every
 * time: an ECDSA P-384 verification is 0.6 ms on this project's bench
 * machine, and Let's Encrypt's ECDSA intermediates are P-384 under a P-384
 * root. Once a chain has verified in full against the anchors of a store,
 * its intermediate (the leaf's issuer) is remembered with that store; a
 * later leaf whose chain starts with the same certificate (the same DER
 * bytes) is then verified against the intermediate alone as its anchor:
 * the leaf's signature, its validity and its purpose, as before.
 *
 * An intermediate is remembered until the first notAfter above the leaf,
 * and at most ANCHORS_PROVEN_S; never when a certificate above the leaf
 * carries name constraints (a check against the intermediate alone would
 * skip the ones above it). It belongs to the store it was proven with: a
 * changed anchors file is a new store, which knows none.
 */

/* The store of the intermediate proven to anchors that heads rest (its
 * first certificate), with a reference the caller drops (X509_STORE_free);
 * NULL when there is none now (check in full). */
X509_STORE *anchors_proven_find(X509_STORE *anchors, STACK_OF(X509) *rest,
    time_t now);

/* Remembers the leaf's issuer in chain (a chain X509_verify_cert just
 * built and verified against anchors, leaf first) when it is an
 * intermediate: a certificate under an anchor. Memory running out is not
 * an error: nothing is remembered. */
void anchors_proven_add(X509_STORE *anchors, STACK_OF(X509) *chain,
    time_t now);

/* How many leaves were checked against a proven intermediate (tests). */
unsigned long anchors_proven_hits(void);

#endif
