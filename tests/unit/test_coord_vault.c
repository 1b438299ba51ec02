/* test_coord_vault.c -- unit tests of vault.c: AES-256-GCM roundtrip, a key's id, wrong key, tampering, swapped AAD, bad keys, open-only keys. */
#include <stdarg.h>
#include <stddef.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vault.h"

#define KEY_A "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEY_B "ff0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEY_C "ee0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEY_D "dd0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEY_E "cc0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define KEY_F "bb0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f"
#define SECRET "-----BEGIN " "PRIVATE KEY-----\nnot really\n-----END PRIVATE KEY-----\n"

static int
has(const unsigned char *buf, size_t len, const char *needle)
{
	size_t i, n = strlen(needle);

	for (i = 0; i + n <= len; i++)
		if (memcmp(buf + i, needle, n) == 0)
			return 1;
	return 0;
}

static void
test_roundtrip(void **state)
{
	struct vault *v;
	struct vault_box box, box2;
	char err[256], *plain;
	size_t len;

	(void)state;
	assert_non_null(v = vault_new(KEY_A, err, sizeof(err)));
	/* SHA-256 over "certfleet-vault:" and the key, its first 8 bytes in
	 * hex: stored beside every secret, so it must never change */
	assert_string_equal(vault_key_id(v), "a049d2296572d146");
	assert_int_equal(vault_seal(v, SECRET, strlen(SECRET), "private_keys:1",
	    &box, err, sizeof(err)), 0);
	assert_int_equal(box.ctlen, strlen(SECRET));
	assert_false(has(box.ct, box.ctlen, "PRIVATE"));
	assert_string_equal(box.key_id, vault_key_id(v));
	plain = vault_open(v, &box, "private_keys:1", &len, err, sizeof(err));
	assert_non_null(plain);
	assert_int_equal(len, strlen(SECRET));
	assert_string_equal(plain, SECRET);
	vault_plain_free(plain, len);
	/* A fresh nonce every time: same plaintext, different ciphertext. */
	assert_int_equal(vault_seal(v, SECRET, strlen(SECRET), "private_keys:1",
	    &box2, err, sizeof(err)), 0);
	assert_memory_not_equal(box.nonce, box2.nonce, VAULT_NONCE_LEN);
	assert_memory_not_equal(box.ct, box2.ct, box.ctlen);
	vault_box_clear(&box);
	vault_box_clear(&box2);
	vault_free(v);
}

static void
test_wrong_key(void **state)
{
	struct vault *a, *b;
	struct vault_box box;
	char err[256];
	size_t len;

	(void)state;
	a = vault_new(KEY_A, err, sizeof(err));
	b = vault_new(KEY_B, err, sizeof(err));
	assert_string_not_equal(vault_key_id(a), vault_key_id(b));
	assert_int_equal(vault_seal(a, SECRET, strlen(SECRET), "x:1", &box, err,
	    sizeof(err)), 0);
	assert_null(vault_open(b, &box, "x:1", &len, err, sizeof(err)));
	assert_non_null(strstr(err, "master key"));
	/* Even with the id forged to match, the tag does not verify. */
	memcpy(box.key_id, vault_key_id(b), sizeof(box.key_id));
	assert_null(vault_open(b, &box, "x:1", &len, err, sizeof(err)));
	assert_non_null(strstr(err, "authentication failed"));
	vault_box_clear(&box);
	vault_free(a);
	vault_free(b);
}

static void
test_tampered(void **state)
{
	struct vault *v;
	struct vault_box box;
	char err[256];
	size_t len;

	(void)state;
	v = vault_new(KEY_A, err, sizeof(err));
	assert_int_equal(vault_seal(v, SECRET, strlen(SECRET), "x:1", &box, err,
	    sizeof(err)), 0);
	box.ct[3] ^= 0x01;
	assert_null(vault_open(v, &box, "x:1", &len, err, sizeof(err)));
	box.ct[3] ^= 0x01;
	box.tag[0] ^= 0x80;
	assert_null(vault_open(v, &box, "x:1", &len, err, sizeof(err)));
	box.tag[0] ^= 0x80;
	box.nonce[11] ^= 0x01;
	assert_null(vault_open(v, &box, "x:1", &len, err, sizeof(err)));
	box.nonce[11] ^= 0x01;
	box.ctlen--;
	assert_null(vault_open(v, &box, "x:1", &len, err, sizeof(err)));
	box.ctlen++;
	vault_box_clear(&box);
	vault_free(v);
}

