/* ctl_api.c -- certfleetctl's calls to the admin API: bearer token, JSON (or raw) replies, the API's error messages. */
#include "ctl.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "httpget.h"

/* The API's "error" message of a reply that is not 2xx, into err. */
static void
ctl_api_error(const struct http_response *r, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j, *e;

	j = json_loadb(r->body, r->len, 0, &je);
	if (j != NULL && (e = json_object_get(j, "error")) != NULL &&
	    json_is_string(e))
		snprintf(err, errlen, "%s", json_string_value(e));
	else
		snprintf(err, errlen, "the API answered HTTP %ld", r->status);
	json_decref(j);
}

int
ctl_api_raw(const char *method, const char *path, const char *ctype,
    const char *body, size_t len, size_t max, struct http_response *r,
    char *err, size_t errlen)
{
	const char *base, *token;
	char url[2048];

	memset(r, 0, sizeof(*r));
	if ((base = config_str("CERTFLEET_API", NULL)) == NULL ||
	    (token = config_str("CERTFLEET_TOKEN", NULL)) == NULL) {
		snprintf(err, errlen, "CERTFLEET_API and CERTFLEET_TOKEN must be "
		    "set (see certfleetctl --help)");
		return -1;
	}
	snprintf(url, sizeof(url), "%s%s", base, path);
	if (http_request(method, url, NULL, token, ctype, body, len, max, r, err,
	    errlen) < 0)
		return -1;
	if (r->status < 200 || r->status > 299) {
		ctl_api_error(r, err, errlen);
		http_response_free(r);
		return -1;
	}
	return 0;
}

json_t *
ctl_api(const char *method, const char *path, const char *body, char *err,
    size_t errlen)
{
	struct http_response r;
	json_error_t je;
	json_t *j;

	if (ctl_api_raw(method, path, body != NULL ? "application/json" : NULL,
	    body, body != NULL ? strlen(body) : 0, CTL_MAX_REPLY, &r, err,
	    errlen) < 0)
		return NULL;
	if ((j = json_loadb(r.body, r.len, 0, &je)) == NULL)
		snprintf(err, errlen, "the API's reply is not JSON: %s", je.text);
	http_response_free(&r);
	return j;
}
