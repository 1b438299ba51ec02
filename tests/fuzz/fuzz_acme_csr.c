/* fuzz_acme_csr.c -- libFuzzer target: the worker's reader of an order's CSR (acme_csr_spki) accepts exactly the bytes d2i_X509_REQ accepts, and gives the key OpenSSL reads. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/x509.h>

#include "acme_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The SubjectPublicKeyInfo OpenSSL itself reads from data, with *len; NULL
 * when d2i_X509_REQ refuses the bytes (*ok 0) or the key cannot be
 * re-encoded (*ok 1). */
static unsigned char *
openssl_spki(const uint8_t *data, size_t size, int *ok, int *len)
{
	const unsigned char *p = data;
	X509_REQ *r = d2i_X509_REQ(NULL, &p, (long)size);
	X509_PUBKEY *xpk;
	unsigned char *spki = NULL;

	*ok = r != NULL;
	*len = 0;
	if (r != NULL && (xpk = X509_REQ_get_X509_PUBKEY(r)) != NULL)
		*len = i2d_X509_PUBKEY(xpk, &spki);
	X509_REQ_free(r);
	return *len > 0 ? spki : NULL;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *mine, *theirs;
	size_t mlen;
	int ok, tlen;

	if (size > 65536)
		return 0;
	mine = acme_csr_spki(data, size, &mlen);
	theirs = openssl_spki(data, size, &ok, &tlen);
	if ((mine != NULL) != ok)	/* the same verdict as OpenSSL's */
		__builtin_trap();
	if (mine != NULL && theirs != NULL &&
	    ((size_t)tlen != mlen || memcmp(mine, theirs, mlen) != 0))
		__builtin_trap();	/* the same key bytes */
	OPENSSL_free(mine);
	OPENSSL_free(theirs);
	return 0;
}
