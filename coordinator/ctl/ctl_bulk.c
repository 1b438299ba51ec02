/* ctl_bulk.c -- certfleetctl enroll --from FILE: every set of a file (host names, or NDJSON) through POST /v1/certificates:bulk in requests sized to take a few seconds each, with a progress bar. */
#include "ctl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "ndjson.h"
#include "setline.h"

#define CTL_FROM_MAX (256 * 1024 * 1024)	/* bytes of an --from file */
#define CTL_BULK_FIRST 100		/* sets of the first request */
#define CTL_BULK_SETS_MAX 1000		/* sets of one request (the API takes 10,000) */
#define CTL_BULK_BYTES_MAX (8 * 1024 * 1024) /* bytes of one request (the API takes 16 MiB) */
#define CTL_BULK_TARGET_S 5.0		/* aim of one request's time: far
					 * from the HTTP client's 30 s */
#define CTL_BULK_REPLY_MAX (64 * 1024 * 1024)

/* A line of the file in the request being built. */
struct ctl_bulk_entry {
	size_t	 lineno;
	char	*error;		/* refused before sending (malloc'd), or NULL */
};

/* The whole run. */
struct ctl_bulk {
	const char	*file;
	json_t		*results;	/* --json: every result, in file order */
	size_t		 total, done, created, existing, failed;
	time_t		 start;
	/* the request being built */
	struct ctl_bulk_entry	*e;
	size_t			 ne, nsent;
	char			*buf;
	size_t			 len, cap;
};

/* Reads path (- is stdin) whole, at most CTL_FROM_MAX bytes. */
static char *
ctl_bulk_slurp(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
	char *p = NULL, *np;
	size_t cap = 0, n;

	*len = 0;
	if (f == NULL) {
		snprintf(err, errlen, "%.900s: %s", path, strerror(errno));
		return NULL;
	}
	do {
		if (*len == cap) {
			cap = cap > 0 ? cap * 2 : 1 << 20;
			if (cap > CTL_FROM_MAX + 1)
				cap = CTL_FROM_MAX + 1;
			if ((np = realloc(p, cap)) == NULL)
				break;
			p = np;
		}
		n = fread(p + *len, 1, cap - *len, f);
		*len += n;
	} while (n > 0 && *len <= CTL_FROM_MAX);
	if (f != stdin)
		fclose(f);
	if (p == NULL || *len > CTL_FROM_MAX) {
		snprintf(err, errlen, "%s: %s", path, p == NULL ? "out of memory" :
		    "over 256 MiB; split it");
		free(p);
		return NULL;
	}
	return p;
}

/* The sets the file holds (lines that are not blank or comments). */
static size_t
ctl_bulk_count(const char *text, size_t len)
{
	struct ndjson nd;
	const char *line;
	size_t n = 0, linelen, lineno;
	enum ndjson_kind k;

	ndjson_init(&nd, text, len, SETLINE_MAX);
	while ((k = ndjson_next(&nd, &line, &linelen, &lineno)) != NDJSON_END)
		if (k != NDJSON_LINE || line[0] != '#')
			n++;
	return n;
}

/* Reports one set: a line on stdout (stderr for a refusal) and, with
 * --json, its result; r is the API's result line (borrowed) or NULL with
 * error. */
static void
ctl_bulk_report(struct ctl_bulk *b, size_t lineno, json_t *r,
    const char *error)
{
	const char *id = json_string_value(json_object_get(r, "id"));
	json_t *names = json_object_get(r, "hostnames"), *o, *n;
	int existing = json_is_true(json_object_get(r, "existing"));
	size_t i;

	b->done++;
	if (id == NULL) {
		b->failed++;
		if (error == NULL)
			error = json_string_value(json_object_get(r, "error"));
		fprintf(stderr, "certfleetctl: %s:%zu: %s\n", b->file, lineno,
		    error != NULL ? error : "no answer");
		o = r != NULL ? json_deep_copy(r) : json_pack("{s:i, s:s}",
		    "code", 0, "error", error != NULL ? error : "no answer");
	} else {
		if (existing)
			b->existing++;
		else
			b->created++;
		if (!ctl_json()) {
			printf("%s\t%s\t", id, existing ? "existing" : "created");
			json_array_foreach(names, i, n)
				printf("%s%s", i > 0 ? " " : "", json_string_value(n));
			printf("\n");
		}
		o = json_deep_copy(r);
	}
	json_object_set_new(o, "line", json_integer((json_int_t)lineno));
	json_array_append_new(b->results, o);
}

