/* certinfo.c -- parses an issued certificate's serial, validity, issuer, dNSName SANs and public key. */
#include "certinfo.h"

#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/bn.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "utf8.h"
#include "x509cache.h"

static int
certinfo_time(const ASN1_TIME *t, time_t *out)
{
	struct tm tm;

	if (t == NULL || ASN1_TIME_to_tm(t, &tm) != 1)
		return -1;
	*out = timegm(&tm);
	return 0;
}

static int
certinfo_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

static int
certinfo_sans(X509 *x, struct certinfo *ci, char *err, size_t errlen)
{
	GENERAL_NAMES *gens;
	const GENERAL_NAME *g;
	const unsigned char *d;
	size_t i, j, out, len;
	int n, rc = -1;

	if ((gens = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL)) ==
	    NULL) {
		snprintf(err, errlen, "certificate has no subjectAltName");
		return -1;
	}
	n = sk_GENERAL_NAME_num(gens);
	if (n <= 0 || n > CERTINFO_MAX_SANS ||
	    (ci->sans = calloc((size_t)n, sizeof(char *))) == NULL) {
		snprintf(err, errlen, "certificate has %d SANs", n);
		goto out;
	}
	for (i = 0; i < (size_t)n; i++) {
		g = sk_GENERAL_NAME_value(gens, (int)i);
		if (g->type != GEN_DNS)
			continue;
		d = ASN1_STRING_get0_data(g->d.dNSName);
		len = (size_t)ASN1_STRING_length(g->d.dNSName);
		for (j = 0; j < len; j++)
			if (d[j] < 0x21 || d[j] > 0x7e)
				break;
		if (j < len) {
			/* a dNSName is an IA5String of LDH labels (RFC 5280):
			 * anything else is not a name we asked for, nor text
			 * PostgreSQL must be handed */
			snprintf(err, errlen, "certificate has a SAN that is not a "
			    "printable ASCII DNS name");
			goto out;
		}
		if ((ci->sans[ci->nsans] = malloc(len + 1)) == NULL)
			goto out;
		for (j = 0; j < len; j++)
			ci->sans[ci->nsans][j] = (char)tolower(d[j]);
		ci->sans[ci->nsans][len] = '\0';
		ci->nsans++;
	}
	qsort(ci->sans, ci->nsans, sizeof(char *), certinfo_strcmp);
	for (i = 0, out = 0; i < ci->nsans; i++) {
		if (out > 0 && strcmp(ci->sans[out - 1], ci->sans[i]) == 0) {
			free(ci->sans[i]);
			continue;
		}
		ci->sans[out++] = ci->sans[i];
	}
	ci->nsans = out;
	rc = 0;
out:
	GENERAL_NAMES_free(gens);
	return rc;
}

int
certinfo_name_utf8(const X509_NAME *name, char *out, size_t outlen)
{
	BIO *b;
	char *data;
	long len;
	size_t n;
	int rc = -1;

	out[0] = '\0';
	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return -1;
	/* RFC 4514 (XN_FLAG_RFC2253): every string type converted to UTF-8,
	 * special characters and controls escaped, but characters beyond
	 * ASCII kept as they are instead of as \XX escapes. */
	if (X509_NAME_print_ex(b, name, 0, XN_FLAG_RFC2253 &
	    ~ASN1_STRFLGS_ESC_MSB) < 0 ||
	    (len = BIO_get_mem_data(b, &data)) < 0 ||
	    !utf8_valid(data, (size_t)len))
		goto out;
	n = len > 0 ? utf8_cut(data, (size_t)len, outlen - 1) : 0;
	if (n > 0)
		memcpy(out, data, n);
	out[n] = '\0';
	rc = 0;
out:
	ERR_clear_error();
	BIO_free(b);
	return rc;
}

