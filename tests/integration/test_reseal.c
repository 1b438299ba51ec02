/* test_reseal.c -- a master key's rotation against a real PostgreSQL: every sealed place walked in batches over several ticks, what does not open left and counted, the pass not repeated before its gap. Run as CERTFLEET_PG=$(fresh-db reseal) test_reseal. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <libpq-fe.h>

#include "accounts.h"
#include "actions.h"
#include "db.h"
#include "enroll.h"
#include "keypool.h"
#include "migrate.h"
#include "reseal.h"
#include "settings.h"
#include "test_coord_env.h"
#include "vault.h"

#define KEY_OLD "1a1b1c1d1e1f000102030405060708090a0b0c0d0e0f10111213141516171819"
#define KEY_NEW "2a2b2c2d2e2f000102030405060708090a0b0c0d0e0f10111213141516171819"
#define KEY_GONE "3a3b3c3d3e3f000102030405060708090a0b0c0d0e0f10111213141516171819"
#define POOLED	(RESEAL_PER_TICK + 100)	/* a pass of two ticks */
#define ENROLLED 4	/* one of them tampered with, one under KEY_GONE */

static PGconn *db;
static struct settings set;
static struct vault *v_old, *v_new, *v_gone;

/* One value of a query with up to one parameter, malloc'd. */
static char *
sql1(const char *sql, const char *param)
{
	PGresult *r;
	char *v;

	r = PQexecParams(db, sql, param != NULL, NULL, &param, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1)
		fail_msg("%s: %s", sql, PQerrorMessage(db));
	v = strdup(PQgetvalue(r, 0, 0));
	PQclear(r);
	return v;
}

static long
count1(const char *sql, const char *param)
{
	char *v = sql1(sql, param);
	long n = atol(v);

	free(v);
	return n;
}

/* Secrets of every place under key id kid. */
static long
sealed_under(const char *kid)
{
	return count1("SELECT (SELECT count(*) FROM private_keys WHERE key_id = "
	    "$1) + (SELECT count(*) FROM key_pool WHERE key_id = $1) + (SELECT "
	    "count(*) FROM acme_accounts WHERE key_id = $1) + (SELECT count(*) "
	    "FROM acme_accounts WHERE pending_key_id = $1) + (SELECT count(*) "
	    "FROM acme_accounts WHERE eab_key_id = $1)", kid);
}

/* Opens every account key, pending key and EAB MAC key, and every
 * certificate key, under v; returns how many opened, with a digest of
 * what opened (a sum of the bytes, order-free) in *sum. */
static long
open_all(const struct vault *v, unsigned long *sum)
{
	PGresult *r;
	char err[512], *pem, *kid;
	size_t len, k;
	long n = 0;
	int i;

	*sum = 0;
	r = PQexec(db, "SELECT id FROM acme_accounts ORDER BY id");
	for (i = 0; i < PQntuples(r); i++) {
		const char *id = PQgetvalue(r, i, 0);

		if (accounts_key_pem(db, v, id, &pem, &len, err,
		    sizeof(err)) == 1) {
			for (k = 0; k < len; k++)
				*sum += (unsigned char)pem[k];
			vault_plain_free(pem, len);
			n++;
		}
		if (actions_pending_key_pem(db, v, id, &pem, &len, err,
		    sizeof(err)) == 1) {
			for (k = 0; k < len; k++)
				*sum += (unsigned char)pem[k];
			vault_plain_free(pem, len);
			n++;
		}
		if (accounts_eab(db, v, id, &kid, &pem, &len, err,
		    sizeof(err)) == 1) {
			for (k = 0; k < len; k++)
				*sum += (unsigned char)pem[k];
			vault_plain_free(pem, len);
			free(kid);
			n++;
		}
	}
	PQclear(r);
	r = PQexec(db, "SELECT id, key_ciphertext, key_nonce, key_tag, key_id "
	    "FROM private_keys UNION ALL SELECT 'pool:' || id, key_ciphertext, "
	    "key_nonce, key_tag, key_id FROM key_pool");
	for (i = 0; i < PQntuples(r); i++) {
		const char *id = PQgetvalue(r, i, 0);
		int pool = strncmp(id, "pool:", 5) == 0;

		if ((pem = db_open_box(r, i, 1, v, pool ? VAULT_POOL_KEY :
		    VAULT_CERT_KEY, pool ? id + 5 : id, &len, err,
		    sizeof(err))) != NULL) {
			for (k = 0; k < len; k++)
				*sum += (unsigned char)pem[k];
			vault_plain_free(pem, len);
			n++;
		}
	}
	PQclear(r);
	return n;
}

