/* api.h -- the admin HTTP API (/v1, CERTFLEET_TOKEN) and the workers' internal endpoint (/internal/v1), on libmicrohttpd. */
#ifndef CERTFLEET_COORD_API_H
#define CERTFLEET_COORD_API_H

#include <stddef.h>

#include "settings.h"
#include "vault.h"

#define API_MAX_BODY (64 * 1024)	/* request bodies; more gets 413 */
#define API_LIST_DEFAULT 100
#define API_LIST_MAX 1000

/*
 * Routes (JSON unless said otherwise; errors are {"error": "..."}):
 *   POST /v1/certificates                    enroll -> 201 {id, status, hostnames};
 *                                            body {hostnames, key_type, ca, fallback}
 *   GET  /v1/certificates[?filters]          a page of certificates matching
 *                                            every filter, and the cursor of
 *                                            the next page (searchq.h)
 *   GET  /v1/certificates:count[?filters]    how many match (capped count,
 *                                            else the planner's estimate)
 *   GET  /v1/certificates/{id}               status, names, serial, dates, issuer, problem,
 *                                            ca (issuing CA), cas, history (orders per CA)
 *   GET  /v1/certificates/{id}/fullchain.pem leaf + chain (404 until issued)
 *   GET  /v1/certificates/{id}/privkey.pem   decrypted on the fly (404 until issued)
 *   POST /v1/certificates/{id}/renew         a renewal now -> 202 {id, order}
 *   POST /v1/certificates/{id}/revoke        {reason} -> 202 with the action
 *   POST /v1/certificates/{id}/retry         a failed certificate's new order -> 202
 *                                            {id, order}; 409 when it has not failed
 *   POST /v1/certificates:retry              {ca, problem_type} (both optional): up
 *                                            to 1000 failed ones -> 202 {retried, more}
 *   GET  /v1/accounts, POST /v1/accounts/{id}/key-rollover|deactivate
 *   GET  /v1/hostnames/{name}                the certificate serving name (exact, else
 *                                            wildcard), all that carry it, history
 *   GET  /v1/tenants, PUT /v1/tenants/{name}  tenants and their quotas {max_live,
 *                                            max_orders_per_hour} (null: no limit)
 *   GET  /v1/overview                        the fleet at a glance (the dashboard's data)
 *   GET  /dashboard                          the web dashboard (HTML; asks for the token)
 *   GET  /internal/v1/accounts/{id}/key      account key PEM, worker token only
 *   GET  /internal/v1/accounts/{id}/eab      "kid=..\nhmac=..\n" (text/plain) of the
 *                                            account's External Account Binding;
 *                                            404 when it has none; worker token only
 *   GET  /.well-known/admin/domain/{name}/config.json
 *                                            peter_sslers' answer to its edges: the
 *                                            newest live certificates holding name
 *                                            (latest_single, latest_multi), keys
 *                                            included; 404 for an unknown name, 400
 *                                            for a bad one; only from a client in
 *                                            CERTFLEET_EDGE_NETWORKS (403 otherwise)
 * /v1 takes only CERTFLEET_TOKEN, /internal only CERTFLEET_WORKER_TOKEN:
 * 401 otherwise. Unknown paths 404, wrong methods 405.
 */
struct api_server;

/* Starts the API on s->api_host:s->api_port: s->api_threads threads
 * (libmicrohttpd's thread pool), sharing s->pg_pool PostgreSQL connections
 * (pgpool.h; a request waits up to s->pg_pool_wait_ms for one, then gets a
 * 503). Each request holds its own connection while its handler runs, so
 * requests are served side by side and a slow one (an RSA key made for
 * want of a pooled one, a lock wait) holds one thread only. s and v must
 * outlive it. Returns NULL with a message in err. */
struct api_server *api_start(const struct settings *s, const struct vault *v,
    char *err, size_t errlen);

/* Stops the threads, closes the connections; NULL is fine. */
void api_stop(struct api_server *srv);

#endif
