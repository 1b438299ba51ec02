/* setline.c -- turns a line of an `enroll --from` file (host names, or an NDJSON enrollment) into the body of one enrollment, with the command line's defaults. */
#include "setline.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SETLINE_NAME_MAX 253	/* a DNS name in text form */

/* The names of a text line as a JSON array. NULL with err. */
static json_t *
setline_names(const char *line, size_t len, char *err, size_t errlen)
{
	json_t *names = json_array(), *s;
	size_t i = 0, j;

	while (names != NULL && i < len) {
		while (i < len && (line[i] == ' ' || line[i] == '\t'))
			i++;
		for (j = i; j < len && line[j] != ' ' && line[j] != '\t'; j++)
			;
		if (j == i)
			break;
		if (j - i > SETLINE_NAME_MAX) {
			snprintf(err, errlen, "a name of %zu bytes (at most %d)",
			    j - i, SETLINE_NAME_MAX);
			json_decref(names);
			return NULL;
		}
		if ((s = json_stringn(line + i, j - i)) == NULL) {
			snprintf(err, errlen, "a name that is not UTF-8");
			json_decref(names);
			return NULL;
		}
		json_array_append_new(names, s);
		i = j;
	}
	if (names == NULL)
		snprintf(err, errlen, "out of memory");
	return names;
}

int
setline_body(const char *line, size_t len, const json_t *defaults,
    char **body, char *err, size_t errlen)
{
	json_error_t je;
	json_t *o, *v;
	const char *k;

	*body = NULL;
	if (len == 0 || line[0] == '#')
		return 0;
	if (line[0] == '{') {
		if ((o = json_loadb(line, len, JSON_REJECT_DUPLICATES, &je)) ==
		    NULL) {
			snprintf(err, errlen, "malformed JSON: %s (column %d)",
			    je.text, je.column);
			return -1;
		}
		if (!json_is_object(o)) {
			json_decref(o);
			snprintf(err, errlen, "not a JSON object");
			return -1;
		}
	} else {
		if ((v = setline_names(line, len, err, errlen)) == NULL)
			return -1;
		o = json_pack("{s:o}", "hostnames", v);
	}
	json_object_foreach((json_t *)(uintptr_t)defaults, k, v)
		if (json_object_get(o, k) == NULL)
			json_object_set(o, k, v);
	*body = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
	json_decref(o);
	if (*body == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	return 1;
}
