/* prime_write.c -- rows of edge_names into one Redis target: the peter_sslers keys written or deleted, pipelined; chains shared and cached; unused keys swept. */
#include "prime_int.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "db.h"
#include "log.h"
#include "rediskeys.h"

int
prime_drain(redisContext *rc, size_t n, char *err, size_t errlen)
{
	redisReply *reply;
	size_t i;
	int failed = 0;

	for (i = 0; i < n; i++) {
		if (redisGetReply(rc, (void **)&reply) != REDIS_OK) {
			snprintf(err, errlen, "redis: %s", rc->errstr);
			return PRIME_EREDIS;
		}
		if (reply->type == REDIS_REPLY_ERROR && failed++ == 0)
			snprintf(err, errlen, "redis: %s", reply->str);
		freeReplyObject(reply);
	}
	return failed > 0 ? PRIME_EREDIS : 0;
}

int
prime_flush(redisContext *rc, char *err, size_t errlen)
{
	int done = 0;

	while (!done)
		if (redisBufferWrite(rc, &done) != REDIS_OK) {
			snprintf(err, errlen, "redis: %s", rc->errstr);
			return PRIME_EREDIS;
		}
	return 0;
}

/* Reads t's replies until at most keep are in flight; when wait is 0, only
 * those already arrived. Everything counted in t->inflight must have been
 * written (prime_flush) before, or this waits for replies never coming. */
static int
prime_replies(struct prime_target *t, size_t keep, int wait, char *err,
    size_t errlen)
{
	struct pollfd pfd = { .fd = t->rc->fd, .events = POLLIN };
	redisReply *reply;
	int failed;

	while (t->inflight > keep) {
		if (redisGetReplyFromReader(t->rc, (void **)&reply) != REDIS_OK) {
			snprintf(err, errlen, "redis: %s", t->rc->errstr);
			return PRIME_EREDIS;
		}
		if (reply != NULL) {
			if ((failed = reply->type == REDIS_REPLY_ERROR))
				snprintf(err, errlen, "redis: %s", reply->str);
			freeReplyObject(reply);
			t->inflight--;
			if (failed)
				return PRIME_EREDIS;
			continue;
		}
		if (!wait && poll(&pfd, 1, 0) <= 0)
			return 0;
		/* one read(2) (blocking: up to the context's timeout) */
		if (redisBufferRead(t->rc) != REDIS_OK) {
			snprintf(err, errlen, "redis: %s", t->rc->errstr);
			return PRIME_EREDIS;
		}
	}
	return 0;
}

int
prime_pump(struct prime_target *t, char *err, size_t errlen)
{
	if (prime_flush(t->rc, err, errlen) < 0 ||
	    prime_replies(t, 0, 0, err, errlen) < 0)
		return PRIME_EREDIS;
	if (t->inflight > PRIME_INFLIGHT_MAX)
		return prime_replies(t, PRIME_INFLIGHT_MAX / 2, 1, err, errlen);
	return 0;
}

int
prime_wait(struct prime_target *t, char *err, size_t errlen)
{
	if (prime_flush(t->rc, err, errlen) < 0)
		return PRIME_EREDIS;
	return prime_replies(t, 0, 1, err, errlen);
}

int
prime_chains_load(struct primer *p, PGconn *c, const PGresult *r, char *err,
    size_t errlen)
{
	unsigned long ev = p->chain_evictions;
	int row, rows = PQntuples(r);

	for (row = 0; row < rows; row++)
		if (!PQgetisnull(r, row, PRIME_COL_CHAIN) &&
		    prime_chain_pem(p, c, PQgetvalue(r, row, PRIME_COL_CHAIN), err,
		    errlen) == NULL)
			return PRIME_EDB;
	return p->chain_evictions != ev ? 1 : 0;
}

