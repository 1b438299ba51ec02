/* ctl_api.c -- certfleetctl's calls to the admin API: bearer token, JSON replies, the API's error messages. */
#include "ctl.h"

#include <stdio.h>
#include <string.h>

#include "config.h"
#include "httpget.h"

json_t *
ctl_api(const char *method, const char *path, const char *body, char *err,
    size_t errlen)
{
	struct http_response r;
	const char *base, *token;
	char url[2048];
	json_error_t je;
	json_t *j = NULL, *e;

	if ((base = config_str("CERTFLEET_API", NULL)) == NULL ||
	    (token = config_str("CERTFLEET_TOKEN", NULL)) == NULL) {
		snprintf(err, errlen, "CERTFLEET_API and CERTFLEET_TOKEN must be "
		    "set (see certfleetctl --help)");
		return NULL;
	}
	snprintf(url, sizeof(url), "%s%s", base, path);
	if (http_request(method, url, NULL, token, body != NULL ?
	    "application/json" : NULL, body, body != NULL ? strlen(body) : 0,
	    CTL_MAX_REPLY, &r, err, errlen) < 0)
		return NULL;
	j = json_loadb(r.body, r.len, 0, &je);
	if (r.status < 200 || r.status > 299) {
		if (j != NULL && (e = json_object_get(j, "error")) != NULL &&
		    json_is_string(e))
			snprintf(err, errlen, "%s", json_string_value(e));
		else
			snprintf(err, errlen, "the API answered HTTP %ld", r.status);
		json_decref(j);
		j = NULL;
	} else if (j == NULL)
		snprintf(err, errlen, "the API's reply is not JSON: %s", je.text);
	http_response_free(&r);
	return j;
}
