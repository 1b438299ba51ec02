/* primer.c -- pipelines issued certificates and their keys into Redis for the edges, withdraws revoked ones, and announces both. */
#include "primer.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "redisconn.h"
#include "rediskeys.h"

/* Queues the commands for one certificate; returns how many were queued,
 * or -1 when hiredis ran out of memory. */
static int
prime_append(redisContext *rc, const char *icid, const char *pkid,
    const char *cert, const char *chain, const char *key, char *const *names,
    size_t nnames)
{
	size_t i, fulllen = strlen(cert) + strlen(chain);
	char *full;
	int n = 0;

	if ((full = malloc(fulllen + 1)) == NULL)
		return -1;
	snprintf(full, fulllen + 1, "%s%s", cert, chain);
	if (redisAppendCommand(rc, "SET c:%s %s", icid, cert) != REDIS_OK ||
	    redisAppendCommand(rc, "SET p:%s %s", pkid, key) != REDIS_OK ||
	    redisAppendCommand(rc, "SET i:%s %s", icid, chain) != REDIS_OK)
		goto fail;
	n += 3;
	for (i = 0; i < nnames; i++) {
		if (redisAppendCommand(rc, "HSET d1:%s c %s p %s i %s", names[i],
		    icid, pkid, icid) != REDIS_OK ||
		    redisAppendCommand(rc, "HSET d2:%s f %b p %s", names[i], full,
		    fulllen, key) != REDIS_OK ||
		    redisAppendCommand(rc, "PUBLISH %s %s",
		    REDISKEYS_CHANNEL_CHANGED, names[i]) != REDIS_OK)
			goto fail;
		n += 3;
	}
	/* hiredis copied the key into its output buffer; wipe our copy. */
	memset(full, 0, fulllen);
	free(full);
	return n;
fail:
	free(full);
	return -1;
}

/* A kind of pass over issued certificates: the rows it takes (column 0
 * the issued certificate's id), how one row becomes Redis commands, and
 * how the rows done are marked in PostgreSQL. */
struct prime_kind {
	const char	*what;		/* "prime", "withdraw": logs and errors */
	const char	*select_sql;	/* up to PRIME_BATCH rows */
	const char	*mark_sql;	/* $1: text[] of the ids done */
	const char	*done;		/* log: "primed %d <done> redis db %d" */
	/* Queues row's commands: how many (0: the row is skipped, logged),
	 * or -1 with err when they cannot be queued. */
	int		(*queue)(redisContext *rc, const PGresult *r, int row,
			    const struct vault *v, char *err, size_t errlen);
};

/* Reads n replies; 0 when all came and none is an error, else -1 with the
 * first error in err. */
static int
prime_drain(redisContext *rc, size_t n, const char *what, char *err,
    size_t errlen)
{
	redisReply *reply;
	size_t i;
	int failed = 0;

	for (i = 0; i < n; i++) {
		if (redisGetReply(rc, (void **)&reply) != REDIS_OK) {
			snprintf(err, errlen, "%s: redis: %s", what, rc->errstr);
			return -1;
		}
		if (reply->type == REDIS_REPLY_ERROR && failed++ == 0)
			snprintf(err, errlen, "%s: redis: %s", what, reply->str);
		freeReplyObject(reply);
	}
	return failed > 0 ? -1 : 0;
}

/* One pass of kind k: select, pipeline, drain, mark. Returns the number of
 * rows done, or -1 with err (*redis dropped when the link may hold unread
 * replies). */