char *
prime_row_key(const PGresult *r, int row, const struct vault *v, size_t *len)
{
	char err[256], *key;

	key = db_open_box(r, row, PRIME_COL_BOX, v, VAULT_CERT_KEY,
	    PQgetvalue(r, row, PRIME_COL_PK), len, err, sizeof(err));
	if (key == NULL)
		log_warn("prime: name %s, issued certificate %s: key: %s",
		    PQgetvalue(r, row, PRIME_COL_NAME),
		    PQgetvalue(r, row, PRIME_COL_IC), err);
	return key;
}

const char *
prime_chain_pem(struct primer *p, PGconn *c, const char *id, char *err,
    size_t errlen)
{
	PGresult *r;
	size_t i;
	char *pem;

	for (i = 0; i < p->nchains; i++)
		if (strcmp(p->chains[i].id, id) == 0)
			return p->chains[i].pem;
	if ((r = db_query(c, "prime chain", "SELECT chain_pem FROM "
	    "issued_certificates WHERE chain_id = $1 LIMIT 1", 1, &id, NULL,
	    NULL, err, errlen)) == NULL)
		return NULL;
	if (PQntuples(r) != 1 || strlen(id) > PRIME_CHAIN_ID_LEN ||
	    (pem = strdup(PQgetvalue(r, 0, 0))) == NULL) {
		snprintf(err, errlen, "prime chain: %s not found", id);
		PQclear(r);
		return NULL;
	}
	PQclear(r);
	if (p->nchains == PRIME_CHAINS_MAX) {
		for (i = 0; i < p->nchains; i++)
			free(p->chains[i].pem);
		p->nchains = 0;
		p->chain_evictions++;
	}
	snprintf(p->chains[p->nchains].id, sizeof(p->chains[0].id), "%s", id);
	p->chains[p->nchains].pem = pem;
	return p->chains[p->nchains++].pem;
}

/* Appends one command of argc arguments; 1, or -1 out of memory. */
static int
prime_cmd(redisContext *rc, int argc, const char **argv, const size_t *lens)
{
	return redisAppendCommandArgv(rc, argc, argv, lens) == REDIS_OK ? 1 : -1;
}

/* SET key value [EX ttl]: 1 command, or -1. */
static int
prime_set(redisContext *rc, const char *key, const char *val, size_t vlen,
    const char *ttl)
{
	const char *argv[5] = { "SET", key, val, "EX", ttl };
	size_t lens[5] = { 3, strlen(key), vlen, 2, strlen(ttl) };

	return prime_cmd(rc, ttl[0] != '0' ? 5 : 3, argv, lens);
}

/* EXPIRE key ttl, or PERSIST key when there is no TTL and fix_ttl; the
 * number of commands (0 or 1), or -1. */
static int
prime_ttl(redisContext *rc, const char *key, const char *ttl, int fix_ttl)
{
	const char *argv[3] = { "EXPIRE", key, ttl };
	size_t lens[3] = { 6, strlen(key), strlen(ttl) };

	if (ttl[0] != '0')
		return prime_cmd(rc, 3, argv, lens);
	if (!fix_ttl)
		return 0;
	argv[0] = "PERSIST";
	lens[0] = 7;
	return prime_cmd(rc, 2, argv, lens);
}

static int
prime_publish(redisContext *rc, const char *name)
{
	const char *argv[3] = { "PUBLISH", REDISKEYS_CHANNEL_CHANGED, name };
	size_t lens[3] = { 7, strlen(REDISKEYS_CHANNEL_CHANGED), strlen(name) };

	return prime_cmd(rc, 3, argv, lens);
}

/* What one batch has written already: c:/p: of the previous row's
 * certificate (rows come grouped by certificate), the chains. */
struct prime_batch {
	const char	*prev_ic;
	/* the private key last opened, kept while rows name it (the names of
	 * one certificate come in a row): opened once, not once a name */
	const char	*key_id;
	char		*key;
	size_t		 keylen;
	const char	*chains[PRIME_CHAINS_MAX];
	size_t		 nchains;
	char		 ttl[24];
	int		 fix_ttl, publish;
};

