/* enroll.h -- a request for a certificate: validation of the API body, then key, CSR and one transaction. */
#ifndef CERTFLEET_COORD_ENROLL_H
#define CERTFLEET_COORD_ENROLL_H

#include <stddef.h>

#include <libpq-fe.h>

#include "ids.h"
#include "keys.h"
#include "settings.h"
#include "vault.h"

#define ENROLL_MAX_NAMES 100
#define ENROLL_CHAIN_NAME_MAX 256	/* preferred_chain */

struct enroll_request {
	char		**names;	/* normalized, sorted, unique */
	size_t		  nnames;
	enum keys_type	  key_type;
	const char	 *challenge;	/* "http-01" or "dns-01" (static) */
	char		 *ca;		/* "ca": CA name, NULL: the default CA */
	char		**fallback;	/* "fallback": CA names tried next, in order */
	size_t		  nfallback;
	char		 *preferred_chain;	/* issuer CN, or NULL */
	char		  profile[65];	/* newOrder profile, "" for the CA's default */
	int		  force;	/* "force": a new certificate even when a
					 * live one has this name set */
	char		  tenant[64];	/* "tenant", "" for none */
	char		 *labels;	/* "labels" as canonical JSON, or NULL */
	int		  priority;	/* its orders' (order.h); never from
					 * the API body: on-demand sets 1 */
};

#define ENROLL_LABELS_MAX	32	/* labels on one certificate */
#define ENROLL_LABEL_KEY_MAX	63	/* [a-z0-9._/-], starting with a letter or digit */
#define ENROLL_LABEL_VALUE_MAX	256	/* printable UTF-8, no control characters */

/* Parses and validates an API body {"hostnames": [...], "key_type": ...,
 * "challenge": ..., "ca": ..., "fallback": [...], "preferred_chain": ...,
 * "profile": ..., "force": bool, "tenant": NAME, "labels": {KEY: VALUE}} (profile optional: 1-64 of [A-Za-z0-9._-], checked
 * against the CA's meta.profiles by the worker):
 * JSON object, known fields only, 1-ENROLL_MAX_NAMES strings, every one a
 * valid hostname (normalized, then de-duplicated), key_type one of
 * KEYS_TYPE_NAMES (def when absent), challenge "http-01" (default) or
 * "dns-01"; wildcard names ("*.example.com") only with dns-01; optional "ca"
 * (a CA name) and "fallback" (an array of CA names, at most
 * CAS_LIST_MAX - 1); preferred_chain an issuer common name of
 * 1-ENROLL_CHAIN_NAME_MAX printable bytes (optional). Pure: touches nothing
 * else.
 * Returns 0 with req filled (release with enroll_request_free), or -1 with
 * a message for the client in err, naming the bad name or field. */
int enroll_parse(const char *body, size_t len, enum keys_type def,
    struct enroll_request *req, char *err, size_t errlen);
void enroll_request_free(struct enroll_request *req);

/* The registered domains (public suffix + 1 label, libpsl) of names, sorted
 * and unique, as a PostgreSQL array literal for the per-domain budget.
 * Returns NULL when memory runs out. */
char *enroll_domains_literal(char *const *names, size_t n);

/* Checks the request's CA names against the configured CAs (cas.h): every
 * one must exist, and none may appear twice in ca + fallback. Returns 0, or
 * -1 with a message for the client in err. */
int enroll_check_cas(const struct enroll_request *req, const struct settings *s,
    char *err, size_t errlen);

/* Finds a live certificate (pending or issued) of exactly req's name set.
 * Returns 1 with its id and status, 0 when there is none, -1 with err. */
int enroll_find_live(PGconn *c, const struct enroll_request *req,
    char id[IDS_LEN + 1], char status[16], char *err, size_t errlen);

/* The live certificate of a name set, as enroll_find_live finds it; id ""
 * when there is none. */
struct enroll_live {
	char	id[IDS_LEN + 1];
	char	status[16];
};

/* enroll_find_live of every reqs[0..n) in one query: live[i] for reqs[i].
 * Returns 0, or -1 with err. */
int enroll_find_live_many(PGconn *c, const struct enroll_request *const *reqs,
    size_t n, struct enroll_live *live, char *err, size_t errlen);

