/* rediskeys.h -- the Redis contract between worker, responder, primer and edges: key names, databases, channels. */
#ifndef CERTFLEET_REDISKEYS_H
#define CERTFLEET_REDISKEYS_H

/*
 * http-01 answers (worker writes, responder reads):
 *   database  CERTFLEET_REDIS_CHALLENGE_DB, default 0
 *   key       "certfleet:http01:<token>"   (token matches [A-Za-z0-9_-]+)
 *   value     the key authorization "<token>.<account key thumbprint>"
 *   TTL       REDISKEYS_HTTP01_TTL seconds; deleted when the authorization
 *             is final (valid or invalid), never on first read: the CA
 *             validates from several perspectives.
 *
 * Order progress (worker writes and reads; survives a worker's crash):
 *   database  CERTFLEET_REDIS_CHALLENGE_DB
 *   key       "certfleet:order:<job id>"   value: the ACME order URL
 *   TTL       REDISKEYS_ORDER_TTL seconds. A job re-delivered after a crash
 *             resumes this order instead of opening another.
 *   claim     before the order exists, "claim:<worker id>" (SET NX) for
 *             REDISKEYS_ORDER_CLAIM_TTL seconds: a second worker given the
 *             same job (a rebalance) waits for the URL instead of opening
 *             a second order; the claim of a worker that died ends with
 *             its TTL.
 *
 * Request pacing (workers write and read; the coordinator reads them for
 * GET /v1/cas), database CERTFLEET_REDIS_CHALLENGE_DB:
 *   key       "certfleet:pace:<CA name>:<endpoint>" (pace_ep_name: newOrder,
 *             poll, acme...), a hash: tat (GCRA theoretical arrival time,
 *             epoch ms), f0 and t0 (the rate factor after the last slow-down
 *             and when: it recovers linearly to 1), cut (last slow-down,
 *             ms), until (blocked until, ms: a Retry-After)
 *   TTL       one hour after its last use (worker/runner/pacer.c)
 *
 * A CA's gate (CERTFLEET_CA_<NAME>_GATE_NEW_ORDER=1; workers write and read,
 * worker/runner/gate.h), database CERTFLEET_REDIS_CHALLENGE_DB:
 *   key       "certfleet:gate:<CA name>:newOrder" and "...:authz", sorted
 *             sets of the leases each side holds (member: a lease id in hex,
 *             score: when it expires, epoch ms)
 *             "certfleet:gate:<CA name>:want", a hash of the sides kept out:
 *             <side>s (waiting since, ms) and <side>l (last asked, ms)
 *   TTL       two leases (sets) or four wait TTLs (want) after the last write
 *
 * Certificates for edges (primer writes, OpenResty edges read), the
 * peter_sslers formats, database CERTFLEET_REDIS_PRIME_DB, default 9, on each
 * target of CERTFLEET_PRIME_TARGETS (one per edge region; default REDIS_URL):
 *   prime style 1: hash "d1:<hostname>" {c: <cert id>, p: <key id>, i: <chain id>}
 *                  strings "c:<cert id>" cert PEM, "p:<key id>" key PEM,
 *                  "i:<chain id>" chain PEM (without the leaf)
 *                  An edge reads HMGET d1:<host> c p i, then GET c:<c>,
 *                  GET p:<p>, GET i:<i>, and serves cert, newline, chain.
 *   prime style 2: hash "d2:<hostname>" {f: full chain PEM, p: key PEM}
 *                  An edge reads HMGET d2:<host> p f.
 *   CERTFLEET_PRIME_STYLE (1, 2 or both, default both) says which are written.
 *   ids: <cert id> is issued_certificates.id, <key id> private_keys.id (a new
 *   one at every renewal), <chain id> the first 32 hex digits of the SHA-256
 *   of the chain PEM (issued_certificates.chain_id), so every certificate of
 *   one chain shares one i: string, as peter_sslers shares one chain id.
 *   <hostname> is a name of the certificate as issued ("*.example.com" for
 *   a wildcard); when several live certificates carry one, the newest wins.
 *   Only what serves a name is kept: once no d1: points at a c:, p: or i:
 *   (renewal, revocation, a name leaving its set), it is deleted, and the
 *   primer's periodic comparison deletes any d1:/d2:/c:/p:/i: key of the
 *   prime database that PostgreSQL does not call for: the prime database
 *   belongs to the primer.
 *   TTL: none, or CERTFLEET_PRIME_TTL seconds on every edge key, refreshed
 *   by the comparison well before it runs out.
 *   After each change of a name (written, replaced, deleted), PUBLISH
 *   REDISKEYS_CHANNEL_CHANGED <hostname>; a full re-prime publishes nothing.
 *   REDISKEYS_PRIME_MARKER holds the target's generation (prime_targets in
 *   PostgreSQL): missing or different, the target lost its data and every
 *   live certificate is written again.
 *   REDISKEYS_PRIME_OWNER holds the id of the fleet (the fleet table of its
 *   PostgreSQL database) whose coordinators prime the database: taken when
 *   missing (SET NX), renewed while they run, deleted by the last one that
 *   stops, gone PRIME_LEASE_S after one that died. A coordinator of
 *   another fleet finds it taken and writes and deletes nothing there.
 *
 * On-demand issuance (the coordinator's on-demand thread writes, certfleet's
 * edge reads before it asks the coordinator about an unknown SNI; database
 * CERTFLEET_REDIS_PRIME_DB):
 *   "certfleet:ondemand:deny:<domain>"   <domain> and every name under it
 *                                        were refused (value: by what)
 *   "certfleet:ondemand:deny1:<name>"    exactly <name> was refused
 *   "certfleet:ondemand:issuing:<name>"  <name> was allowed and its
 *                                        certificate is on its way
 *   TTL: the refusal's (CERTFLEET_ON_DEMAND_DENY_TTL, ..._ASK_ERROR_TTL),
 *   REDISKEYS_OD_ISSUING_TTL for issuing:. An edge reads, in one MGET,
 *   deny1:<sni>, issuing:<sni> and deny:<suffix> for the suffixes of the SNI
 *   of two labels or more, the REDISKEYS_OD_SUFFIXES shortest (see
 *   negcache_keys() in coordinator/ondemand/negcache.h).
 */
