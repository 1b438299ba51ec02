/* ctl_show.c -- certfleetctl show, list and find: a certificate, the newest ones, or what serves a hostname, in human-readable form. */
#include "ctl.h"

#include <stdio.h>
#include <string.h>

static const char *
ctl_field(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : "-";
}

static void
ctl_print_names(json_t *names, const char *sep)
{
	size_t i;
	json_t *n;

	json_array_foreach(names, i, n)
		printf("%s%s", i > 0 ? sep : "", json_string_value(n));
}

int
ctl_show(int argc, char *argv[])
{
	char path[256], err[1024];
	json_t *j, *p;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: certfleetctl show ID\n");
		return CTL_USAGE;
	}
	snprintf(path, sizeof(path), "/v1/certificates/%s", argv[1]);
	if ((j = ctl_api("GET", path, NULL, err, sizeof(err))) == NULL)
		return ctl_fail(CTL_FAILED, err);
	if (ctl_json()) {
		rc = ctl_emit(j);
		json_decref(j);
		return rc;
	}
	printf("certificate  %s\n", ctl_field(j, "id"));
	printf("status       %s\n", ctl_field(j, "status"));
	printf("hostnames    ");
	ctl_print_names(json_object_get(j, "hostnames"), " ");
	printf("\nkey type     %s\n", ctl_field(j, "key_type"));
	printf("serial       %s\n", ctl_field(j, "serial"));
	printf("not before   %s\n", ctl_field(j, "not_before"));
	printf("not after    %s\n", ctl_field(j, "not_after"));
	printf("issuer       %s\n", ctl_field(j, "issuer"));
	printf("renew at     %s\n", ctl_field(j, "renew_at"));
	printf("profile      %s\n", ctl_field(j, "profile"));
	printf("ARI window   %s .. %s\n", ctl_field(j, "ari_window_start"),
	    ctl_field(j, "ari_window_end"));
	printf("order        %s", ctl_field(j, "order_status"));
	if (json_is_integer(json_object_get(j, "order_attempt")))
		printf(" (attempt %lld)", (long long)json_integer_value(
		    json_object_get(j, "order_attempt")));
	printf("\n");
	p = json_object_get(j, "problem");
	if (json_is_object(p))
		printf("problem      %s: %s\n", ctl_field(p, "type"),
		    ctl_field(p, "detail"));
	json_decref(j);
	return CTL_OK;
}

int
ctl_list(int argc, char *argv[])
{
	char path[128], err[1024];
	json_t *j, *c;
	size_t i;
	int rc;

	if (argc > 2) {
		fprintf(stderr, "usage: certfleetctl list [LIMIT]\n");
		return CTL_USAGE;
	}
	snprintf(path, sizeof(path), "/v1/certificates%s%s", argc == 2 ?
	    "?limit=" : "", argc == 2 ? argv[1] : "");
	if (strpbrk(path + 16, "&#/ ") != NULL) {
		fprintf(stderr, "certfleetctl: LIMIT must be a number\n");
		return CTL_USAGE;
	}
	if ((j = ctl_api("GET", path, NULL, err, sizeof(err))) == NULL)
		return ctl_fail(CTL_FAILED, err);
	if (ctl_json()) {
		rc = ctl_emit(j);
		json_decref(j);
		return rc;
	}
	json_array_foreach(json_object_get(j, "certificates"), i, c) {
		printf("%s  %-8s  %-20s  ", ctl_field(c, "id"),
		    ctl_field(c, "status"), ctl_field(c, "not_after"));
		ctl_print_names(json_object_get(c, "hostnames"), ",");
		printf("\n");
	}
	json_decref(j);
	return CTL_OK;
}

int
ctl_find(int argc, char *argv[])
{
	char path[512], err[1024];
	json_t *j, *s, *c;
	size_t i;
	int rc;

	if (argc != 2 || argv[1][0] == '-' || strlen(argv[1]) > 300 ||
	    strpbrk(argv[1], "/?#% ") != NULL) {
		fprintf(stderr, "usage: certfleetctl find HOSTNAME\n");
		return CTL_USAGE;
	}
	snprintf(path, sizeof(path), "/v1/hostnames/%s", argv[1]);
	if ((j = ctl_api("GET", path, NULL, err, sizeof(err))) == NULL)
		return ctl_fail(CTL_FAILED, err);
	if (ctl_json()) {
		rc = ctl_emit(j);
		json_decref(j);
		return rc;
	}
	s = json_object_get(j, "serving");
	if (json_is_object(s))
		printf("served by    %s%s, serial %s, not after %s\n",
		    ctl_field(s, "id"), json_is_true(json_object_get(s,
		    "wildcard")) ? " (wildcard)" : "", ctl_field(s, "serial"),
		    ctl_field(s, "not_after"));
	else
		printf("served by    nothing issued yet\n");
	if (json_is_true(json_object_get(j, "conflict")))
		printf("conflict     several live certificates carry this name; "
		    "the newest one is served\n");
	json_array_foreach(json_object_get(j, "certificates"), i, c) {
		printf("certificate  %s  %-8s  %-20s  ", ctl_field(c, "id"),
		    ctl_field(c, "status"), ctl_field(c, "not_after"));
		ctl_print_names(json_object_get(c, "hostnames"), ",");
		printf("\n");
	}
	json_array_foreach(json_object_get(j, "history"), i, c)
		printf("issued       %s  serial %s  %s .. %s%s%s\n",
		    ctl_field(c, "certificate"), ctl_field(c, "serial"),
		    ctl_field(c, "not_before"), ctl_field(c, "not_after"),
		    json_is_string(json_object_get(c, "revoked_at")) ?
		    "  revoked " : "", json_is_string(json_object_get(c,
		    "revoked_at")) ? ctl_field(c, "revoked_at") : "");
	json_decref(j);
	return CTL_OK;
}