int
certinfo_cn_utf8(const X509_NAME *name, char *out, size_t outlen)
{
	const X509_NAME_ENTRY *ne;
	unsigned char *u = NULL;
	int i, n;

	out[0] = '\0';
	if ((i = X509_NAME_get_index_by_NID(name, NID_commonName, -1)) < 0)
		return 0;
	if ((ne = X509_NAME_get_entry(name, i)) == NULL ||
	    (n = ASN1_STRING_to_UTF8(&u, X509_NAME_ENTRY_get_data(ne))) < 0 ||
	    !utf8_valid((const char *)u, (size_t)n)) {
		OPENSSL_free(u);
		ERR_clear_error();
		return -1;
	}
	/* Controls become '?'; cut on a character boundary. */
	utf8_sanitize((const char *)u, (size_t)n, out, outlen);
	OPENSSL_free(u);
	return 1;
}

int
certinfo_parse(const char *pem, size_t len, struct certinfo *ci, char *err,
    size_t errlen)
{
	BIO *b = NULL;
	X509 *x = NULL;
	BIGNUM *bn = NULL;
	char *hex = NULL, *p;
	unsigned char *q;
	int n, rc = -1;

	memset(ci, 0, sizeof(*ci));
	if (len > INT32_MAX || (b = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (x = x509cache_pem_read(b)) == NULL) {
		snprintf(err, errlen, "not a PEM certificate");
		goto out;
	}
	if ((bn = ASN1_INTEGER_to_BN(X509_get0_serialNumber(x), NULL)) == NULL ||
	    (hex = BN_bn2hex(bn)) == NULL || strlen(hex) > CERTINFO_MAX_SERIAL) {
		snprintf(err, errlen, "certificate has a bad serial number");
		goto out;
	}
	for (p = hex; *p != '\0'; p++)
		*p = (char)tolower((unsigned char)*p);
	snprintf(ci->serial, sizeof(ci->serial), "%s", hex);
	if (certinfo_time(X509_get0_notBefore(x), &ci->not_before) < 0 ||
	    certinfo_time(X509_get0_notAfter(x), &ci->not_after) < 0 ||
	    ci->not_after <= ci->not_before) {
		snprintf(err, errlen, "certificate has bad validity dates");
		goto out;
	}
	if (certinfo_name_utf8(X509_get_issuer_name(x), ci->issuer,
	    sizeof(ci->issuer)) < 0) {
		snprintf(err, errlen, "certificate issuer name is not valid "
		    "UTF-8 once decoded (a malformed BMPString, UniversalString "
		    "or UTF8String)");
		goto out;
	}
	/* The SubjectPublicKeyInfo as the certificate holds it: i2d_PUBKEY
	 * of the decoded key would run OpenSSL 3's encoder, twice */
	if ((n = i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), NULL)) <= 0 ||
	    (ci->spki = malloc((size_t)n)) == NULL) {
		snprintf(err, errlen, "certificate public key does not encode");
		goto out;
	}
	q = ci->spki;
	ci->spkilen = (size_t)i2d_X509_PUBKEY(X509_get_X509_PUBKEY(x), &q);
	if (certinfo_sans(x, ci, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	if (rc < 0)
		certinfo_free(ci);
	ERR_clear_error();
	OPENSSL_free(hex);
	BN_free(bn);
	X509_free(x);
	BIO_free(b);
	return rc;
}

void
certinfo_free(struct certinfo *ci)
{
	size_t i;

	for (i = 0; i < ci->nsans; i++)
		free(ci->sans[i]);
	free(ci->sans);
	free(ci->spki);
	memset(ci, 0, sizeof(*ci));
}

int
certinfo_key_matches(const struct certinfo *ci, const unsigned char *spki,
    size_t spkilen)
{
	return ci->spki != NULL && ci->spkilen == spkilen &&
	    memcmp(ci->spki, spki, spkilen) == 0;
}

int
certinfo_sans_equal(const struct certinfo *ci, char *const *names, size_t n)
{
	size_t i;

	if (ci->nsans != n)
		return 0;
	for (i = 0; i < n; i++)
		if (strcmp(ci->sans[i], names[i]) != 0)
			return 0;
	return 1;
}
