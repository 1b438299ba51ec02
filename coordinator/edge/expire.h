/* expire.h -- tells peter_sslers edges (lua-resty-peter_sslers) to drop their cached certificates when one is primed or withdrawn. */
#ifndef CERTFLEET_COORD_EXPIRE_H
#define CERTFLEET_COORD_EXPIRE_H

#include <stddef.h>

#include "settings.h"

#define EXPIRE_MAX_EDGES 32		/* CERTFLEET_PETER_SSLERS_EDGES */
#define EXPIRE_URL_MAX 512		/* bytes of one edge URL */
#define EXPIRE_BATCH 20			/* changes per edge per round */
#define EXPIRE_CONNECT_TIMEOUT_MS 2000
#define EXPIRE_TIMEOUT_MS 5000		/* one request, start to end */
#define EXPIRE_HOST_CONNECTIONS 4	/* parallel requests per edge */
#define EXPIRE_MAX_BODY 4096		/* an edge's answer; more fails it */
#define EXPIRE_IDLE_MS 500		/* queue polled this often when idle */
#define EXPIRE_BACKOFF_MIN_MS 1000	/* after an edge's first failure */
#define EXPIRE_BACKOFF_MAX_MS 60000	/* doubling up to this */

/*
 * The changes come from PostgreSQL: a trigger (migration 0015) adds a row
 * to edge_expiries, with the certificate's names, in the transaction that
 * first sets issued_certificates.primed_at or .unprimed_at, with the seq
 * the plan gave its names in edge_names. A thread of its own (own
 * PostgreSQL connection, libcurl multi) takes, for each configured edge, up
 * to EXPIRE_BATCH changes that edge has not taken yet and that every Redis
 * target has written (seq <= certfleet_prime_written(), migration 0059: the
 * keys are in Redis before any edge is told to re-read it) and calls its
 * expire route (peter_sslers' nginx.reset_path):
 *   all mode     GET <edge><path>/all, once per round (the default: in
 *                lua-resty-peter_sslers 0.5.0 the domain route answers
 *                success but deletes a key the cache never holds, so only
 *                this one makes such an edge drop a changed certificate)
 *   domain mode  GET <edge><path>/domain/<name>, once per distinct name, as
 *                peter_sslers calls it (wildcard names are skipped: the
 *                module never looks them up, so never caches them)
 * An answer is taken when it is 200 with JSON "result": "success"; a 404
 * with "result": "error" for a name is the module refusing that name and is
 * logged and passed over. Anything else (refused connection, timeout, 5xx)
 * fails the round: nothing is recorded, the edge is retried after a delay
 * doubling from EXPIRE_BACKOFF_MIN_MS to EXPIRE_BACKOFF_MAX_MS. Edges run
 * concurrently, so a slow or dead one delays only itself. A round taken by
 * an edge is recorded in edge_expiry_sent; a change every configured edge
 * took is deleted (all of them when no edge is configured).
 */
struct expire;

/* Parses s->ps_edges and starts the thread. s must outlive it. Returns the
 * handle (also with no edge configured: it then only empties the queue), or
 * NULL with a message in err (a bad URL, thread or libcurl failure). */
struct expire *expire_start(const struct settings *s, char *err,
    size_t errlen);

/* The number of edges configured (0: the thread only empties the queue). */
size_t expire_nedges(const struct expire *e);

/* Stops the thread (within about EXPIRE_TIMEOUT_MS) and frees e; NULL is
 * fine. */
void expire_stop(struct expire *e);

#endif
