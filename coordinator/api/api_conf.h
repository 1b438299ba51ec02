/* api_conf.h -- the API's transport settings: TLS (certificate, key, client CA for /internal), per-address connection limit and request timeout. */
#ifndef CERTFLEET_COORD_API_CONF_H
#define CERTFLEET_COORD_API_CONF_H

#include <stddef.h>

#define API_CONF_PER_IP_DEFAULT		32	/* connections per client address */
#define API_CONF_PER_IP_MAX		4096
#define API_CONF_TIMEOUT_DEFAULT	30	/* seconds a connection may idle */
#define API_CONF_TIMEOUT_MAX		3600
#define API_CONF_CONNECTIONS		256	/* connections in all */
#define API_CONF_RELOAD_DEFAULT		60	/* seconds between TLS file checks */
#define API_CONF_RELOAD_MAX		86400

struct api_conf {
	int		 tls;		/* 1: HTTPS (CERTFLEET_API_TLS) */
	const char	*cert_file;	/* CERTFLEET_API_TLS_CERT_FILE */
	const char	*key_file;	/* CERTFLEET_API_TLS_KEY_FILE */
	const char	*client_ca_file; /* CERTFLEET_API_CLIENT_CA_FILE or NULL */
	long		 per_ip;	/* CERTFLEET_API_PER_IP_CONNECTIONS */
	long		 timeout_s;	/* CERTFLEET_API_TIMEOUT_S */
	long		 reload_s;	/* CERTFLEET_API_TLS_RELOAD_S (0: SIGHUP only) */
};

/* Reads the settings; host is the listen address (TLS is on by default
 * when it is not loopback: 127.0.0.0/8). Returns 0, or -1 with a message
 * naming the variable in err. */
int api_conf_load(struct api_conf *c, const char *host, char *err,
    size_t errlen);

/* 1 when host (IPv4 text) is in 127.0.0.0/8. */
int api_conf_loopback(const char *host);

#define API_CONF_USAGE \
	"  CERTFLEET_API_TLS       on, off or auto (default): HTTPS on the API;\n" \
	"                          auto is on unless CERTFLEET_API_LISTEN is a\n" \
	"                          loopback address (127.0.0.0/8). With TLS on,\n" \
	"                          plain HTTP gets no answer\n" \
	"  CERTFLEET_API_TLS_CERT_FILE, CERTFLEET_API_TLS_KEY_FILE  the server's\n" \
	"                          certificate (PEM, chain after the leaf) and\n" \
	"                          its key (required with TLS on). Both are read\n" \
	"                          again on SIGHUP and every\n" \
	"                          CERTFLEET_API_TLS_RELOAD_S seconds (default 60,\n" \
	"                          0: on SIGHUP only); a changed pair whose key\n" \
	"                          matches its certificate serves the next\n" \
	"                          handshakes, anything else is logged and the\n" \
	"                          pair in use stays\n" \
	"  CERTFLEET_API_CLIENT_CA_FILE CA certificates (PEM): with TLS on,\n" \
	"                          /internal/v1 also requires a client\n" \
	"                          certificate signed by one of them (workers:\n" \
	"                          CERTFLEET_API_CLIENT_CERT_FILE, _KEY_FILE);\n" \
	"                          read at start only\n" \
	"  CERTFLEET_API_PER_IP_CONNECTIONS connections one client address may\n" \
	"                          hold open (default 32, 1-4096; 256 in all)\n" \
	"  CERTFLEET_API_TIMEOUT_S seconds a connection may stay idle or take to\n" \
	"                          send its request (default 30, 1-3600)\n"

#endif
