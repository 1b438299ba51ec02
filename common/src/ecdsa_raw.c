/* ecdsa_raw.c -- ECDSA signatures between OpenSSL's DER and fixed-width r || s. */
#include "ecdsa_raw.h"

#include <limits.h>

#include <openssl/bn.h>
#include <openssl/ec.h>
#include <openssl/err.h>

int
ecdsa_der_to_raw(const unsigned char *der, size_t derlen, size_t coord,
    unsigned char *out)
{
	const unsigned char *p = der;
	const BIGNUM *r, *s;
	ECDSA_SIG *es;
	int rc = -1;

	if (derlen > LONG_MAX || coord > INT_MAX ||
	    (es = d2i_ECDSA_SIG(NULL, &p, (long)derlen)) == NULL) {
		ERR_clear_error();
		return -1;
	}
	ECDSA_SIG_get0(es, &r, &s);
	if (BN_bn2binpad(r, out, (int)coord) == (int)coord &&
	    BN_bn2binpad(s, out + coord, (int)coord) == (int)coord)
		rc = 0;
	ECDSA_SIG_free(es);
	ERR_clear_error();
	return rc;
}

unsigned char *
ecdsa_raw_to_der(const unsigned char *raw, size_t coord, size_t *derlen)
{
	BIGNUM *r = NULL, *s = NULL;
	unsigned char *der = NULL;
	ECDSA_SIG *es = NULL;
	int n;

	if (coord > INT_MAX)
		return NULL;
	r = BN_bin2bn(raw, (int)coord, NULL);
	s = BN_bin2bn(raw + coord, (int)coord, NULL);
	if (r == NULL || s == NULL || (es = ECDSA_SIG_new()) == NULL ||
	    !ECDSA_SIG_set0(es, r, s))
		goto out;
	r = s = NULL;	/* es owns them now */
	if ((n = i2d_ECDSA_SIG(es, &der)) <= 0) {
		der = NULL;
		goto out;
	}
	*derlen = (size_t)n;
out:
	ERR_clear_error();
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return der;
}
