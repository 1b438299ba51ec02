/* camovereq.c -- parses the bodies of POST /v1/certificates/{id}/ca and :move: the new CA and fallbacks, "now", and for :move the certificates it takes; strict, pure. */
#include "camovereq.h"

#include <stdio.h>
#include <string.h>

#include <jansson.h>

/* A CA name field v (what: its name in messages) into out. Returns 0, or
 * -1 with a message for the client. */
static int
camovereq_name(const json_t *v, const char *what, char out[CAS_NAME_MAX + 1],
    char *err, size_t errlen)
{
	if (!json_is_string(v) || strlen(json_string_value(v)) !=
	    json_string_length(v) || !cas_name_ok(json_string_value(v))) {
		snprintf(err, errlen, "%s must be a CA name (lower-case letters, "
		    "digits and '-', at most %d)", what, CAS_NAME_MAX);
		return -1;
	}
	snprintf(out, CAS_NAME_MAX + 1, "%s", json_string_value(v));
	return 0;
}

/* "ca" and "fallback" into mr->cas. Returns 0, or -1 with a message. */
static int
camovereq_cas(json_t *root, struct camovereq *mr, char *err, size_t errlen)
{
	json_t *a = json_object_get(root, "fallback"), *v;
	char what[32];
	size_t i, j;

	if (json_object_get(root, "ca") == NULL) {
		snprintf(err, errlen, "ca is required: the CA to move to");
		return -1;
	}
	if (camovereq_name(json_object_get(root, "ca"), "ca", mr->cas[0], err,
	    errlen) < 0)
		return -1;
	mr->ncas = 1;
	if (a == NULL)
		return 0;
	if (!json_is_array(a) || json_array_size(a) > CAS_LIST_MAX - 1) {
		snprintf(err, errlen, "fallback must be an array of at most %d CA "
		    "names", CAS_LIST_MAX - 1);
		return -1;
	}
	json_array_foreach(a, i, v) {
		snprintf(what, sizeof(what), "fallback[%zu]", i);
		if (camovereq_name(v, what, mr->cas[mr->ncas], err, errlen) < 0)
			return -1;
		for (j = 0; j < mr->ncas; j++)
			if (strcmp(mr->cas[j], mr->cas[mr->ncas]) == 0) {
				snprintf(err, errlen, "CA \"%s\" is listed twice in "
				    "ca and fallback", mr->cas[j]);
				return -1;
			}
		mr->ncas++;
	}
	return 0;
}

/* A boolean field into *out (absent: false). Returns 0, or -1. */
static int
camovereq_bool(json_t *root, const char *field, int *out, char *err,
    size_t errlen)
{
	json_t *v = json_object_get(root, field);

	if (v != NULL && !json_is_boolean(v)) {
		snprintf(err, errlen, "%s must be true or false", field);
		return -1;
	}
	*out = json_is_true(v);
	return 0;
}

/* What :move takes: from_ca, tenant, label, after, limit, dry_run. */
static int
camovereq_bulk(json_t *root, struct camovereq *mr, char *err, size_t errlen)
{
	json_t *t = json_object_get(root, "tenant"),
	    *l = json_object_get(root, "label"),
	    *af = json_object_get(root, "after"),
	    *lim = json_object_get(root, "limit");
	if (json_object_get(root, "from_ca") == NULL) {
		snprintf(err, errlen, "from_ca is required: the CA whose "
		    "certificates move");
		return -1;
	}
	if (camovereq_name(json_object_get(root, "from_ca"), "from_ca",
	    mr->from_ca, err, errlen) < 0)
		return -1;
	if ((t != NULL && !json_is_string(t)) || (l != NULL &&
	    !json_is_string(l))) {
		snprintf(err, errlen, "tenant and label are strings");
		return -1;
	}
	if (searchq_selector(json_string_value(t), json_string_value(l),
	    mr->tenant, mr->label_key, mr->label_value, err, errlen) < 0)
		return -1;
	if (af != NULL && (!json_is_string(af) ||
	    !ids_valid(json_string_value(af)))) {
		snprintf(err, errlen, "after must be a certificate id (the next "
		    "of the previous answer)");
		return -1;
	}
	if (af != NULL)
		snprintf(mr->after, sizeof(mr->after), "%s",
		    json_string_value(af));
	mr->limit = CAMOVEREQ_MAX;
	if (lim != NULL && (!json_is_integer(lim) || json_integer_value(lim) < 1 ||
	    json_integer_value(lim) > CAMOVEREQ_MAX)) {
		snprintf(err, errlen, "limit must be 1-%d", CAMOVEREQ_MAX);
		return -1;
	}
	if (lim != NULL)
		mr->limit = (long)json_integer_value(lim);
	return camovereq_bool(root, "dry_run", &mr->dry_run, err, errlen);
}

/* Known fields only. Returns 0, or -1 with a message naming the field. */
static int
camovereq_known(json_t *root, int bulk, char *err, size_t errlen)
{
	static const char *const known[] = { "ca", "fallback", "now",
	    "from_ca", "tenant", "label", "after", "limit", "dry_run" };
	size_t nknown = bulk ? sizeof(known) / sizeof(known[0]) : 3, i;
	const char *k;
	json_t *v;

	json_object_foreach(root, k, v) {
		for (i = 0; i < nknown; i++)
			if (strcmp(k, known[i]) == 0)
				break;
		if (i == nknown) {
			snprintf(err, errlen, "unknown field %.64s (%s)", k, bulk ?
			    "ca, fallback, now, from_ca, tenant, label, after, "
			    "limit, dry_run" : "ca, fallback, now");
			return -1;
		}
	}
	return 0;
}

int
camovereq_parse(const char *body, size_t len, int bulk,
    struct camovereq *mr, char *err, size_t errlen)
{
	json_error_t je;
	json_t *root;
	int rc = -1;

	memset(mr, 0, sizeof(*mr));
	err[0] = '\0';
	if ((root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je)) == NULL ||
	    !json_is_object(root))
		snprintf(err, errlen, "the body must be a JSON object: {\"ca\": "
		    "NAME, \"fallback\": [NAME...], \"now\": false%s}", bulk ?
		    ", \"from_ca\": NAME, ..." : "");
	else if (camovereq_known(root, bulk, err, errlen) == 0 &&
	    camovereq_cas(root, mr, err, errlen) == 0 &&
	    camovereq_bool(root, "now", &mr->now, err, errlen) == 0 &&
	    (!bulk || camovereq_bulk(root, mr, err, errlen) == 0))
		rc = 0;
	json_decref(root);
	if (rc < 0) {
		memset(mr, 0, sizeof(*mr));
		if (err[0] == '\0')
			snprintf(err, errlen, "the body is not valid");
	}
	return rc;
}

size_t
camovereq_list(const struct camovereq *mr, const char *list[CAS_LIST_MAX])
{
	size_t i;

	for (i = 0; i < mr->ncas; i++)
		list[i] = mr->cas[i];
	return mr->ncas;
}

int
camovereq_check(const struct camovereq *mr, const struct cas_conf *c,
    char *err, size_t errlen)
{
	const char *list[CAS_LIST_MAX];

	return cas_list_check(c, list, camovereq_list(mr, list), err, errlen);
}
