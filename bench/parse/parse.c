/* parse.c -- bench-parse: CPU microseconds per certificate read (d2i_X509 against x509cache_d2i on bytes seen before and x509lite_d2i without the key, x509lite_d2i_keyed with it), per order CSR read (d2i_X509_REQ against acme_csr_spki) and per JWS signature (set up per call against copied), next to a bare ECDSA P-256 signature on a reused context, in the same run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "acme_int.h"
#include "jws.h"
#include "x509cache.h"
#include "x509lite.h"

#define BP_DEFAULT_ROUNDS 2000
#define BP_MAX_ROUNDS 1000000

static double
bp_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);	/* CPU: less moved by others' load */
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* A P-256 key, a CSR and a self-signed certificate for it, as DER. */
static int
bp_material(EVP_PKEY *k, unsigned char **csr, int *csrlen,
    unsigned char **crt, int *crtlen)
{
	X509_REQ *req = X509_REQ_new();
	X509 *x = X509_new();
	int ok;

	ok = req != NULL && x != NULL && X509_REQ_set_pubkey(req, k) == 1 &&
	    X509_REQ_sign(req, k, EVP_sha256()) > 0 &&
	    ASN1_INTEGER_set(X509_get_serialNumber(x), 1) == 1 &&
	    X509_gmtime_adj(X509_getm_notBefore(x), 0) != NULL &&
	    X509_gmtime_adj(X509_getm_notAfter(x), 3600) != NULL &&
	    X509_set_pubkey(x, k) == 1 && X509_sign(x, k, EVP_sha256()) > 0 &&
	    (*csrlen = i2d_X509_REQ(req, csr)) > 0 &&
	    (*crtlen = i2d_X509(x, crt)) > 0;
	X509_REQ_free(req);
	X509_free(x);
	return ok ? 0 : -1;
}

/* Microseconds per call of the parse: 0 d2i_X509, 1 x509cache_d2i,
 * 2 d2i_X509_REQ, 3 acme_csr_spki, 4 x509lite_d2i, 5 x509lite_d2i_keyed
 * (what x509cache_d2i does with bytes it has not seen); -1 on a failure. */
static double
bp_parse(int which, const unsigned char *der, int len, int rounds)
{
	const unsigned char *p;
	unsigned char *spki;
	size_t used, slen;
	double t0 = bp_now_us();
	void *v = NULL;
	int i;

	for (i = 0; i < rounds; i++) {
		p = der;
		if (which == 0)
			v = d2i_X509(NULL, &p, len);
		else if (which == 1)
			v = x509cache_d2i(der, (size_t)len, &used);
		else if (which == 2)
			v = d2i_X509_REQ(NULL, &p, len);
		else if (which == 4)
			v = x509lite_d2i(der, (size_t)len, &used);
		else if (which == 5)
			v = x509lite_d2i_keyed(der, (size_t)len, &used);
		else if ((spki = acme_csr_spki(der, (size_t)len, &slen)) != NULL)
			v = spki;
		if (v == NULL)
			return -1;
		if (which <= 1 || which >= 4)
			X509_free(v);
		else if (which == 2)
			X509_REQ_free(v);
		else
			OPENSSL_free(v);
	}
	return (bp_now_us() - t0) / rounds;
}

/* Microseconds per ES256 signature of 300 bytes: 0 EVP_DigestSignInit per
 * call (main before), 1 a copy of a context set up once (what jws_sign_raw
 * does now), 2 jws_sign_raw itself (also the r || s conversion), 3 one
 * context re-armed (the reference); -1 on a failure. */
