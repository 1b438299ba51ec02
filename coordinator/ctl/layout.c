/* layout.c -- recognizes the tree `certfleetctl import` is given (certbot, lego, or PEM files) and hands it to its reader (layout_clients.c, layout_pem.c); the files, listings and sets they share. */
#include "layout_int.h"

#include <dirent.h>
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <openssl/crypto.h>

const char *
layout_kind_name(enum layout_kind k)
{
	switch (k) {
	case LAYOUT_CERTBOT:
		return "certbot";
	case LAYOUT_LEGO:
		return "lego";
	default:
		return "pem";
	}
}

char *
layout_join(const char *dir, const char *name)
{
	size_t n = strlen(dir) + strlen(name) + 2;
	char *p;

	if ((p = malloc(n)) != NULL)
		snprintf(p, n, "%s/%s", dir, name);
	return p;
}

int
layout_is_dir(const char *path)
{
	struct stat st;

	return path != NULL && stat(path, &st) == 0 && S_ISDIR(st.st_mode);
}

int
layout_is_file(const char *path)
{
	struct stat st;

	return path != NULL && stat(path, &st) == 0 && S_ISREG(st.st_mode);
}

char *
layout_slurp(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f;
	char *p;
	size_t n;

	*len = 0;
	if ((f = fopen(path, "rb")) == NULL) {
		snprintf(err, errlen, "%.900s: %s", path, strerror(errno));
		return NULL;
	}
	if ((p = malloc(LAYOUT_FILE_MAX + 2)) == NULL) {
		fclose(f);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	n = fread(p, 1, LAYOUT_FILE_MAX + 1, f);
	fclose(f);
	if (n > LAYOUT_FILE_MAX || memchr(p, '\0', n) != NULL) {
		snprintf(err, errlen, "%s: %s", path, n > LAYOUT_FILE_MAX ?
		    "over the size a PEM file may have" : "not a text file");
		layout_wipe(p, LAYOUT_FILE_MAX + 1);
		return NULL;
	}
	p[n] = '\0';
	*len = n;
	return p;
}

void
layout_wipe(char *p, size_t len)
{
	if (p != NULL) {
		OPENSSL_cleanse(p, len);
		free(p);
	}
}

static int
layout_strcmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int
layout_list(const char *dir, char ***names, size_t *n, char *err,
    size_t errlen)
{
	struct dirent *de;
	DIR *d;
	char **v = NULL, **nv;
	size_t cap = 0;

	*names = NULL;
	*n = 0;
	if ((d = opendir(dir)) == NULL) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	while ((de = readdir(d)) != NULL) {
		if (de->d_name[0] == '.')
			continue;
		if (*n == LAYOUT_FILES_MAX) {
			snprintf(err, errlen, "%s: more than %d entries", dir,
			    LAYOUT_FILES_MAX);
			goto fail;
		}
		if (*n == cap) {
			cap = cap > 0 ? cap * 2 : 64;
			if ((nv = realloc(v, cap * sizeof(*v))) == NULL)
				goto oom;
			v = nv;
		}
		if ((v[*n] = strdup(de->d_name)) == NULL)
			goto oom;
		(*n)++;
	}
	closedir(d);
	if (*n > 0)
		qsort(v, *n, sizeof(*v), layout_strcmp);
	*names = v;
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	closedir(d);
	layout_names_free(v, *n);
	*n = 0;
	return -1;
}

void
layout_names_free(char **names, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		free(names[i]);
	free(names);
}

struct layout_set *
layout_add(struct layout *l, const char *name, const char *where)
{
	struct layout_set *ns, *s;

	if ((ns = realloc(l->sets, (l->n + 1) * sizeof(*ns))) == NULL)
		return NULL;
	l->sets = ns;
	s = &l->sets[l->n];
	memset(s, 0, sizeof(*s));
	if ((s->name = strdup(name)) == NULL ||
	    (s->where = strdup(where)) == NULL) {
		free(s->name);
		return NULL;
	}
	l->n++;
	return s;
}

void
layout_set_error(struct layout_set *s, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;

	if (s->error != NULL)
		return;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	s->error = strdup(buf);
}

int
layout_skip(struct layout *l, const char *fmt, ...)
{
	char buf[1024], **ns;
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(buf, sizeof(buf), fmt, ap);
	va_end(ap);
	if ((ns = realloc(l->skipped, (l->nskipped + 1) * sizeof(*ns))) == NULL)
		return -1;
	l->skipped = ns;
	if ((ns[l->nskipped] = strdup(buf)) == NULL)
		return -1;
	l->nskipped++;
	return 0;
}

/* 1 when dir holds a file (or a link to one) named name. */
static int
layout_has(const char *dir, const char *name)
{
	char *p = layout_join(dir, name);
	int found = layout_is_file(p);

	free(p);
	return found;
}

/* Which reader the directory path calls for, and the directory it reads
 * (malloc'd, into *dir). */
static enum layout_kind
layout_detect(const char *path, char **dir)
{
	char *a = layout_join(path, "live"), *b = layout_join(path, "archive");
	char *c = layout_join(path, "../archive");
	enum layout_kind k = LAYOUT_PEMDIR;

	*dir = NULL;
	if (layout_is_dir(a) && layout_is_dir(b)) {
		k = LAYOUT_CERTBOT;
		*dir = a;
		a = NULL;
	} else if (layout_is_dir(c) && layout_ends(path, "live")) {
		k = LAYOUT_CERTBOT;
	} else {
		free(b);
		b = layout_join(path, "certificates");
		if (layout_is_dir(b)) {
			k = LAYOUT_LEGO;
			*dir = b;
			b = NULL;
		} else if (layout_looks_lego(path))
			k = LAYOUT_LEGO;
	}
	if (*dir == NULL)
		*dir = strdup(path);
	free(a);
	free(b);
	free(c);
	return k;
}

int
layout_read(const char *path, struct layout *l, char *err, size_t errlen)
{
	struct layout_set *s;
	char *dir;
	int rc;

	memset(l, 0, sizeof(*l));
	if (!layout_is_dir(path)) {
		snprintf(err, errlen, "%s is not a directory", path);
		return -1;
	}
	/* one certbot live/<name>/ directory on its own */
	if (layout_has(path, "cert.pem") && layout_has(path, "privkey.pem")) {
		l->kind = LAYOUT_CERTBOT;
		if ((l->root = strdup(path)) == NULL ||
		    (s = layout_add(l, strrchr(path, '/') != NULL ?
		    strrchr(path, '/') + 1 : path, path)) == NULL) {
			layout_free(l);
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		layout_read_file(s, path, "cert.pem", 1, &s->cert, NULL);
		layout_read_file(s, path, "chain.pem", 0, &s->chain, NULL);
		layout_read_file(s, path, "privkey.pem", 1, &s->key, &s->keylen);
		return 0;
	}
	l->kind = layout_detect(path, &dir);
	if ((l->root = dir) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (l->kind == LAYOUT_CERTBOT)
		rc = layout_certbot(dir, l, err, errlen);
	else if (l->kind == LAYOUT_LEGO)
		rc = layout_lego(dir, l, err, errlen);
	else
		rc = layout_pemdir(dir, l, err, errlen);
	if (rc < 0)
		layout_free(l);
	return rc;
}

void
layout_free(struct layout *l)
{
	size_t i;

	for (i = 0; i < l->n; i++) {
		free(l->sets[i].name);
		free(l->sets[i].where);
		free(l->sets[i].cert);
		free(l->sets[i].chain);
		layout_wipe(l->sets[i].key, l->sets[i].keylen);
		free(l->sets[i].error);
	}
	free(l->sets);
	layout_names_free(l->skipped, l->nskipped);
	free(l->root);
	memset(l, 0, sizeof(*l));
}
