/* keys_ec.h -- an EC key's PKCS#8 and SubjectPublicKeyInfo built from its parameters with OpenSSL's ASN.1 types, without OpenSSL 3's encoder setup. */
#ifndef CERTFLEET_COORD_KEYS_EC_H
#define CERTFLEET_COORD_KEYS_EC_H

#include <stddef.h>

#include <openssl/evp.h>
#include <openssl/x509.h>

/* Why: OpenSSL 3 encodes a provider key through OSSL_ENCODER, and each
 * PEM_write_bio_PrivateKey, i2d_PUBKEY or X509_REQ_set_pubkey sets up an
 * encoder chain (and X509_REQ_set_pubkey a decoder chain too) that costs
 * 60-250 us, several times the P-256 key generation and signature. The
 * structures below are fixed (RFC 5915, RFC 5480, RFC 5208), so they are
 * built here from the key's own parameters, byte for byte what the encoders
 * write (tests/unit/test_coord_keys.c compares both). */

/* The NID of k's named curve when k is an EC key on P-256 or P-384, else
 * NID_undef (0): the callers' generic path. */
int keys_ec_curve(const EVP_PKEY *k);

/* k's public key as an X509_PUBKEY (id-ecPublicKey, the named curve, the
 * uncompressed point), or NULL on failure. curve is keys_ec_curve(k). */
X509_PUBKEY *keys_ec_x509_pubkey(const EVP_PKEY *k, int curve);

/* Sets pub (e.g. a CSR's own, X509_REQ_get_X509_PUBKEY) to k's public
 * key. Returns 1, or 0 on failure. */
int keys_ec_set_pubkey(X509_PUBKEY *pub, const EVP_PKEY *k, int curve);

/* k's private key as PKCS#8 PrivateKeyInfo (ECPrivateKey of RFC 5915 with
 * the public key and without the parameters, which the algorithm carries),
 * written as PEM into b (a secure-memory BIO: the key's bytes). Returns 1,
 * or 0 on failure. Intermediate buffers are wiped. */
int keys_ec_write_pkcs8(BIO *b, const EVP_PKEY *k, int curve);

#endif
