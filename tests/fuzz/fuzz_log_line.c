/* fuzz_log_line.c -- libFuzzer target: any message and job fields give one log line, valid JSON in JSON format, with the fields it was given. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char line[LOG_LINE_MAX];

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct log_ctx ctx = { 0 };
	json_error_t je;
	json_t *j;
	char *in;
	size_t n;

	if (size > 3 * LOG_MSG_MAX || (in = malloc(size + 3)) == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = in[size + 1] = in[size + 2] = '\0';
	/* message, job id and trace id, separated by NULs */
	ctx.job_id = in + strlen(in) + 1;
	ctx.trace_id = ctx.job_id + strlen(ctx.job_id) + 1;
	ctx.attempt = size > 0 ? data[0] : 0;
	n = log_format_line(line, sizeof(line), LOG_JSON, LOGL_INFO, &ctx, in);
	if (n == 0 || line[n - 1] != '\n' || memchr(line, '\n', n - 1) != NULL)
		abort();
	if ((j = json_loadb(line, n, 0, &je)) == NULL ||
	    !json_is_string(json_object_get(j, "msg")) ||
	    !json_is_string(json_object_get(j, "job_id")) ||
	    !json_is_string(json_object_get(j, "trace_id")))
		abort();
	json_decref(j);
	n = log_format_line(line, sizeof(line), LOG_TEXT, LOGL_INFO, &ctx, in);
	if (n == 0 || line[n - 1] != '\n' || memchr(line, '\n', n - 1) != NULL)
		abort();
	free(in);
	return 0;
}
