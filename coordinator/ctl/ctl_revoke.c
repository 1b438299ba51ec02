/* ctl_revoke.c -- certfleetctl revoke and account: revocation, account key rollover and deactivation through the API. */
#include "ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CTL_ID_MAX 64

/* Prints the queued action's id; with wait, polls path until field is
 * want (exit 0) or timeout passes (exit 3). */
static int
ctl_action(const char *post, const char *body, int wait, const char *path,
    const char *field, const char *want, long timeout)
{
	char err[1024];
	time_t end = time(NULL) + timeout;
	const char *v;
	json_t *j;

	if ((j = ctl_api("POST", post, body, err, sizeof(err))) == NULL) {
		fprintf(stderr, "certfleetctl: %s\n", err);
		return CTL_FAILED;
	}
	v = json_string_value(json_object_get(j, "action"));
	printf("%s\n", v != NULL ? v : "-");
	fflush(stdout);
	json_decref(j);
	while (wait) {
		if ((j = ctl_api("GET", path, NULL, err, sizeof(err))) == NULL) {
			fprintf(stderr, "certfleetctl: %s\n", err);
			return CTL_FAILED;
		}
		v = json_string_value(json_object_get(j, field));
		if (v != NULL && strcmp(v, want) == 0) {
			fprintf(stderr, "%s\n", want);
			json_decref(j);
			return CTL_OK;
		}
		json_decref(j);
		if (time(NULL) >= end) {
			fprintf(stderr, "certfleetctl: not %s after %ld s\n", want,
			    timeout);
			return CTL_TIMEOUT;
		}
		sleep(1);
	}
	return CTL_OK;
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
	char post[128], path[128], *body = NULL, *end;
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
	snprintf(path, sizeof(path), "/v1/certificates/%s", id);
	rc = ctl_action(post, body != NULL ? body : "{}", wait, path, "status",
	    "revoked", timeout);
	free(body);
	return rc;
}

/* Finds account id in GET /v1/accounts and prints or checks it. */
static const char *
ctl_account_status(json_t *list, const char *id)
{
	json_t *a;
	size_t i;

	json_array_foreach(json_object_get(list, "accounts"), i, a)
		if (strcmp(json_string_value(json_object_get(a, "id")) != NULL ?
		    json_string_value(json_object_get(a, "id")) : "", id) == 0)
			return json_string_value(json_object_get(a, "status"));
	return NULL;
}

int
ctl_account(int argc, char *argv[])
{
	const char *id = NULL, *kt = NULL, *sub = argc >= 2 ? argv[1] : "";
	char post[128], err[1024], *body = NULL;
	long timeout = 120;
	int wait = 0, rc;
	json_t *j, *a;
	size_t i;

	if (strcmp(sub, "list") == 0 && argc == 2) {
		if ((j = ctl_api("GET", "/v1/accounts", NULL, err,
		    sizeof(err))) == NULL) {
			fprintf(stderr, "certfleetctl: %s\n", err);
			return CTL_FAILED;
		}
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
		    "[--key-type ES256|ES384|RS256] ID | deactivate ID\n");
		return CTL_USAGE;
	}
	if (kt != NULL) {
		j = json_pack("{s:s}", "key_type", kt);
		body = json_dumps(j, JSON_COMPACT);
		json_decref(j);
	}
	snprintf(post, sizeof(post), "/v1/accounts/%s/%s", id,
	    strcmp(sub, "rollover") == 0 ? "key-rollover" : "deactivate");
	rc = ctl_action(post, body != NULL ? body : "{}", 0, NULL, NULL, NULL, 0);
	free(body);
	if (rc != CTL_OK || !wait || strcmp(sub, "deactivate") != 0)
		return rc;
	/* --wait: deactivation shows in the account's status */
	for (i = 0; i < (size_t)timeout; i++) {
		if ((j = ctl_api("GET", "/v1/accounts", NULL, err,
		    sizeof(err))) == NULL)
			return CTL_FAILED;
		kt = ctl_account_status(j, id);
		rc = kt != NULL && strcmp(kt, "deactivated") == 0;
		json_decref(j);
		if (rc)
			return CTL_OK;
		sleep(1);
	}
	return CTL_TIMEOUT;
}
