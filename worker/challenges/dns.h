/* dns.h -- dns-01 TXT records: the provider interface (begin, done, failed) and its three providers. */
#ifndef CERTFLEET_DNS_H
#define CERTFLEET_DNS_H

#include <stddef.h>

/*
 * A provider publishes and withdraws the TXT record of a dns-01 challenge
 * at "_acme-challenge.<name>." (name: the identifier, without the "*." of a
 * wildcard). Providers:
 *   challtestsrv  pebble-challtestsrv's management API (tests, local stack)
 *   hook          an executable: HOOK begin|done|failed NAME TOKEN TXT
 *   rfc2136       RFC 2136 dynamic update signed with TSIG, by nsupdate
 * Every call blocks the caller for one short HTTP request or one child
 * process, bounded by the provider's timeout: the worker's event loop
 * waits meanwhile (dns-01 orders are expected to be a small share).
 * Arguments are validated before use: name is an LDH hostname, token is
 * base64url, txt is the 43-character base64url SHA-256 value.
 */
struct dns;

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

/* Publishes txt for name. Returns 0, or -1 with a message in err. */
int dns_begin(struct dns *d, const char *name, const char *token,
    const char *txt, char *err, size_t errlen);

/* Withdraws the record after the authorization became valid (done) or did
 * not (failed). Returns 0, or -1 with a message in err. */
int dns_done(struct dns *d, const char *name, const char *token,
    const char *txt, char *err, size_t errlen);
int dns_failed(struct dns *d, const char *name, const char *token,
    const char *txt, char *err, size_t errlen);

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