static double
bp_sign(int which, const struct jws_key *jk, EVP_PKEY *k, int rounds)
{
	static const unsigned char tbs[300] = { 1 };
	unsigned char sig[128], *s;
	EVP_MD_CTX *md = EVP_MD_CTX_new(), *set = EVP_MD_CTX_new();
	size_t siglen;
	double t0;
	int i, ok = 1;

	if (md == NULL || set == NULL ||
	    EVP_DigestSignInit(set, NULL, EVP_sha256(), NULL, k) != 1 ||
	    EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k) != 1)
		ok = 0;
	t0 = bp_now_us();
	for (i = 0; ok && i < rounds; i++) {
		siglen = sizeof(sig);
		if (which == 0)
			ok = EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL,
			    k) == 1;
		else if (which == 1)
			ok = EVP_MD_CTX_copy_ex(md, set) == 1;
		else if (which == 3)
			ok = EVP_DigestSignInit(md, NULL, NULL, NULL, NULL) == 1;
		if (ok && which == 2) {
			ok = (s = jws_sign_raw(jk, tbs, sizeof(tbs), &siglen)) !=
			    NULL;
			free(s);
		} else if (ok)
			ok = EVP_DigestSign(md, sig, &siglen, tbs, sizeof(tbs)) ==
			    1;
	}
	EVP_MD_CTX_free(md);
	EVP_MD_CTX_free(set);
	return ok ? (bp_now_us() - t0) / rounds : -1;
}

/* The key as a jws_key (through its PEM, as the worker reads it). */
static struct jws_key *
bp_jws_key(EVP_PKEY *k)
{
	struct jws_key *jk = NULL;
	BIO *b = BIO_new(BIO_s_mem());
	char *p, err[256];
	long n;

	if (b != NULL && PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL,
	    NULL) == 1 && (n = BIO_get_mem_data(b, &p)) > 0)
		jk = jws_key_from_pem(p, (size_t)n, err, sizeof(err));
	BIO_free(b);
	return jk;
}

int
main(int argc, char **argv)
{
	unsigned char *csr = NULL, *crt = NULL;
	double r[10];
	EVP_PKEY *k = EVP_EC_gen("P-256");
	struct jws_key *jk;
	int rounds = BP_DEFAULT_ROUNDS, csrlen, crtlen, i;

	if (argc > 1 && ((rounds = atoi(argv[1])) < 1 || rounds > BP_MAX_ROUNDS)) {
		fprintf(stderr, "usage: bench-parse [ROUNDS (1-%d)]\n",
		    BP_MAX_ROUNDS);
		return 2;
	}
	if (k == NULL || bp_material(k, &csr, &csrlen, &crt, &crtlen) < 0 ||
	    (jk = bp_jws_key(k)) == NULL) {
		fprintf(stderr, "bench-parse: cannot make the test material\n");
		return 1;
	}
	printf("bench-parse: %d rounds, OpenSSL %s\n", rounds,
	    OpenSSL_version(OPENSSL_VERSION_STRING));
	for (i = 0; i < 4; i++)
		r[i] = bp_parse(i, i <= 1 ? crt : csr, i <= 1 ? crtlen : csrlen,
		    rounds);
	for (i = 0; i < 4; i++)
		r[4 + i] = bp_sign(i, jk, k, rounds);
	r[8] = bp_parse(4, crt, crtlen, rounds);
	r[9] = bp_parse(5, crt, crtlen, rounds);
	for (i = 0; i < 10 && r[i] >= 0; i++)
		;
	if (i < 10) {
		fprintf(stderr, "bench-parse: step %d failed\n", i);
		return 1;
	}
	printf("certificate: d2i_X509 %.1f us, x509cache_d2i (seen) %.1f us, "
	    "x509lite_d2i (no key) %.1f us, x509lite_d2i_keyed (new bytes, "
	    "with the key) %.1f us\n", r[0], r[1], r[8], r[9]);
	printf("order CSR: d2i_X509_REQ %.1f us, acme_csr_spki %.1f us\n",
	    r[2], r[3]);
	printf("ES256: DigestSignInit per call %.1f us, copied context "
	    "%.1f us (jws_sign_raw in all: %.1f us)\n", r[4], r[5], r[6]);
	printf("reference: ECDSA P-256 sign on one re-armed context: %.1f us\n",
	    r[7]);
	jws_key_free(jk);
	EVP_PKEY_free(k);
	OPENSSL_free(csr);
	OPENSSL_free(crt);
	return 0;
}
