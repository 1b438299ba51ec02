/* dns.c -- the dns-01 provider interface: settings, argument checks, dispatch to the provider files, and the calls that run as children (a withdrawal waits for its record's begin). */
#include "dns_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "log.h"

static int
dns_ldh(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
	    (c >= '0' && c <= '9') || c == '-';
}

static int
dns_b64url(const char *s, size_t min, size_t max)
{
	size_t i, n = strnlen(s, max + 1);

	if (n < min || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (!dns_ldh(s[i]) && s[i] != '_')
			return 0;
	return 1;
}

int
dns_args_ok(const char *name, const char *token, const char *txt)
{
	size_t i, n;

	if (name == NULL || token == NULL || txt == NULL)
		return 0;
	n = strnlen(name, DNS_NAME_MAX + 1);
	if (n == 0 || n > DNS_NAME_MAX || name[0] == '.' || name[0] == '-' ||
	    name[n - 1] == '.' || strstr(name, "..") != NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (!dns_ldh(name[i]) && name[i] != '.')
			return 0;
	return dns_b64url(token, 1, DNS_TOKEN_MAX) &&
	    dns_b64url(txt, DNS_TXT_LEN, DNS_TXT_LEN);
}

static int
dns_dup(const char *s, const char **dst)
{
	if (s == NULL || s[0] == '\0') {
		*dst = NULL;
		return 0;
	}
	return (*dst = strdup(s)) == NULL ? -1 : 0;
}

static void
dns_call_free(struct dns_call *c)
{
	if (c == NULL)
		return;
	free(c->name);
	free(c->token);
	free(c->txt);
	free(c->tag);
	free(c);
}

void
dns_free(struct dns *d)
{
	struct dns_conf *c;
	struct dns_call *k;

	if (d == NULL)
		return;
	c = &d->conf;
	spawn_free(d->spawn);	/* kills the children: no callback runs */
	while ((k = d->calls) != NULL) {
		d->calls = k->next;
		dns_call_free(k->then);
		dns_call_free(k);
	}
	dns_cts_free(d);
	free((char *)c->provider);
	free((char *)c->mgmt_url);
	free((char *)c->hook);
	free((char *)c->nsupdate);
	free((char *)c->server);
	free((char *)c->zone);
	free((char *)c->key_name);
	free((char *)c->key_alg);
	if (c->key_secret != NULL) {
		explicit_bzero((char *)c->key_secret, strlen(c->key_secret));
		free((char *)c->key_secret);
	}
	free(d);
}

struct dns *
dns_new(const struct dns_conf *conf, char *err, size_t errlen)
{
	struct dns *d = NULL;
	struct dns_conf *c;
	char probe[DNS_SCRIPT_MAX];

	if (conf->provider == NULL) {
		snprintf(err, errlen, "dns: no provider");
		return NULL;
	}
	if ((d = calloc(1, sizeof(*d))) == NULL)
		goto oom;
	c = &d->conf;
	if (dns_dup(conf->provider, &c->provider) < 0 ||
	    dns_dup(conf->mgmt_url, &c->mgmt_url) < 0 ||
	    dns_dup(conf->hook, &c->hook) < 0 ||
	    dns_dup(conf->nsupdate != NULL ? conf->nsupdate : "/usr/bin/nsupdate",
	    &c->nsupdate) < 0 ||
	    dns_dup(conf->server, &c->server) < 0 ||
	    dns_dup(conf->zone, &c->zone) < 0 ||
	    dns_dup(conf->key_name, &c->key_name) < 0 ||
	    dns_dup(conf->key_alg != NULL ? conf->key_alg : "hmac-sha256",
	    &c->key_alg) < 0 ||
	    dns_dup(conf->key_secret, &c->key_secret) < 0)
		goto oom;
	c->timeout_ms = conf->timeout_ms > 0 ? conf->timeout_ms :
	    DNS_TIMEOUT_MS_DEFAULT;
	c->port = conf->port > 0 ? conf->port : 53;
	c->ttl = conf->ttl > 0 ? conf->ttl : 60;

	if (strcmp(c->provider, "challtestsrv") == 0) {
		d->kind = DNS_CHALLTESTSRV;
		if (c->mgmt_url == NULL || strncmp(c->mgmt_url, "http", 4) != 0) {
			snprintf(err, errlen, "dns: challtestsrv needs its "
			    "management URL");
			goto fail;
		}
	} else if (strcmp(c->provider, "hook") == 0) {
		d->kind = DNS_HOOK;
		if (c->hook == NULL || c->hook[0] != '/') {
			snprintf(err, errlen, "dns: hook needs the absolute path "
			    "of an executable");
			goto fail;
		}
	} else if (strcmp(c->provider, "rfc2136") == 0) {
		d->kind = DNS_RFC2136;
		/* A probe script checks server, zone and key for the script's
		 * charset before the first update. */
		if (c->nsupdate[0] != '/' || dns_rfc2136_script(c, 1,
		    "probe.invalid", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		    probe, sizeof(probe)) < 0) {
			explicit_bzero(probe, sizeof(probe));
			snprintf(err, errlen, "dns: rfc2136 needs a server, a TSIG "
			    "key name, algorithm and secret of plain characters, "
			    "and an absolute nsupdate path");
			goto fail;
		}
		explicit_bzero(probe, sizeof(probe));
	} else {
		snprintf(err, errlen, "dns: unknown provider \"%.32s\" "
		    "(challtestsrv, hook or rfc2136)", c->provider);
		goto fail;
	}
	if (d->kind != DNS_CHALLTESTSRV && (d->spawn = spawn_new()) == NULL)
		goto oom;
	return d;
oom:
	snprintf(err, errlen, "dns: out of memory");
fail:
	dns_free(d);
	return NULL;
}

int
dns_from_env(struct dns **out, char *err, size_t errlen)
{
	struct dns_conf c;
	long timeout, port, ttl;

	*out = NULL;
	memset(&c, 0, sizeof(c));
	if ((c.provider = config_str("CERTFLEET_DNS_PROVIDER", NULL)) == NULL)
		return 0;
	if (config_long("CERTFLEET_DNS_TIMEOUT_S", 10, 1, 300, &timeout, err,
	    errlen) < 0 ||
	    config_long("CERTFLEET_DNS_PORT", 53, 1, 65535, &port, err,
	    errlen) < 0 ||
	    config_long("CERTFLEET_DNS_TTL", 60, 1, 86400, &ttl, err,
	    errlen) < 0)
		return -1;
	c.timeout_ms = (int)timeout * 1000;
	c.port = (int)port;
	c.ttl = (int)ttl;
	c.mgmt_url = config_str("CERTFLEET_DNS_CHALLTESTSRV",
	    config_str("CHALLTESTSRV_MGMT", NULL));
	c.hook = config_str("CERTFLEET_DNS_HOOK", NULL);
	c.nsupdate = config_str("CERTFLEET_DNS_NSUPDATE", NULL);
	c.server = config_str("CERTFLEET_DNS_SERVER", NULL);
	c.zone = config_str("CERTFLEET_DNS_ZONE", NULL);
	c.key_name = config_str("CERTFLEET_DNS_TSIG_NAME", NULL);
	c.key_alg = config_str("CERTFLEET_DNS_TSIG_ALGORITHM", NULL);
	c.key_secret = config_str("CERTFLEET_DNS_TSIG_SECRET", NULL);
	if ((*out = dns_new(&c, err, errlen)) == NULL)
		return -1;
	return 1;
}

const char *
dns_provider_name(const struct dns *d)
{
	return d->conf.provider;
}

const char *
dns_verb_name(enum dns_verb v)
{
	return v == DNS_BEGIN ? "begin" : v == DNS_DONE ? "done" : "failed";
}

/* A call of verb for the record, not linked yet; NULL when memory runs
 * out. */
static struct dns_call *
dns_call_new(struct dns *d, enum dns_verb verb, const char *name,
    const char *token, const char *txt, const char *tag)
{
	struct dns_call *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->d = d;
	c->verb = verb;
	if ((c->name = strdup(name)) == NULL ||
	    (c->token = strdup(token)) == NULL ||
	    (c->txt = strdup(txt)) == NULL ||
	    (tag != NULL && (c->tag = strdup(tag)) == NULL)) {
		dns_call_free(c);
		return NULL;
	}
	return c;
}

/* Starts c's child and links c. Returns 0, or -1 with err (c not linked). */
static int
dns_call_start(struct dns_call *c, char *err, size_t errlen)
{
	struct dns *d = c->d;
	int rc;

	rc = d->kind == DNS_HOOK ? dns_hook_start(d, c, err, errlen) :
	    dns_rfc2136_start(d, c, err, errlen);
	if (rc < 0)
		return -1;
	c->started = 1;
	c->next = d->calls;
	d->calls = c;
	return 0;
}

/* Logs how a withdrawal went. */
static void
dns_log_end(const struct dns_call *c, int ok, const char *err)
{
	if (ok)
		log_info("%s: dns-01 TXT record at _acme-challenge.%s removed "
		    "(%s)", c->tag != NULL ? c->tag : "dns", c->name,
		    dns_verb_name(c->verb));
	else
		log_warn("%s: TXT record at _acme-challenge.%s not removed: %s",
		    c->tag != NULL ? c->tag : "dns", c->name, err);
}

void
dns_call_over(struct dns_call *c, int ok, const char *err)
{
	struct dns *d = c->d;
	struct dns_call **pp, *then = c->then;
	char e[512];

	for (pp = &d->calls; *pp != NULL && *pp != c; pp = &(*pp)->next)
		;
	if (*pp == c)
		*pp = c->next;
	if (c->verb != DNS_BEGIN)
		dns_log_end(c, ok, err);
	else if (c->done != NULL)
		c->done(c->arg, c->name, c->token, c->txt, ok, err);
	dns_call_free(c);
	if (then != NULL && dns_call_start(then, e, sizeof(e)) < 0) {
		dns_log_end(then, 0, e);
		dns_call_free(then);
	}
}

int
dns_begin(struct dns *d, const char *name, const char *token,
    const char *txt, dns_done_fn *done, void *arg, char *err, size_t errlen)
{
	struct dns_call *c;

	if (!dns_args_ok(name, token, txt)) {
		snprintf(err, errlen, "dns: bad name, token or TXT value");
		return -1;
	}
	if (d->kind == DNS_CHALLTESTSRV)
		return dns_cts_begin(d, name, txt, err, errlen);
	if ((c = dns_call_new(d, DNS_BEGIN, name, token, txt, NULL)) == NULL) {
		snprintf(err, errlen, "dns: out of memory");
		return -1;
	}
	c->done = done;
	c->arg = arg;
	if (dns_call_start(c, err, errlen) < 0) {
		dns_call_free(c);
		return -1;
	}
	return 1;
}

/* The begin of this record still running, or NULL. */
static struct dns_call *
dns_running_begin(struct dns *d, const char *name, const char *token,
    const char *txt)
{
	struct dns_call *c;

	for (c = d->calls; c != NULL; c = c->next)
		if (c->verb == DNS_BEGIN && c->then == NULL &&
		    strcmp(c->name, name) == 0 && strcmp(c->token, token) == 0 &&
		    strcmp(c->txt, txt) == 0)
			return c;
	return NULL;
}

static int
dns_end(struct dns *d, enum dns_verb verb, const char *name,
    const char *token, const char *txt, const char *tag, char *err,
    size_t errlen)
{
	struct dns_call *c, *b;

	if (!dns_args_ok(name, token, txt)) {
		snprintf(err, errlen, "dns: bad name, token or TXT value");
		return -1;
	}
	if (d->kind == DNS_CHALLTESTSRV) {
		if (dns_cts_end(d, name, err, errlen) < 0)
			return -1;
		log_info("%s: dns-01 TXT record at _acme-challenge.%s removed "
		    "(%s)", tag != NULL ? tag : "dns", name,
		    dns_verb_name(verb));
		return 0;
	}
	if ((c = dns_call_new(d, verb, name, token, txt, tag)) == NULL) {
		snprintf(err, errlen, "dns: out of memory");
		return -1;
	}
	/* Withdrawn while its begin runs: the begin's outcome no longer
	 * matters to anyone, and the withdrawal must come after it. */
	if ((b = dns_running_begin(d, name, token, txt)) != NULL) {
		b->done = NULL;
		b->then = c;
		return 0;
	}
	if (dns_call_start(c, err, errlen) < 0) {
		dns_call_free(c);
		return -1;
	}
	return 0;
}

int
dns_done(struct dns *d, const char *name, const char *token,
    const char *txt, const char *tag, char *err, size_t errlen)
{
	return dns_end(d, DNS_DONE, name, token, txt, tag, err, errlen);
}

int
dns_failed(struct dns *d, const char *name, const char *token,
    const char *txt, const char *tag, char *err, size_t errlen)
{
	return dns_end(d, DNS_FAILED, name, token, txt, tag, err, errlen);
}

void
dns_forget(struct dns *d, void *arg)
{
	struct dns_call *c;

	for (c = d->calls; c != NULL; c = c->next)
		if (c->arg == arg)
			c->done = NULL;
}

size_t
dns_pending(const struct dns *d)
{
	return d->spawn != NULL ? spawn_pending(d->spawn) : 0;
}

size_t
dns_fds(const struct dns *d, struct pollfd *fds, size_t n, int *timeout_ms)
{
	return d->spawn != NULL ? spawn_fds(d->spawn, fds, n, timeout_ms) : 0;
}

void
dns_process(struct dns *d, const struct pollfd *fds, size_t n)
{
	if (d->spawn != NULL)
		spawn_process(d->spawn, fds, n);
}

void
dns_drain(struct dns *d, int timeout_ms)
{
	if (d->spawn != NULL)
		spawn_drain(d->spawn, timeout_ms);
}
