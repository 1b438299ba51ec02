/* ctl_import.c -- certfleetctl import: a certbot, lego or PEM tree read (layout.c) and each certificate sent to POST /v1/certificates:import, with progress. */
#include "ctl.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "layout.h"

/* What `import` was told: the fields every set's body gets, the tree. */
struct ctl_import_opts {
	json_t		*req;		/* ca, tenant, labels, challenge, force */
	const char	*path;
};

/* Counts and results of the run. */
struct ctl_import_run {
	json_t	*results;
	size_t	 done, imported, existing, failed;
};

static int
ctl_import_usage(void)
{
	fprintf(stderr, "usage: certfleetctl import [--ca NAME] [--tenant NAME] "
	    "[--label KEY=VALUE]... [--challenge http-01|dns-01] [--force] "
	    "DIR\n");
	return CTL_USAGE;
}

/* Reads argv into o. 0, or -1 on a usage error. */
static int
ctl_import_args(int argc, char *argv[], struct ctl_import_opts *o)
{
	static const char *const fields[] = { "--ca", "ca", "--tenant",
	    "tenant", "--challenge", "challenge" };
	char *eq;
	size_t f;
	int i;

	for (i = 1; i < argc; i++) {
		for (f = 0; f < sizeof(fields) / sizeof(fields[0]); f += 2)
			if (strcmp(argv[i], fields[f]) == 0)
				break;
		if (f < sizeof(fields) / sizeof(fields[0]) && i + 1 < argc)
			json_object_set_new(o->req, fields[f + 1],
			    json_string(argv[++i]));
		else if (strcmp(argv[i], "--force") == 0)
			json_object_set_new(o->req, "force", json_true());
		else if (strcmp(argv[i], "--label") == 0 && i + 1 < argc) {
			if ((eq = strchr(argv[++i], '=')) == NULL)
				return -1;
			*eq = '\0';
			if (json_object_get(o->req, "labels") == NULL)
				json_object_set_new(o->req, "labels", json_object());
			json_object_set_new(json_object_get(o->req, "labels"),
			    argv[i], json_string(eq + 1));
		} else if (argv[i][0] == '-' || o->path != NULL)
			return -1;
		else
			o->path = argv[i];
	}
	return o->path != NULL ? 0 : -1;
}

/* Wipes the key inside j (jansson frees without wiping), then frees it. */
static void
ctl_import_wipe(json_t *j)
{
	json_t *k = json_object_get(j, "private_key");

	if (json_is_string(k))
		OPENSSL_cleanse((char *)(uintptr_t)json_string_value(k),
		    json_string_length(k));
	json_decref(j);
}

/* Sends set s; the API's reply (decref it), or NULL with err. */
static json_t *
ctl_import_send(const struct ctl_import_opts *o, const struct layout_set *s,
    char *err, size_t errlen)
{
	json_t *body, *r = NULL;
	char *text;

	if ((body = json_deep_copy(o->req)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	json_object_set_new(body, "certificate", json_string(s->cert));
	if (s->chain != NULL)
		json_object_set_new(body, "chain", json_string(s->chain));
	json_object_set_new(body, "private_key", json_string(s->key));
	if (json_object_get(body, "certificate") == NULL ||
	    json_object_get(body, "private_key") == NULL ||
	    (text = json_dumps(body, JSON_COMPACT)) == NULL) {
		snprintf(err, errlen, "the files are not UTF-8 text");
		ctl_import_wipe(body);
		return NULL;
	}
	ctl_import_wipe(body);
	r = ctl_api("POST", "/v1/certificates:import", text, err, errlen);
	OPENSSL_clear_free(text, strlen(text));
	return r;
}

/* One set: sent (unless it could not be read), reported. */
static void
ctl_import_one(const struct ctl_import_opts *o, const struct layout_set *s,
    struct ctl_import_run *run)
{
	char err[1024];
	const char *id;
	json_t *r = NULL, *res;
	int existing;

	if (s->error != NULL)
		snprintf(err, sizeof(err), "%s", s->error);
	else
		r = ctl_import_send(o, s, err, sizeof(err));
	run->done++;
	if (r == NULL || (id = json_string_value(json_object_get(r, "id"))) ==
	    NULL) {
		run->failed++;
		fprintf(stderr, "certfleetctl: import %s (%s): %s\n", s->name,
		    s->where, r == NULL ? err : "no id in the API's answer");
		res = json_pack("{s:s, s:s, s:s}", "name", s->name, "path",
		    s->where, "error", r == NULL ? err : "no id");
	} else {
		existing = json_is_true(json_object_get(r, "existing"));
		if (existing)
			run->existing++;
		else
			run->imported++;
		if (!ctl_json())
			printf("%s\t%s\t%s\n", id, existing ? "existing" :
			    "imported", s->name);
		res = json_pack("{s:s, s:s, s:s, s:b, s:O}", "name", s->name,
		    "path", s->where, "id", id, "existing", existing, "serial",
		    json_object_get(r, "serial"));
	}
	json_array_append_new(run->results, res);
	json_decref(r);
}

int
ctl_import(int argc, char *argv[])
{
	struct ctl_import_opts o = { 0 };
	struct ctl_import_run run = { 0 };
	struct layout l;
	char err[1024];
	time_t start = time(NULL);
	json_t *j, *skipped;
	size_t i;
	int rc;

	o.req = json_object();
	if (ctl_import_args(argc, argv, &o) < 0) {
		json_decref(o.req);
		return ctl_import_usage();
	}
	if (layout_read(o.path, &l, err, sizeof(err)) < 0) {
		json_decref(o.req);
		return ctl_fail(CTL_FAILED, err);
	}
	run.results = json_array();
	skipped = json_array();
	for (i = 0; i < l.nskipped; i++) {
		fprintf(stderr, "certfleetctl: skipped %s\n", l.skipped[i]);
		json_array_append_new(skipped, json_string(l.skipped[i]));
	}
	for (i = 0; i < l.n; i++) {
		ctl_import_one(&o, &l.sets[i], &run);
		ctl_progress_count((long)(time(NULL) - start), run.done, l.n,
		    "certificates", run.failed, i + 1 == l.n);
	}
	fprintf(stderr, "certfleetctl: %s tree %s: %zu certificate(s): %zu "
	    "imported, %zu existing, %zu refused; %zu file(s) skipped\n",
	    layout_kind_name(l.kind), l.root, l.n, run.imported, run.existing,
	    run.failed, l.nskipped);
	if (ctl_json()) {
		j = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:O, s:O}", "layout",
		    layout_kind_name(l.kind), "root", l.root, "sets",
		    (json_int_t)l.n, "imported", (json_int_t)run.imported,
		    "existing", (json_int_t)run.existing, "failed",
		    (json_int_t)run.failed, "skipped", skipped, "results",
		    run.results);
		ctl_emit(j);
		json_decref(j);
	}
	rc = run.failed == 0 && l.n > 0 ? CTL_OK : CTL_FAILED;
	if (l.n == 0)
		fprintf(stderr, "certfleetctl: no certificate found under %s\n",
		    o.path);
	layout_free(&l);
	json_decref(skipped);
	json_decref(run.results);
	json_decref(o.req);
	return rc;
}