/* Appends body and a newline to the request being built. 0 or -1. */
static int
ctl_bulk_put(struct ctl_bulk *b, const char *body)
{
	size_t n = strlen(body);
	char *nb;

	if (b->len + n + 1 > b->cap) {
		b->cap = (b->len + n + 1) * 2;
		if ((nb = realloc(b->buf, b->cap)) == NULL)
			return -1;
		b->buf = nb;
	}
	memcpy(b->buf + b->len, body, n);
	b->len += n;
	b->buf[b->len++] = '\n';
	return 0;
}

/* Adds the next line of nd to the request: a set to send, or one refused
 * here. Returns 1 when a line was taken, 0 at the end, -1 out of memory. */
static int
ctl_bulk_take(struct ctl_bulk *b, struct ndjson *nd, json_t *defaults)
{
	struct ctl_bulk_entry *ne, *e;
	const char *line;
	char err[512], *body = NULL;
	size_t linelen, lineno;
	enum ndjson_kind k;
	int n;

	do {
		if ((k = ndjson_next(nd, &line, &linelen, &lineno)) ==
		    NDJSON_END)
			return 0;
		err[0] = '\0';
		n = k == NDJSON_LINE ? setline_body(line, linelen, defaults,
		    &body, err, sizeof(err)) : -1;
	} while (n == 0);	/* a comment */
	if ((ne = realloc(b->e, (b->ne + 1) * sizeof(*ne))) == NULL) {
		free(body);
		return -1;
	}
	b->e = ne;
	e = &b->e[b->ne++];
	e->lineno = lineno;
	e->error = NULL;
	if (n < 0) {
		if (k == NDJSON_TOO_LONG)
			snprintf(err, sizeof(err), "the line is over %d bytes",
			    SETLINE_MAX);
		else if (k == NDJSON_BINARY)
			snprintf(err, sizeof(err), "the line holds a NUL byte");
		return (e->error = strdup(err)) != NULL ? 1 : -1;
	}
	n = ctl_bulk_put(b, body);
	free(body);
	if (n < 0)
		return -1;
	b->nsent++;
	return 1;
}

/* Sends the request built, reports each of its lines in order, and forgets
 * it. Returns 0, or -1 when the request failed (its sets are reported
 * failed with the reason). */
static int
ctl_bulk_send(struct ctl_bulk *b)
{
	struct http_response r = { 0 };
	struct ndjson nd;
	const char *line;
	char err[1024] = "";
	size_t i, k = 0, linelen, lineno;
	json_t **res = NULL, *j;
	int rc = 0;

	if (b->nsent > 0 && ((res = calloc(b->nsent, sizeof(*res))) == NULL ||
	    ctl_api_raw("POST", "/v1/certificates:bulk", "application/x-ndjson",
	    b->buf, b->len, CTL_BULK_REPLY_MAX, &r, err, sizeof(err)) < 0))
		rc = -1;
	if (rc == 0 && b->nsent > 0) {
		ndjson_init(&nd, r.body, r.len, r.len);
		while (k < b->nsent && ndjson_next(&nd, &line, &linelen,
		    &lineno) == NDJSON_LINE)
			res[k++] = json_loadb(line, linelen, 0, NULL);
		if (k != b->nsent) {
			snprintf(err, sizeof(err), "the API answered %zu lines for "
			    "%zu sets", k, b->nsent);
			rc = -1;
		}
	}
	for (i = 0, k = 0; i < b->ne; i++) {
		j = b->e[i].error == NULL && res != NULL ? res[k++] : NULL;
		ctl_bulk_report(b, b->e[i].lineno, rc == 0 ? j : NULL,
		    b->e[i].error != NULL ? b->e[i].error : rc < 0 ? err :
		    j == NULL ? "the API's answer is not JSON" : NULL);
		free(b->e[i].error);
	}
	for (k = 0; res != NULL && k < b->nsent; k++)
		json_decref(res[k]);
	free(res);
	http_response_free(&r);
	b->ne = b->nsent = b->len = 0;
	return rc;
}

