/* dns_int.h -- what dns.c shares with the provider files dns_challtestsrv.c, dns_hook.c and dns_rfc2136.c (not a public interface). */
#ifndef CERTFLEET_DNS_INT_H
#define CERTFLEET_DNS_INT_H

#include "dns.h"
#include "spawn.h"

#define DNS_TIMEOUT_MS_DEFAULT	10000
#define DNS_TXT_LEN		43	/* base64url of a SHA-256 */
#define DNS_TOKEN_MAX		256
#define DNS_NAME_MAX		253
#define DNS_SCRIPT_MAX		4096	/* one nsupdate script */

enum dns_kind { DNS_CHALLTESTSRV, DNS_HOOK, DNS_RFC2136 };

/* challtestsrv: records still in use at one host; clear-txt drops every
 * value of a host, so it is sent only when the last one is done. */
struct dns_cts_host {
	struct dns_cts_host	*next;
	char			*host;		/* "_acme-challenge.<name>." */
	unsigned		 refs;
};

/* What a call does to its record. */
enum dns_verb { DNS_BEGIN, DNS_DONE, DNS_FAILED };

/* One call of a provider that runs a child (hook, rfc2136), from its start
 * (or its wait behind the record's begin) to its end. */
struct dns_call {
	struct dns_call	*next;
	struct dns	*d;
	enum dns_verb	 verb;
	char		*name, *token, *txt;
	char		*tag;		/* withdrawals: the log line's start */
	dns_done_fn	*done;		/* begins: NULL once withdrawn or forgotten */
	void		*arg;
	struct dns_call	*then;		/* the withdrawal waiting for this begin */
	int		 started;	/* its child runs */
};

struct dns {
	enum dns_kind		 kind;
	struct dns_conf		 conf;		/* strings owned */
	struct dns_cts_host	*hosts;		/* challtestsrv */
	struct spawner		*spawn;		/* hook, rfc2136 */
	struct dns_call		*calls;		/* hook, rfc2136: in flight */
};

/* challtestsrv: publish and withdraw on the spot. Arguments are already
 * checked with dns_args_ok. 0 or -1. */
int dns_cts_begin(struct dns *d, const char *name, const char *txt,
    char *err, size_t errlen);
int dns_cts_end(struct dns *d, const char *name, char *err, size_t errlen);
void dns_cts_free(struct dns *d);

/* hook and rfc2136: start the child of call c on d->spawn. When it ends,
 * dns_call_over(c, ok, err) is called with a one-line message free of
 * secrets. Returns 0, or -1 with err (nothing started). */
int dns_hook_start(struct dns *d, struct dns_call *c, char *err,
    size_t errlen);
int dns_rfc2136_start(struct dns *d, struct dns_call *c, char *err,
    size_t errlen);

/* The child of call c ended (dns.c): its begin's done() or the log line of
 * a withdrawal, then the withdrawal that waited for it; c is freed. */
void dns_call_over(struct dns_call *c, int ok, const char *err);

/* The verb's word on the hook's command line: begin, done, failed. */
const char *dns_verb_name(enum dns_verb v);

#endif
