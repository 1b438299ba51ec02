/* fuzz_edge_path.c -- libFuzzer target: edgepath_route on arbitrary config.json paths; a name it accepts must be a clean host name taken from the input. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edgepath.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *path = (const char *)data;
	char name[HOSTNAME_MAX + 1];
	size_t n, i;

	switch (edgepath_route(path, size, name)) {
	case EDGEPATH_CONFIG:
		/* "domain/" + name + "/config.json", the name lower-case LDH
		 * with dots (and a leading "*."), within bounds */
		n = strlen(name);
		if (n == 0 || n > HOSTNAME_MAX || size < n + 19 ||
		    memcmp(path, "domain/", 7) != 0 ||
		    memcmp(path + size - 12, "/config.json", 12) != 0)
			abort();
		for (i = 0; i < n; i++)
			if (!((name[i] >= 'a' && name[i] <= 'z') ||
			    (name[i] >= '0' && name[i] <= '9') ||
			    name[i] == '-' || name[i] == '.' ||
			    (name[i] == '*' && i == 0 && name[1] == '.')))
				abort();
		break;
	case EDGEPATH_BAD_NAME:
	case EDGEPATH_NOT_FOUND:
		if (name[0] != '\0')
			abort();
		break;
	default:
		abort();
	}
	return 0;
}
