/* test_x509lite.c -- unit tests of certificates read without OpenSSL's key decoder: the bytes d2i_X509 accepts and refuses, the same fields and SPKI bytes, no key or the same key, signatures checked over the CA's bytes, PEM blocks skipped as OpenSSL does. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "test_chain.h"
#include "x509lite.h"

/* A self-signed leaf for a fresh key of alg ("EC" P-256 or "RSA"), with a
 * SAN of lite.example, as DER. */
static unsigned char *
make_cert_der(const char *alg, size_t *len)
{
	struct tc t;
	unsigned char *der;

	assert_int_equal(tc_make(&t, NULL, strcmp(alg, "RSA") == 0 ?
	    tc_key("RSA", "2048") : tc_key("EC", "P-256"), "lite",
	    "DNS:lite.example", time(NULL), time(NULL) + 3600), 0);
	der = tc_der(&t, len);
	assert_non_null(der);
	assert_true(*len > 100);
	tc_free(&t);
	return der;
}

/* 1 when d2i_X509 reads der[0..len), with *used its advance. */
static int
openssl_reads(const unsigned char *der, size_t len, size_t *used)
{
	const unsigned char *p = der;
	X509 *x = d2i_X509(NULL, &p, (long)len);

	*used = (size_t)(p - der);
	X509_free(x);
	ERR_clear_error();
	return x != NULL;
}

/* Every prefix and every byte flipped (three ways) of der: parse (the
 * keyless or the keyed read) accepts exactly what d2i_X509 does, consuming
 * as much. */
static void
check_same_verdicts(X509 *(*parse)(const unsigned char *, size_t, size_t *),
    const unsigned char *der, size_t len)
{
	static const unsigned char flips[] = { 0x01, 0x80, 0xff };
	unsigned char *m = malloc(len + 1);
	size_t i, f, used, want;
	X509 *x;

	assert_non_null(m);
	for (i = 1; i <= len; i++) {
		used = 0;
		x = parse(der, i, &used);
		assert_int_equal(x != NULL, openssl_reads(der, i, &want));
		if (x != NULL)
			assert_int_equal(used, want);
		X509_free(x);
	}
	for (i = 0; i < len; i++)
		for (f = 0; f < sizeof(flips); f++) {
			memcpy(m, der, len);
			m[i] ^= flips[f];
			used = 0;
			x = parse(m, len, &used);
			assert_int_equal(x != NULL, openssl_reads(m, len,
			    &want));
			if (x != NULL)
				assert_int_equal(used, want);
			X509_free(x);
		}
	ERR_clear_error();
	free(m);
}

static void
test_same_verdicts(void **state)
{
	unsigned char *der;
	size_t len;

	(void)state;
	der = make_cert_der("EC", &len);
	check_same_verdicts(x509lite_d2i, der, len);
	check_same_verdicts(x509lite_d2i_keyed, der, len);
	OPENSSL_free(der);
}

/* The fields a reader uses, the SPKI bytes and the encoding are
 * d2i_X509's; the key alone is not there. */
static void
check_same_fields(const char *alg)
{
	size_t len, used = 0;
	unsigned char *der = make_cert_der(alg, &len), *a = NULL, *b = NULL,
	    *re = NULL;
	const unsigned char *p = der;
	X509 *full = d2i_X509(NULL, &p, (long)len), *lite;
	int na, nb;

	assert_non_null(full);
	lite = x509lite_d2i(der, len, &used);
	assert_non_null(lite);
	assert_int_equal(used, len);
	assert_null(X509_get0_pubkey(lite));
	ERR_clear_error();
	assert_non_null(X509_get0_pubkey(full));
	na = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(lite), &a);
	nb = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(full), &b);
	assert_true(na > 0);
	assert_int_equal(na, nb);
	assert_memory_equal(a, b, (size_t)na);
	assert_int_equal(i2d_X509(lite, &re), (int)len);
	assert_memory_equal(re, der, len);
	assert_int_equal(ASN1_INTEGER_cmp(X509_get0_serialNumber(lite),
	    X509_get0_serialNumber(full)), 0);
	assert_int_equal(X509_NAME_cmp(X509_get_issuer_name(lite),
	    X509_get_issuer_name(full)), 0);
	assert_int_equal(ASN1_TIME_compare(X509_get0_notAfter(lite),
	    X509_get0_notAfter(full)), 0);
	assert_int_equal(X509_check_host(lite, "lite.example", 0, 0, NULL), 1);
	assert_int_equal(X509_check_host(lite, "other.example", 0, 0, NULL), 0);
	OPENSSL_free(a);
	OPENSSL_free(b);
	OPENSSL_free(re);
	X509_free(lite);
	X509_free(full);
	OPENSSL_free(der);
}

static void
test_same_fields(void **state)
{
	(void)state;
	check_same_fields("EC");
	check_same_fields("RSA");
}

/* A leaf of alg ("EC" P-256, "P-384", "RSA" or "ED25519") issued by a
 * fresh EC CA: the keyed read has d2i_X509's key and bytes, read through
 * the legacy methods (no provider holds it) for EC and RSA, and its
 * signature checks against the CA's key, and fails once the signature is
 * changed. */
