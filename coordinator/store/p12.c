/* p12.c -- PKCS#12 bundles of a certificate, its chain and its key on OpenSSL 3: AES-256/SHA-256, or 3DES/SHA-1 for old Windows. */
#include "p12.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/pkcs12.h>
#include <openssl/x509.h>

#include "keys.h"

#define P12_CHAIN_MAX 16	/* certificates of a chain put in a bundle */

/* The certificates of chain_pem (may be "") into a new stack. Returns it,
 * or NULL with err. */
static STACK_OF(X509) *
p12_chain(const char *chain_pem, char *err, size_t errlen)
{
	STACK_OF(X509) *sk;
	BIO *b = NULL;
	X509 *x;
	size_t len = strlen(chain_pem);

	if ((sk = sk_X509_new_null()) == NULL) {
		snprintf(err, errlen, "p12: out of memory");
		return NULL;
	}
	if (len == 0)
		return sk;
	if (len > INT32_MAX || (b = BIO_new_mem_buf(chain_pem, (int)len)) ==
	    NULL) {
		snprintf(err, errlen, "p12: the chain does not read");
		goto fail;
	}
	while ((x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL) {
		if (sk_X509_num(sk) >= P12_CHAIN_MAX || sk_X509_push(sk, x) <= 0) {
			X509_free(x);
			snprintf(err, errlen, "p12: the chain holds more than %d "
			    "certificates", P12_CHAIN_MAX);
			goto fail;
		}
	}
	ERR_clear_error();	/* the end of the input reads as an error */
	BIO_free(b);
	return sk;
fail:
	BIO_free(b);
	sk_X509_pop_free(sk, X509_free);
	return NULL;
}

/* The leaf of cert_pem, or NULL with err. */
static X509 *
p12_leaf(const char *cert_pem, char *err, size_t errlen)
{
	BIO *b;
	X509 *x = NULL;
	size_t len = strlen(cert_pem);

	if (len <= INT32_MAX && (b = BIO_new_mem_buf(cert_pem, (int)len)) !=
	    NULL) {
		x = PEM_read_bio_X509(b, NULL, NULL, NULL);
		BIO_free(b);
	}
	if (x == NULL)
		snprintf(err, errlen, "p12: the certificate does not read");
	ERR_clear_error();
	return x;
}

/* The DER encoding of p12, malloc'd, *len set; NULL on failure. */
static unsigned char *
p12_der(PKCS12 *p12, size_t *len)
{
	unsigned char *der, *q;
	int n;

	if ((n = i2d_PKCS12(p12, NULL)) <= 0 || (der = malloc((size_t)n)) ==
	    NULL)
		return NULL;
	q = der;
	if (i2d_PKCS12(p12, &q) != n) {
		free(der);
		return NULL;
	}
	*len = (size_t)n;
	return der;
}

unsigned char *
p12_build(const char *key_pem, size_t keylen, const char *cert_pem,
    const char *chain_pem, const char *password, enum p12_cipher cipher,
    const char *friendly, size_t *len, char *err, size_t errlen)
{
	STACK_OF(X509) *chain = NULL;
	EVP_PKEY *key = NULL;
	X509 *leaf = NULL;
	PKCS12 *p12 = NULL;
	unsigned char *der = NULL;
	char why[256], name[P12_NAME_MAX + 1];
	int nid, iter, plen = (int)strlen(password);

	if (plen == 0 || plen > P12_PASSWORD_MAX) {
		snprintf(err, errlen, "p12: the password must be 1-%d bytes",
		    P12_PASSWORD_MAX);
		return NULL;
	}
	if ((key = keys_from_pem(key_pem, keylen, why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "p12: the private key does not read");
		goto out;
	}
	if ((leaf = p12_leaf(cert_pem, err, errlen)) == NULL ||
	    (chain = p12_chain(chain_pem, err, errlen)) == NULL)
		goto out;
	if (X509_check_private_key(leaf, key) != 1) {
		snprintf(err, errlen, "p12: the key is not the certificate's");
		goto out;
	}
	nid = cipher == P12_LEGACY ? NID_pbe_WithSHA1And3_Key_TripleDES_CBC :
	    NID_aes_256_cbc;
	iter = cipher == P12_LEGACY ? P12_ITER_LEGACY : P12_ITER_MODERN;
	if (friendly != NULL)
		snprintf(name, sizeof(name), "%s", friendly);
	/* mac_iter -1: no MAC yet, it is set below with the digest we want */
	if ((p12 = PKCS12_create_ex(password, friendly != NULL ? name : NULL,
	    key, leaf, chain, nid, nid, iter, -1, 0, NULL, NULL)) == NULL ||
	    PKCS12_set_mac(p12, password, plen, NULL, 0, iter,
	    cipher == P12_LEGACY ? EVP_sha1() : EVP_sha256()) != 1) {
		ERR_error_string_n(ERR_get_error(), why, sizeof(why));
		snprintf(err, errlen, "p12: the bundle cannot be made: %s", why);
		goto out;
	}
	if ((der = p12_der(p12, len)) == NULL)
		snprintf(err, errlen, "p12: the bundle does not encode");
out:
	ERR_clear_error();
	PKCS12_free(p12);
	sk_X509_pop_free(chain, X509_free);
	X509_free(leaf);
	EVP_PKEY_free(key);
	return der;
}

void
p12_free(unsigned char *der, size_t len)
{
	if (der != NULL)
		OPENSSL_clear_free(der, len);
}
