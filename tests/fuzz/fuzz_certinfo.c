/* fuzz_certinfo.c -- libFuzzer target: a CA's certificate (DER) read by the coordinator: certinfo_parse and the chain's issuer CN, always UTF-8 PostgreSQL takes. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "certinfo.h"
#include "chains.h"
#include "pem.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct certinfo ci;
	char err[256], cn[CHAINS_ISSUER_MAX + 1], *pem;
	size_t i;

	if ((pem = der_to_pem(data, size, "CERTIFICATE")) == NULL)
		return 0;
	if (certinfo_parse(pem, strlen(pem), &ci, err, sizeof(err)) == 0) {
		if (!utf8_valid(ci.issuer, strlen(ci.issuer)))
			__builtin_trap();
		for (i = 0; i < ci.nsans; i++)
			if (!utf8_valid(ci.sans[i], strlen(ci.sans[i])))
				__builtin_trap();
		certinfo_free(&ci);
	}
	if (chains_top_issuer(pem, "", cn, sizeof(cn)) == 0 &&
	    !utf8_valid(cn, strlen(cn)))
		__builtin_trap();
	free(pem);
	return 0;
}
