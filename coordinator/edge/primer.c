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

int
prime_pass(PGconn *c, redisContext **redis, const char *url, int db,
    const struct vault *v, char *err, size_t errlen)
{
	PGresult *r = NULL;
	struct vault_box box;
	redisReply *reply;
	char aad[64], *key, *done = NULL, **names;
	size_t keylen, nnames, i, donelen;
	int rows, row, queued = 0, k, failed = 0, primed = 0, rc = -1;

	if ((r = db_query(c, "prime select", "SELECT ic.id, ic.private_key, "
	    "ic.cert_pem, ic.chain_pem, ic.sans, pk.key_ciphertext, pk.key_nonce, "
	    "pk.key_tag, pk.key_id FROM issued_certificates ic JOIN certificates "
	    "c ON c.current_issued = ic.id JOIN private_keys pk ON "
	    "pk.id = ic.private_key WHERE ic.primed_at IS NULL AND "
	    "ic.revoked_at IS NULL ORDER BY "
	    "ic.created_at LIMIT 1000", 0, NULL, NULL, NULL, err,
	    errlen)) == NULL)
		return -1;
	if ((rows = PQntuples(r)) == 0) {
		rc = 0;
		goto out;
	}
	if (*redis == NULL && (*redis = redisconn_open(url, db,
	    PRIME_TIMEOUT_MS, err, errlen)) == NULL)
		goto out;
	donelen = 3;
	for (row = 0; row < rows; row++)
		donelen += strlen(PQgetvalue(r, row, 0)) + 3;
	if ((done = malloc(donelen)) == NULL) {
		snprintf(err, errlen, "prime: out of memory");
		goto out;
	}
	strcpy(done, "{");
	for (row = 0; row < rows; row++) {
		if (db_box(r, row, 5, &box) < 0) {
			log_warn("prime: certificate %s: stored key is malformed",
			    PQgetvalue(r, row, 0));
			continue;
		}
		snprintf(aad, sizeof(aad), "private_keys:%s",
		    PQgetvalue(r, row, 1));
		key = vault_open(v, &box, aad, &keylen, err, errlen);
		vault_box_clear(&box);
		if (key == NULL) {
			log_warn("prime: certificate %s: %s", PQgetvalue(r, row, 0),
			    err);
			continue;
		}
		names = db_array_parse(PQgetvalue(r, row, 4), &nnames);
		k = names == NULL ? -1 : prime_append(*redis, PQgetvalue(r, row, 0),
		    PQgetvalue(r, row, 1), PQgetvalue(r, row, 2),
		    PQgetvalue(r, row, 3), key, names, nnames);
		vault_plain_free(key, keylen);
		db_array_free(names, nnames);
		if (k < 0) {
			snprintf(err, errlen, "prime: cannot queue commands");
			goto drop;
		}
		queued += k;
		if (primed > 0)
			strcat(done, ",");
		strcat(done, "\"");
		strcat(done, PQgetvalue(r, row, 0));	/* ids: [0-9a-f-] */
		strcat(done, "\"");
		primed++;
	}
	strcat(done, "}");
	for (i = 0; i < (size_t)queued; i++) {
		if (redisGetReply(*redis, (void **)&reply) != REDIS_OK) {
			snprintf(err, errlen, "prime: redis: %s", (*redis)->errstr);
			goto drop;
		}
		if (reply->type == REDIS_REPLY_ERROR) {
			if (failed++ == 0)
				snprintf(err, errlen, "prime: redis: %s", reply->str);
		}
		freeReplyObject(reply);
	}
	if (failed > 0)
		goto drop;
	if (primed > 0 && db_exec(c, "prime mark", "UPDATE issued_certificates "
	    "SET primed_at = now() WHERE id = ANY($1::text[])", 1,
	    (const char *[]){ done }, NULL, NULL, err, errlen) < 0)
		goto out;
	if (primed > 0)
		log_info("primed %d certificate(s) into redis db %d", primed, db);
	rc = primed;
	goto out;
drop:
	/* Unread replies or a broken link: start afresh next pass. */
	redisFree(*redis);
	*redis = NULL;
out:
	free(done);
	PQclear(r);
	return rc;
}

