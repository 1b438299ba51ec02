/* ids.h -- random identifiers: row/job ids (UUID v4 text) and trace ids (32 hex). */
#ifndef CERTFLEET_COORD_IDS_H
#define CERTFLEET_COORD_IDS_H

#include <stddef.h>

#define IDS_LEN 36		/* an RFC 4122 version 4 UUID: 8-4-4-4-12 hex digits */
#define IDS_TRACE_LEN 32

/* Writes a new random UUID v4 (IDS_LEN + 1 bytes). Returns 0, or -1 when
 * the random generator fails. */
int ids_new(char out[IDS_LEN + 1]);

/* Writes 16 random bytes as hex (IDS_TRACE_LEN + 1 bytes). Returns 0 or -1. */
int ids_trace(char out[IDS_TRACE_LEN + 1]);

/* Returns 1 when s looks like an id ids_new makes: IDS_LEN characters of
 * [0-9a-f-] with hyphens where UUIDs have them; else 0. Call before any
 * query with an id from outside. */
int ids_valid(const char *s);

#endif
