/* fuzz_acme_problem.c -- libFuzzer target: ACME problem documents (acme_problem_parse): texts valid UTF-8 under the cap, and the retry policy of their types. */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "acme.h"
#include "utf8.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int
text_ok(const char *s)
{
	size_t n = strlen(s), i;

	for (i = 0; i < n; i++)
		if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
			return 0;
	return n <= ACME_PROBLEM_TEXT_MAX && utf8_valid(s, n);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acme_problem p;
	char err[256];
	size_t i;

	if (acme_problem_parse((const char *)data, size, 400, &p, err,
	    sizeof(err)) == 0) {
		(void)acme_problem_retry(p.type, p.status);
		/* every text is valid UTF-8 within the cap: storable as is */
		if (!text_ok(p.type) || !text_ok(p.detail))
			__builtin_trap();
		for (i = 0; i < p.nsub; i++)
			if (!text_ok(p.sub[i].type) || !text_ok(p.sub[i].detail) ||
			    !text_ok(p.sub[i].id_type) || !text_ok(p.sub[i].id_value))
				__builtin_trap();
		acme_problem_free(&p);
	}
	return 0;
}
