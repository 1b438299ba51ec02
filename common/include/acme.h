/* acme.h -- event-driven ACME (RFC 8555) client engine: thousands of accounts/orders in one thread on libcurl multi. */
#ifndef CERTFLEET_ACME_H
#define CERTFLEET_ACME_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <curl/curl.h>

#include "jws.h"
#include "pace.h"

/*
 * Model. One struct acme_engine owns one CURLM and every operation started
 * on it. Nothing blocks: the caller's loop calls acme_engine_run(), which
 * waits (curl_multi_poll, also on the caller's extra fds), drives transfers,
 * fires the engine's timers (polling backoff, Retry-After) and invokes the
 * operations' callbacks. All callbacks run inside acme_engine_run(),
 * acme_op_cancel() or acme_order_dns01_published(), on the caller's
 * thread. The engine is not thread-safe.
 *
 * Per CA (keyed by directory URL) the engine caches the directory (fetched
 * once) and a pool of nonces (every Replay-Nonce is kept; newNonce only when
 * the pool is empty).
 *
 * Three parts need no CA and no libcurl: revocation reason names
 * (acme_reason.c), ARI CertIDs with the renewal pick (acme_certid.c) and
 * which problem types are final (acme_final.c).
 * They form certfleet_acme_offline, which a program that only computes them
 * links instead of certfleet_acme (common/CMakeLists.txt).
 */
struct acme_engine;
struct acme_op;

#define ACME_UNAVAILABLE_S	15	/* not_before of a CA that did not answer */
#define ACME_PACE_DEFER_MS	30000	/* a longer pacing wait defers the op */

/* Caps on what a CA may send. */
#define ACME_JSON_MAX		(64 * 1024)	/* JSON or problem body */
#define ACME_CERT_MAX		(1024 * 1024)	/* a PEM chain */
#define ACME_HEADERS_MAX	(16 * 1024)	/* all header lines of a response */
#define ACME_URL_MAX		2048		/* any URL from the CA */
#define ACME_NONCE_MAX		256		/* one Replay-Nonce */
#define ACME_ALT_MAX		8		/* alternate chains kept */
#define ACME_SUBPROBLEMS_MAX	32		/* subproblems kept per problem */
#define ACME_IDENTIFIERS_MAX	100		/* names per order */
#define ACME_CONTACTS_MAX	8
#define ACME_PROBLEM_TEXT_MAX	1024		/* bytes of a problem's type or
						 * detail kept, cut on a UTF-8
						 * character boundary */

/* One finished HTTP request, as the engine tells its observer; the strings
 * are valid only during the call. */
struct acme_request_stats {
	const char	*directory;	/* the CA's directory URL */
	const char	*endpoint;	/* what was asked: "directory", "newNonce",
					 * "newAccount", "newOrder", "order",
					 * "authz", "challenge", "finalize",
					 * "certificate", "revokeCert", "keyChange",
					 * "account" or "renewalInfo" */
	long		 status;	/* HTTP status; 0 when no usable response
					 * came (connection, timeout, a cap) */
	double		 seconds;	/* the transfer, first byte out to last in */
};

/* Told about every request the engine finishes, on the engine's thread,
 * before the response is acted on. It must not call into the engine. This
 * is how a program measures the engine (the worker's metrics) without the
 * engine linking anything for it. */
typedef void acme_observe_fn(void *arg, const struct acme_request_stats *s);

/* Why an operation waited between two of its requests. */
enum acme_wait {
	ACME_WAIT_POLL,		/* its own poll schedule: the CA named no time */
	ACME_WAIT_RETRY_AFTER,	/* the CA's Retry-After: on an order or
				 * authorization read, or after a 429 or 503 */
	ACME_WAIT_PACING,	/* the request pacing shared by the workers */
	ACME_WAIT_GATE,		/* the CA's gate: newOrder and authorization
				 * fetches take turns */
	ACME_WAIT_DIRECTORY,	/* the CA's directory fetched again */
	ACME_WAIT_DNS,		/* a dns-01 record being published */
	ACME_WAIT_CLAIM,	/* the job's order being opened by another
				 * worker (waited by the worker's runner before
				 * its operation starts, never by the engine) */
};
#define ACME_WAITS (ACME_WAIT_CLAIM + 1)