static void
enroll(const struct vault *v, const char *name)
{
	struct enroll_request req;
	char body[256], err[512], id[IDS_LEN + 1];

	snprintf(body, sizeof(body), "{\"hostnames\": [\"%s\"]}", name);
	if (enroll_parse(body, strlen(body), KEYS_EC_P256, &req, err,
	    sizeof(err)) < 0 || enroll_create(db, v, &set, &req, id, err,
	    sizeof(err)) < 0)
		fail_msg("enroll %s: %s", name, err);
	enroll_request_free(&req);
}

/* Runs reseal_tick at now_ms until it says the pass ended; returns the
 * ticks it took. */
static int
pass(const struct vault *v, struct reseal *st, uint64_t now_ms)
{
	char err[512];
	int rc, ticks = 0;

	do {
		if ((rc = reseal_tick(db, v, st, now_ms, err, sizeof(err))) < 0)
			fail_msg("reseal_tick: %s", err);
		ticks++;
	} while (rc == 1 && ticks < 100);
	return ticks;
}

/* Secrets of every kind sealed under KEY_OLD (a rollover's pending key and
 * an EAB MAC key among them), one tampered with, one under a key nobody
 * has any more; the new key with the old one open-only walks them all in
 * two ticks. */
static void
test_rotation(void **state)
{
	struct keypool_sizes sizes = { { 0 } };
	struct reseal st = { 0 };
	struct vault *alone;
	unsigned long sum_old, sum;
	char err[512], aid[IDS_LEN + 1], *acct, *tampered, *kid;
	long opened_old, moved;

	(void)state;
	sizes.n[KEYS_EC_P256] = POOLED;
	while (keypool_fill(db, v_old, &sizes, 500, err, sizeof(err)) > 0)
		;
	assert_int_equal(count1("SELECT count(*) FROM key_pool", NULL), POOLED);
	enroll(v_old, "a.reseal.example");
	enroll(v_old, "b.reseal.example");
	enroll(v_old, "c.reseal.example");
	enroll(v_gone, "d.reseal.example");
	acct = sql1("SELECT id FROM acme_accounts WHERE ca = 'ca-a'", NULL);
	/* registered (a rollover needs a valid account) */
	PQclear(PQexecParams(db, "UPDATE acme_accounts SET status = 'valid', "
	    "account_url = 'https://ca-a.test/acct/1' WHERE id = $1", 1, NULL,
	    (const char *const *)&acct, NULL, NULL, 0));
	assert_int_equal(actions_rollover(db, v_old, acct, KEYS_EC_P256, aid, err,
	    sizeof(err)), ACTIONS_QUEUED);
	assert_int_equal(count1("SELECT count(*) FROM acme_accounts WHERE "
	    "eab_key_id IS NOT NULL AND pending_key_id IS NOT NULL", NULL), 1);
	/* a certificate key tampered with: its tag no longer verifies */
	tampered = sql1("SELECT id FROM private_keys WHERE key_id = $1 ORDER BY "
	    "id LIMIT 1", vault_key_id(v_old));
	PQclear(PQexecParams(db, "UPDATE private_keys SET key_tag = "
	    "set_byte(key_tag, 0, get_byte(key_tag, 0) # 255) WHERE id = $1", 1,
	    NULL, (const char *const *)&tampered, NULL, NULL, 0));
	/* what opens under the old key and under the gone one, before */
	opened_old = open_all(v_old, &sum_old);
	assert_int_equal(open_all(v_gone, &sum), 1);
	moved = sealed_under(vault_key_id(v_old)) - 1;
	assert_int_equal(moved, opened_old);
	/* pooled + 2 certificate keys + 2 account keys + pending + EAB */
	assert_int_equal(moved, POOLED + 2 + 2 + 1 + 1);

	/* two ticks: RESEAL_PER_TICK secrets, then the rest */
	assert_int_equal(pass(v_new, &st, 1000), 2);
	assert_int_equal(st.done, moved);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.left, 2);	/* the tampered one, the gone one */
	assert_int_equal(sealed_under(vault_key_id(v_new)), moved);
	assert_int_equal(sealed_under(vault_key_id(v_gone)), 1);
	kid = sql1("SELECT key_id FROM private_keys WHERE id = $1", tampered);
	assert_string_equal(kid, vault_key_id(v_old));	/* left as it was */
	free(kid);

	/* the new key alone opens all that moved, to the same bytes */
	alone = vault_new(KEY_NEW, err, sizeof(err));
	assert_int_equal(open_all(alone, &sum), moved);
	assert_true(sum == sum_old);
	vault_free(alone);
	assert_int_equal(open_all(v_old, &sum), 0);

	/* not again before the gap; then a pass that finds nothing to move */
	st.done = -1;
	assert_int_equal(pass(v_new, &st, 1000 + RESEAL_PASS_GAP_MS - 1), 1);
	assert_int_equal(st.done, -1);
	assert_int_equal(pass(v_new, &st, 1000 + RESEAL_PASS_GAP_MS), 1);
	assert_int_equal(st.done, 0);
	assert_int_equal(st.failed, 1);
	assert_int_equal(st.left, 2);
	free(acct);
	free(tampered);
}

