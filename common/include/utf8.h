/* utf8.h -- UTF-8 checks and sanitising of text that crosses into events and PostgreSQL: strict validation, cuts on character boundaries. */
#ifndef CERTFLEET_UTF8_H
#define CERTFLEET_UTF8_H

#include <stddef.h>

/*
 * "Valid" is RFC 3629: no overlong forms, no surrogates (U+D800-DFFF),
 * nothing above U+10FFFF, and no NUL byte (PostgreSQL's text type refuses
 * it, and C strings cannot carry it). Everything here is pure: no
 * allocation, no locale.
 */

/* The replacement character U+FFFD, as UTF-8. */
#define UTF8_REPLACEMENT "\xef\xbf\xbd"

/* Returns 1 when s[0..len) is valid UTF-8 (see above), else 0. */
int utf8_valid(const char *s, size_t len);

/*
 * The longest prefix of s[0..len) of at most max bytes that does not end
 * inside a character: its length. For valid UTF-8 the cut loses only the
 * character that straddles max; on invalid input every byte that does not
 * begin a valid sequence counts as a character of its own.
 */
size_t utf8_cut(const char *s, size_t len, size_t max);

/*
 * Copies s[0..len) into out[0..outsz) as valid UTF-8 on one line: each
 * byte that does not begin a valid sequence becomes U+FFFD, C0 and C1
 * control characters and DEL become '?', and the copy stops before the
 * first character that would not fit whole (outsz - 1 bytes at most, then
 * a NUL). Returns the bytes written, without the NUL. outsz must be >= 1.
 */
size_t utf8_sanitize(const char *s, size_t len, char *out, size_t outsz);

#endif
