/* ndjson.h -- splits newline-delimited text (NDJSON bodies, `enroll --from` files) into lines: LF or CRLF ends, blank lines skipped, a cap per line. */
#ifndef CERTFLEET_NDJSON_H
#define CERTFLEET_NDJSON_H

#include <stddef.h>

/* What ndjson_next found. */
enum ndjson_kind {
	NDJSON_END,		/* no line left */
	NDJSON_LINE,		/* a line, trimmed of surrounding blanks */
	NDJSON_TOO_LONG,	/* a line over the cap: skipped, not returned */
	NDJSON_BINARY,		/* a line holding a NUL byte: skipped */
};

/* A cursor over buf[0..len); the buffer is borrowed and must outlive it. */
struct ndjson {
	const char	*buf;
	size_t		 len;
	size_t		 off;		/* start of the next line */
	size_t		 lineno;	/* the last line read, 1-based */
	size_t		 max;		/* longest line, terminator excluded */
};

/* Starts reading buf[0..len) with lines of at most max bytes (without the
 * LF or CRLF that ends them). */
void ndjson_init(struct ndjson *s, const char *buf, size_t len, size_t max);

/*
 * The next line that is not blank (blank: nothing but spaces, tabs and
 * CRs, whatever the line's length). NDJSON_LINE: *line points into the
 * buffer at the line, *linelen its length without the terminator and with
 * the spaces, tabs and CRs around it trimmed (never 0). NDJSON_TOO_LONG
 * and NDJSON_BINARY: the line is reported and skipped, *line is NULL and *linelen 0. In every case but
 * NDJSON_END, *lineno is its 1-based line number in the buffer (blank
 * lines count). The last line need not end with LF. Cost: O(line length).
 */
enum ndjson_kind ndjson_next(struct ndjson *s, const char **line,
    size_t *linelen, size_t *lineno);

/* How many times ndjson_next would return something other than
 * NDJSON_END on buf[0..len). O(len). */
size_t ndjson_count(const char *buf, size_t len);

#endif
