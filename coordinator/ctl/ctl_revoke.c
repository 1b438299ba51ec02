/* ctl_revoke.c -- certfleetctl revoke and account: revocation, account key rollover and deactivation through the API. */
#include "ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CTL_ID_MAX 64

/* POSTs body to post and prints the queued action's id (the reply with
 * --json); with wait, polls the action (GET /v1/actions/{id}) until it is
 * done, failed or timeout passes; --json then prints the action. */
static int
ctl_action(const char *post, const char *body, int wait, long timeout)
{
	char err[1024], path[128];
	const char *v;
	json_t *j, *fin = NULL;
	int rc;

	if ((j = ctl_api("POST", post, body, err, sizeof(err))) == NULL)
		return ctl_fail(CTL_FAILED, err);
	v = json_string_value(json_object_get(j, "action"));
	if (!ctl_json())
		printf("%s\n", v != NULL ? v : "-");
	else if (!wait)
		ctl_emit(j);
	fflush(stdout);
	if (v == NULL || strlen(v) > CTL_ID_MAX || strchr(v, '/') != NULL) {
		json_decref(j);
		return wait ? ctl_fail(CTL_FAILED, "the API named no action to "
		    "wait for") : CTL_OK;
	}
	snprintf(path, sizeof(path), "/v1/actions/%s", v);
	json_decref(j);
	if (!wait)
		return CTL_OK;
	rc = ctl_wait(path, ctl_action_state, NULL, timeout, &fin);
	if (fin != NULL && ctl_json())
		ctl_emit(fin);
	json_decref(fin);
	return rc;
}

/* Parses [--wait] [--timeout S] and one more option taking a value. */
static int
ctl_opts(int argc, char *argv[], const char *opt, const char **optval,
    const char **id, int *wait, long *timeout)
{
	char *end;
	int i;

	for (i = 1; i < argc; i++) {
		if (opt != NULL && strcmp(argv[i], opt) == 0 && i + 1 < argc)
			*optval = argv[++i];
		else if (strcmp(argv[i], "--wait") == 0)
			*wait = 1;
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			*timeout = strtol(argv[++i], &end, 10);
			if (*end != '\0' || *timeout < 1)
				return -1;
		} else if (argv[i][0] == '-' || *id != NULL ||
		    strlen(argv[i]) > CTL_ID_MAX)
			return -1;
		else
			*id = argv[i];
	}
	return *id != NULL ? 0 : -1;
}

int
ctl_revoke(int argc, char *argv[])
{
	const char *id = NULL, *reason = NULL;
	char post[128], *body = NULL, *end;
	long timeout = 120, code;
	int wait = 0, rc;
	json_t *b;

	if (ctl_opts(argc, argv, "--reason", &reason, &id, &wait, &timeout) < 0) {
		fprintf(stderr, "usage: certfleetctl revoke [--reason CODE] [--wait] "
		    "[--timeout SECONDS] ID\n");
		return CTL_USAGE;
	}
	if (reason != NULL) {
		/* a number goes as a number, a name as a string: the API checks */
		code = strtol(reason, &end, 10);
		b = *reason != '\0' && *end == '\0' ? json_pack("{s:I}", "reason",
		    (json_int_t)code) : json_pack("{s:s}", "reason", reason);
		body = json_dumps(b, JSON_COMPACT);
		json_decref(b);
	}
	snprintf(post, sizeof(post), "/v1/certificates/%s/revoke", id);
	rc = ctl_action(post, body != NULL ? body : "{}", wait, timeout);
	free(body);
	return rc;
}

int
ctl_account(int argc, char *argv[])
{
	const char *id = NULL, *kt = NULL, *sub = argc >= 2 ? argv[1] : "";
	char post[128], *body = NULL;
	long timeout = 120;
	int wait = 0, rc;
	json_t *j, *a;
	size_t i;

	if (strcmp(sub, "list") == 0 && argc == 2) {
		if ((j = ctl_get_text("/v1/accounts", &rc)) == NULL)
			return rc;
		json_array_foreach(json_object_get(j, "accounts"), i, a)
			printf("%s  %-8s  %-11s  %-8s  %s\n",
			    json_string_value(json_object_get(a, "id")),
			    json_string_value(json_object_get(a, "ca")),
			    json_string_value(json_object_get(a, "status")),
			    json_string_value(json_object_get(a, "key_type")),
			    json_is_string(json_object_get(a, "account_url")) ?
			    json_string_value(json_object_get(a, "account_url")) :
			    "-");
		json_decref(j);
		return CTL_OK;
	}
	if ((strcmp(sub, "rollover") != 0 && strcmp(sub, "deactivate") != 0) ||
	    ctl_opts(argc - 1, argv + 1, strcmp(sub, "rollover") == 0 ?
	    "--key-type" : NULL, &kt, &id, &wait, &timeout) < 0) {
		fprintf(stderr, "usage: certfleetctl account list | rollover "
		    "[--key-type ES256|ES384|RS256] [--wait] [--timeout SECONDS] "
		    "ID | deactivate [--wait] [--timeout SECONDS] ID\n");
		return CTL_USAGE;
	}
	if (kt != NULL) {
		j = json_pack("{s:s}", "key_type", kt);
		body = json_dumps(j, JSON_COMPACT);
		json_decref(j);
	}
	snprintf(post, sizeof(post), "/v1/accounts/%s/%s", id,
	    strcmp(sub, "rollover") == 0 ? "key-rollover" : "deactivate");
	rc = ctl_action(post, body != NULL ? body : "{}", wait, timeout);
	free(body);
	return rc;
}
