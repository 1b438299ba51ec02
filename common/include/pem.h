/* pem.h -- PEM <-> DER conversion and splitting of PEM certificate chains. */
#ifndef CERTFLEET_PEM_H
#define CERTFLEET_PEM_H

#include <stddef.h>

/* Hard cap on PEM text accepted from anywhere (a CA, the API): 1 MiB. */
#define PEM_MAX_INPUT (1024 * 1024)

/* Finds the first PEM block labelled label ("CERTIFICATE", "PRIVATE KEY"...)
 * in pem[0..pemlen) and returns its DER bytes, malloc'd, with *derlen set.
 * Blocks with other labels before it are skipped. Returns NULL when there is
 * no such block, the base64 is broken or the input is over PEM_MAX_INPUT,
 * with a message in err. */
unsigned char *pem_to_der(const char *pem, size_t pemlen, const char *label,
    size_t *derlen, char *err, size_t errlen);

/* Encodes der[0..derlen) as one PEM block with the given label. Returns a
 * malloc'd NUL-terminated string, or NULL when memory runs out. */
char *der_to_pem(const unsigned char *der, size_t derlen, const char *label);

/* Counts the CERTIFICATE blocks of a chain, parsing each as X.509 (the
 * bytes d2i_X509 accepts; keys not decoded, x509lite.h). Returns the count
 * (0 for none), or -1 when a block is not a certificate or the text is
 * malformed, with a message in err. */
int pem_chain_count(const char *pem, size_t pemlen, char *err, size_t errlen);

/* Splits a chain into its first certificate (the leaf) and the rest (the
 * issuer chain), both malloc'd PEM strings, re-encoded canonically. *rest is
 * an empty string when the chain holds one certificate. Returns 0, or -1 with
 * a message in err (nothing allocated then). */
int pem_chain_split(const char *pem, size_t pemlen, char **leaf, char **rest,
    char *err, size_t errlen);

#endif
