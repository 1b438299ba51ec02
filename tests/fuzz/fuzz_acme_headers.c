/* fuzz_acme_headers.c -- libFuzzer target: response header lines as a CA sends them (Replay-Nonce, Location, Retry-After, Link; control bytes and obs-fold lines named). */
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "acme_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
link_cb(void *arg, const char *url, size_t ulen, const char *rel, size_t rlen)
{
	size_t *n = arg;

	*n += ulen + rlen;
	if (ulen > 0)
		(void)url[ulen - 1];
	if (rlen > 0)
		(void)rel[rlen - 1];
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = (const char *)data, *end = p + size, *nl;
	struct acme_hdrs h;
	size_t n = 0, i;
	time_t when;

	/* every input line is one header line, as curl hands them over */
	memset(&h, 0, sizeof(h));
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		nl = nl != NULL ? nl + 1 : end;
		acme_hdrs_line(&h, p, (size_t)(nl - p), 1700000000);
		p = nl;
	}
	if (h.nonce[0] != '\0' && !acme_nonce_ok(h.nonce, strlen(h.nonce)))
		__builtin_trap();
	if (h.location != NULL && !acme_url_ok(h.location))
		__builtin_trap();
	for (i = 0; i < h.nalt; i++)
		if (!acme_url_ok(h.alt[i]))
			__builtin_trap();
	if (h.up != NULL && !acme_url_ok(h.up))
		__builtin_trap();
	/* a damaged header (control byte, obs-fold) is named, never its bytes */
	if (h.malformed != NULL && strcmp(h.malformed, "Replay-Nonce") != 0 &&
	    strcmp(h.malformed, "Location") != 0 &&
	    strcmp(h.malformed, "Retry-After") != 0 &&
	    strcmp(h.malformed, "Link") != 0)
		__builtin_trap();
	/* an http URL is never used, only noted for the refusal */
	if (h.insecure != NULL && (strstr(h.insecure, ": ") == NULL ||
	    !acme_url_insecure(strstr(h.insecure, ": ") + 2)))
		__builtin_trap();
	acme_hdrs_free(&h);

	/* and the whole input as one value */
	(void)acme_link_parse((const char *)data, size, link_cb, &n);
	(void)acme_retry_after_parse((const char *)data, size, 1700000000, &when);
	return 0;
}
