/* test_jws.c -- unit tests of jws.c: RFC 7638 thumbprint, RFC 7515 A.3 ES256, JWS requests as ACME wants them, EAB HMAC. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <jansson.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>

#include "b64.h"
#include "jws.h"

/* RFC 7638 section 3.1. */
static const char rfc7638_n[] =
    "0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxu"
    "hDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN"
    "5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5"
    "hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBni"
    "Iqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw";
static const char rfc7638_thumbprint[] = "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs";

/* RFC 7515 appendix A.3. */
static const char a3_x[] = "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU";
static const char a3_y[] = "x_FEzRu9m36HLN_tue659LNpXW6pCyStikYjKIWI5a0";
static const char a3_input[] = "eyJhbGciOiJFUzI1NiJ9."
    "eyJpc3MiOiJqb2UiLA0KICJleHAiOjEzMDA4MTkzODAsDQogImh0dHA6Ly9leGFtcGxlLmNvbS9pc19yb290Ijp0cnVlfQ";
static const char a3_sig[] =
    "DtEhU3ljbEg8L38VWAfUAqOyKAM6-Xx-F4GawxaepmXFCgfTjDxw5djxLa8ISlSApmWQxfKTUJqPP3-Kg6NU1Q";

static unsigned char *
dec(const char *s, size_t *n)
{
	unsigned char *d = b64url_decode(s, strlen(s), n);

	assert_non_null(d);
	return d;
}

/* Loads pkey into a jws_key through PEM (private or public). */
static struct jws_key *
load(EVP_PKEY *pkey, int priv)
{
	struct jws_key *k;
	char err[256], *pem;
	BIO *bio;
	long n;

	bio = BIO_new(BIO_s_mem());
	assert_non_null(bio);
	if (priv)
		assert_int_equal(PEM_write_bio_PrivateKey(bio, pkey, NULL, NULL, 0,
		    NULL, NULL), 1);
	else
		assert_int_equal(PEM_write_bio_PUBKEY(bio, pkey), 1);
	n = BIO_get_mem_data(bio, &pem);
	k = jws_key_from_pem(pem, (size_t)n, err, sizeof(err));
	if (k == NULL)
		fail_msg("%s", err);
	BIO_free(bio);
	return k;
}

static EVP_PKEY *
fromdata(const char *type, OSSL_PARAM_BLD *b)
{
	EVP_PKEY_CTX *ctx;
	EVP_PKEY *pkey = NULL;
	OSSL_PARAM *params;

	params = OSSL_PARAM_BLD_to_param(b);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
	assert_non_null(ctx);
	assert_int_equal(EVP_PKEY_fromdata_init(ctx), 1);
	assert_int_equal(EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY,
	    params), 1);
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(b);
	return pkey;
}

static void
test_rfc7638_thumbprint(void **state)
{
	OSSL_PARAM_BLD *b;
	unsigned char *nb, eb[] = { 1, 0, 1 };
	BIGNUM *n, *e;
	EVP_PKEY *pkey;
	struct jws_key *k;
	size_t nlen;
	char *tp, *jwk;

	(void)state;
	nb = dec(rfc7638_n, &nlen);
	n = BN_bin2bn(nb, (int)nlen, NULL);
	e = BN_bin2bn(eb, 3, NULL);
	b = OSSL_PARAM_BLD_new();
	OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_N, n);
	OSSL_PARAM_BLD_push_BN(b, OSSL_PKEY_PARAM_RSA_E, e);
	pkey = fromdata("RSA", b);
	k = load(pkey, 0);
	assert_string_equal(jws_key_alg(k), "RS256");
	jwk = jws_jwk(k);
	assert_non_null(strstr(jwk, "{\"e\":\"AQAB\",\"kty\":\"RSA\",\"n\":\"0vx7"));
	tp = jws_thumbprint(k);
	assert_string_equal(tp, rfc7638_thumbprint);
	/* a public-only key cannot sign */
	assert_null(jws_sign_raw(k, "x", 1, &nlen));
	free(jwk);
	free(tp);
	free(nb);
	BN_free(n);
	BN_free(e);
	EVP_PKEY_free(pkey);
	jws_key_free(k);
}

