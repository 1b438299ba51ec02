/* config.c -- settings from the environment, with defaults and range checks, and the names of per-object variables. */
#include "config.h"

#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
config_str(const char *name, const char *def)
{
	const char *v = getenv(name);

	return v != NULL && v[0] != '\0' ? v : def;
}

int
config_long(const char *name, long def, long min, long max, long *out,
    char *err, size_t errlen)
{
	const char *v = config_str(name, NULL);
	char *end;
	long n;

	if (v == NULL) {
		*out = def;
		return 0;
	}
	errno = 0;
	n = strtol(v, &end, 10);
	if (errno != 0 || *end != '\0' || n < min || n > max) {
		snprintf(err, errlen, "%s=%s: expected an integer in [%ld, %ld]",
		    name, v, min, max);
		return -1;
	}
	*out = n;
	return 0;
}

int
config_env_name(char *out, size_t outlen, const char *prefix, const char *name,
    const char *suffix)
{
	size_t i, n = strlen(name), off = strlen(prefix) + 1;
	int len;

	if (outlen > 0)
		out[0] = '\0';
	if (n == 0)
		return -1;
	for (i = 0; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '-' &&
		    name[i] != '_')
			return -1;
	len = snprintf(out, outlen, "%s_%s%s%s", prefix, name,
	    suffix != NULL ? "_" : "", suffix != NULL ? suffix : "");
	if (len < 0 || (size_t)len >= outlen) {
		if (outlen > 0)
			out[0] = '\0';
		return -1;
	}
	for (i = 0; i < n; i++)
		out[off + i] = name[i] == '-' ? '_' :
		    (char)toupper((unsigned char)name[i]);
	return len;
}

/* Secrets read from files, kept for the process's life (looked up again by
 * name so a setting read twice is read once). */
struct config_kept {
	struct config_kept	*next;
	char			*name;
	char			*value;
};
static struct config_kept *config_kept_list;

/* Reads path (at most CONFIG_SECRET_MAX bytes, one trailing newline cut)
 * into a new string. Returns it, or NULL with err. */
static char *
config_read_secret(const char *var, const char *path, char *err,
    size_t errlen)
{
	char *buf = NULL;
	size_t n;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "%s: cannot read %s: %s", var, path,
		    strerror(errno));
		return NULL;
	}
	if ((buf = malloc(CONFIG_SECRET_MAX + 2)) == NULL) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	n = fread(buf, 1, CONFIG_SECRET_MAX + 1, f);
	if (n > 0 && buf[n - 1] == '\n')
		n--;
	if (n > 0 && buf[n - 1] == '\r')
		n--;
	buf[n] = '\0';
	if (n == 0 || n > CONFIG_SECRET_MAX || strlen(buf) != n) {
		snprintf(err, errlen, "%s: %s is empty, holds a NUL or is over "
		    "%d bytes", var, path, CONFIG_SECRET_MAX);
		free(buf);
		buf = NULL;
	}
out:
	fclose(f);
	return buf;
}

int
config_secret(const char *name, const char **out, char *err, size_t errlen)
{
	struct config_kept *k;
	const char *path;
	char var[256];
	char *v;

	if ((*out = config_str(name, NULL)) != NULL)
		return 0;
	for (k = config_kept_list; k != NULL; k = k->next)
		if (strcmp(k->name, name) == 0) {
			*out = k->value;
			return 0;
		}
	snprintf(var, sizeof(var), "%s_FILE", name);
	if ((path = config_str(var, NULL)) == NULL)
		return 0;
	if ((v = config_read_secret(var, path, err, errlen)) == NULL)
		return -1;
	if ((k = calloc(1, sizeof(*k))) == NULL ||
	    (k->name = strdup(name)) == NULL) {
		free(k);
		free(v);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	k->value = v;
	k->next = config_kept_list;
	config_kept_list = k;
	*out = v;
	return 0;
}