/* Style 1: c:, p:, i: (when not written yet in this batch) and d1:. */
static int
prime_queue_style1(redisContext *rc, struct prime_batch *b, const PGresult *r,
    int row, const char *chain, const char *key, size_t keylen)
{
	const char *name = PQgetvalue(r, row, PRIME_COL_NAME);
	const char *ic = PQgetvalue(r, row, PRIME_COL_IC);
	const char *pk = PQgetvalue(r, row, PRIME_COL_PK);
	const char *cid = PQgetvalue(r, row, PRIME_COL_CHAIN);
	const char *cert = PQgetvalue(r, row, PRIME_COL_CERT);
	char k[PRIME_NAME_MAX + 8];
	const char *argv[8] = { "HSET", k, "c", ic, "p", pk, "i", cid };
	size_t lens[8] = { 4, 0, 1, strlen(ic), 1, strlen(pk), 1, strlen(cid) };
	size_t i;
	int n = 0, q;

	if (b->prev_ic == NULL || strcmp(b->prev_ic, ic) != 0) {
		snprintf(k, sizeof(k), "c:%s", ic);
		if (prime_set(rc, k, cert, strlen(cert), b->ttl) < 0)
			return -1;
		snprintf(k, sizeof(k), "p:%s", pk);
		if (prime_set(rc, k, key, keylen, b->ttl) < 0)
			return -1;
		n += 2;
		b->prev_ic = ic;
	}
	for (i = 0; i < b->nchains && strcmp(b->chains[i], cid) != 0; i++)
		;
	if (i == b->nchains) {
		snprintf(k, sizeof(k), "i:%s", cid);
		if (prime_set(rc, k, chain, strlen(chain), b->ttl) < 0)
			return -1;
		n++;
		if (b->nchains < PRIME_CHAINS_MAX)
			b->chains[b->nchains++] = cid;
	}
	snprintf(k, sizeof(k), "d1:%s", name);
	lens[1] = strlen(k);
	if (prime_cmd(rc, 8, argv, lens) < 0 ||
	    (q = prime_ttl(rc, k, b->ttl, b->fix_ttl)) < 0)
		return -1;
	return n + 1 + q;
}

/* Style 2: d2: {f: cert + chain, p: key}. */
static int
prime_queue_style2(redisContext *rc, struct prime_batch *b, const PGresult *r,
    int row, const char *chain, const char *key, size_t keylen)
{
	const char *cert = PQgetvalue(r, row, PRIME_COL_CERT);
	char k[PRIME_NAME_MAX + 8], *full;
	size_t certlen = strlen(cert), chainlen = strlen(chain);
	const char *argv[6] = { "HSET", k, "f", NULL, "p", key };
	size_t lens[6] = { 4, 0, 1, certlen + chainlen, 1, keylen };
	int n, q;

	if ((full = malloc(certlen + chainlen + 1)) == NULL)
		return -1;
	memcpy(full, cert, certlen);
	memcpy(full + certlen, chain, chainlen + 1);
	argv[3] = full;
	snprintf(k, sizeof(k), "d2:%s", PQgetvalue(r, row, PRIME_COL_NAME));
	lens[1] = strlen(k);
	n = prime_cmd(rc, 6, argv, lens);
	free(full);
	if (n < 0 || (q = prime_ttl(rc, k, b->ttl, b->fix_ttl)) < 0)
		return -1;
	return n + q;
}

/* The batch's open key wiped (hiredis copied it into its output buffer). */
static void
prime_batch_key_free(struct prime_batch *b)
{
	if (b->key != NULL)
		vault_plain_free(b->key, b->keylen);
	b->key = NULL;
	b->key_id = NULL;
}

/* A row with an issued certificate: its key opened, its styles queued.
 * Returns the commands queued, 0 when skipped (logged), or an error. */
