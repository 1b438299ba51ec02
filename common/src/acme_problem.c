/* acme_problem.c -- ACME problem documents (RFC 7807, RFC 8555 section 6.7): parsing and the retry policy of each type. */
#include "acme_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "utf8.h"

#define ACME_ERR_NS	"urn:ietf:params:acme:error:"

/* Copies a string member as valid UTF-8 on one line (utf8_sanitize:
 * control characters become '?'), cut on a character boundary to at most
 * ACME_PROBLEM_TEXT_MAX bytes, so that it can go into an event and a
 * PostgreSQL text column as it is; "" when absent or not a string. NULL
 * only when out of memory. */
static char *
problem_str(json_t *o, const char *key)
{
	json_t *v = json_object_get(o, key);
	const char *s = json_is_string(v) ? json_string_value(v) : "";
	size_t n = json_is_string(v) ? json_string_length(v) : 0;
	char *out, *fit;

	if ((out = malloc(ACME_PROBLEM_TEXT_MAX + 1)) == NULL)
		return NULL;
	n = utf8_sanitize(s, n, out, ACME_PROBLEM_TEXT_MAX + 1);
	if ((fit = realloc(out, n + 1)) != NULL)
		out = fit;
	return out;
}

void
acme_problem_free(struct acme_problem *p)
{
	size_t i;

	free(p->type);
	free(p->detail);
	for (i = 0; i < p->nsub; i++) {
		free(p->sub[i].type);
		free(p->sub[i].detail);
		free(p->sub[i].id_type);
		free(p->sub[i].id_value);
	}
	free(p->sub);
	memset(p, 0, sizeof(*p));
}

/* Fills p from a problem object o; 0 or -1 (out of memory). */
static int
problem_from_json(json_t *o, long http_status, struct acme_problem *p)
{
	json_t *subs, *s, *id;
	struct acme_subproblem *sp;
	size_t i, n;

	memset(p, 0, sizeof(*p));
	if ((p->type = problem_str(o, "type")) == NULL ||
	    (p->detail = problem_str(o, "detail")) == NULL)
		return -1;
	p->status = http_status;
	s = json_object_get(o, "status");
	if (json_is_integer(s) && json_integer_value(s) >= 100 &&
	    json_integer_value(s) <= 599)
		p->status = (long)json_integer_value(s);
	subs = json_object_get(o, "subproblems");
	if (!json_is_array(subs) || json_array_size(subs) == 0)
		return 0;
	n = json_array_size(subs);
	if (n > ACME_SUBPROBLEMS_MAX)
		n = ACME_SUBPROBLEMS_MAX;
	if ((p->sub = calloc(n, sizeof(*p->sub))) == NULL)
		return -1;
	for (i = 0; i < n; i++) {
		s = json_array_get(subs, i);
		if (!json_is_object(s))
			continue;
		id = json_object_get(s, "identifier");
		sp = &p->sub[p->nsub++];
		if ((sp->type = problem_str(s, "type")) == NULL ||
		    (sp->detail = problem_str(s, "detail")) == NULL ||
		    (sp->id_type = problem_str(id, "type")) == NULL ||
		    (sp->id_value = problem_str(id, "value")) == NULL)
			return -1;
	}
	return 0;
}

int
acme_problem_parse(const char *body, size_t len, long http_status,
    struct acme_problem *p, char *err, size_t errlen)
{
	json_error_t je;
	json_t *o = NULL;
	int rc = -1;

	memset(p, 0, sizeof(*p));
	if (len > ACME_JSON_MAX) {
		snprintf(err, errlen, "problem document over %d bytes",
		    ACME_JSON_MAX);
		goto out;
	}
	if ((o = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je)) == NULL) {
		snprintf(err, errlen, "problem document is not JSON: %s", je.text);
		goto out;
	}
	if (!json_is_object(o)) {
		snprintf(err, errlen, "problem document is not an object");
		goto out;
	}
	if (problem_from_json(o, http_status, p) < 0) {
		snprintf(err, errlen, "out of memory");
		acme_problem_free(p);
		goto out;
	}
	rc = 0;
out:
	json_decref(o);
	return rc;
}

int
acme_problem_from_json(json_t *o, long http_status, struct acme_problem *p)
{
	if (!json_is_object(o)) {
		memset(p, 0, sizeof(*p));
		return -1;
	}
	if (problem_from_json(o, http_status, p) < 0) {
		acme_problem_free(p);
		return -1;
	}
	return 0;
}

/* Types worth retrying later (the CA or the path had a transient issue). */
static const char *const retry_yes[] = {
	"badNonce", "serverInternal", "connection", "orderNotReady",
};

enum acme_retry
acme_problem_retry(const char *type, long http_status)
{
	const char *t;
	size_t i;

	if (type == NULL || type[0] == '\0') {
		if (http_status == 429)
			return ACME_RETRY_DEFER;
		if (http_status >= 500 || http_status == 0)
			return ACME_RETRY_YES;
		return ACME_RETRY_NO;
	}
	if (strncmp(type, ACME_ERR_NS, strlen(ACME_ERR_NS)) != 0)
		return http_status >= 500 ? ACME_RETRY_YES : ACME_RETRY_NO;
	t = type + strlen(ACME_ERR_NS);
	if (strcmp(t, "rateLimited") == 0)
		return ACME_RETRY_DEFER;
	for (i = 0; i < sizeof(retry_yes) / sizeof(retry_yes[0]); i++)
		if (strcmp(t, retry_yes[i]) == 0)
			return ACME_RETRY_YES;
	return ACME_RETRY_NO;
}

const char *
acme_outcome_name(enum acme_outcome o)
{
	switch (o) {
	case ACME_DONE:
		return "done";
	case ACME_FAILED:
		return "failed";
	case ACME_DEFERRED:
		return "deferred";
	case ACME_CANCELLED:
		return "cancelled";
	}
	return "unknown";
}
