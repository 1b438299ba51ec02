/* odconf.h -- the settings of on-demand issuance (CERTFLEET_ON_DEMAND_*, CERTFLEET_EDGE_TOKEN), read once from the environment. */
#ifndef CERTFLEET_COORD_ODCONF_H
#define CERTFLEET_COORD_ODCONF_H

#include <stddef.h>
#include <stdio.h>

#define ODCONF_URL_MAX		1024	/* bytes of the webhook URL */
#define ODCONF_TOKEN_MIN	16	/* bytes of CERTFLEET_EDGE_TOKEN */

struct odconf {
	long		 deny_ttl_s;	/* CERTFLEET_ON_DEMAND_DENY_TTL */
	long		 per_minute;	/* CERTFLEET_ON_DEMAND_PER_MINUTE, 0: none */
	long		 max_pending;	/* CERTFLEET_ON_DEMAND_MAX_PENDING, 0: none */
	const char	*ask_url;	/* CERTFLEET_ON_DEMAND_ASK_URL or NULL */
	const char	*ask_ca_file;	/* CERTFLEET_ON_DEMAND_ASK_CA_FILE or NULL */
	long		 ask_timeout_ms; /* CERTFLEET_ON_DEMAND_ASK_TIMEOUT_MS */
	long		 ask_cache_s;	/* CERTFLEET_ON_DEMAND_ASK_CACHE */
	long		 ask_error_ttl_s; /* CERTFLEET_ON_DEMAND_ASK_ERROR_TTL */
	long		 autocert_wait_ms; /* CERTFLEET_ON_DEMAND_AUTOCERT_WAIT_MS */
	const char	*edge_token;	/* CERTFLEET_EDGE_TOKEN or NULL */
};

/* Fills c from the environment, with the defaults of odconf_usage. Returns
 * 0, or -1 with a message naming the variable in err (never its value: the
 * URL and the token may hold secrets). The strings point into the
 * environment. */
int odconf_load(struct odconf *c, char *err, size_t errlen);

/* Prints the documentation of every variable, as settings_usage does. */
void odconf_usage(FILE *f);

#endif
