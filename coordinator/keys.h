/* keys.h -- certificate and account private keys: generation, PEM, CSRs with every name as a SAN. */
#ifndef CERTFLEET_COORD_KEYS_H
#define CERTFLEET_COORD_KEYS_H

#include <stddef.h>

#include <openssl/evp.h>

enum keys_type {
	KEYS_EC_P256,
	KEYS_RSA_2048,
};

/* Parses "ec-p256" or "rsa-2048". Returns 0, or -1 for anything else. */
int keys_type_parse(const char *s, enum keys_type *t);

/* "ec-p256" or "rsa-2048". */
const char *keys_type_name(enum keys_type t);

/* Generates a key. RSA-2048 costs ~0.2 s, P-256 well under 1 ms.
 * Returns the key (EVP_PKEY_free it), or NULL with a message in err. */
EVP_PKEY *keys_generate(enum keys_type t, char *err, size_t errlen);

/* The private key as PKCS#8 PEM, malloc'd and NUL-terminated, *len set.
 * Free it with keys_pem_free, which wipes it. Returns NULL on failure. */
char *keys_private_pem(EVP_PKEY *k, size_t *len);
void keys_pem_free(char *pem, size_t len);

/* Parses a PEM private key. Returns NULL with a message in err on failure. */
EVP_PKEY *keys_from_pem(const char *pem, size_t len, char *err, size_t errlen);

/* The public key as DER SubjectPublicKeyInfo, malloc'd, *len set; NULL on
 * failure. */
unsigned char *keys_public_der(EVP_PKEY *k, size_t *len);

/* A CSR (DER, malloc'd, *len set) signed by k with SHA-256, carrying every
 * names[0..n) as a dNSName SAN, and the first as CN when it fits in 64
 * bytes. Returns NULL with a message in err on failure. */
unsigned char *keys_csr_der(EVP_PKEY *k, char *const *names, size_t n,
    size_t *len, char *err, size_t errlen);

#endif
