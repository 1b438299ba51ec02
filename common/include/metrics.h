/* metrics.h -- a small Prometheus registry: counters, gauges and histograms with labels, rendered in the text exposition format 0.0.4. */
#ifndef CERTFLEET_METRICS_H
#define CERTFLEET_METRICS_H

#include <stddef.h>
#include <stdint.h>

/*
 * Model. A registry holds families (one metric name each, with its HELP
 * text, type and label names); a family holds series (one set of label
 * values each). Families are made at start-up; series are made on first use
 * and live as long as the registry.
 *
 * Threads. Every function may be called from any thread once the registry
 * exists. Values are C11 atomics (64-bit, lock-free on the platforms we
 * build for): a caller holding a series pointer updates it without taking
 * any lock, which is what the responder's libmicrohttpd threads do per
 * request. Each family has a mutex, taken to find or make a series by its
 * label values and while the family is rendered; the registry has one for
 * its list of families. A render is therefore a consistent list of series,
 * each read atomically; a histogram's buckets, sum and count are read one
 * after the other (the count is the sum of the buckets read, so the two
 * always agree).
 *
 * Untrusted label values. A value is copied with every byte outside
 * printable ASCII (other than '\n', which the exposition escapes) replaced
 * by '?', and cut at METRICS_VALUE_MAX bytes. A family keeps at most
 * METRICS_SERIES_MAX series: a label set beyond that is not recorded, and
 * certfleet_metrics_series_dropped_total counts it.
 */

#define METRICS_LABELS_MAX	4	/* label names per family */
#define METRICS_SERIES_MAX	1000	/* series per family */
#define METRICS_VALUE_MAX	128	/* bytes of one label value kept */
#define METRICS_BUCKETS_MAX	32	/* finite histogram buckets */
#define METRICS_NAME_MAX	128	/* metric and label names */
#define METRICS_HELP_MAX	512

enum metrics_type {
	METRICS_COUNTER,	/* name ends in _total; only goes up */
	METRICS_GAUGE,
	METRICS_HISTOGRAM,	/* name ends in the base unit (_seconds...) */
};

struct metrics;
struct metrics_family;
struct metrics_series;

/* A registry; NULL when memory runs out. It holds one family of its own,
 * certfleet_metrics_series_dropped_total. */
struct metrics *metrics_new(void);

/* Frees m, its families and series; NULL is accepted. No other thread may
 * use m or a pointer into it during or after the call. */
void metrics_free(struct metrics *m);

/*
 * Adds a family. name: [a-zA-Z_][a-zA-Z0-9_]*, a counter's ending in
 * "_total"; help: one line of text (escaped when rendered); labels[0..n)
 * (n <= METRICS_LABELS_MAX): names like name, not starting with "__", and
 * not "le" in a histogram. buckets[0..nbuckets) (histograms only, 1 to
 * METRICS_BUCKETS_MAX, finite and strictly increasing; +Inf is implicit).
 * A family without labels has its single series from the start, so it is
 * rendered as 0 before any update. Returns the family, or NULL with a
 * message in err (a name already registered, a bad name, no memory).
 */
struct metrics_family *metrics_family_new(struct metrics *m,
    enum metrics_type type, const char *name, const char *help,
    const char *const *labels, size_t nlabels, const double *buckets,
    size_t nbuckets, char *err, size_t errlen);

/* The series of f with label values values[0..nlabels) (NULL when f has no
 * labels), made on first use. Returns NULL when f is NULL, when f already
 * holds METRICS_SERIES_MAX series (counted as dropped), or when memory runs
 * out. The pointer stays valid until metrics_free. Cost: a mutex and a
 * linear search over f's series. */
struct metrics_series *metrics_series(struct metrics_family *f,
    const char *const *values);

/* Updates on a series; s may be NULL (nothing happens), so a dropped series
 * needs no check. Counters: metrics_add; gauges: metrics_set and
 * metrics_gauge_add; histograms: metrics_observe. A call of the wrong kind
 * for the series' family does nothing. Lock-free. */
void metrics_add(struct metrics_series *s, uint64_t n);
void metrics_set(struct metrics_series *s, double v);
void metrics_gauge_add(struct metrics_series *s, double delta);
void metrics_observe(struct metrics_series *s, double v);

/* Shorthands: metrics_series then the update; f may be NULL. */
void metrics_inc_by(struct metrics_family *f, const char *const *values,
    uint64_t n);
void metrics_set_by(struct metrics_family *f, const char *const *values,
    double v);
void metrics_observe_by(struct metrics_family *f, const char *const *values,
    double v);

/* Hides every series of f until it is updated again, a gauge's at 0 (so
 * metrics_gauge_add starts from 0): for a gauge family recomputed as a
 * whole, so that label sets that went away (a partition no longer
 * assigned) stop being rendered. f may be NULL. */
void metrics_family_reset(struct metrics_family *f);

/* Renders every family in registration order, series in the order they
 * were made: "# HELP", "# TYPE", then one line per sample; histograms as
 * cumulative _bucket{le=...} lines, +Inf last, then _sum and _count.
 * Returns a malloc'd NUL-terminated text with *len its length, or NULL
 * when memory runs out. Cost: linear in the series. */
char *metrics_render(struct metrics *m, size_t *len);

/* The content type of metrics_render's text. */
#define METRICS_CONTENT_TYPE	"text/plain; version=0.0.4; charset=utf-8"

#endif