/* A row written between the pass's read and its write (here by a trigger
 * that, when the pass writes the first of two rows, writes the second) is
 * left as the other writer made it, not overwritten. */
static void
test_row_changed_meanwhile(void **state)
{
	struct reseal st = { 0 };
	char *first, *second, *v, sql[512];
	PGresult *r;

	(void)state;
	enroll(v_old, "e.reseal.example");
	enroll(v_old, "f.reseal.example");
	/* the two just enrolled, in the order the pass reads them */
	first = sql1("SELECT id FROM private_keys WHERE key_id = $1 ORDER BY id "
	    "DESC LIMIT 1 OFFSET 1", vault_key_id(v_old));
	second = sql1("SELECT max(id) FROM private_keys WHERE key_id = $1",
	    vault_key_id(v_old));
	r = PQexec(db, "CREATE FUNCTION reseal_meanwhile() RETURNS trigger "
	    "LANGUAGE plpgsql AS $$ BEGIN UPDATE private_keys SET key_nonce = "
	    "'\\x0102030405060708090a0b0c' WHERE id = TG_ARGV[0]; RETURN NULL; "
	    "END $$");
	assert_int_equal(PQresultStatus(r), PGRES_COMMAND_OK);
	PQclear(r);
	/* ids are ours (UUIDs): no quoting needed */
	snprintf(sql, sizeof(sql), "CREATE TRIGGER reseal_meanwhile AFTER UPDATE "
	    "OF key_id ON private_keys FOR EACH ROW WHEN (OLD.id = '%s') EXECUTE "
	    "FUNCTION reseal_meanwhile('%s')", first, second);
	r = PQexec(db, sql);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		fail_msg("%s: %s", sql, PQerrorMessage(db));
	PQclear(r);
	pass(v_new, &st, 1000);
	assert_int_equal(st.done, 1);	/* the first only */
	v = sql1("SELECT key_id || ' ' || encode(key_nonce, 'hex') FROM "
	    "private_keys WHERE id = $1", second);
	assert_non_null(strstr(v, vault_key_id(v_old)));
	assert_non_null(strstr(v, "0102030405060708090a0b0c"));
	free(v);
	v = sql1("SELECT key_id FROM private_keys WHERE id = $1", first);
	assert_string_equal(v, vault_key_id(v_new));
	free(v);
	PQclear(PQexec(db, "DROP TRIGGER reseal_meanwhile ON private_keys"));
	free(first);
	free(second);
}

/* Without an open-only key, a tick does nothing at all. */
static void
test_no_open_only(void **state)
{
	struct reseal st = { 0 };
	char err[256];
	struct vault *v = vault_new(KEY_OLD, err, sizeof(err));

	(void)state;
	assert_int_equal(reseal_tick(db, v, &st, 1000, err, sizeof(err)), 0);
	assert_int_equal(st.passing, 0);
	assert_int_equal(st.next_ms, 0);
	vault_free(v);
}

static int
setup(void **state)
{
	const char *pg = getenv("CERTFLEET_PG");
	char err[512];

	(void)state;
	if (pg == NULL) {
		fprintf(stderr, "CERTFLEET_PG is not set (run under with-env, "
		    "with fresh-db)\n");
		return -1;
	}
	db = PQconnectdb(pg);
	if (PQstatus(db) != CONNECTION_OK || migrate_apply(db, err,
	    sizeof(err)) < 0) {
		fprintf(stderr, "%s: %s %s\n", pg, PQerrorMessage(db), err);
		return -1;
	}
	test_coord_env(KEY_OLD);
	setenv("CERTFLEET_CA_CA_A_EAB_KID", "kid-1", 1);
	setenv("CERTFLEET_CA_CA_A_EAB_HMAC", "c2VjcmV0LW1hYy1rZXktb2YtdGhlLXRlc3Q", 1);
	if (settings_load(&set, 1, err, sizeof(err)) < 0 ||
	    (v_old = vault_new(KEY_OLD, err, sizeof(err))) == NULL ||
	    (v_gone = vault_new(KEY_GONE, err, sizeof(err))) == NULL ||
	    (v_new = vault_new(KEY_NEW, err, sizeof(err))) == NULL ||
	    vault_add_open_only(v_new, KEY_OLD, err, sizeof(err)) < 0 ||
	    accounts_ensure(db, v_old, &set, err, sizeof(err)) < 0) {
		fprintf(stderr, "setup: %s\n", err);
		return -1;
	}
	return 0;
}

static int
teardown(void **state)
{
	(void)state;
	vault_free(v_old);
	vault_free(v_new);
	vault_free(v_gone);
	PQfinish(db);
	return 0;
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_no_open_only),
		cmocka_unit_test(test_rotation),
		cmocka_unit_test(test_row_changed_meanwhile),
	};

	return cmocka_run_group_tests(tests, setup, teardown);
}