/* The name of a wait's reason: "poll", "retry_after", "pacing", "gate",
 * "directory", "dns" or "claim". */
const char *acme_wait_name(enum acme_wait w);

/* One wait of an operation that ended (its timer fired, or the operation
 * ended or slept again first), as the engine tells its observer. */
struct acme_wait_stats {
	const char	*directory;	/* the CA's directory URL */
	enum acme_wait	 reason;
	double		 seconds;	/* the time it actually waited */
};

/* Told about every wait, on the engine's thread, under the same rules as
 * acme_observe_fn (and with its arg). */
typedef void acme_observe_wait_fn(void *arg, const struct acme_wait_stats *s);

/* The two sides of a CA's gate (acme_pacer.enter): requests of one side may
 * overlap each other, never one of the other side. */
enum acme_gate {
	ACME_GATE_NONE,
	ACME_GATE_NEW_ORDER,	/* POST newOrder */
	ACME_GATE_AUTHZ,	/* POST-as-GET of an authorization */
};

/*
 * Request pacing, shared with whoever else talks to the same CA (the
 * worker's pacer keeps the buckets in Redis). The engine never blocks on
 * it: ask() answers at once, and a request that must wait is sent later
 * from the engine's timers.
 */
struct acme_pacer {
	/* Before every request of an op (not the directory GET): the
	 * milliseconds until it may be sent, its slot then being taken (the
	 * engine sends it at that time without asking again); 0: now. Over
	 * ACME_PACE_DEFER_MS, no slot is taken and the op ends DEFERRED
	 * until then. directory is the CA's directory URL. */
	long	(*ask)(void *arg, const char *directory, enum pace_ep ep);
	/* A response of the CA was 429 or 503: it asks to slow down.
	 * retry_after is the absolute time of its Retry-After, 0 when none. */
	void	(*slow)(void *arg, const char *directory, enum pace_ep ep,
		    long status, time_t retry_after);
	/* The CA's gate (NULL: none): before a newOrder or an authorization's
	 * POST-as-GET, once its pacing slot is granted. 0: it may go, *lease
	 * set (0: nothing to release); else the milliseconds until it asks
	 * again (the other side holds the gate), its slot kept. An op waiting
	 * over ACME_PACE_DEFER_MS in all ends DEFERRED. */
	long	(*enter)(void *arg, const char *directory, enum acme_gate side,
		    uint64_t *lease);
	/* The request that entered with lease (not 0) ended: answered,
	 * failed, timed out or cancelled. */
	void	(*leave)(void *arg, const char *directory, enum acme_gate side,
		    uint64_t lease);
	void	*arg;
};

struct acme_engine_conf {
	long	max_host_connections;	/* per CA host; 0: 16 (HTTP/2 multiplexes) */
	long	request_timeout_ms;	/* one HTTP request; 0: 30000 */
	const char *user_agent;		/* NULL: "certfleet/<version>" */
	const struct acme_pacer *pacer;	/* NULL: no pacing; borrowed for the
					 * engine's life */
	acme_observe_fn *observe;	/* NULL: nobody is told */
	acme_observe_wait_fn *observe_wait;	/* NULL: nobody is told */
	void	*observe_arg;
};

/* Creates an engine; conf may be NULL for defaults (copied). Returns NULL
 * with a message in err. */
struct acme_engine *acme_engine_new(const struct acme_engine_conf *conf,
    char *err, size_t errlen);

/* Cancels every operation still running (their callbacks run, as in
 * acme_op_cancel) and frees the engine. NULL is accepted. Never call it from
 * one of the engine's callbacks. */
void acme_engine_free(struct acme_engine *e);

/*
 * Waits at most timeout_ms (less when a transfer or an engine timer is due)
 * for network activity or for one of the caller's extra fds (may be NULL
 * when nextra is 0; their revents are set as by curl_multi_poll), then
 * performs transfers, runs due timers and completion callbacks. Returns 0,
 * or -1 when the multi handle itself fails (the engine is then unusable).
 * Call it in a loop while acme_engine_inflight() > 0 or the caller has
 * other work.
 */
int acme_engine_run(struct acme_engine *e, int timeout_ms,
    struct curl_waitfd *extra, unsigned int nextra);

/* Wakes a concurrent acme_engine_run() early (curl_multi_wakeup); the only
 * function that may be called from another thread. */
