/* vault.c -- AES-256-GCM sealing of private keys: random 96-bit nonce, row identity as AAD, master key id; open-only keys for a rotation. */
#include "vault.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "hexdigit.h"
#include "ids.h"

/* One master key and its id. */
struct vault_key {
	unsigned char	key[VAULT_KEY_LEN];
	char		id[VAULT_KEY_ID_LEN + 1];
};

struct vault {
	struct vault_key cur;		/* seals, and opens */
	struct vault_key open_only[VAULT_OPEN_ONLY_MAX];	/* open only */
	size_t		 nopen_only;
	/* fetched once: EVP_aes_256_gcm() in an Init call fetches the
	 * implementation again on every call, which costs more than sealing
	 * or opening a key (a full re-prime opens one per name) */
	EVP_CIPHER	*cipher;
};

/* Reads the 64 hex characters at hex[0..len) into k, with its id. Returns
 * 0, or -1 with a message in err (what names the key in it). */
static int
vault_key_parse(struct vault_key *k, const char *hex, size_t len,
    const char *what, char *err, size_t errlen)
{
	unsigned char md[SHA256_DIGEST_LENGTH], buf[16 + VAULT_KEY_LEN];
	size_t i;
	int hi, lo;

	if (len != 2 * VAULT_KEY_LEN) {
		snprintf(err, errlen, "%s must be %d hex characters (32 bytes; "
		    "make one with: openssl rand -hex 32), not %zu", what,
		    2 * VAULT_KEY_LEN, len);
		return -1;
	}
	for (i = 0; i < VAULT_KEY_LEN; i++) {
		hi = hexdigit((unsigned char)hex[2 * i]);
		lo = hexdigit((unsigned char)hex[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			snprintf(err, errlen, "%s has a character that is not "
			    "hex at position %zu", what, 2 * i + (hi < 0 ? 0 :
			    1));
			OPENSSL_cleanse(k->key, sizeof(k->key));
			return -1;
		}
		k->key[i] = (unsigned char)(hi << 4 | lo);
	}
	/* The id tells keys apart without revealing them. */
	memcpy(buf, "certfleet-vault:", 16);
	memcpy(buf + 16, k->key, VAULT_KEY_LEN);
	SHA256(buf, sizeof(buf), md);
	OPENSSL_cleanse(buf, sizeof(buf));
	ids_hex(md, VAULT_KEY_ID_LEN / 2, k->id);
	return 0;
}

struct vault *
vault_new(const char *hex, char *err, size_t errlen)
{
	struct vault *v;

	if ((v = calloc(1, sizeof(*v))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((v->cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL)) == NULL) {
		snprintf(err, errlen, "OpenSSL has no AES-256-GCM");
		vault_free(v);
		return NULL;
	}
	if (vault_key_parse(&v->cur, hex != NULL ? hex : "", hex != NULL ?
	    strlen(hex) : 0, "the master key", err, errlen) < 0) {
		vault_free(v);
		return NULL;
	}
	return v;
}

/* What separates the keys of an open-only list. */
#define VAULT_LIST_SEPS ", \t\n"

/* The key whose id is id, or NULL. */
static const struct vault_key *
vault_find(const struct vault *v, const char *id)
{
	size_t i;

	if (strcmp(v->cur.id, id) == 0)
		return &v->cur;
	for (i = 0; i < v->nopen_only; i++)
		if (strcmp(v->open_only[i].id, id) == 0)
			return &v->open_only[i];
	return NULL;
}

int
vault_add_open_only(struct vault *v, const char *list, char *err,
    size_t errlen)
{
	struct vault_key k;
	const char *p = list;
	size_t len, nth = 0;
	char what[64];

	for (;;) {
		p += strspn(p, VAULT_LIST_SEPS);
		if (*p == '\0')
			break;
		len = strcspn(p, VAULT_LIST_SEPS);
		snprintf(what, sizeof(what), "open-only master key %zu", ++nth);
		if (vault_key_parse(&k, p, len, what, err, errlen) < 0)
			return -1;
		if (vault_find(v, k.id) != NULL) {
			snprintf(err, errlen, "%s (id %s) is %s", what, k.id,
			    strcmp(k.id, v->cur.id) == 0 ? "the master key "
			    "itself: it opens already" : "given twice");
			OPENSSL_cleanse(&k, sizeof(k));
			return -1;
		}
		if (v->nopen_only == VAULT_OPEN_ONLY_MAX) {
			snprintf(err, errlen, "more than %d open-only master "
			    "keys", VAULT_OPEN_ONLY_MAX);
			OPENSSL_cleanse(&k, sizeof(k));
			return -1;
		}
		v->open_only[v->nopen_only++] = k;
		OPENSSL_cleanse(&k, sizeof(k));
		p += len;
	}
	return 0;
}

size_t
vault_open_only_count(const struct vault *v)
{
	return v->nopen_only;
}

const char *
vault_open_only_id(const struct vault *v, size_t i)
{
	return i < v->nopen_only ? v->open_only[i].id : NULL;
}

void
vault_free(struct vault *v)
{
	if (v == NULL)
		return;
	EVP_CIPHER_free(v->cipher);
	OPENSSL_clear_free(v, sizeof(*v));
}

const char *
vault_key_id(const struct vault *v)
{
	return v->cur.id;
}

int
vault_seal(const struct vault *v, const void *plain, size_t len,
    const char *aad, struct vault_box *box, char *err, size_t errlen)
{
	EVP_CIPHER_CTX *ctx = NULL;
	int n, fin, rc = -1;

	memset(box, 0, sizeof(*box));
	if (len == 0 || len > VAULT_MAX_PLAIN) {
		snprintf(err, errlen, "vault_seal: %zu bytes (1-%d)", len,
		    VAULT_MAX_PLAIN);
		return -1;
	}
	if ((box->ct = malloc(len)) == NULL ||
	    RAND_bytes(box->nonce, VAULT_NONCE_LEN) != 1 ||
	    (ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_EncryptInit_ex2(ctx, v->cipher, v->cur.key, box->nonce,
	    NULL) != 1 ||
	    EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *)aad,
	    (int)strlen(aad)) != 1 ||
	    EVP_EncryptUpdate(ctx, box->ct, &n, plain, (int)len) != 1 ||
	    EVP_EncryptFinal_ex(ctx, box->ct + n, &fin) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, VAULT_TAG_LEN,
	    box->tag) != 1) {
		snprintf(err, errlen, "vault_seal: encryption failed");
		goto out;
	}
	box->ctlen = (size_t)n + (size_t)fin;
	memcpy(box->key_id, v->cur.id, sizeof(box->key_id));
	rc = 0;
out:
	EVP_CIPHER_CTX_free(ctx);
	if (rc < 0)
		vault_box_clear(box);
	return rc;
}

