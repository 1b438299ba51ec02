/* keys_ec.c -- an EC key's PKCS#8 and SubjectPublicKeyInfo built from its parameters with OpenSSL's ASN.1 types, without OpenSSL 3's encoder setup. */
#include "keys_ec.h"

#include <string.h>

#include <openssl/asn1.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>

#define KEYS_EC_POINT_MAX	97	/* uncompressed P-384 point: 04 x y */
#define KEYS_EC_SCALAR_MAX	48	/* P-384's order, in bytes */
#define KEYS_EC_DER_MAX		256	/* a P-384 ECPrivateKey is 167 bytes */

/* The byte length of the curve's private scalar (its order), or 0. */
static size_t
keys_ec_scalar_len(int curve)
{
	if (curve == NID_X9_62_prime256v1)
		return 32;
	if (curve == NID_secp384r1)
		return 48;
	return 0;
}

int
keys_ec_curve(const EVP_PKEY *k)
{
	char s[64];
	size_t len;
	int nid;

	if (EVP_PKEY_get_base_id(k) != EVP_PKEY_EC ||
	    EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_GROUP_NAME, s,
	    sizeof(s), &len) != 1)
		goto other;
	nid = OBJ_sn2nid(s);
	if (keys_ec_scalar_len(nid) == 0)
		goto other;
	/* what the encoders would write differently: explicit parameters,
	 * a compressed point (OpenSSL 3.0 cannot say whether include-public
	 * was turned off; certfleet never turns it off) */
	if (EVP_PKEY_get_utf8_string_param(k, OSSL_PKEY_PARAM_EC_ENCODING, s,
	    sizeof(s), &len) != 1 || strcmp(s, OSSL_PKEY_EC_ENCODING_GROUP) != 0 ||
	    EVP_PKEY_get_utf8_string_param(k,
	    OSSL_PKEY_PARAM_EC_POINT_CONVERSION_FORMAT, s, sizeof(s), &len) != 1 ||
	    strcmp(s, OSSL_PKEY_EC_POINT_CONVERSION_FORMAT_UNCOMPRESSED) != 0)
		goto other;
	return nid;
other:
	ERR_clear_error();
	return NID_undef;
}

/* k's uncompressed point, OPENSSL_malloc'd, *len set; NULL on failure. */
static unsigned char *
keys_ec_point(const EVP_PKEY *k, size_t *len)
{
	unsigned char pt[KEYS_EC_POINT_MAX];

	if (EVP_PKEY_get_octet_string_param(k,
	    OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof(pt), len) != 1 ||
	    *len == 0 || pt[0] != POINT_CONVERSION_UNCOMPRESSED)
		return NULL;
	return OPENSSL_memdup(pt, *len);
}

int
keys_ec_set_pubkey(X509_PUBKEY *pub, const EVP_PKEY *k, int curve)
{
	unsigned char *pt;
	size_t len;

	if ((pt = keys_ec_point(k, &len)) == NULL)
		return 0;
	/* X509_PUBKEY_set0_param takes pt only when it succeeds */
	if (X509_PUBKEY_set0_param(pub, OBJ_nid2obj(NID_X9_62_id_ecPublicKey),
	    V_ASN1_OBJECT, OBJ_nid2obj(curve), pt, (int)len) != 1) {
		OPENSSL_free(pt);
		return 0;
	}
	return 1;
}

X509_PUBKEY *
keys_ec_x509_pubkey(const EVP_PKEY *k, int curve)
{
	X509_PUBKEY *pub;

	if ((pub = X509_PUBKEY_new()) != NULL &&
	    keys_ec_set_pubkey(pub, k, curve) != 1) {
		X509_PUBKEY_free(pub);
		pub = NULL;
	}
	return pub;
}

/* ECPrivateKey (RFC 5915) without parameters, with the public key:
 * SEQUENCE { INTEGER 1, OCTET STRING d, [1] EXPLICIT BIT STRING point },
 * as i2d_ECPrivateKey writes it for PKCS#8. Writes to der (wiped by the
 * caller) and returns its length, or -1. */
static int
keys_ec_private_der(const EVP_PKEY *k, int curve,
    unsigned char der[KEYS_EC_DER_MAX])
{
	unsigned char d[KEYS_EC_SCALAR_MAX], pt[KEYS_EC_POINT_MAX], *p = der;
	BIGNUM *priv = NULL;
	size_t dlen = keys_ec_scalar_len(curve), ptlen = 0;
	int bits, ctx1, body, total = -1;

	if (dlen == 0 || EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_PRIV_KEY,
	    &priv) != 1 || BN_bn2binpad(priv, d, (int)dlen) != (int)dlen ||
	    EVP_PKEY_get_octet_string_param(k,
	    OSSL_PKEY_PARAM_ENCODED_PUBLIC_KEY, pt, sizeof(pt), &ptlen) != 1 ||
	    ptlen == 0)
		goto out;
	bits = ASN1_object_size(0, (int)ptlen + 1, V_ASN1_BIT_STRING);
	ctx1 = ASN1_object_size(1, bits, 1);
	body = ASN1_object_size(0, 1, V_ASN1_INTEGER) +
	    ASN1_object_size(0, (int)dlen, V_ASN1_OCTET_STRING) + ctx1;
	if (ASN1_object_size(1, body, V_ASN1_SEQUENCE) > KEYS_EC_DER_MAX)
		goto out;
	ASN1_put_object(&p, 1, body, V_ASN1_SEQUENCE, V_ASN1_UNIVERSAL);
	ASN1_put_object(&p, 0, 1, V_ASN1_INTEGER, V_ASN1_UNIVERSAL);
	*p++ = 1;
	ASN1_put_object(&p, 0, (int)dlen, V_ASN1_OCTET_STRING,
	    V_ASN1_UNIVERSAL);
	memcpy(p, d, dlen);
	p += dlen;
	ASN1_put_object(&p, 1, bits, 1, V_ASN1_CONTEXT_SPECIFIC);
	ASN1_put_object(&p, 0, (int)ptlen + 1, V_ASN1_BIT_STRING,
	    V_ASN1_UNIVERSAL);
	*p++ = 0;	/* no unused bits */
	memcpy(p, pt, ptlen);
	p += ptlen;
	total = (int)(p - der);
out:
	OPENSSL_cleanse(d, sizeof(d));
	BN_clear_free(priv);
	return total;
}

int
keys_ec_write_pkcs8(BIO *b, const EVP_PKEY *k, int curve)
{
	unsigned char der[KEYS_EC_DER_MAX], *penc = NULL;
	PKCS8_PRIV_KEY_INFO *p8 = NULL;
	int len, ok = 0;

	if ((len = keys_ec_private_der(k, curve, der)) <= 0 ||
	    (p8 = PKCS8_PRIV_KEY_INFO_new()) == NULL ||
	    (penc = OPENSSL_malloc((size_t)len)) == NULL)
		goto out;
	memcpy(penc, der, (size_t)len);
	/* p8 owns penc from here and wipes it when freed */
	if (PKCS8_pkey_set0(p8, OBJ_nid2obj(NID_X9_62_id_ecPublicKey), 0,
	    V_ASN1_OBJECT, OBJ_nid2obj(curve), penc, len) != 1) {
		OPENSSL_clear_free(penc, (size_t)len);
		goto out;
	}
	ok = PEM_write_bio_PKCS8_PRIV_KEY_INFO(b, p8) == 1;
out:
	OPENSSL_cleanse(der, sizeof(der));
	PKCS8_PRIV_KEY_INFO_free(p8);
	return ok;
}
