/* webhook.h -- the on-demand ask webhook: an HTTPS GET per name, 200 allows, anything else refuses (fail closed). */
#ifndef CERTFLEET_COORD_WEBHOOK_H
#define CERTFLEET_COORD_WEBHOOK_H

#include <stddef.h>

#include "odconf.h"

#define WEBHOOK_PARALLEL	16	/* requests in flight at once */
#define WEBHOOK_MAX_BODY	4096	/* bytes of an answer read (then discarded) */
#define WEBHOOK_WHY_MAX		200

enum webhook_answer {
	WEBHOOK_YES,		/* 200 */
	WEBHOOK_NO,		/* any other HTTP status */
	WEBHOOK_FAILED,		/* no answer: refused, timeout, TLS, too big */
};

/* One name to ask about. */
struct webhook_ask {
	const char		*name;		/* in: a normalized host name */
	const char		*tenant;	/* in: the tenant its entry belongs to */
	enum webhook_answer	 answer;	/* out */
	char			 why[WEBHOOK_WHY_MAX];	/* out: "HTTP 403", "no
						 * answer within 2000 ms", ... */
};

/*
 * Asks c->ask_url about asks[0..n): GET <url>?domain=<name>&tenant=<tenant>
 * ('&' instead of '?' when the URL has a query already), https only,
 * certificates verified (c->ask_ca_file, else the system's CAs), no
 * redirects followed, each request done within c->ask_timeout_ms,
 * WEBHOOK_PARALLEL at a time, so n names take about n / WEBHOOK_PARALLEL
 * timeouts at worst. Fills every answer and why (why never holds the URL:
 * its query may carry a secret). Returns the number of WEBHOOK_FAILED
 * answers, or -1 with err when libcurl cannot be set up (every answer is
 * then WEBHOOK_FAILED).
 */
long webhook_run(const struct odconf *c, struct webhook_ask *asks, size_t n,
    char *err, size_t errlen);

#endif
