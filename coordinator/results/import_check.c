/* import_check.c -- validates a certificate to import: its PEM blocks, the chain's signatures, its dates, names and key; pure (fuzzed by fuzz_import). */
#include "import.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

/* What a PEM block's label may be called in a message: [A-Z0-9 ], short. */
static const char *
import_label(const char *name, char *out, size_t outlen)
{
	size_t i;

	for (i = 0; name[i] != '\0' && i + 1 < outlen && i < 40; i++) {
		if (!((name[i] >= 'A' && name[i] <= 'Z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == ' '))
			return "non-certificate";
		out[i] = name[i];
	}
	out[i] = '\0';
	return name[i] == '\0' ? out : "non-certificate";
}

/* Appends every block of pem[0..len) to sk, each of which must be an X.509
 * certificate, at most max of them; what names the field. 0 or -1. */
static int
import_certs(const char *pem, size_t len, const char *what, int max,
    STACK_OF(X509) *sk, char *err, size_t errlen)
{
	char *name = NULL, *header = NULL, label[48];
	unsigned char *data = NULL;
	const unsigned char *q;
	unsigned long e;
	long dlen;
	BIO *b;
	X509 *x;
	int n = 0, rc = -1;

	if ((b = BIO_new_mem_buf(pem, (int)len)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	while (PEM_read_bio(b, &name, &header, &data, &dlen) == 1) {
		if (strcmp(name, "CERTIFICATE") != 0) {
			snprintf(err, errlen, "%s holds a %s block; only "
			    "CERTIFICATE blocks belong there", what,
			    import_label(name, label, sizeof(label)));
			goto out;
		}
		q = data;
		if ((x = d2i_X509(NULL, &q, dlen)) == NULL || q != data + dlen) {
			X509_free(x);
			snprintf(err, errlen, "%s: certificate %d is not X.509",
			    what, n + 1);
			goto out;
		}
		if (++n > max || sk_X509_push(sk, x) <= 0) {
			X509_free(x);
			snprintf(err, errlen, "%s holds more than %d certificates",
			    what, max);
			goto out;
		}
		OPENSSL_free(name);
		OPENSSL_free(header);
		OPENSSL_free(data);
		name = header = NULL;
		data = NULL;
	}
	e = ERR_peek_last_error();
	if (ERR_GET_LIB(e) != ERR_LIB_PEM ||
	    ERR_GET_REASON(e) != PEM_R_NO_START_LINE) {
		snprintf(err, errlen, "%s is not well-formed PEM", what);
		goto out;
	}
	rc = 0;
out:
	ERR_clear_error();
	OPENSSL_free(name);
	OPENSSL_free(header);
	OPENSSL_free(data);
	BIO_free(b);
	return rc;
}

/* certs[from..to) as one PEM text, malloc'd ("" when none); NULL on
 * failure. */
static char *
import_pem(STACK_OF(X509) *certs, int from, int to)
{
	BIO *b;
	char *p, *out = NULL;
	long n;
	int i;

	if ((b = BIO_new(BIO_s_mem())) == NULL)
		return NULL;
	for (i = from; i < to; i++)
		if (PEM_write_bio_X509(b, sk_X509_value(certs, i)) != 1)
			goto out;
	n = BIO_get_mem_data(b, &p);
	if (n >= 0 && (out = malloc((size_t)n + 1)) != NULL) {
		if (n > 0)
			memcpy(out, p, (size_t)n);
		out[n] = '\0';
	}
out:
	BIO_free(b);
	return out;
}

/* Each certificate of certs[1..] issued and signed the one before it. */
static int
import_chain_fits(STACK_OF(X509) *certs, char *err, size_t errlen)
{
	X509 *child, *parent;
	int i;

	for (i = 1; i < sk_X509_num(certs); i++) {
		child = sk_X509_value(certs, i - 1);
		parent = sk_X509_value(certs, i);
		if (X509_check_issued(parent, child) != X509_V_OK ||
		    X509_verify(child, X509_get0_pubkey(parent)) != 1) {
			ERR_clear_error();
			snprintf(err, errlen, "the chain does not fit: its "
			    "certificate %d did not issue %s", i, i == 1 ?
			    "the certificate" : "the one before it");
			return -1;
		}
	}
	return 0;
}

/* The private key: read, of a kept type, the leaf's. 0 or -1. */
static int
import_key(const char *key, size_t keylen, X509 *leaf, struct import_cert *ic,
    char *err, size_t errlen)
{
	char why[256];

	if (keylen == 0) {
		snprintf(err, errlen, "private_key is empty");
		return -1;
	}
	/* "BEGIN ENCRYPTED PRIVATE KEY" or an old "Proc-Type: 4,ENCRYPTED" */
	if (strstr(key, "ENCRYPTED") != NULL) {
		snprintf(err, errlen, "private_key is encrypted; give it "
		    "decrypted (openssl pkey -in KEY -out PLAIN)");
		return -1;
	}
	if ((ic->key = keys_from_pem(key, keylen, why, sizeof(why))) == NULL) {
		snprintf(err, errlen, "private_key holds no PEM private key");
		return -1;
	}
	if (keys_type_of(ic->key, &ic->key_type, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "private_key is %s", why);
		return -1;
	}
	if (EVP_PKEY_eq(ic->key, X509_get0_pubkey(leaf)) != 1) {
		ERR_clear_error();
		snprintf(err, errlen, "the private key does not match the "
		    "certificate (their public keys differ)");
		return -1;
	}
	return 0;
}

/* The leaf's dates against now. 0 or -1. */
static int
import_dates(const struct certinfo *ci, time_t now, char *err, size_t errlen)
{
	char when[32];
	struct tm tm;

	if (ci->not_after <= now) {
		gmtime_r(&ci->not_after, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(err, errlen, "the certificate expired at %s", when);
		return -1;
	}
	if (ci->not_before > now + IMPORT_SKEW_S) {
		gmtime_r(&ci->not_before, &tm);
		strftime(when, sizeof(when), "%Y-%m-%dT%H:%M:%SZ", &tm);
		snprintf(err, errlen, "the certificate is not valid before %s",
		    when);
		return -1;
	}
	return 0;
}

int
import_check(const char *cert, size_t certlen, const char *chain,
    size_t chainlen, const char *key, size_t keylen, time_t now,
    struct import_cert *ic, char *err, size_t errlen)
{
	STACK_OF(X509) *certs;
	char why[256];
	int rc = -1;

	memset(ic, 0, sizeof(*ic));
	if ((certs = sk_X509_new_null()) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (certlen > IMPORT_PEM_MAX || chainlen > IMPORT_PEM_MAX ||
	    keylen > IMPORT_PEM_MAX) {
		snprintf(err, errlen, "certificate, chain and private_key are "
		    "each at most %d bytes", IMPORT_PEM_MAX);
		goto out;
	}
	if (import_certs(cert, certlen, "certificate", IMPORT_CHAIN_MAX + 1,
	    certs, err, errlen) < 0)
		goto out;
	if (sk_X509_num(certs) == 0) {
		snprintf(err, errlen, "certificate holds no PEM certificate");
		goto out;
	}
	if (chainlen > 0 && sk_X509_num(certs) > 1) {
		snprintf(err, errlen, "the chain is given twice: certificate "
		    "holds %d certificates and chain is set too",
		    sk_X509_num(certs));
		goto out;
	}
	if (chainlen > 0 && import_certs(chain, chainlen, "chain",
	    IMPORT_CHAIN_MAX, certs, err, errlen) < 0)
		goto out;
	if ((ic->leaf = import_pem(certs, 0, 1)) == NULL ||
	    (ic->chain = import_pem(certs, 1, sk_X509_num(certs))) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	ic->nchain = (size_t)sk_X509_num(certs) - 1;
	if (certinfo_parse(ic->leaf, strlen(ic->leaf), &ic->ci, why,
	    sizeof(why)) < 0) {
		snprintf(err, errlen, "the certificate: %s", why);
		goto out;
	}
	if (ic->ci.nsans == 0) {
		snprintf(err, errlen, "the certificate names no DNS name in its "
		    "subjectAltName");
		goto out;
	}
	if (import_dates(&ic->ci, now, err, errlen) < 0 ||
	    import_chain_fits(certs, err, errlen) < 0 ||
	    import_key(key, keylen, sk_X509_value(certs, 0), ic, err,
	    errlen) < 0)
		goto out;
	rc = 0;
out:
	sk_X509_pop_free(certs, X509_free);
	if (rc < 0)
		import_cert_free(ic);
	return rc;
}

void
import_cert_free(struct import_cert *ic)
{
	certinfo_free(&ic->ci);
	free(ic->leaf);
	free(ic->chain);
	EVP_PKEY_free(ic->key);
	memset(ic, 0, sizeof(*ic));
}
