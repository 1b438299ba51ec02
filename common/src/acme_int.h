/* acme_int.h -- private structures shared by the acme_*.c files of the ACME engine (not installed). */
#ifndef CERTFLEET_ACME_INT_H
#define CERTFLEET_ACME_INT_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/x509.h>

#include "acme.h"

#define ACME_NONCE_POOL		256	/* nonces kept per CA */
#define ACME_BADNONCE_TRIES	8	/* resends of one POST on badNonce */
/*
 * Polling a CA that gives no Retry-After (acme_poll_delay_ms): the first
 * read after ACME_POLL_FIRST_MS, then doubling up to ACME_POLL_MAX_MS. A CA
 * done within a quarter second (Pebble, a CA next door) is seen done at
 * the first read; with a first read after 1 s, an order against Pebble
 * slept through most of its 2.4 s, and an on-demand name's first handshake
 * waited for it (docs/design.md section 4, "Polling"). A slower CA costs
 * at most two reads more per wait (at 0.25 and 0.75 s), each paced like any
 * poll.
 */
#define ACME_POLL_FIRST_MS	250
#define ACME_POLL_MAX_MS	30000	/* polling backoff cap */
#define ACME_FINALIZE_TRIES	3
#define ACME_CTYPE_MAX		128

/* ---- headers of one response (acme_http.c) ---- */

struct acme_hdrs {
	size_t	 bytes;			/* header bytes seen, capped */
	int	 toobig;		/* over ACME_HEADERS_MAX */
	char	 nonce[ACME_NONCE_MAX + 1];	/* "" when none/invalid */
	char	*location;		/* valid URL or NULL */
	int	 has_retry_after;
	time_t	 retry_after;		/* absolute wall-clock time */
	char	*alt[ACME_ALT_MAX];	/* Link rel="alternate" URLs */
	size_t	 nalt;
	char	*up;			/* Link rel="up" URL or NULL */
	char	*insecure;		/* the first http:// URL offered, as
					 * "Location: <url>" or "Link: <url>":
					 * refused (acme_url_insecure), or NULL */
	const char *malformed;		/* the first header read here whose
					 * value held a control byte (CR, LF,
					 * NUL...) or was folded (obs-fold):
					 * its name (static), its value
					 * dropped; or NULL */
	const char *last;		/* the header of the line before, for
					 * an obs-fold line; NULL when other */
};

/* Feeds one raw header line (with or without CR LF). A status line
 * ("HTTP/...") resets what was collected (interim 1xx responses). Bad
 * values are ignored, never fatal; the cap sets toobig. A value of
 * Replay-Nonce, Location, Retry-After or Link with a control byte in it
 * (but HT), or continued on an obs-fold line (RFC 9112 section 5.2: its
 * value would be another), is dropped and named in malformed. */
void acme_hdrs_line(struct acme_hdrs *h, const char *line, size_t len,
    time_t now);
void acme_hdrs_free(struct acme_hdrs *h);

/* Retry-After: delta-seconds or an HTTP-date. Returns 0 with *when set to
 * an absolute time (now + delta), or -1 when malformed. */
int acme_retry_after_parse(const char *v, size_t len, time_t now,
    time_t *when);

/* Calls fn for every link of a Link header value: <url>; rel="a b"; ...,
 * once per relation type. Returns the number of links, or -1 when the value
 * is malformed (links before the error were reported). */
int acme_link_parse(const char *v, size_t len,
    void (*fn)(void *arg, const char *url, size_t ulen, const char *rel,
    size_t rlen), void *arg);

/* 1 when s[0..len) is a usable Replay-Nonce (base64url, 1..ACME_NONCE_MAX). */
int acme_nonce_ok(const char *s, size_t len);

/* 1 when s is an https URL without controls or spaces, under ACME_URL_MAX.
 * ACME is https only (RFC 8555 section 6.1): a URL a worker would follow
 * or report must never be plain http. */
int acme_url_ok(const char *s);

/* 1 when s would pass acme_url_ok but for being http:// (a CA, or a proxy
 * in front of it, that hands out plain http URLs): the engine refuses the
 * answer with an ACME_PROBLEM_INSECURE_URL problem. */
int acme_url_insecure(const char *s);

/* The first http:// URL among the URL members of a CA's JSON resource
 * (directory entries; url, finalize, certificate, orders; each of
 * authorizations; each challenge's url), or NULL when there is none. */
const char *acme_json_insecure(json_t *o);

/* 1 when the media type of ctype (before any ';') is want, ignoring case. */
int acme_ctype_is(const char *ctype, const char *want);

