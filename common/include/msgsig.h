/* msgsig.h -- signatures of Kafka messages (jobs by the coordinator, events by workers), Ed25519 or ECDSA P-256: keys, header, sign, verify. */
#ifndef CERTFLEET_MSGSIG_H
#define CERTFLEET_MSGSIG_H

#include <stddef.h>
#include <stdint.h>

/*
 * A signed message carries one Kafka header, MSGSIG_HEADER, whose value is
 * ASCII: "v1 <kid> <exp> <sig>", single spaces, nothing else:
 *   kid  16 lower-case hex digits: the first 8 bytes of SHA-256 of the
 *        signer's public key: an Ed25519 key's raw 32 bytes, a P-256 key's
 *        uncompressed point (0x04 || x || y, 65 bytes)
 *   exp  expiry, Unix milliseconds in decimal (no sign, no leading zero);
 *        0 means none (allowed for events only)
 *   sig  base64url (no padding) of the 64-byte signature of
 *        "certfleet-msgsig-v1\n" <purpose> "\n" <kid> "\n" <exp> "\n"
 *        <length of the Kafka key in decimal> "\n" <key bytes> <payload bytes>
 *        where purpose is "job" or "event": a job key cannot sign an event's
 *        bytes into a job, and the key and expiry cannot be changed.
 * The signature is the key's kind: Ed25519's 64 bytes, or ECDSA P-256 with
 * SHA-256 as r || s, 32 bytes each, big-endian (JWS's ES256 form, RFC 7518
 * section 3.4); the verifier knows which from the key id. P-256 costs less
 * CPU (OpenSSL 3.0 here: 24 us to sign and 64 to verify, against Ed25519's
 * 42 and 105; docs/performance-log.md, "Message signatures"), so the local
 * stack makes P-256 keys; both kinds may be mixed in one verifier's file (a
 * rotation from one to the other). The payload itself (the protobuf) is untouched.
 */
#define MSGSIG_HEADER		"certfleet-sig"
#define MSGSIG_HEADER_MAX	160	/* bytes of a header value we read */
#define MSGSIG_KID_LEN		16
#define MSGSIG_KEYS_MAX		64	/* verifying keys accepted at once */
#define MSGSIG_FILE_MAX		(64 * 1024)	/* bytes of a key file */
#define MSGSIG_RELOAD_MS	1000	/* how often a key file's change is looked for */

enum msgsig_purpose {
	MSGSIG_JOB,
	MSGSIG_EVENT,
};

/* A parsed header value. */
struct msgsig_header {
	char		kid[MSGSIG_KID_LEN + 1];
	int64_t		exp_ms;
	unsigned char	sig[64];
};

/* Parses the header value hdr[0..len) (untrusted bytes, not
 * NUL-terminated) strictly into h. Returns 0, or -1 with the reason in err. */
int msgsig_header_parse(const void *hdr, size_t len, struct msgsig_header *h,
    char *err, size_t errlen);

struct msgsig_signer;
struct msgsig_verifier;

/* Loads the Ed25519 or P-256 private key in PEM file path (PKCS#8; encrypted when
 * passfile names a file whose first line is the passphrase, NULL for a
 * plain key). The file is looked at again at most every MSGSIG_RELOAD_MS
 * when signing and re-read when it changed (rotation without restart; a
 * file that no longer loads keeps the key in use, with a warning). Returns
 * the signer, or NULL with a message in err (never key material). */
struct msgsig_signer *msgsig_signer_load(const char *path,
    const char *passfile, char *err, size_t errlen);
void msgsig_signer_free(struct msgsig_signer *s);

/* The key id of the key in use, never NULL. */
const char *msgsig_signer_kid(const struct msgsig_signer *s);

/* Signs key[0..keylen) and payload[0..len) for purpose with expiry exp_ms
 * (0: none) and writes the NUL-terminated header value into out (outlen at
 * least MSGSIG_HEADER_MAX + 1). Returns 0, or -1 with a message in err. */
int msgsig_sign(struct msgsig_signer *s, enum msgsig_purpose purpose,
    int64_t exp_ms, const void *key, size_t keylen, const void *payload,
    size_t len, char *out, size_t outlen, char *err, size_t errlen);

/* Loads the Ed25519 and P-256 public keys (PEM "PUBLIC KEY" blocks, 1 to
 * MSGSIG_KEYS_MAX, text between blocks ignored) of file path: every one is
 * accepted. Re-read on change like a signer's file. Returns NULL with a
 * message in err when the file is unusable. */
struct msgsig_verifier *msgsig_verifier_load(const char *path, char *err,
    size_t errlen);
void msgsig_verifier_free(struct msgsig_verifier *v);

/* Number of keys accepted now. */
size_t msgsig_verifier_count(const struct msgsig_verifier *v);

/* Checks the signature header hdr[0..hdrlen) (NULL: the message has none)
 * of key and payload for purpose: a well-formed header, a known key id, a
 * valid signature, and an expiry after now_ms (a job must have one; an
 * event may have none). Returns 0 when the message may be used, or -1 with
 * the reason for its dead letter in err. */
int msgsig_verify(struct msgsig_verifier *v, enum msgsig_purpose purpose,
    const void *hdr, size_t hdrlen, const void *key, size_t keylen,
    const void *payload, size_t len, int64_t now_ms, char *err,
    size_t errlen);

#endif
