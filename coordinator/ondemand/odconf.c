/* odconf.c -- reads and checks the on-demand settings. */
#include "odconf.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "config.h"

/* The webhook URL: https://host[:port][/path][?query], no fragment. */
static int
odconf_url(const char *v)
{
	char *scheme = NULL, *host = NULL;
	CURLU *u;
	int ok = 0;

	if (strlen(v) > ODCONF_URL_MAX || strpbrk(v, "# \t\r\n") != NULL ||
	    (u = curl_url()) == NULL)
		return 0;
	if (curl_url_set(u, CURLUPART_URL, v, 0) == CURLUE_OK &&
	    curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) == CURLUE_OK &&
	    strcmp(scheme, "https") == 0 &&
	    curl_url_get(u, CURLUPART_HOST, &host, 0) == CURLUE_OK &&
	    host[0] != '\0')
		ok = 1;
	curl_free(scheme);
	curl_free(host);
	curl_url_cleanup(u);
	return ok;
}

int
odconf_load(struct odconf *c, char *err, size_t errlen)
{
	memset(c, 0, sizeof(*c));
	if (config_long("CERTFLEET_ON_DEMAND_DENY_TTL", 3600, 1, 30 * 86400,
	    &c->deny_ttl_s, err, errlen) < 0 ||
	    config_long("CERTFLEET_ON_DEMAND_PER_MINUTE", 60, 0, 1000000,
	    &c->per_minute, err, errlen) < 0 ||
	    config_long("CERTFLEET_ON_DEMAND_MAX_PENDING", 100, 0, 1000000,
	    &c->max_pending, err, errlen) < 0 ||
	    config_long("CERTFLEET_ON_DEMAND_ASK_TIMEOUT_MS", 2000, 100, 60000,
	    &c->ask_timeout_ms, err, errlen) < 0 ||
	    config_long("CERTFLEET_ON_DEMAND_ASK_CACHE", 300, 0, 30 * 86400,
	    &c->ask_cache_s, err, errlen) < 0 ||
	    config_long("CERTFLEET_ON_DEMAND_ASK_ERROR_TTL", 30, 1, 86400,
	    &c->ask_error_ttl_s, err, errlen) < 0 ||
	    config_long("CERTFLEET_ON_DEMAND_AUTOCERT_WAIT_MS", 0, 0, 30000,
	    &c->autocert_wait_ms, err, errlen) < 0)
		return -1;
	c->ask_url = config_str("CERTFLEET_ON_DEMAND_ASK_URL", NULL);
	if (c->ask_url != NULL && !odconf_url(c->ask_url)) {
		snprintf(err, errlen, "CERTFLEET_ON_DEMAND_ASK_URL must be an "
		    "https:// URL of at most %d bytes, without a fragment",
		    ODCONF_URL_MAX);
		return -1;
	}
	c->ask_ca_file = config_str("CERTFLEET_ON_DEMAND_ASK_CA_FILE", NULL);
	c->edge_token = config_str("CERTFLEET_EDGE_TOKEN", NULL);
	if (c->edge_token != NULL && strlen(c->edge_token) < ODCONF_TOKEN_MIN) {
		snprintf(err, errlen, "CERTFLEET_EDGE_TOKEN must be at least %d "
		    "characters", ODCONF_TOKEN_MIN);
		return -1;
	}
	return 0;
}

void
odconf_usage(FILE *f)
{
	fprintf(f,
	    "on-demand issuance (edges ask for unknown names; see README.md):\n"
	    "  CERTFLEET_EDGE_TOKEN    bearer token edges send on /edge/v1 (at\n"
	    "                          least 16 characters); with\n"
	    "                          CERTFLEET_EDGE_NETWORKS set too, both must\n"
	    "                          pass; neither set: /edge/v1 answers 403\n"
	    "  CERTFLEET_ON_DEMAND_DENY_TTL seconds a refused name is not judged\n"
	    "                          again (default 3600); edges read the\n"
	    "                          refusal from Redis and do not ask\n"
	    "  CERTFLEET_ON_DEMAND_PER_MINUTE new on-demand orders per minute, all\n"
	    "                          tenants together (default 60, 0: no limit)\n"
	    "  CERTFLEET_ON_DEMAND_MAX_PENDING on-demand certificates pending at\n"
	    "                          once (default 100, 0: no limit); names over\n"
	    "                          a limit wait in a queue, oldest first\n"
	    "  CERTFLEET_ON_DEMAND_ASK_URL https:// webhook asked about each name\n"
	    "                          the allow-list allows: GET <url>?domain=\n"
	    "                          <name>&tenant=<tenant>; 200 allows, any\n"
	    "                          other answer, an error or a timeout refuses\n"
	    "                          (unset: the allow-list decides alone)\n"
	    "  CERTFLEET_ON_DEMAND_ASK_CA_FILE CAs that may sign the webhook's\n"
	    "                          certificate (default: the system's)\n"
	    "  CERTFLEET_ON_DEMAND_ASK_TIMEOUT_MS the webhook's time to answer\n"
	    "                          (default 2000)\n"
	    "  CERTFLEET_ON_DEMAND_ASK_CACHE seconds a webhook answer is reused\n"
	    "                          (default 300; a \"no\" also keeps the name\n"
	    "                          refused that long)\n"
	    "  CERTFLEET_ON_DEMAND_ASK_ERROR_TTL seconds a name stays refused after\n"
	    "                          the webhook failed or timed out (default 30)\n"
	    "  CERTFLEET_ON_DEMAND_AUTOCERT_WAIT_MS how long peter_sslers' autocert\n"
	    "                          request is held for a new name's decision\n"
	    "                          and certificate before the 404 (default 0:\n"
	    "                          answer at once; the API thread is held)\n");
}