static void
test_rfc7515_a3_verify(void **state)
{
	OSSL_PARAM_BLD *b;
	unsigned char pub[65], *x, *y, *sig;
	size_t xl, yl, sl;
	EVP_PKEY *pkey;
	struct jws_key *k;

	(void)state;
	x = dec(a3_x, &xl);
	y = dec(a3_y, &yl);
	assert_int_equal(xl, 32);
	assert_int_equal(yl, 32);
	pub[0] = 0x04;
	memcpy(pub + 1, x, 32);
	memcpy(pub + 33, y, 32);
	b = OSSL_PARAM_BLD_new();
	OSSL_PARAM_BLD_push_utf8_string(b, OSSL_PKEY_PARAM_GROUP_NAME, "P-256", 0);
	OSSL_PARAM_BLD_push_octet_string(b, OSSL_PKEY_PARAM_PUB_KEY, pub, sizeof(pub));
	pkey = fromdata("EC", b);
	k = load(pkey, 0);
	assert_string_equal(jws_key_alg(k), "ES256");
	sig = dec(a3_sig, &sl);
	assert_int_equal(sl, 64);
	assert_int_equal(jws_verify_raw(k, a3_input, strlen(a3_input), sig, sl), 1);
	/* one bit off in the input, or a DER-length signature: refused */
	assert_int_equal(jws_verify_raw(k, a3_input, strlen(a3_input) - 1, sig, sl), 0);
	assert_int_equal(jws_verify_raw(k, a3_input, strlen(a3_input), sig, 63), 0);
	sig[63] ^= 1;
	assert_int_equal(jws_verify_raw(k, a3_input, strlen(a3_input), sig, sl), 0);
	free(x);
	free(y);
	free(sig);
	EVP_PKEY_free(pkey);
	jws_key_free(k);
}

/* Splits a flattened JWS and returns its decoded protected header. */
static json_t *
jws_parts(const char *body, char **input, unsigned char **sig, size_t *siglen,
    char **payload)
{
	json_t *o, *h;
	const char *p, *pl, *s;
	unsigned char *hd, *pd;
	size_t hl, pdl;

	o = json_loads(body, 0, NULL);
	assert_non_null(o);
	assert_int_equal(json_object_size(o), 3);
	p = json_string_value(json_object_get(o, "protected"));
	pl = json_string_value(json_object_get(o, "payload"));
	s = json_string_value(json_object_get(o, "signature"));
	assert_non_null(p);
	assert_non_null(pl);
	assert_non_null(s);
	*input = malloc(strlen(p) + strlen(pl) + 2);
	strcpy(*input, p);
	strcat(*input, ".");
	strcat(*input, pl);
	*sig = dec(s, siglen);
	hd = dec(p, &hl);
	h = json_loadb((char *)hd, hl, 0, NULL);
	assert_non_null(h);
	if (pl[0] == '\0')
		*payload = strdup("");
	else {
		pd = dec(pl, &pdl);
		*payload = (char *)pd;
	}
	free(hd);
	json_decref(o);
	return h;
}

static EVP_PKEY *
genkey(const char *type, const char *param)
{
	EVP_PKEY *pkey;

	if (strcmp(type, "EC") == 0)
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", param);
	else
		pkey = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", (size_t)2048);
	assert_non_null(pkey);
	return pkey;
}

/* Verifies with OpenSSL directly: r||s converted to DER by hand. */
static int
openssl_verify_es(EVP_PKEY *pkey, const char *md, const char *in,
    const unsigned char *sig, size_t half)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	unsigned char *der = NULL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	int dl, ok;

	ECDSA_SIG_set0(es, BN_bin2bn(sig, (int)half, NULL),
	    BN_bin2bn(sig + half, (int)half, NULL));
	dl = i2d_ECDSA_SIG(es, &der);
	assert_true(dl > 0);
	assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_get_digestbyname(md),
	    NULL, pkey), 1);
	ok = EVP_DigestVerify(ctx, der, (size_t)dl, (const unsigned char *)in,
	    strlen(in));
	OPENSSL_free(der);
	ECDSA_SIG_free(es);
	EVP_MD_CTX_free(ctx);
	return ok;
}

