/* test_x509cache.c -- unit tests of the per-process certificate cache: each byte string parsed once, bad input never kept, the oldest entry evicted. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "test_chain.h"
#include "x509cache.h"

/* A throwaway self-signed P-256 certificate, as DER (a fresh key: the
 * bytes differ from every other's). */
static unsigned char *
make_cert_der(size_t *len)
{
	struct tc t;
	unsigned char *der;

	assert_int_equal(tc_make(&t, NULL, tc_key("EC", "P-256"), "cache", "",
	    time(NULL), time(NULL) + 3600), 0);
	der = tc_der(&t, len);
	assert_non_null(der);
	assert_true(*len > 100);
	tc_free(&t);
	return der;
}

static void
test_parsed_once(void **state)
{
	size_t len, used = 0;
	unsigned char *der = make_cert_der(&len), *copy;
	X509 *a, *b;

	(void)state;
	a = x509cache_d2i(der, len, &used);
	assert_non_null(a);
	assert_int_equal(used, len);
	copy = malloc(len);
	memcpy(copy, der, len);	/* the same bytes elsewhere: the same X509 */
	used = 0;
	b = x509cache_d2i(copy, len, &used);
	assert_ptr_equal(a, b);
	assert_int_equal(used, len);
	assert_int_equal(X509_cmp(a, b), 0);
	X509_free(a);
	X509_free(b);
	free(copy);
	OPENSSL_free(der);
}

static void
test_trailing_and_bad(void **state)
{
	size_t len, used = 0;
	unsigned char *der = make_cert_der(&len), *longer;
	X509 *a, *b;

	(void)state;
	longer = malloc(len + 1);
	memcpy(longer, der, len);
	longer[len] = 0x00;
	a = x509cache_d2i(der, len, &used);
	assert_non_null(a);
	b = x509cache_d2i(longer, len + 1, &used);
	assert_non_null(b);
	assert_int_equal(used, len);	/* d2i's advance, kept with the entry */
	X509_free(b);
	used = 0;
	b = x509cache_d2i(longer, len + 1, &used);	/* from the cache */
	assert_int_equal(used, len);
	X509_free(b);
	longer[4] ^= 0xff;		/* broken inside: not a certificate */
	assert_null(x509cache_d2i(longer, len, &used));
	assert_null(x509cache_d2i(longer, len, &used));
	assert_null(x509cache_d2i(der, 0, &used));
	X509_free(a);
	free(longer);
	OPENSSL_free(der);
}

static void
test_evicts_oldest(void **state)
{
	unsigned char *der[X509CACHE_ENTRIES + 1];
	size_t len[X509CACHE_ENTRIES + 1], used, i;
	X509 *x[X509CACHE_ENTRIES + 1], *again;

	(void)state;
	for (i = 0; i <= X509CACHE_ENTRIES; i++) {
		der[i] = make_cert_der(&len[i]);
		x[i] = x509cache_d2i(der[i], len[i], &used);
		assert_non_null(x[i]);
	}
	/* the newest is still there; the first, the oldest, was evicted */
	again = x509cache_d2i(der[X509CACHE_ENTRIES], len[X509CACHE_ENTRIES],
	    &used);
	assert_ptr_equal(again, x[X509CACHE_ENTRIES]);
	X509_free(again);
	again = x509cache_d2i(der[0], len[0], &used);
	assert_non_null(again);
	assert_ptr_not_equal(again, x[0]);
	assert_int_equal(X509_cmp(again, x[0]), 0);
	X509_free(again);
	for (i = 0; i <= X509CACHE_ENTRIES; i++) {
		X509_free(x[i]);
		OPENSSL_free(der[i]);
	}
}

static void
test_pem_read(void **state)
{
	size_t len, used;
	unsigned char *der = make_cert_der(&len);
	BIO *b = BIO_new(BIO_s_mem());
	X509 *direct, *x;

	(void)state;
	/* another block first: skipped, as PEM_read_bio_X509 skips it */
	assert_true(PEM_write_bio(b, "X509 CRL", "", der, 10) > 0);
	assert_true(PEM_write_bio(b, "CERTIFICATE", "", der, (long)len) > 0);
	direct = x509cache_d2i(der, len, &used);
	x = x509cache_pem_read(b);
	assert_ptr_equal(x, direct);
	X509_free(x);
	assert_null(x509cache_pem_read(b));	/* the end */
	X509_free(direct);
	BIO_free(b);
	OPENSSL_free(der);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_parsed_once),
		cmocka_unit_test(test_trailing_and_bad),
		cmocka_unit_test(test_evicts_oldest),
		cmocka_unit_test(test_pem_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