/* A ciphertext moved to another row does not open there. */
static void
test_swapped_aad(void **state)
{
	struct vault *v;
	struct vault_box box;
	char err[256];
	size_t len;

	(void)state;
	v = vault_new(KEY_A, err, sizeof(err));
	assert_int_equal(vault_seal(v, SECRET, strlen(SECRET),
	    "private_keys:aaaa", &box, err, sizeof(err)), 0);
	assert_null(vault_open(v, &box, "private_keys:bbbb", &len, err,
	    sizeof(err)));
	assert_null(vault_open(v, &box, "acme_accounts:aaaa", &len, err,
	    sizeof(err)));
	vault_box_clear(&box);
	vault_free(v);
}

/* vault_aad spells each kind's additional data, the strings the stored
 * rows were sealed under (migrations 0001 and 0003): a secret sealed for
 * one kind or row does not open as another. */
static void
test_aad_names(void **state)
{
	struct vault *v;
	struct vault_box box;
	char err[256], aad[VAULT_AAD_MAX], other[VAULT_AAD_MAX];
	size_t len;

	(void)state;
	vault_aad(VAULT_CERT_KEY, "k1", aad);
	assert_string_equal(aad, "private_keys:k1");
	vault_aad(VAULT_ACCOUNT_KEY, "a1", aad);
	assert_string_equal(aad, "acme_accounts:a1");
	vault_aad(VAULT_ACCOUNT_EAB, "a1", other);
	assert_string_equal(other, "acme_accounts_eab:a1");
	assert_non_null(v = vault_new(KEY_A, err, sizeof(err)));
	assert_int_equal(vault_seal(v, SECRET, strlen(SECRET), aad, &box, err,
	    sizeof(err)), 0);
	assert_null(vault_open(v, &box, other, &len, err, sizeof(err)));
	vault_aad(VAULT_ACCOUNT_KEY, "a2", other);
	assert_null(vault_open(v, &box, other, &len, err, sizeof(err)));
	vault_box_clear(&box);
	vault_free(v);
}

static void
test_bad_master_keys(void **state)
{
	char err[256];

	(void)state;
	assert_null(vault_new(NULL, err, sizeof(err)));
	assert_non_null(strstr(err, "64 hex"));
	assert_null(vault_new("abcd", err, sizeof(err)));
	assert_null(vault_new(KEY_A "00", err, sizeof(err)));
	assert_null(vault_new("zz0102030405060708090a0b0c0d0e0f101112131415161718"
	    "191a1b1c1d1e1f", err, sizeof(err)));
	assert_non_null(strstr(err, "not hex"));
}

static void
test_empty_plaintext_refused(void **state)
{
	struct vault *v;
	struct vault_box box;
	char err[256];

	(void)state;
	v = vault_new(KEY_A, err, sizeof(err));
	assert_int_equal(vault_seal(v, "", 0, "x:1", &box, err, sizeof(err)), -1);
	vault_free(v);
}

/* A rotation: B is the master key and A open-only. What A sealed opens,
 * everything is sealed under B, and a key neither knows is named in the
 * error. */
