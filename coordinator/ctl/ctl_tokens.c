/* ctl_tokens.c -- certfleetctl token create|list|revoke (the API's scoped tokens) and audit (the log of state-changing calls and key downloads). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "ctl.h"

/* A string member of j, or "-". */
static const char *
ctl_str(json_t *j, const char *key)
{
	json_t *v = json_object_get(j, key);

	return json_is_string(v) ? json_string_value(v) : "-";
}

/* token create --scope read|enroll|admin NAME: prints the id and, once,
 * the secret (the API keeps only its hash). */
static int
ctl_token_create(int argc, char *argv[])
{
	const char *scope = NULL, *name = NULL;
	char err[1024], *body;
	json_t *j, *req;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--scope") == 0 && i + 1 < argc)
			scope = argv[++i];
		else if (argv[i][0] != '-' && name == NULL)
			name = argv[i];
		else
			name = scope = NULL, i = argc;
	}
	if (scope == NULL || name == NULL) {
		fprintf(stderr, "usage: certfleetctl token create --scope "
		    "read|enroll|admin NAME\n");
		return CTL_USAGE;
	}
	req = json_pack("{s:s, s:s}", "name", name, "scope", scope);
	body = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	if (body == NULL)
		return ctl_fail(CTL_FAILED, "out of memory");
	j = ctl_api("POST", "/v1/tokens", body, err, sizeof(err));
	free(body);
	if (j == NULL)
		return ctl_fail(CTL_FAILED, err);
	if (ctl_json())
		ctl_emit(j);
	else
		printf("id %s\nscope %s\ntoken %s\n(the token is shown this once)\n",
		    ctl_str(j, "id"), ctl_str(j, "scope"), ctl_str(j, "token"));
	json_decref(j);
	return CTL_OK;
}

static int
ctl_token_list(void)
{
	json_t *j, *t;
	size_t i;
	int rc;

	if ((j = ctl_get_text("/v1/tokens", &rc)) == NULL)
		return rc;
	printf("%-26s %-7s %-20s %-20s %-20s %s\n", "ID", "SCOPE", "CREATED",
	    "LAST USED", "REVOKED", "NAME");
	json_array_foreach(json_object_get(j, "tokens"), i, t)
		printf("%-26s %-7s %-20s %-20s %-20s %s\n", ctl_str(t, "id"),
		    ctl_str(t, "scope"), ctl_str(t, "created_at"),
		    ctl_str(t, "last_used_at"), ctl_str(t, "revoked_at"),
		    ctl_str(t, "name"));
	json_decref(j);
	return CTL_OK;
}

static int
ctl_token_revoke(const char *id)
{
	char path[256], err[1024];
	json_t *j;

	snprintf(path, sizeof(path), "/v1/tokens/%s/revoke", id);
	if ((j = ctl_api("POST", path, "", err, sizeof(err))) == NULL)
		return ctl_fail(CTL_FAILED, err);
	if (ctl_json())
		ctl_emit(j);
	else
		printf("token %s revoked\n", id);
	json_decref(j);
	return CTL_OK;
}

int
ctl_token(int argc, char *argv[])
{
	if (argc >= 2 && strcmp(argv[1], "create") == 0)
		return ctl_token_create(argc - 1, argv + 1);
	if (argc == 2 && strcmp(argv[1], "list") == 0)
		return ctl_token_list();
	if (argc == 3 && strcmp(argv[1], "revoke") == 0 && argv[2][0] != '-')
		return ctl_token_revoke(argv[2]);
	fprintf(stderr, "usage: certfleetctl token create --scope "
	    "read|enroll|admin NAME | list | revoke ID\n");
	return CTL_USAGE;
}

/* audit [--token ID] [--before ID] [LIMIT]: newest first. */
int
ctl_audit(int argc, char *argv[])
{
	char path[512], limit[16] = "100";
	const char *token = NULL, *before = NULL;
	json_t *j, *e;
	size_t i;
	int rc;

	for (i = 1; i < (size_t)argc; i++) {
		if (strcmp(argv[i], "--token") == 0 && i + 1 < (size_t)argc &&
		    strspn(argv[i + 1], "abcdefghijklmnopqrstuvwxyz0123456789"
		    "ABCDEFGHIJKLMNOPQRSTUVWXYZ_-") == strlen(argv[i + 1]))
			token = argv[++i];
		else if (strcmp(argv[i], "--before") == 0 && i + 1 < (size_t)argc &&
		    strspn(argv[i + 1], "0123456789") == strlen(argv[i + 1]))
			before = argv[++i];
		else if (strspn(argv[i], "0123456789") == strlen(argv[i]) &&
		    strlen(argv[i]) < sizeof(limit))
			snprintf(limit, sizeof(limit), "%s", argv[i]);
		else {
			fprintf(stderr, "usage: certfleetctl audit [--token ID] "
			    "[--before AUDIT_ID] [LIMIT]\n");
			return CTL_USAGE;
		}
	}
	snprintf(path, sizeof(path), "/v1/audit?limit=%s%s%s%s%s", limit,
	    token != NULL ? "&token=" : "", token != NULL ? token : "",
	    before != NULL ? "&before=" : "", before != NULL ? before : "");
	if ((j = ctl_get_text(path, &rc)) == NULL)
		return rc;
	printf("%-8s %-20s %-26s %-6s %-16s %s\n", "ID", "AT", "TOKEN",
	    "STATUS", "SOURCE", "ACTION / TARGET");
	json_array_foreach(json_object_get(j, "entries"), i, e)
		printf("%-8lld %-20s %-26s %-6lld %-16s %s %s\n",
		    (long long)json_integer_value(json_object_get(e, "id")),
		    ctl_str(e, "at"), ctl_str(e, "token"),
		    (long long)json_integer_value(json_object_get(e, "status")),
		    ctl_str(e, "source"), ctl_str(e, "action"),
		    ctl_str(e, "target"));
	json_decref(j);
	return CTL_OK;
}
