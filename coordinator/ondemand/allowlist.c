/* allowlist.c -- allow-list entries of on-demand issuance: parsing, matching names, and the scope of a cached refusal. */
#include "allowlist.h"

#include <stdio.h>
#include <string.h>

int
allowlist_parse(const char *in, struct allowlist_entry *e, char *err,
    size_t errlen)
{
	char norm[HOSTNAME_MAX + 1], why[160];

	memset(e, 0, sizeof(*e));
	if (hostname_normalize(in, norm, why, sizeof(why)) < 0) {
		snprintf(err, errlen, "%s", why);
		return -1;
	}
	e->wildcard = hostname_is_wildcard(norm);
	snprintf(e->base, sizeof(e->base), "%s", e->wildcard ? norm + 2 : norm);
	return 0;
}

void
allowlist_format(const struct allowlist_entry *e, char *out)
{
	size_t n = strnlen(e->base, HOSTNAME_MAX);

	if (e->wildcard && n + 2 <= HOSTNAME_MAX) {
		memcpy(out, "*.", 2);
		memcpy(out + 2, e->base, n + 1);
	} else
		memcpy(out, e->base, n + 1);
	out[HOSTNAME_MAX] = '\0';
}

/* 1 when name is domain or a name under it. */
static int
allowlist_at_or_under(const char *name, const char *domain)
{
	size_t n = strlen(name), d = strlen(domain);

	if (n == d)
		return strcmp(name, domain) == 0;
	return n > d && name[n - d - 1] == '.' &&
	    strcmp(name + n - d, domain) == 0;
}

/* The name one label up ("b.c" for "a.b.c"), or NULL for a single label. */
static const char *
allowlist_parent(const char *name)
{
	const char *dot = strchr(name, '.');

	return dot != NULL ? dot + 1 : NULL;
}

int
allowlist_matches(const struct allowlist_entry *e, const char *name)
{
	const char *parent;

	if (!e->wildcard)
		return allowlist_at_or_under(name, e->base);
	parent = allowlist_parent(name);
	return parent != NULL && strcmp(parent, e->base) == 0;
}

long
allowlist_best(const struct allowlist_entry *es, size_t n, const char *name)
{
	size_t i, len, bestlen = 0;
	long best = -1;

	for (i = 0; i < n; i++) {
		if (!allowlist_matches(&es[i], name))
			continue;
		len = strlen(es[i].base);
		if (best < 0 || len > bestlen || (len == bestlen &&
		    es[i].wildcard && !es[best].wildcard)) {
			best = (long)i;
			bestlen = len;
		}
	}
	return best;
}

int
allowlist_overlaps(const struct allowlist_entry *e, const char *domain)
{
	const char *parent;

	/* an entry whose base lies at or under domain allows names there */
	if (allowlist_at_or_under(e->base, domain))
		return 1;
	if (!e->wildcard)	/* domain under the entry: domain is allowed */
		return allowlist_at_or_under(domain, e->base);
	/* "*.p" allows exactly one label under p: domain itself, or nothing */
	parent = allowlist_parent(domain);
	return parent != NULL && strcmp(parent, e->base) == 0;
}

int
allowlist_deny_scope(const char *name, const char *rd,
    const struct allowlist_entry *es, size_t n, char *out)
{
	const char *d, *start;
	size_t i;

	out[0] = '\0';
	if (!allowlist_at_or_under(name, rd))
		rd = name;
	/* from the registered domain down to the name: the first suffix no
	 * entry reaches is the widest refusal that is safe */
	start = name + strlen(name) - strlen(rd);
	for (d = start; ; ) {
		for (i = 0; i < n; i++)
			if (allowlist_overlaps(&es[i], d))
				break;
		if (i == n) {
			snprintf(out, HOSTNAME_MAX + 1, "%s", d);
			return 1;
		}
		if (d == name)
			return 0;
		/* one label longer: back to the dot before d */
		d -= 2;
		while (d > name && d[-1] != '.')
			d--;
	}
}
