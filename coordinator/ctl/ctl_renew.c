/* ctl_renew.c -- certfleetctl renew: forces a renewal of one certificate now through the admin API. */
#include <stdio.h>

#include <jansson.h>

#include "ctl.h"

int
ctl_renew(int argc, char *argv[])
{
	char path[256], err[1024];
	json_t *j;

	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: certfleetctl renew ID\n");
		return CTL_USAGE;
	}
	snprintf(path, sizeof(path), "/v1/certificates/%s/renew", argv[1]);
	if ((j = ctl_api("POST", path, "", err, sizeof(err))) == NULL) {
		fprintf(stderr, "certfleetctl: %s\n", err);
		return CTL_FAILED;
	}
	printf("%s renewal order %s\n", argv[1],
	    json_is_string(json_object_get(j, "order")) ?
	    json_string_value(json_object_get(j, "order")) : "-");
	json_decref(j);
	return CTL_OK;
}
