/* certinfo.h -- what the coordinator reads from an issued X.509 certificate: serial, validity, issuer, SANs, key. */
#ifndef CERTFLEET_COORD_CERTINFO_H
#define CERTFLEET_COORD_CERTINFO_H

#include <stddef.h>
#include <time.h>

#define CERTINFO_MAX_SERIAL 64	/* hex digits; RFC 5280 allows 20 octets */
#define CERTINFO_MAX_ISSUER 512
#define CERTINFO_MAX_SANS 1000

struct certinfo {
	char		 serial[CERTINFO_MAX_SERIAL + 1];	/* lower-case hex */
	time_t		 not_before;
	time_t		 not_after;
	char		 issuer[CERTINFO_MAX_ISSUER + 1];	/* RFC 2253 */
	char		**sans;		/* dNSNames, lower case, sorted, unique */
	size_t		 nsans;
	unsigned char	*spki;		/* DER SubjectPublicKeyInfo */
	size_t		 spkilen;
};

/* Parses the first CERTIFICATE block of pem[0..len) into ci. Returns 0, or
 * -1 with a message in err (ci then holds nothing to free). */
int certinfo_parse(const char *pem, size_t len, struct certinfo *ci,
    char *err, size_t errlen);
void certinfo_free(struct certinfo *ci);

/* Returns 1 when the certificate's public key is the one whose DER
 * SubjectPublicKeyInfo is spki[0..spkilen), else 0. */
int certinfo_key_matches(const struct certinfo *ci, const unsigned char *spki,
    size_t spkilen);

/* Returns 1 when the SANs are exactly names[0..n) (sorted, unique), else 0. */
int certinfo_sans_equal(const struct certinfo *ci, char *const *names,
    size_t n);

#endif