static void
test_open_only(void **state)
{
	struct vault *a, *b, *c, *d;
	struct vault_box box, box2;
	char err[256], *plain;
	size_t len;

	(void)state;
	a = vault_new(KEY_A, err, sizeof(err));
	b = vault_new(KEY_B, err, sizeof(err));
	c = vault_new(KEY_C, err, sizeof(err));
	assert_int_equal(vault_open_only_count(b), 0);
	assert_int_equal(vault_seal(a, SECRET, strlen(SECRET), "x:1", &box, err,
	    sizeof(err)), 0);
	assert_null(vault_open(b, &box, "x:1", &len, err, sizeof(err)));
	assert_non_null(strstr(err, "CERTFLEET_MASTER_KEYS_OPEN_ONLY"));
	assert_int_equal(vault_add_open_only(b, " " KEY_C ", " KEY_A "\n", err,
	    sizeof(err)), 0);
	assert_int_equal(vault_open_only_count(b), 2);
	assert_string_equal(vault_open_only_id(b, 0), vault_key_id(c));
	assert_string_equal(vault_open_only_id(b, 1), vault_key_id(a));
	assert_null(vault_open_only_id(b, 2));
	assert_non_null(plain = vault_open(b, &box, "x:1", &len, err,
	    sizeof(err)));
	assert_memory_equal(plain, SECRET, strlen(SECRET));
	vault_plain_free(plain, len);
	/* the AAD still binds it to its row under an open-only key */
	assert_null(vault_open(b, &box, "x:2", &len, err, sizeof(err)));
	assert_non_null(strstr(err, "authentication failed"));
	/* sealing is the master key's only */
	assert_int_equal(vault_seal(b, SECRET, strlen(SECRET), "x:1", &box2,
	    err, sizeof(err)), 0);
	assert_string_equal(box2.key_id, vault_key_id(b));
	assert_null(vault_open(a, &box2, "x:1", &len, err, sizeof(err)));
	assert_non_null(plain = vault_open(b, &box2, "x:1", &len, err,
	    sizeof(err)));
	vault_plain_free(plain, len);
	vault_box_clear(&box2);
	vault_box_clear(&box);
	/* a key b does not know at all */
	d = vault_new(KEY_D, err, sizeof(err));
	assert_int_equal(vault_seal(d, SECRET, strlen(SECRET), "x:1", &box, err,
	    sizeof(err)), 0);
	assert_null(vault_open(b, &box, "x:1", &len, err, sizeof(err)));
	assert_non_null(strstr(err, "no open-only key is that one"));
	vault_box_clear(&box);
	vault_free(d);
	vault_free(a);
	vault_free(b);
	vault_free(c);
}

/* Bad open-only lists are refused with what is wrong, and add nothing of
 * the bad key. */
static void
test_open_only_refused(void **state)
{
	struct vault *v;
	char err[256];

	(void)state;
	v = vault_new(KEY_A, err, sizeof(err));
	assert_int_equal(vault_add_open_only(v, KEY_A, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "the master key itself"));
	assert_int_equal(vault_add_open_only(v, KEY_B "," KEY_B, err,
	    sizeof(err)), -1);
	assert_non_null(strstr(err, "open-only master key 2"));
	assert_non_null(strstr(err, "given twice"));
	assert_int_equal(vault_open_only_count(v), 1);	/* the first B */
	assert_int_equal(vault_add_open_only(v, "abcd", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "64 hex characters"));
	assert_null(strstr(err, "abcd"));	/* never the key's bytes */
	assert_int_equal(vault_add_open_only(v, "zz0102030405060708090a0b0c0d0e"
	    "0f101112131415161718191a1b1c1d1e1f", err, sizeof(err)), -1);
	assert_non_null(strstr(err, "not hex at position 0"));
	assert_int_equal(vault_add_open_only(v, KEY_C "," KEY_D "," KEY_E ","
	    KEY_F, err, sizeof(err)), -1);
	assert_non_null(strstr(err, "more than 4"));
	assert_int_equal(vault_open_only_count(v), 4);
	assert_int_equal(vault_add_open_only(v, "", err, sizeof(err)), 0);
	vault_free(v);
}

int
main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_roundtrip),
		cmocka_unit_test(test_wrong_key),
		cmocka_unit_test(test_tampered),
		cmocka_unit_test(test_swapped_aad),
		cmocka_unit_test(test_aad_names),
		cmocka_unit_test(test_bad_master_keys),
		cmocka_unit_test(test_empty_plaintext_refused),
		cmocka_unit_test(test_open_only),
		cmocka_unit_test(test_open_only_refused),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
