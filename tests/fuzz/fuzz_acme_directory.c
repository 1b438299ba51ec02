/* fuzz_acme_directory.c -- libFuzzer target: the engine's check of a CA's directory (acme_directory_parse). */
#include <stddef.h>
#include <stdint.h>

#include "acme_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[256];
	json_t *d;

	if ((d = acme_directory_parse((const char *)data, size, err,
	    sizeof(err))) != NULL) {
		if (acme_json_url(d, "newOrder") == NULL)
			__builtin_trap();
		json_decref(d);
	}
	return 0;
}
