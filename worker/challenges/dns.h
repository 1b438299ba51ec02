/* dns.h -- dns-01 TXT records: the provider interface (begin, done, failed), asynchronous for the providers that run a program, and its three providers. */
#ifndef CERTFLEET_DNS_H
#define CERTFLEET_DNS_H

#include <poll.h>
#include <stddef.h>

/*
 * A provider publishes and withdraws the TXT record of a dns-01 challenge
 * at "_acme-challenge.<name>." (name: the identifier, without the "*." of a
 * wildcard). Providers:
 *   challtestsrv  pebble-challtestsrv's management API (tests, local stack):
 *                 one short HTTP request to a local test server, made on
 *                 the spot
 *   hook          an executable: HOOK begin|done|failed NAME TOKEN TXT
 *   rfc2136       RFC 2136 dynamic update signed with TSIG, by nsupdate
 * The hook and nsupdate run as child processes watched by the worker's
 * event loop (spawn.h: dns_fds and dns_process), so a slow DNS never
 * stalls other orders; each call is bounded by the provider's timeout.
 * Arguments are validated before use: name is an LDH hostname, token is
 * base64url, txt is the 43-character base64url SHA-256 value.
 */
struct dns;

/* How a begin that ran as a child ended: ok 1, or 0 with err (one line, no
 * secret). name, token and txt are the record's; everything is valid only
 * during the call. */
typedef void dns_done_fn(void *arg, const char *name, const char *token,
    const char *txt, int ok, const char *err);

/* Settings of every provider; unused ones are ignored. */
struct dns_conf {
	const char	*provider;	/* "challtestsrv", "hook" or "rfc2136" */
	int		 timeout_ms;	/* one call; 0: 10000 */
	/* challtestsrv */
	const char	*mgmt_url;	/* e.g. http://127.0.0.1:8055 */
	/* hook */
	const char	*hook;		/* absolute path of the executable */
	/* rfc2136 */
	const char	*nsupdate;	/* NULL: /usr/bin/nsupdate */
	const char	*server;	/* name server address */
	int		 port;		/* 0: 53 */
	const char	*zone;		/* NULL or "": nsupdate finds it */
	const char	*key_name;	/* TSIG key name */
	const char	*key_alg;	/* NULL: hmac-sha256 */
	const char	*key_secret;	/* TSIG secret, base64; never logged */
	int		 ttl;		/* 0: 60 */
};

/* Creates the provider conf->provider names, after checking its settings
 * (strings are copied). Returns NULL with a message in err. */
struct dns *dns_new(const struct dns_conf *conf, char *err, size_t errlen);

/* Reads the provider's settings from the environment (CERTFLEET_DNS_*, see
 * certfleet-worker --help) and creates it. Returns 1 with *out set, 0 when
 * CERTFLEET_DNS_PROVIDER is unset (no dns-01), -1 with a message in err. */
int dns_from_env(struct dns **out, char *err, size_t errlen);

/* Frees d; NULL is accepted. */
void dns_free(struct dns *d);

/* The provider's name, for logs. */
const char *dns_provider_name(const struct dns *d);

/*
 * Publishes txt for name. Returns 0 when it is published already
 * (challtestsrv), 1 when a child was started (hook, rfc2136): done(arg, ...)
 * is then called exactly once, from dns_process() or dns_drain(), unless
 * the record is withdrawn first (dns_done or dns_failed of the same name,
 * token and txt: done() is then never called, and the withdrawal runs once
 * the begin has ended) or dns_forget(arg) comes first. -1 with a message in
 * err: nothing was started.
 */
int dns_begin(struct dns *d, const char *name, const char *token,
    const char *txt, dns_done_fn *done, void *arg, char *err, size_t errlen);

/* Withdraws the record after the authorization became valid (done) or did
 * not (failed): now (challtestsrv) or as a child, after the record's begin
 * when that still runs. The outcome is logged, the line starting with tag
 * (say "job <id>"). Returns 0 when done or started, or -1 with a message
 * in err (nothing started). */
int dns_done(struct dns *d, const char *name, const char *token,
    const char *txt, const char *tag, char *err, size_t errlen);
int dns_failed(struct dns *d, const char *name, const char *token,
    const char *txt, const char *tag, char *err, size_t errlen);

/* Drops every done() of arg: its begins run on, unobserved. */
void dns_forget(struct dns *d, void *arg);

/* Calls begun or queued and not yet over. */
size_t dns_pending(const struct dns *d);

/* The event loop's side (spawn_fds, spawn_process): the descriptors to
 * watch (at most SPAWN_FDS_MAX) and the longest wait, then the work once
 * the poll returned; done() callbacks run inside dns_process. */
size_t dns_fds(const struct dns *d, struct pollfd *fds, size_t n,
    int *timeout_ms);
void dns_process(struct dns *d, const struct pollfd *fds, size_t n);

/* Runs every pending call to its end for at most timeout_ms, blocking (a
 * stopping worker withdraws its records). */
void dns_drain(struct dns *d, int timeout_ms);

/* ---- exposed for tests ---- */

/* 1 when the three arguments are what a provider accepts (see above). */
int dns_args_ok(const char *name, const char *token, const char *txt);

/* Writes the nsupdate script adding (add = 1) or deleting the record txt at
 * _acme-challenge.<name>. with conf's server, zone, key and ttl into out.
 * The script holds the TSIG secret: never log it. Returns its length, or
 * -1 when it does not fit or an argument is invalid. */
int dns_rfc2136_script(const struct dns_conf *conf, int add, const char *name,
    const char *txt, char *out, size_t outlen);

#endif
