/* x509lite.h -- certificates read without OpenSSL 3.0's key decoder (95 % of a parse): with no key, or with an EC or RSA key through the legacy methods. */
#ifndef CERTFLEET_X509LITE_H
#define CERTFLEET_X509LITE_H

#include <stddef.h>

#include <openssl/bio.h>
#include <openssl/x509.h>

/*
 * d2i_X509 of der[0..len) through OpenSSL's X509 template, in a library
 * context that holds no provider: the public key is not decoded (OpenSSL
 * 3.0 sets up a decoder for it at every parse, about 0.11 ms of a 0.12 ms
 * parse; bench-parse). d2i_X509's key decode is opportunistic and never
 * fails a parse, so the same bytes are accepted and refused.
 *
 * On the result, names, serial, dates, extensions, X509_check_host, i2d
 * and the SubjectPublicKeyInfo (X509_get_X509_PUBKEY, its bytes) read as
 * after d2i_X509; X509_get0_pubkey returns NULL. Not for anything that
 * needs a certificate's key: X509_verify_cert needs every certificate's
 * (x509lite_d2i_keyed, through x509cache_d2i, is for those); a key
 * comparison decodes the SPKI itself.
 *
 * Returns a new X509 (X509_free it) with *used set to the bytes consumed
 * (<= len), or NULL when the bytes are not a certificate or the context
 * cannot be set up. Thread-safe; nothing is cached.
 */
X509 *x509lite_d2i(const unsigned char *der, size_t len, size_t *used);

/*
 * d2i_X509 of der[0..len) with the public key, at a ninth of its cost for
 * a P-256 key (bench-parse: 12.1 against 110.6 us) and a fifth to a quarter
 * for another EC or RSA key: x509lite_d2i, then the key of the
 * SubjectPublicKeyInfo through OpenSSL's legacy EC or RSA method (no
 * decoder set up; a P-256 or P-384 point read onto a copy of a group made
 * once) set into the certificate. That is kept only when the
 * certificate's SubjectPublicKeyInfo and its whole encoding are then still
 * der's bytes (so its signature is checked over the bytes the CA signed);
 * any other key kind, or bytes that would not come back the same, get
 * d2i_X509 itself. Accepts and refuses what d2i_X509 does, with the same
 * *used. Returns a new X509 (X509_free it), or NULL. Thread-safe; nothing
 * is cached (x509cache_d2i caches it).
 */
X509 *x509lite_d2i_keyed(const unsigned char *der, size_t len, size_t *used);

/* The next CERTIFICATE block of b (blocks of other names skipped, as
 * PEM_read_bio_X509 does) through x509lite_d2i, or NULL at the end of input
 * or on a bad block, with OpenSSL's error queue set. */
X509 *x509lite_pem_read(BIO *b);

/* The same through any parse with x509lite_d2i's contract (x509cache_d2i:
 * x509cache_pem_read): what PEM_ASN1_read_bio does for PEM_read_bio_X509,
 * the d2i aside. */
X509 *x509lite_pem_read_with(BIO *b, X509 *(*d2i)(const unsigned char *der,
    size_t len, size_t *used));

#endif