/* ---- requests (acme_http.c) ---- */

enum acme_req_kind {
	ACME_REQ_DIRECTORY,	/* GET directory, owned by a CA */
	ACME_REQ_NONCE,		/* HEAD newNonce for an op */
	ACME_REQ_POST,		/* signed POST for an op */
	ACME_REQ_GET,		/* plain GET for an op (renewalInfo) */
};

struct acme_req {
	struct acme_engine	*e;
	enum acme_req_kind	 kind;
	struct acme_op		*op;	/* NONCE, POST */
	struct acme_ca		*ca;
	const char		*endpoint;	/* static: what is asked (acme.h) */
	CURL			*easy;
	struct curl_slist	*hdrlist;
	char			*post;	/* body sent, owned */
	char			*body;	/* body received, NUL-terminated */
	size_t			 len;
	size_t			 max;	/* cap on body */
	int			 body_toobig;
	struct acme_hdrs	 h;
	CURLcode		 cc;
	enum pace_ep		 ep;	/* its class, for the pacer */
	enum acme_gate		 gate;	/* the side of the CA's gate it
					 * holds, or ACME_GATE_NONE */
	uint64_t		 gate_lease;	/* to release, when gate */
	long			 status;
	char			 ctype[ACME_CTYPE_MAX];
	char			 errbuf[CURL_ERROR_SIZE];
};

/* Creates and adds a request to the multi handle. post NULL means GET (or
 * HEAD for ACME_REQ_NONCE); post is taken over. accept_pem asks for a PEM
 * chain and raises the body cap. endpoint (a static string, see struct
 * acme_request_stats) names the request for the engine's observer.
 * Returns 0, or -1 with a message. */
int acme_req_send(struct acme_engine *e, enum acme_req_kind kind,
    struct acme_op *op, struct acme_ca *ca, const char *url,
    const char *endpoint, char *post, int accept_pem, long timeout_ms,
    char *err, size_t errlen);

/* Removes from the multi handle (if added) and frees; NULL accepted. Its
 * easy handle is kept for a next request (ACME_EASY_IDLE_MAX). */
void acme_req_free(struct acme_req *r);

/* Cleans up the easy handles e keeps (acme_engine_free). */
void acme_easy_drop(struct acme_engine *e);

/* ---- per CA state (acme_ca.c) and the engine (acme_engine.c) ---- */

enum acme_dir_state { ACME_DIR_NONE, ACME_DIR_FETCHING, ACME_DIR_READY };

struct acme_ca {
	struct acme_ca		*next;
	char			*dir_url;
	char			*ca_file;	/* NULL: system trust */
	enum acme_dir_state	 dir_state;
	struct acme_req		*dir_req;
	char			*new_nonce;
	char			*new_account;
	char			*new_order;
	char			*revoke_cert;	/* optional in the directory */
	char			*key_change;	/* optional in the directory */
	char			*renewal_info;	/* NULL: the CA has no ARI */
	json_t			*profiles;	/* meta.profiles object or NULL */
	struct acme_op		*waiters;	/* ops waiting for the directory */
	int			 notifying;	/* waking waiters after a fetch */
	uint64_t		 pace_until[PACE_NEP];	/* monotonic ms: a 429/503
							 * Retry-After of the class */
	char			*nonces[ACME_NONCE_POOL];	/* ring, LIFO */
	size_t			 nonce_head;
	size_t			 nnonces;
};

/* Easy handles an engine keeps from ended requests for the next ones
 * (acme_http.c): a new one costs its allocations (curl's download buffer
 * among them, and a POST's upload buffer) and their release. */
#define ACME_EASY_IDLE_MAX	32

struct acme_engine {
	CURLM			*multi;
	CURLSH			*share;
	CURL			*idle[ACME_EASY_IDLE_MAX];
	size_t			 nidle;
	struct acme_engine_conf	 conf;
	char			 ua[64];
	struct acme_ca		*cas;
	struct acme_op		*ops;		/* every running op */
	size_t			 nops;
	struct acme_op		**heap;		/* timers: min-heap on wake_ms */
	size_t			 nheap;
	size_t			 capheap;
};

enum acme_op_kind { ACME_OP_ACCOUNT, ACME_OP_ORDER, ACME_OP_MANAGE, ACME_OP_ARI };

/* One challenge this op began. */
struct acme_chal {
	char	*token;
	size_t	 authz;		/* index in authz[] */
	int	 ended;
	char	*domain;	/* dns-01: identifier of the authorization */
	char	*txt;		/* dns-01: the TXT value published */
	int	 pending;	/* dns-01: begin said ACME_DNS01_PENDING, not
				 * yet acme_order_dns01_published() */
};

