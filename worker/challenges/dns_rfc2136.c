/* dns_rfc2136.c -- dns-01 provider by RFC 2136 dynamic update with TSIG: a generated script on the stdin of nsupdate, run as a child of the event loop, no shell. */
#include "dns_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "spawn.h"

/* 1 when s is non-empty, at most max bytes, and every byte is in set or
 * alphanumeric: nothing that could end a line or a word of the script. */
static int
rfc2136_word_ok(const char *s, size_t max, const char *set)
{
	size_t i, n;

	if (s == NULL || (n = strnlen(s, max + 1)) == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || strchr(set, s[i]) != NULL))
			return 0;
	return 1;
}

int
dns_rfc2136_script(const struct dns_conf *c, int add, const char *name,
    const char *txt, char *out, size_t outlen)
{
	char zone[DNS_NAME_MAX + 16], rr[DNS_NAME_MAX + 128];
	int n;

	if (!rfc2136_word_ok(c->server, DNS_NAME_MAX, ".:-") ||
	    (c->zone != NULL && !rfc2136_word_ok(c->zone, DNS_NAME_MAX, ".-_")) ||
	    !rfc2136_word_ok(c->key_name, DNS_NAME_MAX, ".-_") ||
	    !rfc2136_word_ok(c->key_alg, 32, "-") ||
	    !rfc2136_word_ok(c->key_secret, 1024, "+/=") ||
	    !dns_args_ok(name, "t", txt))
		return -1;
	zone[0] = '\0';
	if (c->zone != NULL)
		snprintf(zone, sizeof(zone), "zone %s%s\n", c->zone,
		    c->zone[strlen(c->zone) - 1] == '.' ? "" : ".");
	if (add)
		snprintf(rr, sizeof(rr), "update add _acme-challenge.%s. %d IN "
		    "TXT \"%s\"\n", name, c->ttl > 0 ? c->ttl : 60, txt);
	else
		snprintf(rr, sizeof(rr), "update delete _acme-challenge.%s. IN "
		    "TXT \"%s\"\n", name, txt);
	n = snprintf(out, outlen, "server %s %d\n%skey %s:%s %s\n%ssend\n",
	    c->server, c->port > 0 ? c->port : 53, zone, c->key_alg,
	    c->key_name, c->key_secret, rr);
	if (n < 0 || (size_t)n >= outlen) {
		explicit_bzero(out, outlen);
		return -1;
	}
	return n;
}

/* Masks every occurrence of secret in s and makes s one line without
 * trailing spaces. */
static void
rfc2136_scrub(char *s, const char *secret)
{
	size_t n = strlen(secret);
	char *p;

	while (n > 0 && (p = strstr(s, secret)) != NULL)
		memset(p, '*', n);
	for (p = s; *p != '\0'; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			*p = ' ';
	while (p > s && p[-1] == ' ')
		*--p = '\0';
}

/* What nsupdate's output says when the server refused the TSIG signature
 * (RFC 8945 section 5.2: BADSIG, BADKEY, BADTIME), or "". */
static const char *
rfc2136_tsig_hint(const char *out)
{
	if (strstr(out, "BADSIG") != NULL)
		return "wrong TSIG secret or algorithm";
	if (strstr(out, "BADKEY") != NULL)
		return "TSIG key unknown to the server";
	if (strstr(out, "BADTIME") != NULL)
		return "clocks too far apart for TSIG";
	return "";
}

/* nsupdate ended: exit 0 is success; its output is scrubbed of the secret
 * before it goes into a message. */
static void
rfc2136_over(void *arg, const struct spawn_result *r)
{
	struct dns_call *c = arg;
	const struct dns_conf *conf = &c->d->conf;
	const char *what = c->verb == DNS_BEGIN ? "add" : "delete";
	char out[SPAWN_OUTPUT_MAX], err[768];

	if (r->status == 0) {
		dns_call_over(c, 1, "");
		return;
	}
	snprintf(out, sizeof(out), "%s", r->out);
	rfc2136_scrub(out, conf->key_secret);
	if (r->status < 0)
		snprintf(err, sizeof(err), "dns: nsupdate %s %s: %s", what,
		    c->name, r->err);
	else if (rfc2136_tsig_hint(out)[0] != '\0')
		snprintf(err, sizeof(err), "dns: nsupdate %s %s refused by %s "
		    "port %d for key %s (%s): %.200s", what, c->name,
		    conf->server, conf->port, conf->key_name,
		    rfc2136_tsig_hint(out), out);
	else
		snprintf(err, sizeof(err), "dns: nsupdate %s %s exited %d: "
		    "%.200s", what, c->name, r->status, out);
	explicit_bzero(out, sizeof(out));
	dns_call_over(c, 0, err);
}

int
dns_rfc2136_start(struct dns *d, struct dns_call *c, char *err,
    size_t errlen)
{
	static char path_env[] = "PATH=/usr/bin:/bin";
	char script[DNS_SCRIPT_MAX], tmo[16], *argv[4], *envp[2];
	int n, rc;

	if ((n = dns_rfc2136_script(&d->conf, c->verb == DNS_BEGIN, c->name,
	    c->txt, script, sizeof(script))) < 0) {
		snprintf(err, errlen, "dns: rfc2136: no script for %s", c->name);
		return -1;
	}
	/* nsupdate's own limit first, ours a second later as a backstop. */
	snprintf(tmo, sizeof(tmo), "%d", d->conf.timeout_ms / 1000 > 0 ?
	    d->conf.timeout_ms / 1000 : 1);
	argv[0] = (char *)d->conf.nsupdate;
	argv[1] = "-t";
	argv[2] = tmo;
	argv[3] = NULL;
	envp[0] = path_env;
	envp[1] = NULL;
	rc = spawn_start(d->spawn, d->conf.nsupdate, argv, envp, script,
	    (size_t)n, d->conf.timeout_ms + 1000, rfc2136_over, c, err, errlen);
	explicit_bzero(script, sizeof(script));
	return rc;
}
