/* fuzz_msgsig.c -- libFuzzer target: the signature header of a Kafka message (untrusted bytes); whatever it accepts prints back to the input. */
#include <inttypes.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "msgsig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct msgsig_header h;
	char err[256], out[MSGSIG_HEADER_MAX + 64], *sig;

	if (msgsig_header_parse(data, size, &h, err, sizeof(err)) < 0)
		return 0;
	/* One form only: the parsed header prints back to the same bytes. */
	if ((sig = b64url_encode(h.sig, sizeof(h.sig))) == NULL)
		abort();
	snprintf(out, sizeof(out), "v1 %s %" PRId64 " %s", h.kid, h.exp_ms, sig);
	free(sig);
	if (strlen(out) != size || memcmp(out, data, size) != 0)
		abort();
	return 0;
}
