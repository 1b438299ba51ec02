/* edgeask.c -- parses the ask bodies of edges: names one per line, and peter_sslers' domain_name form field. */
#include "edgeask.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hexdigit.h"

/* 1 when s[0..len) is a plausible SNI: 1-HOSTNAME_MAX + 1 bytes of ASCII
 * letters, digits, '-' and '.' (hostname_normalize decides the rest). */
static int
edgeask_charset(const char *s, size_t len)
{
	size_t i;
	char c;

	if (len == 0 || len > HOSTNAME_MAX + 1)
		return 0;
	for (i = 0; i < len; i++) {
		c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.'))
			return 0;
	}
	return 1;
}

/* Normalizes s[0..len) into out; 0, or -1 when it is not a host name. */
static int
edgeask_name(const char *s, size_t len, char *out)
{
	char buf[HOSTNAME_MAX + 2], why[160];

	if (!edgeask_charset(s, len))
		return -1;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (hostname_normalize(buf, out, why, sizeof(why)) < 0 ||
	    hostname_is_wildcard(out))
		return -1;
	return 0;
}

void
edgeask_free(struct edgeask *a)
{
	size_t i;

	for (i = 0; i < a->n; i++)
		free(a->names[i]);
	a->n = 0;
}

enum edgeask_status
edgeask_lines(const char *body, size_t len, struct edgeask *a)
{
	char norm[HOSTNAME_MAX + 1];
	const char *p = body, *end = body + len, *nl;
	size_t l, lines = 0;

	memset(a, 0, sizeof(*a));
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		l = (size_t)((nl != NULL ? nl : end) - p);
		if (l > 0 && p[l - 1] == '\r')
			l--;
		if (l > 0 && ++lines > EDGEASK_MAX_NAMES) {
			edgeask_free(a);
			a->invalid = 0;
			return EDGEASK_TOO_MANY;
		}
		if (l > 0 && edgeask_name(p, l, norm) < 0)
			a->invalid++;
		else if (l > 0 && (a->names[a->n] = strdup(norm)) == NULL) {
			edgeask_free(a);
			a->invalid = 0;
			return EDGEASK_NOMEM;
		} else if (l > 0)
			a->n++;
		if (nl == NULL)
			break;
		p = nl + 1;
	}
	a->n = hostname_set_unique(a->names, a->n);
	return EDGEASK_OK;
}

/* Decodes the form value v[0..len) into out (cap bytes); returns its
 * length, or -1 when it is too long or holds a bad escape. */
static long
edgeask_unescape(const char *v, size_t len, char *out, size_t cap)
{
	size_t i, o = 0;
	int hi, lo;

	for (i = 0; i < len; i++) {
		if (o == cap)
			return -1;
		if (v[i] == '%') {
			if (i + 2 >= len)
				return -1;
			if ((hi = hexdigit((unsigned char)v[i + 1])) < 0 ||
			    (lo = hexdigit((unsigned char)v[i + 2])) < 0)
				return -1;
			out[o++] = (char)(hi * 16 + lo);
			i += 2;
		} else
			out[o++] = v[i] == '+' ? ' ' : v[i];
	}
	return (long)o;
}

int
edgeask_form(const char *body, size_t len, char *out, char *err,
    size_t errlen)
{
	static const char field[] = "domain_name=";
	const char *p = body, *end = body + len, *amp, *value = NULL;
	char buf[HOSTNAME_MAX + 2];
	size_t l, vlen = 0, seen = 0;
	long n;

	out[0] = '\0';
	while (p < end) {
		amp = memchr(p, '&', (size_t)(end - p));
		l = (size_t)((amp != NULL ? amp : end) - p);
		if (l >= sizeof(field) - 1 && memcmp(p, field,
		    sizeof(field) - 1) == 0) {
			value = p + sizeof(field) - 1;
			vlen = l - (sizeof(field) - 1);
			seen++;
		}
		if (amp == NULL)
			break;
		p = amp + 1;
	}
	if (seen != 1) {
		snprintf(err, errlen, seen == 0 ? "the form field domain_name is "
		    "missing" : "the form field domain_name is repeated");
		return -1;
	}
	if ((n = edgeask_unescape(value, vlen, buf, sizeof(buf) - 1)) < 0 ||
	    edgeask_name(buf, (size_t)n, out) < 0) {
		out[0] = '\0';
		snprintf(err, errlen, "domain_name is not a host name");
		return -1;
	}
	return 0;
}