void acme_engine_wakeup(struct acme_engine *e);

/* Operations started and not yet done. */
size_t acme_engine_inflight(const struct acme_engine *e);

/* ---- problems (RFC 7807 / RFC 8555 section 6.7) ---- */

struct acme_subproblem {
	char	*type;		/* URN, "" when absent */
	char	*detail;	/* "" when absent */
	char	*id_type;	/* identifier.type, "" when absent */
	char	*id_value;	/* identifier.value, "" when absent */
};

struct acme_problem {
	char			*type;		/* URN, "" when absent */
	char			*detail;	/* "" when absent */
	long			 status;	/* "status" member, else the HTTP status */
	struct acme_subproblem	*sub;
	size_t			 nsub;
};

/* The problem type of a CA answer the engine refuses because it hands out a
 * plain http:// URL (Location, Link, directory, order, authorization or
 * challenge URLs): not retryable, its detail names the URL. */
#define ACME_PROBLEM_INSECURE_URL "urn:certfleet:error:insecureUrl"

/* The problem type of a CA answer the engine refuses because a header it
 * reads (Replay-Nonce, Location, Retry-After, Link) held a control byte
 * (CR, LF, NUL...) or was folded: retryable, its detail names the header,
 * never its bytes. */
#define ACME_PROBLEM_MALFORMED_HEADER "urn:certfleet:error:malformedHeader"

/* Parses an application/problem+json body of at most ACME_JSON_MAX bytes.
 * http_status is used when the document has no status. Returns 0 with *p
 * filled (free with acme_problem_free), or -1 with a message in err and *p
 * empty. Strings are sanitised (utf8.h, utf8_sanitize): valid UTF-8 on one
 * line, control characters become '?', at most ACME_PROBLEM_TEXT_MAX bytes
 * cut on a character boundary. */
int acme_problem_parse(const char *body, size_t len, long http_status,
    struct acme_problem *p, char *err, size_t errlen);
void acme_problem_free(struct acme_problem *p);

enum acme_retry {
	ACME_RETRY_NO,		/* the request itself is wrong: do not retry */
	ACME_RETRY_YES,		/* transient: retry later */
	ACME_RETRY_DEFER,	/* rate limited: retry only after not_before */
};

/* Retry policy of a problem type URN (NULL or "" means no problem document:
 * decided by the HTTP status, 5xx retryable, 429 deferred). */
enum acme_retry acme_problem_retry(const char *type, long http_status);

/* 1 when type is an ACME problem (RFC 8555 section 6.7) the CA will not
 * change its mind about (rejectedIdentifier, unauthorized, caa, badCSR...:
 * the list and why is in acme_final.c), 0 for the transient ones, for
 * "compound" (decide by its subproblems) and for any other URN. Needs no
 * CA: part of certfleet_acme_offline. */
int acme_problem_final(const char *type);

/* ---- results ---- */

enum acme_outcome {
	ACME_DONE,		/* success */
	ACME_FAILED,		/* see retryable, problem, error */
	ACME_DEFERRED,		/* 429/503 or rateLimited, or the CA did not
				 * answer (ca_unavailable): retry after not_before */
	ACME_CANCELLED,		/* acme_op_cancel or acme_engine_free */
};

/* Name of an outcome for logs: "done", "failed", "deferred", "cancelled". */
const char *acme_outcome_name(enum acme_outcome o);

/*
 * What done() receives. Everything here is owned by the engine and valid
 * only during the done() call: copy what you keep.
 */
struct acme_result {
	enum acme_outcome	 outcome;
	int			 retryable;	/* FAILED: worth retrying later */
	time_t			 not_before;	/* DEFERRED: Retry-After (else now+60;
						 * ca_unavailable: now+ACME_UNAVAILABLE_S) */
	int			 ca_unavailable; /* DEFERRED: no answer (connection,
						 * timeout, TLS) or a 5xx other than
						 * a 503 with Retry-After */
	const char		*endpoint;	/* FAILED/DEFERRED from a response: the
						 * request kind that got it ("newOrder",
						 * "finalize"...), else NULL */
	int			 has_problem;
	struct acme_problem	 problem;	/* from the CA, when has_problem, or
						 * the engine's own refusal of an
						 * answer (ACME_PROBLEM_INSECURE_URL) */
	char			 error[512];	/* one-line description, "" on success */
	const char		*account_url;	/* account ops: the account (kid) */
	const char		*order_url;	/* order ops: NULL if never created */
	const char		*chain;		/* order ops, DONE: default chain PEM */
	const char		*alt_chains[ACME_ALT_MAX];	/* alternates (PEM) */
	size_t			 nalt;
	int			 already_revoked; /* revoke, DONE: it was before */
	/* ARI ops (acme_ari_start), DONE: the suggested renewal window, the
	 * optional explanationURL (NULL when absent) and when to ask again
	 * (Retry-After, else now + ACME_ARI_RECHECK_S). */
	time_t			 window_start;
	time_t			 window_end;
	const char		*explanation_url;
	time_t			 ari_next;
};

