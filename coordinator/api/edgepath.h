/* edgepath.h -- the path of a peter_sslers edge's config.json request, and the host name in it, checked before anything else sees them. */
#ifndef CERTFLEET_COORD_EDGEPATH_H
#define CERTFLEET_COORD_EDGEPATH_H

#include <stddef.h>

#include "hostname.h"

enum edgepath_route {
	EDGEPATH_CONFIG,	/* "domain/<name>/config.json", name valid */
	EDGEPATH_BAD_NAME,	/* that shape, but name is not a host name */
	EDGEPATH_NOT_FOUND,	/* any other path */
};

/* Reads path[0..len) (what follows "/.well-known/admin/", already
 * unescaped; it may hold NULs). For EDGEPATH_CONFIG the name, normalized
 * by hostname_normalize (lower case, A-labels), is in out (HOSTNAME_MAX +
 * 1 bytes). A name must be 1-254 bytes of ASCII letters, digits, '-', '.'
 * and '*' before normalization, so '/', '%', '_', NUL and any byte above
 * 0x7f make it EDGEPATH_BAD_NAME. out is "" unless EDGEPATH_CONFIG. */
enum edgepath_route edgepath_route(const char *path, size_t len, char *out);

#endif