static int
prime_run(PGconn *c, redisContext **redis, const char *url, int db,
    const struct vault *v, const struct prime_kind *k, char *err,
    size_t errlen)
{
	PGresult *r = NULL;
	char **ids = NULL, *lit = NULL;
	size_t queued = 0, nids = 0;
	int rows, row, n, rc = -1;

	if ((r = db_query(c, k->what, k->select_sql, 0, NULL, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	if ((rows = PQntuples(r)) == 0) {
		rc = 0;
		goto out;
	}
	if (*redis == NULL && (*redis = redisconn_open(url, db,
	    PRIME_TIMEOUT_MS, err, errlen)) == NULL)
		goto out;
	if ((ids = calloc((size_t)rows, sizeof(*ids))) == NULL) {
		snprintf(err, errlen, "%s: out of memory", k->what);
		goto out;
	}
	for (row = 0; row < rows; row++) {
		if ((n = k->queue(*redis, r, row, v, err, errlen)) < 0)
			goto drop;
		if (n == 0)
			continue;
		queued += (size_t)n;
		ids[nids++] = PQgetvalue(r, row, 0);
	}
	if (prime_drain(*redis, queued, k->what, err, errlen) < 0)
		goto drop;
	if (nids == 0) {
		rc = 0;
		goto out;
	}
	if ((lit = db_array_literal(ids, nids)) == NULL) {
		snprintf(err, errlen, "%s: out of memory", k->what);
		goto out;
	}
	if (db_exec(c, k->what, k->mark_sql, 1, (const char *[]){ lit }, NULL,
	    NULL, err, errlen) < 0)
		goto out;
	log_info("%s: %zu %s redis db %d", k->what, nids, k->done, db);
	rc = (int)nids;
	goto out;
drop:
	/* Unread replies or a broken link: start afresh next pass. */
	redisFree(*redis);
	*redis = NULL;
out:
	free(lit);
	free(ids);
	PQclear(r);
	return rc;
}

/* A current certificate: its key opened, its names in both prime styles. */
static int
prime_queue(redisContext *rc, const PGresult *r, int row,
    const struct vault *v, char *err, size_t errlen)
{
	char *key, **names;
	size_t keylen, nnames;
	int k;

	if ((key = db_open_box(r, row, 5, v, VAULT_CERT_KEY,
	    PQgetvalue(r, row, 1), &keylen, err, errlen)) == NULL) {
		log_warn("prime: certificate %s: %s", PQgetvalue(r, row, 0), err);
		return 0;
	}
	names = db_array_parse(PQgetvalue(r, row, 4), &nnames);
	k = names == NULL ? -1 : prime_append(rc, PQgetvalue(r, row, 0),
	    PQgetvalue(r, row, 1), PQgetvalue(r, row, 2), PQgetvalue(r, row, 3),
	    key, names, nnames);
	vault_plain_free(key, keylen);
	db_array_free(names, nnames);
	if (k < 0)
		snprintf(err, errlen, "prime: cannot queue commands");
	return k;
}

static const struct prime_kind prime_kind_prime = {
	"prime",
	"SELECT ic.id, ic.private_key, ic.cert_pem, ic.chain_pem, ic.sans, "
	"pk.key_ciphertext, pk.key_nonce, pk.key_tag, pk.key_id FROM "
	"issued_certificates ic JOIN certificates c ON c.current_issued = ic.id "
	"JOIN private_keys pk ON pk.id = ic.private_key WHERE ic.primed_at IS "
	"NULL AND ic.revoked_at IS NULL ORDER BY ic.created_at LIMIT 1000",
	"UPDATE issued_certificates SET primed_at = now() WHERE id = "
	"ANY($1::text[])",
	"certificate(s) primed into",
	prime_queue,
};

int
prime_pass(PGconn *c, redisContext **redis, const char *url, int db,
    const struct vault *v, char *err, size_t errlen)
{
	return prime_run(c, redis, url, db, v, &prime_kind_prime, err, errlen);
}

/* Deletes d1:/d2: of a name only while d1: points at this certificate. */
#define PRIME_WITHDRAW_LUA \
	"if redis.call('HGET', KEYS[1], 'c') == ARGV[1] then " \
	"redis.call('DEL', KEYS[1], KEYS[2]) " \
	"redis.call('PUBLISH', ARGV[2], ARGV[3]) return 1 end return 0"

/* A revoked certificate: its names (while still its own) and strings go. */
static int
prime_withdraw_queue(redisContext *rc, const PGresult *r, int row,
    const struct vault *v, char *err, size_t errlen)
{
	const char *icid = PQgetvalue(r, row, 0), *pkid = PQgetvalue(r, row, 1);
	char d1[300], d2[300], **names;
	size_t nnames, i;
	int n = 0;

	(void)v;
	if ((names = db_array_parse(PQgetvalue(r, row, 2), &nnames)) == NULL) {
		snprintf(err, errlen, "withdraw: bad names of %s", icid);
		return -1;
	}
	for (i = 0; i < nnames; i++, n++) {
		snprintf(d1, sizeof(d1), "d1:%s", names[i]);
		snprintf(d2, sizeof(d2), "d2:%s", names[i]);
		if (redisAppendCommand(rc, "EVAL %s 2 %s %s %s %s %s",
		    PRIME_WITHDRAW_LUA, d1, d2, icid, REDISKEYS_CHANNEL_CHANGED,
		    names[i]) != REDIS_OK)
			break;
	}
	db_array_free(names, nnames);
	if (i < nnames || redisAppendCommand(rc, "DEL c:%s i:%s p:%s", icid,
	    icid, pkid) != REDIS_OK) {
		snprintf(err, errlen, "withdraw: cannot queue commands");
		return -1;
	}
	return n + 1;
}

static const struct prime_kind prime_kind_withdraw = {
	"withdraw",
	"SELECT id, private_key, sans FROM issued_certificates WHERE revoked_at "
	"IS NOT NULL AND unprimed_at IS NULL ORDER BY revoked_at LIMIT 1000",
	"UPDATE issued_certificates SET unprimed_at = now() WHERE id = "
	"ANY($1::text[])",
	"revoked certificate(s) withdrawn from",
	prime_withdraw_queue,
};

int
prime_withdraw_pass(PGconn *c, redisContext **redis, const char *url, int db,
    char *err, size_t errlen)
{
	return prime_run(c, redis, url, db, NULL, &prime_kind_withdraw, err,
	    errlen);
}
