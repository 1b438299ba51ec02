/* ctl_lifecycle.c -- certfleetctl delete, disable, enable, names and changes (CA changes shown too): a certificate's lifecycle through the API. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl.h"

#define CTL_LC_ID_MAX 64
#define CTL_LC_NAMES_MAX 100	/* --add/--drop of one call, as the API takes */

/* The id argument: present, not an option, short, no '/'. */
static int
ctl_lc_id_ok(const char *id)
{
	return id != NULL && id[0] != '-' && id[0] != '\0' &&
	    strlen(id) <= CTL_LC_ID_MAX && strchr(id, '/') == NULL &&
	    strchr(id, '?') == NULL;
}

/* Prints a change's reply: "ID STATUS (was PREVIOUS)[, order O][,
 * revocation A][, unchanged]", or the reply with --json. */
static int
ctl_lc_print(json_t *j)
{
	json_t *o = json_object_get(j, "order");
	json_t *rv = json_object_get(j, "revocation");

	if (ctl_json())
		return ctl_emit(j);
	printf("%s %s (was %s)", json_string_value(json_object_get(j, "id")),
	    json_string_value(json_object_get(j, "status")),
	    json_string_value(json_object_get(j, "previous_status")));
	if (json_is_string(o))
		printf(", order %s", json_string_value(o));
	if (json_is_string(rv))
		printf(", revocation %s", json_string_value(rv));
	if (json_integer_value(json_object_get(j, "orders_cancelled")) > 0)
		printf(", %lld order(s) cancelled", (long long)json_integer_value(
		    json_object_get(j, "orders_cancelled")));
	if (!json_is_true(json_object_get(j, "changed")))
		printf(", unchanged");
	printf("\n");
	return CTL_OK;
}

/* Sends method to path with body and prints the change. */
static int
ctl_lc_call(const char *method, const char *path, const char *body)
{
	char err[1024];
	json_t *j;
	int rc;

	if ((j = ctl_api(method, path, body, err, sizeof(err))) == NULL)
		return ctl_fail(CTL_FAILED, err);
	rc = ctl_lc_print(j);
	json_decref(j);
	return rc;
}

/* One round of POST /v1/certificates:delete with body: its reply, or NULL
 * after printing why. */
static json_t *
ctl_delete_round(json_t *body)
{
	char err[1024], *b;
	json_t *j;

	if ((b = json_dumps(body, JSON_COMPACT)) == NULL) {
		ctl_fail(CTL_FAILED, "out of memory");
		return NULL;
	}
	j = ctl_api("POST", "/v1/certificates:delete", b, err, sizeof(err));
	free(b);
	if (j == NULL)
		ctl_fail(CTL_FAILED, err);
	return j;
}

/* The count of member k of j added to *sum. */
static long long
ctl_delete_add(json_t *j, const char *k, long long *sum)
{
	long long n = json_integer_value(json_object_get(j, k));

	*sum += n;
	return n;
}

/* delete --tenant T / --label K:V: counts them (no --yes), or deletes them
 * in rounds until none is left (or a round deletes nothing). */
static int
ctl_delete_many(json_t *body, int yes)
{
	long long del = 0, rev = 0, norev = 0, n = 0;
	json_t *j;
	int rc = CTL_OK;

	json_object_set_new(body, "dry_run", json_boolean(!yes));
	if (!yes) {
		if ((j = ctl_delete_round(body)) == NULL)
			return CTL_FAILED;
		if (ctl_json())
			rc = ctl_emit(j);
		else
			printf("%lld certificate(s) would be deleted; run again with "
			    "--yes to delete them\n", (long long)json_integer_value(
			    json_object_get(j, "matched")));
		json_decref(j);
		return rc;
	}
	do {
		if ((j = ctl_delete_round(body)) == NULL)
			return CTL_FAILED;
		n = ctl_delete_add(j, "deleted", &del);
		ctl_delete_add(j, "revocations", &rev);
		ctl_delete_add(j, "not_revoked", &norev);
		if (!ctl_json())
			fprintf(stderr, "\rdeleted %lld, %lld left", del,
			    (long long)json_integer_value(json_object_get(j,
			    "remaining")));
		n = n > 0 ? json_integer_value(json_object_get(j, "remaining")) : 0;
		json_decref(j);
	} while (n > 0);
	if (ctl_json()) {
		j = json_pack("{s:I, s:I, s:I}", "deleted", (json_int_t)del,
		    "revocations", (json_int_t)rev, "not_revoked", (json_int_t)norev);
		rc = ctl_emit(j);
		json_decref(j);
		return rc;
	}
	fprintf(stderr, "\n");
	printf("deleted %lld certificate(s)", del);
	if (json_is_true(json_object_get(body, "revoke")))
		printf(", %lld revocation(s) queued, %lld not revocable", rev,
		    norev);
	printf("\n");
	return CTL_OK;
}

