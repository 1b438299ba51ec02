/* trust.c -- the trust bundle file of a CA, from CERTFLEET_CA_FILE_<NAME>. */
#include "trust.h"

#include "config.h"

const char *
trust_file(const char *name, const char *def)
{
	/* Room for names of up to TRUST_NAME_MAX: a longer one does not fit. */
	char var[sizeof("CERTFLEET_CA_FILE_") + TRUST_NAME_MAX];

	if (name == NULL || config_env_name(var, sizeof(var),
	    "CERTFLEET_CA_FILE", name, NULL) < 0)
		return def;
	return config_str(var, def);
}
