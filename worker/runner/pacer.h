/* pacer.h -- request pacing per CA and endpoint shared by every worker: a GCRA in Redis that the ACME engine asks before each request, and the CA's gate (gate.h). */
#ifndef CERTFLEET_PACER_H
#define CERTFLEET_PACER_H

#include <stddef.h>
#include <time.h>

#include "acme.h"
#include "pace.h"

/*
 * Each bucket is a Redis hash (rediskeys.h: certfleet:pace:<ca>:<endpoint>)
 * holding a GCRA "theoretical arrival time"; a Lua script reserves the next
 * slot of every bucket a request draws from (its endpoint's, and the shared
 * /acme/... one) atomically on Redis's clock, so all workers share one
 * schedule. A 429 or 503 halves the bucket's rate and burst (at most once
 * a second, down to PACE_MIN_FACTOR) and blocks it until the Retry-After;
 * they recover linearly, to full in PACE_RECOVER_S. The rates are the CA's
 * settings (pace.h, CERTFLEET_CA_<NAME>_PACE_*), learnt from the CA names
 * the jobs carry. A connection Redis closed (an idle timeout, CLIENT
 * KILL, ACL LOAD) is opened again at once and the command sent once more.
 * When Redis does not answer, requests go unpaced and ungated (the CA's
 * own 429/503 still defer them; logged once per outage) and the pacer
 * tries Redis again after PACER_RETRY_S.
 */
#define PACER_MAX_WAIT_MS	ACME_PACE_DEFER_MS /* a longer wait defers the job */
#define PACER_RETRY_S		5	/* after Redis failed */
#define PACER_CAS_MAX		64	/* CAs learnt */

struct pacer;

/* A pacer on Redis url, database db (the challenge database). Nothing is
 * connected yet. Returns NULL when memory runs out. */
struct pacer *pacer_new(const char *url, int db);
void pacer_free(struct pacer *p);

/* The CA of directory URL dir is called name: its buckets are read from
 * the environment the first time (a malformed setting is logged and the
 * defaults are used). Cheap when already known. */
void pacer_learn(struct pacer *p, const char *dir, const char *name);

/* The engine's hook (struct acme_pacer), arg being the pacer. */
const struct acme_pacer *pacer_hook(struct pacer *p);

/* The engine's ask: the milliseconds until a request of class ep to CA dir
 * may go, its slot reserved; 0 at once (unknown CA, no limit, Redis down);
 * a wait over PACER_MAX_WAIT_MS reserves nothing and is returned as is
 * (the engine then defers the job). */
long pacer_ask(void *p, const char *dir, enum pace_ep ep);

/* The engine's slow: the CA answered 429 or 503 to class ep. */
void pacer_slow(void *p, const char *dir, enum pace_ep ep, long status,
    time_t retry_after);

/* The engine's enter: the CA's gate (gate.h), when its setting
 * (CERTFLEET_CA_<NAME>_GATE_NEW_ORDER=1) is on. 0 when a request of side
 * may go, *lease then set (0: ungated: gate off, unknown CA, Redis down);
 * else the milliseconds until asking again (GATE_RETRY_MS; a wait this
 * worker already knows of is answered without asking Redis). One Redis
 * round trip at most. */
long pacer_enter(void *p, const char *dir, enum acme_gate side,
    uint64_t *lease);

/* The engine's leave: the request that entered with lease ended; its lease
 * is removed by a command queued for pacer_flush (no round trip; when the
 * command is lost with its connection, the lease expires). */
void pacer_leave(void *p, const char *dir, enum acme_gate side,
    uint64_t lease);

/* Writes the commands queued since the last call (leases given back) in
 * one write, without waiting for their replies: the next command reads
 * them (redisdefer.h). The worker calls it at the end of each turn. */
void pacer_flush(struct pacer *p);

/* pacer_flush, then waits until Redis applied every queued command (on
 * close; a test that reads through another connection). */
void pacer_sync(struct pacer *p);

#endif
