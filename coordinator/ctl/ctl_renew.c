/* ctl_renew.c -- certfleetctl renew and retry: a renewal of one certificate now, and failed certificates given a new order (renewals the CA refused, renewed). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "ctl.h"

/* POST /v1/certificates/ID/WHAT (renew, retry): prints the new order, or
 * the reply with --json. */
static int
ctl_order_now(const char *id, const char *what)
{
	char path[256], err[1024];
	json_t *j;

	snprintf(path, sizeof(path), "/v1/certificates/%s/%s", id, what);
	if ((j = ctl_api("POST", path, "", err, sizeof(err))) == NULL)
		return ctl_fail(CTL_FAILED, err);
	if (ctl_json())
		ctl_emit(j);
	else
		printf("%s %s order %s\n", id, strcmp(what, "renew") == 0 ?
		    "renewal" : what, json_is_string(json_object_get(j,
		    "order")) ? json_string_value(json_object_get(j, "order")) :
		    "-");
	json_decref(j);
	return CTL_OK;
}

int
ctl_renew(int argc, char *argv[])
{
	if (argc != 2 || argv[1][0] == '-') {
		fprintf(stderr, "usage: certfleetctl renew ID\n");
		return CTL_USAGE;
	}
	return ctl_order_now(argv[1], "renew");
}

/* retry --all [--ca NAME] [--problem TYPE]: calls the bulk retry until it
 * has nothing more to take. */
static int
ctl_retry_all(const char *ca, const char *problem)
{
	char err[1024], *body;
	json_t *req, *j;
	time_t start = time(NULL);
	long total = 0, due = 0;
	int more = 1, rc = CTL_OK;

	req = json_object();
	if (ca != NULL)
		json_object_set_new(req, "ca", json_string(ca));
	if (problem != NULL)
		json_object_set_new(req, "problem_type", json_string(problem));
	body = json_dumps(req, JSON_COMPACT);
	while (more) {
		if ((j = ctl_api("POST", "/v1/certificates:retry", body, err,
		    sizeof(err))) == NULL) {
			rc = ctl_fail(CTL_FAILED, err);
			break;
		}
		total += (long)json_integer_value(json_object_get(j, "retried"));
		due += (long)json_integer_value(json_object_get(j,
		    "renewals_due"));
		more = json_is_true(json_object_get(j, "more"));
		json_decref(j);
		if (more) {
			snprintf(err, sizeof(err), "%ld retried, %ld renewals "
			    "due, more to come", total, due);
			ctl_progress((long)(time(NULL) - start), err, 0);
		}
	}
	if (rc == CTL_OK && ctl_json()) {
		j = json_pack("{s:I, s:I}", "retried", (json_int_t)total,
		    "renewals_due", (json_int_t)due);
		ctl_emit(j);
		json_decref(j);
	} else if (rc == CTL_OK)
		printf("%ld certificate(s) retried, %ld renewal(s) the CA "
		    "refused due again\n", total, due);
	free(body);
	json_decref(req);
	return rc;
}

int
ctl_retry(int argc, char *argv[])
{
	const char *ca = NULL, *problem = NULL;
	int i, all = 0;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--all") == 0)
			all = 1;
		else if (strcmp(argv[i], "--ca") == 0 && i + 1 < argc)
			ca = argv[++i];
		else if (strcmp(argv[i], "--problem") == 0 && i + 1 < argc)
			problem = argv[++i];
		else
			break;
	}
	if (all && i == argc)
		return ctl_retry_all(ca, problem);
	if (all || ca != NULL || problem != NULL || argc != 2 ||
	    argv[1][0] == '-') {
		fprintf(stderr, "usage: certfleetctl retry ID | certfleetctl retry "
		    "[--ca NAME] [--problem TYPE] --all\n");
		return CTL_USAGE;
	}
	return ctl_order_now(argv[1], "retry");
}
