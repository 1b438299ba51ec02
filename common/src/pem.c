/* pem.c -- PEM <-> DER through OpenSSL's PEM reader, with a cap on input size. */
#include "pem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "x509cache.h"
#include "x509lite.h"

/* One PEM block as OpenSSL's PEM_read_bio returns it. */
struct pem_block {
	char		*name;
	char		*header;
	unsigned char	*data;
	long		 len;
};

static void
pem_block_free(struct pem_block *b)
{
	OPENSSL_free(b->name);
	OPENSSL_free(b->header);
	OPENSSL_free(b->data);
	memset(b, 0, sizeof(*b));
}

/* Reads the next block. Returns 1 with a block, 0 at clean end of input,
 * -1 on malformed input. */
static int
pem_next(BIO *bio, struct pem_block *b)
{
	unsigned long e;

	if (PEM_read_bio(bio, &b->name, &b->header, &b->data, &b->len) == 1)
		return 1;
	e = ERR_peek_last_error();
	ERR_clear_error();
	if (ERR_GET_LIB(e) == ERR_LIB_PEM && ERR_GET_REASON(e) == PEM_R_NO_START_LINE)
		return 0;
	return -1;
}

static BIO *
pem_bio(const char *pem, size_t pemlen, char *err, size_t errlen)
{
	BIO *bio;

	if (pemlen > PEM_MAX_INPUT) {
		snprintf(err, errlen, "PEM input of %zu bytes is over the %d byte cap",
		    pemlen, PEM_MAX_INPUT);
		return NULL;
	}
	if ((bio = BIO_new_mem_buf(pem, (int)pemlen)) == NULL)
		snprintf(err, errlen, "out of memory");
	return bio;
}

unsigned char *
pem_to_der(const char *pem, size_t pemlen, const char *label, size_t *derlen,
    char *err, size_t errlen)
{
	struct pem_block b = { 0 };
	unsigned char *der = NULL;
	BIO *bio;
	int r;

	if ((bio = pem_bio(pem, pemlen, err, errlen)) == NULL)
		return NULL;
	while ((r = pem_next(bio, &b)) == 1) {
		if (strcmp(b.name, label) == 0)
			break;
		pem_block_free(&b);
	}
	if (r == 0)
		snprintf(err, errlen, "no PEM block labelled %s", label);
	else if (r < 0)
		snprintf(err, errlen, "malformed PEM");
	else if (b.len <= 0)
		snprintf(err, errlen, "empty PEM block %s", label);
	else if ((der = malloc((size_t)b.len)) == NULL)
		snprintf(err, errlen, "out of memory");
	else {
		memcpy(der, b.data, (size_t)b.len);
		*derlen = (size_t)b.len;
	}
	pem_block_free(&b);
	BIO_free(bio);
	return der;
}

char *
der_to_pem(const unsigned char *der, size_t derlen, const char *label)
{
	BIO *bio;
	char *out = NULL, *p;
	long n;

	if (derlen > PEM_MAX_INPUT || (bio = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	if (PEM_write_bio(bio, label, "", der, (long)derlen) > 0 &&
	    (n = BIO_get_mem_data(bio, &p)) > 0 &&
	    (out = malloc((size_t)n + 1)) != NULL) {
		memcpy(out, p, (size_t)n);
		out[n] = '\0';
	}
	BIO_free(bio);
	return out;
}

/* Appends the PEM of one certificate to a memory BIO; with to NULL, only
 * checks that it parses (without decoding its key: x509lite.h). */
static int
pem_append_cert(BIO *to, const struct pem_block *b)
{
	size_t used = 0;
	X509 *x;
	int ok;

	if (b->len <= 0)
		return -1;
	/* a split chain's certificates are verified next: parse them once
	 * with their keys; a count needs no key */
	x = to != NULL ? x509cache_d2i(b->data, (size_t)b->len, &used) :
	    x509lite_d2i(b->data, (size_t)b->len, &used);
	if (x == NULL)
		return -1;
	if (used != (size_t)b->len) {
		X509_free(x);
		return -1;
	}
	ok = to == NULL || PEM_write_bio_X509(to, x) == 1;
	X509_free(x);
	return ok ? 0 : -1;
}

int
pem_chain_count(const char *pem, size_t pemlen, char *err, size_t errlen)
{
	struct pem_block b = { 0 };
	BIO *bio;
	int r, n = 0;

	err[0] = '\0';
	if ((bio = pem_bio(pem, pemlen, err, errlen)) == NULL)
		return -1;
	while ((r = pem_next(bio, &b)) == 1) {
		if (strcmp(b.name, "CERTIFICATE") != 0 || pem_append_cert(NULL, &b) < 0) {
			snprintf(err, errlen, "block %d is not a valid certificate", n + 1);
			r = -1;
			pem_block_free(&b);
			break;
		}
		n++;
		pem_block_free(&b);
	}
	BIO_free(bio);
	if (r < 0) {
		if (err[0] == '\0')
			snprintf(err, errlen, "malformed PEM after %d certificates", n);
		return -1;
	}
	return n;
}

/* Copies a memory BIO's contents into a malloc'd string. */
static char *
pem_bio_take(BIO *bio)
{
	char *p, *out;
	long n;

	n = BIO_get_mem_data(bio, &p);
	if (n < 0 || (out = malloc((size_t)n + 1)) == NULL)
		return NULL;
	if (n > 0)
		memcpy(out, p, (size_t)n);
	out[n] = '\0';
	return out;
}

int
pem_chain_split(const char *pem, size_t pemlen, char **leaf, char **rest,
    char *err, size_t errlen)
{
	struct pem_block b = { 0 };
	BIO *in = NULL, *first = NULL, *others = NULL;
	char *l = NULL, *o = NULL;
	int r, n = 0, rc = -1;

	err[0] = '\0';
	if ((in = pem_bio(pem, pemlen, err, errlen)) == NULL)
		goto out;
	if ((first = BIO_new(BIO_s_mem())) == NULL ||
	    (others = BIO_new(BIO_s_mem())) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	while ((r = pem_next(in, &b)) == 1) {
		if (strcmp(b.name, "CERTIFICATE") != 0 ||
		    pem_append_cert(n == 0 ? first : others, &b) < 0) {
			snprintf(err, errlen, "block %d is not a valid certificate", n + 1);
			goto out;
		}
		n++;
		pem_block_free(&b);
	}
	if (r < 0) {
		snprintf(err, errlen, "malformed PEM after %d certificates", n);
		goto out;
	}
	if (n == 0) {
		snprintf(err, errlen, "no certificate in chain");
		goto out;
	}
	if ((l = pem_bio_take(first)) == NULL || (o = pem_bio_take(others)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	*leaf = l;
	*rest = o;
	l = o = NULL;
	rc = 0;
out:
	pem_block_free(&b);
	free(l);
	free(o);
	BIO_free(in);
	BIO_free(first);
	BIO_free(others);
	return rc;
}
