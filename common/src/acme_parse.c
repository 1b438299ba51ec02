/* acme_parse.c -- checks of the CA's JSON resources (directory, order, authorization) before the engine acts on them; separately callable for fuzzing. */
#include "acme_int.h"

#include <stdio.h>
#include <string.h>

#include "b64.h"

json_t *
acme_directory_parse(const char *body, size_t len, char *err, size_t errlen)
{
	json_error_t je;
	json_t *d;

	if (len > ACME_JSON_MAX) {
		snprintf(err, errlen, "body over %d bytes", ACME_JSON_MAX);
		return NULL;
	}
	if ((d = json_loadb(body != NULL ? body : "", len,
	    JSON_REJECT_DUPLICATES, &je)) == NULL || !json_is_object(d)) {
		json_decref(d);
		snprintf(err, errlen, "not a JSON object");
		return NULL;
	}
	if (acme_json_url(d, "newNonce") == NULL ||
	    acme_json_url(d, "newAccount") == NULL ||
	    acme_json_url(d, "newOrder") == NULL) {
		json_decref(d);
		snprintf(err, errlen, "newNonce, newAccount or newOrder missing");
		return NULL;
	}
	return d;
}

/* 1 when s is one of the NULL-terminated words. */
static int
one_of(const char *s, const char *const *words)
{
	for (; s != NULL && *words != NULL; words++)
		if (strcmp(s, *words) == 0)
			return 1;
	return 0;
}

int
acme_order_view(json_t *j, struct acme_order_view *v, char *err,
    size_t errlen)
{
	static const char *const st[] = { "pending", "ready", "processing",
	    "valid", "invalid", NULL };
	json_t *a;
	size_t i;

	memset(v, 0, sizeof(*v));
	if (!json_is_object(j)) {
		snprintf(err, errlen, "order: not an object");
		return -1;
	}
	v->status = json_string_value(json_object_get(j, "status"));
	if (!one_of(v->status, st)) {
		snprintf(err, errlen, "order: no or unknown status");
		return -1;
	}
	a = json_object_get(j, "authorizations");
	if (!json_is_array(a) || (v->nauthz = json_array_size(a)) == 0 ||
	    v->nauthz > ACME_IDENTIFIERS_MAX) {
		snprintf(err, errlen, "order: no valid authorizations list");
		return -1;
	}
	for (i = 0; i < v->nauthz; i++)
		if (!acme_url_ok(json_string_value(json_array_get(a, i)))) {
			snprintf(err, errlen, "order: bad authorization URL");
			return -1;
		}
	v->authorizations = a;
	v->finalize = acme_json_url(j, "finalize");
	v->certificate = acme_json_url(j, "certificate");
	if (v->finalize == NULL || (v->certificate == NULL &&
	    json_object_get(j, "certificate") != NULL)) {
		snprintf(err, errlen, "order: bad finalize or certificate URL");
		return -1;
	}
	v->error = json_object_get(j, "error");
	if (v->error != NULL && !json_is_object(v->error)) {
		snprintf(err, errlen, "order: error is not a problem object");
		return -1;
	}
	return 0;
}

int
acme_authz_view(json_t *j, const char *chal_type, struct acme_authz_view *v,
    char *err, size_t errlen)
{
	static const char *const st[] = { "pending", "valid", "invalid",
	    "deactivated", "expired", "revoked", NULL };
	static const char *const cst[] = { "pending", "processing", "valid",
	    "invalid", NULL };
	json_t *cs, *c, *e;
	const char *type;
	size_t i;

	memset(v, 0, sizeof(*v));
	if (!json_is_object(j)) {
		snprintf(err, errlen, "authorization: not an object");
		return -1;
	}
	v->status = json_string_value(json_object_get(j, "status"));
	if (!one_of(v->status, st)) {
		snprintf(err, errlen, "authorization: no or unknown status");
		return -1;
	}
	cs = json_object_get(j, "challenges");
	if (!json_is_array(cs) || json_array_size(cs) > ACME_IDENTIFIERS_MAX) {
		snprintf(err, errlen, "authorization: no challenges list");
		return -1;
	}
	json_array_foreach(cs, i, c) {
		if (!json_is_object(c) ||
		    (type = json_string_value(json_object_get(c, "type"))) == NULL) {
			snprintf(err, errlen, "authorization: bad challenge");
			return -1;
		}
		e = json_object_get(c, "error");
		if (e != NULL && !json_is_object(e)) {
			snprintf(err, errlen, "challenge: error is not a problem object");
			return -1;
		}
		if (e != NULL && v->error == NULL)
			v->error = e;
		if (chal_type == NULL || v->chal != NULL ||
		    strcmp(type, chal_type) != 0)
			continue;
		v->chal = c;
		v->chal_status = json_string_value(json_object_get(c, "status"));
		v->token = json_string_value(json_object_get(c, "token"));
		v->chal_url = acme_json_url(c, "url");
		if (!one_of(v->chal_status, cst) || v->token == NULL ||
		    strlen(v->token) > 256 ||
		    !b64url_charset_ok(v->token, strlen(v->token)) ||
		    v->chal_url == NULL) {
			snprintf(err, errlen, "challenge: bad status, token or url");
			return -1;
		}
	}
	return 0;
}
