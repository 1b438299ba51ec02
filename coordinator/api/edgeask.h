/* edgeask.h -- the bodies edges send to ask for on-demand certificates (certfleet's edge: names one per line; peter_sslers' autocert: a domain_name form field), checked before anything else sees them. */
#ifndef CERTFLEET_COORD_EDGEASK_H
#define CERTFLEET_COORD_EDGEASK_H

#include <stddef.h>

#include "hostname.h"

#define EDGEASK_MAX_NAMES	256	/* names in one ask; more is a 413 */

/* The names of one ask: normalized (hostname_normalize), never wildcards,
 * sorted and unique. */
struct edgeask {
	char	*names[EDGEASK_MAX_NAMES];
	size_t	 n;
	size_t	 invalid;	/* lines that were not a host name (skipped) */
};

/* What a parser says about a body. */
enum edgeask_status {
	EDGEASK_OK,		/* a->names holds 0 or more names */
	EDGEASK_TOO_MANY,	/* more than EDGEASK_MAX_NAMES lines */
	EDGEASK_NOMEM,
};

/* Reads body[0..len) (untrusted; may hold NULs): host names separated by
 * "\n" (a "\r" before it is dropped; empty lines are skipped). A line that
 * is not a host name (bad bytes, a wildcard, longer than HOSTNAME_MAX) is
 * counted in a->invalid and skipped: one bad name does not refuse the
 * others. On EDGEASK_OK free a with edgeask_free; on any other answer a is
 * empty. */
enum edgeask_status edgeask_lines(const char *body, size_t len,
    struct edgeask *a);

/* Reads peter_sslers' autocert form (untrusted; may hold NULs): fields
 * "k=v" separated by '&', of which "domain_name" must appear exactly once,
 * percent-encoding decoded in its value ('+' is a space, which no host name
 * holds), other fields ignored. Writes the normalized name (HOSTNAME_MAX +
 * 1 bytes) to out and returns 0; returns -1 with a message for the edge in
 * err when the field is missing, repeated or not a host name (wildcards
 * included). */
int edgeask_form(const char *body, size_t len, char *out, char *err,
    size_t errlen);

void edgeask_free(struct edgeask *a);

#endif
