/* reseal.c -- a rotation of the master key: secrets under an open-only key sealed again under the master key, a batch at a time, each row written only if it still holds what was read. */
#include "reseal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cmetrics.h"
#include "db.h"
#include "log.h"

/* A place where secrets are sealed: its table, its four columns (as
 * db_box reads them) and what the secret is (its AAD, vault_aad). */
struct reseal_place {
	const char		*table;
	const char		*ct, *nonce, *tag, *kid;
	enum vault_secret	 what;
};

static const struct reseal_place reseal_places[] = {
	{ "private_keys", "key_ciphertext", "key_nonce", "key_tag", "key_id",
	    VAULT_CERT_KEY },
	{ "key_pool", "key_ciphertext", "key_nonce", "key_tag", "key_id",
	    VAULT_POOL_KEY },
	{ "acme_accounts", "key_ciphertext", "key_nonce", "key_tag", "key_id",
	    VAULT_ACCOUNT_KEY },
	{ "acme_accounts", "pending_key_ciphertext", "pending_key_nonce",
	    "pending_key_tag", "pending_key_id", VAULT_ACCOUNT_KEY },
	{ "acme_accounts", "eab_ciphertext", "eab_nonce", "eab_tag",
	    "eab_key_id", VAULT_ACCOUNT_EAB },
};
#define RESEAL_NPLACES (sizeof(reseal_places) / sizeof(reseal_places[0]))

#define RESEAL_SQL_MAX 512

/* The open-only keys' ids as a text[] literal, malloc'd (NULL: no memory). */
static char *
reseal_ids(const struct vault *v)
{
	char *ids[VAULT_OPEN_ONLY_MAX];
	size_t i, n = vault_open_only_count(v);

	for (i = 0; i < n; i++)
		ids[i] = (char *)vault_open_only_id(v, i);
	return db_array_literal(ids, n);
}

/* Seals the secret of row `row` of r (id, then the four columns) again
 * under the master key and writes it if the row still holds what r read.
 * Returns 1 written, 0 not (it did not open: logged while the pass has
 * logged fewer than RESEAL_LOG_FAILS; or the row changed meanwhile), -1
 * with err (a database error). */
static int
reseal_row(PGconn *c, const struct vault *v, const struct reseal_place *pl,
    const char *update, const PGresult *r, int row, struct reseal *st,
    char *err, size_t errlen)
{
	const char *id = PQgetvalue(r, row, 0), *p[7];
	struct vault_box old = { 0 }, box = { 0 };
	char aad[VAULT_AAD_MAX], why[256], *plain = NULL;
	int lens[7] = { 0 }, fmts[7] = { 0 };
	size_t len = 0;
	long n;
	int rc = 0;

	if (db_box(r, row, 1, &old) < 0) {
		snprintf(why, sizeof(why), "malformed columns");
		goto refused;
	}
	vault_aad(pl->what, id, aad);
	if ((plain = vault_open(v, &old, aad, &len, why, sizeof(why))) == NULL)
		goto refused;
	if (vault_seal(v, plain, len, aad, &box, err, errlen) < 0) {
		rc = -1;
		goto out;
	}
	p[0] = id;
	db_bind_box(p, lens, fmts, 1, &box);
	p[5] = (const char *)old.nonce;
	lens[5] = VAULT_NONCE_LEN;
	fmts[5] = 1;
	p[6] = old.key_id;
	if ((n = db_exec(c, "reseal write", update, 7, p, lens, fmts, err,
	    errlen)) < 0)
		rc = -1;
	else
		rc = n > 0;
	goto out;
refused:
	if (st->failed++ < RESEAL_LOG_FAILS)
		log_warn("reseal: the secret in %s.%s of row %s does not open "
		    "(%s): left as it is", pl->table, pl->ct, id, why);
out:
	vault_plain_free(plain, len);
	vault_box_clear(&old);
	vault_box_clear(&box);
	return rc;
}

/* One batch of place pl: up to max secrets under an open-only key (ids)
 * after st->after, in one transaction. Returns the rows read (< max: the
 * place is done), or -1 with err; st->after moves only when it commits. */
