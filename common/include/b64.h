/* b64.h -- base64url without padding (RFC 4648 section 5), as JWS and ACME use it. */
#ifndef CERTFLEET_B64_H
#define CERTFLEET_B64_H

#include <stddef.h>

/* Length of the encoding of len bytes, without the terminating NUL. */
size_t b64url_encoded_len(size_t len);

/* Encodes len bytes of in. Returns a malloc'd NUL-terminated string the
 * caller frees, or NULL when memory runs out. in may be NULL when len is 0. */
char *b64url_encode(const void *in, size_t len);

/* Decodes inlen characters of in, strictly: only [A-Za-z0-9_-], no padding,
 * no whitespace, and the unused low bits of the last character must be zero.
 * Returns a malloc'd buffer (NUL-terminated for convenience; *outlen excludes
 * the NUL) the caller frees, or NULL on invalid input or no memory. */
unsigned char *b64url_decode(const char *in, size_t inlen, size_t *outlen);

/* Returns 1 when s[0..len) is non-empty and only [A-Za-z0-9_-], else 0.
 * This is the ACME token charset (RFC 8555 section 8.1). */
int b64url_charset_ok(const char *s, size_t len);

#endif
