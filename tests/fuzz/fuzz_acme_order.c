/* fuzz_acme_order.c -- libFuzzer target: the engine's check of an order object (acme_order_view) and of its error problem. */
#include <stddef.h>
#include <stdint.h>

#include "acme_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct acme_order_view v;
	struct acme_problem p;
	char err[256];
	json_t *j;

	if (size > ACME_JSON_MAX ||
	    (j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES,
	    NULL)) == NULL)
		return 0;
	if (acme_order_view(j, &v, err, sizeof(err)) == 0) {
		if (v.nauthz == 0 || v.finalize == NULL || v.status == NULL)
			__builtin_trap();
		if (v.error != NULL && acme_problem_from_json(v.error, 0, &p) == 0)
			acme_problem_free(&p);
	}
	json_decref(j);
	return 0;
}