static void
check_keyed(const char *alg)
{
	struct tc ca, leaf;
	unsigned char *der, *re = NULL;
	const unsigned char *p;
	size_t len = 0, used = 0;
	X509 *full, *keyed;

	assert_int_equal(tc_make(&ca, NULL, tc_key("EC", "P-256"), "ca", NULL,
	    time(NULL), time(NULL) + 3600), 0);
	assert_int_equal(tc_make(&leaf, &ca, strcmp(alg, "EC") == 0 ?
	    tc_key("EC", "P-256") : strcmp(alg, "P-384") == 0 ?
	    tc_key("EC", "P-384") : strcmp(alg, "RSA") == 0 ?
	    tc_key("RSA", "2048") : tc_key("ED25519", NULL), "leaf",
	    "DNS:lite.example", time(NULL), time(NULL) + 3600), 0);
	der = tc_der(&leaf, &len);
	assert_non_null(der);
	p = der;
	full = d2i_X509(NULL, &p, (long)len);
	keyed = x509lite_d2i_keyed(der, len, &used);
	assert_non_null(full);
	assert_non_null(keyed);
	assert_int_equal(used, len);
	assert_non_null(X509_get0_pubkey(keyed));
	assert_int_equal(EVP_PKEY_eq(X509_get0_pubkey(keyed),
	    X509_get0_pubkey(full)), 1);
	/* a legacy key: no provider's decoder, so no d2i_X509 fallback */
	assert_int_equal(EVP_PKEY_get0_provider(X509_get0_pubkey(keyed)) ==
	    NULL, strcmp(alg, "ED25519") != 0);
	assert_int_equal(i2d_X509(keyed, &re), (int)len);
	assert_memory_equal(re, der, len);
	assert_int_equal(X509_verify(keyed, ca.key), 1);
	X509_free(keyed);
	der[len - 1] ^= 0x01;		/* the signature's last byte */
	keyed = x509lite_d2i_keyed(der, len, &used);
	assert_non_null(keyed);
	assert_int_not_equal(X509_verify(keyed, ca.key), 1);
	ERR_clear_error();
	X509_free(keyed);
	X509_free(full);
	OPENSSL_free(re);
	OPENSSL_free(der);
	tc_free(&leaf);
	tc_free(&ca);
}

static void
test_keyed(void **state)
{
	(void)state;
	check_keyed("EC");
	check_keyed("P-384");
	check_keyed("RSA");
	check_keyed("ED25519");	/* another kind: d2i_X509 itself */
}

/* A certificate whose serial's length is in the long form (BER, which
 * d2i_X509 reads): encoded again it would be one byte shorter, so the
 * keyed read must keep the CA's bytes, with the key. */
static void
test_keyed_keeps_bytes(void **state)
{
	unsigned char *der = NULL, *ber, *re = NULL;
	size_t len, used = 0, at;
	X509 *keyed;
	unsigned tbslen, certlen;

	(void)state;
	der = make_cert_der("EC", &len);
	/* 30 82 LL LL  30 82 TT TT  a0 03 02 01 02  02 NN serial... */
	assert_true(der[0] == 0x30 && der[1] == 0x82 && der[4] == 0x30 &&
	    der[5] == 0x82 && der[8] == 0xa0 && der[13] == 0x02 &&
	    der[14] < 0x80);
	certlen = (unsigned)der[2] << 8 | der[3];
	tbslen = (unsigned)der[6] << 8 | der[7];
	at = 14;			/* the serial's length byte */
	ber = malloc(len + 1);
	assert_non_null(ber);
	memcpy(ber, der, at);
	ber[at] = 0x81;			/* long form, one length byte */
	memcpy(ber + at + 1, der + at, len - at);
	ber[2] = (unsigned char)((certlen + 1) >> 8);
	ber[3] = (unsigned char)(certlen + 1);
	ber[6] = (unsigned char)((tbslen + 1) >> 8);
	ber[7] = (unsigned char)(tbslen + 1);
	assert_true(openssl_reads(ber, len + 1, &used));
	keyed = x509lite_d2i_keyed(ber, len + 1, &used);
	assert_non_null(keyed);
	assert_int_equal(used, len + 1);
	assert_non_null(X509_get0_pubkey(keyed));
	assert_int_equal(i2d_X509(keyed, &re), (int)(len + 1));
	assert_memory_equal(re, ber, len + 1);
	X509_free(keyed);
	OPENSSL_free(re);
	free(ber);
	OPENSSL_free(der);
}

static void
test_pem_read(void **state)
{
	size_t len;
	unsigned char *der = make_cert_der("EC", &len);
	BIO *b = BIO_new(BIO_s_mem());
	X509 *x;

	(void)state;
	/* a block of another name first, skipped as PEM_read_bio_X509 does */
	assert_true(PEM_write_bio(b, "SOMETHING ELSE", "", der, 3) > 0);
	assert_true(PEM_write_bio(b, "CERTIFICATE", "", der, (long)len) > 0);
	assert_true(PEM_write_bio(b, "CERTIFICATE", "", der, 10) > 0);
	x = x509lite_pem_read(b);
	assert_non_null(x);
	assert_null(X509_get0_pubkey(x));
	X509_free(x);
	assert_null(x509lite_pem_read(b));	/* 10 bytes: not a certificate */
	assert_null(x509lite_pem_read(b));	/* the end */
	ERR_clear_error();
	BIO_free(b);
	OPENSSL_free(der);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_same_verdicts),
		cmocka_unit_test(test_same_fields),
		cmocka_unit_test(test_keyed),
		cmocka_unit_test(test_keyed_keeps_bytes),
		cmocka_unit_test(test_pem_read),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
