/* prime_check.c -- the periodic comparison of one Redis target with edge_names: missing or stale keys re-written, TTLs refreshed, keys nothing calls for swept. */
#include "prime_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/evp.h>

#include "clock.h"
#include "db.h"
#include "ids.h"
#include "log.h"

#define PRIME_CHECK_BATCH_MAX 20000	/* names per step, even with a short TTL */

/* Compares one name's keys with what edge_names says (KEYS d1:, d2:, c:, p:,
 * i:; ARGV style bits, c, p, i ids, SHA-1 of d2's f and p, TTL). 0: all
 * there and current (their TTL refreshed when one is configured); 1: d1:
 * points elsewhere; 2: a c:/p:/i: is missing; 3: d2: is missing or stale;
 * 4: a key has a TTL although none is configured. */
#define PRIME_CHECK_LUA \
	"local style, ttl = tonumber(ARGV[1]), tonumber(ARGV[7]) " \
	"local keys = {} " \
	"if style % 2 == 1 then " \
	" local h = redis.call('HMGET', KEYS[1], 'c', 'p', 'i') " \
	" if h[1] ~= ARGV[2] or h[2] ~= ARGV[3] or h[3] ~= ARGV[4] then " \
	"  return 1 end " \
	" if redis.call('EXISTS', KEYS[3], KEYS[4], KEYS[5]) ~= 3 then " \
	"  return 2 end " \
	" keys = {KEYS[1], KEYS[3], KEYS[4], KEYS[5]} " \
	"end " \
	"if style >= 2 then " \
	" local h = redis.call('HMGET', KEYS[2], 'f', 'p') " \
	" if not h[1] or not h[2] or redis.sha1hex(h[1]) ~= ARGV[5] or " \
	"  redis.sha1hex(h[2]) ~= ARGV[6] then return 3 end " \
	" keys[#keys + 1] = KEYS[2] " \
	"end " \
	"for _, k in ipairs(keys) do " \
	" if ttl > 0 then redis.call('EXPIRE', k, ttl) " \
	" elseif redis.call('TTL', k) >= 0 then return 4 end " \
	"end " \
	"return 0"

static void
prime_sha1_hex(const void *a, size_t alen, const void *b, size_t blen,
    char out[41])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();

	out[0] = '\0';
	if (ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha1(), NULL) != 1 ||
	    EVP_DigestUpdate(ctx, a, alen) != 1 ||
	    (blen > 0 && EVP_DigestUpdate(ctx, b, blen) != 1) ||
	    EVP_DigestFinal_ex(ctx, md, &mdlen) != 1)
		mdlen = 0;
	EVP_MD_CTX_free(ctx);
	ids_hex(md, mdlen < 20 ? mdlen : 20, out);
}

/* Queues the comparison of row; 1 queued, 0 skipped (its key does not
 * open: logged), PRIME_EDB / PRIME_EREDIS. */
static int
prime_check_queue(struct primer *p, struct prime_target *t, PGconn *c,
    const struct vault *v, const PGresult *r, int row, char *err,
    size_t errlen)
{
	const char *cert = PQgetvalue(r, row, PRIME_COL_CERT), *chain;
	char k[5][PRIME_NAME_MAX + 8], style[4], ttl[24], sf[41], sp[41];
	const char *argv[15];
	size_t keylen, i;
	char *key;
	int ok;

	if ((chain = prime_chain_pem(p, c, PQgetvalue(r, row, PRIME_COL_CHAIN),
	    err, errlen)) == NULL)
		return PRIME_EDB;
	if ((key = prime_row_key(r, row, v, &keylen)) == NULL)
		return 0;
	prime_sha1_hex(cert, strlen(cert), chain, strlen(chain), sf);
	prime_sha1_hex(key, keylen, NULL, 0, sp);
	vault_plain_free(key, keylen);
	snprintf(k[0], sizeof(k[0]), "d1:%s", PQgetvalue(r, row, PRIME_COL_NAME));
	snprintf(k[1], sizeof(k[1]), "d2:%s", PQgetvalue(r, row, PRIME_COL_NAME));
	snprintf(k[2], sizeof(k[2]), "c:%s", PQgetvalue(r, row, PRIME_COL_IC));
	snprintf(k[3], sizeof(k[3]), "p:%s", PQgetvalue(r, row, PRIME_COL_PK));
	snprintf(k[4], sizeof(k[4]), "i:%s", PQgetvalue(r, row, PRIME_COL_CHAIN));
	snprintf(style, sizeof(style), "%d", (int)p->pc.style);
	snprintf(ttl, sizeof(ttl), "%ld", p->pc.ttl);
	argv[0] = "EVAL";
	argv[1] = PRIME_CHECK_LUA;
	argv[2] = "5";
	for (i = 0; i < 5; i++)
		argv[3 + i] = k[i];
	argv[8] = style;
	argv[9] = PQgetvalue(r, row, PRIME_COL_IC);
	argv[10] = PQgetvalue(r, row, PRIME_COL_PK);
	argv[11] = PQgetvalue(r, row, PRIME_COL_CHAIN);
	argv[12] = sf;
	argv[13] = sp;
	argv[14] = ttl;
	ok = redisAppendCommandArgv(t->rc, 15, argv, NULL) == REDIS_OK;
	if (!ok) {
		snprintf(err, errlen, "redis: cannot queue commands");
		return PRIME_EREDIS;
	}
	return 1;
}

