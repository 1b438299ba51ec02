/* test_metrics.c -- unit tests of the Prometheus registry: exposition lines, escaping, histogram buckets, refusals, the series cap, threads. */
#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics.h"

static char err[256];

/* The registry rendered, as a malloc'd string. */
static char *
render(struct metrics *m)
{
	size_t len;
	char *t;

	assert_non_null(t = metrics_render(m, &len));
	assert_int_equal(strlen(t), len);
	return t;
}

/* Asserts that text holds line as a whole line. */
static void
has_line(const char *text, const char *line)
{
	size_t n = strlen(line);
	const char *p = text;

	while ((p = strstr(p, line)) != NULL) {
		if ((p == text || p[-1] == '\n') && p[n] == '\n')
			return;
		p++;
	}
	fail_msg("no line \"%s\" in:\n%s", line, text);
}

static void
test_counter(void **state)
{
	struct metrics *m;
	struct metrics_family *f;
	char *t;

	(void)state;
	assert_non_null(m = metrics_new());
	assert_non_null(f = metrics_family_new(m, METRICS_COUNTER,
	    "certfleet_test_things_total", "Things seen.", NULL, 0, NULL, 0, err,
	    sizeof(err)));
	t = render(m);
	has_line(t, "# HELP certfleet_test_things_total Things seen.");
	has_line(t, "# TYPE certfleet_test_things_total counter");
	has_line(t, "certfleet_test_things_total 0");	/* there from the start */
	free(t);
	metrics_inc_by(f, NULL, 41);
	metrics_add(metrics_series(f, NULL), 1);
	metrics_set(metrics_series(f, NULL), 7);	/* not a gauge: ignored */
	t = render(m);
	has_line(t, "certfleet_test_things_total 42");
	free(t);
	metrics_free(m);
}

static void
test_escaping(void **state)
{
	static const char *const labels[] = { "a", "b" };
	struct metrics *m;
	struct metrics_family *f;
	char *t, long_value[METRICS_VALUE_MAX + 50], want[METRICS_VALUE_MAX + 64];

	(void)state;
	assert_non_null(m = metrics_new());
	assert_non_null(f = metrics_family_new(m, METRICS_GAUGE,
	    "certfleet_test_escaped", "Back\\slash and\nnewline \"kept\".",
	    labels, 2, NULL, 0, err, sizeof(err)));
	metrics_set_by(f, (const char *[]){ "q\"uote\\back\nline", "t\tab\x01"
	    "\xc3\xa9\x7f" }, 1);
	memset(long_value, 'x', sizeof(long_value) - 1);
	long_value[sizeof(long_value) - 1] = '\0';
	metrics_set_by(f, (const char *[]){ long_value, NULL }, 2);
	t = render(m);
	/* HELP escapes backslash and newline only; quotes stay. */
	has_line(t, "# HELP certfleet_test_escaped Back\\\\slash and\\nnewline "
	    "\"kept\".");
	/* Label values escape ", \ and newline; other controls and bytes
	 * outside ASCII become '?'. */
	has_line(t, "certfleet_test_escaped{a=\"q\\\"uote\\\\back\\nline\","
	    "b=\"t?ab????\"} 1");
	/* Cut at METRICS_VALUE_MAX; a missing value is "". */
	snprintf(want, sizeof(want), "certfleet_test_escaped{a=\"%.*s\",b=\"\"} 2",
	    METRICS_VALUE_MAX, long_value);
	has_line(t, want);
	free(t);
	/* The same cleaned values find the same series. */
	metrics_set_by(f, (const char *[]){ "q\"uote\\back\nline", "t\tab\x01"
	    "\xc3\xa9\x7f" }, 3);
	t = render(m);
	has_line(t, "certfleet_test_escaped{a=\"q\\\"uote\\\\back\\nline\","
	    "b=\"t?ab????\"} 3");
	free(t);
	metrics_free(m);
}

