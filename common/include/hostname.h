/* hostname.h -- validation and normalization of the DNS names a certificate may carry. */
#ifndef CERTFLEET_HOSTNAME_H
#define CERTFLEET_HOSTNAME_H

#include <stddef.h>

/* Longest name accepted, in A-label form without the trailing dot. */
#define HOSTNAME_MAX 253
#define HOSTNAME_LABEL_MAX 63

/* Validates in and writes its normal form to out (HOSTNAME_MAX + 1 bytes):
 * lower case, U-labels converted to A-labels (IDNA2008, non-transitional,
 * libidn2), one trailing dot removed. Rules: at least two labels; labels of
 * 1-63 letters, digits and hyphens, not starting or ending with a hyphen;
 * "xn--" labels must be valid IDNA, other labels may not have "--" at 3-4;
 * the last label is not all digits (no IP addresses); a wildcard is only a
 * whole leftmost "*" label; the name (after "*.", for a wildcard) is not a
 * public suffix. Returns 0, or -1 with the reason in err (the reason does not
 * repeat the name: callers add it). */
int hostname_normalize(const char *in, char *out, char *err, size_t errlen);

/* Returns 1 when the normalized name starts with "*.", else 0. */
int hostname_is_wildcard(const char *name);

/* Writes the registered domain (public suffix + 1 label, libpsl) of a
 * normalized name to out. For "*.a.example.com" that is "example.com".
 * Returns 0, or -1 when the name has none or out is too small. */
int hostname_registered_domain(const char *name, char *out, size_t outlen);

/* Sorts names[0..n) and drops duplicates in place, freeing them (the array
 * owns its strings). Returns the new count. O(n log n). */
size_t hostname_set_unique(char **names, size_t n);

#endif
