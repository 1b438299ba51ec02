/* chains.h -- every chain a CA offered for one certificate: top issuer names, the preferred-chain rule, the served chain's id. */
#ifndef CERTFLEET_COORD_CHAINS_H
#define CERTFLEET_COORD_CHAINS_H

#include <stddef.h>

#include <libpq-fe.h>
#include <openssl/x509.h>


#define CHAINS_MAX 9		/* the default chain and ACME_ALT_MAX alternates */
#define CHAINS_ISSUER_MAX 256	/* bytes of an issuer CN kept (UTF-8, cut
				 * on a character boundary) */

struct chains_entry {
	char	*rest;		/* PEM of the chain without the leaf */
	STACK_OF(X509) *rest_x;	/* the same, parsed (never NULL once added) */
	char	 top_issuer[CHAINS_ISSUER_MAX + 1]; /* issuer CN of its last cert */
	int	 is_default;
};

struct chains {
	X509			*leaf_x;	/* the leaf, parsed once: the
						 * checks, ARI and SHA-1 read it */
	struct chains_entry	 e[CHAINS_MAX];
	size_t			 n;		/* e[0] is the default chain */
	size_t			 skipped;	/* alternates dropped */
};

/*
 * Reads the default chain def (leaf first) and the alternates alts[0..nalts)
 * into ch: each chain loses its leaf; an alternate whose leaf is not the
 * default chain's leaf, or that does not parse, is skipped (counted in
 * ch->skipped), as are alternates over CHAINS_MAX. Returns 0, or -1 with a
 * message in err when the default chain itself is unusable (ch then holds
 * nothing). Every certificate is parsed once here (leaf_x, rest_x) for
 * the checks that follow: OpenSSL 3 spends ~0.1 ms decoding one. Release
 * with chains_free.
 */
int chains_parse(const char *def, char *const *alts, size_t nalts,
    struct chains *ch, char *err, size_t errlen);
void chains_free(struct chains *ch);

/* The top issuer CN of a chain (issuer CN of its last certificate; of the
 * leaf when rest is empty) into out. Returns 0, or -1 when nothing parses. */
int chains_top_issuer(const char *leaf, const char *rest, char *out,
    size_t outlen);

/* The chain to serve: the first whose top issuer CN equals preferred, else
 * the first holding a certificate issued by a CN equal to preferred, else
 * the default (0). preferred NULL or "" means the default. */
size_t chains_select(const struct chains *ch, const char *preferred);

/*
 * The id of a chain (rest: its PEM without the leaf, as stored in
 * issued_certificates.chain_pem) into out: the first CHAINS_ID_LEN hex
 * digits of the SHA-256 of its bytes. The edge feed names the chain by it
 * (edge_names.chain_id, the primer's keys). SQL's certfleet_chain_id
 * computes the same for rows written in SQL (migration 0090).
 */
#define CHAINS_ID_LEN 32
void chains_id(const char *rest, char out[CHAINS_ID_LEN + 1]);

#endif
