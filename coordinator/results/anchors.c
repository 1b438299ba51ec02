/* anchors.c -- a CA's chain verified with OpenSSL against the trust anchors of its configured PEM file. */
#include "anchors.h"
#include "anchors_proven.h"

#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

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

/* The bytes of file path (at most ANCHORS_FILE_MAX) into *buf (free it)
 * and *len. Returns 0, or -1 with err. */
static int
anchors_slurp(const char *path, char **buf, size_t *len, char *err,
    size_t errlen)
{
	FILE *fp;
	char *more;
	size_t n = 0, cap = 4096;

	*buf = NULL;
	if ((fp = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "trust anchors %s: %s", path, strerror(errno));
		return -1;
	}
	for (;;) {
		if ((more = realloc(*buf, cap)) == NULL) {
			snprintf(err, errlen, "trust anchors: out of memory");
			goto fail;
		}
		*buf = more;
		n += fread(*buf + n, 1, cap - n, fp);
		if (ferror(fp) || n > ANCHORS_FILE_MAX) {
			snprintf(err, errlen, "trust anchors %s: unreadable or "
			    "over %d bytes", path, ANCHORS_FILE_MAX);
			goto fail;
		}
		if (n < cap)
			break;		/* the end of the file */
		cap = cap * 2 > ANCHORS_FILE_MAX + 1 ? ANCHORS_FILE_MAX + 1 :
		    cap * 2;
	}
	fclose(fp);
	*len = n;
	return 0;
fail:
	fclose(fp);
	free(*buf);
	*buf = NULL;
	return -1;
}

/* The anchors in buf[0..len) (file path's bytes) as a store. Returns it,
 * or NULL with err. */
