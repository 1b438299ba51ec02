/* issued.h -- the one place an issued certificate is recorded: stored with its chains and ARI CertID, made its certificate's current one with renew_at; for the result consumer and for imports. */
#ifndef CERTFLEET_COORD_ISSUED_H
#define CERTFLEET_COORD_ISSUED_H

#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "certinfo.h"
#include "chains.h"
#include "ids.h"

/* What is recorded. Strings may be NULL where noted. */
struct issued_new {
	const char		*certificate;	/* certificates.id */
	const char		*order_id;	/* the order it answers; NULL:
						 * imported (issued elsewhere) */
	const char		*private_key;	/* private_keys.id of its key */
	const struct certinfo	*ci;		/* the leaf, parsed */
	const char		*leaf;		/* the leaf's PEM */
	const struct chains	*ch;		/* every chain, e[served] served */
	size_t			 served;
	/* The CA's ARI window (Unix ms; 0 and 0: none), the first re-check
	 * it asked for (0: ACME_ARI_RECHECK_S from now) and its explanation
	 * URL (NULL or ""). */
	int64_t			 ari_start_ms;
	int64_t			 ari_end_ms;
	int64_t			 ari_next_ms;
	const char		*ari_explanation_url;
	/* The CA's final URL of order_id (with order_id only): the order is
	 * marked valid with it in the statement that makes the certificate
	 * current. */
	const char		*order_url;
};

/* When to renew (Unix seconds): a uniformly random moment in the ARI
 * window [start_ms, end_ms) when there is one (RFC 9773 section 4.2), else
 * not_before + 2/3 of the lifetime, +- RESULTS_RENEW_JITTER of it. */
double issued_renew_at(const struct certinfo *ci, int64_t start_ms,
    int64_t end_ms);

/*
 * In the caller's transaction: inserts the issued certificate (a new id,
 * written to icid; imported_at set when in->order_id is NULL) with every
 * chain, the served chain's top issuer, its ARI CertID (computed from the
 * leaf's AKI and serial; none when it has no AKI), window and whether a
 * SHA-1 signature is in the served chain (sigalg_sha1_in_chain); then
 * makes it in->certificate's current one: status issued, renew_at from
 * issued_renew_at (written to renew as Unix seconds), last problem cleared,
 * and the ARI re-checks of the certificates it replaces stopped, and order
 * in->order_id (when not NULL) marked valid with in->order_url. A batch of
 * one (below). Returns 0, or -1 with a message in err.
 */
int issued_record(PGconn *c, const struct issued_new *in,
    char icid[IDS_LEN + 1], char renew[32], char *err, size_t errlen);

/*
 * Issued certificates recorded together, as issued_record records one:
 * issued_batch_add plans each one (its id and renew_at chosen then, its
 * rows copied: in may go), issued_batch_write writes them all in one round
 * trip of three set-based statements, which cost little more for a batch
 * than for one certificate. Until then nothing of them is in the
 * database: a caller that reads an order or a certificate of the batch
 * (issued_batch_holds) writes the batch first. A batch holds each order
 * and each certificate once.
 */
struct issued_batch;

struct issued_batch *issued_batch_new(void);	/* NULL: out of memory */
void issued_batch_free(struct issued_batch *b);
size_t issued_batch_count(const struct issued_batch *b);

/* 1 when b holds order order_id or certificate certificate (either may be
 * NULL), else 0. */
int issued_batch_holds(const struct issued_batch *b, const char *order_id,
    const char *certificate);

/* Adds in to b. Returns 0, or -1 with a message in err (b as before). */
int issued_batch_add(struct issued_batch *b, const struct issued_new *in,
    char icid[IDS_LEN + 1], char renew[32], char *err, size_t errlen);

/* Writes b in the caller's transaction and empties it (also when it
 * fails). Returns 0 (nothing to write included), or -1 with a message in
 * err: the transaction then holds a failed statement. */
int issued_batch_write(PGconn *c, struct issued_batch *b, char *err,
    size_t errlen);

/* 1 when a write of b failed (its certificates were lost with the
 * caller's transaction, which must not commit), else 0. */
int issued_batch_failed(const struct issued_batch *b);

/* Empties b without writing it. */
void issued_batch_clear(struct issued_batch *b);

#endif
