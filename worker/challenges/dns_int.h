/* dns_int.h -- what dns.c shares with the provider files dns_challtestsrv.c, dns_hook.c and dns_rfc2136.c (not a public interface). */
#ifndef CERTFLEET_DNS_INT_H
#define CERTFLEET_DNS_INT_H

#include "dns.h"

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

struct dns {
	enum dns_kind		 kind;
	struct dns_conf		 conf;		/* strings owned */
	struct dns_cts_host	*hosts;		/* challtestsrv */
};

/* Each provider: publish (begin) and withdraw (end, valid as in done vs
 * failed). Arguments are already checked with dns_args_ok. 0 or -1. */
int dns_cts_begin(struct dns *d, const char *name, const char *txt,
    char *err, size_t errlen);
int dns_cts_end(struct dns *d, const char *name, char *err, size_t errlen);
void dns_cts_free(struct dns *d);

int dns_hook_call(struct dns *d, const char *verb, const char *name,
    const char *token, const char *txt, char *err, size_t errlen);

int dns_rfc2136_update(struct dns *d, int add, const char *name,
    const char *txt, char *err, size_t errlen);

#endif