struct acme_op {
	struct acme_engine	*e;
	struct acme_ca		*ca;
	enum acme_op_kind	 kind;
	struct acme_op		*prev, *next;	/* e->ops */
	struct acme_op		*wnext;		/* ca->waiters */
	int			 waiting_dir;
	size_t			 heap_idx;
	int			 in_heap;
	uint64_t		 wake_ms;
	int			 sleeping;	/* the timer is a wait, told
						 * to the observer at its end */
	uint64_t		 slept_ms;	/* monotonic: that wait began */
	enum acme_wait		 wait_why;
	uint64_t		 deadline_ms;
	int			 step;		/* kind-specific state */
	struct acme_req		*req;		/* in flight, or NULL */
	int			 in_cb;		/* inside a caller callback */
	int			 cancel_pending;
	int			 finished;

	/* hooks of the kind */
	void	(*on_ready)(struct acme_op *);	/* directory ready */
	void	(*on_response)(struct acme_op *, struct acme_req *);
	void	(*on_timer)(struct acme_op *);
	void	(*on_end)(struct acme_op *);	/* before done(): cleanup */

	/* pacing: a request waits for its slot (timer), then goes without
	 * asking again (pace_granted holds its class + 1) */
	int			 pace_wait;
	int			 pace_granted;
	int			 pace_reask;	/* the wait was a Retry-After:
						 * ask the pacer after it */
	uint64_t		 gate_since;	/* monotonic ms: first kept
						 * out by the CA's gate, 0 */
	char			*get_url;	/* the plain GET in progress */
	const char		*get_endpoint;	/* static name of get_url */

	/* the POST in progress, resent on badNonce */
	char			*post_url;
	const char		*post_endpoint;	/* static name of post_url */
	char			*post_payload;	/* NULL: POST-as-GET */
	int			 post_pem;
	int			 post_jwk;	/* sign with jwk, not kid */
	int			 badnonce;

	const struct jws_key	*key;
	char			*kid;
	acme_done_fn		*done;
	void			*arg;
	struct acme_order_cb	 cb;
	unsigned int		 backoff;	/* polls so far in this wait */

	/* account */
	char			*account_payload;
	char			*account_url;
	char			*eab_kid;	/* External Account Binding, or NULL */
	char			*eab_hmac;	/* secret: wiped on free */

	/* manage (acme_manage.c): revokeCert, keyChange, deactivation */
	int			 manage;	/* enum acme_manage_kind */
	char			*manage_payload;
	const struct jws_key	*new_key;
	int			 already_revoked;

	/* order */
	char			**names;
	size_t			 nnames;
	unsigned char		*csr;
	size_t			 csrlen;
	unsigned char		*csr_spki;	/* its SubjectPublicKeyInfo */
	size_t			 csr_spkilen;
	char			*order_url;
	int			 order_reported;
	char			*finalize_url;
	char			*cert_url;
	char			**authz;
	int			*authz_final;
	size_t			 nauthz;
	size_t			 authz_i;
	unsigned int		 rounds;
	struct acme_chal	*chals;
	size_t			 nchals;
	int			 dns01;		/* challenge type dns-01 */
	struct acme_dns01_cb	 dns;		/* its callbacks */
	char			*dns_wait_url;	/* ORD_DNS_WAIT: the challenge to
						 * trigger once published */
	char			*dns_wait_token; /* ... and its token */
	int			 finalize_tries;
	char			*chain;
	char			*alt_urls[ACME_ALT_MAX];
	size_t			 nalt_urls;
	size_t			 alt_i;
	char			*alts[ACME_ALT_MAX];
	size_t			 nalts;
	char			*replaces;	/* order: ARI CertID or NULL */
	int			 replaces_dropped; /* newOrder resent without it */
	char			*profile;	/* order: profile or NULL */

	/* ARI */
	char			*cert_id;
	struct acme_renewal_info ari;
	time_t			 ari_next;
};

/* ---- per-CA directory and nonce pool (acme_ca.c) ---- */

/* The CA of directory URL dir, created on first use (not fetched yet);
 * NULL when out of memory. O(number of CAs). */
struct acme_ca *acme_ca_get(struct acme_engine *e, const char *dir,
    const char *ca_file);

/* Frees ca, its directory request and its nonces. */
void acme_ca_free(struct acme_ca *ca);

/* Pools a copy of nonce (a full pool drops its oldest; no memory drops
 * this one). */
void acme_nonce_push(struct acme_ca *ca, const char *nonce);