static void
test_histogram(void **state)
{
	static const char *const labels[] = { "endpoint" };
	static const double buckets[] = { 0.1, 1, 10 };
	struct metrics *m;
	struct metrics_family *f;
	struct metrics_series *s;
	char *t;

	(void)state;
	assert_non_null(m = metrics_new());
	assert_non_null(f = metrics_family_new(m, METRICS_HISTOGRAM,
	    "certfleet_test_duration_seconds", "Durations.", labels, 1, buckets,
	    3, err, sizeof(err)));
	assert_non_null(s = metrics_series(f, (const char *[]){ "newOrder" }));
	metrics_observe(s, 0.05);
	metrics_observe(s, 0.1);	/* le is inclusive */
	metrics_observe(s, 0.5);
	metrics_observe(s, 100);
	metrics_observe(s, NAN);	/* ignored */
	metrics_add(s, 5);		/* not a counter: ignored */
	t = render(m);
	has_line(t, "# TYPE certfleet_test_duration_seconds histogram");
	has_line(t, "certfleet_test_duration_seconds_bucket{endpoint=\"newOrder\","
	    "le=\"0.1\"} 2");
	has_line(t, "certfleet_test_duration_seconds_bucket{endpoint=\"newOrder\","
	    "le=\"1\"} 3");
	has_line(t, "certfleet_test_duration_seconds_bucket{endpoint=\"newOrder\","
	    "le=\"10\"} 3");
	has_line(t, "certfleet_test_duration_seconds_bucket{endpoint=\"newOrder\","
	    "le=\"+Inf\"} 4");
	has_line(t, "certfleet_test_duration_seconds_sum{endpoint=\"newOrder\"} "
	    "100.65");
	has_line(t, "certfleet_test_duration_seconds_count{endpoint=\"newOrder\"} "
	    "4");
	/* +Inf comes after every finite bucket, then _sum, then _count. */
	assert_true(strstr(t, "le=\"10\"") < strstr(t, "le=\"+Inf\""));
	assert_true(strstr(t, "le=\"+Inf\"") < strstr(t, "_sum{"));
	assert_true(strstr(t, "_sum{") < strstr(t, "_count{"));
	free(t);
	metrics_free(m);
}

static void
test_gauge_values(void **state)
{
	static const char *const labels[] = { "k" };
	struct metrics *m;
	struct metrics_family *f;
	char *t;

	(void)state;
	assert_non_null(m = metrics_new());
	assert_non_null(f = metrics_family_new(m, METRICS_GAUGE,
	    "certfleet_test_level", "Levels.", labels, 1, NULL, 0, err,
	    sizeof(err)));
	metrics_set_by(f, (const char *[]){ "nan" }, NAN);
	metrics_set_by(f, (const char *[]){ "inf" }, INFINITY);
	metrics_set_by(f, (const char *[]){ "ninf" }, -INFINITY);
	metrics_set_by(f, (const char *[]){ "quarter" }, 0.25);
	metrics_set_by(f, (const char *[]){ "big" }, 1e300);
	metrics_set_by(f, (const char *[]){ "int" }, -12);
	metrics_gauge_add(metrics_series(f, (const char *[]){ "int" }), 2.5);
	t = render(m);
	has_line(t, "certfleet_test_level{k=\"nan\"} NaN");
	has_line(t, "certfleet_test_level{k=\"inf\"} +Inf");
	has_line(t, "certfleet_test_level{k=\"ninf\"} -Inf");
	has_line(t, "certfleet_test_level{k=\"quarter\"} 0.25");
	has_line(t, "certfleet_test_level{k=\"big\"} 1e+300");
	has_line(t, "certfleet_test_level{k=\"int\"} -9.5");
	free(t);
	/* A reset hides every series until it is set again, at 0. */
	metrics_family_reset(f);
	metrics_set_by(f, (const char *[]){ "quarter" }, 4);
	metrics_gauge_add(metrics_series(f, (const char *[]){ "int" }), 1);
	t = render(m);
	has_line(t, "certfleet_test_level{k=\"quarter\"} 4");
	has_line(t, "certfleet_test_level{k=\"int\"} 1");
	assert_null(strstr(t, "k=\"nan\""));
	has_line(t, "# TYPE certfleet_test_level gauge");
	free(t);
	metrics_free(m);
}

