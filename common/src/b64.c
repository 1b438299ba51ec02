/* b64.c -- base64url without padding: strict decoder, allocation-returning encoder. */
#include "b64.h"

#include <stdint.h>
#include <stdlib.h>

static const char b64url_alphabet[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/* Value of c in the alphabet, or -1. */
static int
b64url_value(unsigned char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '-')
		return 62;
	if (c == '_')
		return 63;
	return -1;
}

size_t
b64url_encoded_len(size_t len)
{
	return len / 3 * 4 + (len % 3 == 0 ? 0 : len % 3 + 1);
}

char *
b64url_encode(const void *in, size_t len)
{
	const unsigned char *p = in;
	char *out, *o;
	size_t i;
	uint32_t v;

	if (len > (SIZE_MAX - 1) / 4 * 3)
		return NULL;
	if ((out = malloc(b64url_encoded_len(len) + 1)) == NULL)
		return NULL;
	o = out;
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
		*o++ = b64url_alphabet[v >> 18 & 63];
		*o++ = b64url_alphabet[v >> 12 & 63];
		*o++ = b64url_alphabet[v >> 6 & 63];
		*o++ = b64url_alphabet[v & 63];
	}
	if (len - i == 1) {
		v = (uint32_t)p[i] << 16;
		*o++ = b64url_alphabet[v >> 18 & 63];
		*o++ = b64url_alphabet[v >> 12 & 63];
	} else if (len - i == 2) {
		v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
		*o++ = b64url_alphabet[v >> 18 & 63];
		*o++ = b64url_alphabet[v >> 12 & 63];
		*o++ = b64url_alphabet[v >> 6 & 63];
	}
	*o = '\0';
	return out;
}

unsigned char *
b64url_decode(const char *in, size_t inlen, size_t *outlen)
{
	unsigned char *out = NULL, *o;
	size_t i;
	uint32_t v = 0;
	int bits = 0, c;

	if (inlen % 4 == 1)
		return NULL;	/* no byte count encodes to 4n+1 characters */
	if ((out = malloc(inlen / 4 * 3 + 3)) == NULL)
		return NULL;
	o = out;
	for (i = 0; i < inlen; i++) {
		if ((c = b64url_value((unsigned char)in[i])) < 0)
			goto fail;
		v = v << 6 | (uint32_t)c;
		bits += 6;
		if (bits >= 8) {
			bits -= 8;
			*o++ = (unsigned char)(v >> bits & 0xff);
		}
	}
	/* Leftover bits must be zero, or two encodings would decode alike. */
	if ((v & ((1u << bits) - 1)) != 0)
		goto fail;
	*o = '\0';
	*outlen = (size_t)(o - out);
	return out;
fail:
	free(out);
	return NULL;
}

int
b64url_charset_ok(const char *s, size_t len)
{
	size_t i;

	if (len == 0)
		return 0;
	for (i = 0; i < len; i++)
		if (b64url_value((unsigned char)s[i]) < 0)
			return 0;
	return 1;
}
