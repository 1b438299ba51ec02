/* ids.h -- identifiers: row/job ids (UUID v7 text: time-ordered, 74 random bits) and random trace ids (32 hex). */
#ifndef CERTFLEET_COORD_IDS_H
#define CERTFLEET_COORD_IDS_H

#include <stddef.h>

#define IDS_LEN 36		/* an RFC 9562 version 7 UUID: 8-4-4-4-12 hex digits */
#define IDS_TRACE_LEN 32

/* Writes a new UUID v7 (IDS_LEN + 1 bytes): the wall clock in ms first,
 * so that ids made one after the other sort one after the other (an index
 * on them is written at its end, not at a random page: the pages an
 * insert touches stay in PostgreSQL's buffers and are logged whole once a
 * checkpoint, not once an insert), then 74 random bits. Ids made in the
 * same ms are in no order. Returns 0, or -1 when the random generator or
 * the clock fails. */
int ids_new(char out[IDS_LEN + 1]);

/* Writes b[0..n) as lower-case hex into out (2 * n + 1 bytes). */
void ids_hex(const unsigned char *b, size_t n, char *out);

/* Writes 16 random bytes as hex (IDS_TRACE_LEN + 1 bytes). Returns 0 or -1. */
int ids_trace(char out[IDS_TRACE_LEN + 1]);

/* Returns 1 when s looks like an id ids_new makes: IDS_LEN characters of
 * [0-9a-f-] with hyphens where UUIDs have them; else 0. Call before any
 * query with an id from outside. */
int ids_valid(const char *s);

#endif
