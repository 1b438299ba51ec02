/* p12.h -- PKCS#12 bundles (.p12/.pfx) of a certificate, its chain and its key, for hosts that load them (IIS, Windows): modern or legacy encryption. */
#ifndef CERTFLEET_COORD_P12_H
#define CERTFLEET_COORD_P12_H

#include <stddef.h>

#define P12_PASSWORD_MAX 1024	/* bytes of a bundle's password */
#define P12_NAME_MAX 256	/* bytes of its friendly name kept */

/* How the bundle is encrypted. */
enum p12_cipher {
	/* PBES2: AES-256-CBC with PBKDF2-HMAC-SHA256 for the key and the
	 * certificates, an HMAC-SHA256 MAC, P12_ITER_MODERN iterations:
	 * Windows 10 1709 / Server 2019 and later, OpenSSL, Java, macOS */
	P12_MODERN,
	/* pbeWithSHA1And3-KeyTripleDES-CBC for the key and the certificates,
	 * an HMAC-SHA1 MAC, P12_ITER_LEGACY iterations: what Windows Server
	 * 2016 and older import. (RC2-40 for the certificates, the oldest
	 * default, needs OpenSSL 3's legacy provider, which certfleet does
	 * not load; 3DES is in the default provider.) */
	P12_LEGACY,
};
#define P12_ITER_MODERN 10000
#define P12_ITER_LEGACY 2048

/*
 * Builds a PKCS#12 bundle of the private key key_pem[0..keylen) (PEM), the
 * leaf cert_pem (PEM) and the certificates of chain_pem (PEM, "" for none),
 * the key and leaf sharing a localKeyID and named friendly (NULL: no name),
 * encrypted and MACed under password (1-P12_PASSWORD_MAX bytes, as given:
 * UTF-8 is fine). Pure: touches nothing else.
 * Returns the DER bundle, malloc'd, *len set (release it with p12_free,
 * which wipes it), or NULL with a message in err that never quotes the
 * key or the password.
 */
unsigned char *p12_build(const char *key_pem, size_t keylen,
    const char *cert_pem, const char *chain_pem, const char *password,
    enum p12_cipher cipher, const char *friendly, size_t *len, char *err,
    size_t errlen);
void p12_free(unsigned char *der, size_t len);

#endif
