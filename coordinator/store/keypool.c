/* keypool.c -- the key pool: a refill thread making sealed keys into key_pool ahead of need, and the take that enrollments and renewals call. */
#include "keypool.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bgthread.h"
#include "db.h"
#include "ids.h"
#include "log.h"

#define KEYPOOL_APPNAME "certfleet-coordinator-keypool"

struct keypool {
	struct bgthread		 t;
	char			*conninfo;
	const struct vault	*v;
	const struct keypool_sizes *sizes;
};

/* Makes one key of type t, sealed for a new row, and inserts it. */
static int
keypool_make(PGconn *c, const struct vault *v, enum keys_type t, char *err,
    size_t errlen)
{
	struct vault_box box = { 0 };
	EVP_PKEY *k = NULL;
	unsigned char *spki = NULL;
	char id[IDS_LEN + 1], aad[VAULT_AAD_MAX], *pem = NULL;
	const char *p[7];
	int lens[7] = { 0 }, fmts[7] = { 0 };
	size_t pemlen = 0, spkilen = 0;
	int rc = -1;

	if (ids_new(id) < 0) {
		snprintf(err, errlen, "key pool: no random id");
		return -1;
	}
	if ((k = keys_generate(t, err, errlen)) == NULL)
		goto out;
	if ((pem = keys_private_pem(k, &pemlen)) == NULL ||
	    (spki = keys_public_der(k, &spkilen)) == NULL) {
		snprintf(err, errlen, "key pool: the key does not encode");
		goto out;
	}
	vault_aad(VAULT_POOL_KEY, id, aad);
	if (vault_seal(v, pem, pemlen, aad, &box, err, errlen) < 0)
		goto out;
	p[0] = id;
	p[1] = keys_type_name(t);
	p[2] = (const char *)spki;
	lens[2] = (int)spkilen;
	fmts[2] = 1;
	db_bind_box(p, lens, fmts, 3, &box);
	if (db_exec(c, "key pool insert", "INSERT INTO key_pool (id, key_type, "
	    "public_key_der, key_ciphertext, key_nonce, key_tag, key_id) VALUES "
	    "($1, $2, $3, $4, $5, $6, $7)", 7, p, lens, fmts, err, errlen) < 0)
		goto out;
	rc = 0;
out:
	keys_pem_free(pem, pemlen);
	free(spki);
	vault_box_clear(&box);
	EVP_PKEY_free(k);
	return rc;
}

/* How many keys of type t the pool holds, counted up to want. */
static long
keypool_count(PGconn *c, enum keys_type t, long want, char *err,
    size_t errlen)
{
	PGresult *r;
	char lim[24];
	long n;

	snprintf(lim, sizeof(lim), "%ld", want);
	if ((r = db_query(c, "key pool count", "SELECT count(*) FROM (SELECT 1 "
	    "FROM key_pool WHERE key_type = $1 LIMIT $2::bigint) k", 2,
	    (const char *[]){ keys_type_name(t), lim }, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	n = atol(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n;
}

int
keypool_fill(PGconn *c, const struct vault *v,
    const struct keypool_sizes *sizes, int most, char *err, size_t errlen)
{
	long have;
	int t, made = 0;

	for (t = 0; t < KEYS_TYPE_COUNT; t++) {
		if (sizes->n[t] <= 0)
			continue;
		if ((have = keypool_count(c, (enum keys_type)t, sizes->n[t], err,
		    errlen)) < 0)
			return -1;
		while (have < sizes->n[t] && made < most) {
			if (keypool_make(c, v, (enum keys_type)t, err, errlen) < 0)
				return -1;
			have++;
			made++;
		}
		if (made > 0)
			return made;
	}
	return 0;
}

static void *
keypool_main(void *arg)
{
	struct keypool *kp = arg;
	PGconn *c = NULL;
	char err[512];
	int n;

	while (!bgthread_wait(&kp->t, 0)) {
		if (db_ensure(&c, kp->conninfo, KEYPOOL_APPNAME, err,
		    sizeof(err)) < 0) {
			log_warn("key pool: %s (will retry)", err);
			bgthread_wait(&kp->t, KEYPOOL_IDLE_MS);
			continue;
		}
		if ((n = keypool_fill(c, kp->v, kp->sizes, KEYPOOL_BATCH, err,
		    sizeof(err))) < 0)
			log_warn("key pool: %s (will retry)", err);
		if (n <= 0)
			bgthread_wait(&kp->t, KEYPOOL_IDLE_MS);
	}
	if (c != NULL)
		PQfinish(c);
	return NULL;
}

struct keypool *
keypool_start(const char *conninfo, const struct vault *v,
    const struct keypool_sizes *sizes, char *err, size_t errlen)
{
	struct keypool *kp;
	int t, any = 0;

	if ((kp = calloc(1, sizeof(*kp))) == NULL ||
	    (kp->conninfo = strdup(conninfo)) == NULL) {
		free(kp);
		snprintf(err, errlen, "key pool: out of memory");
		return NULL;
	}
	kp->v = v;
	kp->sizes = sizes;
	for (t = 0; t < KEYS_TYPE_COUNT; t++)
		if (sizes->n[t] > 0) {
			any = 1;
			log_info("key pool: keeping %ld %s keys ready", sizes->n[t],
			    keys_type_name((enum keys_type)t));
		}
	if (!any)
		return kp;
	if (bgthread_start(&kp->t, KEYPOOL_THREAD_NAME, KEYPOOL_NICE,
	    keypool_main, kp) < 0) {
		snprintf(err, errlen, "key pool: cannot start its thread");
		keypool_stop(kp);
		return NULL;
	}
	return kp;
}

void
keypool_stop(struct keypool *kp)
{
	if (kp == NULL)
		return;
	bgthread_stop(&kp->t);
	free(kp->conninfo);
	free(kp);
}

int
keypool_take(PGconn *c, const struct vault *v,
    const struct keypool_sizes *sizes, enum keys_type t, EVP_PKEY **key,
    char *err, size_t errlen)
{
	PGresult *r;
	char *pem, why[256];
	size_t len = 0;
	const char *type = keys_type_name(t);

	*key = NULL;
	if (sizes == NULL || (int)t < 0 || (int)t >= KEYS_TYPE_COUNT ||
	    sizes->n[t] <= 0)
		return 0;
	if ((r = db_query(c, "key pool take", "DELETE FROM key_pool WHERE id = "
	    "(SELECT id FROM key_pool WHERE key_type = $1 ORDER BY created_at "
	    "LIMIT 1 FOR UPDATE SKIP LOCKED) RETURNING key_ciphertext, "
	    "key_nonce, key_tag, key_id, id", 1, &type, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	if (PQntuples(r) == 0) {
		PQclear(r);
		return 0;
	}
	if ((pem = db_open_box(r, 0, 0, v, VAULT_POOL_KEY, PQgetvalue(r, 0, 4),
	    &len, why, sizeof(why))) == NULL ||
	    (*key = keys_from_pem_as(pem, len, t, why, sizeof(why))) == NULL)
		log_warn("key pool: key %s discarded: %s", PQgetvalue(r, 0, 4),
		    why);
	vault_plain_free(pem, len);
	PQclear(r);
	return *key != NULL;
}