static void
test_es256_request(void **state)
{
	EVP_PKEY *pkey = genkey("EC", "P-256");
	struct jws_key *k = load(pkey, 1);
	char err[256], *body, *input, *payload, *jwk, *ka, *tp;
	unsigned char *sig;
	size_t sl;
	json_t *h, *j;

	(void)state;
	/* newAccount: jwk, no kid */
	body = jws_sign(k, NULL, "nonce-1", "https://ca.test/new-acct",
	    "{\"termsOfServiceAgreed\":true}", err, sizeof(err));
	assert_non_null(body);
	h = jws_parts(body, &input, &sig, &sl, &payload);
	assert_int_equal(sl, 64);
	assert_int_equal(openssl_verify_es(pkey, "SHA256", input, sig, 32), 1);
	assert_int_equal(jws_verify_raw(k, input, strlen(input), sig, sl), 1);
	assert_string_equal(json_string_value(json_object_get(h, "alg")), "ES256");
	assert_string_equal(json_string_value(json_object_get(h, "nonce")), "nonce-1");
	assert_string_equal(json_string_value(json_object_get(h, "url")),
	    "https://ca.test/new-acct");
	assert_null(json_object_get(h, "kid"));
	j = json_object_get(h, "jwk");
	assert_true(json_is_object(j));
	assert_string_equal(json_string_value(json_object_get(j, "kty")), "EC");
	assert_string_equal(json_string_value(json_object_get(j, "crv")), "P-256");
	assert_null(json_object_get(j, "d"));	/* never the private part */
	jwk = json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS);
	tp = jws_jwk(k);
	assert_string_equal(jwk, tp);
	assert_string_equal(payload, "{\"termsOfServiceAgreed\":true}");
	free(jwk);
	free(tp);
	free(body);
	free(input);
	free(sig);
	free(payload);
	json_decref(h);

	/* any other request: kid, no jwk; POST-as-GET has an empty payload */
	body = jws_sign(k, "https://ca.test/acct/1", "nonce-2",
	    "https://ca.test/order/1", NULL, err, sizeof(err));
	assert_non_null(body);
	assert_non_null(strstr(body, "\"payload\":\"\""));
	h = jws_parts(body, &input, &sig, &sl, &payload);
	assert_int_equal(openssl_verify_es(pkey, "SHA256", input, sig, 32), 1);
	assert_string_equal(json_string_value(json_object_get(h, "kid")),
	    "https://ca.test/acct/1");
	assert_null(json_object_get(h, "jwk"));
	assert_string_equal(payload, "");
	free(body);
	free(input);
	free(sig);
	free(payload);
	json_decref(h);

	/* key authorization = token "." thumbprint; bad tokens refused */
	tp = jws_thumbprint(k);
	ka = jws_key_authorization(k, "tok_EN-1");
	assert_non_null(ka);
	assert_int_equal(strncmp(ka, "tok_EN-1.", 9), 0);
	assert_string_equal(ka + 9, tp);
	free(ka);
	assert_null(jws_key_authorization(k, "../etc/passwd"));
	assert_null(jws_key_authorization(k, ""));
	free(tp);
	jws_key_free(k);
	EVP_PKEY_free(pkey);
}

static void
test_es384_rs256(void **state)
{
	EVP_PKEY *ec = genkey("EC", "P-384"), *rsa = genkey("RSA", NULL);
	struct jws_key *k;
	char err[256], *body, *input, *payload;
	unsigned char *sig;
	size_t sl;
	json_t *h;
	EVP_MD_CTX *ctx;

	(void)state;
	k = load(ec, 1);
	assert_string_equal(jws_key_alg(k), "ES384");
	body = jws_sign(k, "kid", "n", "https://ca.test/x", "{}", err, sizeof(err));
	h = jws_parts(body, &input, &sig, &sl, &payload);
	assert_int_equal(sl, 96);
	assert_int_equal(openssl_verify_es(ec, "SHA384", input, sig, 48), 1);
	free(body);
	free(input);
	free(sig);
	free(payload);
	json_decref(h);
	jws_key_free(k);

	k = load(rsa, 1);
	assert_string_equal(jws_key_alg(k), "RS256");
	body = jws_sign(k, "kid", "n", "https://ca.test/x", "{}", err, sizeof(err));
	h = jws_parts(body, &input, &sig, &sl, &payload);
	assert_int_equal(sl, 256);
	ctx = EVP_MD_CTX_new();
	assert_int_equal(EVP_DigestVerifyInit(ctx, NULL, EVP_sha256(), NULL, rsa), 1);
	assert_int_equal(EVP_DigestVerify(ctx, sig, sl,
	    (const unsigned char *)input, strlen(input)), 1);
	EVP_MD_CTX_free(ctx);
	free(body);
	free(input);
	free(sig);
	free(payload);
	json_decref(h);
	jws_key_free(k);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(rsa);
}

static void
test_bad_keys(void **state)
{
	char err[256];
	EVP_PKEY *ed;
	BIO *bio;
	char *pem;
	long n;

	(void)state;
	assert_null(jws_key_from_pem("not a key", 9, err, sizeof(err)));
	assert_non_null(strstr(err, "jws_key"));
	assert_null(jws_key_from_pem("", 0, err, sizeof(err)));
	/* Ed25519 is not an ACME account key type here */
	ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	bio = BIO_new(BIO_s_mem());
	PEM_write_bio_PrivateKey(bio, ed, NULL, NULL, 0, NULL, NULL);
	n = BIO_get_mem_data(bio, &pem);
	assert_null(jws_key_from_pem(pem, (size_t)n, err, sizeof(err)));
	BIO_free(bio);
	EVP_PKEY_free(ed);
	jws_key_free(NULL);
}