char *
vault_open(const struct vault *v, const struct vault_box *box,
    const char *aad, size_t *len, char *err, size_t errlen)
{
	const struct vault_key *k;
	EVP_CIPHER_CTX *ctx = NULL;
	unsigned char *plain = NULL;
	int n = 0, fin = 0, ok = 0;

	if ((k = vault_find(v, box->key_id)) == NULL) {
		snprintf(err, errlen, "vault_open: sealed under master key %s, "
		    "but CERTFLEET_MASTER_KEY is %s%s", box->key_id, v->cur.id,
		    v->nopen_only > 0 ? " and no open-only key is that one" :
		    " (give the key it was sealed under in "
		    "CERTFLEET_MASTER_KEYS_OPEN_ONLY)");
		return NULL;
	}
	if (box->ctlen == 0 || box->ctlen > VAULT_MAX_PLAIN) {
		snprintf(err, errlen, "vault_open: ciphertext of %zu bytes",
		    box->ctlen);
		return NULL;
	}
	if ((plain = malloc(box->ctlen + 1)) == NULL ||
	    (ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DecryptInit_ex2(ctx, v->cipher, k->key, box->nonce,
	    NULL) != 1 ||
	    EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *)aad,
	    (int)strlen(aad)) != 1 ||
	    EVP_DecryptUpdate(ctx, plain, &n, box->ct, (int)box->ctlen) != 1 ||
	    EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, VAULT_TAG_LEN,
	    (void *)(uintptr_t)box->tag) != 1 ||
	    EVP_DecryptFinal_ex(ctx, plain + n, &fin) != 1)
		snprintf(err, errlen, "vault_open: authentication failed (wrong "
		    "key, tampered data or a row's ciphertext under another id)");
	else
		ok = 1;
	EVP_CIPHER_CTX_free(ctx);
	if (!ok) {
		if (plain != NULL)
			OPENSSL_clear_free(plain, box->ctlen + 1);
		return NULL;
	}
	*len = (size_t)n + (size_t)fin;
	plain[*len] = '\0';
	return (char *)plain;
}

void
vault_plain_free(char *plain, size_t len)
{
	if (plain != NULL)
		OPENSSL_clear_free(plain, len + 1);
}

void
vault_box_clear(struct vault_box *box)
{
	free(box->ct);
	box->ct = NULL;
	box->ctlen = 0;
}

void
vault_aad(enum vault_secret what, const char *id, char aad[VAULT_AAD_MAX])
{
	const char *table;

	switch (what) {
	case VAULT_CERT_KEY:
		table = "private_keys";
		break;
	case VAULT_ACCOUNT_EAB:
		table = "acme_accounts_eab";
		break;
	case VAULT_POOL_KEY:
		table = "key_pool";
		break;
	case VAULT_ACCOUNT_KEY:
	default:
		table = "acme_accounts";
		break;
	}
	snprintf(aad, VAULT_AAD_MAX, "%s:%s", table, id);
}