int
ctl_delete(int argc, char *argv[])
{
	const char *id = NULL, *reason = NULL, *tenant = NULL, *label = NULL;
	char path[256];
	json_t *body;
	int i, revoke = 0, yes = 0, rc;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--revoke") == 0)
			revoke = 1;
		else if (strcmp(argv[i], "--yes") == 0)
			yes = 1;
		else if (strcmp(argv[i], "--reason") == 0 && i + 1 < argc)
			reason = argv[++i];
		else if (strcmp(argv[i], "--tenant") == 0 && i + 1 < argc)
			tenant = argv[++i];
		else if (strcmp(argv[i], "--label") == 0 && i + 1 < argc)
			label = argv[++i];
		else if (id == NULL && argv[i][0] != '-')
			id = argv[i];
		else
			id = "-";
	}
	if ((tenant != NULL || label != NULL) && id == NULL &&
	    (reason == NULL || revoke)) {
		body = json_pack("{s:b}", "revoke", revoke);
		if (tenant != NULL)
			json_object_set_new(body, "tenant", json_string(tenant));
		if (label != NULL)
			json_object_set_new(body, "label", json_string(label));
		if (reason != NULL)
			json_object_set_new(body, "reason", json_string(reason));
		rc = ctl_delete_many(body, yes);
		json_decref(body);
		return rc;
	}
	if (yes || tenant != NULL || label != NULL || !ctl_lc_id_ok(id) ||
	    (reason != NULL && (!revoke ||
	    strspn(reason, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "0123456789") != strlen(reason)))) {
		fprintf(stderr, "usage: certfleetctl delete [--revoke [--reason "
		    "CODE]] ID\n       certfleetctl delete --tenant T [--label "
		    "KEY:VALUE] [--revoke [--reason CODE]] [--yes]\n");
		return CTL_USAGE;
	}
	snprintf(path, sizeof(path), "/v1/certificates/%s%s%s%s", id,
	    revoke ? "?revoke=true" : "", reason != NULL ? "&reason=" : "",
	    reason != NULL ? reason : "");
	return ctl_lc_call("DELETE", path, NULL);
}

/* disable ID, enable ID. */
int
ctl_able(int argc, char *argv[])
{
	char path[256];

	if (argc != 2 || !ctl_lc_id_ok(argv[1])) {
		fprintf(stderr, "usage: certfleetctl %s ID\n", argv[0]);
		return CTL_USAGE;
	}
	snprintf(path, sizeof(path), "/v1/certificates/%s/%s", argv[1],
	    argv[0]);
	return ctl_lc_call("POST", path, "");
}

/* names ID [--add HOST]... [--drop HOST]... */
int
ctl_names(int argc, char *argv[])
{
	json_t *body = json_object(), *add = json_array(), *drop = json_array();
	const char *id = NULL;
	char path[256], *b = NULL;
	int i, rc = CTL_USAGE, bad = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--add") == 0 && i + 1 < argc)
			json_array_append_new(add, json_string(argv[++i]));
		else if (strcmp(argv[i], "--drop") == 0 && i + 1 < argc)
			json_array_append_new(drop, json_string(argv[++i]));
		else if (id == NULL && argv[i][0] != '-')
			id = argv[i];
		else
			bad = 1;
	}
	if (bad || !ctl_lc_id_ok(id) || json_array_size(add) +
	    json_array_size(drop) == 0 || json_array_size(add) >
	    CTL_LC_NAMES_MAX || json_array_size(drop) > CTL_LC_NAMES_MAX) {
		fprintf(stderr, "usage: certfleetctl names ID [--add HOST]... "
		    "[--drop HOST]...\n");
		goto out;
	}
	if (json_array_size(add) > 0)
		json_object_set(body, "add", add);
	if (json_array_size(drop) > 0)
		json_object_set(body, "drop", drop);
	if ((b = json_dumps(body, JSON_COMPACT)) == NULL) {
		rc = ctl_fail(CTL_FAILED, "out of memory");
		goto out;
	}
	snprintf(path, sizeof(path), "/v1/certificates/%s/names", id);
	rc = ctl_lc_call("POST", path, b);
out:
	free(b);
	json_decref(add);
	json_decref(drop);
	json_decref(body);
	return rc;
}

/* Prints the names of a change's text[] member, each after sign. */
static void
ctl_lc_names(json_t *a, const char *sign)
{
	size_t i;
	json_t *n;

	json_array_foreach(a, i, n)
		printf(" %s%s", sign, json_string_value(n));
}

/* A change's CA list (an array, or null for other changes) after lead:
 * "a,b". */
static void
ctl_lc_cas(json_t *a, const char *lead)
{
	json_t *v;
	size_t i;

	if (!json_is_array(a))
		return;
	printf("%s", lead);
	json_array_foreach(a, i, v)
		printf("%s%s", i > 0 ? "," : "", json_string_value(v));
}

/* changes ID: the lifecycle changes of a certificate, newest first. */
int
ctl_changes(int argc, char *argv[])
{
	char path[256];
	json_t *j, *c;
	size_t i;
	int rc;

	if (argc != 2 || !ctl_lc_id_ok(argv[1])) {
		fprintf(stderr, "usage: certfleetctl changes ID\n");
		return CTL_USAGE;
	}
	snprintf(path, sizeof(path), "/v1/certificates/%s/changes", argv[1]);
	if ((j = ctl_get_text(path, &rc)) == NULL)
		return rc;
	json_array_foreach(json_object_get(j, "changes"), i, c) {
		printf("%s  %-7s  %s -> %s  by %s",
		    json_string_value(json_object_get(c, "at")),
		    json_string_value(json_object_get(c, "action")),
		    json_string_value(json_object_get(c, "from_status")),
		    json_string_value(json_object_get(c, "to_status")),
		    json_is_string(json_object_get(c, "client")) ?
		    json_string_value(json_object_get(c, "client")) : "?");
		ctl_lc_names(json_object_get(c, "names_added"), "+");
		ctl_lc_names(json_object_get(c, "names_dropped"), "-");
		ctl_lc_cas(json_object_get(c, "cas_before"), "  CAs ");
		ctl_lc_cas(json_object_get(c, "cas_after"), " -> ");
		if (json_is_string(json_object_get(c, "order")))
			printf("  order %s", json_string_value(json_object_get(c,
			    "order")));
		if (json_is_string(json_object_get(c, "revocation")))
			printf("  revocation %s", json_string_value(
			    json_object_get(c, "revocation")));
		printf("\n");
	}
	json_decref(j);
	return CTL_OK;
}
