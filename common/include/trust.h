/* trust.h -- maps a CA's trust bundle name (CaRef.trust) to a PEM file named in the environment (workers, and the coordinator's directory probe). */
#ifndef CERTFLEET_TRUST_H
#define CERTFLEET_TRUST_H

#define TRUST_NAME_MAX 32

/* The file of trust bundle name: CERTFLEET_CA_FILE_<NAME> (upper-cased,
 * '-' as '_') when set and not empty, else def (CERTFLEET_CA_FILE, or
 * PEBBLE_TLS_CA; may be NULL: the system's trust). An empty, too long or
 * malformed name gives def. The result points into the environment or is
 * def. */
const char *trust_file(const char *name, const char *def);

#endif