/* Reads the comparisons' replies into mask; the number that differ, or
 * PRIME_EREDIS. */
static int
prime_check_replies(redisContext *rc, const int *rows, size_t n,
    unsigned char *mask, char *err, size_t errlen)
{
	redisReply *reply;
	size_t i;
	int bad = 0, failed = 0;

	for (i = 0; i < n; i++) {
		if (redisGetReply(rc, (void **)&reply) != REDIS_OK) {
			snprintf(err, errlen, "redis: %s", rc->errstr);
			return PRIME_EREDIS;
		}
		if (reply->type == REDIS_REPLY_INTEGER && reply->integer != 0) {
			mask[rows[i]] = 1;
			bad++;
		} else if (reply->type != REDIS_REPLY_INTEGER && failed++ == 0)
			snprintf(err, errlen, "redis: comparison: %s",
			    reply->type == REDIS_REPLY_ERROR ? reply->str :
			    "unexpected reply");
		freeReplyObject(reply);
	}
	return failed > 0 ? PRIME_EREDIS : bad;
}

/* The next names of the cycle compared and repaired; how many rows were
 * read (fewer than lim: the end of the names), or an error. */
static int
prime_check_names(struct primer *p, struct prime_target *t, PGconn *c,
    const struct vault *v, int lim, char *err, size_t errlen)
{
	PGresult *r = NULL;
	unsigned char *mask = NULL;
	int *rows = NULL, n, row, q, nq = 0, bad, rc = PRIME_EDB;
	char slim[16], after[24];

	snprintf(slim, sizeof(slim), "%d", lim);
	snprintf(after, sizeof(after), "%lld", t->check_seq);
	if ((r = db_query(c, "prime check", "SELECT " PRIME_ROW_COLS " "
	    PRIME_ROW_FROM "WHERE en.issued_certificate IS NOT NULL AND "
	    "en.seq > $1::bigint ORDER BY en.seq LIMIT $2::integer", 2,
	    (const char *[]){ after, slim }, NULL, NULL, err, errlen)) == NULL)
		return PRIME_EDB;
	if ((n = PQntuples(r)) == 0) {
		rc = 0;
		goto out;
	}
	mask = calloc((size_t)n, 1);
	rows = calloc((size_t)n, sizeof(*rows));
	if (mask == NULL || rows == NULL) {
		snprintf(err, errlen, "prime check: out of memory");
		goto out;
	}
	for (row = 0; row < n; row++) {
		if ((q = prime_check_queue(p, t, c, v, r, row, err, errlen)) < 0) {
			rc = q;
			goto out;
		}
		if (q == 1)
			rows[nq++] = row;
	}
	if ((rc = bad = prime_check_replies(t->rc, rows, (size_t)nq, mask, err,
	    errlen)) < 0)
		goto out;
	if (bad > 0) {
		if ((rc = prime_write_rows(p, t, c, v, r, mask, 1, 1, err,
		    errlen)) < 0)
			goto out;
		log_info("prime target %s: comparison repaired %d name(s) "
		    "(missing, stale or TTL)", t->conf->name, bad);
	}
	t->cycle_checked += n;
	t->cycle_repaired += bad;
	t->check_seq = strtoll(PQgetvalue(r, n - 1, PRIME_COL_SEQ), NULL, 10);
	rc = n;
out:
	free(mask);
	free(rows);
	PQclear(r);
	return rc;
}

/* A key of ours that may go to PostgreSQL: a known prefix, printable
 * ASCII, not too long. */
static int
prime_sweepable(const redisReply *k)
{
	size_t i;

	if (k->type != REDIS_REPLY_STRING || k->len < 3 ||
	    k->len > PRIME_NAME_MAX + 3)
		return 0;
	for (i = 0; i < k->len; i++)
		if (k->str[i] < 0x21 || k->str[i] > 0x7e)
			return 0;
	return strncmp(k->str, "d1:", 3) == 0 || strncmp(k->str, "d2:", 3) == 0 ||
	    strncmp(k->str, "c:", 2) == 0 || strncmp(k->str, "p:", 2) == 0 ||
	    strncmp(k->str, "i:", 2) == 0;
}

