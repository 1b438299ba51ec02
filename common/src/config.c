/* config.c -- settings from the environment, with defaults and range checks. */
#include "config.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>

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
