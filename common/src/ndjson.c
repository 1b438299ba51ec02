/* ndjson.c -- splits newline-delimited text into trimmed, non-blank lines with a cap per line; the API's bulk body and certfleetctl's --from file share it. */
#include "ndjson.h"

#include <string.h>

static int
ndjson_blank(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

void
ndjson_init(struct ndjson *s, const char *buf, size_t len, size_t max)
{
	s->buf = buf;
	s->len = len;
	s->off = 0;
	s->lineno = 0;
	s->max = max;
}

enum ndjson_kind
ndjson_next(struct ndjson *s, const char **line, size_t *linelen,
    size_t *lineno)
{
	const char *p, *nl;
	size_t n, raw, b, e;

	*line = NULL;
	*linelen = 0;
	while (s->off < s->len) {
		p = s->buf + s->off;
		n = s->len - s->off;
		nl = memchr(p, '\n', n);
		raw = nl != NULL ? (size_t)(nl - p) : n;
		s->off += raw + (nl != NULL ? 1 : 0);
		s->lineno++;
		*lineno = s->lineno;
		/* a CRLF's CR is part of the terminator, not of the cap */
		if (raw > 0 && p[raw - 1] == '\r')
			raw--;
		for (b = 0; b < raw && ndjson_blank(p[b]); b++)
			;
		if (b == raw)
			continue;	/* blank, whatever its length */
		if (raw > s->max)
			return NDJSON_TOO_LONG;
		if (memchr(p, '\0', raw) != NULL)
			return NDJSON_BINARY;
		for (e = raw; e > b && ndjson_blank(p[e - 1]); e--)
			;
		*line = p + b;
		*linelen = e - b;
		return NDJSON_LINE;
	}
	return NDJSON_END;
}

size_t
ndjson_count(const char *buf, size_t len)
{
	struct ndjson s;
	const char *line;
	size_t n = 0, linelen, lineno;

	/* no cap: a line over any cap still counts as one */
	ndjson_init(&s, buf, len, (size_t)-1);
	while (ndjson_next(&s, &line, &linelen, &lineno) != NDJSON_END)
		n++;
	return n;
}