static int
prime_queue_row(struct primer *p, struct prime_target *t, PGconn *c,
    const struct vault *v, struct prime_batch *b, const PGresult *r, int row,
    char *err, size_t errlen)
{
	const char *chain, *pk = PQgetvalue(r, row, PRIME_COL_PK);
	int n = 0, q = 0;

	if ((chain = prime_chain_pem(p, c, PQgetvalue(r, row, PRIME_COL_CHAIN),
	    err, errlen)) == NULL)
		return PRIME_EDB;
	if (b->key == NULL || strcmp(b->key_id, pk) != 0) {
		prime_batch_key_free(b);
		if ((b->key = prime_row_key(r, row, v, &b->keylen)) == NULL)
			return 0;
		b->key_id = pk;
	}
	if (p->pc.style & PRIME_STYLE_1)
		n += (q = prime_queue_style1(t->rc, b, r, row, chain, b->key,
		    b->keylen)) < 0 ? 0 : q;
	if (q >= 0 && (p->pc.style & PRIME_STYLE_2))
		n += (q = prime_queue_style2(t->rc, b, r, row, chain, b->key,
		    b->keylen)) < 0 ? 0 : q;
	if (q < 0 || (b->publish && prime_publish(t->rc,
	    PQgetvalue(r, row, PRIME_COL_NAME)) < 0)) {
		snprintf(err, errlen, "redis: cannot queue commands");
		return PRIME_EREDIS;
	}
	return n + b->publish;
}

/* A row without one: d1: and d2: go (both: a style turned off leaves
 * nothing behind). */
static int
prime_queue_gone(redisContext *rc, const struct prime_batch *b,
    const char *name)
{
	char k1[PRIME_NAME_MAX + 8], k2[PRIME_NAME_MAX + 8];
	const char *argv[3] = { "DEL", k1, k2 };
	size_t lens[3] = { 3, 0, 0 };

	snprintf(k1, sizeof(k1), "d1:%s", name);
	snprintf(k2, sizeof(k2), "d2:%s", name);
	lens[1] = strlen(k1);
	lens[2] = strlen(k2);
	if (prime_cmd(rc, 3, argv, lens) < 0 ||
	    (b->publish && prime_publish(rc, name) < 0))
		return -1;
	return 1 + b->publish;
}

int
prime_queue_rows(struct primer *p, struct prime_target *t, PGconn *c,
    const struct vault *v, const PGresult *r, const unsigned char *mask,
    int publish, int fix_ttl, char *err, size_t errlen)
{
	struct prime_batch b;
	int row, rows = PQntuples(r), q = 0, done = 0;

	memset(&b, 0, sizeof(b));
	snprintf(b.ttl, sizeof(b.ttl), "%ld", p->pc.ttl);
	b.fix_ttl = fix_ttl;
	b.publish = publish ? 1 : 0;
	for (row = 0; row < rows; row++) {
		if ((mask != NULL && !mask[row]) ||
		    strlen(PQgetvalue(r, row, PRIME_COL_NAME)) > PRIME_NAME_MAX)
			continue;
		if (PQgetisnull(r, row, PRIME_COL_IC)) {
			if ((q = prime_queue_gone(t->rc, &b,
			    PQgetvalue(r, row, PRIME_COL_NAME))) < 0) {
				snprintf(err, errlen, "redis: cannot queue commands");
				q = PRIME_EREDIS;
				break;
			}
		} else if ((q = prime_queue_row(p, t, c, v, &b, r, row, err,
		    errlen)) < 0)
			break;
		t->inflight += (size_t)q;
		if (q > 0 && ++done % PRIME_FLUSH_ROWS == 0 &&
		    prime_pump(t, err, errlen) < 0) {
			q = PRIME_EREDIS;
			break;
		}
	}
	prime_batch_key_free(&b);
	if (q < 0)
		return q;
	return prime_pump(t, err, errlen) < 0 ? PRIME_EREDIS : done;
}

int
prime_write_rows(struct primer *p, struct prime_target *t, PGconn *c,
    const struct vault *v, const PGresult *r, const unsigned char *mask,
    int publish, int fix_ttl, char *err, size_t errlen)
{
	int done;

	if ((done = prime_queue_rows(p, t, c, v, r, mask, publish, fix_ttl,
	    err, errlen)) < 0)
		return done;
	if (prime_wait(t, err, errlen) < 0)
		return PRIME_EREDIS;
	return done;
}

