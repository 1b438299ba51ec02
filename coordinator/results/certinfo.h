/* certinfo.h -- what the coordinator reads from an issued X.509 certificate: serial, validity, issuer, SANs, key. */
#ifndef CERTFLEET_COORD_CERTINFO_H
#define CERTFLEET_COORD_CERTINFO_H

#include <stddef.h>
#include <time.h>

#include <openssl/x509.h>

#define CERTINFO_MAX_SERIAL 64	/* hex digits; RFC 5280 allows 20 octets */
#define CERTINFO_MAX_ISSUER 512
#define CERTINFO_MAX_SANS 1000

struct certinfo {
	char		 serial[CERTINFO_MAX_SERIAL + 1];	/* lower-case hex */
	time_t		 not_before;
	time_t		 not_after;
	char		 issuer[CERTINFO_MAX_ISSUER + 1];	/* RFC 4514, UTF-8 */
	char		**sans;		/* dNSNames, lower case, sorted, unique */
	size_t		 nsans;
	unsigned char	*spki;		/* DER SubjectPublicKeyInfo */
	size_t		 spkilen;
};

/* Parses the first CERTIFICATE block of pem[0..len) into ci. Returns 0, or
 * -1 with a message in err (ci then holds nothing to free), also when the
 * issuer name is refused by certinfo_name_utf8. */
int certinfo_parse(const char *pem, size_t len, struct certinfo *ci,
    char *err, size_t errlen);
void certinfo_free(struct certinfo *ci);

/*
 * name as an RFC 4514 string in UTF-8 (X509_NAME_print_ex with
 * XN_FLAG_RFC2253 & ~ASN1_STRFLGS_ESC_MSB: a T61String read as Latin-1,
 * BMPString and UniversalString converted, special characters and controls
 * escaped), cut on a character boundary to at most outlen - 1 bytes
 * (outlen >= 1). Returns 0, or -1 with out "" when it does not print or
 * does not come out as valid UTF-8 (utf8.h: a malformed BMPString, a
 * UTF8String with invalid bytes, a surrogate): refused, never stored.
 */
int certinfo_name_utf8(const X509_NAME *name, char *out, size_t outlen);

/* The first CN of name in UTF-8 (ASN1_STRING_to_UTF8, as above), control
 * characters made '?', cut on a character boundary to at most outlen - 1
 * bytes. Returns 1, 0 when name has no CN, -1 when it does not convert to
 * valid UTF-8; out is "" but for 1. */
int certinfo_cn_utf8(const X509_NAME *name, char *out, size_t outlen);

/* Returns 1 when the certificate's public key is the one whose DER
 * SubjectPublicKeyInfo is spki[0..spkilen), else 0. */
int certinfo_key_matches(const struct certinfo *ci, const unsigned char *spki,
    size_t spkilen);

/* Returns 1 when the SANs are exactly names[0..n) (sorted, unique), else 0. */
int certinfo_sans_equal(const struct certinfo *ci, char *const *names,
    size_t n);

#endif
