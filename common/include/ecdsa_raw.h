/* ecdsa_raw.h -- ECDSA signatures between OpenSSL's DER and the fixed-width r || s that JWS (RFC 7518 section 3.4) and signed Kafka messages carry. */
#ifndef CERTFLEET_ECDSA_RAW_H
#define CERTFLEET_ECDSA_RAW_H

#include <stddef.h>

/* Writes the DER ECDSA-Sig-Value der[0..derlen) (what EVP_DigestSign gives)
 * as r || s, each coord bytes big-endian, into out (2 * coord bytes).
 * Returns 0, or -1 when der does not parse or a number is wider than
 * coord. */
int ecdsa_der_to_raw(const unsigned char *der, size_t derlen, size_t coord,
    unsigned char *out);

/* The DER ECDSA-Sig-Value of raw r || s (2 * coord bytes), for
 * EVP_DigestVerify: a buffer to OPENSSL_free with *derlen, or NULL when
 * memory runs out. */
unsigned char *ecdsa_raw_to_der(const unsigned char *raw, size_t coord,
    size_t *derlen);

#endif
