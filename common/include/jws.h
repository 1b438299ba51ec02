/* jws.h -- ACME account keys and JWS signing (RFC 7515/7638/8555): the only door to an account's private key. */
#ifndef CERTFLEET_JWS_H
#define CERTFLEET_JWS_H

#include <stddef.h>

/*
 * An account key (or a public key used only to verify). Opaque: nothing
 * outside jws.c sees the EVP_PKEY. Supported: EC P-256 (ES256), EC P-384
 * (ES384) and RSA of at least 2048 bits (RS256).
 */
struct jws_key;

/* Hard cap on the PEM text of a key. */
#define JWS_KEY_PEM_MAX	(64 * 1024)

/* Loads a private key (PKCS#8, SEC1 or PKCS#1 PEM) or, for verification only,
 * a "PUBLIC KEY" PEM from pem[0..len). Returns a key the caller frees with
 * jws_key_free, or NULL with a message in err (never the key material). */
struct jws_key *jws_key_from_pem(const char *pem, size_t len, char *err,
    size_t errlen);

/* Frees k; NULL is accepted. */
void jws_key_free(struct jws_key *k);

/* "ES256", "ES384" or "RS256": a static string. */
const char *jws_key_alg(const struct jws_key *k);

/* The public JWK in RFC 7638 canonical form (required members only, sorted,
 * no whitespace): the exact bytes the thumbprint hashes. Made once when the
 * key is loaded (as is the thumbprint); a copy. malloc'd, or NULL when
 * memory runs out. */
char *jws_jwk(const struct jws_key *k);

/* The RFC 7638 SHA-256 thumbprint of the public JWK, base64url. malloc'd or
 * NULL. */
char *jws_thumbprint(const struct jws_key *k);

/* The key authorization token "." thumbprint (RFC 8555 section 8.1), or NULL
 * when token is not a valid base64url token or memory runs out. The result
 * is a secret of the account: never log it. malloc'd. */
char *jws_key_authorization(const struct jws_key *k, const char *token);

/*
 * Signs an ACME request in the flattened JSON serialization with the
 * protected header {alg, nonce, url} plus "kid" when kid is not NULL, or
 * "jwk" (the public key) when kid is NULL (newAccount). nonce NULL leaves
 * "nonce" out: the inner JWS of keyChange (RFC 8555 section 7.3.5) is signed
 * by the new key with jwk and no nonce. payload is the JSON
 * text to sign, or NULL for POST-as-GET (empty payload). k must hold a
 * private key. Returns the malloc'd request body, or NULL with a message in
 * err.
 */
char *jws_sign(const struct jws_key *k, const char *kid, const char *nonce,
    const char *url, const char *payload, char *err, size_t errlen);

/* Hard cap on an External Account Binding MAC key (decoded bytes). */
#define JWS_EAB_KEY_MAX	256

/*
 * The externalAccountBinding member of newAccount (RFC 8555 section
 * 7.3.4): a flattened JWS with the protected header {alg: "HS256", kid:
 * eab_kid, url: url} over the public JWK of k (jws_jwk), MACed with
 * HMAC-SHA256 under the base64url-decoded hmac_b64 (1..JWS_EAB_KEY_MAX
 * bytes). url is the CA's newAccount URL. Returns the malloc'd JSON object
 * text, or NULL with a message in err (never the MAC key). The decoded key
 * is wiped before return.
 */
char *jws_eab(const struct jws_key *k, const char *eab_kid,
    const char *hmac_b64, const char *url, char *err, size_t errlen);

/* Signs in[0..inlen) with the key's algorithm; an EC signature is the raw
 * r||s form of JWS (64 bytes for ES256, 96 for ES384), not DER. Returns the
 * malloc'd signature with *siglen set, or NULL. */
unsigned char *jws_sign_raw(const struct jws_key *k, const void *in,
    size_t inlen, size_t *siglen);

/* Verifies a JWS signature (raw r||s for EC) over in[0..inlen). Returns 1
 * when valid, 0 when not (including a malformed signature). */
int jws_verify_raw(const struct jws_key *k, const void *in, size_t inlen,
    const unsigned char *sig, size_t siglen);

/* The dns-01 TXT record value for a key authorization (RFC 8555 section
 * 8.4): base64url(SHA-256(key_authorization)), 43 characters. Public (it is
 * published in the DNS), unlike key_authorization. malloc'd, or NULL when
 * key_authorization is NULL or memory runs out. */
char *jws_dns01_txt(const char *key_authorization);

#endif
