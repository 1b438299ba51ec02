/* ctl_enroll.c -- certfleetctl enroll: ask for a certificate and optionally wait until it is issued or failed; --from FILE hands many to ctl_bulk.c. */
#include "ctl.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CTL_WAIT_DEFAULT 300	/* seconds */

/* What `enroll` was told: the request body's fields as the options give
 * them, the names, the CA list, and whether to wait. */
struct ctl_enroll_opts {
	json_t	*req;		/* key_type, challenge, preferred_chain, profile */
	json_t	*names;
	json_t	*cas;		/* the CA, then its fallbacks */
	const char *from;	/* --from FILE: the sets, one per line */
	int	 wait;
	long	 timeout;
};

/* Options that set one string field of the request body. */
static const struct {
	const char	*flag;
	const char	*field;
} ctl_enroll_fields[] = {
	{ "--key-type", "key_type" },
	{ "--challenge", "challenge" },
	{ "--preferred-chain", "preferred_chain" },
	{ "--profile", "profile" },
	{ "--tenant", "tenant" },
};

/* Reads argv into o. Returns 0, or -1 after printing what is wrong. */
static int
ctl_enroll_args(int argc, char *argv[], struct ctl_enroll_opts *o)
{
	char *end, *tok, *save;
	size_t f;
	int i;

	for (i = 1; i < argc; i++) {
		for (f = 0; f < sizeof(ctl_enroll_fields) /
		    sizeof(ctl_enroll_fields[0]); f++)
			if (strcmp(argv[i], ctl_enroll_fields[f].flag) == 0)
				break;
		if (f < sizeof(ctl_enroll_fields) / sizeof(ctl_enroll_fields[0]) &&
		    i + 1 < argc)
			json_object_set_new(o->req, ctl_enroll_fields[f].field,
			    json_string(argv[++i]));
		else if (strcmp(argv[i], "--ca") == 0 && i + 1 < argc) {
			/* repeatable, or a comma list: the CA, then fallbacks */
			save = NULL;
			for (tok = strtok_r(argv[++i], ",", &save); tok != NULL;
			    tok = strtok_r(NULL, ",", &save))
				json_array_append_new(o->cas, json_string(tok));
		} else if (strcmp(argv[i], "--from") == 0 && i + 1 < argc)
			o->from = argv[++i];
		else if (strcmp(argv[i], "--wait") == 0)
			o->wait = 1;
		else if (strcmp(argv[i], "--force") == 0)
			json_object_set_new(o->req, "force", json_true());
		else if (strcmp(argv[i], "--label") == 0 && i + 1 < argc) {
			if ((end = strchr(argv[++i], '=')) == NULL) {
				fprintf(stderr, "certfleetctl: --label takes "
				    "KEY=VALUE\n");
				return -1;
			}
			*end = '\0';
			if (json_object_get(o->req, "labels") == NULL)
				json_object_set_new(o->req, "labels", json_object());
			json_object_set_new(json_object_get(o->req, "labels"),
			    argv[i], json_string(end + 1));
		}
		else if (strcmp(argv[i], "--timeout") == 0 && i + 1 < argc) {
			o->timeout = strtol(argv[++i], &end, 10);
			if (*end != '\0' || o->timeout < 1) {
				fprintf(stderr, "certfleetctl: --timeout takes a "
				    "number of seconds\n");
				return -1;
			}
		} else if (argv[i][0] == '-') {
			fprintf(stderr, "certfleetctl: enroll: unknown option %s\n",
			    argv[i]);
			return -1;
		} else
			json_array_append_new(o->names, json_string(argv[i]));
	}
	if ((json_array_size(o->names) == 0) == (o->from == NULL) ||
	    (o->from != NULL && o->wait)) {
		fprintf(stderr, "usage: certfleetctl enroll [--key-type T] "
		    "[--challenge http-01|dns-01] [--ca NAME[,FALLBACK...]]... "
		    "[--preferred-chain ISSUER_CN] [--profile NAME] [--tenant NAME] "
		    "[--label KEY=VALUE]... [--force] [--wait] "
		    "[--timeout SECONDS] HOST...\n"
		    "       certfleetctl enroll [the same options but --wait] "
		    "--from FILE|-\n");
		return -1;
	}
	if (o->from == NULL)
		json_object_set(o->req, "hostnames", o->names);
	if (json_array_size(o->cas) > 0) {
		json_object_set(o->req, "ca", json_array_get(o->cas, 0));
		json_array_remove(o->cas, 0);
		if (json_array_size(o->cas) > 0)
			json_object_set(o->req, "fallback", o->cas);
	}
	return 0;
}

int
ctl_enroll(int argc, char *argv[])
{
	struct ctl_enroll_opts o = { 0 };
	char err[1024], path[128], *body = NULL;
	const char *id;
	json_t *j = NULL, *fin = NULL;
	int rc = CTL_USAGE;

	o.req = json_object();
	o.names = json_array();
	o.cas = json_array();
	o.timeout = CTL_WAIT_DEFAULT;
	if (ctl_enroll_args(argc, argv, &o) < 0)
		goto out;
	if (o.from != NULL) {
		rc = ctl_enroll_from(o.from, o.req);
		goto out;
	}
	body = json_dumps(o.req, JSON_COMPACT);
	rc = CTL_FAILED;
	if ((j = ctl_api("POST", "/v1/certificates", body, err,
	    sizeof(err))) == NULL) {
		rc = ctl_fail(CTL_FAILED, err);
		goto out;
	}
	id = json_string_value(json_object_get(j, "id"));
	if (!o.wait) {
		rc = ctl_json() ? ctl_emit(j) : CTL_OK;
		if (!ctl_json())
			printf("%s\n", id != NULL ? id : "-");
		goto out;
	}
	if (!ctl_json()) {
		printf("%s\n", id != NULL ? id : "-");
		fflush(stdout);
	}
	snprintf(path, sizeof(path), "/v1/certificates/%s", id != NULL ? id :
	    "-");
	rc = ctl_wait(path, ctl_cert_state, "issued", o.timeout, &fin);
	if (fin != NULL && ctl_json())
		ctl_emit(fin);
out:
	free(body);
	json_decref(fin);
	json_decref(j);
	json_decref(o.req);
	json_decref(o.names);
	json_decref(o.cas);
	return rc;
}
