/* ctl_move.c -- certfleetctl ca move (every certificate of one CA moved to others, POST /v1/certificates:move page by page) and ca set (one certificate's CAs, POST /v1/certificates/{id}/ca). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl.h"

#define CTL_MOVE_CAS_MAX 4	/* a CA and its fallbacks, as the API takes */

/* NAME[,FALLBACK...] into body's "ca" and "fallback". Returns 0, or -1
 * after printing why. */
static int
ctl_move_cas(json_t *body, const char *arg)
{
	char buf[512], *p, *save = NULL;
	json_t *fb = json_array();
	int n = 0;

	if (fb == NULL || strlen(arg) >= sizeof(buf)) {
		json_decref(fb);
		ctl_fail(CTL_USAGE, "the CA list is too long");
		return -1;
	}
	snprintf(buf, sizeof(buf), "%s", arg);
	for (p = strtok_r(buf, ",", &save); p != NULL; p = strtok_r(NULL, ",",
	    &save), n++) {
		if (n >= CTL_MOVE_CAS_MAX) {
			json_decref(fb);
			ctl_fail(CTL_USAGE, "at most 4 CAs: NAME and 3 fallbacks");
			return -1;
		}
		if (n == 0)
			json_object_set_new(body, "ca", json_string(p));
		else
			json_array_append_new(fb, json_string(p));
	}
	if (n == 0) {
		json_decref(fb);
		ctl_fail(CTL_USAGE, "name the CA to move to");
		return -1;
	}
	if (json_array_size(fb) > 0)
		json_object_set_new(body, "fallback", fb);
	else
		json_decref(fb);
	return 0;
}

/* POSTs body to path: the reply, or NULL after printing why. */
static json_t *
ctl_move_post(const char *path, json_t *body)
{
	char err[1024], *b;
	json_t *j;

	if ((b = json_dumps(body, JSON_COMPACT)) == NULL) {
		ctl_fail(CTL_FAILED, "out of memory");
		return NULL;
	}
	j = ctl_api("POST", path, b, err, sizeof(err));
	free(b);
	if (j == NULL)
		ctl_fail(CTL_FAILED, err);
	return j;
}

static long long
ctl_move_int(json_t *j, const char *k)
{
	return (long long)json_integer_value(json_object_get(j, k));
}

/* certfleetctl ca set ID NAME[,FALLBACK...] [--now] */
int
ctl_ca_set(int argc, char *argv[])
{
	char path[160];
	json_t *body, *j, *o;
	int now = 0, rc;

	if (argc == 5 && strcmp(argv[4], "--now") == 0)
		now = 1;
	if ((argc != 4 && !now) || argv[2][0] == '-' || strlen(argv[2]) > 64 ||
	    strchr(argv[2], '/') != NULL || strchr(argv[2], '?') != NULL) {
		fprintf(stderr, "usage: certfleetctl ca set ID NAME[,FALLBACK...] "
		    "[--now]\n");
		return CTL_USAGE;
	}
	if ((body = json_pack("{s:b}", "now", now)) == NULL)
		return ctl_fail(CTL_FAILED, "out of memory");
	if (ctl_move_cas(body, argv[3]) < 0) {
		json_decref(body);
		return CTL_USAGE;
	}
	snprintf(path, sizeof(path), "/v1/certificates/%s/ca", argv[2]);
	j = ctl_move_post(path, body);
	json_decref(body);
	if (j == NULL)
		return CTL_FAILED;
	if (ctl_json()) {
		rc = ctl_emit(j);
		json_decref(j);
		return rc;
	}
	printf("%s %s (was %s)", json_string_value(json_object_get(j, "id")),
	    json_string_value(json_object_get(j, "status")),
	    json_string_value(json_object_get(j, "previous_status")));
	if (json_is_string(o = json_object_get(j, "order")))
		printf(", order %s", json_string_value(o));
	if (json_is_true(json_object_get(j, "renewal_due")))
		printf(", renewal due now");
	if (ctl_move_int(j, "orders_cancelled") > 0)
		printf(", %lld order(s) cancelled", ctl_move_int(j,
		    "orders_cancelled"));
	if (!json_is_true(json_object_get(j, "changed")))
		printf(", unchanged");
	printf("\n");
	json_decref(j);
	return CTL_OK;
}

/* The totals of the pages of a move. */
struct ctl_move_sum {
	long long	moved, unchanged, conflicts, orders, cancelled, renewals;
};

