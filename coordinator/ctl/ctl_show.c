/* ctl_show.c -- certfleetctl show, find and tenant: a certificate, what serves a hostname, the tenants, in human-readable form. */
#include "ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* After "renew at": how many renewals in a row the CA refused for good,
 * and whether renewals stopped (the current certificate expired). */
static void
ctl_show_failing(json_t *j)
{
	json_int_t n = json_integer_value(json_object_get(j, "renewal_failures"));

	if (n <= 0 || strcmp(ctl_field(j, "status"), "issued") != 0)
		return;
	if (json_is_null(json_object_get(j, "renew_at")))
		printf(" (renewals stopped: %lld refused for good in a row, the "
		    "current certificate expired; certfleetctl renew %s once "
		    "the problem below is fixed)", (long long)n,
		    ctl_field(j, "id"));
	else
		printf(" (the last %lld renewal%s refused for good: the next "
		    "one waits, CERTFLEET_RENEW_BACKOFF)", (long long)n,
		    n == 1 ? "" : "s");
}

int
ctl_show(int argc, char *argv[])
{
	char path[256];
	json_t *j, *p;
	int rc;

	if (argc != 2) {
		fprintf(stderr, "usage: certfleetctl show ID\n");
		return CTL_USAGE;
	}
	snprintf(path, sizeof(path), "/v1/certificates/%s", argv[1]);
	if ((j = ctl_get_text(path, &rc)) == NULL)
		return rc;
	printf("certificate  %s\n", ctl_field(j, "id"));
	printf("status       %s\n", ctl_field(j, "status"));
	printf("hostnames    ");
	ctl_print_names(json_object_get(j, "hostnames"), " ");
	printf("\nkey type     %s\n", ctl_field(j, "key_type"));
	printf("serial       %s\n", ctl_field(j, "serial"));
	printf("not before   %s\n", ctl_field(j, "not_before"));
	printf("not after    %s\n", ctl_field(j, "not_after"));
	printf("issuer       %s\n", ctl_field(j, "issuer"));
	printf("renew at     %s", ctl_field(j, "renew_at"));
	ctl_show_failing(j);
	printf("\n");
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

/* An integer field as text, "-" when null. */
static const char *
ctl_num(json_t *o, const char *k, char buf[24])
{
	json_t *v = json_object_get(o, k);

	if (!json_is_integer(v))
		return "-";
	snprintf(buf, 24, "%lld", (long long)json_integer_value(v));
	return buf;
}

/* tenant list | tenant set NAME [--max-live N] [--max-orders-per-hour N] */
int
ctl_tenant(int argc, char *argv[])
{
	char path[256], err[1024], *body, *end, n[3][24];
	json_t *j, *req, *t;
	size_t i;
	int k, rc;

	if (argc == 2 && strcmp(argv[1], "list") == 0) {
		if ((j = ctl_get_text("/v1/tenants", &rc)) == NULL)
			return rc;
		json_array_foreach(json_object_get(j, "tenants"), i, t)
			printf("%-24s  live %-8s  max_live %-8s  "
			    "max_orders_per_hour %s\n", ctl_field(t, "name"),
			    ctl_num(t, "live", n[0]), ctl_num(t, "max_live", n[1]),
			    ctl_num(t, "max_orders_per_hour", n[2]));
		json_decref(j);
		return CTL_OK;
	}
	if (argc < 3 || strcmp(argv[1], "set") != 0 || argv[2][0] == '-' ||
	    strlen(argv[2]) > 64)
		goto usage;
	req = json_object();
	for (k = 3; k + 1 < argc; k += 2) {
		if (strcmp(argv[k], "--max-live") != 0 &&
		    strcmp(argv[k], "--max-orders-per-hour") != 0)
			break;
		json_object_set_new(req, strcmp(argv[k], "--max-live") == 0 ?
		    "max_live" : "max_orders_per_hour",
		    json_integer(strtoll(argv[k + 1], &end, 10)));
		if (*end != '\0' || argv[k + 1][0] == '\0')
			break;
	}
	if (k != argc) {
		json_decref(req);
		goto usage;
	}
	body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	snprintf(path, sizeof(path), "/v1/tenants/%s", argv[2]);
	j = ctl_api("PUT", path, body, err, sizeof(err));
	free(body);
	if (j == NULL)
		return ctl_fail(CTL_FAILED, err);
	rc = ctl_json() ? ctl_emit(j) : CTL_OK;
	if (!ctl_json())
		printf("tenant %s set\n", argv[2]);
	json_decref(j);
	return rc;
usage:
	fprintf(stderr, "usage: certfleetctl tenant list | tenant set NAME "
	    "[--max-live N] [--max-orders-per-hour N]\n");
	return CTL_USAGE;
}

int
ctl_find(int argc, char *argv[])
{
	char path[512];
	json_t *j, *s, *c;
	size_t i;
	int rc;

	if (argc != 2 || argv[1][0] == '-' || strlen(argv[1]) > 300 ||
	    strpbrk(argv[1], "/?#% ") != NULL) {
		fprintf(stderr, "usage: certfleetctl find HOSTNAME\n");
		return CTL_USAGE;
	}
	snprintf(path, sizeof(path), "/v1/hostnames/%s", argv[1]);
	if ((j = ctl_get_text(path, &rc)) == NULL)
		return rc;
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