static void
test_refusals(void **state)
{
	static const char *const le[] = { "le" };
	static const char *const under[] = { "__name" };
	static const char *const dash[] = { "a-b" };
	static const double b1[] = { 1 }, unsorted[] = { 1, 0.5 };
	static const double inf[] = { INFINITY };
	struct metrics *m;

	(void)state;
	assert_non_null(m = metrics_new());
#define REFUSED(type, name, labels, nl, b, nb) \
	assert_null(metrics_family_new(m, type, name, "x", labels, nl, b, nb, \
	    err, sizeof(err)))
	REFUSED(METRICS_COUNTER, "certfleet_no_suffix", NULL, 0, NULL, 0);
	REFUSED(METRICS_GAUGE, "certfleet_gauge_total", NULL, 0, NULL, 0);
	REFUSED(METRICS_GAUGE, "9starts_with_digit", NULL, 0, NULL, 0);
	REFUSED(METRICS_GAUGE, "has-dash", NULL, 0, NULL, 0);
	REFUSED(METRICS_GAUGE, "has:colon", NULL, 0, NULL, 0);
	REFUSED(METRICS_GAUGE, "", NULL, 0, NULL, 0);
	REFUSED(METRICS_GAUGE, "certfleet_x", under, 1, NULL, 0);
	REFUSED(METRICS_GAUGE, "certfleet_x", dash, 1, NULL, 0);
	REFUSED(METRICS_GAUGE, "certfleet_x", NULL, METRICS_LABELS_MAX + 1, NULL,
	    0);
	REFUSED(METRICS_GAUGE, "certfleet_x", NULL, 0, b1, 1);
	REFUSED(METRICS_HISTOGRAM, "certfleet_x_seconds", NULL, 0, NULL, 0);
	REFUSED(METRICS_HISTOGRAM, "certfleet_x_seconds", NULL, 0, unsorted, 2);
	REFUSED(METRICS_HISTOGRAM, "certfleet_x_seconds", NULL, 0, inf, 1);
	REFUSED(METRICS_HISTOGRAM, "certfleet_x_seconds", le, 1, b1, 1);
	assert_non_null(metrics_family_new(m, METRICS_GAUGE, "certfleet_x", "x",
	    NULL, 0, NULL, 0, err, sizeof(err)));
	REFUSED(METRICS_GAUGE, "certfleet_x", NULL, 0, NULL, 0);
	assert_non_null(strstr(err, "registered already"));
#undef REFUSED
	/* NULL families and series are no-ops. */
	metrics_inc_by(NULL, NULL, 1);
	metrics_set(NULL, 1);
	metrics_observe(NULL, 1);
	metrics_family_reset(NULL);
	assert_null(metrics_series(NULL, NULL));
	metrics_free(m);
	metrics_free(NULL);
}

static void
test_series_cap(void **state)
{
	static const char *const labels[] = { "id" };
	struct metrics *m;
	struct metrics_family *f;
	char v[32], *t;
	size_t i;

	(void)state;
	assert_non_null(m = metrics_new());
	assert_non_null(f = metrics_family_new(m, METRICS_COUNTER,
	    "certfleet_test_ids_total", "Ids.", labels, 1, NULL, 0, err,
	    sizeof(err)));
	for (i = 0; i < METRICS_SERIES_MAX + 5; i++) {
		snprintf(v, sizeof(v), "%zu", i);
		metrics_inc_by(f, (const char *[]){ v }, 1);
	}
	/* An existing series is still found at the cap. */
	metrics_inc_by(f, (const char *[]){ "0" }, 1);
	t = render(m);
	has_line(t, "certfleet_metrics_series_dropped_total 5");
	has_line(t, "certfleet_test_ids_total{id=\"0\"} 2");
	snprintf(v, sizeof(v), "id=\"%d\"", METRICS_SERIES_MAX - 1);
	assert_non_null(strstr(t, v));
	snprintf(v, sizeof(v), "id=\"%d\"", METRICS_SERIES_MAX);
	assert_null(strstr(t, v));
	free(t);
	metrics_free(m);
}

#define THREADS 4
#define ROUNDS 50000

struct hammer {
	struct metrics_family	*counter, *hist;
};

