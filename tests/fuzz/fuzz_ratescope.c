/* fuzz_ratescope.c -- libFuzzer target: ratescope_parse on arbitrary bytes (a CA's rate-limit detail); a scope naming a domain or a name must carry a clean, lower-case host name, the others none. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ratescope.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct ratescope sc;
	size_t i, n;

	switch (ratescope_parse((const char *)data, size, &sc)) {
	case RATESCOPE_DOMAIN:
	case RATESCOPE_NAME:
		n = strlen(sc.name);
		if (n == 0 || n > HOSTNAME_MAX || strchr(sc.name, '.') == NULL)
			abort();
		for (i = 0; i < n; i++)
			if (!((sc.name[i] >= 'a' && sc.name[i] <= 'z') ||
			    (sc.name[i] >= '0' && sc.name[i] <= '9') ||
			    sc.name[i] == '-' || sc.name[i] == '.' ||
			    (i == 0 && sc.name[i] == '*')))
				abort();
		break;
	case RATESCOPE_NONE:
	case RATESCOPE_ACCOUNT:
	case RATESCOPE_SET:
		if (sc.name[0] != '\0')
			abort();
		break;
	default:
		abort();
	}
	return 0;
}
