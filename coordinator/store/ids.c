/* ids.c -- row/job ids (UUID v7: the time in ms, then random bits from OpenSSL's CSPRNG) and random hex trace ids. */
#include "ids.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <openssl/rand.h>

void
ids_hex(const unsigned char *b, size_t n, char *out)
{
	static const char hex[] = "0123456789abcdef";
	size_t i;

	for (i = 0; i < n; i++) {
		out[2 * i] = hex[b[i] >> 4];
		out[2 * i + 1] = hex[b[i] & 0x0f];
	}
	out[2 * n] = '\0';
}

int
ids_new(char out[IDS_LEN + 1])
{
	struct timespec ts;
	unsigned char b[16];
	char h[33];
	uint64_t ms;
	int i;

	if (RAND_bytes(b, sizeof(b)) != 1 ||
	    clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return -1;
	/* RFC 9562 version 7: 48 bits of Unix time in ms, big-endian, first */
	ms = (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
	for (i = 5; i >= 0; i--, ms >>= 8)
		b[i] = (unsigned char)(ms & 0xff);
	b[6] = (unsigned char)((b[6] & 0x0f) | 0x70);
	b[8] = (unsigned char)((b[8] & 0x3f) | 0x80);
	ids_hex(b, sizeof(b), h);
	snprintf(out, IDS_LEN + 1, "%.8s-%.4s-%.4s-%.4s-%.12s", h, h + 8,
	    h + 12, h + 16, h + 20);
	return 0;
}

int
ids_trace(char out[IDS_TRACE_LEN + 1])
{
	unsigned char b[IDS_TRACE_LEN / 2];

	if (RAND_bytes(b, sizeof(b)) != 1)
		return -1;
	ids_hex(b, sizeof(b), out);
	return 0;
}

int
ids_valid(const char *s)
{
	size_t i;

	if (s == NULL || strnlen(s, IDS_LEN + 1) != IDS_LEN)
		return 0;
	for (i = 0; i < IDS_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return 0;
		} else if (!((s[i] >= '0' && s[i] <= '9') ||
		    (s[i] >= 'a' && s[i] <= 'f')))
			return 0;
	}
	return 1;
}