typedef void acme_done_fn(void *arg, const struct acme_result *r);

/* ---- accounts ---- */

struct acme_account_params {
	const char	*directory;	/* directory URL of the CA (https) */
	const char	*ca_file;	/* PEM bundle to trust for the CA, or NULL */
	const struct jws_key *key;	/* borrowed until done() */
	const char *const *contacts;	/* "mailto:..." URLs, may be NULL */
	size_t		 ncontacts;
	int		 tos_agreed;
	int		 only_return_existing;	/* look up, never create */
	int		 deadline_s;	/* whole operation; 0: 120 */
	/* External Account Binding (RFC 8555 section 7.3.4), both or none:
	 * the CA's key id and its MAC key, base64url. The MAC key is a secret:
	 * copied, wiped when the operation ends, never logged. */
	const char	*eab_kid;
	const char	*eab_hmac;
};

/* Registers (or with only_return_existing looks up) the account of key.
 * done(arg, r) is called exactly once, with r->account_url on success
 * (accountDoesNotExist is a FAILED result with that problem). Returns the
 * operation handle (valid until done() returns), or NULL with a message in
 * err when the parameters are invalid (done() is then never called). All
 * strings are copied. */
struct acme_op *acme_account_start(struct acme_engine *e,
    const struct acme_account_params *p, acme_done_fn *done, void *arg,
    char *err, size_t errlen);

/* ---- orders ---- */

struct acme_order_cb {
	/* The order exists (new or resumed): its URL, to report so that a
	 * redelivered job resumes it. May be NULL. */
	void	(*order_created)(void *arg, const char *order_url);
	/* Publish key_authorization for token (http-01: served at
	 * /.well-known/acme-challenge/<token>) before the engine asks the CA
	 * to validate. Return 0 when published, -1 to fail the order
	 * (retryable). token is checked to be [A-Za-z0-9_-]+. key_authorization
	 * is a secret: do not log it. Required. */
	int	(*challenge_begin)(void *arg, const char *token,
		    const char *key_authorization);
	/* Called exactly once for every token whose challenge_begin returned
	 * 0, when the order leaves "pending" (its authorizations are final)
	 * or the operation ends. Required. */
	void	(*challenge_end)(void *arg, const char *token);
	/* Called exactly once, last. Required. */
	acme_done_fn *done;
	void	*arg;
};

/* begin of struct acme_dns01_cb: publishing goes on in the background. */
#define ACME_DNS01_PENDING	1

/* What a dns-01 order calls in place of challenge_begin/challenge_end, with
 * the arg of its struct acme_order_cb. */
struct acme_dns01_cb {
	/* Publish the TXT record txt (base64url, 43 characters) at
	 * "_acme-challenge.<domain>." before the engine asks the CA to
	 * validate. domain is the authorization's identifier: the base
	 * domain for a wildcard ("*.example.com" validates at
	 * _acme-challenge.example.com), so an order for a wildcard and its
	 * apex publishes two values at the same name at once. Return 0 when
	 * published, ACME_DNS01_PENDING when publishing goes on without
	 * blocking (a child process, say): the order then waits, without a
	 * request or a worker's thread, until acme_order_dns01_published()
	 * says how it went (or its deadline). -1 fails the order (retryable).
	 * Runs on the engine's thread: it must not block. Required. */
	int	(*begin)(void *arg, const char *domain, const char *token,
		    const char *txt);
	/* Called exactly once for every record whose begin returned 0 or
	 * ACME_DNS01_PENDING (even when publishing then failed), when the
	 * order leaves "pending" (its authorizations are final) or the
	 * operation ends; valid is 1 when the authorization became valid, 0
	 * otherwise (invalid, failure, cancellation, deadline). After it,
	 * acme_order_dns01_published() must no longer be called for that
	 * token. Required. */
	void	(*end)(void *arg, const char *domain, const char *token,
		    const char *txt, int valid);
};

