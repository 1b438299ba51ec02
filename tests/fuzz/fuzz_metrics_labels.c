/* fuzz_metrics_labels.c -- libFuzzer target: label values from a CA or a job (problem types, endpoints) never break the exposition: one line per sample, printable ASCII, quotes and backslashes escaped. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "metrics.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Checks one sample line: name{a="...",b="...",le="..."} value, where a
 * quoted value holds no raw '"' or newline and every '\' escapes one of
 * '\', '"' or 'n'. */
static void
check_sample(const char *p, const char *end)
{
	int quoted = 0;

	for (; p < end; p++) {
		if (*p < 0x20 || *p > 0x7e)
			abort();
		if (!quoted) {
			if (*p == '"')
				quoted = 1;
			continue;
		}
		if (*p == '\\') {
			if (p + 1 >= end || (p[1] != '\\' && p[1] != '"' &&
			    p[1] != 'n'))
				abort();
			p++;
		} else if (*p == '"')
			quoted = 0;
	}
	if (quoted)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const labels[] = { "ca", "type" };
	static const double buckets[] = { 0.1, 1 };
	struct metrics *m;
	struct metrics_family *g, *h;
	const char *v[2];
	char *in, *t, *p, *nl;
	size_t len, lines = 0;

	if ((in = malloc(size + 2)) == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = in[size + 1] = '\0';
	v[0] = in;			/* up to the first NUL */
	v[1] = in + strlen(in) + 1;	/* the rest, or "" */
	if ((m = metrics_new()) == NULL ||
	    (g = metrics_family_new(m, METRICS_GAUGE, "certfleet_fuzz", "x",
	    labels, 2, NULL, 0, NULL, 0)) == NULL ||
	    (h = metrics_family_new(m, METRICS_HISTOGRAM,
	    "certfleet_fuzz_seconds", "x", labels, 2, buckets, 2, NULL,
	    0)) == NULL)
		abort();
	metrics_set_by(g, v, (double)size);
	metrics_observe_by(h, v, 0.5);
	if ((t = metrics_render(m, &len)) == NULL)
		abort();
	for (p = t; (nl = strchr(p, '\n')) != NULL; p = nl + 1) {
		lines++;
		if (*p != '#')
			check_sample(p, nl);
	}
	/* 3 families x 2 comment lines, 1 dropped counter, 1 gauge sample,
	 * 3 buckets + _sum + _count: no value made a line of its own. */
	if (*p != '\0' || lines != 6 + 1 + 1 + 5)
		abort();
	free(t);
	metrics_free(m);
	free(in);
	return 0;
}
