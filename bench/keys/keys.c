/* keys.c -- bench-keys: CPU microseconds per EC P-256 enrollment's key material (enroll_material: keygen, sealed PKCS#8 PEM, SPKI, CSR), step by step, next to the bare cryptography (keygen and ECDSA sign on a reused context) measured in the same run. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/evp.h>

#include "enroll.h"
#include "keys.h"
#include "vault.h"

#define BK_DEFAULT_ROUNDS 2000
#define BK_MAX_ROUNDS 1000000

static char *bk_names[] = { "www.bench-keys.example", "bench-keys.example",
    "api.bench-keys.example" };
#define BK_NNAMES (sizeof(bk_names) / sizeof(bk_names[0]))

static double
bk_now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);	/* CPU: less moved by others' load */
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* The steps one at a time; returns 0, or -1 on a failure (printed). */
static int
bk_steps(const struct vault *v, int rounds, enum keys_type t)
{
	double us[5] = { 0 }, t0;
	char err[256], aad[VAULT_AAD_MAX], *pem;
	size_t pemlen, len;
	unsigned char *der;
	struct vault_box box;
	EVP_PKEY *k;
	int i;

	vault_aad(VAULT_CERT_KEY, "bench", aad);
	for (i = 0; i < rounds; i++) {
		t0 = bk_now_us();
		if ((k = keys_generate(t, err, sizeof(err))) == NULL)
			goto fail;
		us[0] += bk_now_us() - t0;
		t0 = bk_now_us();
		if ((pem = keys_private_pem(k, &pemlen)) == NULL)
			goto fail;
		us[1] += bk_now_us() - t0;
		t0 = bk_now_us();
		memset(&box, 0, sizeof(box));
		if (vault_seal(v, pem, pemlen, aad, &box, err, sizeof(err)) < 0)
			goto fail;
		us[2] += bk_now_us() - t0;
		keys_pem_free(pem, pemlen);
		vault_box_clear(&box);
		t0 = bk_now_us();
		if ((der = keys_public_der(k, &len)) == NULL)
			goto fail;
		us[3] += bk_now_us() - t0;
		free(der);
		t0 = bk_now_us();
		if ((der = keys_csr_der(k, bk_names, BK_NNAMES, &len, err,
		    sizeof(err))) == NULL)
			goto fail;
		us[4] += bk_now_us() - t0;
		free(der);
		EVP_PKEY_free(k);
	}
	printf("  %-8s keygen %6.1f us  private PEM %6.1f us  seal %5.1f us  "
	    "SPKI %5.1f us  CSR %6.1f us\n", keys_type_name(t), us[0] / rounds,
	    us[1] / rounds, us[2] / rounds, us[3] / rounds, us[4] / rounds);
	return 0;
fail:
	fprintf(stderr, "bench-keys: %s\n", err);
	return -1;
}

/* enroll_material as an enrollment runs it; returns us per call or -1. */
static double
bk_material(const struct vault *v, int rounds)
{
	struct enroll_request req;
	struct enroll_material m;
	char err[256];
	double t0 = bk_now_us();
	int i;

	memset(&req, 0, sizeof(req));
	req.key_type = KEYS_EC_P256;
	req.names = bk_names;
	req.nnames = BK_NNAMES;
	for (i = 0; i < rounds; i++) {
		memset(&m, 0, sizeof(m));
		if (enroll_material(v, &req, "bench", &m, err, sizeof(err)) < 0) {
			fprintf(stderr, "bench-keys: %s\n", err);
			enroll_material_free(&m);
			return -1;
		}
		enroll_material_free(&m);
	}
	return (bk_now_us() - t0) / rounds;
}

/* The reference: P-256 keygen and one ECDSA-SHA256 signature over 300
 * bytes, both on contexts made once, as bare as OpenSSL 3 gets. */
static double
bk_reference(int rounds)
{
	EVP_PKEY_CTX *g;
	EVP_PKEY *k = NULL;
	EVP_MD_CTX *md;
	unsigned char tbs[300] = { 0 }, sig[128];
	size_t siglen;
	double t0;
	int i;

	if ((g = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL)) == NULL ||
	    EVP_PKEY_keygen_init(g) != 1 ||
	    EVP_PKEY_CTX_set_group_name(g, "P-256") != 1 ||
	    (md = EVP_MD_CTX_new()) == NULL)
		return -1;
	t0 = bk_now_us();
	for (i = 0; i < rounds; i++) {
		if (EVP_PKEY_generate(g, &k) != 1)
			return -1;
		siglen = sizeof(sig);
		if (EVP_DigestSignInit_ex(md, NULL, "SHA256", NULL, NULL, k,
		    NULL) != 1 || EVP_DigestSign(md, sig, &siglen, tbs,
		    sizeof(tbs)) != 1)
			return -1;
		EVP_MD_CTX_reset(md);
		EVP_PKEY_free(k);
		k = NULL;
	}
	t0 = (bk_now_us() - t0) / rounds;
	EVP_MD_CTX_free(md);
	EVP_PKEY_CTX_free(g);
	return t0;
}

int
main(int argc, char **argv)
{
	struct vault *v;
	char err[256];
	double mat, ref;
	int rounds = BK_DEFAULT_ROUNDS;

	if (argc > 1 && ((rounds = atoi(argv[1])) < 1 || rounds > BK_MAX_ROUNDS)) {
		fprintf(stderr, "usage: bench-keys [ROUNDS (1-%d)]\n",
		    BK_MAX_ROUNDS);
		return 2;
	}
	if ((v = vault_new("000102030405060708090a0b0c0d0e0f"
	    "101112131415161718191a1b1c1d1e1f", err, sizeof(err))) == NULL) {
		fprintf(stderr, "bench-keys: %s\n", err);
		return 1;
	}
	bk_material(v, rounds / 10 + 1);	/* warm up */
	printf("bench-keys: %d rounds, OpenSSL %s\n", rounds,
	    OpenSSL_version(OPENSSL_VERSION_STRING));
	if (bk_steps(v, rounds, KEYS_EC_P256) < 0 ||
	    bk_steps(v, rounds, KEYS_EC_P384) < 0 ||
	    (mat = bk_material(v, rounds)) < 0 || (ref = bk_reference(rounds)) < 0) {
		vault_free(v);
		return 1;
	}
	printf("enroll_material, EC P-256 (key + sealed PEM + SPKI + CSR): "
	    "%.1f us\n", mat);
	printf("reference: P-256 keygen + ECDSA sign on reused contexts: "
	    "%.1f us\n", ref);
	vault_free(v);
	return 0;
}
