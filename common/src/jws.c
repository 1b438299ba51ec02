/* jws.c -- account keys, JWK and thumbprints, JWS flattened signing for ACME (ES256, ES384, RS256). */
#include "jws.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>

#include "b64.h"
#include "ecdsa_raw.h"

enum jws_alg {
	JWS_ES256,
	JWS_ES384,
	JWS_RS256,
};

static const char *const jws_alg_names[] = {
	[JWS_ES256] = "ES256",
	[JWS_ES384] = "ES384",
	[JWS_RS256] = "RS256",
};

struct jws_key {
	EVP_PKEY	*pkey;
	enum jws_alg	 alg;
	int		 priv;		/* holds the private half */
	size_t		 coord;		/* EC: bytes of one coordinate */
	EVP_MD_CTX	*sign_ctx;	/* DigestSign set up once (NULL: per
					 * call): each signature copies it,
					 * without OpenSSL 3.0's fetches */
	char		*jwk;		/* the public JWK and its thumbprint, */
	char		*thumb;		/* made once (NULL: per call) */
};

static char *jws_fmt(const char *, ...) __attribute__((format(printf, 1, 2)));

/* vsnprintf into a fresh buffer; NULL when memory runs out. */
static char *
jws_fmt(const char *fmt, ...)
{
	va_list ap;
	char *buf;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || (buf = malloc((size_t)n + 1)) == NULL)
		return NULL;
	va_start(ap, fmt);
	(void)vsnprintf(buf, (size_t)n + 1, fmt, ap);
	va_end(ap);
	return buf;
}

/* Refuses to prompt for a passphrase: encrypted keys simply fail to load. */
static int
jws_nopass(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return 0;
}

/* Sets alg and coord from the key type; -1 when unsupported. */
static int
jws_key_classify(struct jws_key *k, char *err, size_t errlen)
{
	char group[64];
	size_t glen = 0;

	if (EVP_PKEY_is_a(k->pkey, "RSA")) {
		if (EVP_PKEY_get_bits(k->pkey) < 2048) {
			snprintf(err, errlen, "jws_key: RSA key under 2048 bits");
			return -1;
		}
		k->alg = JWS_RS256;
		return 0;
	}
	if (!EVP_PKEY_is_a(k->pkey, "EC") ||
	    !EVP_PKEY_get_utf8_string_param(k->pkey, OSSL_PKEY_PARAM_GROUP_NAME,
	    group, sizeof(group), &glen)) {
		snprintf(err, errlen, "jws_key: not an RSA or EC key");
		return -1;
	}
	if (strcmp(group, "prime256v1") == 0 || strcmp(group, "P-256") == 0) {
		k->alg = JWS_ES256;
		k->coord = 32;
	} else if (strcmp(group, "secp384r1") == 0 || strcmp(group, "P-384") == 0) {
		k->alg = JWS_ES384;
		k->coord = 48;
	} else {
		snprintf(err, errlen, "jws_key: unsupported EC curve");
		return -1;
	}
	return 0;
}

static const EVP_MD *jws_md(const struct jws_key *);
static char *jws_jwk_make(const struct jws_key *);
static char *jws_thumbprint_of(const char *);

/* Sets up k's sign_ctx; without it (out of memory) each signature sets
 * up its own. */
static void
jws_key_sign_ctx(struct jws_key *k)
{
	if (!k->priv || (k->sign_ctx = EVP_MD_CTX_new()) == NULL)
		return;
	if (EVP_DigestSignInit(k->sign_ctx, NULL, jws_md(k), NULL, k->pkey) !=
	    1) {
		EVP_MD_CTX_free(k->sign_ctx);
		k->sign_ctx = NULL;
	}
	ERR_clear_error();
}