/* Moves page after page (body's "after" set to each page's next) and
 * adds up what they did. Returns CTL_OK, or CTL_FAILED after printing. */
static int
ctl_move_pages(json_t *body, struct ctl_move_sum *s)
{
	json_t *j, *next;

	for (;;) {
		if ((j = ctl_move_post("/v1/certificates:move", body)) == NULL) {
			if (!ctl_json())
				fprintf(stderr, "(%lld moved before this)\n",
				    s->moved);
			return CTL_FAILED;
		}
		s->moved += ctl_move_int(j, "moved");
		s->unchanged += ctl_move_int(j, "unchanged");
		s->conflicts += ctl_move_int(j, "conflicts");
		s->orders += ctl_move_int(j, "orders");
		s->cancelled += ctl_move_int(j, "orders_cancelled");
		s->renewals += ctl_move_int(j, "renewals_due");
		if (!ctl_json())
			fprintf(stderr, "\rmoved %lld, unchanged %lld", s->moved,
			    s->unchanged);
		next = json_object_get(j, "next");
		if (!json_is_string(next)) {
			json_decref(j);
			return CTL_OK;
		}
		json_object_set_new(body, "after", json_string(
		    json_string_value(next)));
		json_decref(j);
	}
}

/* certfleetctl ca move FROM NAME[,FALLBACK...] [--tenant T] [--label K:V]
 * [--now] [--yes] */
int
ctl_ca_move(int argc, char *argv[])
{
	struct ctl_move_sum s = { 0 };
	json_t *body, *j;
	int i, yes = 0, rc = CTL_OK;

	if (argc < 4 || argv[2][0] == '-' || argv[3][0] == '-')
		goto usage;
	if ((body = json_pack("{s:s, s:b}", "from_ca", argv[2], "now", 0)) ==
	    NULL)
		return ctl_fail(CTL_FAILED, "out of memory");
	for (i = 4; i < argc; i++) {
		if (strcmp(argv[i], "--now") == 0)
			json_object_set_new(body, "now", json_true());
		else if (strcmp(argv[i], "--yes") == 0)
			yes = 1;
		else if ((strcmp(argv[i], "--tenant") == 0 ||
		    strcmp(argv[i], "--label") == 0) && i + 1 < argc) {
			json_object_set_new(body, argv[i] + 2,
			    json_string(argv[i + 1]));
			i++;
		} else {
			json_decref(body);
			goto usage;
		}
	}
	if (ctl_move_cas(body, argv[3]) < 0) {
		json_decref(body);
		return CTL_USAGE;
	}
	json_object_set_new(body, "dry_run", json_boolean(!yes));
	if (!yes) {
		if ((j = ctl_move_post("/v1/certificates:move", body)) == NULL)
			rc = CTL_FAILED;
		else if (ctl_json())
			rc = ctl_emit(j);
		else
			printf("%lld certificate(s) of CA %s would move to %s (%lld "
			    "still served by a certificate of %s); run again with "
			    "--yes to move them\n", ctl_move_int(j, "matched"),
			    argv[2], argv[3], ctl_move_int(j, "served"), argv[2]);
		json_decref(j);
		json_decref(body);
		return rc;
	}
	rc = ctl_move_pages(body, &s);
	json_decref(body);
	if (ctl_json()) {
		j = json_pack("{s:I, s:I, s:I, s:I, s:I, s:I}", "moved",
		    (json_int_t)s.moved, "unchanged", (json_int_t)s.unchanged,
		    "conflicts", (json_int_t)s.conflicts, "orders",
		    (json_int_t)s.orders, "orders_cancelled",
		    (json_int_t)s.cancelled, "renewals_due",
		    (json_int_t)s.renewals);
		if (rc == CTL_OK)
			rc = ctl_emit(j);
		json_decref(j);
		return rc;
	}
	if (rc != CTL_OK)
		return rc;
	fprintf(stderr, "\n");
	printf("moved %lld certificate(s) from CA %s to %s: %lld new order(s) "
	    "(%lld cancelled there), %lld renewal(s) due now; %lld unchanged, "
	    "%lld skipped (their status changed meanwhile)\n", s.moved, argv[2],
	    argv[3], s.orders, s.cancelled, s.renewals, s.unchanged,
	    s.conflicts);
	return CTL_OK;
usage:
	fprintf(stderr, "usage: certfleetctl ca move FROM NAME[,FALLBACK...] "
	    "[--tenant T] [--label KEY:VALUE] [--now] [--yes]\n");
	return CTL_USAGE;
}
