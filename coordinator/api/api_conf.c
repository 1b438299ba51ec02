/* api_conf.c -- reads the API's TLS, connection limit and timeout settings. */
#include "api_conf.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "config.h"

int
api_conf_loopback(const char *host)
{
	struct in_addr in;

	if (inet_pton(AF_INET, host, &in) != 1)
		return 0;
	return (ntohl(in.s_addr) >> 24) == 127;
}

/* A PEM file setting that must name a readable file when set. */
static int
api_conf_file(const char *name, const char **out, char *err, size_t errlen)
{
	*out = config_str(name, NULL);
	if (*out != NULL && access(*out, R_OK) != 0) {
		snprintf(err, errlen, "%s: cannot read %s", name, *out);
		return -1;
	}
	return 0;
}

int
api_conf_load(struct api_conf *c, const char *host, char *err, size_t errlen)
{
	const char *mode = config_str("CERTFLEET_API_TLS", "auto");

	memset(c, 0, sizeof(*c));
	if (strcmp(mode, "on") == 0)
		c->tls = 1;
	else if (strcmp(mode, "auto") == 0)
		c->tls = !api_conf_loopback(host);
	else if (strcmp(mode, "off") != 0) {
		snprintf(err, errlen, "CERTFLEET_API_TLS must be on, off or auto");
		return -1;
	}
	if (api_conf_file("CERTFLEET_API_TLS_CERT_FILE", &c->cert_file, err,
	    errlen) < 0 || api_conf_file("CERTFLEET_API_TLS_KEY_FILE",
	    &c->key_file, err, errlen) < 0 ||
	    api_conf_file("CERTFLEET_API_CLIENT_CA_FILE", &c->client_ca_file,
	    err, errlen) < 0)
		return -1;
	if (c->tls && (c->cert_file == NULL || c->key_file == NULL)) {
		snprintf(err, errlen, "the API serves HTTPS on %s (CERTFLEET_API_TLS "
		    "%s): CERTFLEET_API_TLS_CERT_FILE and CERTFLEET_API_TLS_KEY_FILE "
		    "must be set (or CERTFLEET_API_TLS=off)", host, mode);
		return -1;
	}
	if (!c->tls && c->client_ca_file != NULL) {
		snprintf(err, errlen, "CERTFLEET_API_CLIENT_CA_FILE needs TLS on "
		    "(CERTFLEET_API_TLS)");
		return -1;
	}
	return config_long("CERTFLEET_API_PER_IP_CONNECTIONS",
	    API_CONF_PER_IP_DEFAULT, 1, API_CONF_PER_IP_MAX, &c->per_ip, err,
	    errlen) < 0 || config_long("CERTFLEET_API_TIMEOUT_S",
	    API_CONF_TIMEOUT_DEFAULT, 1, API_CONF_TIMEOUT_MAX, &c->timeout_s, err,
	    errlen) < 0 || config_long("CERTFLEET_API_TLS_RELOAD_S",
	    API_CONF_RELOAD_DEFAULT, 0, API_CONF_RELOAD_MAX, &c->reload_s, err,
	    errlen) < 0 ? -1 : 0;
}