/* Deletes d1:/d2: of a name only while d1: points at this certificate. */
#define PRIME_WITHDRAW_LUA \
	"if redis.call('HGET', KEYS[1], 'c') == ARGV[1] then " \
	"redis.call('DEL', KEYS[1], KEYS[2]) " \
	"redis.call('PUBLISH', ARGV[2], ARGV[3]) return 1 end return 0"

int
prime_withdraw_pass(PGconn *c, redisContext **redis, const char *url, int db,
    char *err, size_t errlen)
{
	PGresult *r = NULL;
	redisReply *reply;
	char d1[300], d2[300], **names, *ids = NULL;
	const char *icid, *pkid;
	size_t nnames, i, queued = 0, idslen;
	int rows, row, rc = -1, failed = 0;

	if ((r = db_query(c, "withdraw select", "SELECT id, private_key, sans "
	    "FROM issued_certificates WHERE revoked_at IS NOT NULL AND "
	    "unprimed_at IS NULL ORDER BY revoked_at LIMIT 1000", 0, NULL, NULL,
	    NULL, err, errlen)) == NULL)
		return -1;
	if ((rows = PQntuples(r)) == 0) {
		rc = 0;
		goto out;
	}
	if (*redis == NULL && (*redis = redisconn_open(url, db,
	    PRIME_TIMEOUT_MS, err, errlen)) == NULL)
		goto out;
	idslen = 3;
	for (row = 0; row < rows; row++)
		idslen += strlen(PQgetvalue(r, row, 0)) + 3;
	if ((ids = malloc(idslen)) == NULL) {
		snprintf(err, errlen, "withdraw: out of memory");
		goto out;
	}
	strcpy(ids, "{");
	for (row = 0; row < rows; row++) {
		icid = PQgetvalue(r, row, 0);
		pkid = PQgetvalue(r, row, 1);
		if ((names = db_array_parse(PQgetvalue(r, row, 2), &nnames)) ==
		    NULL) {
			snprintf(err, errlen, "withdraw: bad names of %s", icid);
			goto drop;
		}
		for (i = 0; i < nnames; i++) {
			snprintf(d1, sizeof(d1), "d1:%s", names[i]);
			snprintf(d2, sizeof(d2), "d2:%s", names[i]);
			if (redisAppendCommand(*redis, "EVAL %s 2 %s %s %s %s %s",
			    PRIME_WITHDRAW_LUA, d1, d2, icid,
			    REDISKEYS_CHANNEL_CHANGED, names[i]) != REDIS_OK)
				break;
			queued++;
		}
		db_array_free(names, nnames);
		if (i < nnames || redisAppendCommand(*redis, "DEL c:%s i:%s p:%s",
		    icid, icid, pkid) != REDIS_OK) {
			snprintf(err, errlen, "withdraw: cannot queue commands");
			goto drop;
		}
		queued++;
		if (row > 0)
			strcat(ids, ",");
		strcat(ids, "\"");
		strcat(ids, icid);	/* ids: [0-9a-f-] */
		strcat(ids, "\"");
	}
	strcat(ids, "}");
	for (i = 0; i < queued; i++) {
		if (redisGetReply(*redis, (void **)&reply) != REDIS_OK) {
			snprintf(err, errlen, "withdraw: redis: %s", (*redis)->errstr);
			goto drop;
		}
		if (reply->type == REDIS_REPLY_ERROR && failed++ == 0)
			snprintf(err, errlen, "withdraw: redis: %s", reply->str);
		freeReplyObject(reply);
	}
	if (failed > 0)
		goto drop;
	if (db_exec(c, "withdraw mark", "UPDATE issued_certificates SET "
	    "unprimed_at = now() WHERE id = ANY($1::text[])", 1,
	    (const char *[]){ ids }, NULL, NULL, err, errlen) < 0)
		goto out;
	log_info("withdrew %d revoked certificate(s) from redis db %d", rows, db);
	rc = rows;
	goto out;
drop:
	redisFree(*redis);
	*redis = NULL;
out:
	free(ids);
	PQclear(r);
	return rc;
}
