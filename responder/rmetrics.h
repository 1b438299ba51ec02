/* rmetrics.h -- the responder's metrics (challenge hits, misses, Redis errors, requests by route) and its ops listener. */
#ifndef CERTFLEET_RESPONDER_RMETRICS_H
#define CERTFLEET_RESPONDER_RMETRICS_H

#include <stddef.h>

#include "ops.h"
#include "token.h"

#define RMETRICS_LISTEN_DEFAULT	"127.0.0.1:9103"

/*
 * One registry per process, made by rmetrics_init; until then (and in the
 * unit tests) the counting functions do nothing. They are called by the
 * server's libmicrohttpd threads on every request: each is one atomic add
 * on a series made at init, no lock and no search (metrics.h).
 */

/* Makes the registry and the counters. Returns 0, or -1 with err. */
int rmetrics_init(char *err, size_t errlen);

/* Starts the ops listener (CERTFLEET_METRICS_LISTEN, default
 * RMETRICS_LISTEN_DEFAULT, "off" for none); /readyz PINGs the Redis at
 * redis_url (borrowed: it must outlive the listener). Returns 0 with *out
 * set (NULL when off), or -1 with a message in err. */
int rmetrics_ops_start(struct ops **out, const char *redis_url, char *err,
    size_t errlen);

/* Frees the registry; call after ops_stop and server_stop. */
void rmetrics_free(void);

/* A request was routed to r. */
void rmetrics_request(enum token_route r);

/* A challenge lookup found its answer (1), found nothing (0), could not
 * reach Redis (-1) or found a bad entry (-2): store_get_http01's result. */
void rmetrics_lookup(int result);

#endif
