/* layout_clients.c -- the trees ACME clients leave: certbot's live/ + archive/ (links followed) and lego's certificates/ (bundled chains, .json names). */
#include "layout_int.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

/* Reads file name of dir into *out (required: an error for s when it
 * cannot; else NULL when it is missing). */
void
layout_read_file(struct layout_set *s, const char *dir, const char *name,
    int required, char **out, size_t *outlen)
{
	char *path, why[512];
	size_t len = 0;

	*out = NULL;
	if ((path = layout_join(dir, name)) == NULL) {
		layout_set_error(s, "out of memory");
		return;
	}
	if (required || layout_is_file(path))
		if ((*out = layout_slurp(path, &len, why, sizeof(why))) == NULL)
			layout_set_error(s, "%s", why);
	if (outlen != NULL)
		*outlen = len;
	free(path);
}

/* certbot: one set per live/<name>/ directory. */
int
layout_certbot(const char *live, struct layout *l, char *err, size_t errlen)
{
	struct layout_set *s;
	char **names, *dir;
	size_t n, i;
	int rc = -1;

	if (layout_list(live, &names, &n, err, errlen) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if ((dir = layout_join(live, names[i])) == NULL)
			goto oom;
		if (!layout_is_dir(dir)) {	/* README */
			free(dir);
			continue;
		}
		if ((s = layout_add(l, names[i], dir)) == NULL) {
			free(dir);
			goto oom;
		}
		layout_read_file(s, dir, "cert.pem", 1, &s->cert, NULL);
		layout_read_file(s, dir, "chain.pem", 0, &s->chain, NULL);
		layout_read_file(s, dir, "privkey.pem", 1, &s->key, &s->keylen);
		free(dir);
	}
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	layout_names_free(names, n);
	return rc;
}

/* 1 when name ends with suffix (and is longer). */
int
layout_ends(const char *name, const char *suffix)
{
	size_t n = strlen(name), k = strlen(suffix);

	return n > k && strcmp(name + n - k, suffix) == 0;
}

/* How many certificates the PEM text pem begins (BEGIN lines). */
static size_t
layout_count_certs(const char *pem)
{
	const char *p = pem;
	size_t n = 0;

	while ((p = strstr(p, "-----BEGIN CERTIFICATE-----")) != NULL) {
		n++;
		p++;
	}
	return n;
}

/* lego's <domain>.json "domain", when it is there and reads as a name. */
static void
layout_lego_name(struct layout_set *s, const char *dir, const char *base)
{
	char file[600], *path;
	const char *d;
	json_error_t je;
	json_t *j;
	size_t i;

	snprintf(file, sizeof(file), "%s.json", base);
	if ((path = layout_join(dir, file)) == NULL)
		return;
	j = layout_is_file(path) ? json_load_file(path, 0, &je) : NULL;
	free(path);
	d = json_string_value(json_object_get(j, "domain"));
	for (i = 0; d != NULL && d[i] != '\0' && i < 253; i++)
		if (d[i] <= 0x20 || d[i] >= 0x7f)
			break;
	if (d != NULL && d[i] == '\0' && i > 0 && (d = strdup(d)) != NULL) {
		free(s->name);
		s->name = (char *)(uintptr_t)d;
	}
	json_decref(j);
}

/* lego: one set per <domain>.crt of dir. */
int
layout_lego(const char *dir, struct layout *l, char *err, size_t errlen)
{
	struct layout_set *s;
	char **names, base[512], file[600], *where;
	size_t n, i;
	int rc = -1;

	if (layout_list(dir, &names, &n, err, errlen) < 0)
		return -1;
	for (i = 0; i < n; i++) {
		if (!layout_ends(names[i], ".crt") ||
		    layout_ends(names[i], ".issuer.crt") ||
		    strlen(names[i]) >= sizeof(base))
			continue;
		snprintf(base, sizeof(base), "%.*s", (int)(strlen(names[i]) - 4),
		    names[i]);
		if ((where = layout_join(dir, names[i])) == NULL ||
		    (s = layout_add(l, base, where)) == NULL) {
			free(where);
			goto oom;
		}
		free(where);
		layout_lego_name(s, dir, base);
		layout_read_file(s, dir, names[i], 1, &s->cert, NULL);
		snprintf(file, sizeof(file), "%s.key", base);
		layout_read_file(s, dir, file, 1, &s->key, &s->keylen);
		/* lego bundles the chain into the .crt unless --no-bundle */
		snprintf(file, sizeof(file), "%s.issuer.crt", base);
		if (s->cert != NULL && layout_count_certs(s->cert) == 1)
			layout_read_file(s, dir, file, 0, &s->chain, NULL);
	}
	rc = 0;
	goto out;
oom:
	snprintf(err, errlen, "out of memory");
out:
	layout_names_free(names, n);
	return rc;
}

/* 1 when dir holds a file named *.issuer.crt: lego's certificates/. */
int
layout_looks_lego(const char *dir)
{
	char **names, err[256];
	size_t n, i;
	int found = 0;

	if (layout_list(dir, &names, &n, err, sizeof(err)) < 0)
		return 0;
	for (i = 0; i < n && !found; i++)
		found = layout_ends(names[i], ".issuer.crt");
	layout_names_free(names, n);
	return found;
}