struct jws_key *
jws_key_from_pem(const char *pem, size_t len, char *err, size_t errlen)
{
	struct jws_key *k = NULL, *ret = NULL;
	BIO *bio = NULL;

	if (len > JWS_KEY_PEM_MAX) {
		snprintf(err, errlen, "jws_key: PEM over %d bytes", JWS_KEY_PEM_MAX);
		goto out;
	}
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (bio = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		snprintf(err, errlen, "jws_key: out of memory");
		goto out;
	}
	if ((k->pkey = PEM_read_bio_PrivateKey(bio, NULL, jws_nopass, NULL)) != NULL)
		k->priv = 1;
	else {
		ERR_clear_error();
		(void)BIO_reset(bio);
		k->pkey = PEM_read_bio_PUBKEY(bio, NULL, jws_nopass, NULL);
	}
	ERR_clear_error();
	if (k->pkey == NULL) {
		snprintf(err, errlen, "jws_key: no readable key in PEM");
		goto out;
	}
	if (jws_key_classify(k, err, errlen) < 0)
		goto out;
	jws_key_sign_ctx(k);
	/* every key authorization and newAccount needs them: reading the
	 * key's coordinates out of OpenSSL 3 costs more than the hash */
	if ((k->jwk = jws_jwk_make(k)) != NULL)
		k->thumb = jws_thumbprint_of(k->jwk);
	ERR_clear_error();
	ret = k;
	k = NULL;
out:
	jws_key_free(k);
	BIO_free(bio);
	return ret;
}

void
jws_key_free(struct jws_key *k)
{
	if (k == NULL)
		return;
	EVP_MD_CTX_free(k->sign_ctx);
	EVP_PKEY_free(k->pkey);
	free(k->jwk);
	free(k->thumb);
	free(k);
}

const char *
jws_key_alg(const struct jws_key *k)
{
	return jws_alg_names[k->alg];
}

/* base64url of a big-number parameter, left-padded to pad bytes (0: none). */
static char *
jws_bn_b64(const struct jws_key *k, const char *param, size_t pad)
{
	BIGNUM *bn = NULL;
	unsigned char *buf = NULL;
	char *ret = NULL;
	int n;

	if (!EVP_PKEY_get_bn_param(k->pkey, param, &bn))
		goto out;
	n = pad > 0 ? (int)pad : BN_num_bytes(bn);
	if (n <= 0 || (buf = malloc((size_t)n)) == NULL)
		goto out;
	if (BN_bn2binpad(bn, buf, n) != n)
		goto out;
	ret = b64url_encode(buf, (size_t)n);
out:
	free(buf);
	BN_free(bn);
	return ret;
}

/* The public JWK of k, read from the key. malloc'd, or NULL. */
static char *
jws_jwk_make(const struct jws_key *k)
{
	char *a = NULL, *b = NULL, *ret = NULL;

	if (k->alg == JWS_RS256) {
		a = jws_bn_b64(k, OSSL_PKEY_PARAM_RSA_E, 0);
		b = jws_bn_b64(k, OSSL_PKEY_PARAM_RSA_N, 0);
		if (a == NULL || b == NULL)
			goto out;
		ret = jws_fmt("{\"e\":\"%s\",\"kty\":\"RSA\",\"n\":\"%s\"}", a, b);
	} else {
		a = jws_bn_b64(k, OSSL_PKEY_PARAM_EC_PUB_X, k->coord);
		b = jws_bn_b64(k, OSSL_PKEY_PARAM_EC_PUB_Y, k->coord);
		if (a == NULL || b == NULL)
			goto out;
		ret = jws_fmt("{\"crv\":\"%s\",\"kty\":\"EC\",\"x\":\"%s\",\"y\":\"%s\"}",
		    k->alg == JWS_ES256 ? "P-256" : "P-384", a, b);
	}
out:
	free(a);
	free(b);
	return ret;
}

char *
jws_jwk(const struct jws_key *k)
{
	return k->jwk != NULL ? strdup(k->jwk) : jws_jwk_make(k);
}

/* The RFC 7638 thumbprint of JWK text jwk. malloc'd, or NULL. */
static char *
jws_thumbprint_of(const char *jwk)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (!EVP_Digest(jwk, strlen(jwk), md, &mdlen, EVP_sha256(), NULL))
		return NULL;
	return b64url_encode(md, mdlen);
}

char *
jws_thumbprint(const struct jws_key *k)
{
	char *jwk, *ret;

	if (k->thumb != NULL)
		return strdup(k->thumb);
	if ((jwk = jws_jwk_make(k)) == NULL)
		return NULL;
	ret = jws_thumbprint_of(jwk);
	free(jwk);
	return ret;
}

