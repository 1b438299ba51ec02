/* utf8.c -- strict UTF-8 decoding (RFC 3629), cuts on character boundaries, and sanitised copies for events and the database. */
#include "utf8.h"

#include <string.h>

/* Length of the valid sequence starting at s[0..len), or 0 when none does
 * (a NUL, a stray continuation byte, an overlong form, a surrogate, a code
 * point above U+10FFFF, or a truncated sequence). *cp gets the code point. */
static size_t
utf8_seq(const unsigned char *s, size_t len, unsigned long *cp)
{
	unsigned long c;
	size_t n, i;

	if (len == 0 || s[0] == 0)
		return 0;
	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] >= 0xc2 && s[0] <= 0xdf) {
		n = 2;
		c = s[0] & 0x1f;
	} else if (s[0] >= 0xe0 && s[0] <= 0xef) {
		n = 3;
		c = s[0] & 0x0f;
	} else if (s[0] >= 0xf0 && s[0] <= 0xf4) {
		n = 4;
		c = s[0] & 0x07;
	} else
		return 0;	/* 0x80-0xc1 (stray or overlong), 0xf5-0xff */
	if (len < n)
		return 0;
	for (i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		c = (c << 6) | (s[i] & 0x3f);
	}
	if ((n == 3 && c < 0x800) || (n == 4 && c < 0x10000) ||
	    c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

int
utf8_valid(const char *s, size_t len)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long cp;
	size_t i = 0, n;

	while (i < len) {
		if ((n = utf8_seq(p + i, len - i, &cp)) == 0)
			return 0;
		i += n;
	}
	return 1;
}

size_t
utf8_cut(const char *s, size_t len, size_t max)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long cp;
	size_t i = 0, n;

	if (len <= max && utf8_valid(s, len))
		return len;
	while (i < len) {
		if ((n = utf8_seq(p + i, len - i, &cp)) == 0)
			n = 1;
		if (i + n > max)
			break;
		i += n;
	}
	return i;
}

size_t
utf8_sanitize(const char *s, size_t len, char *out, size_t outsz)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned long cp;
	size_t i = 0, o = 0, n;

	while (i < len) {
		if ((n = utf8_seq(p + i, len - i, &cp)) == 0) {
			/* one bad byte becomes one replacement character */
			if (o + 3 > outsz - 1)
				break;
			memcpy(out + o, UTF8_REPLACEMENT, 3);
			o += 3;
			i++;
			continue;
		}
		if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f)) {
			if (o + 1 > outsz - 1)
				break;
			out[o++] = '?';
		} else {
			if (o + n > outsz - 1)
				break;
			memcpy(out + o, s + i, n);
			o += n;
		}
		i += n;
	}
	out[o] = '\0';
	return o;
}
