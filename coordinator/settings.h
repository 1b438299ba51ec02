/* settings.h -- the coordinator's configuration, read once from the environment. */
#ifndef CERTFLEET_COORD_SETTINGS_H
#define CERTFLEET_COORD_SETTINGS_H

#include <stdio.h>

#include "api_conf.h"
#include "retrysched.h"
#include "cas.h"
#include "keypool.h"
#include "keys.h"
#include "msgsig.h"
#include "netlist.h"
#include "prime_conf.h"
#include "odconf.h"

#define SETTINGS_MASTER_KEY_HEX	64	/* 32 bytes */

struct settings {
	const char	*pg;		/* CERTFLEET_PG */
	const char	*kafka;		/* KAFKA_BOOTSTRAP */
	const char	*redis_url;	/* REDIS_URL */
	char		 api_host[64];	/* from CERTFLEET_API_LISTEN */
	int		 api_port;
	struct api_conf	 apic;		/* TLS, limits (api/api_conf.h) */
	const char	*token;		/* CERTFLEET_TOKEN */
	const char	*worker_token;	/* CERTFLEET_WORKER_TOKEN */
	const char	*master_key;	/* CERTFLEET_MASTER_KEY, 64 hex chars */
	const char	*master_keys_open_only;	/* CERTFLEET_MASTER_KEYS_OPEN_ONLY
						 * or NULL (vault.h) */
	const char	*ca_name;	/* the default CA (cas.def) */
	const char	*acme_directory; /* its directory */
	const char	*contact;	/* CERTFLEET_ACME_CONTACT or NULL */
	long		 prime_db;	/* CERTFLEET_REDIS_PRIME_DB */
	struct retrysched retry_sched;	/* CERTFLEET_RETRY_BACKOFF */
	struct retrysched renew_sched;	/* CERTFLEET_RENEW_BACKOFF */
	long		 sweep_lease_s;	/* CERTFLEET_SWEEP_LEASE_S */
	long		 drain_ms;	/* CERTFLEET_SCHEDULE_DRAIN_MS */
	long		 outbox_keep_s;	/* CERTFLEET_OUTBOX_RETENTION_S */
	long		 idem_keep_s;	/* CERTFLEET_IDEMPOTENCY_RETENTION_S */
	long		 events_keep_s;	/* CERTFLEET_PROCESSED_EVENTS_RETENTION_S */
	long		 hits_keep_s;	/* CERTFLEET_RATE_LIMIT_HITS_RETENTION_S */
	enum keys_type	 key_type;	/* CERTFLEET_KEY_TYPE */
	struct cas_conf	 cas;		/* every CA (cas.h) */
	enum keys_type	 account_key_type; /* CERTFLEET_ACCOUNT_KEY_TYPE */
	const char	*preferred_chain; /* CERTFLEET_PREFERRED_CHAIN or NULL */
	struct prime_conf prime;	/* CERTFLEET_PRIME_*: targets, style, TTL */
	/* peter_sslers edges (api/api_edge.c, edge/expire.c) */
	struct netlist	 edge_networks;	/* CERTFLEET_EDGE_NETWORKS; n 0: unset */
	const char	*ps_edges;	/* CERTFLEET_PETER_SSLERS_EDGES or NULL */
	const char	*ps_expire_path; /* CERTFLEET_PETER_SSLERS_EXPIRE_PATH */
	int		 ps_expire_all;	/* CERTFLEET_PETER_SSLERS_EXPIRE all (default) */
	/* the API's threads and connections, the key pool (api/api.c,
	 * store/pgpool.c, store/keypool.c) */
	int		 api_threads;	/* CERTFLEET_API_THREADS */
	int		 pg_pool;	/* CERTFLEET_PG_POOL */
	int		 pg_pool_wait_ms; /* CERTFLEET_PG_POOL_WAIT_MS */
	struct keypool_sizes key_pool;	/* CERTFLEET_KEY_POOL_<TYPE> */
	struct odconf	 od;		/* on-demand issuance (ondemand/odconf.h) */
	/* signed messages (msgsig.h): the files, and the keys main.c loads */
	const char	*job_signing_key;	/* CERTFLEET_JOB_SIGNING_KEY_FILE */
	const char	*job_signing_pass;	/* ..._PASSWORD_FILE or NULL */
	const char	*event_verify_keys;	/* CERTFLEET_EVENT_VERIFY_KEYS_FILE */
	long		 job_ttl_s;		/* CERTFLEET_JOB_TTL_S */
	struct msgsig_signer	*job_signer;	/* signs every job published */
	struct msgsig_verifier	*event_keys;	/* workers' keys: events */
};

/* Fills s from the environment. When need_daemon is 0 only what `migrate`
 * needs (CERTFLEET_PG) is required. The key files are named, not read:
 * settings_keys loads them. Returns 0, or -1 with a message naming
 * the variable in err. The strings point into the environment. */
int settings_load(struct settings *s, int need_daemon, char *err,
    size_t errlen);

/* Loads the job signing key and the event verifying keys of the files s
 * names into s->job_signer and s->event_keys. Returns 0, or -1 with a
 * message in err (never key material). settings_keys_free frees them. */
int settings_keys(struct settings *s, char *err, size_t errlen);
void settings_keys_free(struct settings *s);

/* Prints the documentation of every variable. */
void settings_usage(FILE *f);

#endif
