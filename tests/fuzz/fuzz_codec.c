/* fuzz_codec.c -- libFuzzer target: proto_job_decode and proto_event_decode on arbitrary Kafka payloads. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	Certfleet__Job *j;
	Certfleet__Event *e;
	char err[256];
	size_t len;
	void *again;

	if ((j = proto_job_decode(data, size, err, sizeof(err))) != NULL) {
		/* What decodes must encode again. */
		if ((again = proto_job_encode(j, &len)) == NULL)
			abort();
		free(again);
		proto_job_free(j);
	}
	if ((e = proto_event_decode(data, size, err, sizeof(err))) != NULL) {
		if ((again = proto_event_encode(e, &len)) == NULL ||
		    len != proto_event_size(e))
			abort();
		free(again);
		proto_event_free(e);
	}
	/* what a refused event still tells: its header, checked */
	if ((e = proto_event_decode_header(data, size)) != NULL) {
		if (e->job_id[0] == '\0' || e->attempt < 1)
			abort();
		proto_event_free(e);
	}
	return 0;
}
