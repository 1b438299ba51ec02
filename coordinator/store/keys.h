/* keys.h -- certificate and account private keys: generation, PEM, CSRs with every name as a SAN. */
#ifndef CERTFLEET_COORD_KEYS_H
#define CERTFLEET_COORD_KEYS_H

#include <stddef.h>

#include <openssl/evp.h>

enum keys_type {
	KEYS_EC_P256,
	KEYS_RSA_2048,
	KEYS_EC_P384,
	KEYS_RSA_3072,
	KEYS_RSA_4096,
};
#define KEYS_TYPE_COUNT 5	/* enum keys_type runs from 0 to this - 1 */

/* Parses "ec-p256", "ec-p384", "rsa-2048", "rsa-3072" or "rsa-4096".
 * Returns 0, or -1 for anything else. */
int keys_type_parse(const char *s, enum keys_type *t);

/* The name keys_type_parse reads ("ec-p256"...). */
const char *keys_type_name(enum keys_type t);

/* The names keys_type_parse accepts, for messages: "ec-p256, ec-p384, ...". */
#define KEYS_TYPE_NAMES "ec-p256, ec-p384, rsa-2048, rsa-3072 or rsa-4096"

/* Parses an ACME account key algorithm: "ES256" (a P-256 key), "ES384"
 * (P-384) or "RS256" (RSA 2048). Returns 0, or -1 for anything else. */
int keys_account_type_parse(const char *s, enum keys_type *t);

/* Generates a key. Cost on this machine's OpenSSL 3: P-256 and P-384 well
 * under 1 ms; RSA-2048 ~0.2 s median, RSA-3072 ~0.7 s, RSA-4096 1-5 s (prime
 * search is random, so the tail is long). The caller's thread is blocked
 * meanwhile: enrollments and renewals take RSA keys from the key pool
 * (keypool.h) when one is configured, and make them here otherwise.
 * Returns the key (EVP_PKEY_free it), or NULL with a message in err. */
EVP_PKEY *keys_generate(enum keys_type t, char *err, size_t errlen);

/* The keys_type of k (an EC key on P-256 or P-384, an RSA key of 2048,
 * 3072 or 4096 bits). Returns 0, or -1 with a message in err saying what
 * k is instead ("an RSA key of 1024 bits (certfleet keeps ...)"). */
int keys_type_of(const EVP_PKEY *k, enum keys_type *t, char *err,
    size_t errlen);

/* The private key as PKCS#8 PEM, malloc'd and NUL-terminated, *len set.
 * Free it with keys_pem_free, which wipes it. Returns NULL on failure. */
char *keys_private_pem(EVP_PKEY *k, size_t *len);
void keys_pem_free(char *pem, size_t len);

/* Parses a PEM private key (PKCS#8, SEC1 or PKCS#1); an encrypted one is
 * not read (no password is asked for). Returns NULL with a message in err
 * on failure. */
EVP_PKEY *keys_from_pem(const char *pem, size_t len, char *err, size_t errlen);

/* The same for a key known to be of type t (the key pool's): OpenSSL is
 * asked for that algorithm's decoders only, a third of the CPU of trying
 * every one. A key of another algorithm is refused (NULL, err). */
EVP_PKEY *keys_from_pem_as(const char *pem, size_t len, enum keys_type t,
    char *err, size_t errlen);

/* The public key as DER SubjectPublicKeyInfo, malloc'd, *len set; NULL on
 * failure. */
unsigned char *keys_public_der(EVP_PKEY *k, size_t *len);

/* A CSR (DER, malloc'd, *len set) signed by k with SHA-256, carrying every
 * names[0..n) as a dNSName SAN, and the first as CN when it fits in 64
 * bytes. Returns NULL with a message in err on failure. */
unsigned char *keys_csr_der(EVP_PKEY *k, char *const *names, size_t n,
    size_t *len, char *err, size_t errlen);

#endif
