/* fuzz_ndjson.c -- libFuzzer target: the NDJSON line splitter on arbitrary bytes (a bulk request's body); every line it returns lies in the input, is trimmed, holds no LF or NUL, and the count agrees. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "ndjson.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data, *line;
	size_t len, lineno, last = 0, n = 0, max = size > 0 ? data[0] : 0;
	struct ndjson s;
	enum ndjson_kind k;

	ndjson_init(&s, buf, size, max);
	while ((k = ndjson_next(&s, &line, &len, &lineno)) != NDJSON_END) {
		n++;
		if (lineno <= last)
			abort();
		last = lineno;
		if (k != NDJSON_LINE) {
			if (line != NULL || len != 0)
				abort();
			continue;
		}
		if (len == 0 || len > max || line < buf || line + len > buf + size ||
		    memchr(line, '\n', len) != NULL ||
		    memchr(line, '\0', len) != NULL ||
		    strchr(" \t\r", line[0]) != NULL ||
		    strchr(" \t\r", line[len - 1]) != NULL)
			abort();
	}
	if (n != ndjson_count(buf, size))
		abort();
	return 0;
}
