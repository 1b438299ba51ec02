/* fuzz_b64.c -- libFuzzer target: the strict base64url decoder; whatever it accepts encodes back to the input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	unsigned char *d;
	char *e;
	size_t n;

	if ((d = b64url_decode((const char *)data, size, &n)) == NULL)
		return 0;
	/* Strictness means one encoding per byte string. */
	if ((e = b64url_encode(d, n)) == NULL || strlen(e) != size ||
	    memcmp(e, data, size) != 0)
		abort();
	free(e);
	free(d);
	return 0;
}
