/* fuzz_lifecycle_names.c -- libFuzzer target: the body of a change of name set (lifecycle_names_parse) on arbitrary bytes; whatever it accepts is at least one clean host name, none twice, within the caps. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "hostname.h"
#include "lifecycle.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
fuzz_clean(const char *name)
{
	size_t n = strlen(name);

	if (n == 0 || n > HOSTNAME_MAX || strchr(name, '.') == NULL ||
	    strspn(name, "abcdefghijklmnopqrstuvwxyz0123456789-.*") != n)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct lifecycle_names ln;
	char err[512];
	size_t i, j;

	if (lifecycle_names_parse((const char *)data, size, &ln, err,
	    sizeof(err)) < 0) {
		if (ln.add != NULL || ln.drop != NULL || err[0] == '\0')
			abort();
		return 0;
	}
	if (ln.nadd + ln.ndrop == 0 || ln.nadd > LIFECYCLE_NAMES_MAX ||
	    ln.ndrop > LIFECYCLE_NAMES_MAX)
		abort();
	for (i = 0; i < ln.nadd; i++) {
		fuzz_clean(ln.add[i]);
		for (j = 0; j < ln.ndrop; j++)
			if (strcmp(ln.add[i], ln.drop[j]) == 0)
				abort();
	}
	for (i = 0; i < ln.ndrop; i++)
		fuzz_clean(ln.drop[i]);
	lifecycle_names_free(&ln);
	return 0;
}
