/* fuzz_camove_body.c -- libFuzzer target: the bodies of POST /v1/certificates/{id}/ca and :move (camovereq_parse) on arbitrary bytes, the first byte choosing which; whatever it accepts has 1 to CAS_LIST_MAX well-formed CA names, none twice, and for :move a CA to move from and a limit in range; whatever it refuses says why and holds nothing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "camovereq.h"
#include "cas.h"
#include "ids.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct camovereq mr;
	char err[512];
	size_t i, j;
	int bulk;

	if (size == 0)
		return 0;
	bulk = data[0] & 1;
	err[0] = '\0';
	if (camovereq_parse((const char *)data + 1, size - 1, bulk, &mr, err,
	    sizeof(err)) < 0) {
		if (mr.ncas != 0 || mr.from_ca[0] != '\0' || err[0] == '\0')
			abort();
		return 0;
	}
	if (mr.ncas < 1 || mr.ncas > CAS_LIST_MAX)
		abort();
	for (i = 0; i < mr.ncas; i++) {
		if (!cas_name_ok(mr.cas[i]))
			abort();
		for (j = 0; j < i; j++)
			if (strcmp(mr.cas[i], mr.cas[j]) == 0)
				abort();
	}
	if (!bulk)
		return 0;
	if (!cas_name_ok(mr.from_ca) || mr.limit < 1 ||
	    mr.limit > CAMOVEREQ_MAX ||
	    (mr.after[0] != '\0' && !ids_valid(mr.after)))
		abort();
	return 0;
}