static int
reseal_batch(PGconn *c, const struct vault *v, const struct reseal_place *pl,
    const char *ids, int max, struct reseal *st, char *err, size_t errlen)
{
	char sel[RESEAL_SQL_MAX], upd[RESEAL_SQL_MAX], lim[16];
	const char *p[3] = { ids, st->after, lim };
	long done = 0;
	PGresult *r;
	int i, n, w;

	snprintf(sel, sizeof(sel), "SELECT id, %s, %s, %s, %s FROM %s WHERE "
	    "%s = ANY($1::text[]) AND id > $2 ORDER BY id LIMIT $3::int",
	    pl->ct, pl->nonce, pl->tag, pl->kid, pl->table, pl->kid);
	snprintf(upd, sizeof(upd), "UPDATE %s SET %s = $2, %s = $3, %s = $4, "
	    "%s = $5 WHERE id = $1 AND %s = $6 AND %s = $7", pl->table, pl->ct,
	    pl->nonce, pl->tag, pl->kid, pl->nonce, pl->kid);
	snprintf(lim, sizeof(lim), "%d", max);
	if ((r = db_query(c, "reseal read", sel, 3, p, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	if ((n = PQntuples(r)) > 0 && db_begin(c, err, errlen) < 0) {
		PQclear(r);
		return -1;
	}
	for (i = 0; i < n; i++) {
		if ((w = reseal_row(c, v, pl, upd, r, i, st, err, errlen)) < 0) {
			db_rollback(c);
			PQclear(r);
			return -1;
		}
		done += w;
	}
	if (n > 0 && db_commit(c, err, errlen) < 0) {
		PQclear(r);
		return -1;
	}
	if (n > 0 && strlen(PQgetvalue(r, n - 1, 0)) < sizeof(st->after))
		snprintf(st->after, sizeof(st->after), "%s",
		    PQgetvalue(r, n - 1, 0));
	else if (n > 0)
		n = 0;	/* an id too long to walk past: the place ends here */
	PQclear(r);
	st->done += done;
	cmetrics_resealed(done);
	return n;
}

/* Secrets of every place under any key but the master key. Returns the
 * count, or -1 with err. */
static long
reseal_left(PGconn *c, const struct vault *v, char *err, size_t errlen)
{
	char sql[RESEAL_SQL_MAX];
	const char *p[1] = { vault_key_id(v) };
	PGresult *r;
	long left = 0;
	size_t i;

	for (i = 0; i < RESEAL_NPLACES; i++) {
		snprintf(sql, sizeof(sql), "SELECT count(*) FROM %s WHERE %s IS "
		    "NOT NULL AND %s <> $1", reseal_places[i].table,
		    reseal_places[i].kid, reseal_places[i].kid);
		if ((r = db_query(c, "reseal count", sql, 1, p, NULL, NULL, err,
		    errlen)) == NULL)
			return -1;
		left += atol(PQgetvalue(r, 0, 0));
		PQclear(r);
	}
	return left;
}

/* The end of a pass: what is left counted, logged when anything moved or
 * changed, and the next pass set. Returns 0, or -1 with err. */
static int
reseal_end(PGconn *c, const struct vault *v, struct reseal *st,
    uint64_t now_ms, char *err, size_t errlen)
{
	long left;

	if ((left = reseal_left(c, v, err, errlen)) < 0)
		return -1;
	if (st->done > 0 || st->failed > 0 || left != st->left)
		log_info("reseal: pass done: %ld secret(s) sealed again under "
		    "master key %s, %ld did not open; %ld left under other "
		    "keys%s", st->done, vault_key_id(v), st->failed, left,
		    left == 0 ? ": the open-only keys can be removed from "
		    "CERTFLEET_MASTER_KEYS_OPEN_ONLY" : "");
	cmetrics_reseal_left(left);
	st->left = left;
	st->passing = 0;
	st->next_ms = now_ms + RESEAL_PASS_GAP_MS;
	return 0;
}

int
reseal_tick(PGconn *c, const struct vault *v, struct reseal *st,
    uint64_t now_ms, char *err, size_t errlen)
{
	char *ids;
	int budget = RESEAL_PER_TICK, max, n;

	if (vault_open_only_count(v) == 0)
		return 0;
	if (!st->passing) {
		if (st->next_ms != 0 && now_ms < st->next_ms)
			return 0;
		if (st->next_ms == 0) {	/* the first pass */
			st->left = -1;
			cmetrics_reseal_left(-1);
		}
		st->passing = 1;
		st->place = 0;
		st->after[0] = '\0';
		st->done = st->failed = 0;
	}
	if ((ids = reseal_ids(v)) == NULL) {
		snprintf(err, errlen, "reseal: out of memory");
		return -1;
	}
	while (budget > 0 && st->place < RESEAL_NPLACES) {
		max = budget < RESEAL_BATCH ? budget : RESEAL_BATCH;
		if ((n = reseal_batch(c, v, &reseal_places[st->place], ids, max,
		    st, err, errlen)) < 0) {
			free(ids);
			return -1;
		}
		budget -= n;
		if (n < max) {
			st->place++;
			st->after[0] = '\0';
		}
	}
	free(ids);
	if (st->place < RESEAL_NPLACES)
		return 1;
	return reseal_end(c, v, st, now_ms, err, errlen) < 0 ? -1 : 0;
}
