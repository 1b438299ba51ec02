/* setline.h -- a line of `certfleetctl enroll --from FILE` as the body of one enrollment: host names separated by blanks, or a JSON object as POST /v1/certificates takes it. */
#ifndef CERTFLEET_CTL_SETLINE_H
#define CERTFLEET_CTL_SETLINE_H

#include <stddef.h>

#include <jansson.h>

#define SETLINE_MAX (64 * 1024)	/* bytes of a line: the API's cap on one
				 * enrollment body (API_MAX_BODY) */

/*
 * Makes the enrollment body of line[0..len), a trimmed non-blank line as
 * ndjson_next gives it:
 * - a line starting with '#' is a comment: 0, *body NULL;
 * - a line starting with '{' is a JSON object (an enrollment body), which
 *   gets each field of defaults it does not have;
 * - any other line is host names separated by spaces or tabs:
 *   {"hostnames": [...]} with every field of defaults.
 * The names themselves are checked by the API, which says what is wrong.
 * Returns 1 with *body (one line of compact JSON, malloc'd), 0 for a
 * comment, or -1 with a message in err (bad JSON, not an object, a name of
 * more than 253 bytes). defaults (an object, may be NULL) is not changed.
 */
int setline_body(const char *line, size_t len, const json_t *defaults,
    char **body, char *err, size_t errlen);

#endif