struct acme_order_params {
	const char	*directory;
	const char	*ca_file;
	const struct jws_key *key;	/* account key, borrowed until done() */
	const char	*account_url;	/* kid */
	const char *const *names;	/* DNS identifiers */
	size_t		 nnames;
	const unsigned char *csr_der;	/* CSR, DER; copied */
	size_t		 csr_len;
	const char	*order_url;	/* resume this order instead of newOrder */
	const char	*challenge_type; /* NULL or "http-01"; "dns-01" (required
					  * for wildcard names) */
	const struct acme_dns01_cb *dns01; /* dns-01: required (copied);
					  * challenge_begin/end unused */
	int		 deadline_s;	/* whole operation; 0: 600 */
	/* ARI CertID of the certificate this order renews (RFC 9773 section
	 * 5), sent as "replaces" when the CA's directory has renewalInfo;
	 * NULL or "" for none. */
	const char	*replaces;
	/* Profile name for newOrder; NULL or "" for the CA's default. A
	 * name the directory's meta.profiles lacks fails the order
	 * (not retryable) before any newOrder. */
	const char	*profile;
};

/*
 * Runs one order to its certificate: newOrder (or re-reads order_url),
 * authorizations (already valid ones are skipped), challenge_begin, trigger,
 * then polls the order (Retry-After or 1,2,4..30 s backoff) until it leaves
 * "pending", never the authorizations themselves, finalize (a retried
 * finalize re-reads the order first), poll, download the chain and its
 * alternates.
 * The leaf must carry the CSR's public key. Callbacks as documented in
 * struct acme_order_cb. Returns the operation handle, valid until done()
 * returns, or NULL with a message in err for invalid parameters (then no
 * callback is ever called). Parameters are copied except key.
 */
struct acme_op *acme_order_start(struct acme_engine *e,
    const struct acme_order_params *p, const struct acme_order_cb *cb,
    char *err, size_t errlen);

/*
 * The dns-01 record whose begin answered ACME_DNS01_PENDING for token is
 * published (ok 1), or could not be (ok 0; detail says why, one line, no
 * secret): the order goes on and asks the CA to validate, or fails
 * (retryable). A token the order no longer waits for is ignored. Call it
 * from the caller's loop, outside the engine's callbacks; op's own
 * callbacks, done() included, may run inside it (then op is gone).
 */
void acme_order_dns01_published(struct acme_op *op, const char *token,
    int ok, const char *detail);

/* ---- account and certificate management (acme_manage.c) ---- */

/* What every management operation needs: the CA, the account key and its
 * URL (kid). */
struct acme_manage_params {
	const char	*directory;
	const char	*ca_file;
	const struct jws_key *key;	/* account key, borrowed until done() */
	const char	*account_url;	/* kid */
	int		 deadline_s;	/* whole operation; 0: 120 */
};

/* 1 when reason is a revocation reason code a subscriber may ask for (RFC
 * 5280 section 5.3.1 as Let's Encrypt accepts them): 0 unspecified, 1
 * keyCompromise, 3 affiliationChanged, 4 superseded, 5 cessationOfOperation. */
int acme_revoke_reason_ok(int reason);

/* Parses a reason name ("keyCompromise"...) or its decimal code. Returns
 * the code, or -1 when it is neither or not acme_revoke_reason_ok. */
int acme_revoke_reason_parse(const char *s);

/* Name of a reason code ("superseded"), "unknown" for others. */
const char *acme_revoke_reason_name(int reason);

/*
 * Revokes a certificate (RFC 8555 section 7.6), signed by the account key
 * (kid): POST revokeCert {"certificate": base64url(DER), "reason": reason}.
 * An alreadyRevoked answer is success with r->already_revoked set. Same
 * contract as acme_account_start; cert_der is copied.
 */
struct acme_op *acme_revoke_start(struct acme_engine *e,
    const struct acme_manage_params *p, const unsigned char *cert_der,
    size_t cert_len, int reason, acme_done_fn *done, void *arg, char *err,
    size_t errlen);

