/* keys.c -- key generation (ECDSA P-256/P-384, RSA 2048/3072/4096), PKCS#8 PEM, SPKI DER and CSRs with SANs, on OpenSSL 3. */
#include "keys.h"
#include "keys_ec.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/objects.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#define KEYS_CN_MAX 64	/* ub-common-name */

static void
keys_error(char *err, size_t errlen, const char *what)
{
	char buf[256];

	ERR_error_string_n(ERR_get_error(), buf, sizeof(buf));
	snprintf(err, errlen, "%s: %s", what, buf);
	ERR_clear_error();
}

static const struct {
	enum keys_type	 t;
	const char	*name;
	const char	*acct;		/* JWS alg of an account key, or NULL */
	size_t		 rsa_bits;	/* 0: EC */
	const char	*curve;
} keys_types[] = {
	{ KEYS_EC_P256, "ec-p256", "ES256", 0, "P-256" },
	{ KEYS_EC_P384, "ec-p384", "ES384", 0, "P-384" },
	{ KEYS_RSA_2048, "rsa-2048", "RS256", 2048, NULL },
	{ KEYS_RSA_3072, "rsa-3072", NULL, 3072, NULL },
	{ KEYS_RSA_4096, "rsa-4096", NULL, 4096, NULL },
};
#define KEYS_NTYPES (sizeof(keys_types) / sizeof(keys_types[0]))

int
keys_type_parse(const char *s, enum keys_type *t)
{
	size_t i;

	for (i = 0; i < KEYS_NTYPES; i++)
		if (strcmp(s, keys_types[i].name) == 0) {
			*t = keys_types[i].t;
			return 0;
		}
	return -1;
}

int
keys_account_type_parse(const char *s, enum keys_type *t)
{
	size_t i;

	for (i = 0; i < KEYS_NTYPES; i++)
		if (keys_types[i].acct != NULL &&
		    strcmp(s, keys_types[i].acct) == 0) {
			*t = keys_types[i].t;
			return 0;
		}
	return -1;
}

const char *
keys_type_name(enum keys_type t)
{
	size_t i;

	for (i = 0; i < KEYS_NTYPES; i++)
		if (keys_types[i].t == t)
			return keys_types[i].name;
	return "ec-p256";
}

int
keys_type_of(const EVP_PKEY *k, enum keys_type *t, char *err, size_t errlen)
{
	char curve[64];
	size_t i, len;
	int bits = EVP_PKEY_get_bits(k);

	if (EVP_PKEY_is_a(k, "RSA")) {
		for (i = 0; i < KEYS_NTYPES; i++)
			if (keys_types[i].rsa_bits == (size_t)bits) {
				*t = keys_types[i].t;
				return 0;
			}
		snprintf(err, errlen, "an RSA key of %d bits (certfleet keeps "
		    KEYS_TYPE_NAMES ")", bits);
		return -1;
	}
	if (EVP_PKEY_is_a(k, "EC")) {
		if (EVP_PKEY_get_utf8_string_param(k, "group", curve,
		    sizeof(curve), &len) != 1)
			snprintf(curve, sizeof(curve), "unknown");
		/* OpenSSL names the group "prime256v1", we say "P-256" */
		for (i = 0; i < KEYS_NTYPES; i++)
			if (keys_types[i].curve != NULL && OBJ_sn2nid(curve) ==
			    EC_curve_nist2nid(keys_types[i].curve)) {
				*t = keys_types[i].t;
				return 0;
			}
		ERR_clear_error();
		snprintf(err, errlen, "an EC key on curve %s (certfleet keeps "
		    KEYS_TYPE_NAMES ")", curve);
		return -1;
	}
	snprintf(err, errlen, "a %s key (certfleet keeps " KEYS_TYPE_NAMES ")",
	    EVP_PKEY_get0_type_name(k) != NULL ? EVP_PKEY_get0_type_name(k) :
	    "unknown");
	return -1;
}

/*
 * Why: EVP_PKEY_Q_keygen makes a context, fetches the EC key manager and
 * sets the curve on every call: more than half the CPU of a P-256 key (28
 * us against 12 us on a context made once, bench-keys). The contexts of EC
 * keys are kept here for the next key; a context is used by one thread at
 * a time, taken from the list and put back. RSA keys are made as before:
 * their prime search dwarfs the setup.
 */
#define KEYS_GEN_KEEP	16	/* contexts kept per curve */

static pthread_mutex_t	 keys_gen_mu = PTHREAD_MUTEX_INITIALIZER;
static EVP_PKEY_CTX	*keys_gen_kept[KEYS_NTYPES][KEYS_GEN_KEEP];
static size_t		 keys_gen_nkept[KEYS_NTYPES];

