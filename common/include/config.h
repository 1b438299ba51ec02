/* config.h -- settings from the environment (deploy/local/state/env exports them), with defaults. */
#ifndef CERTFLEET_CONFIG_H
#define CERTFLEET_CONFIG_H

#include <stddef.h>

/* Returns the value of the environment variable name when it is set and
 * non-empty, else def (which may be NULL). The string is not copied. */
const char *config_str(const char *name, const char *def);

/* Reads name as a base-10 integer in [min, max]. Returns def when unset;
 * returns -1 with a message in err when set but not a number in range.
 * *out gets the value on success. */
int config_long(const char *name, long def, long min, long max, long *out,
    char *err, size_t errlen);

#endif
