/* fuzz_delete_body.c -- libFuzzer target: the body of POST /v1/certificates:delete (deletereq_parse) on arbitrary bytes; whatever it accepts names ids (valid, within the cap) or a selector, never both, with a limit in range, and whatever it refuses says why and holds nothing. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "deletereq.h"
#include "ids.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct deletereq dr;
	char err[512];
	size_t i;

	err[0] = '\0';
	if (deletereq_parse((const char *)data, size, &dr, err,
	    sizeof(err)) < 0) {
		if (dr.ids != NULL || dr.nids != 0 || err[0] == '\0')
			abort();
		return 0;
	}
	if (dr.limit < 1 || dr.limit > DELETEREQ_MAX || dr.nids > DELETEREQ_MAX ||
	    (dr.reason != 0 && !dr.revoke))
		abort();
	if (dr.ids != NULL) {
		if (dr.nids == 0 || dr.tenant[0] != '\0' || dr.label_key[0] != '\0')
			abort();
		for (i = 0; i < dr.nids; i++)
			if (!ids_valid(dr.ids[i]))
				abort();
	} else if (dr.tenant[0] == '\0' && dr.label_key[0] == '\0')
		abort();
	deletereq_free(&dr);
	return 0;
}
