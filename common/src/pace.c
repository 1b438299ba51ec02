/* pace.c -- the request classes of a CA, their Let's Encrypt defaults, and CERTFLEET_CA_<NAME>_PACE_<EP> and _GATE_NEW_ORDER settings. */
#include "pace.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"

#define PACE_VAR_MAX	96
#define PACE_VALUE_MAX	32

static const struct {
	const char	*var;
	const char	*name;
	int		 in_acme;
	double		 rate, burst;	/* Let's Encrypt, per IP */
} pace_eps[PACE_NEP] = {
	[PACE_NEW_NONCE] =	{ "NEW_NONCE", "newNonce", 0, 20, 10 },
	[PACE_NEW_ACCOUNT] =	{ "NEW_ACCOUNT", "newAccount", 0, 5, 15 },
	[PACE_NEW_ORDER] =	{ "NEW_ORDER", "newOrder", 0, 300, 200 },
	[PACE_CHALLENGE] =	{ "CHALLENGE", "challenge", 1, 0, 0 },
	[PACE_FINALIZE] =	{ "FINALIZE", "finalize", 1, 0, 0 },
	[PACE_POLL] =		{ "POLL", "poll", 1, 0, 0 },
	[PACE_RENEWAL_INFO] =	{ "RENEWAL_INFO", "renewalInfo", 0, 1000, 100 },
	[PACE_REVOKE_CERT] =	{ "REVOKE_CERT", "revokeCert", 0, 10, 100 },
	[PACE_OTHER] =		{ "OTHER", "other", 1, 0, 0 },
	[PACE_ACME] =		{ "ACME", "acme", 0, 250, 125 },
};

const char *
pace_ep_var(enum pace_ep ep)
{
	return (unsigned)ep < PACE_NEP ? pace_eps[ep].var : "?";
}

const char *
pace_ep_name(enum pace_ep ep)
{
	return (unsigned)ep < PACE_NEP ? pace_eps[ep].name : "?";
}

int
pace_ep_in_acme(enum pace_ep ep)
{
	return (unsigned)ep < PACE_NEP && pace_eps[ep].in_acme;
}

void
pace_defaults(struct pace_conf *c)
{
	size_t i;

	for (i = 0; i < PACE_NEP; i++) {
		c->ep[i].rate = pace_eps[i].rate;
		c->ep[i].burst = pace_eps[i].burst;
	}
	c->gate_new_order = 0;
}

static const char *
pace_getenv(void *arg, const char *name)
{
	const char *v = getenv(name);

	(void)arg;
	return v != NULL && v[0] != '\0' ? v : NULL;
}

/* Parses "RATE[:BURST]" into l. Returns 0, or -1. */
static int
pace_parse(const char *v, struct pace_limit *l)
{
	char buf[PACE_VALUE_MAX + 1], *colon, *end;
	double rate, burst;

	if (strlen(v) > PACE_VALUE_MAX)
		return -1;
	snprintf(buf, sizeof(buf), "%s", v);
	if ((colon = strchr(buf, ':')) != NULL)
		*colon = '\0';
	if (buf[0] < '0' || buf[0] > '9')
		return -1;
	rate = strtod(buf, &end);
	if (*end != '\0' || rate != rate || rate < 0 || rate > PACE_RATE_MAX)
		return -1;
	burst = rate < 1 ? 1 : (double)(long)rate;
	if (colon != NULL) {
		if (colon[1] < '0' || colon[1] > '9')
			return -1;
		burst = strtod(colon + 1, &end);
		if (*end != '\0' || burst < 1 || burst > PACE_RATE_MAX ||
		    burst != (double)(long)burst)
			return -1;
	}
	l->rate = rate;
	l->burst = rate > 0 ? burst : 0;
	return 0;
}

/* Reads CERTFLEET_CA_<NAME>_GATE_NEW_ORDER into c. Returns 0, or -1 with
 * err. */
static int
pace_gate_read(struct pace_conf *c, const char *ca_name,
    pace_lookup_fn *lookup, void *arg, char *err, size_t errlen)
{
	char var[PACE_VAR_MAX];
	const char *v;

	if (config_env_name(var, sizeof(var), "CERTFLEET_CA", ca_name,
	    "GATE_NEW_ORDER") < 0) {
		snprintf(err, errlen, "CA name \"%.32s\" makes no variable name",
		    ca_name);
		return -1;
	}
	if ((v = lookup(arg, var)) == NULL)
		return 0;
	if (strcmp(v, "0") != 0 && strcmp(v, "1") != 0) {
		snprintf(err, errlen, "%s must be 0 or 1 (1: newOrder requests "
		    "and authorization fetches never overlap at the CA), not "
		    "\"%.32s\"", var, v);
		return -1;
	}
	c->gate_new_order = v[0] == '1';
	return 0;
}

int
pace_conf_read(struct pace_conf *c, const char *ca_name,
    pace_lookup_fn *lookup, void *arg, char *err, size_t errlen)
{
	char var[PACE_VAR_MAX], what[32];
	const char *v;
	size_t i;

	pace_defaults(c);
	if (lookup == NULL)
		lookup = pace_getenv;
	if (pace_gate_read(c, ca_name, lookup, arg, err, errlen) < 0)
		return -1;
	for (i = 0; i < PACE_NEP; i++) {
		snprintf(what, sizeof(what), "PACE_%s", pace_eps[i].var);
		if (config_env_name(var, sizeof(var), "CERTFLEET_CA", ca_name,
		    what) < 0) {
			snprintf(err, errlen, "CA name \"%.32s\" makes no variable "
			    "name", ca_name);
			return -1;
		}
		if ((v = lookup(arg, var)) == NULL)
			continue;
		if (pace_parse(v, &c->ep[i]) < 0) {
			snprintf(err, errlen, "%s must be RATE[:BURST]: requests "
			    "per second (0 = no limit, up to %.0f) and an optional "
			    "whole burst of at least 1, not \"%.32s\"", var,
			    PACE_RATE_MAX, v);
			return -1;
		}
	}
	return 0;
}
