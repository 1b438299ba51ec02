/* vault.h -- AES-256-GCM encryption of private keys under the master key, bound to their row; open-only keys for a rotation. */
#ifndef CERTFLEET_COORD_VAULT_H
#define CERTFLEET_COORD_VAULT_H

#include <stddef.h>

#define VAULT_KEY_LEN	32
#define VAULT_NONCE_LEN	12	/* random for every seal */
#define VAULT_TAG_LEN	16
#define VAULT_KEY_ID_LEN 16	/* hex of 8 bytes of SHA-256 over the key */
#define VAULT_MAX_PLAIN	(64 * 1024)
#define VAULT_OPEN_ONLY_MAX 4	/* open-only master keys at most */

struct vault;

/* What a sealed secret is. Its additional data (AAD) names its table and
 * row, so a ciphertext copied into another row does not open; vault_aad
 * is the only place those strings are spelled. */
enum vault_secret {
	VAULT_CERT_KEY,		/* private_keys row: "private_keys:<id>" */
	VAULT_ACCOUNT_KEY,	/* acme_accounts row, its key or pending key:
				 * "acme_accounts:<id>" */
	VAULT_ACCOUNT_EAB,	/* acme_accounts row, its EAB MAC key:
				 * "acme_accounts_eab:<id>" */
	VAULT_POOL_KEY,		/* key_pool row, a certificate key made ahead
				 * (keypool.h): "key_pool:<id>"; sealed again
				 * as VAULT_CERT_KEY when it is taken */
};

#define VAULT_AAD_MAX	192	/* longest table name + ':' + an id */

/* Writes the additional data of secret `what` of row id into aad. */
void vault_aad(enum vault_secret what, const char *id,
    char aad[VAULT_AAD_MAX]);

/* What is stored for one secret: ciphertext, nonce, tag, and the id of the
 * master key it was sealed under. */
struct vault_box {
	unsigned char	*ct;
	size_t		 ctlen;
	unsigned char	 nonce[VAULT_NONCE_LEN];
	unsigned char	 tag[VAULT_TAG_LEN];
	char		 key_id[VAULT_KEY_ID_LEN + 1];
};

/* Makes a vault from 64 hex characters. Returns NULL with a message in err
 * when hex is NULL, not 64 characters or not hex. */
struct vault *vault_new(const char *hex, char *err, size_t errlen);
void vault_free(struct vault *v);	/* wipes the key; NULL is fine */

/* The master key's id, stored next to each ciphertext. */
const char *vault_key_id(const struct vault *v);

/*
 * A rotation of the master key (docs/design.md, section 6): open-only keys
 * open what was sealed under them and never seal; vault_seal always seals
 * under the master key, and schedule/reseal.h moves what is left under an
 * open-only key to it. list holds keys of 64 hex characters separated by commas or
 * blanks (CERTFLEET_MASTER_KEYS_OPEN_ONLY). Returns 0, or -1 with a message
 * in err (a key that is not 64 hex characters, the master key itself, one
 * given twice, more than VAULT_OPEN_ONLY_MAX in all) and nothing added of
 * the bad key. Call before the vault is shared between threads.
 */
int vault_add_open_only(struct vault *v, const char *list, char *err,
    size_t errlen);

/* How many open-only keys v has, and the id of the i-th (NULL past them). */
size_t vault_open_only_count(const struct vault *v);
const char *vault_open_only_id(const struct vault *v, size_t i);

/* Encrypts plain[0..len) with the additional data aad (the row's identity,
 * e.g. "private_keys:<id>") into box, whose ct the caller releases with
 * vault_box_clear. Returns 0, or -1 with a message in err. */
int vault_seal(const struct vault *v, const void *plain, size_t len,
    const char *aad, struct vault_box *box, char *err, size_t errlen);

/* Decrypts box under the key it was sealed under (the master key or an
 * open-only one), checking the tag over ciphertext and aad. Returns the
 * plaintext, malloc'd, NUL-terminated, *len set (free it with
 * vault_plain_free, which wipes it), or NULL with a message in err when v
 * has no key of the box's id, the data was tampered with or aad is not the
 * one sealed. */
char *vault_open(const struct vault *v, const struct vault_box *box,
    const char *aad, size_t *len, char *err, size_t errlen);
void vault_plain_free(char *plain, size_t len);

void vault_box_clear(struct vault_box *box);

#endif
