/* fuzz_import.c -- libFuzzer target: what POST /v1/certificates:import takes from a client: import_parse on a JSON body, import_check on PEM certificate, chain and key texts (the input split at NUL bytes). */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* A fixed "now" inside the seeds' validity, so that runs repeat. */
#define FUZZ_NOW ((time_t)1800000000)

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct import_request ir;
	struct import_cert ic;
	char *copy, *part[3], err[512];
	size_t i, k = 1;

	if ((copy = malloc(size + 1)) == NULL)
		return 0;
	memcpy(copy, data, size);
	copy[size] = '\0';
	if (size > 0 && copy[0] == '{') {
		if (import_parse(copy, size, KEYS_EC_P256, FUZZ_NOW, &ir, err,
		    sizeof(err)) == 0) {
			/* what it accepts holds names and a key of a kept type */
			if (ir.er.nnames == 0 || ir.ic.key == NULL)
				abort();
			import_request_free(&ir);
		}
		free(copy);
		return 0;
	}
	/* certificate NUL chain NUL key */
	part[0] = copy;
	part[1] = part[2] = copy + size;
	for (i = 0; i < size && k < 3; i++)
		if (copy[i] == '\0')
			part[k++] = copy + i + 1;
	if (import_check(part[0], strlen(part[0]), part[1], strlen(part[1]),
	    part[2], strlen(part[2]), FUZZ_NOW, &ic, err, sizeof(err)) == 0) {
		if (ic.ci.nsans == 0 || ic.key == NULL || ic.leaf == NULL)
			abort();
		import_cert_free(&ic);
	}
	free(copy);
	return 0;
}
