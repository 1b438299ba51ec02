/* edgepath.c -- routes "domain/<name>/config.json" and checks the name as an edge sends it (its TLS SNI). */
#include "edgepath.h"

#include <string.h>

#define EDGEPATH_HEAD "domain/"
#define EDGEPATH_TAIL "/config.json"

static int
edgepath_charset(const char *s, size_t len)
{
	size_t i;
	char c;

	for (i = 0; i < len; i++) {
		c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		    (c >= '0' && c <= '9') || c == '-' || c == '.' || c == '*'))
			return 0;
	}
	return 1;
}

enum edgepath_route
edgepath_route(const char *path, size_t len, char *out)
{
	size_t head = sizeof(EDGEPATH_HEAD) - 1, tail = sizeof(EDGEPATH_TAIL) - 1;
	size_t namelen;
	char buf[HOSTNAME_MAX + 2], why[200];

	out[0] = '\0';
	if (len < head + tail || memcmp(path, EDGEPATH_HEAD, head) != 0 ||
	    memcmp(path + len - tail, EDGEPATH_TAIL, tail) != 0)
		return EDGEPATH_NOT_FOUND;
	namelen = len - head - tail;
	if (namelen == 0 || namelen > HOSTNAME_MAX + 1 ||
	    !edgepath_charset(path + head, namelen))
		return EDGEPATH_BAD_NAME;
	memcpy(buf, path + head, namelen);
	buf[namelen] = '\0';
	if (hostname_normalize(buf, out, why, sizeof(why)) < 0) {
		out[0] = '\0';
		return EDGEPATH_BAD_NAME;
	}
	return EDGEPATH_CONFIG;
}