#define REDISKEYS_HTTP01_PREFIX		"certfleet:http01:"
#define REDISKEYS_HTTP01_TTL		3600
#define REDISKEYS_ORDER_PREFIX		"certfleet:order:"
#define REDISKEYS_ORDER_TTL		(7 * 24 * 3600)
#define REDISKEYS_ORDER_CLAIM		"claim:"
#define REDISKEYS_ORDER_CLAIM_TTL	120
#define REDISKEYS_PACE_PREFIX		"certfleet:pace:"
#define REDISKEYS_GATE_PREFIX		"certfleet:gate:"
#define REDISKEYS_CHALLENGE_DB_ENV	"CERTFLEET_REDIS_CHALLENGE_DB"
#define REDISKEYS_CHALLENGE_DB_DEFAULT	0
#define REDISKEYS_PRIME_DB_ENV		"CERTFLEET_REDIS_PRIME_DB"
#define REDISKEYS_PRIME_DB_DEFAULT	9
#define REDISKEYS_CHANNEL_CHANGED	"certfleet:certs:changed"
#define REDISKEYS_PRIME_MARKER		"certfleet:prime:generation"
#define REDISKEYS_PRIME_OWNER		"certfleet:prime:owner"
#define REDISKEYS_OD_DENY_PREFIX	"certfleet:ondemand:deny:"
#define REDISKEYS_OD_DENY1_PREFIX	"certfleet:ondemand:deny1:"
#define REDISKEYS_OD_ISSUING_PREFIX	"certfleet:ondemand:issuing:"
#define REDISKEYS_OD_ISSUING_TTL	600
#define REDISKEYS_OD_SUFFIXES		8

#endif
