/* x509cache.c -- certificates parsed once per process: DER bytes to a shared X509, a small cache keyed by the bytes. */
#include "x509cache.h"
#include "x509lite.h"

#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/err.h>
#include <openssl/pem.h>

struct x509cache_entry {
	unsigned char	*der;
	size_t		 len;
	size_t		 used;
	X509		*x;
	uint64_t	 stamp;		/* last use: the oldest goes first */
};

static struct x509cache_entry x509cache_e[X509CACHE_ENTRIES];
static uint64_t x509cache_clock;
static pthread_mutex_t x509cache_lock = PTHREAD_MUTEX_INITIALIZER;

/* The entry holding der[0..len), or NULL. Called with the lock held. */
static struct x509cache_entry *
x509cache_find(const unsigned char *der, size_t len)
{
	size_t i;

	for (i = 0; i < X509CACHE_ENTRIES; i++)
		if (x509cache_e[i].x != NULL && x509cache_e[i].len == len &&
		    memcmp(x509cache_e[i].der, der, len) == 0)
			return &x509cache_e[i];
	return NULL;
}

/* Keeps a reference to x parsed from der[0..len), in a free entry or in
 * place of the least recently used. Called with the lock held. */
static void
x509cache_keep(const unsigned char *der, size_t len, size_t used, X509 *x)
{
	struct x509cache_entry *e = &x509cache_e[0];
	unsigned char *copy;
	size_t i;

	if (len > X509CACHE_DER_MAX || x509cache_find(der, len) != NULL ||
	    (copy = malloc(len)) == NULL)
		return;
	for (i = 1; i < X509CACHE_ENTRIES && e->x != NULL; i++)
		if (x509cache_e[i].x == NULL || x509cache_e[i].stamp < e->stamp)
			e = &x509cache_e[i];
	if (!X509_up_ref(x)) {
		free(copy);
		return;
	}
	X509_free(e->x);
	free(e->der);
	memcpy(copy, der, len);
	e->der = copy;
	e->len = len;
	e->used = used;
	e->x = x;
	e->stamp = ++x509cache_clock;
}

X509 *
x509cache_d2i(const unsigned char *der, size_t len, size_t *used)
{
	struct x509cache_entry *e;
	X509 *x = NULL;

	if (len > LONG_MAX)
		return NULL;
	pthread_mutex_lock(&x509cache_lock);
	if ((e = x509cache_find(der, len)) != NULL && X509_up_ref(e->x)) {
		x = e->x;
		*used = e->used;
		e->stamp = ++x509cache_clock;
	}
	pthread_mutex_unlock(&x509cache_lock);
	if (x != NULL)
		return x;
	/* parsed outside the lock: threads parsing different bytes in parallel */
	if ((x = x509lite_d2i_keyed(der, len, used)) == NULL)
		return NULL;
	pthread_mutex_lock(&x509cache_lock);
	x509cache_keep(der, len, *used, x);
	pthread_mutex_unlock(&x509cache_lock);
	return x;
}

X509 *
x509cache_pem_read(BIO *b)
{
	return x509lite_pem_read_with(b, x509cache_d2i);
}
