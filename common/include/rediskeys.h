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
 * Certificates for edges (primer writes, OpenResty edges read), the
 * peter_sslers formats, database CERTFLEET_REDIS_PRIME_DB, default 9:
 *   prime style 1: hash "d1:<hostname>" {c: <cert id>, p: <key id>, i: <chain id>}
 *                  strings "c:<id>" cert PEM, "p:<id>" key PEM, "i:<id>" chain PEM
 *   prime style 2: hash "d2:<hostname>" {f: full chain PEM, p: key PEM}
 *   after each write, PUBLISH REDISKEYS_CHANNEL_CHANGED <hostname>
 */
#define REDISKEYS_HTTP01_PREFIX		"certfleet:http01:"
#define REDISKEYS_HTTP01_TTL		3600
#define REDISKEYS_ORDER_PREFIX		"certfleet:order:"
#define REDISKEYS_ORDER_TTL		(7 * 24 * 3600)
#define REDISKEYS_PACE_PREFIX		"certfleet:pace:"
#define REDISKEYS_CHALLENGE_DB_ENV	"CERTFLEET_REDIS_CHALLENGE_DB"
#define REDISKEYS_CHALLENGE_DB_DEFAULT	0
#define REDISKEYS_PRIME_DB_ENV		"CERTFLEET_REDIS_PRIME_DB"
#define REDISKEYS_PRIME_DB_DEFAULT	9
#define REDISKEYS_CHANNEL_CHANGED	"certfleet:certs:changed"

#endif
