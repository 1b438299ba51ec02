/* fuzz_pem.c -- libFuzzer target: PEM parsing and chain splitting of arbitrary text (a CA's answer). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "pem.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *pem = (const char *)data;
	char err[256], *leaf, *rest;
	unsigned char *der;
	size_t n;
	int count;

	if ((der = pem_to_der(pem, size, "CERTIFICATE", &n, err, sizeof(err))) != NULL)
		free(der);
	count = pem_chain_count(pem, size, err, sizeof(err));
	if (pem_chain_split(pem, size, &leaf, &rest, err, sizeof(err)) == 0) {
		if (count < 1)	/* split and count must agree */
			abort();
		free(leaf);
		free(rest);
	}
	return 0;
}
