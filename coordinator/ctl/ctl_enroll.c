/* ctl_enroll.c -- certfleetctl enroll: ask for a certificate and optionally wait until it is issued or failed. */
#include "ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CTL_WAIT_DEFAULT 300	/* seconds */
#define CTL_POLL_S 1

static const char *
ctl_str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));

	return s != NULL ? s : "-";
}

/* Polls the certificate until a final status. */
static int
ctl_wait(const char *id, long timeout)
{
	char path[128], err[1024];
	time_t end = time(NULL) + timeout;
	char st[32];
	json_t *j, *p;

	snprintf(path, sizeof(path), "/v1/certificates/%s", id);
	for (;;) {
		if ((j = ctl_api("GET", path, NULL, err, sizeof(err))) == NULL) {
			fprintf(stderr, "certfleetctl: %s\n", err);
			return CTL_FAILED;
		}
		snprintf(st, sizeof(st), "%s", ctl_str(j, "status"));
		if (strcmp(st, "issued") == 0) {
			fprintf(stderr, "issued: serial %s, valid %s to %s, issuer %s, "
			    "CA %s\n", ctl_str(j, "serial"), ctl_str(j, "not_before"),
			    ctl_str(j, "not_after"), ctl_str(j, "issuer"),
			    ctl_str(j, "ca"));
			json_decref(j);
			return CTL_OK;
		}
		if (strcmp(st, "failed") == 0) {
			p = json_object_get(j, "problem");
			fprintf(stderr, "failed: %s: %s\n", ctl_str(p, "type"),
			    ctl_str(p, "detail"));
			json_decref(j);
			return CTL_FAILED;
		}
		json_decref(j);
		if (time(NULL) >= end) {
			fprintf(stderr, "certfleetctl: still %s after %ld s\n", st,
			    timeout);
			return CTL_TIMEOUT;
		}
		sleep(CTL_POLL_S);
	}
}

int
ctl_enroll(int argc, char *argv[])
{
	const char *key_type = NULL, *challenge = NULL, *chain = NULL;
	const char *profile = NULL;
	char err[1024], *body = NULL, *end;
	json_t *req = NULL, *names, *j = NULL, *cas;
	long timeout = CTL_WAIT_DEFAULT;
	int i, wait = 0, rc = CTL_USAGE;

	names = json_array();
	cas = json_array();
	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--key-type") == 0 && i + 1 < argc)
			key_type = argv[++i];
		else if (strcmp(argv[i], "--challenge") == 0 && i + 1 < argc)
			challenge = argv[++i];
		else if (strcmp(argv[i], "--ca") == 0 && i + 1 < argc) {
			/* repeatable, or a comma list: the CA, then fallbacks */
			char *list = argv[++i], *tok, *save = NULL;

			for (tok = strtok_r(list, ",", &save); tok != NULL;
			    tok = strtok_r(NULL, ",", &save))
				json_array_append_new(cas, json_string(tok));
		}
		else if (strcmp(argv[i], "--preferred-chain") == 0 && i + 1 < argc)
			chain = argv[++i];
		else if (strcmp(argv[i], "--profile") == 0 && i + 1 < argc)
			profile = argv[++i];
		else if (strcmp(argv[i], "--wait") == 0)
			wait = 1;
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			timeout = strtol(argv[++i], &end, 10);
			if (*end != '\0' || timeout < 1) {
				fprintf(stderr, "certfleetctl: --timeout takes a "
				    "number of seconds\n");
				goto out;
			}
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "certfleetctl: enroll: unknown option %s\n",
			    argv[i]);
			goto out;
		} else
			json_array_append_new(names, json_string(argv[i]));
	}
	if (json_array_size(names) == 0) {
		fprintf(stderr, "usage: certfleetctl enroll [--key-type T] "
		    "[--challenge http-01|dns-01] [--ca NAME[,FALLBACK...]]... "
		    "[--preferred-chain ISSUER_CN] [--profile NAME] [--wait] "
		    "[--timeout SECONDS] HOST...\n");
		goto out;
	}
	req = json_pack("{s:O}", "hostnames", names);
	if (key_type != NULL)
		json_object_set_new(req, "key_type", json_string(key_type));
	if (challenge != NULL)
		json_object_set_new(req, "challenge", json_string(challenge));
	if (json_array_size(cas) > 0) {
		json_object_set(req, "ca", json_array_get(cas, 0));
		json_array_remove(cas, 0);
		if (json_array_size(cas) > 0)
			json_object_set(req, "fallback", cas);
	}
	if (chain != NULL)
		json_object_set_new(req, "preferred_chain", json_string(chain));
	if (profile != NULL)
		json_object_set_new(req, "profile", json_string(profile));
	body = json_dumps(req, JSON_COMPACT);
	rc = CTL_FAILED;
	if ((j = ctl_api("POST", "/v1/certificates", body, err,
	    sizeof(err))) == NULL) {
		fprintf(stderr, "certfleetctl: %s\n", err);
		goto out;
	}
	printf("%s\n", ctl_str(j, "id"));
	fflush(stdout);
	rc = wait ? ctl_wait(ctl_str(j, "id"), timeout) : CTL_OK;
out:
	free(body);
	json_decref(j);
	json_decref(req);
	json_decref(names);
	json_decref(cas);
	return rc;
}
