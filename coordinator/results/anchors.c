/* anchors.c -- a CA's chain verified with OpenSSL against the trust anchors of its configured PEM file. */
#include "anchors.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <openssl/x509_vfy.h>

/* Reads the PEM certificates of bio into sk (at most max); returns their
 * number, or -1 when one does not parse or there are more than max. */
static int
anchors_read(BIO *bio, STACK_OF(X509) *sk, int max)
{
	X509 *x;
	int n = 0;

	while ((x = PEM_read_bio_X509(bio, NULL, NULL, NULL)) != NULL) {
		if (n == max || !sk_X509_push(sk, x)) {
			X509_free(x);
			return -1;
		}
		n++;
	}
	/* The end of the input is an error to PEM; anything else is not. */
	if (ERR_GET_REASON(ERR_peek_last_error()) != PEM_R_NO_START_LINE) {
		ERR_clear_error();
		return -1;
	}
	ERR_clear_error();
	return n;
}

/* The anchors of file path as a store. Returns it, or NULL with err. */
static X509_STORE *
anchors_store(const char *path, char *err, size_t errlen)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	X509_STORE *st = NULL;
	BIO *bio = NULL;
	FILE *fp;
	long size;
	int n, i;

	if ((fp = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "trust anchors %s: %s", path, strerror(errno));
		goto out;
	}
	if (fseek(fp, 0, SEEK_END) < 0 || (size = ftell(fp)) < 0 ||
	    size > ANCHORS_FILE_MAX || fseek(fp, 0, SEEK_SET) < 0) {
		snprintf(err, errlen, "trust anchors %s: unreadable or over %d "
		    "bytes", path, ANCHORS_FILE_MAX);
		goto out;
	}
	if (sk == NULL || (bio = BIO_new_fp(fp, BIO_NOCLOSE)) == NULL ||
	    (st = X509_STORE_new()) == NULL) {
		snprintf(err, errlen, "trust anchors: out of memory");
		goto out;
	}
	if ((n = anchors_read(bio, sk, ANCHORS_MAX)) <= 0) {
		snprintf(err, errlen, "trust anchors %s: %s", path, n == 0 ?
		    "no PEM certificate" : "a certificate does not parse, or "
		    "too many");
		X509_STORE_free(st);
		st = NULL;
		goto out;
	}
	for (i = 0; i < n; i++)
		X509_STORE_add_cert(st, sk_X509_value(sk, i));
	ERR_clear_error();	/* a duplicate anchor is not an error */
out:
	BIO_free(bio);
	if (fp != NULL)
		fclose(fp);
	sk_X509_pop_free(sk, X509_free);
	return st;
}

/* The certificates of PEM text s (NULL or "" gives none) into sk.
 * Returns their number, or -1. */
static int
anchors_pem(const char *s, STACK_OF(X509) *sk, int max)
{
	BIO *bio;
	int n;

	if (s == NULL || s[0] == '\0')
		return 0;
	if ((bio = BIO_new_mem_buf(s, (int)strlen(s))) == NULL)
		return -1;
	n = anchors_read(bio, sk, max);
	BIO_free(bio);
	return n;
}

int
anchors_verify(const char *path, const char *leaf, const char *rest,
    int64_t now_s, char *err, size_t errlen)
{
	STACK_OF(X509) *lk = sk_X509_new_null(), *chain = sk_X509_new_null();
	X509_STORE_CTX *ctx = NULL;
	X509_STORE *st = NULL;
	int rc = -1, code;

	if (lk == NULL || chain == NULL || (ctx = X509_STORE_CTX_new()) == NULL) {
		snprintf(err, errlen, "chain check: out of memory");
		goto out;
	}
	if ((st = anchors_store(path, err, errlen)) == NULL)
		goto out;
	if (anchors_pem(leaf, lk, 1) != 1 || anchors_pem(rest, chain,
	    ANCHORS_CHAIN_MAX) < 0) {
		snprintf(err, errlen, "the chain does not parse or has over %d "
		    "certificates", ANCHORS_CHAIN_MAX);
		goto out;
	}
	if (X509_STORE_CTX_init(ctx, st, sk_X509_value(lk, 0), chain) != 1) {
		snprintf(err, errlen, "chain check: out of memory");
		goto out;
	}
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_PARTIAL_CHAIN);
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
	if (now_s != 0)
		X509_STORE_CTX_set_time(ctx, 0, (time_t)now_s);
	if (X509_verify_cert(ctx) == 1)
		rc = 0;
	else {
		code = X509_STORE_CTX_get_error(ctx);
		snprintf(err, errlen, "the chain does not verify to the CA's "
		    "trust anchors: %s (at depth %d)",
		    X509_verify_cert_error_string(code),
		    X509_STORE_CTX_get_error_depth(ctx));
	}
out:
	ERR_clear_error();
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	sk_X509_pop_free(lk, X509_free);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}