/* The next request's size: what took CTL_BULK_TARGET_S at the last rate. */
static size_t
ctl_bulk_next(size_t sent, double seconds)
{
	double n = seconds > 0.01 ? (double)sent * CTL_BULK_TARGET_S / seconds :
	    CTL_BULK_SETS_MAX;

	if (n < 1)
		return 1;
	return n > CTL_BULK_SETS_MAX ? CTL_BULK_SETS_MAX : (size_t)n;
}

/* Every set of text through the API. 0, or -1 when a request failed. */
static int
ctl_bulk_run(struct ctl_bulk *b, const char *text, size_t len,
    json_t *defaults)
{
	struct ndjson nd;
	struct timespec t0, t1;
	size_t want = CTL_BULK_FIRST, sent;
	int n = 1;

	ndjson_init(&nd, text, len, SETLINE_MAX);
	while (n > 0) {
		while (b->nsent < want && b->len < CTL_BULK_BYTES_MAX &&
		    (n = ctl_bulk_take(b, &nd, defaults)) > 0)
			;
		if (n < 0 || b->ne == 0)
			break;
		sent = b->nsent;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		if (ctl_bulk_send(b) < 0)
			return -1;
		clock_gettime(CLOCK_MONOTONIC, &t1);
		want = ctl_bulk_next(sent, (double)(t1.tv_sec - t0.tv_sec) +
		    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
		ctl_progress_count((long)(time(NULL) - b->start), b->done,
		    b->total, "sets", b->failed, 0);
	}
	if (n < 0)
		fprintf(stderr, "certfleetctl: out of memory\n");
	return n < 0 ? -1 : 0;
}

int
ctl_enroll_from(const char *file, json_t *defaults)
{
	struct ctl_bulk b = { 0 };
	char err[1024], *text;
	size_t len;
	json_t *j;
	int run;

	if ((text = ctl_bulk_slurp(file, &len, err, sizeof(err))) == NULL)
		return ctl_fail(CTL_FAILED, err);
	b.file = file;
	b.results = json_array();
	b.start = time(NULL);
	b.total = ctl_bulk_count(text, len);
	run = ctl_bulk_run(&b, text, len, defaults);
	ctl_progress_count((long)(time(NULL) - b.start), b.done, b.total,
	    "sets", b.failed, 1);
	fprintf(stderr, "certfleetctl: %s: %zu set(s): %zu created, %zu existing, "
	    "%zu refused%s, in %ld s\n", file, b.total, b.created, b.existing,
	    b.failed, run < 0 ? ", the rest not sent" : "",
	    (long)(time(NULL) - b.start));
	if (ctl_json()) {
		j = json_pack("{s:s, s:I, s:I, s:I, s:I, s:I, s:O}", "file", file,
		    "sets", (json_int_t)b.total, "created", (json_int_t)b.created,
		    "existing", (json_int_t)b.existing, "failed",
		    (json_int_t)b.failed, "not_sent",
		    (json_int_t)(b.total - b.done), "results", b.results);
		ctl_emit(j);
		json_decref(j);
	}
	free(b.e);
	free(b.buf);
	free(text);
	json_decref(b.results);
	return run == 0 && b.failed == 0 ? CTL_OK : CTL_FAILED;
}
