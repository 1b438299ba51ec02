/* deletereq.c -- parses the body of POST /v1/certificates:delete: listed ids, or a tenant/label selector, and its flags; strict, pure. */
#include "deletereq.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "acme.h"
#include "ids.h"

/* The ids of the body into dr (at most DELETEREQ_MAX, each an id).
 * Returns 0, or -1 with a message for the client. */
static int
deletereq_ids(const json_t *a, struct deletereq *dr, char *err,
    size_t errlen)
{
	size_t i;
	const char *s;

	if (!json_is_array(a) || json_array_size(a) == 0 ||
	    json_array_size(a) > DELETEREQ_MAX) {
		snprintf(err, errlen, "ids must be an array of 1-%d certificate "
		    "ids", DELETEREQ_MAX);
		return -1;
	}
	if ((dr->ids = calloc(json_array_size(a), sizeof(*dr->ids))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (i = 0; i < json_array_size(a); i++) {
		if ((s = json_string_value(json_array_get(a, i))) == NULL ||
		    !ids_valid(s)) {
			snprintf(err, errlen, "ids[%zu] is not a certificate id", i);
			return -1;
		}
		if ((dr->ids[dr->nids] = strdup(s)) == NULL) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		dr->nids++;
	}
	return 0;
}

/* tenant, label (KEY:VALUE, as GET /v1/certificates takes them) into dr.
 * Returns 0, or -1 with a message for the client. */
static int
deletereq_selector(json_t *root, struct deletereq *dr, char *err,
    size_t errlen)
{
	json_t *t = json_object_get(root, "tenant"),
	    *l = json_object_get(root, "label");

	if ((t != NULL && !json_is_string(t)) || (l != NULL &&
	    !json_is_string(l))) {
		snprintf(err, errlen, "tenant and label are strings");
		return -1;
	}
	return searchq_selector(json_string_value(t), json_string_value(l),
	    dr->tenant, dr->label_key, dr->label_value, err, errlen);
}

/* The flags and limit of the body into dr. Returns 0, or -1 with a
 * message for the client. */
static int
deletereq_flags(json_t *root, struct deletereq *dr, char *err,
    size_t errlen)
{
	json_t *lim = json_object_get(root, "limit"),
	    *dry = json_object_get(root, "dry_run"),
	    *rv = json_object_get(root, "revoke"),
	    *rs = json_object_get(root, "reason");

	dr->limit = DELETEREQ_MAX;
	if (lim != NULL && (!json_is_integer(lim) || json_integer_value(lim) < 1 ||
	    json_integer_value(lim) > DELETEREQ_MAX)) {
		snprintf(err, errlen, "limit must be 1-%d", DELETEREQ_MAX);
		return -1;
	}
	if (lim != NULL)
		dr->limit = (long)json_integer_value(lim);
	if ((dry != NULL && !json_is_boolean(dry)) ||
	    (rv != NULL && !json_is_boolean(rv))) {
		snprintf(err, errlen, "dry_run and revoke are true or false");
		return -1;
	}
	dr->dry_run = json_is_true(dry);
	dr->revoke = json_is_true(rv);
	if (rs != NULL && (!dr->revoke || !json_is_string(rs) ||
	    (dr->reason = acme_revoke_reason_parse(json_string_value(rs))) < 0)) {
		snprintf(err, errlen, "reason is taken with revoke: true, and is "
		    "unspecified, keyCompromise, affiliationChanged, superseded or "
		    "cessationOfOperation");
		return -1;
	}
	return 0;
}

/* The body: {"ids": [...]} or {"tenant": T, "label": "K:V"} (one of them
 * at least), "limit", "dry_run", "revoke", "reason"; known fields only.
 * Returns 0, or -1 with a message for the client. */
static int
deletereq_fields(json_t *root, struct deletereq *dr, char *err,
    size_t errlen)
{
	static const char *const known[] = { "ids", "tenant", "label", "limit",
	    "dry_run", "revoke", "reason" };
	const char *k;
	json_t *v;
	size_t i;

	err[0] = '\0';
	json_object_foreach(root, k, v) {
		for (i = 0; i < sizeof(known) / sizeof(known[0]); i++)
			if (strcmp(k, known[i]) == 0)
				break;
		if (i == sizeof(known) / sizeof(known[0])) {
			snprintf(err, errlen, "unknown field %.64s (ids, tenant, "
			    "label, limit, dry_run, revoke, reason)", k);
			return -1;
		}
	}
	if (deletereq_flags(root, dr, err, errlen) < 0)
		return -1;
	if (json_object_get(root, "ids") != NULL) {
		if (json_object_get(root, "tenant") != NULL ||
		    json_object_get(root, "label") != NULL) {
			snprintf(err, errlen, "give ids or a tenant/label selector, "
			    "not both");
			return -1;
		}
		return deletereq_ids(json_object_get(root, "ids"), dr, err,
		    errlen);
	}
	if (deletereq_selector(root, dr, err, errlen) < 0)
		return -1;
	if (dr->tenant[0] == '\0' && dr->label_key[0] == '\0') {
		snprintf(err, errlen, "say which certificates: ids, or tenant "
		    "and/or label");
		return -1;
	}
	return 0;
}

void
deletereq_free(struct deletereq *dr)
{
	size_t i;

	for (i = 0; i < dr->nids; i++)
		free(dr->ids[i]);
	free(dr->ids);
	memset(dr, 0, sizeof(*dr));
}

int
deletereq_parse(const char *body, size_t len, struct deletereq *dr,
    char *err, size_t errlen)
{
	json_error_t je;
	json_t *root;
	int rc = -1;

	memset(dr, 0, sizeof(*dr));
	if ((root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je)) == NULL ||
	    !json_is_object(root))
		snprintf(err, errlen, "the body must be a JSON object: {\"ids\": "
		    "[...]} or {\"tenant\": ..., \"label\": ...}");
	else
		rc = deletereq_fields(root, dr, err, errlen);
	json_decref(root);
	if (rc < 0)
		deletereq_free(dr);
	return rc;
}