/* Takes the key from the key pool (keypool.h) when s pools req->key_type
 * and it has one, else generates it (either before the transaction, so that
 * no lock is held while a key is made: a pooled key taken by an enrollment
 * that then fails is spent, not put back); makes the CSR, seals the key, and
 * in ONE transaction writes everything enroll_write writes. Writes the new
 * certificate's id to id. Returns 1, 0 when a tenant quota refuses it (err,
 * for the client, names the quota; nothing written), or -1 with a message
 * in err (nothing written). */
int enroll_create(PGconn *c, const struct vault *v, const struct settings *s,
    const struct enroll_request *req, char id[IDS_LEN + 1], char *err,
    size_t errlen);

/* The same, the write of a request without a tenant (enroll_batch_fits)
 * committed through group g (enroll_group.h) with other threads' at the
 * same time, when g is not NULL: the API's single enrollments. With au not
 * NULL, the call's audit row (enroll_audit.h) is written in the
 * enrollment's transaction: au->id set when it committed, empty when not
 * (nothing written). The caller has entered g (enroll_group_enter) and
 * this call uses that up, whatever it returns. */
struct enroll_group;
struct enroll_audit;
int enroll_create_grouped(PGconn *c, struct enroll_group *g,
    const struct vault *v, const struct settings *s,
    const struct enroll_request *req, struct enroll_audit *au,
    char id[IDS_LEN + 1], char *err, size_t errlen);

/* Key, its PEM sealed as VAULT_CERT_KEY of row pkid, its SPKI and the CSR. */
struct enroll_material {
	EVP_PKEY		*key;
	struct vault_box	 box;
	unsigned char		*spki;
	size_t			 spkilen;
	unsigned char		*csr;
	size_t			 csrlen;
};

/* Generates a key of req->key_type, seals it for private key id pkid and
 * makes the CSR for req->names. m starts zeroed, except that m->key may
 * hold a key of req->key_type to use instead of a new one (a pooled key,
 * keypool_take; taken over). Returns 0, or -1 with a message (release m
 * with enroll_material_free in both cases). */
int enroll_material(const struct vault *v, const struct enroll_request *req,
    const char *pkid, struct enroll_material *m, char *err, size_t errlen);
void enroll_material_free(struct enroll_material *m);

/* Seals key (taken over by m, even on failure) for private key id pkid and
 * keeps its SPKI: m as enroll_material fills it, without a CSR (an
 * imported key). Returns 0, or -1 with a message (enroll_material_free m
 * in both cases; m starts zeroed). */
int enroll_seal(const struct vault *v, EVP_PKEY *key, const char *pkid,
    struct enroll_material *m, char *err, size_t errlen);

/* In the caller's transaction: the tenant's quotas (tenant_admit: a live
 * certificate, and a new order when new_order), the hostname set (with its registered domains), certificate
 * id of req (status pending, at req->ca or the default CA) and its private
 * key pkid from m. Returns 1, 0 when a tenant quota refuses it (err names
 * the quota), -1 with err; the caller rolls back on anything but 1. */
int enroll_insert(PGconn *c, const struct settings *s,
    const struct enroll_request *req, const char *id, const char *pkid,
    const struct enroll_material *m, int new_order, char *err, size_t errlen);

/* In the caller's transaction: enroll_insert (new_order), then its first
 * order with the CSR of m (order_create: the order row and its job in the
 * outbox), whose id and trace id are written to oid and trace. Returns 1,
 * 0 when a tenant quota refuses it (err names the quota), -1 with err
 * (also when the CA has no account); the caller rolls back on anything
 * but 1, and commits. */
int enroll_write(PGconn *c, const struct settings *s,
    const struct enroll_request *req, const char *id, const char *pkid,
    const struct enroll_material *m, char oid[IDS_LEN + 1],
    char trace[IDS_TRACE_LEN + 1], char *err, size_t errlen);

/* Inserts (or finds) the hostname set of req->names (normalized, sorted,
 * unique), with its registered domains, and writes its id to setid, in the
 * caller's transaction. Returns 0, or -1 with err. */
int enroll_hostname_set(PGconn *c, const struct enroll_request *req,
    char setid[32], char *err, size_t errlen);

/* Inserts m's sealed private key as row pkid of private_keys for
 * certificate, inside the caller's transaction. Returns 0, or -1 with err. */
int enroll_store_key(PGconn *c, const char *pkid, const char *certificate,
    enum keys_type type, const struct enroll_material *m, char *err,
    size_t errlen);

#endif
