/* fuzz_acme_authz.c -- libFuzzer target: the engine's check of an authorization and its http-01 challenge (acme_authz_view). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "acme_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acme_authz_view v;
	struct acme_problem p;
	char err[256];
	json_t *j;

	if (size > ACME_JSON_MAX ||
	    (j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	    NULL)) == NULL)
		return 0;
	if (acme_authz_view(j, "http-01", &v, err, sizeof(err)) == 0) {
		if (v.chal != NULL && (v.token == NULL || v.chal_url == NULL ||
		    strlen(v.token) > 256))
			__builtin_trap();
		if (v.error != NULL && acme_problem_from_json(v.error, 0, &p) == 0)
			acme_problem_free(&p);
	}
	(void)acme_authz_view(j, NULL, &v, err, sizeof(err));
	json_decref(j);
	return 0;
}
