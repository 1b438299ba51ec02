/* acme_certid.c -- ACME Renewal Information (RFC 9773) without a CA: a certificate's CertID, the renewal moment in a window. */
/*
 * Apart from the engine (acme_ari.c) so that a program which only computes
 * CertIDs, as the coordinator does, links no libcurl: certfleet_acme_offline.
 */
#include "acme.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/asn1.h>
#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "b64.h"
#include "x509lite.h"

#define ARI_AKI_MAX	64	/* keyIdentifier bytes accepted */
#define ARI_SERIAL_MAX	64	/* serial content bytes accepted */

int
acme_ari_certid_raw(const unsigned char *aki, size_t akilen,
    const unsigned char *serial, size_t seriallen, char *out, size_t outlen)
{
	char *a = NULL, *s = NULL;
	int rc = -1;

	if (aki == NULL || serial == NULL || akilen == 0 || seriallen == 0 ||
	    akilen > ARI_AKI_MAX || seriallen > ARI_SERIAL_MAX)
		return -1;
	if ((a = b64url_encode(aki, akilen)) == NULL ||
	    (s = b64url_encode(serial, seriallen)) == NULL)
		goto out;
	if (strlen(a) + 1 + strlen(s) + 1 > outlen)
		goto out;
	snprintf(out, outlen, "%s.%s", a, s);
	rc = 0;
out:
	free(a);
	free(s);
	return rc;
}

int
acme_ari_certid_x509(const X509 *x, char *out, size_t outlen, char *err,
    size_t errlen)
{
	AUTHORITY_KEYID *akid = NULL;
	unsigned char *der = NULL;
	const unsigned char *content;
	size_t hdr;
	int n, rc = -1;

	akid = X509_get_ext_d2i(x, NID_authority_key_identifier, NULL, NULL);
	if (akid == NULL || akid->keyid == NULL ||
	    ASN1_STRING_length(akid->keyid) <= 0) {
		snprintf(err, errlen, "certid: certificate has no Authority Key "
		    "Identifier keyIdentifier");
		goto out;
	}
	/* The serial's DER INTEGER without its tag and length octets. */
	if ((n = i2d_ASN1_INTEGER(X509_get0_serialNumber(x), &der)) < 3) {
		snprintf(err, errlen, "certid: serial does not encode");
		goto out;
	}
	hdr = der[1] < 0x80 ? 2 : 2 + (size_t)(der[1] & 0x7f);
	if (hdr >= (size_t)n) {
		snprintf(err, errlen, "certid: serial does not encode");
		goto out;
	}
	content = der + hdr;
	if (acme_ari_certid_raw(ASN1_STRING_get0_data(akid->keyid),
	    (size_t)ASN1_STRING_length(akid->keyid), content, (size_t)n - hdr,
	    out, outlen) < 0) {
		snprintf(err, errlen, "certid: identifier or serial too long");
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	OPENSSL_free(der);
	AUTHORITY_KEYID_free(akid);
	return rc;
}

int
acme_ari_certid_pem(const char *pem, size_t len, char *out, size_t outlen,
    char *err, size_t errlen)
{
	BIO *bio = NULL;
	X509 *x = NULL;
	int rc = -1;

	if (pem == NULL || len == 0 || len > ACME_CERT_MAX ||
	    (bio = BIO_new_mem_buf(pem, (int)len)) == NULL ||
	    (x = x509lite_pem_read(bio)) == NULL) {	/* no key needed */
		snprintf(err, errlen, "certid: no certificate in PEM");
		goto out;
	}
	rc = acme_ari_certid_x509(x, out, outlen, err, errlen);
out:
	ERR_clear_error();
	X509_free(x);
	BIO_free(bio);
	return rc;
}

time_t
acme_ari_pick(time_t start, time_t end, double r)
{
	if (end <= start)
		return start;
	if (!(r >= 0.0) || r >= 1.0)
		r = 0.0;
	return start + (time_t)((double)(end - start) * r);
}
