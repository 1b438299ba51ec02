/* ctl_ondemand.c -- certfleetctl on-demand: the on-demand policy, counters, queue and recent decisions; a tenant's allow-list and limits. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ctl.h"

static const char *
ctl_od_str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : "-";
}

/* An integer member as text, "none" when null or absent. */
static const char *
ctl_od_num(json_t *o, const char *k, char buf[24])
{
	json_t *v = json_object_get(o, k);

	if (!json_is_integer(v))
		return "none";
	snprintf(buf, 24, "%lld", (long long)json_integer_value(v));
	return buf;
}

static void
ctl_od_policy(json_t *p)
{
	json_t *h = json_object_get(p, "webhook");
	char n[4][24];

	printf("policy       refusals cached %s s; at most %s new on-demand "
	    "orders per minute, %s pending (0: no limit)\n",
	    ctl_od_num(p, "deny_ttl", n[0]), ctl_od_num(p, "per_minute", n[1]),
	    ctl_od_num(p, "max_pending", n[2]));
	if (json_is_string(json_object_get(h, "url")))
		printf("webhook      %s (timeout %s ms, answers kept %s s, "
		    "failures refuse for %s s)\n", ctl_od_str(h, "url"),
		    ctl_od_num(h, "timeout_ms", n[0]), ctl_od_num(h, "cache",
		    n[1]), ctl_od_num(h, "error_ttl", n[2]));
	else
		printf("webhook      none (the allow-lists decide)\n");
	printf("edges        networks %s, token %s; autocert waits %s ms\n",
	    json_is_true(json_object_get(p, "edge_networks")) ? "set" : "unset",
	    json_is_true(json_object_get(p, "edge_token")) ? "set" : "unset",
	    ctl_od_num(p, "autocert_wait_ms", n[3]));
}

static void
ctl_od_show(json_t *j)
{
	json_t *c = json_object_get(j, "counters"), *q = json_object_get(j,
	    "queue"), *t, *d, *e;
	const char *k;
	char n[4][24];
	size_t i, x;

	ctl_od_policy(json_object_get(j, "policy"));
	printf("decisions   ");
	json_object_foreach(c, k, d)
		printf(" %s %lld", k, (long long)json_integer_value(d));
	printf("\nqueue        %s being decided, %s waiting for room, %s being "
	    "issued; %s orders in the last minute\n", ctl_od_num(q, "asked",
	    n[0]), ctl_od_num(q, "queued", n[1]), ctl_od_num(q, "enrolled",
	    n[2]), ctl_od_num(q, "orders_last_minute", n[3]));
	printf("\ntenants\n");
	json_array_foreach(json_object_get(j, "tenants"), i, t) {
		printf("  %-20s per minute %-6s pending %-6s allow", ctl_od_str(t,
		    "tenant"), ctl_od_num(t, "per_minute", n[0]),
		    ctl_od_num(t, "max_pending", n[1]));
		json_array_foreach(json_object_get(t, "allow"), x, e)
			printf(" %s", json_string_value(e));
		if ((long long)json_array_size(json_object_get(t, "allow")) <
		    json_integer_value(json_object_get(t, "entries")))
			printf(" ... (%s entries)", ctl_od_num(t, "entries", n[2]));
		printf("\n");
	}
	printf("\nrecent decisions\n");
	json_array_foreach(json_object_get(j, "recent"), i, d)
		printf("  %s  %-30s %-9s %-15s %s\n", ctl_od_str(d, "decided_at"),
		    ctl_od_str(d, "name"), ctl_od_str(d, "status"), ctl_od_str(d,
		    "decision"), ctl_od_str(d, "reason"));
}

/* set TENANT [--allow ENTRY]... [--per-minute N] [--max-pending N] */
static int
ctl_od_set(int argc, char *argv[])
{
	char path[256], err[1024], *body, *end;
	json_t *req, *allow, *j, *e;
	long long v;
	size_t i;
	int k, rc;

	if (argc < 3 || argv[2][0] == '-' || strlen(argv[2]) > 64)
		return -1;
	req = json_object();
	allow = json_array();
	json_object_set_new(req, "allow", allow);
	for (k = 3; k + 1 < argc; k += 2) {
		if (strcmp(argv[k], "--allow") == 0) {
			json_array_append_new(allow, json_string(argv[k + 1]));
			continue;
		}
		if (strcmp(argv[k], "--per-minute") != 0 &&
		    strcmp(argv[k], "--max-pending") != 0)
			break;
		v = strtoll(argv[k + 1], &end, 10);
		if (*end != '\0' || argv[k + 1][0] == '\0')
			break;
		json_object_set_new(req, strcmp(argv[k], "--per-minute") == 0 ?
		    "per_minute" : "max_pending", json_integer(v));
	}
	if (k != argc) {
		json_decref(req);
		return -1;
	}
	body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	snprintf(path, sizeof(path), "/v1/tenants/%s/on-demand", argv[2]);
	j = ctl_api("PUT", path, body, err, sizeof(err));
	free(body);
	if (j == NULL)
		return ctl_fail(CTL_FAILED, err);
	rc = CTL_OK;
	if (ctl_json())
		rc = ctl_emit(j);
	else {
		printf("tenant %s: on-demand for", argv[2]);
		json_array_foreach(json_object_get(j, "allow"), i, e)
			printf(" %s", json_string_value(e));
		printf("%s\n", json_array_size(json_object_get(j, "allow")) == 0 ?
		    " nothing (empty allow-list)" : "");
	}
	json_decref(j);
	return rc;
}

int
ctl_ondemand(int argc, char *argv[])
{
	char path[256], n[2][24];
	json_t *j, *e;
	size_t i;
	int rc;

	if (argc == 1 || (argc == 2 && strcmp(argv[1], "show") == 0)) {
		if ((j = ctl_get_text("/v1/on-demand", &rc)) == NULL)
			return rc;
		ctl_od_show(j);
		json_decref(j);
		return CTL_OK;
	}
	if (argc == 3 && strcmp(argv[1], "policy") == 0 && argv[2][0] != '-' &&
	    strlen(argv[2]) <= 64) {
		snprintf(path, sizeof(path), "/v1/tenants/%s/on-demand", argv[2]);
		if ((j = ctl_get_text(path, &rc)) == NULL)
			return rc;
		printf("tenant %s: per minute %s, pending %s\nallow\n", argv[2],
		    ctl_od_num(j, "per_minute", n[0]), ctl_od_num(j,
		    "max_pending", n[1]));
		json_array_foreach(json_object_get(j, "allow"), i, e)
			printf("  %s\n", json_string_value(e));
		json_decref(j);
		return CTL_OK;
	}
	if (argc >= 3 && strcmp(argv[1], "set") == 0 &&
	    (rc = ctl_od_set(argc, argv)) >= 0)
		return rc;
	fprintf(stderr, "usage: certfleetctl on-demand [show] | on-demand policy "
	    "TENANT |\n       on-demand set TENANT [--allow ENTRY]... "
	    "[--per-minute N] [--max-pending N]\n");
	return CTL_USAGE;
}
