/* acme_fault_hostile.c -- the fault proxy's hostile CA answers: deep JSON, a trickled body, a leaf for another key, a chain that does not verify. */
#include "acme_fault_hostile.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

struct MHD_Response *
hostile_deepjson(void)
{
	size_t n = 2 * HOSTILE_DEEP_LEVELS;
	char *b;

	if ((b = malloc(n)) == NULL)
		return NULL;
	memset(b, '[', HOSTILE_DEEP_LEVELS);
	memset(b + HOSTILE_DEEP_LEVELS, ']', HOSTILE_DEEP_LEVELS);
	return MHD_create_response_from_buffer(n, b, MHD_RESPMEM_MUST_FREE);
}

static const char trickle_body[] = "{\"type\":\"urn:ietf:params:acme:error:"
    "serverInternal\",\"detail\":\"this answer comes one byte a second\"}";

/* MHD content reader: one byte, then a second's sleep (the proxy runs a
 * thread per connection: only this answer waits). */
static ssize_t
hostile_trickle_read(void *cls, uint64_t pos, char *buf, size_t max)
{
	(void)cls;
	if (pos >= HOSTILE_TRICKLE_BYTES)
		return MHD_CONTENT_READER_END_OF_STREAM;
	if (max < 1)
		return 0;
	if (pos > 0)
		sleep(1);
	buf[0] = pos < sizeof(trickle_body) - 1 ? trickle_body[pos] : ' ';
	return 1;
}

struct MHD_Response *
hostile_trickle(void)
{
	return MHD_create_response_from_callback(HOSTILE_TRICKLE_BYTES, 1,
	    hostile_trickle_read, NULL, NULL);
}

/* The certificates of a PEM chain; NULL when none parses. */
static STACK_OF(X509) *
hostile_parse(const char *chain, size_t len)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	BIO *b = BIO_new_mem_buf(chain, (int)len);
	X509 *x;

	while (sk != NULL && b != NULL &&
	    (x = PEM_read_bio_X509(b, NULL, NULL, NULL)) != NULL)
		sk_X509_push(sk, x);
	BIO_free(b);
	if (sk != NULL && sk_X509_num(sk) == 0) {
		sk_X509_free(sk);
		sk = NULL;
	}
	return sk;
}

/* The PEM of every certificate of sk, malloc'd with *outlen. */
static char *
hostile_pem(STACK_OF(X509) *sk, size_t *outlen)
{
	BIO *b = BIO_new(BIO_s_mem());
	char *p, *out = NULL;
	long n;
	int i;

	for (i = 0; b != NULL && i < sk_X509_num(sk); i++)
		PEM_write_bio_X509(b, sk_X509_value(sk, i));
	if (b != NULL && (n = BIO_get_mem_data(b, &p)) > 0 &&
	    (out = malloc((size_t)n + 1)) != NULL) {
		memcpy(out, p, (size_t)n);
		out[n] = '\0';
		*outlen = (size_t)n;
	}
	BIO_free(b);
	return out;
}

/* A certificate like tmpl (validity, names) for a new key, signed by a new
 * key under tmpl's issuer name; a self-signed one named as tmpl's issuer
 * when self is 1. */
static X509 *
hostile_forge(X509 *tmpl, int self)
{
	EVP_PKEY *k = EVP_PKEY_Q_keygen(NULL, NULL, "EC", "P-256");
	EVP_PKEY *signer = self ? k : EVP_PKEY_Q_keygen(NULL, NULL, "EC",
	    "P-256");
	X509 *x = X509_new();
	int i = X509_get_ext_by_NID(tmpl, NID_subject_alt_name, -1);

	if (k == NULL || signer == NULL || x == NULL ||
	    X509_set_version(x, 2) != 1 ||
	    ASN1_INTEGER_set(X509_get_serialNumber(x), 7) != 1 ||
	    X509_set1_notBefore(x, X509_get0_notBefore(tmpl)) != 1 ||
	    X509_set1_notAfter(x, X509_get0_notAfter(tmpl)) != 1 ||
	    X509_set_subject_name(x, self ? X509_get_issuer_name(tmpl) :
	    X509_get_subject_name(tmpl)) != 1 ||
	    X509_set_issuer_name(x, X509_get_issuer_name(tmpl)) != 1 ||
	    X509_set_pubkey(x, k) != 1 ||
	    (!self && i >= 0 && X509_add_ext(x, X509_get_ext(tmpl, i), -1) != 1) ||
	    X509_sign(x, signer, EVP_sha256()) <= 0) {
		X509_free(x);
		x = NULL;
	}
	if (signer != k)
		EVP_PKEY_free(signer);
	EVP_PKEY_free(k);
	return x;
}

/* chain with certificate at (0: the leaf; 1: the rest, replaced by one)
 * forged. */
static char *
hostile_swap(const char *chain, size_t len, int at, size_t *outlen)
{
	STACK_OF(X509) *sk = hostile_parse(chain, len);
	X509 *x;
	char *out = NULL;

	if (sk == NULL)
		return NULL;
	if ((x = hostile_forge(sk_X509_value(sk, 0), at == 1)) != NULL) {
		if (at == 0) {
			/* sk_X509_set answers the new element, not the old */
			X509_free(sk_X509_value(sk, 0));
			sk_X509_set(sk, 0, x);
		} else {
			while (sk_X509_num(sk) > 1)
				X509_free(sk_X509_pop(sk));
			sk_X509_push(sk, x);
		}
		out = hostile_pem(sk, outlen);
	}
	sk_X509_pop_free(sk, X509_free);
	return out;
}

char *
hostile_otherkey(const char *chain, size_t len, size_t *outlen)
{
	return hostile_swap(chain, len, 0, outlen);
}

char *
hostile_badchain(const char *chain, size_t len, size_t *outlen)
{
	return hostile_swap(chain, len, 1, outlen);
}
