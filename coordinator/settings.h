/* settings.h -- the coordinator's configuration, read once from the environment. */
#ifndef CERTFLEET_COORD_SETTINGS_H
#define CERTFLEET_COORD_SETTINGS_H

#include <stdio.h>

#include "backoff.h"
#include "cas.h"
#include "keys.h"

#define SETTINGS_MASTER_KEY_HEX	64	/* 32 bytes */

struct settings {
	const char	*pg;		/* CERTFLEET_PG */
	const char	*kafka;		/* KAFKA_BOOTSTRAP */
	const char	*redis_url;	/* REDIS_URL */
	char		 api_host[64];	/* from CERTFLEET_API_LISTEN */
	int		 api_port;
	const char	*token;		/* CERTFLEET_TOKEN */
	const char	*worker_token;	/* CERTFLEET_WORKER_TOKEN */
	const char	*master_key;	/* CERTFLEET_MASTER_KEY, 64 hex chars */
	const char	*ca_name;	/* the default CA (cas.def) */
	const char	*acme_directory; /* its directory */
	const char	*contact;	/* CERTFLEET_ACME_CONTACT or NULL */
	long		 prime_db;	/* CERTFLEET_REDIS_PRIME_DB */
	long		 retry_max;	/* CERTFLEET_RETRY_MAX, 0: no limit */
	struct backoff	 backoff;	/* CERTFLEET_RETRY_BACKOFF */
	enum keys_type	 key_type;	/* CERTFLEET_KEY_TYPE */
	struct cas_conf	 cas;		/* every CA (cas.h) */
	enum keys_type	 account_key_type; /* CERTFLEET_ACCOUNT_KEY_TYPE */
	const char	*preferred_chain; /* CERTFLEET_PREFERRED_CHAIN or NULL */
};

/* Fills s from the environment. When need_daemon is 0 only what `migrate`
 * needs (CERTFLEET_PG) is required. Returns 0, or -1 with a message naming
 * the variable in err. The strings point into the environment. */
int settings_load(struct settings *s, int need_daemon, char *err,
    size_t errlen);

/* Prints the documentation of every variable. */
void settings_usage(FILE *f);

#endif