/* A keygen context for the curve of keys_types[i]: a kept one, or new. */
static EVP_PKEY_CTX *
keys_gen_take(size_t i)
{
	EVP_PKEY_CTX *g = NULL;

	pthread_mutex_lock(&keys_gen_mu);
	if (keys_gen_nkept[i] > 0)
		g = keys_gen_kept[i][--keys_gen_nkept[i]];
	pthread_mutex_unlock(&keys_gen_mu);
	if (g != NULL)
		return g;
	if ((g = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_keygen_init(g) != 1 ||
	    EVP_PKEY_CTX_set_group_name(g, keys_types[i].curve) != 1) {
		EVP_PKEY_CTX_free(g);
		return NULL;
	}
	return g;
}

/* Keeps g for the next key of keys_types[i] (frees it when enough are). */
static void
keys_gen_put(size_t i, EVP_PKEY_CTX *g)
{
	pthread_mutex_lock(&keys_gen_mu);
	if (keys_gen_nkept[i] < KEYS_GEN_KEEP) {
		keys_gen_kept[i][keys_gen_nkept[i]++] = g;
		g = NULL;
	}
	pthread_mutex_unlock(&keys_gen_mu);
	EVP_PKEY_CTX_free(g);
}

EVP_PKEY *
keys_generate(enum keys_type t, char *err, size_t errlen)
{
	EVP_PKEY_CTX *g;
	EVP_PKEY *k = NULL;
	size_t i;

	for (i = 0; i < KEYS_NTYPES; i++)
		if (keys_types[i].t == t)
			break;
	if (i == KEYS_NTYPES) {
		snprintf(err, errlen, "keys_generate: unknown key type %d", (int)t);
		return NULL;
	}
	if (keys_types[i].rsa_bits > 0)
		k = EVP_PKEY_Q_keygen(NULL, NULL, "RSA", keys_types[i].rsa_bits);
	else if ((g = keys_gen_take(i)) != NULL) {
		if (EVP_PKEY_keygen(g, &k) == 1)
			keys_gen_put(i, g);
		else {
			EVP_PKEY_free(k);
			k = NULL;
			EVP_PKEY_CTX_free(g);
		}
	}
	if (k == NULL)
		keys_error(err, errlen, "keys_generate");
	return k;
}

char *
keys_private_pem(EVP_PKEY *k, size_t *len)
{
	BIO *b;
	BUF_MEM *m;
	char *pem = NULL;

	int curve = keys_ec_curve(k);

	if ((b = BIO_new(BIO_s_secmem())) == NULL)
		return NULL;
	if ((curve != NID_undef ? keys_ec_write_pkcs8(b, k, curve) :
	    PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL)) == 1 &&
	    BIO_get_mem_ptr(b, &m) == 1 && (pem = malloc(m->length + 1)) != NULL) {
		memcpy(pem, m->data, m->length);
		pem[m->length] = '\0';
		*len = m->length;
	}
	BIO_free(b);
	return pem;
}

void
keys_pem_free(char *pem, size_t len)
{
	if (pem != NULL)
		OPENSSL_clear_free(pem, len + 1);
}

/* The password callback of PEM reads: none is given, so an encrypted key
 * fails to read instead of OpenSSL asking for a password on a terminal. */
static int
keys_no_password(char *buf, int size, int rwflag, void *u)
{
	(void)buf;
	(void)size;
	(void)rwflag;
	(void)u;
	return -1;
}

