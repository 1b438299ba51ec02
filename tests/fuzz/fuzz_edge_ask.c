/* fuzz_edge_ask.c -- libFuzzer target: the ask bodies of edges (edgeask_lines, edgeask_form) on arbitrary bytes; every name they accept must be a clean, lower-case host name without a wildcard, and the lines' names sorted and unique. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "edgeask.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_clean(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > HOSTNAME_MAX || strchr(name, '.') == NULL)
		abort();
	for (i = 0; i < n; i++)
		if (!((name[i] >= 'a' && name[i] <= 'z') ||
		    (name[i] >= '0' && name[i] <= '9') || name[i] == '-' ||
		    name[i] == '.'))
			abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *body = (const char *)data;
	char name[HOSTNAME_MAX + 1], err[200];
	struct edgeask a;
	size_t i;

	switch (edgeask_lines(body, size, &a)) {
	case EDGEASK_OK:
		if (a.n > EDGEASK_MAX_NAMES)
			abort();
		for (i = 0; i < a.n; i++) {
			fuzz_clean(a.names[i]);
			if (i > 0 && strcmp(a.names[i - 1], a.names[i]) >= 0)
				abort();
		}
		edgeask_free(&a);
		break;
	case EDGEASK_TOO_MANY:
	case EDGEASK_NOMEM:
		if (a.n != 0)
			abort();
		break;
	default:
		abort();
	}
	if (edgeask_form(body, size, name, err, sizeof(err)) == 0)
		fuzz_clean(name);
	else if (name[0] != '\0' || err[0] == '\0')
		abort();
	return 0;
}
