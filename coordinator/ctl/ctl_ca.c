/* ctl_ca.c -- certfleetctl ca list: each CA's circuit breaker, orders in flight against the cap, pacing, recent errors, budget headroom and the scopes its rate-limit reports hold, and the CAs orders wait for that are not configured (GET /v1/cas); ca release: those holds ended. */
#include "ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *
ctl_ca_str(json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);

	return json_is_string(v) ? json_string_value(v) : "-";
}

static long long
ctl_ca_int(json_t *o, const char *k)
{
	return (long long)json_integer_value(json_object_get(o, k));
}

/* One bucket: "newOrder 300/s burst 200", with its state when slowed. */
static void
ctl_ca_bucket(json_t *b)
{
	json_t *f = json_object_get(b, "factor");
	double blocked = json_number_value(json_object_get(b, "blocked_for_s"));

	printf("    %-12s %g/s burst %g", ctl_ca_str(b, "endpoint"),
	    json_number_value(json_object_get(b, "rate_per_s")),
	    json_number_value(json_object_get(b, "burst")));
	if (json_is_number(f) && json_number_value(f) < 0.999)
		printf(", slowed to %.0f%% (%.1f/s)", 100 * json_number_value(f),
		    json_number_value(json_object_get(b, "current_rate_per_s")));
	if (blocked > 0)
		printf(", blocked %.0f s more (Retry-After)", blocked);
	if (json_is_null(f))
		printf(" (state unknown: %s)", ctl_ca_str(b, "state_error"));
	printf("\n");
}

static void
ctl_ca_print(json_t *ca)
{
	json_t *br = json_object_get(ca, "breaker"), *bu = json_object_get(ca,
	    "budget"), *e, *b, *ho, *h;
	size_t i;

	printf("%s%s  %s\n", ctl_ca_str(ca, "name"),
	    json_is_true(json_object_get(ca, "default")) ? " (default)" : "",
	    ctl_ca_str(ca, "directory"));
	printf("  breaker      %s", ctl_ca_str(br, "state"));
	if (strcmp(ctl_ca_str(br, "state"), "open") == 0)
		printf(" since %s, next probe %s", ctl_ca_str(br, "opened_at"),
		    ctl_ca_str(br, "next_probe_at"));
	printf(" (%lld unavailable in a row)\n", ctl_ca_int(br,
	    "failures_in_a_row"));
	printf("  in flight    %lld of %s%lld, %lld waiting\n",
	    ctl_ca_int(ca, "in_flight"), ctl_ca_int(ca, "max_in_flight") == 0 ?
	    "no cap, " : "", ctl_ca_int(ca, "max_in_flight"),
	    ctl_ca_int(ca, "waiting"));
	if (json_is_true(json_object_get(ca, "gate_new_order")))
		printf("  gate         newOrder and authorization fetches never "
		    "at once\n");
	if (ctl_ca_int(bu, "orders_3h_limit") > 0)
		printf("  budget       %lld of %lld new orders in 3 h used, %lld "
		    "left, %lld waiting in turn\n", ctl_ca_int(bu,
		    "orders_3h_used"), ctl_ca_int(bu, "orders_3h_limit"),
		    ctl_ca_int(bu, "orders_3h_headroom"), ctl_ca_int(bu,
		    "orders_3h_waiting"));
	else
		printf("  budget       %lld new orders in 3 h, no limit\n",
		    ctl_ca_int(bu, "orders_3h_used"));
	ho = json_object_get(ca, "holds");
	if (ctl_ca_int(ho, "active") > 0)
		printf("  holds        %lld scope(s) the CA reported limited%s\n",
		    ctl_ca_int(ho, "active"), ctl_ca_int(ho, "active") >
		    (long long)json_array_size(json_object_get(ho, "scopes")) ?
		    " (the last to end listed)" : "");
	json_array_foreach(json_object_get(ho, "scopes"), i, h)
		printf("    %-7s %s until %s\n", ctl_ca_str(h, "scope"),
		    ctl_ca_str(h, "holds"), ctl_ca_str(h, "until"));
	printf("  pacing%s\n", json_array_size(json_object_get(ca, "pacing")) ==
	    0 ? "       none" : "");
	json_array_foreach(json_object_get(ca, "pacing"), i, b)
		ctl_ca_bucket(b);
	json_array_foreach(json_object_get(ca, "recent_errors"), i, e)
		printf("  %s %s %s\n", i == 0 ? "errors  " : "        ",
		    ctl_ca_str(e, "at"), ctl_ca_str(e, "detail"));
}

/* certfleetctl ca release NAME [SCOPE HOLDS] */
static int
ctl_ca_release(int argc, char *argv[])
{
	char err[1024], path[128], *body = NULL;
	json_t *j;
	int rc;

	if ((argc != 3 && argc != 5) || strlen(argv[2]) > 64) {
		fprintf(stderr, "usage: certfleetctl ca release NAME [SCOPE "
		    "HOLDS]\n");
		return CTL_USAGE;
	}
	snprintf(path, sizeof(path), "/v1/cas/%s/holds:release", argv[2]);
	if (argc == 5 && (j = json_pack("{s:s, s:s}", "scope", argv[3],
	    "holds", argv[4])) != NULL) {
		body = json_dumps(j, JSON_COMPACT);
		json_decref(j);
	}
	/* never "{}" (every hold) for a scope that did not encode */
	if (argc == 5 && body == NULL)
		return ctl_fail(CTL_USAGE, "SCOPE and HOLDS must be UTF-8 text");
	j = ctl_api("POST", path, body != NULL ? body : "{}", err, sizeof(err));
	free(body);
	if (j == NULL)
		return ctl_fail(CTL_FAILED, err);
	if (ctl_json())
		rc = ctl_emit(j);
	else {
		printf("%lld hold(s) released, %lld order(s) due again\n",
		    (long long)json_integer_value(json_object_get(j,
		    "released")), (long long)json_integer_value(
		    json_object_get(j, "orders")));
		rc = CTL_OK;
	}
	json_decref(j);
	return rc;
}

int
ctl_ca(int argc, char *argv[])
{
	char err[1024];
	json_t *j, *ca;
	size_t i;
	int rc;

	if (argc >= 2 && strcmp(argv[1], "release") == 0)
		return ctl_ca_release(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "move") == 0)
		return ctl_ca_move(argc, argv);
	if (argc >= 2 && strcmp(argv[1], "set") == 0)
		return ctl_ca_set(argc, argv);
	if (argc != 2 || strcmp(argv[1], "list") != 0) {
		fprintf(stderr, "usage: certfleetctl ca list | release NAME "
		    "[SCOPE HOLDS] | move FROM NAME[,FALLBACK...] [...] | set ID "
		    "NAME[,FALLBACK...] [--now]\n");
		return CTL_USAGE;
	}
	if ((j = ctl_api("GET", "/v1/cas", NULL, err, sizeof(err))) == NULL)
		return ctl_fail(CTL_FAILED, err);
	if (ctl_json()) {
		rc = ctl_emit(j);
		json_decref(j);
		return rc;
	}
	json_array_foreach(json_object_get(j, "cas"), i, ca)
		ctl_ca_print(ca);
	json_array_foreach(json_object_get(j, "unconfigured"), i, ca)
		printf("%s  NOT CONFIGURED: %lld order(s) wait for it and are "
		    "sent nowhere (configure it again, or delete those "
		    "certificates and enroll them at another CA)\n",
		    ctl_ca_str(ca, "name"), ctl_ca_int(ca, "orders_waiting"));
	json_decref(j);
	return CTL_OK;
}
