/* pace.h -- request pacing per CA and endpoint: the endpoints, Let's Encrypt's published per-IP limits as defaults, and their settings. */
#ifndef CERTFLEET_PACE_H
#define CERTFLEET_PACE_H

#include <stddef.h>

/*
 * Every request certfleet sends to a CA belongs to one endpoint class. A
 * class has its own bucket (a rate and a burst); the classes Let's Encrypt
 * counts under "/acme/..." also draw from the shared PACE_ACME bucket, so a
 * request there must fit both. The directory GET (once per CA and worker,
 * then cached) is not paced.
 */
enum pace_ep {
	PACE_NEW_NONCE,		/* HEAD newNonce */
	PACE_NEW_ACCOUNT,	/* POST newAccount */
	PACE_NEW_ORDER,		/* POST newOrder */
	PACE_CHALLENGE,		/* POST {} to a challenge */
	PACE_FINALIZE,		/* POST the CSR to finalize */
	PACE_POLL,		/* POST-as-GET of an order or authorization */
	PACE_RENEWAL_INFO,	/* GET renewalInfo */
	PACE_REVOKE_CERT,	/* POST revokeCert */
	PACE_OTHER,		/* certificate download, account update, keyChange */
	PACE_ACME,		/* the shared "/acme/..." bucket, never a request's own */
	PACE_NEP
};

#define PACE_RATE_MAX	100000.0	/* requests per second a setting accepts */

/* The shared state's dynamics (worker/runner/pacer.c writes it, GET /v1/cas
 * reads it, rediskeys.h names it): a 429 or 503 halves a bucket's rate,
 * at most once a second and down to PACE_MIN_FACTOR; the rate then
 * recovers linearly, from 0 to full in PACE_RECOVER_S. */
#define PACE_RECOVER_S		60
#define PACE_MIN_FACTOR		0.05

/* One bucket: rate requests per second (0: no limit), and how many may go
 * at once above it (burst). */
struct pace_limit {
	double	rate;
	double	burst;
};

/* The buckets of one CA, indexed by enum pace_ep, and its gate: gate_new_order
 * 1 makes newOrder requests and authorization fetches (POST-as-GET of an
 * authz URL) mutually exclusive at the CA, cluster-wide (worker/runner/
 * gate.h: what keeps Pebble out of its deadlock, docs/design.md section 7). */
struct pace_conf {
	struct pace_limit ep[PACE_NEP];
	int		 gate_new_order;
};

/* The setting's suffix of an endpoint ("NEW_ORDER") and its display name
 * ("newOrder"); "?" out of range. */
const char *pace_ep_var(enum pace_ep ep);
const char *pace_ep_name(enum pace_ep ep);

/* 1 when requests of ep also draw from the PACE_ACME bucket. */
int pace_ep_in_acme(enum pace_ep ep);

/* Let's Encrypt's "Overall Requests" limits per IP (letsencrypt.org/docs/
 * rate-limits, section "Overall Requests Limit"): newNonce 20/s burst 10,
 * newAccount 5/15, newOrder 300/200, revokeCert 10/100, renewalInfo
 * 1000/100, /acme/... 250/125 (and /directory 40/40, unpaced here: it is
 * fetched once). Classes LE only counts
 * under /acme/... (challenge, finalize, poll, other) have no bucket of their
 * own by default. */
void pace_defaults(struct pace_conf *c);

/* Looks up an environment variable: NULL when unset or empty. */
typedef const char *pace_lookup_fn(void *arg, const char *name);

/*
 * Reads CA ca_name's buckets over the defaults: CERTFLEET_CA_<NAME>_PACE_<EP>
 * (EP as pace_ep_var) = RATE[:BURST], RATE requests per second (a decimal
 * number, 0 = no limit, up to PACE_RATE_MAX), BURST a count (default: RATE,
 * at least 1); and its gate, CERTFLEET_CA_<NAME>_GATE_NEW_ORDER = 0 or 1
 * (default 0). lookup NULL means getenv. Returns 0, or -1 with a message
 * naming the variable in err.
 */
int pace_conf_read(struct pace_conf *c, const char *ca_name,
    pace_lookup_fn *lookup, void *arg, char *err, size_t errlen);

#endif
