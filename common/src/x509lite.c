/* x509lite.c -- certificates read without decoding their public key, through OpenSSL's X509 template in a library context with no provider. */
#include "x509lite.h"

#include <limits.h>
#include <pthread.h>

#include <openssl/asn1t.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/provider.h>

/* The context the key decoder looks in: only the "null" provider, which
 * offers nothing, so the decoder finds none at once. Made once, kept for
 * the life of the process. */
static OSSL_LIB_CTX *x509lite_ctx;
static pthread_once_t x509lite_once = PTHREAD_ONCE_INIT;

static void
x509lite_init(void)
{
	OSSL_LIB_CTX *c;

	if ((c = OSSL_LIB_CTX_new()) == NULL)
		return;
	/* loaded, the null provider also stops the default one loading */
	if (OSSL_PROVIDER_load(c, "null") == NULL) {
		OSSL_LIB_CTX_free(c);
		ERR_clear_error();
		return;
	}
	x509lite_ctx = c;
}

X509 *
x509lite_d2i(const unsigned char *der, size_t len, size_t *used)
{
	const unsigned char *p = der;
	X509 *x;

	if (len > LONG_MAX || pthread_once(&x509lite_once, x509lite_init) != 0 ||
	    x509lite_ctx == NULL)
		return NULL;
	if ((x = (X509 *)ASN1_item_d2i_ex(NULL, &p, (long)len,
	    ASN1_ITEM_rptr(X509), x509lite_ctx, NULL)) == NULL)
		return NULL;
	*used = (size_t)(p - der);
	return x;
}

X509 *
x509lite_pem_read_with(BIO *b, X509 *(*d2i)(const unsigned char *der,
    size_t len, size_t *used))
{
	unsigned char *data = NULL;
	long len = 0;
	size_t used;
	X509 *x;

	/* what PEM_ASN1_read_bio does for PEM_read_bio_X509, d2i aside */
	if (!PEM_bytes_read_bio(&data, &len, NULL, PEM_STRING_X509, b, NULL,
	    NULL))
		return NULL;
	if ((x = d2i(data, len > 0 ? (size_t)len : 0, &used)) == NULL)
		ERR_raise(ERR_LIB_PEM, ERR_R_ASN1_LIB);
	OPENSSL_free(data);
	return x;
}

X509 *
x509lite_pem_read(BIO *b)
{
	return x509lite_pem_read_with(b, x509lite_d2i);
}
