/* ratescope.c -- reads which scope a CA's rate-limit problem covers from the fragment of the documentation URL in its detail and the name it quotes. */
#include "ratescope.h"

#include <string.h>

/* The fragments Let's Encrypt's details point to, the current page's and
 * the older page's (before 2024), with the scope each limit counts. */
static const struct {
	const char		*fragment;
	enum ratescope_kind	 kind;
} ratescope_fragments[] = {
	{ "new-orders-per-account", RATESCOPE_ACCOUNT },
	{ "new-orders", RATESCOPE_ACCOUNT },
	{ "new-certificates-per-registered-domain", RATESCOPE_DOMAIN },
	{ "certificates-per-registered-domain", RATESCOPE_DOMAIN },
	{ "new-certificates-per-exact-set-of-identifiers", RATESCOPE_SET },
	{ "new-certificates-per-exact-set-of-hostnames", RATESCOPE_SET },
	{ "duplicate-certificate-limit", RATESCOPE_SET },
	{ "authorization-failures-per-identifier-per-account", RATESCOPE_NAME },
	{ "authorization-failures-per-hostname-per-account", RATESCOPE_NAME },
	{ "consecutive-authorization-failures-per-identifier-per-account",
	    RATESCOPE_NAME },
	{ "consecutive-authorization-failures-per-hostname-per-account",
	    RATESCOPE_NAME },
	{ "failed-validation-limit", RATESCOPE_NAME },
};

#define RATESCOPE_DOCS "/rate-limits/#"

/* The characters a fragment is made of. */
static int
ratescope_slug_char(char ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
	    ch == '-';
}

/* The kind of the last "/rate-limits/#FRAGMENT" in d[0..len), the fragment
 * ending at the first character no fragment has. */
static enum ratescope_kind
ratescope_fragment(const char *d, size_t len)
{
	const size_t dl = sizeof(RATESCOPE_DOCS) - 1;
	enum ratescope_kind k = RATESCOPE_NONE;
	size_t i, j, f;

	for (i = 0; i + dl <= len; i++) {
		if (memcmp(d + i, RATESCOPE_DOCS, dl) != 0)
			continue;
		for (j = i + dl; j < len && ratescope_slug_char(d[j]); j++)
			;
		k = RATESCOPE_NONE;
		for (f = 0; f < sizeof(ratescope_fragments) /
		    sizeof(ratescope_fragments[0]); f++)
			if (strlen(ratescope_fragments[f].fragment) == j - i - dl &&
			    memcmp(d + i + dl, ratescope_fragments[f].fragment,
			    j - i - dl) == 0)
				k = ratescope_fragments[f].kind;
	}
	return k;
}

/* The first double-quoted word of d[0..len) normalized into out; 0, or -1
 * when there is none or it is no valid host name. */
static int
ratescope_quoted(const char *d, size_t len, char out[HOSTNAME_MAX + 1])
{
	char word[HOSTNAME_MAX + 2], why[128];
	const char *q, *e;

	if ((q = memchr(d, '"', len)) == NULL)
		return -1;
	q++;
	if ((e = memchr(q, '"', len - (size_t)(q - d))) == NULL ||
	    e == q || (size_t)(e - q) > HOSTNAME_MAX)
		return -1;
	memcpy(word, q, (size_t)(e - q));
	word[e - q] = '\0';
	if (strlen(word) != (size_t)(e - q))	/* a NUL inside */
		return -1;
	return hostname_normalize(word, out, why, sizeof(why)) < 0 ? -1 : 0;
}

enum ratescope_kind
ratescope_parse(const char *detail, size_t len, struct ratescope *out)
{
	const char *nul;

	memset(out, 0, sizeof(*out));
	if (detail == NULL)
		return RATESCOPE_NONE;
	if ((nul = memchr(detail, '\0', len)) != NULL)
		len = (size_t)(nul - detail);
	out->kind = ratescope_fragment(detail, len);
	if ((out->kind == RATESCOPE_DOMAIN || out->kind == RATESCOPE_NAME) &&
	    ratescope_quoted(detail, len, out->name) < 0)
		out->kind = RATESCOPE_NONE;
	return out->kind;
}

enum ratescope_kind
ratescope_problem(const char *type, const char *detail, struct ratescope *out)
{
	if (type == NULL || detail == NULL ||
	    strcmp(type, RATESCOPE_PROBLEM_TYPE) != 0) {
		memset(out, 0, sizeof(*out));
		return RATESCOPE_NONE;
	}
	return ratescope_parse(detail, strlen(detail), out);
}

const char *
ratescope_word(enum ratescope_kind k)
{
	switch (k) {
	case RATESCOPE_ACCOUNT:
		return "account";
	case RATESCOPE_DOMAIN:
		return "domain";
	case RATESCOPE_SET:
		return "set";
	case RATESCOPE_NAME:
		return "name";
	default:
		return "none";
	}
}