/* Which of the keys edge_names no longer calls for; $2 style 1 on, $3
 * style 2 on. */
#define PRIME_UNUSED_SQL \
	"SELECT k FROM unnest($1::text[]) k WHERE NOT CASE " \
	"WHEN k LIKE 'd1:%' THEN $2::boolean AND EXISTS (SELECT 1 FROM " \
	"edge_names e WHERE e.name = substr(k, 4) AND e.issued_certificate IS " \
	"NOT NULL) " \
	"WHEN k LIKE 'd2:%' THEN $3::boolean AND EXISTS (SELECT 1 FROM " \
	"edge_names e WHERE e.name = substr(k, 4) AND e.issued_certificate IS " \
	"NOT NULL) " \
	"WHEN k LIKE 'c:%' THEN $2::boolean AND EXISTS (SELECT 1 FROM " \
	"edge_names e WHERE e.issued_certificate = substr(k, 3)) " \
	"WHEN k LIKE 'p:%' THEN $2::boolean AND EXISTS (SELECT 1 FROM " \
	"edge_names e WHERE e.private_key = substr(k, 3)) " \
	"WHEN k LIKE 'i:%' THEN $2::boolean AND EXISTS (SELECT 1 FROM " \
	"edge_names e WHERE e.chain_id = substr(k, 3)) " \
	"ELSE true END"

/* DEL of the rows of r (column 0), PUBLISH of the names of d1:/d2:. */
static int
prime_del_unused(redisContext *rc, const PGresult *r, char *err,
    size_t errlen)
{
	const char **argv;
	size_t *lens, queued = 1;
	int i, n = PQntuples(r), rc_ = PRIME_EREDIS;

	argv = calloc((size_t)n + 1, sizeof(*argv));
	lens = calloc((size_t)n + 1, sizeof(*lens));
	if (argv == NULL || lens == NULL)
		goto out;
	argv[0] = "DEL";
	lens[0] = 3;
	for (i = 0; i < n; i++) {
		argv[i + 1] = PQgetvalue(r, i, 0);
		lens[i + 1] = strlen(argv[i + 1]);
	}
	if (prime_cmd(rc, n + 1, argv, lens) < 0)
		goto out;
	for (i = 0; i < n; i++)
		if (argv[i + 1][0] == 'd') {
			if (prime_publish(rc, argv[i + 1] + 3) < 0)
				goto out;
			queued++;
		}
	rc_ = prime_drain(rc, queued, err, errlen);
out:
	if (rc_ < 0 && (argv == NULL || lens == NULL))
		snprintf(err, errlen, "sweep: out of memory");
	free(argv);
	free(lens);
	return rc_ < 0 ? rc_ : n;
}

int
prime_sweep_keys(struct primer *p, struct prime_target *t, PGconn *c,
    char *const *keys, size_t n, char *err, size_t errlen)
{
	PGresult *r = NULL;
	char *lit = NULL;
	const char *params[3];
	int rc = PRIME_EDB;

	if (n == 0)
		return 0;
	if ((lit = db_array_literal(keys, n)) == NULL) {
		snprintf(err, errlen, "sweep: out of memory");
		return PRIME_EDB;
	}
	params[0] = lit;
	params[1] = (p->pc.style & PRIME_STYLE_1) ? "true" : "false";
	params[2] = (p->pc.style & PRIME_STYLE_2) ? "true" : "false";
	if ((r = db_query(c, "prime unused keys", PRIME_UNUSED_SQL, 3, params,
	    NULL, NULL, err, errlen)) == NULL)
		goto out;
	rc = PQntuples(r) == 0 ? 0 : prime_del_unused(t->rc, r, err, errlen);
out:
	PQclear(r);
	free(lit);
	return rc;
}
