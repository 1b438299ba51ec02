/* sigalg.h -- SHA-1 signatures in a served chain (seed 000: browsers flag a chain when any certificate in it, leaf or intermediate, is signed with SHA-1): checked when a certificate is stored, and backfilled for older rows. */
#ifndef CERTFLEET_COORD_SIGALG_H
#define CERTFLEET_COORD_SIGALG_H

#include <stddef.h>

#include <libpq-fe.h>
#include <openssl/x509.h>

#define SIGALG_BACKFILL_BATCH 500	/* rows looked at by one backfill pass */

/* Looks at every certificate of leaf and rest (PEM; rest may be "" or
 * NULL): 1 when one that is not self-signed carries a SHA-1 signature
 * (sha1WithRSAEncryption, ecdsa-with-SHA1, dsaWithSHA1...), 0 when none
 * does, -1 when the leaf does not parse. A self-signed root's own
 * signature is not counted: no client checks it. Pure. */
int sigalg_sha1_in_chain(const char *leaf, const char *rest);

/* The same of a leaf and chain already parsed (rest may be NULL); -1 when
 * leaf is NULL. */
int sigalg_sha1_in_chain_x509(X509 *leaf, STACK_OF(X509) *rest);

/* One backfill pass: up to limit issued certificates whose sha1_in_chain
 * is still NULL (rows older than migration 0061, or stored by code that
 * did not check), oldest first, through a partial index (the cost follows
 * the rows left, not the table). One that does not parse is set false
 * with a warning, so a pass never sees it again. Returns how many were
 * set (0: none left), or -1 with a message in err. */
int sigalg_backfill(PGconn *c, int limit, char *err, size_t errlen);

#endif