/*
 * Rolls the account over to new_key (RFC 8555 section 7.3.5): an inner JWS
 * signed by new_key (jwk, no nonce) over {"account", "oldKey"}, sent inside
 * a JWS signed by the old key (kid). new_key is borrowed until done(). On
 * DONE the CA knows only new_key for this account. Same contract as
 * acme_account_start.
 */
struct acme_op *acme_keychange_start(struct acme_engine *e,
    const struct acme_manage_params *p, const struct jws_key *new_key,
    acme_done_fn *done, void *arg, char *err, size_t errlen);

/* Deactivates the account (RFC 8555 section 7.3.6): POST {"status":
 * "deactivated"} to its URL; DONE when the CA answers with that status.
 * Same contract as acme_account_start. */
struct acme_op *acme_deactivate_start(struct acme_engine *e,
    const struct acme_manage_params *p, acme_done_fn *done, void *arg,
    char *err, size_t errlen);

/* ---- ACME Renewal Information (RFC 9773) ---- */

#define ACME_CERTID_MAX		256	/* a CertID string, NUL included */
#define ACME_ARI_RECHECK_S	(6 * 3600)	/* no Retry-After: ask again then */
#define ACME_ARI_RETRY_MIN_S	60	/* Retry-After clamped to [min, max] */
#define ACME_ARI_RETRY_MAX_S	(7 * 86400)

/* The CertID of RFC 9773 section 4.1 from its parts: base64url(aki) "."
 * base64url(serial), serial being the DER INTEGER content octets (with a
 * leading 0x00 when the top bit is set). Returns 0 with out filled, -1
 * when a part is empty or out is too small. */
int acme_ari_certid_raw(const unsigned char *aki, size_t akilen,
    const unsigned char *serial, size_t seriallen, char *out, size_t outlen);

/* The CertID of the first certificate of a PEM chain (its Authority Key
 * Identifier keyIdentifier and serial). Returns 0, or -1 with a message
 * (no certificate, no AKI keyIdentifier, out too small). */
int acme_ari_certid_pem(const char *pem, size_t len, char *out,
    size_t outlen, char *err, size_t errlen);

/* The same of a certificate already parsed (OpenSSL's X509). */
struct x509_st;
int acme_ari_certid_x509(const struct x509_st *x, char *out, size_t outlen,
    char *err, size_t errlen);

struct acme_renewal_info {
	time_t	start;		/* suggestedWindow.start */
	time_t	end;		/* suggestedWindow.end, after start */
	char	explanation_url[ACME_URL_MAX + 1];	/* "" when absent */
};

/* Parses a renewalInfo body (at most ACME_JSON_MAX bytes): an object with
 * suggestedWindow {start, end} as RFC 3339 times, end after start; an
 * explanationURL that is not an http(s) URL is dropped. Returns 0 with ri
 * filled, or -1 with a message. */
int acme_renewal_info_parse(const char *body, size_t len,
    struct acme_renewal_info *ri, char *err, size_t errlen);

/* Picks the renewal moment in [start, end) from r, a uniform random value
 * in [0, 1). */
time_t acme_ari_pick(time_t start, time_t end, double r);

struct acme_ari_params {
	const char	*directory;
	const char	*ca_file;
	const char	*cert_id;	/* from acme_ari_certid_pem */
	int		 deadline_s;	/* 0: 60 */
};

/* Fetches the renewalInfo of cert_id with a plain GET (unauthenticated,
 * RFC 9773 section 4.2). done() gets DONE with window_start/end,
 * explanation_url and ari_next filled; FAILED (not retryable) when the CA
 * has no renewalInfo in its directory or answers garbage; DEFERRED on
 * 429/503. Returns the op, or NULL with a message for bad parameters. */
struct acme_op *acme_ari_start(struct acme_engine *e,
    const struct acme_ari_params *p, acme_done_fn *done, void *arg,
    char *err, size_t errlen);

/*
 * Stops op now: its request is dropped, challenge_end() is called for every
 * begun challenge and done() with ACME_CANCELLED, all before this returns;
 * op is invalid afterwards. The ACME order itself stays on the CA and can be
 * resumed by its URL. Calling it from one of op's own callbacks is allowed:
 * the op then ends as soon as that callback returns.
 */
void acme_op_cancel(struct acme_op *op);

#endif