char *
jws_key_authorization(const struct jws_key *k, const char *token)
{
	char *tp, *ret = NULL;

	if (token == NULL || !b64url_charset_ok(token, strlen(token)))
		return NULL;
	if (k->thumb != NULL)
		return jws_fmt("%s.%s", token, k->thumb);
	if ((tp = jws_thumbprint(k)) == NULL)
		return NULL;
	ret = jws_fmt("%s.%s", token, tp);
	free(tp);
	return ret;
}

static const EVP_MD *
jws_md(const struct jws_key *k)
{
	return k->alg == JWS_ES384 ? EVP_sha384() : EVP_sha256();
}

unsigned char *
jws_sign_raw(const struct jws_key *k, const void *in, size_t inlen,
    size_t *siglen)
{
	EVP_MD_CTX *ctx = NULL;
	unsigned char *der = NULL, *ret = NULL;
	size_t dlen = 0;

	if (!k->priv || (ctx = EVP_MD_CTX_new()) == NULL)
		goto out;
	if ((k->sign_ctx != NULL ? EVP_MD_CTX_copy_ex(ctx, k->sign_ctx) :
	    EVP_DigestSignInit(ctx, NULL, jws_md(k), NULL, k->pkey)) != 1 ||
	    EVP_DigestSign(ctx, NULL, &dlen, in, inlen) != 1 ||
	    (der = malloc(dlen)) == NULL ||
	    EVP_DigestSign(ctx, der, &dlen, in, inlen) != 1)
		goto out;
	if (k->alg == JWS_RS256) {
		*siglen = dlen;
		ret = der;
		der = NULL;
		goto out;
	}
	/* ECDSA: DER SEQUENCE { r, s } -> fixed-width r || s. */
	if ((ret = malloc(2 * k->coord)) == NULL)
		goto out;
	if (ecdsa_der_to_raw(der, dlen, k->coord, ret) < 0) {
		free(ret);
		ret = NULL;
		goto out;
	}
	*siglen = 2 * k->coord;
out:
	ERR_clear_error();
	free(der);
	EVP_MD_CTX_free(ctx);
	return ret;
}

int
jws_verify_raw(const struct jws_key *k, const void *in, size_t inlen,
    const unsigned char *sig, size_t siglen)
{
	EVP_MD_CTX *ctx = NULL;
	unsigned char *der = NULL;
	const unsigned char *vsig = sig;
	size_t vlen = siglen;
	int ok = 0;

	if (k->alg != JWS_RS256) {
		if (siglen != 2 * k->coord ||
		    (der = ecdsa_raw_to_der(sig, k->coord, &vlen)) == NULL)
			goto out;
		vsig = der;
	}
	if ((ctx = EVP_MD_CTX_new()) == NULL)
		goto out;
	if (EVP_DigestVerifyInit(ctx, NULL, jws_md(k), NULL, k->pkey) == 1 &&
	    EVP_DigestVerify(ctx, vsig, vlen, in, inlen) == 1)
		ok = 1;
out:
	ERR_clear_error();
	OPENSSL_free(der);
	EVP_MD_CTX_free(ctx);
	return ok;
}

