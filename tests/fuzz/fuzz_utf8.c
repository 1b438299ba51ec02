/* fuzz_utf8.c -- libFuzzer target: utf8_valid, utf8_cut and utf8_sanitize on arbitrary bytes (what a CA or a worker may send). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *s = (const char *)data;
	char out[1025], again[1025];
	size_t max = size > 0 ? data[0] : 0, n, m, c;
	size_t i;

	/* a sanitised copy is valid, within the cap, free of controls, and
	 * sanitising it again changes nothing */
	n = utf8_sanitize(s, size, out, sizeof(out));
	if (n >= sizeof(out) || out[n] != '\0' || strlen(out) != n ||
	    !utf8_valid(out, n))
		__builtin_trap();
	for (i = 0; i < n; i++)
		if ((unsigned char)out[i] < 0x20 || out[i] == 0x7f)
			__builtin_trap();
	m = utf8_sanitize(out, n, again, sizeof(again));
	if (m != n || memcmp(out, again, n) != 0)
		__builtin_trap();
	/* a cut never goes over max, and a valid input stays valid */
	c = utf8_cut(s, size, max);
	if (c > max || c > size)
		__builtin_trap();
	if (utf8_valid(s, size) && !utf8_valid(s, c))
		__builtin_trap();
	return 0;
}