/* Takes the newest nonce (the least likely to have expired), or NULL; the
 * caller frees it. */
char *acme_nonce_pop(struct acme_ca *ca);

/* Takes op off its CA's list of ops waiting for the directory, if on it. */
void acme_waiters_remove(struct acme_op *op);

/* The directory request r arrived (or failed): keeps the endpoints and
 * wakes every waiter (on_ready, or failed). r stays the caller's. */
void acme_ca_directory_done(struct acme_ca *ca, struct acme_req *r);

/* ---- ops (acme_engine.c) ---- */

/* Problem from an already parsed object (an order's or challenge's "error").
 * Returns 0, or -1 when o is not an object or memory runs out (*p empty). */
int acme_problem_from_json(json_t *o, long http_status, struct acme_problem *p);

/* Registers a new op: links it, takes the CA for p_dir (created on first
 * use) and schedules its first step at once (never calls back inside). */
int acme_op_register(struct acme_engine *e, struct acme_op *op,
    const char *dir, const char *ca_file, int deadline_s, char *err,
    size_t errlen);

/* Makes on_ready run once the CA's directory is known (maybe at once). */
void acme_op_need_directory(struct acme_op *op);

/* Runs on_timer after ms (clipped to the deadline); why goes to the
 * engine's wait observer when the wait ends. */
void acme_op_sleep(struct acme_op *op, uint64_t ms, enum acme_wait why);

/* Takes op's timer off (no on_timer until the next acme_op_sleep). */
void acme_op_wake_cancel(struct acme_op *op);

/* The wait before poll number `polls` of one wait (0 for the first):
 * Retry-After when has_ra (ra is absolute; clamped to [200 ms, 600 s]),
 * else 0.25, 0.5, 1, 2, 4, 8, 16 s then ACME_POLL_MAX_MS. Pure: the
 * schedule is unit-tested. */
uint64_t acme_poll_delay_ms(unsigned int polls, int has_ra, time_t ra,
    time_t now);

/* Sleep for a poll: Retry-After of r when present (capped), else backoff. */
void acme_op_poll_later(struct acme_op *op, const struct acme_req *r);

/* Signs and sends a POST (payload NULL: POST-as-GET) to endpoint (a static
 * name, see struct acme_request_stats), getting a nonce first when the pool
 * is empty. Failures end the op. url and payload are copied. */
void acme_op_post(struct acme_op *op, const char *endpoint, const char *url,
    const char *payload, int accept_pem, int use_jwk);