/* HMAC-SHA256 through OpenSSL's EVP_MAC, independent of jws.c's code. */
static char *
eab_expected_mac(const unsigned char *key, size_t keylen, const char *input)
{
	EVP_MAC *mac;
	EVP_MAC_CTX *ctx;
	OSSL_PARAM params[2];
	unsigned char out[32];
	size_t outlen = 0;

	mac = EVP_MAC_fetch(NULL, "HMAC", NULL);
	assert_non_null(mac);
	ctx = EVP_MAC_CTX_new(mac);
	assert_non_null(ctx);
	params[0] = OSSL_PARAM_construct_utf8_string("digest", "SHA256", 0);
	params[1] = OSSL_PARAM_construct_end();
	assert_int_equal(EVP_MAC_init(ctx, key, keylen, params), 1);
	assert_int_equal(EVP_MAC_update(ctx, (const unsigned char *)input,
	    strlen(input)), 1);
	assert_int_equal(EVP_MAC_final(ctx, out, &outlen, sizeof(out)), 1);
	assert_int_equal(outlen, 32);
	EVP_MAC_CTX_free(ctx);
	EVP_MAC_free(mac);
	return b64url_encode(out, outlen);
}

/* RFC 8555 section 7.3.4: header {alg HS256, kid, url}, payload = the
 * account's JWK, MAC = HMAC-SHA256 under the decoded key. */
static void
test_eab(void **state)
{
	static const char url[] = "https://ca.test/acme/new-account";
	EVP_PKEY *pkey;
	struct jws_key *k;
	unsigned char key[32], *hdr, *pl;
	char err[256], *hmac_b64, *eab, *input, *want, *jwk;
	json_t *o, *h;
	size_t i, n;

	(void)state;
	for (i = 0; i < sizeof(key); i++)
		key[i] = (unsigned char)(i * 7 + 3);
	hmac_b64 = b64url_encode(key, sizeof(key));
	pkey = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	k = load(pkey, 1);
	eab = jws_eab(k, "kid-1", hmac_b64, url, err, sizeof(err));
	if (eab == NULL)
		fail_msg("%s", err);
	o = json_loads(eab, 0, NULL);
	assert_non_null(o);
	assert_int_equal(json_object_size(o), 3);
	hdr = dec(json_string_value(json_object_get(o, "protected")), &n);
	h = json_loads((char *)hdr, 0, NULL);
	assert_non_null(h);
	assert_int_equal(json_object_size(h), 3);
	assert_string_equal(json_string_value(json_object_get(h, "alg")), "HS256");
	assert_string_equal(json_string_value(json_object_get(h, "kid")), "kid-1");
	assert_string_equal(json_string_value(json_object_get(h, "url")), url);
	pl = dec(json_string_value(json_object_get(o, "payload")), &n);
	jwk = jws_jwk(k);
	assert_string_equal((char *)pl, jwk);
	n = strlen(json_string_value(json_object_get(o, "protected"))) +
	    strlen(json_string_value(json_object_get(o, "payload"))) + 2;
	input = malloc(n);
	snprintf(input, n, "%s.%s",
	    json_string_value(json_object_get(o, "protected")),
	    json_string_value(json_object_get(o, "payload")));
	want = eab_expected_mac(key, sizeof(key), input);
	assert_string_equal(json_string_value(json_object_get(o, "signature")),
	    want);
	/* a different key gives a different MAC */
	key[0] ^= 1;
	free(want);
	want = eab_expected_mac(key, sizeof(key), input);
	assert_string_not_equal(json_string_value(json_object_get(o,
	    "signature")), want);

	/* refusals: no kid, a key that is not base64url, an empty key */
	assert_null(jws_eab(k, "", hmac_b64, url, err, sizeof(err)));
	assert_null(jws_eab(k, "kid-1", "not base64url!", url, err, sizeof(err)));
	assert_non_null(strstr(err, "MAC key"));
	assert_null(strstr(err, hmac_b64));
	assert_null(jws_eab(k, "kid-1", "", url, err, sizeof(err)));
	assert_null(jws_eab(k, "kid-1", hmac_b64, NULL, err, sizeof(err)));

	free(want);
	free(input);
	free(jwk);
	free(pl);
	free(hdr);
	json_decref(h);
	json_decref(o);
	free(eab);
	free(hmac_b64);
	jws_key_free(k);
	EVP_PKEY_free(pkey);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_rfc7638_thumbprint),
		cmocka_unit_test(test_rfc7515_a3_verify),
		cmocka_unit_test(test_es256_request),
		cmocka_unit_test(test_es384_rs256),
		cmocka_unit_test(test_bad_keys),
		cmocka_unit_test(test_eab),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
