/* config.h -- settings from the environment (deploy/local/state/env exports them), with defaults. */
#ifndef CERTFLEET_CONFIG_H
#define CERTFLEET_CONFIG_H

#include <stddef.h>

/* Returns the value of the environment variable name when it is set and
 * non-empty, else def (which may be NULL). The string is not copied. */
const char *config_str(const char *name, const char *def);

/* A secret setting: the value of name when set and non-empty, else the
 * contents of the file named by name + "_FILE" (one trailing newline cut;
 * read once, kept for the process's life), else NULL. Returns -1 with a
 * message in err when the _FILE variable names a file that cannot be read,
 * is empty or holds more than CONFIG_SECRET_MAX bytes; 0 otherwise, with
 * *out set (NULL when neither is set). Secrets stay out of command lines
 * and, with _FILE, out of the environment. */
#define CONFIG_SECRET_MAX 4096
int config_secret(const char *name, const char **out, char *err,
    size_t errlen);

/* Reads name as a base-10 integer in [min, max]. Returns def when unset;
 * returns -1 with a message in err when set but not a number in range.
 * *out gets the value on success. */
int config_long(const char *name, long def, long min, long max, long *out,
    char *err, size_t errlen);

/* Writes into out the name of a variable that belongs to a named object:
 * prefix, '_', name upper-cased with '-' as '_', and then '_' and suffix
 * when suffix is not NULL. prefix and suffix are copied as they are.
 * ("CERTFLEET_CA", "lets-encrypt", "EAB_KID") gives
 * CERTFLEET_CA_LETS_ENCRYPT_EAB_KID; ("CERTFLEET_CA_FILE", "corp", NULL)
 * gives CERTFLEET_CA_FILE_CORP. Returns the length written, or -1 (out then
 * "" when outlen > 0) when name is empty, holds a character outside
 * [A-Za-z0-9_-], or the result and its NUL do not fit in outlen. */
int config_env_name(char *out, size_t outlen, const char *prefix,
    const char *name, const char *suffix);

#endif