char *
jws_sign(const struct jws_key *k, const char *kid, const char *nonce,
    const char *url, const char *payload, char *err, size_t errlen)
{
	json_t *hdr = NULL, *jwk = NULL;
	char *jwktxt = NULL, *htxt = NULL, *hb64 = NULL, *pb64 = NULL;
	char *input = NULL, *sb64 = NULL, *ret = NULL;
	unsigned char *sig = NULL;
	size_t siglen = 0;

	if (!k->priv) {
		snprintf(err, errlen, "jws_sign: key has no private half");
		goto out;
	}
	hdr = json_pack("{s:s, s:s}", "alg", jws_alg_names[k->alg], "url", url);
	if (hdr == NULL || (nonce != NULL &&
	    json_object_set_new(hdr, "nonce", json_string(nonce)) != 0))
		goto oom;
	if (kid != NULL) {
		if (json_object_set_new(hdr, "kid", json_string(kid)) != 0)
			goto oom;
	} else {
		if ((jwktxt = jws_jwk(k)) == NULL ||
		    (jwk = json_loads(jwktxt, 0, NULL)) == NULL ||
		    json_object_set(hdr, "jwk", jwk) != 0)
			goto oom;
	}
	if ((htxt = json_dumps(hdr, JSON_COMPACT)) == NULL ||
	    (hb64 = b64url_encode(htxt, strlen(htxt))) == NULL)
		goto oom;
	payload = payload != NULL ? payload : "";
	if ((pb64 = b64url_encode(payload, strlen(payload))) == NULL ||
	    (input = jws_fmt("%s.%s", hb64, pb64)) == NULL)
		goto oom;
	if ((sig = jws_sign_raw(k, input, strlen(input), &siglen)) == NULL) {
		snprintf(err, errlen, "jws_sign: signing failed");
		goto out;
	}
	if ((sb64 = b64url_encode(sig, siglen)) == NULL)
		goto oom;
	ret = jws_fmt(
	    "{\"protected\":\"%s\",\"payload\":\"%s\",\"signature\":\"%s\"}",
	    hb64, pb64, sb64);
	if (ret != NULL)
		goto out;
oom:
	snprintf(err, errlen, "jws_sign: out of memory");
out:
	json_decref(hdr);
	json_decref(jwk);
	free(jwktxt);
	free(htxt);
	free(hb64);
	free(pb64);
	free(input);
	free(sig);
	free(sb64);
	return ret;
}

char *
jws_dns01_txt(const char *key_authorization)
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;

	if (key_authorization == NULL ||
	    EVP_Digest(key_authorization, strlen(key_authorization), md, &mdlen,
	    EVP_sha256(), NULL) != 1) {
		ERR_clear_error();
		return NULL;
	}
	return b64url_encode(md, mdlen);
}

char *
jws_eab(const struct jws_key *k, const char *eab_kid, const char *hmac_b64,
    const char *url, char *err, size_t errlen)
{
	json_t *hdr = NULL;
	unsigned char *mac_key = NULL, md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	char *jwk = NULL, *htxt = NULL, *hb64 = NULL, *pb64 = NULL;
	char *input = NULL, *sb64 = NULL, *ret = NULL;
	size_t keylen = 0;

	if (eab_kid == NULL || eab_kid[0] == '\0' || hmac_b64 == NULL ||
	    url == NULL) {
		snprintf(err, errlen, "jws_eab: key id, MAC key and url are required");
		goto out;
	}
	if ((mac_key = b64url_decode(hmac_b64, strlen(hmac_b64), &keylen)) ==
	    NULL || keylen == 0 || keylen > JWS_EAB_KEY_MAX) {
		snprintf(err, errlen, "jws_eab: the MAC key is not base64url of "
		    "1 to %d bytes", JWS_EAB_KEY_MAX);
		goto out;
	}
	if ((hdr = json_pack("{s:s, s:s, s:s}", "alg", "HS256", "kid", eab_kid,
	    "url", url)) == NULL ||
	    (htxt = json_dumps(hdr, JSON_COMPACT)) == NULL ||
	    (hb64 = b64url_encode(htxt, strlen(htxt))) == NULL ||
	    (jwk = jws_jwk(k)) == NULL ||
	    (pb64 = b64url_encode(jwk, strlen(jwk))) == NULL ||
	    (input = jws_fmt("%s.%s", hb64, pb64)) == NULL) {
		snprintf(err, errlen, "jws_eab: out of memory");
		goto out;
	}
	if (HMAC(EVP_sha256(), mac_key, (int)keylen, (unsigned char *)input,
	    strlen(input), md, &mdlen) == NULL) {
		snprintf(err, errlen, "jws_eab: HMAC-SHA256 failed");
		goto out;
	}
	if ((sb64 = b64url_encode(md, mdlen)) == NULL ||
	    (ret = jws_fmt("{\"protected\":\"%s\",\"payload\":\"%s\","
	    "\"signature\":\"%s\"}", hb64, pb64, sb64)) == NULL)
		snprintf(err, errlen, "jws_eab: out of memory");
out:
	ERR_clear_error();
	if (mac_key != NULL) {
		OPENSSL_cleanse(mac_key, keylen);
		free(mac_key);
	}
	OPENSSL_cleanse(md, sizeof(md));
	json_decref(hdr);
	free(jwk);
	free(htxt);
	free(hb64);
	free(pb64);
	free(input);
	free(sb64);
	return ret;
}
