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
