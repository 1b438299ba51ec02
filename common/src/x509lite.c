/* x509lite.c -- certificates read without OpenSSL 3.0's key decoder: OpenSSL's X509 template in a library context with no provider, the key (when wanted) through the legacy EC and RSA methods. */
/* EC_KEY and RSA are deprecated in OpenSSL 3.0, and they are the point
 * here: their d2i functions decode a key without setting up a decoder. */
#define OPENSSL_SUPPRESS_DEPRECATED

#include "x509lite.h"

#include <limits.h>
#include <pthread.h>
#include <string.h>

#include <openssl/asn1t.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/provider.h>
#include <openssl/rsa.h>

/* The context the key decoder looks in: only the "null" provider, which
 * offers nothing, so the decoder finds none at once. Made once, kept for
 * the life of the process. */
static OSSL_LIB_CTX *x509lite_ctx;
static pthread_once_t x509lite_once = PTHREAD_ONCE_INIT;

/* The curves of nearly every certificate's EC key, each group made once: a
 * key on one of them is read onto a copy of it (EC_KEY_set_group), which
 * takes a sixth of the time d2i_EC_PUBKEY spends making the group again
 * from its parameters (bench-parse). Read-only after x509lite_init. */
static const int x509lite_curves[] = {
	NID_X9_62_prime256v1, NID_secp384r1
};
static EC_GROUP *x509lite_groups[sizeof(x509lite_curves) /
    sizeof(x509lite_curves[0])];

static void
x509lite_init(void)
{
	OSSL_LIB_CTX *c;
	size_t i;

	/* a group not made (memory) leaves its curve to d2i_EC_PUBKEY */
	for (i = 0; i < sizeof(x509lite_curves) / sizeof(x509lite_curves[0]);
	    i++)
		x509lite_groups[i] = EC_GROUP_new_by_curve_name(
		    x509lite_curves[i]);
	ERR_clear_error();
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

/* The EC key of xpk when its parameters name a curve of x509lite_groups:
 * its point read onto a copy of that group. NULL for another curve, other
 * parameters or a point that does not decode. */
static EC_KEY *
x509lite_ec_named(X509_PUBKEY *xpk)
{
	const unsigned char *pt;
	const ASN1_OBJECT *curve;
	const void *pval;
	X509_ALGOR *alg;
	EC_KEY *ec;
	size_t i;
	int len, ptype, nid;

	if (X509_PUBKEY_get0_param(NULL, &pt, &len, &alg, xpk) != 1)
		return NULL;
	X509_ALGOR_get0(NULL, &ptype, &pval, alg);
	if (ptype != V_ASN1_OBJECT)
		return NULL;
	curve = pval;
	nid = OBJ_obj2nid(curve);
	for (i = 0; i < sizeof(x509lite_curves) / sizeof(x509lite_curves[0]);
	    i++)
		if (x509lite_curves[i] == nid && x509lite_groups[i] != NULL)
			break;
	if (i == sizeof(x509lite_curves) / sizeof(x509lite_curves[0]) ||
	    (ec = EC_KEY_new()) == NULL)
		return NULL;
	if (EC_KEY_set_group(ec, x509lite_groups[i]) == 1 &&
	    o2i_ECPublicKey(&ec, &pt, len) != NULL)
		return ec;
	EC_KEY_free(ec);
	ERR_clear_error();
	return NULL;
}

/* The key of xpk (its DER spki[0..len), algorithm nid) as a legacy EC or
 * RSA EVP_PKEY, or NULL for another kind or a key that does not decode. */
static EVP_PKEY *
x509lite_legacy_key(X509_PUBKEY *xpk, const unsigned char *spki, int len,
    int nid)
{
	const unsigned char *p = spki;
	EVP_PKEY *k;
	EC_KEY *ec = NULL;
	RSA *rsa = NULL;
	int ok = 0;

	if ((nid != NID_X9_62_id_ecPublicKey && nid != NID_rsaEncryption) ||
	    (k = EVP_PKEY_new()) == NULL)
		return NULL;
	if (nid == NID_X9_62_id_ecPublicKey)
		ok = ((ec = x509lite_ec_named(xpk)) != NULL ||
		    (ec = d2i_EC_PUBKEY(NULL, &p, len)) != NULL) &&
		    EVP_PKEY_assign_EC_KEY(k, ec) == 1;
	else
		ok = (rsa = d2i_RSA_PUBKEY(NULL, &p, len)) != NULL &&
		    EVP_PKEY_assign_RSA(k, rsa) == 1;
	if (ok)
		return k;	/* ec or rsa is k's now */
	EC_KEY_free(ec);
	RSA_free(rsa);
	EVP_PKEY_free(k);
	return NULL;
}

/* Sets into x (read by x509lite_d2i from der[0..len)) the key of its
 * SubjectPublicKeyInfo through the legacy methods. Returns 1 when x then
 * holds that key with its SubjectPublicKeyInfo and its encoding still the
 * same bytes, else 0 (x to be dropped). */
static int
x509lite_set_key(X509 *x, const unsigned char *der, size_t len)
{
	ASN1_OBJECT *alg = NULL;
	unsigned char *spki = NULL, *spki2 = NULL, *again = NULL;
	EVP_PKEY *k = NULL;
	int n, n2 = 0, ok = 0;

	if (X509_PUBKEY_get0_param(&alg, NULL, NULL, NULL,
	    X509_get_X509_PUBKEY(x)) != 1 ||
	    (n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki)) <= 0 ||
	    (k = x509lite_legacy_key(X509_get_X509_PUBKEY(x), spki, n,
	    OBJ_obj2nid(alg))) == NULL ||
	    X509_set_pubkey(x, k) != 1)
		goto out;
	/*
	 * The key goes in as a new SubjectPublicKeyInfo encoded from it, and
	 * an OpenSSL that marked the certificate changed would check its
	 * signature over bytes encoded again from its fields: both are taken
	 * only when they are the bytes the CA sent.
	 */
	n2 = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &spki2);
	ok = n2 == n && memcmp(spki2, spki, (size_t)n) == 0 &&
	    (n = i2d_X509(x, &again)) > 0 && (size_t)n == len &&
	    memcmp(again, der, len) == 0;
out:
	EVP_PKEY_free(k);
	OPENSSL_free(spki);
	OPENSSL_free(spki2);
	OPENSSL_free(again);
	return ok;
}

X509 *
x509lite_d2i_keyed(const unsigned char *der, size_t len, size_t *used)
{
	const unsigned char *p = der;
	X509 *x;

	if (len > LONG_MAX || (x = x509lite_d2i(der, len, used)) == NULL)
		return NULL;
	if (x509lite_set_key(x, der, *used))
		return x;
	/* another kind of key, or bytes that would not come back the same */
	X509_free(x);
	ERR_clear_error();
	if ((x = d2i_X509(NULL, &p, (long)len)) == NULL)
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
