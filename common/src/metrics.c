/* metrics.c -- the Prometheus registry: families and series behind mutexes, values in C11 atomics, text exposition 0.0.4. */
#include "metrics.h"

#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct metrics_series {
	struct metrics_family	*f;
	struct metrics_series	*next;
	char			*values[METRICS_LABELS_MAX];
	atomic_int		 shown;		/* 0 after metrics_family_reset */
	_Atomic uint64_t	 v;		/* counter: count; gauge: double bits */
	_Atomic uint64_t	 sum;		/* histogram: double bits */
	_Atomic uint64_t	 counts[];	/* histogram: per bucket, +Inf last */
};

struct metrics_family {
	struct metrics		*m;
	struct metrics_family	*next;
	enum metrics_type	 type;
	char			*name;
	char			*help;
	char			*labels[METRICS_LABELS_MAX];
	size_t			 nlabels;
	double			 buckets[METRICS_BUCKETS_MAX];
	size_t			 nbuckets;
	pthread_mutex_t		 lock;
	struct metrics_series	*series, **tail;
	size_t			 nseries;
};

struct metrics {
	pthread_mutex_t		 lock;
	struct metrics_family	*families, **tail;
	struct metrics_series	*dropped;	/* series refused over the cap */
};

/* ---- doubles in 64-bit atomics ---- */

static uint64_t
metrics_bits(double d)
{
	uint64_t u;

	memcpy(&u, &d, sizeof(u));
	return u;
}

static double
metrics_double(uint64_t u)
{
	double d;

	memcpy(&d, &u, sizeof(d));
	return d;
}

static void
metrics_atomic_fadd(_Atomic uint64_t *a, double delta)
{
	uint64_t old = atomic_load(a), want;

	do
		want = metrics_bits(metrics_double(old) + delta);
	while (!atomic_compare_exchange_weak(a, &old, want));
}

/* ---- names and values ---- */

static int
metrics_name_ok(const char *s)
{
	size_t i, n = strlen(s);

	if (n == 0 || n > METRICS_NAME_MAX || (s[0] >= '0' && s[0] <= '9'))
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
			return 0;
	return 1;
}

static int
metrics_ends_with(const char *s, const char *suffix)
{
	size_t n = strlen(s), k = strlen(suffix);

	return n >= k && strcmp(s + n - k, suffix) == 0;
}

/* Copies v into out (METRICS_VALUE_MAX + 1 bytes) as a label value is kept:
 * printable ASCII and '\n', everything else '?', cut at the cap. */
static void
metrics_value_clean(const char *v, char *out)
{
	size_t i;

	for (i = 0; v != NULL && v[i] != '\0' && i < METRICS_VALUE_MAX; i++)
		out[i] = (v[i] == '\n' || (v[i] >= 0x20 && v[i] < 0x7f)) ?
		    v[i] : '?';
	out[i] = '\0';
}

/* ---- the registry ---- */

