/* acme_fault_hostile.h -- the fault proxy's hostile CA answers (issue 11, item 7): deep JSON, a trickled body, a leaf for another key, a chain that does not verify. */
#ifndef CERTFLEET_ACME_FAULT_HOSTILE_H
#define CERTFLEET_ACME_FAULT_HOSTILE_H

#include <stddef.h>

#include <microhttpd.h>

#define HOSTILE_DEEP_LEVELS	30000		/* nesting of the deep JSON (60 KB) */
#define HOSTILE_TRICKLE_BYTES	400		/* body sent one byte a second */
#define HOSTILE_HUGECHAIN_BYTES	(10 * 1024 * 1024)	/* the 10 MB chain */

/* A JSON body of HOSTILE_DEEP_LEVELS nested arrays (under the engine's
 * 64 KiB JSON cap, so the parser sees it), or NULL. */
struct MHD_Response *hostile_deepjson(void);

/* A problem document sent one byte a second; NULL when out of memory. */
struct MHD_Response *hostile_trickle(void);

/* The PEM chain chain[0..len) with its leaf replaced by a certificate for
 * another (new) key, same subject and names, issued by a new self-made
 * key under the leaf's issuer name; malloc'd with *outlen, or NULL. */
char *hostile_otherkey(const char *chain, size_t len, size_t *outlen);

/* The PEM chain with its leaf kept and the rest replaced by a self-signed
 * certificate of a new key under the leaf's issuer name: a chain that does
 * not verify. malloc'd with *outlen, or NULL. */
char *hostile_badchain(const char *chain, size_t len, size_t *outlen);

#endif
