/* api.h -- the admin HTTP API (/v1, CERTFLEET_TOKEN) and the workers' internal endpoint (/internal/v1), on libmicrohttpd. */
#ifndef CERTFLEET_COORD_API_H
#define CERTFLEET_COORD_API_H

#include <stddef.h>

#include "settings.h"
#include "vault.h"

#define API_MAX_BODY (64 * 1024)	/* request bodies; more gets 413 */
#define API_BULK_MAX_BODY (16 * 1024 * 1024) /* POST /v1/certificates:bulk only */
#define API_BULK_MAX_SETS 10000		/* sets of one bulk request */
#define API_BULK_BATCH 100		/* bulk sets written per transaction */
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
 *                                            ca (issuing CA), cas, history (orders per CA),
 *                                            imported_at (null unless imported)
 *   POST /v1/certificates:import             a certificate issued elsewhere -> 201 {id,
 *                                            status: issued, hostnames, serial,
 *                                            key_type, not_after, renew_at}; 200 when
 *                                            stored already; 400 when it does not
 *                                            validate (nothing written); 409 when a live
 *                                            certificate has its names (unless force);
 *                                            body {certificate, chain, private_key (PEM),
 *                                            and the fields of an enrollment but
 *                                            hostnames and key_type}
 *   POST /v1/certificates:bulk               NDJSON, one enrollment body per line, up to
 *                                            API_BULK_MAX_SETS -> 200 NDJSON, one line per
 *                                            set in order: {line, code (201, 200, or the
 *                                            enrollment's error status), id, status,
 *                                            hostnames, existing} or {line, code, error}
 *   GET  /v1/certificates/{id}/cert.pem|chain.pem|fullchain.pem   PEM (404 until
 *                                            issued); cert.der: the leaf in DER
 *   GET  /v1/certificates/{id}/privkey.pem   decrypted on the fly (404 until issued)
 *   POST /v1/certificates/{id}/export.p12    {password, legacy}: PKCS#12 of key, leaf
 *                                            and chain (application/x-pkcs12); modern
 *                                            AES-256/SHA-256 or legacy 3DES/SHA-1. Key
 *                                            downloads are recorded in key_downloads
 *   POST /v1/certificates/{id}/renew         a renewal now -> 202 {id, order}
 *   POST /v1/certificates/{id}/revoke        {reason} -> 202 with the action
 *   POST /v1/certificates/{id}/retry         a failed certificate's new order -> 202
 *                                            {id, order}; 409 when it has not failed
 *   DELETE /v1/certificates/{id}[?revoke=true&reason=R]
 *                                            stops renewing, cancels orders in flight,
 *                                            withdraws it from Redis (the primer);
 *                                            revoke=true also queues its revocation
 *                                            (409, nothing deleted, when the CA
 *                                            cannot revoke it) -> 200 {id, action,
 *                                            changed, previous_status, status,
 *                                            order, orders_cancelled, revocation};
 *                                            deleted already: 200, changed false
 *   POST /v1/certificates/{id}/disable|enable
 *                                            disabled: not renewed, withdrawn from
 *                                            Redis; enabled: served and renewed
 *                                            again (202 with a new order when it was
 *                                            never issued) -> the same body; 409 when
 *                                            deleted or revoked
 *   POST /v1/certificates/{id}/names         {add: [names], drop: [names]} -> 202
 *                                            with the replacement order; the current
 *                                            certificate is served until it issues;
 *                                            400 bad or duplicate names, a name
 *                                            added twice, dropped but absent, or no
 *                                            name left; 409 disabled/deleted/revoked
 *                                            (enable and names: 429 naming the quota
 *                                            when the tenant's refuses it)
 *   GET  /v1/certificates/{id}/changes       those changes, newest first (who, when)
 *   POST /v1/certificates:delete             {ids} or {tenant, label}, limit, dry_run,
 *                                            revoke, reason: each deleted as DELETE
 *                                            does, at most 1000 -> 200 {dry_run,
 *                                            matched, deleted, unchanged, not_found,
 *                                            revocations, not_revoked, remaining}
 *   Idempotency-Key (1-255 printable ASCII) on POST /v1/certificates (the same
 *   certificate again) and on every POST/DELETE above that changes
 *   certificates (the kept reply again; 422 another request; 409 running)
 *   POST /v1/certificates:retry              {ca, problem_type} (both optional): up
 *                                            to 1000 failed ones -> 202 {retried, more}
 *   GET  /v1/cas                             each CA: breaker, in flight, pacing,
 *                                            errors, budget, holds
 *   POST /v1/cas/{name}/holds:release        {scope, holds} or {} (all): the CA's
 *                                            holds end now, the orders they held
 *                                            are due -> 200 {released, orders}
 *   GET  /v1/accounts, POST /v1/accounts/{id}/key-rollover|deactivate
 *                                            (each account's directory_url, and
 *                                            current: its CA's directory now)
 *   GET  /v1/actions/{id}                    a revocation, rollover or deactivation:
 *                                            status pending|done|failed, problem
 *   GET  /v1/hostnames/{name}                the certificate serving name (exact, else
 *                                            wildcard), all that carry it, history
 *   GET  /v1/tenants, PUT /v1/tenants/{name}  tenants and their quotas {max_live,
 *                                            max_orders_per_hour} (null: no limit)
 *   GET  /v1/on-demand                       on-demand issuance: policy, counters,
 *                                            queue, recent decisions, tenants
 *   GET|PUT /v1/tenants/{name}/on-demand     a tenant's allow-list and limits
 *                                            {allow, per_minute, max_pending}
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
 *   POST /.well-known/admin/api/domain/autocert.json
 *                                            peter_sslers' autocert (form field
 *                                            domain_name): config.json's
 *                                            document, or 404 {message} while
 *                                            the name is decided or issued;
 *                                            CERTFLEET_EDGE_NETWORKS only
 *   POST /edge/v1/on-demand                  names (one per line) a certfleet
 *                                            edge asks for -> 202; edges only
 *                                            (CERTFLEET_EDGE_NETWORKS and/or
 *                                            CERTFLEET_EDGE_TOKEN)
 *   POST /v1/tokens {name, scope}           a token -> 201 {id, name, scope, token}:
 *                                            the secret is shown once, only its
 *                                            SHA-256 is stored (api_tokens)
 *   GET  /v1/tokens, POST /v1/tokens/{id}/revoke   the tokens (never a secret);
 *                                            revoking one: 401 from then on
 *   GET  /v1/audit[?limit=N&before=ID&token=ID]   the audit log, newest first:
 *                                            {entries: [{id, at, token, action,
 *                                            target, source, status}]}
 * /v1 takes CERTFLEET_TOKEN (the bootstrap token, scope admin, audited as
 * "bootstrap") or a live token of api_tokens: scope read (GET, no private
 * keys), enroll (+ POST certificates, :bulk, :import, :retry, renew,
 * retry) or admin (everything: privkey.pem, export.p12, revoke, accounts,
 * tenants, on-demand, tokens, audit); 403 when the scope falls short.
 * /internal takes only CERTFLEET_WORKER_TOKEN (and, with
 * CERTFLEET_API_CLIENT_CA_FILE, a client certificate of that CA: 403
 * otherwise): 401 otherwise. Every call that is not GET/HEAD and every key
 * download (privkey.pem, export.p12, /internal, an edge's config.json or
 * autocert) is written to api_audit with its token id ("worker", "edge"),
 * action, target, source address and status; a key is served only once
 * its row is written. HTTPS: api_conf.h. Unknown paths 404, wrong methods
 * 405.
 */
struct api_server;

/* Starts the API on s->api_host:s->api_port (HTTPS when s->apic.tls, at most
 * s->apic.per_ip connections per client address, idle ones closed after
 * s->apic.timeout_s): s->api_threads threads
 * (libmicrohttpd's thread pool), sharing s->pg_pool PostgreSQL connections
 * (pgpool.h; a request waits up to s->pg_pool_wait_ms for one, then gets a
 * 503). Each request holds its own connection while its handler runs, so
 * requests are served side by side and a slow one (an RSA key made for
 * want of a pooled one, a lock wait) holds one thread only. s and v must
 * outlive it. Returns NULL with a message in err. */
struct api_server *api_start(const struct settings *s, const struct vault *v,
    char *err, size_t errlen);

/* With TLS on, reads the certificate and key files again (api_tls.h) and
 * logs what it found: a new pair swapped in (its expiry), or why a changed
 * pair was refused, once per distinct reason; the pair in use stays. So
 * for the client CA file, when one is configured (a new CA verifies the
 * client certificates of /internal/v1 from now on).
 * Counts the outcome and sets the expiry gauge (cmetrics.h). Call it from
 * one thread. NULL or TLS off: nothing. */
void api_reload_tls(struct api_server *srv);

/* Stops the threads, closes the connections; NULL is fine. */
void api_stop(struct api_server *srv);

#endif
