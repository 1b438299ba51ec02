/* trust.c -- the trust bundle file of a CA, from CERTFLEET_CA_FILE_<NAME>. */
#include "trust.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *
trust_file(const char *name, const char *def)
{
	char var[sizeof("CERTFLEET_CA_FILE_") + TRUST_NAME_MAX];
	const char *v;
	size_t i, n, off = strlen("CERTFLEET_CA_FILE_");

	if (name == NULL || (n = strlen(name)) == 0 || n > TRUST_NAME_MAX)
		return def;
	memcpy(var, "CERTFLEET_CA_FILE_", off);
	for (i = 0; i < n; i++) {
		if (!isalnum((unsigned char)name[i]) && name[i] != '-' &&
		    name[i] != '_')
			return def;
		var[off + i] = name[i] == '-' ? '_' :
		    (char)toupper((unsigned char)name[i]);
	}
	var[off + n] = '\0';
	v = getenv(var);
	return v != NULL && v[0] != '\0' ? v : def;
}