EVP_PKEY *
keys_from_pem(const char *pem, size_t len, char *err, size_t errlen)
{
	BIO *b;
	EVP_PKEY *k;

	if (len > INT32_MAX || (b = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		snprintf(err, errlen, "keys_from_pem: bad input");
		return NULL;
	}
	if ((k = PEM_read_bio_PrivateKey(b, NULL, keys_no_password, NULL)) ==
	    NULL)
		keys_error(err, errlen, "keys_from_pem");
	BIO_free(b);
	return k;
}

EVP_PKEY *
keys_from_pem_as(const char *pem, size_t len, enum keys_type t, char *err,
    size_t errlen)
{
	OSSL_DECODER_CTX *d;
	EVP_PKEY *k = NULL;
	const unsigned char *in = (const unsigned char *)pem;
	size_t i, left = len;
	const char *alg = NULL;

	for (i = 0; i < KEYS_NTYPES; i++)
		if (keys_types[i].t == t)
			alg = keys_types[i].rsa_bits != 0 ? "RSA" : "EC";
	if (alg == NULL || len > INT32_MAX) {
		snprintf(err, errlen, "keys_from_pem: bad input");
		return NULL;
	}
	if ((d = OSSL_DECODER_CTX_new_for_pkey(&k, "PEM", NULL, alg,
	    EVP_PKEY_KEYPAIR, NULL, NULL)) == NULL ||
	    OSSL_DECODER_from_data(d, &in, &left) != 1 || k == NULL) {
		keys_error(err, errlen, "keys_from_pem");
		EVP_PKEY_free(k);
		k = NULL;
	}
	OSSL_DECODER_CTX_free(d);
	return k;
}

unsigned char *
keys_public_der(EVP_PKEY *k, size_t *len)
{
	unsigned char *der = NULL, *tmp = NULL;
	X509_PUBKEY *pub = NULL;
	int n, curve = keys_ec_curve(k);

	/* one call that allocates: each i2d_PUBKEY runs OpenSSL 3's encoder
	 * machinery, which costs more than the key's own bytes; an EC key's is
	 * built from its point instead (keys_ec.h) */
	if (curve != NID_undef)
		n = (pub = keys_ec_x509_pubkey(k, curve)) != NULL ?
		    i2d_X509_PUBKEY(pub, &tmp) : -1;
	else
		n = i2d_PUBKEY(k, &tmp);
	if (n > 0 && (der = malloc((size_t)n)) != NULL) {
		memcpy(der, tmp, (size_t)n);
		*len = (size_t)n;
	}
	OPENSSL_free(tmp);
	X509_PUBKEY_free(pub);
	return der;
}

/* The subjectAltName extension listing every name as a dNSName. */
static X509_EXTENSION *
keys_san_ext(char *const *names, size_t n)
{
	GENERAL_NAMES *gens;
	GENERAL_NAME *g;
	ASN1_IA5STRING *s;
	X509_EXTENSION *ext = NULL;
	size_t i;

	if ((gens = sk_GENERAL_NAME_new_null()) == NULL)
		return NULL;
	for (i = 0; i < n; i++) {
		if ((s = ASN1_IA5STRING_new()) == NULL ||
		    ASN1_STRING_set(s, names[i], (int)strlen(names[i])) != 1) {
			ASN1_IA5STRING_free(s);
			goto out;
		}
		if ((g = GENERAL_NAME_new()) == NULL) {
			ASN1_IA5STRING_free(s);
			goto out;
		}
		GENERAL_NAME_set0_value(g, GEN_DNS, s);
		if (sk_GENERAL_NAME_push(gens, g) == 0) {
			GENERAL_NAME_free(g);
			goto out;
		}
	}
	ext = X509V3_EXT_i2d(NID_subject_alt_name, 0, gens);
out:
	GENERAL_NAMES_free(gens);
	return ext;
}

/* Sets the CSR's public key: X509_REQ_set_pubkey runs an encoder and then
 * a decoder of the key (X509_PUBKEY_set in OpenSSL 3); an EC key's point is
 * set as it is (keys_ec.h). Returns 1, or 0 on failure. */
static int
keys_csr_pubkey(X509_REQ *req, EVP_PKEY *k)
{
	int curve = keys_ec_curve(k);

	if (curve == NID_undef)
		return X509_REQ_set_pubkey(req, k);
	return keys_ec_set_pubkey(X509_REQ_get_X509_PUBKEY(req), k, curve);
}

unsigned char *
keys_csr_der(EVP_PKEY *k, char *const *names, size_t n, size_t *len,
    char *err, size_t errlen)
{
	X509_REQ *req = NULL;
	X509_NAME *subj = NULL;
	X509_EXTENSION *ext = NULL;
	STACK_OF(X509_EXTENSION) *exts = NULL;
	unsigned char *der = NULL, *p;
	int dlen;

	if (n == 0) {
		snprintf(err, errlen, "keys_csr_der: no names");
		return NULL;
	}
	if ((req = X509_REQ_new()) == NULL || X509_REQ_set_version(req, 0) != 1 ||
	    (subj = X509_NAME_new()) == NULL)
		goto fail;
	if (strlen(names[0]) <= KEYS_CN_MAX &&
	    X509_NAME_add_entry_by_NID(subj, NID_commonName, MBSTRING_ASC,
	    (const unsigned char *)names[0], -1, -1, 0) != 1)
		goto fail;
	if (X509_REQ_set_subject_name(req, subj) != 1 ||
	    keys_csr_pubkey(req, k) != 1 ||
	    (ext = keys_san_ext(names, n)) == NULL ||
	    (exts = sk_X509_EXTENSION_new_null()) == NULL ||
	    sk_X509_EXTENSION_push(exts, ext) == 0)
		goto fail;
	ext = NULL;	/* owned by exts */
	if (X509_REQ_add_extensions(req, exts) != 1 ||
	    X509_REQ_sign(req, k, EVP_sha256()) <= 0 ||
	    (dlen = i2d_X509_REQ(req, NULL)) <= 0 ||
	    (der = malloc((size_t)dlen)) == NULL)
		goto fail;
	p = der;
	if (i2d_X509_REQ(req, &p) != dlen)
		goto fail;
	*len = (size_t)dlen;
	goto out;
fail:
	keys_error(err, errlen, "keys_csr_der");
	free(der);
	der = NULL;
out:
	X509_EXTENSION_free(ext);
	sk_X509_EXTENSION_pop_free(exts, X509_EXTENSION_free);
	X509_NAME_free(subj);
	X509_REQ_free(req);
	return der;
}
