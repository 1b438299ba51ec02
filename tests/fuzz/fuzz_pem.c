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
	int count, split;

	if ((der = pem_to_der(pem, size, "CERTIFICATE", &n, err, sizeof(err))) != NULL)
		free(der);
	count = pem_chain_count(pem, size, err, sizeof(err));
	split = pem_chain_split(pem, size, &leaf, &rest, err, sizeof(err));
	/* split and count must agree: the count reads each certificate
	 * without its key (x509lite), the split with it (x509cache), and
	 * both must accept the same bytes */
	if ((split == 0) != (count >= 1))
		abort();
	if (split == 0) {
		free(leaf);
		free(rest);
	}
	return 0;
}
