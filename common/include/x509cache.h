/* x509cache.h -- certificates parsed once per process: DER bytes to a shared X509, a small cache keyed by the bytes. */
#ifndef CERTFLEET_X509CACHE_H
#define CERTFLEET_X509CACHE_H

#include <stddef.h>

#include <openssl/bio.h>
#include <openssl/x509.h>

/* Entries kept: a chain's issuers stay (every certificate of a CA repeats
 * them) and a leaf is parsed once however many steps read it. */
#define X509CACHE_ENTRIES 32

/* Bytes of DER cached per entry at most; longer input is parsed, not kept. */
#define X509CACHE_DER_MAX (64 * 1024)

/* d2i_X509 of der[0..len), each distinct byte string parsed once per
 * process, through x509lite_d2i_keyed (OpenSSL 3.0's d2i_X509 sets up a
 * decoder for the public key at every parse: about 0.12 ms). Returns a new
 * reference (X509_free it) and sets *used to the bytes the parse consumed
 * (d2i_X509's advance, <= len), or NULL when the bytes are not a
 * certificate (nothing cached then). Thread-safe; the X509 is shared, so
 * callers must not change it. */
X509 *x509cache_d2i(const unsigned char *der, size_t len, size_t *used);

/* PEM_read_bio_X509(b, NULL, NULL, NULL) through x509cache_d2i: the next
 * CERTIFICATE block of b (blocks of other names skipped, as OpenSSL does),
 * or NULL at the end of input or on a bad block, with OpenSSL's error
 * queue set as PEM_read_bio_X509 sets it. */
X509 *x509cache_pem_read(BIO *b);

#endif