static X509_STORE *
anchors_store(const char *path, const char *buf, size_t len, char *err,
    size_t errlen)
{
	STACK_OF(X509) *sk = sk_X509_new_null();
	X509_STORE *st = NULL;
	BIO *bio = NULL;
	int n, i;

	if (sk == NULL || (bio = BIO_new_mem_buf(buf, (int)len)) == NULL ||
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
	sk_X509_pop_free(sk, X509_free);
	return st;
}

/* Stores built from anchors files, kept while the file holds the same
 * bytes (it is read and compared at every call, which costs far less than
 * parsing it: that was a third of an issued event's PEM work). */
#define ANCHORS_CACHE 8

static struct anchors_cached {
	char		*path;
	char		*bytes;
	size_t		 len;
	X509_STORE	*st;
} anchors_cache[ANCHORS_CACHE];
static unsigned anchors_cache_next;
static pthread_mutex_t anchors_cache_lock = PTHREAD_MUTEX_INITIALIZER;

/* The cached store of path when it was built from buf[0..len), with one
 * reference more; else NULL. Call with the lock held. */
static X509_STORE *
anchors_cached(const char *path, const char *buf, size_t len)
{
	struct anchors_cached *e;
	size_t i;

	for (i = 0; i < ANCHORS_CACHE; i++) {
		e = &anchors_cache[i];
		if (e->path != NULL && strcmp(e->path, path) == 0 &&
		    e->len == len && memcmp(e->bytes, buf, len) == 0 &&
		    X509_STORE_up_ref(e->st) == 1)
			return e->st;
	}
	return NULL;
}

/* Remembers st (one reference more) as the store of path's bytes buf (the
 * cache owns buf now). Call with the lock held. */
static void
anchors_remember(const char *path, char *buf, size_t len, X509_STORE *st)
{
	struct anchors_cached *e;
	char *copy;
	size_t i;

	if ((copy = strdup(path)) == NULL || X509_STORE_up_ref(st) != 1) {
		free(copy);
		free(buf);
		return;
	}
	for (i = 0; i < ANCHORS_CACHE; i++)	/* the same path's old store */
		if (anchors_cache[i].path != NULL &&
		    strcmp(anchors_cache[i].path, path) == 0)
			break;
	if (i == ANCHORS_CACHE)
		i = anchors_cache_next++ % ANCHORS_CACHE;
	e = &anchors_cache[i];
	free(e->path);
	free(e->bytes);
	X509_STORE_free(e->st);
	e->path = copy;
	e->bytes = buf;
	e->len = len;
	e->st = st;
}

/* The store of file path as it is now: the cached one when the file holds
 * the bytes it was built from, else built now. The caller frees it
 * (X509_STORE_free drops a reference). NULL with err. */
static X509_STORE *
anchors_get(const char *path, char *err, size_t errlen)
{
	X509_STORE *st;
	char *buf;
	size_t len;

	if (anchors_slurp(path, &buf, &len, err, errlen) < 0)
		return NULL;
	pthread_mutex_lock(&anchors_cache_lock);
	if ((st = anchors_cached(path, buf, len)) != NULL) {
		pthread_mutex_unlock(&anchors_cache_lock);
		free(buf);
		return st;
	}
	pthread_mutex_unlock(&anchors_cache_lock);
	if ((st = anchors_store(path, buf, len, err, errlen)) == NULL) {
		free(buf);
		return NULL;
	}
	pthread_mutex_lock(&anchors_cache_lock);
	anchors_remember(path, buf, len, st);
	pthread_mutex_unlock(&anchors_cache_lock);
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

/* X509_verify_cert of leaf and rest against st in ctx (initialized here;
 * cleaned up by the caller): partial chains allowed, the leaf for a TLS
 * server, at now_s (0: now). 1 when it verifies, else 0 (-1: no memory). */
static int
anchors_run(X509_STORE_CTX *ctx, X509_STORE *st, X509 *leaf,
    STACK_OF(X509) *rest, int64_t now_s)
{
	if (X509_STORE_CTX_init(ctx, st, leaf, rest) != 1)
		return -1;
	X509_STORE_CTX_set_flags(ctx, X509_V_FLAG_PARTIAL_CHAIN);
	X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER);
	if (now_s != 0)
		X509_STORE_CTX_set_time(ctx, 0, (time_t)now_s);
	return X509_verify_cert(ctx) == 1;
}

int
anchors_verify_x509(const char *path, X509 *leaf, STACK_OF(X509) *rest,
    int64_t now_s, char *err, size_t errlen)
{
	X509_STORE_CTX *ctx = NULL;
	X509_STORE *st = NULL, *alone = NULL;
	time_t now = time(NULL);
	int rc = -1, ok = 0, code;

	if (leaf == NULL || (rest != NULL && sk_X509_num(rest) >
	    ANCHORS_CHAIN_MAX)) {
		snprintf(err, errlen, "the chain does not parse or has over %d "
		    "certificates", ANCHORS_CHAIN_MAX);
		return -1;
	}
	if ((ctx = X509_STORE_CTX_new()) == NULL) {
		snprintf(err, errlen, "chain check: out of memory");
		goto out;
	}
	if ((st = anchors_get(path, err, errlen)) == NULL)
		goto out;
	/* the leaf under an intermediate proven before (anchors_proven.h);
	 * if it does not verify there, the full check says why */
	if (now_s == 0 && (alone = anchors_proven_find(st, rest, now)) != NULL) {
		ok = anchors_run(ctx, alone, leaf, NULL, 0);
		X509_STORE_CTX_cleanup(ctx);
	}
	if (ok != 1 && (ok = anchors_run(ctx, st, leaf, rest, now_s)) == 1 &&
	    now_s == 0)
		anchors_proven_add(st, X509_STORE_CTX_get0_chain(ctx), now);
	if (ok == 1)
		rc = 0;
	else if (ok < 0)
		snprintf(err, errlen, "chain check: out of memory");
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
	X509_STORE_free(alone);
	X509_STORE_free(st);
	return rc;
}

int
anchors_verify(const char *path, const char *leaf, const char *rest,
    int64_t now_s, char *err, size_t errlen)
{
	STACK_OF(X509) *lk = sk_X509_new_null(), *chain = sk_X509_new_null();
	int rc = -1;

	if (lk == NULL || chain == NULL) {
		snprintf(err, errlen, "chain check: out of memory");
		goto out;
	}
	if (anchors_pem(leaf, lk, 1) != 1 || anchors_pem(rest, chain,
	    ANCHORS_CHAIN_MAX) < 0) {
		snprintf(err, errlen, "the chain does not parse or has over %d "
		    "certificates", ANCHORS_CHAIN_MAX);
		goto out;
	}
	rc = anchors_verify_x509(path, sk_X509_value(lk, 0), chain, now_s, err,
	    errlen);
out:
	ERR_clear_error();
	sk_X509_pop_free(lk, X509_free);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}