/* Ends the op as failed: detail formatted; retryable as given. */
void acme_op_fail(struct acme_op *op, int retryable, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Ends the op as deferred because the CA did not answer (ca_unavailable,
 * not_before now + ACME_UNAVAILABLE_S); detail formatted. */
void acme_op_unavailable(struct acme_op *op, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Ends the op, not retryable, with an ACME_PROBLEM_INSECURE_URL problem
 * naming where (e.g. "Location", "finalize") the http:// url was given. */
void acme_op_fail_insecure(struct acme_op *op, const char *where,
    const char *url);

/* Ends the op, retryable, with an ACME_PROBLEM_MALFORMED_HEADER problem
 * naming header (never its bytes); endpoint names the request. */
void acme_op_fail_malformed(struct acme_op *op, const char *endpoint,
    const char *header);

/* Ends the op from an unusable response r (transport error, HTTP error with
 * or without a problem, 429/503 deferral; no answer or a 5xx other than a
 * 503 with Retry-After: acme_op_unavailable). what names the step. */
void acme_op_fail_resp(struct acme_op *op, const struct acme_req *r,
    const char *what);

/* Ends the op from a problem object embedded in a resource (order/authz/
 * challenge "error"); j may be NULL. */
void acme_op_fail_problem(struct acme_op *op, json_t *j, const char *what);

/* The result acme_op_fail_problem ends with: the problem's own class, or,
 * when j holds no problem (an invalid order or authorization without a
 * reason), a retryable failure. The caller frees res->problem. */
void acme_result_from_problem(struct acme_result *res, json_t *j,
    const char *what);

/* Ends the op successfully. */
void acme_op_succeed(struct acme_op *op);

/* Sends a plain GET of url (endpoint names it) for op (no JWS, no nonce);
 * the response goes to on_response. Failures end the op. */
void acme_op_get(struct acme_op *op, const char *endpoint, const char *url);

/* Calls a caller callback with cancellation deferred while it runs; returns
 * 1 when the op must stop now (cancel requested inside; it has ended). */
void acme_op_cb_enter(struct acme_op *op);
int acme_op_cb_leave(struct acme_op *op);

/* Parses r's body as a JSON object (checks content type, cap). Returns a
 * new reference or NULL with the op failed. */
json_t *acme_op_json(struct acme_op *op, const struct acme_req *r,
    const char *what);

/* A string member that must be a valid URL, or NULL. */
const char *acme_json_url(json_t *o, const char *key);

/* ---- the CA's JSON resources (acme_parse.c; each a libFuzzer target) ---- */

/* Parses a directory body (at most ACME_JSON_MAX bytes). Returns a new
 * reference to an object whose newNonce, newAccount and newOrder are valid
 * URLs, or NULL with a message in err. */
json_t *acme_directory_parse(const char *body, size_t len, char *err,
    size_t errlen);

/* An order object checked: borrowed pointers into j. */
struct acme_order_view {
	const char	*status;	/* pending ready processing valid invalid */
	json_t		*authorizations;	/* array of valid URLs, 1..100 */
	size_t		 nauthz;
	const char	*finalize;	/* valid URL */
	const char	*certificate;	/* valid URL or NULL when absent */
	json_t		*error;		/* problem object or NULL */
};

/* Returns 0 with v filled, or -1 with a message when j is not a usable
 * order. */
int acme_order_view(json_t *j, struct acme_order_view *v, char *err,
    size_t errlen);

/* An authorization object checked: borrowed pointers into j. */
struct acme_authz_view {
	const char	*status;	/* pending valid invalid deactivated expired revoked */
	json_t		*chal;		/* first challenge of chal_type, or NULL */
	const char	*chal_status;	/* of chal: pending processing valid invalid */
	const char	*token;		/* of chal: base64url, at most 256 */
	const char	*chal_url;	/* of chal: valid URL */
	json_t		*error;		/* first challenge error object, or NULL */
};

/* Returns 0 with v filled, or -1 with a message when j is not a usable
 * authorization (or its challenge of chal_type is malformed; chal_type NULL
 * checks the list only). */
int acme_authz_view(json_t *j, const char *chal_type, struct acme_authz_view *v,
    char *err, size_t errlen);

/* ---- the order op (acme_order.c, acme_authz.c) ---- */

/* The order's steps (struct acme_op's step). */
enum acme_order_step {
	ORD_START,		/* ACME_STEP_START */
	ORD_NEWORDER,		/* POST newOrder */
	ORD_READ,		/* POST-as-GET the order (also its poll timer: once
				 * the challenges are triggered, until it leaves
				 * "pending") */
	ORD_AUTHZ,		/* POST-as-GET authz[authz_i] (also round timer) */
	ORD_CHALL,		/* POST {} to the challenge */
	ORD_DNS_WAIT,		/* dns-01 record being published (no request;
				 * the deadline's timer) */
	ORD_FINALIZE,		/* POST the CSR */
	ORD_CERT,		/* POST-as-GET the chain */
	ORD_ALT,		/* POST-as-GET alt_urls[alt_i] */
};

/* POST-as-GET url (pem: a certificate chain) as step `step` of the order. */
void acme_order_get(struct acme_op *op, int step, const char *url, int pem);

/* Goes on with the next authorization that is not final (ORD_AUTHZ), or
 * polls the order once all were triggered. */
void acme_order_authz_next(struct acme_op *op);

/* Response of the step ORD_AUTHZ. */
void acme_order_authz_response(struct acme_op *op, struct acme_req *r);

/* The order left "pending": withdraws every answer still published (valid
 * says how the authorizations ended). Returns 1 when the op ended inside a
 * callback. */
int acme_order_chal_end_all(struct acme_op *op, int valid);

/* on_end of an order: withdraws every answer still published. */
void acme_order_on_end(struct acme_op *op);

/* Name check: LDH labels and dots, an optional leading "*.", no more. */
int acme_order_name_ok(const char *n);

/* ---- the order's CSR (acme_csr.c) ---- */

/* The SubjectPublicKeyInfo of PKCS#10 CSR der[0..len) (OPENSSL_free it),
 * with *spkilen; NULL when the bytes are not a CSR, exactly where
 * d2i_X509_REQ fails (its public key is not decoded). */
unsigned char *acme_csr_spki(const unsigned char *der, size_t len,
    size_t *spkilen);

/* 1 when leaf holds the public key of op's CSR (the same key as
 * EVP_PKEY_eq sees it; both keys are decoded only when their
 * SubjectPublicKeyInfo bytes differ, so a leaf read without its key,
 * x509lite.h, will do), else 0. */
int acme_csr_leaf_matches(const struct acme_op *op, X509 *leaf);

#endif