/* One SCAN step: the keys it returns that nothing calls for are deleted. */
static int
prime_check_sweep(struct primer *p, struct prime_target *t, PGconn *c,
    char *err, size_t errlen)
{
	redisReply *reply;
	char **keys = NULL;
	size_t i, n = 0;
	int rc = PRIME_EREDIS;

	reply = redisCommand(t->rc, "SCAN %llu COUNT %d", t->scan_cursor,
	    PRIME_SWEEP_COUNT);
	if (reply == NULL || reply->type != REDIS_REPLY_ARRAY ||
	    reply->elements != 2 || reply->element[0]->type !=
	    REDIS_REPLY_STRING || reply->element[1]->type != REDIS_REPLY_ARRAY) {
		snprintf(err, errlen, "redis: SCAN: %s", reply == NULL ?
		    t->rc->errstr : reply->type == REDIS_REPLY_ERROR ? reply->str :
		    "unexpected reply");
		goto out;
	}
	if ((keys = calloc(reply->element[1]->elements + 1,
	    sizeof(*keys))) == NULL) {
		snprintf(err, errlen, "sweep: out of memory");
		goto out;
	}
	for (i = 0; i < reply->element[1]->elements; i++)
		if (prime_sweepable(reply->element[1]->element[i]))
			keys[n++] = reply->element[1]->element[i]->str;
	if ((rc = prime_sweep_keys(p, t, c, keys, n, err, errlen)) < 0)
		goto out;
	t->cycle_swept += rc;
	t->scan_cursor = strtoull(reply->element[0]->str, NULL, 10);
	t->scan_wrapped = t->scan_cursor == 0;
	rc = 0;
out:
	free(keys);
	freeReplyObject(reply);
	return rc;
}

/* Names per step: PRIME_CHECK_BATCH, or with a TTL enough that a cycle
 * visits every name within a quarter of it. */
static int
prime_check_lim(const struct primer *p, const struct prime_target *t)
{
	long long steps, lim = PRIME_CHECK_BATCH;

	if (p->pc.ttl > 0) {
		steps = p->pc.ttl * 1000 / 4 / PRIME_CHECK_EVERY_MS;
		if (steps < 1)
			steps = 1;
		if ((t->cycle_total + steps - 1) / steps > lim)
			lim = (t->cycle_total + steps - 1) / steps;
	}
	return lim > PRIME_CHECK_BATCH_MAX ? PRIME_CHECK_BATCH_MAX : (int)lim;
}

static int
prime_check_begin(struct primer *p, struct prime_target *t, PGconn *c,
    uint64_t now, char *err, size_t errlen)
{
	PGresult *r;

	t->cycle_started = now;
	t->check_seq = 0;
	t->names_done = 0;
	t->cycle_checked = t->cycle_repaired = t->cycle_swept = 0;
	t->scan_cursor = 0;
	t->scan_wrapped = 0;
	t->cycle_total = 0;
	if (p->pc.ttl == 0)
		return 0;
	if ((r = db_query(c, "prime check count", "SELECT count(*) FROM "
	    "edge_names WHERE issued_certificate IS NOT NULL", 0, NULL, NULL,
	    NULL, err, errlen)) == NULL)
		return PRIME_EDB;
	t->cycle_total = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
	PQclear(r);
	return 0;
}

int
prime_check_step(struct primer *p, struct prime_target *t, PGconn *c,
    const struct vault *v, char *err, size_t errlen)
{
	uint64_t now = clock_mono_ms();
	int lim, n = 0;

	if (now < t->next_check)
		return 0;
	t->next_check = now + PRIME_CHECK_EVERY_MS;
	if (t->cycle_started == 0 &&
	    (n = prime_check_begin(p, t, c, now, err, errlen)) < 0)
		return n;
	lim = prime_check_lim(p, t);
	if (!t->names_done) {
		if ((n = prime_check_names(p, t, c, v, lim, err, errlen)) < 0)
			return n;
		t->names_done = n < lim;
	}
	if (!t->scan_wrapped && (n = prime_check_sweep(p, t, c, err,
	    errlen)) < 0)
		return n;
	if (t->names_done && t->scan_wrapped) {
		/* Quiet when all was well: a small fleet cycles every step. */
		log_msg(t->cycle_repaired + t->cycle_swept > 0 ? LOGL_INFO :
		    LOGL_DEBUG, "prime target %s: comparison cycle done in %.1f "
		    "s: %lld name(s) checked, %lld repaired, %lld unused key(s) "
		    "deleted", t->conf->name, (double)(now - t->cycle_started) / 1000.0,
		    t->cycle_checked, t->cycle_repaired, t->cycle_swept);
		t->cycle_started = 0;
	}
	return 0;
}