static void *
hammer(void *arg)
{
	struct hammer *h = arg;
	struct metrics_series *c, *s;
	int i;

	c = metrics_series(h->counter, (const char *[]){ "shared" });
	s = metrics_series(h->hist, NULL);
	for (i = 0; i < ROUNDS; i++) {
		metrics_add(c, 1);
		metrics_observe(s, 0.5);
		if (i % 1000 == 0)	/* lookups race with updates */
			metrics_inc_by(h->counter, (const char *[]){ "other" }, 1);
	}
	return NULL;
}

static void
test_threads(void **state)
{
	static const char *const labels[] = { "k" };
	static const double buckets[] = { 1 };
	pthread_t th[THREADS];
	struct hammer h;
	struct metrics *m;
	char *t, line[128];
	size_t i;

	(void)state;
	assert_non_null(m = metrics_new());
	assert_non_null(h.counter = metrics_family_new(m, METRICS_COUNTER,
	    "certfleet_test_hits_total", "Hits.", labels, 1, NULL, 0, err,
	    sizeof(err)));
	assert_non_null(h.hist = metrics_family_new(m, METRICS_HISTOGRAM,
	    "certfleet_test_wait_seconds", "Waits.", NULL, 0, buckets, 1, err,
	    sizeof(err)));
	for (i = 0; i < THREADS; i++)
		assert_int_equal(pthread_create(&th[i], NULL, hammer, &h), 0);
	for (i = 0; i < 20; i++)	/* renders race with updates */
		free(render(m));
	for (i = 0; i < THREADS; i++)
		pthread_join(th[i], NULL);
	t = render(m);
	snprintf(line, sizeof(line), "certfleet_test_hits_total{k=\"shared\"} %d",
	    THREADS * ROUNDS);
	has_line(t, line);
	snprintf(line, sizeof(line), "certfleet_test_wait_seconds_count %d",
	    THREADS * ROUNDS);
	has_line(t, line);
	snprintf(line, sizeof(line), "certfleet_test_wait_seconds_sum %d",
	    THREADS * ROUNDS / 2);
	has_line(t, line);
	free(t);
	metrics_free(m);
}

/* With --print: one registry of every kind, for promtool (tests/ops.cmake). */
static int
print_sample(void)
{
	static const char *const labels[] = { "ca", "endpoint" };
	static const double buckets[] = { 0.005, 0.5, 5 };
	struct metrics *m;
	struct metrics_family *f;
	size_t len;
	char *t;

	if ((m = metrics_new()) == NULL)
		return 1;
	f = metrics_family_new(m, METRICS_HISTOGRAM,
	    "certfleet_sample_duration_seconds", "A \\ histogram\nof \"two\" lines.",
	    labels, 2, buckets, 3, err, sizeof(err));
	metrics_observe_by(f, (const char *[]){ "a\"b\\c\nd", "newOrder" }, 0.3);
	f = metrics_family_new(m, METRICS_GAUGE, "certfleet_sample_level",
	    "A gauge.", labels, 2, NULL, 0, err, sizeof(err));
	metrics_set_by(f, (const char *[]){ "x", "\xff\x01" }, NAN);
	metrics_set_by(f, (const char *[]){ "y", "z" }, -INFINITY);
	f = metrics_family_new(m, METRICS_COUNTER, "certfleet_sample_empty_total",
	    "Labels, no series yet.", labels, 2, NULL, 0, err, sizeof(err));
	if ((t = metrics_render(m, &len)) == NULL)
		return 1;
	fwrite(t, 1, len, stdout);
	free(t);
	metrics_free(m);
	return 0;
}

int
main(int argc, char *argv[])
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_counter),
		cmocka_unit_test(test_escaping),
		cmocka_unit_test(test_histogram),
		cmocka_unit_test(test_gauge_values),
		cmocka_unit_test(test_refusals),
		cmocka_unit_test(test_series_cap),
		cmocka_unit_test(test_threads),
	};

	if (argc == 2 && strcmp(argv[1], "--print") == 0)
		return print_sample();
	return cmocka_run_group_tests(tests, NULL, NULL);
}
