/* vault.c -- AES-256-GCM sealing of private keys: random 96-bit nonce, row identity as AAD, master key id. */
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

struct vault {
	unsigned char	key[VAULT_KEY_LEN];
	char		id[VAULT_KEY_ID_LEN + 1];
	/* fetched once: EVP_aes_256_gcm() in an Init call fetches the
	 * implementation again on every call, which costs more than sealing
	 * or opening a key (a full re-prime opens one per name) */
	EVP_CIPHER	*cipher;
};

struct vault *
vault_new(const char *hex, char *err, size_t errlen)
{
	static const char digits[] = "0123456789abcdef";
	unsigned char md[SHA256_DIGEST_LENGTH];
	struct vault *v;
	size_t i;
	int hi, lo;

	if (hex == NULL || strlen(hex) != 2 * VAULT_KEY_LEN) {
		snprintf(err, errlen, "the master key must be %d hex characters "
		    "(32 bytes; make one with: openssl rand -hex 32)",
		    2 * VAULT_KEY_LEN);
		return NULL;
	}
	if ((v = calloc(1, sizeof(*v))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if ((v->cipher = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL)) == NULL) {
		snprintf(err, errlen, "OpenSSL has no AES-256-GCM");
		vault_free(v);
		return NULL;
	}
	for (i = 0; i < VAULT_KEY_LEN; i++) {
		hi = hexdigit((unsigned char)hex[2 * i]);
		lo = hexdigit((unsigned char)hex[2 * i + 1]);
		if (hi < 0 || lo < 0) {
			snprintf(err, errlen, "the master key has a character "
			    "that is not hex at position %zu", 2 * i +
			    (hi < 0 ? 0 : 1));
			vault_free(v);
			return NULL;
		}
		v->key[i] = (unsigned char)(hi << 4 | lo);
	}
	/* The id tells keys apart without revealing them. */
	{
		unsigned char buf[16 + VAULT_KEY_LEN];

		memcpy(buf, "certfleet-vault:", 16);
		memcpy(buf + 16, v->key, VAULT_KEY_LEN);
		SHA256(buf, sizeof(buf), md);
		OPENSSL_cleanse(buf, sizeof(buf));
	}
	for (i = 0; i < VAULT_KEY_ID_LEN / 2; i++) {
		v->id[2 * i] = digits[md[i] >> 4];
		v->id[2 * i + 1] = digits[md[i] & 0x0f];
	}
	v->id[VAULT_KEY_ID_LEN] = '\0';
	return v;
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
	return v->id;
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
	    EVP_EncryptInit_ex2(ctx, v->cipher, v->key, box->nonce,
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
	memcpy(box->key_id, v->id, sizeof(box->key_id));
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
	EVP_CIPHER_CTX *ctx = NULL;
	unsigned char *plain = NULL;
	int n = 0, fin = 0, ok = 0;

	if (strcmp(box->key_id, v->id) != 0) {
		snprintf(err, errlen, "vault_open: sealed under master key %s, "
		    "but CERTFLEET_MASTER_KEY is %s", box->key_id, v->id);
		return NULL;
	}
	if (box->ctlen == 0 || box->ctlen > VAULT_MAX_PLAIN) {
		snprintf(err, errlen, "vault_open: ciphertext of %zu bytes",
		    box->ctlen);
		return NULL;
	}
	if ((plain = malloc(box->ctlen + 1)) == NULL ||
	    (ctx = EVP_CIPHER_CTX_new()) == NULL ||
	    EVP_DecryptInit_ex2(ctx, v->cipher, v->key, box->nonce,
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
