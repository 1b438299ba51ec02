/* health_acme.c -- the ACME CA probe of health_check: GET the directory, check it names newNonce/newAccount/newOrder. */
#include "health.h"

#include <stdio.h>

#include <jansson.h>

#include "config.h"
#include "httpget.h"

#define HEALTH_DIR_MAX (64 * 1024)	/* an ACME directory is a few hundred bytes */

static int
health_acme_probe(const char *where, char *detail, size_t len)
{
	struct http_response r;
	json_error_t je;
	json_t *dir = NULL;
	int ok = 0;

	if (http_get(where, config_str("PEBBLE_TLS_CA", NULL), HEALTH_DIR_MAX, &r,
	    detail, len) < 0)
		return 0;
	if (r.status != 200)
		snprintf(detail, len, "directory answered HTTP %ld", r.status);
	else if ((dir = json_loadb(r.body, r.len, 0, &je)) == NULL)
		snprintf(detail, len, "directory is not JSON: %s", je.text);
	else if (!json_is_string(json_object_get(dir, "newNonce")) ||
	    !json_is_string(json_object_get(dir, "newAccount")) ||
	    !json_is_string(json_object_get(dir, "newOrder")))
		snprintf(detail, len, "directory lacks newNonce/newAccount/newOrder");
	else {
		snprintf(detail, len, "directory ok");
		ok = 1;
	}
	json_decref(dir);
	http_response_free(&r);
	return ok;
}

const struct health_service health_acme = {
	"acme", "ACME_DIRECTORY", health_acme_probe,
};