static void
metrics_family_free(struct metrics_family *f)
{
	struct metrics_series *s;
	size_t i;

	while ((s = f->series) != NULL) {
		f->series = s->next;
		for (i = 0; i < f->nlabels; i++)
			free(s->values[i]);
		free(s);
	}
	for (i = 0; i < f->nlabels; i++)
		free(f->labels[i]);
	free(f->name);
	free(f->help);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

struct metrics *
metrics_new(void)
{
	struct metrics *m;
	struct metrics_family *f;
	char err[128];

	if ((m = calloc(1, sizeof(*m))) == NULL)
		return NULL;
	if (pthread_mutex_init(&m->lock, NULL) != 0) {
		free(m);
		return NULL;
	}
	m->tail = &m->families;
	if ((f = metrics_family_new(m, METRICS_COUNTER,
	    "certfleet_metrics_series_dropped_total", "Label sets not recorded "
	    "because their metric already had the most series it may hold.",
	    NULL, 0, NULL, 0, err, sizeof(err))) == NULL ||
	    (m->dropped = metrics_series(f, NULL)) == NULL) {
		metrics_free(m);
		return NULL;
	}
	return m;
}

void
metrics_free(struct metrics *m)
{
	struct metrics_family *f;

	if (m == NULL)
		return;
	while ((f = m->families) != NULL) {
		m->families = f->next;
		metrics_family_free(f);
	}
	pthread_mutex_destroy(&m->lock);
	free(m);
}

/* Checks a family's definition; 0, or -1 with err. */
static int
metrics_family_check(enum metrics_type type, const char *name,
    const char *help, const char *const *labels, size_t nlabels,
    const double *buckets, size_t nbuckets, char *err, size_t errlen)
{
	size_t i;

	if (!metrics_name_ok(name) || help == NULL ||
	    strlen(help) > METRICS_HELP_MAX || nlabels > METRICS_LABELS_MAX) {
		snprintf(err, errlen, "metrics: bad name, help or label count "
		    "for %.64s", name);
		return -1;
	}
	if ((type == METRICS_COUNTER) != metrics_ends_with(name, "_total")) {
		snprintf(err, errlen, "metrics: %s: counters, and only counters, "
		    "end in _total", name);
		return -1;
	}
	for (i = 0; i < nlabels; i++)
		if (!metrics_name_ok(labels[i]) ||
		    strncmp(labels[i], "__", 2) == 0 ||
		    (type == METRICS_HISTOGRAM && strcmp(labels[i], "le") == 0)) {
			snprintf(err, errlen, "metrics: %s: bad label name", name);
			return -1;
		}
	if ((type == METRICS_HISTOGRAM) != (nbuckets > 0) ||
	    nbuckets > METRICS_BUCKETS_MAX) {
		snprintf(err, errlen, "metrics: %s: histograms, and only "
		    "histograms, have 1 to %d buckets", name, METRICS_BUCKETS_MAX);
		return -1;
	}
	for (i = 0; i < nbuckets; i++)
		if (!isfinite(buckets[i]) || (i > 0 && buckets[i] <= buckets[i - 1])) {
			snprintf(err, errlen, "metrics: %s: buckets must be finite "
			    "and increasing", name);
			return -1;
		}
	return 0;
}

/* Adds f to m unless a family of that name exists; 0 or -1. */
static int
metrics_family_link(struct metrics *m, struct metrics_family *f)
{
	struct metrics_family *g;
	int rc = 0;

	pthread_mutex_lock(&m->lock);
	for (g = m->families; g != NULL; g = g->next)
		if (strcmp(g->name, f->name) == 0)
			rc = -1;
	if (rc == 0) {
		*m->tail = f;
		m->tail = &f->next;
	}
	pthread_mutex_unlock(&m->lock);
	return rc;
}

struct metrics_family *
metrics_family_new(struct metrics *m, enum metrics_type type, const char *name,
    const char *help, const char *const *labels, size_t nlabels,
    const double *buckets, size_t nbuckets, char *err, size_t errlen)
{
	struct metrics_family *f = NULL;
	size_t i;

	if (m == NULL || metrics_family_check(type, name, help, labels, nlabels,
	    buckets, nbuckets, err, errlen) < 0)
		return NULL;
	if ((f = calloc(1, sizeof(*f))) == NULL ||
	    pthread_mutex_init(&f->lock, NULL) != 0) {
		free(f);
		snprintf(err, errlen, "metrics: out of memory");
		return NULL;
	}
	f->m = m;
	f->type = type;
	f->tail = &f->series;
	f->name = strdup(name);
	f->help = strdup(help);
	for (i = 0; i < nlabels; i++)
		if ((f->labels[f->nlabels++] = strdup(labels[i])) == NULL)
			break;
	if (nbuckets > 0)
		memcpy(f->buckets, buckets, nbuckets * sizeof(*buckets));
	f->nbuckets = nbuckets;
	if (f->name == NULL || f->help == NULL || i < nlabels ||
	    (nlabels == 0 && metrics_series(f, NULL) == NULL)) {
		snprintf(err, errlen, "metrics: out of memory");
		metrics_family_free(f);
		return NULL;
	}
	if (metrics_family_link(m, f) < 0) {
		snprintf(err, errlen, "metrics: %s is registered already", name);
		metrics_family_free(f);
		return NULL;
	}
	return f;
}

/* ---- series ---- */

/* Makes a series of f with the cleaned values; NULL without memory. */
static struct metrics_series *
metrics_series_make(struct metrics_family *f,
    char clean[][METRICS_VALUE_MAX + 1])
{
	struct metrics_series *s;
	size_t i, nc = f->type == METRICS_HISTOGRAM ? f->nbuckets + 1 : 0;

	if ((s = calloc(1, sizeof(*s) + nc * sizeof(s->counts[0]))) == NULL)
		return NULL;
	s->f = f;
	for (i = 0; i < f->nlabels; i++)
		if ((s->values[i] = strdup(clean[i])) == NULL) {
			while (i-- > 0)
				free(s->values[i]);
			free(s);
			return NULL;
		}
	atomic_init(&s->shown, 1);
	atomic_init(&s->v, f->type == METRICS_GAUGE ? metrics_bits(0.0) : 0);
	atomic_init(&s->sum, metrics_bits(0.0));
	for (i = 0; i < nc; i++)
		atomic_init(&s->counts[i], 0);
	return s;
}

struct metrics_series *
metrics_series(struct metrics_family *f, const char *const *values)
{
	char clean[METRICS_LABELS_MAX][METRICS_VALUE_MAX + 1];
	struct metrics_series *s;
	size_t i;
	int dropped = 0;

	if (f == NULL)
		return NULL;
	for (i = 0; i < f->nlabels; i++)
		metrics_value_clean(values != NULL ? values[i] : NULL, clean[i]);
	pthread_mutex_lock(&f->lock);
	for (s = f->series; s != NULL; s = s->next) {
		for (i = 0; i < f->nlabels; i++)
			if (strcmp(s->values[i], clean[i]) != 0)
				break;
		if (i == f->nlabels)
			break;
	}
	if (s == NULL && f->nseries >= METRICS_SERIES_MAX)
		dropped = 1;
	else if (s == NULL && (s = metrics_series_make(f, clean)) != NULL) {
		*f->tail = s;
		f->tail = &s->next;
		f->nseries++;
	}
	pthread_mutex_unlock(&f->lock);
	if (dropped)
		metrics_add(f->m->dropped, 1);
	return s;
}

void
metrics_add(struct metrics_series *s, uint64_t n)
{
	if (s != NULL && s->f->type == METRICS_COUNTER)
		atomic_fetch_add(&s->v, n);
}

void
metrics_set(struct metrics_series *s, double v)
{
	if (s == NULL || s->f->type != METRICS_GAUGE)
		return;
	atomic_store(&s->v, metrics_bits(v));
	atomic_store(&s->shown, 1);
}

void
metrics_gauge_add(struct metrics_series *s, double delta)
{
	if (s == NULL || s->f->type != METRICS_GAUGE)
		return;
	metrics_atomic_fadd(&s->v, delta);
	atomic_store(&s->shown, 1);
}

void
metrics_observe(struct metrics_series *s, double v)
{
	size_t i;

	if (s == NULL || s->f->type != METRICS_HISTOGRAM || isnan(v))
		return;
	for (i = 0; i < s->f->nbuckets && v > s->f->buckets[i]; i++)
		;
	atomic_fetch_add(&s->counts[i], 1);
	metrics_atomic_fadd(&s->sum, v);
}

void
metrics_inc_by(struct metrics_family *f, const char *const *values,
    uint64_t n)
{
	metrics_add(metrics_series(f, values), n);
}

void
metrics_set_by(struct metrics_family *f, const char *const *values, double v)
{
	metrics_set(metrics_series(f, values), v);
}

void
metrics_observe_by(struct metrics_family *f, const char *const *values,
    double v)
{
	metrics_observe(metrics_series(f, values), v);
}

void
metrics_family_reset(struct metrics_family *f)
{
	struct metrics_series *s;

	if (f == NULL)
		return;
	pthread_mutex_lock(&f->lock);
	for (s = f->series; s != NULL; s = s->next) {
		atomic_store(&s->shown, 0);
		if (f->type == METRICS_GAUGE)
			atomic_store(&s->v, metrics_bits(0.0));
	}
	pthread_mutex_unlock(&f->lock);
}

/* ---- rendering ---- */

/* A growing output buffer; oom latches. */
struct metrics_buf {
	char	*p;
	size_t	 len, cap;
	int	 oom;
};

static void
metrics_put(struct metrics_buf *b, const char *s, size_t n)
{
	size_t cap;
	char *p;

	if (b->oom)
		return;
	if (b->len + n + 1 > b->cap) {
		for (cap = b->cap > 0 ? b->cap : 4096; cap < b->len + n + 1;)
			cap *= 2;
		if ((p = realloc(b->p, cap)) == NULL) {
			b->oom = 1;
			return;
		}
		b->p = p;
		b->cap = cap;
	}
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = '\0';
}

static void
metrics_puts(struct metrics_buf *b, const char *s)
{
	metrics_put(b, s, strlen(s));
}

/* Appends s with '\\' and '\n' escaped, and '"' too when quoted (label
 * values); HELP text escapes only the first two. */
static void
metrics_put_escaped(struct metrics_buf *b, const char *s, int quoted)
{
	const char *run = s;

	for (; *s != '\0'; s++) {
		if (*s != '\\' && *s != '\n' && !(quoted && *s == '"'))
			continue;
		metrics_put(b, run, (size_t)(s - run));
		metrics_puts(b, *s == '\\' ? "\\\\" : *s == '\n' ? "\\n" : "\\\"");
		run = s + 1;
	}
	metrics_puts(b, run);
}

/* A sample value as the format spells it: NaN, +Inf, -Inf, an integer
 * when it is one, else the shortest %g that reads back the same. */
static void
metrics_fmt(double v, char out[40])
{
	int prec;

	if (isnan(v)) {
		snprintf(out, 40, "NaN");
		return;
	}
	if (isinf(v)) {
		snprintf(out, 40, "%s", v > 0 ? "+Inf" : "-Inf");
		return;
	}
	if (v == floor(v) && fabs(v) < 9007199254740992.0) {
		snprintf(out, 40, "%.0f", v);
		return;
	}
	for (prec = 1; prec < 17; prec++) {
		snprintf(out, 40, "%.*g", prec, v);
		if (strtod(out, NULL) == v)
			return;
	}
	snprintf(out, 40, "%.17g", v);
}

/* name{a="x",b="y"[,le="bound"]} with a trailing space. */
static void
metrics_put_sample_name(struct metrics_buf *b, const struct metrics_series *s,
    const char *suffix, const char *le)
{
	const struct metrics_family *f = s->f;
	size_t i;

	metrics_puts(b, f->name);
	metrics_puts(b, suffix);
	if (f->nlabels > 0 || le != NULL) {
		metrics_puts(b, "{");
		for (i = 0; i < f->nlabels; i++) {
			metrics_puts(b, i > 0 ? "," : "");
			metrics_puts(b, f->labels[i]);
			metrics_puts(b, "=\"");
			metrics_put_escaped(b, s->values[i], 1);
			metrics_puts(b, "\"");
		}
		if (le != NULL) {
			metrics_puts(b, f->nlabels > 0 ? ",le=\"" : "le=\"");
			metrics_puts(b, le);
			metrics_puts(b, "\"");
		}
		metrics_puts(b, "}");
	}
	metrics_puts(b, " ");
}

static void
metrics_put_histogram(struct metrics_buf *b, struct metrics_series *s)
{
	const struct metrics_family *f = s->f;
	uint64_t total = 0;
	char num[40], le[40];
	size_t i;

	for (i = 0; i <= f->nbuckets; i++) {
		total += atomic_load(&s->counts[i]);
		snprintf(num, sizeof(num), "%" PRIu64 "\n", total);
		if (i < f->nbuckets)
			metrics_fmt(f->buckets[i], le);
		metrics_put_sample_name(b, s, "_bucket", i < f->nbuckets ? le :
		    "+Inf");
		metrics_puts(b, num);
	}
	metrics_fmt(metrics_double(atomic_load(&s->sum)), num);
	metrics_put_sample_name(b, s, "_sum", NULL);
	metrics_puts(b, num);
	metrics_puts(b, "\n");
	snprintf(num, sizeof(num), "%" PRIu64 "\n", total);
	metrics_put_sample_name(b, s, "_count", NULL);
	metrics_puts(b, num);
}

static void
metrics_put_family(struct metrics_buf *b, struct metrics_family *f)
{
	static const char *const types[] = {
		[METRICS_COUNTER] = "counter",
		[METRICS_GAUGE] = "gauge",
		[METRICS_HISTOGRAM] = "histogram",
	};
	struct metrics_series *s;
	char num[40];

	metrics_puts(b, "# HELP ");
	metrics_puts(b, f->name);
	metrics_puts(b, " ");
	metrics_put_escaped(b, f->help, 0);
	metrics_puts(b, "\n# TYPE ");
	metrics_puts(b, f->name);
	metrics_puts(b, " ");
	metrics_puts(b, types[f->type]);
	metrics_puts(b, "\n");
	pthread_mutex_lock(&f->lock);
	for (s = f->series; s != NULL; s = s->next) {
		if (!atomic_load(&s->shown))
			continue;
		if (f->type == METRICS_HISTOGRAM) {
			metrics_put_histogram(b, s);
			continue;
		}
		if (f->type == METRICS_COUNTER)
			snprintf(num, sizeof(num), "%" PRIu64, atomic_load(&s->v));
		else
			metrics_fmt(metrics_double(atomic_load(&s->v)), num);
		metrics_put_sample_name(b, s, "", NULL);
		metrics_puts(b, num);
		metrics_puts(b, "\n");
	}
	pthread_mutex_unlock(&f->lock);
}

char *
metrics_render(struct metrics *m, size_t *len)
{
	struct metrics_buf b = { 0 };
	struct metrics_family *f;

	*len = 0;
	pthread_mutex_lock(&m->lock);
	for (f = m->families; f != NULL; f = f->next)
		metrics_put_family(&b, f);
	pthread_mutex_unlock(&m->lock);
	metrics_put(&b, "", 0);	/* an empty registry still gives "" */
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	*len = b.len;
	return b.p;
}
