/* fuzz_acme_problem.c -- libFuzzer target: ACME problem documents (acme_problem_parse) and the retry policy of their types. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "acme.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acme_problem p;
	char err[256];
	size_t i;

	if (acme_problem_parse((const char *)data, size, 400, &p, err,
	    sizeof(err)) == 0) {
		(void)acme_problem_retry(p.type, p.status);
		for (i = 0; i < p.nsub; i++)
			if (strlen(p.sub[i].type) + strlen(p.sub[i].detail) +
			    strlen(p.sub[i].id_type) + strlen(p.sub[i].id_value) >
			    (size_t)1 << 30)
				__builtin_trap();
		acme_problem_free(&p);
	}
	return 0;
}
