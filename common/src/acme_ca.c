/* acme_ca.c -- the ACME engine's per-CA state: the directory fetched once and shared by the CA's ops, and the pool of Replay-Nonces. */
#include "acme_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"

#define ACME_DIR_RETRY_MS	1000	/* wait after a failed directory fetch */

void
acme_nonce_push(struct acme_ca *ca, const char *nonce)
{
	char *n;
	size_t slot;

	if ((n = strdup(nonce)) == NULL)
		return;
	slot = (ca->nonce_head + ca->nnonces) % ACME_NONCE_POOL;
	if (ca->nnonces == ACME_NONCE_POOL) {
		/* full: the oldest (at head) goes */
		free(ca->nonces[ca->nonce_head]);
		ca->nonces[ca->nonce_head] = NULL;
		ca->nonce_head = (ca->nonce_head + 1) % ACME_NONCE_POOL;
		ca->nnonces--;
		slot = (ca->nonce_head + ca->nnonces) % ACME_NONCE_POOL;
	}
	ca->nonces[slot] = n;
	ca->nnonces++;
}

/* Takes the newest nonce (the least likely to have expired), or NULL. */
char *
acme_nonce_pop(struct acme_ca *ca)
{
	size_t slot;
	char *n;

	if (ca->nnonces == 0)
		return NULL;
	slot = (ca->nonce_head + ca->nnonces - 1) % ACME_NONCE_POOL;
	n = ca->nonces[slot];
	ca->nonces[slot] = NULL;
	ca->nnonces--;
	return n;
}

void
acme_ca_free(struct acme_ca *ca)
{
	size_t i;

	acme_req_free(ca->dir_req);
	for (i = 0; i < ACME_NONCE_POOL; i++)
		free(ca->nonces[i]);
	free(ca->dir_url);
	free(ca->ca_file);
	free(ca->new_nonce);
	free(ca->new_account);
	free(ca->new_order);
	free(ca->revoke_cert);
	free(ca->key_change);
	free(ca->renewal_info);
	json_decref(ca->profiles);
	free(ca);
}

struct acme_ca *
acme_ca_get(struct acme_engine *e, const char *dir, const char *ca_file)
{
	struct acme_ca *ca;

	for (ca = e->cas; ca != NULL; ca = ca->next)
		if (strcmp(ca->dir_url, dir) == 0)
			return ca;
	if ((ca = calloc(1, sizeof(*ca))) == NULL)
		return NULL;
	if ((ca->dir_url = strdup(dir)) == NULL ||
	    (ca_file != NULL && (ca->ca_file = strdup(ca_file)) == NULL)) {
		acme_ca_free(ca);
		return NULL;
	}
	ca->next = e->cas;
	e->cas = ca;
	return ca;
}

void
acme_waiters_remove(struct acme_op *op)
{
	struct acme_op **pp;

	if (!op->waiting_dir)
		return;
	for (pp = &op->ca->waiters; *pp != NULL; pp = &(*pp)->wnext)
		if (*pp == op) {
			*pp = op->wnext;
			break;
		}
	op->waiting_dir = 0;
	op->wnext = NULL;
}

/* Keeps the optional ARI and profile members of a directory: renewalInfo
 * (RFC 9773) and meta.profiles (draft-ietf-acme-profiles). */
static void
ca_directory_ari(struct acme_ca *ca, json_t *d)
{
	const char *ri = acme_json_url(d, "renewalInfo");
	json_t *pr = json_object_get(json_object_get(d, "meta"), "profiles");

	free(ca->renewal_info);
	ca->renewal_info = ri != NULL ? strdup(ri) : NULL;
	json_decref(ca->profiles);
	ca->profiles = json_is_object(pr) ? json_incref(pr) : NULL;
}

/* The directory arrived (or failed): wakes every waiter. */
void
acme_ca_directory_done(struct acme_ca *ca, struct acme_req *r)
{
	json_t *d = NULL;
	const char *nn, *na, *no, *u;
	char why[256] = "", insecure[ACME_URL_MAX + 1] = "";
	struct acme_op *op;
	int down = (r->cc != CURLE_OK && !r->body_toobig && !r->h.toobig) ||
	    (r->cc == CURLE_OK && r->status >= 500);

	if (r->cc != CURLE_OK)
		snprintf(why, sizeof(why), "%s", r->body_toobig ?
		    "body over cap" : r->errbuf[0] != '\0' ? r->errbuf :
		    curl_easy_strerror(r->cc));
	else if (r->status != 200)
		snprintf(why, sizeof(why), "HTTP %ld", r->status);
	else if (!acme_ctype_is(r->ctype, "application/json"))
		snprintf(why, sizeof(why), "content type is not application/json");
	else if ((d = acme_directory_parse(r->body, r->len, why,
	    sizeof(why))) == NULL)
		;	/* why is set */
	else if ((u = acme_json_insecure(d)) != NULL) {
		snprintf(insecure, sizeof(insecure), "%s", u);
		snprintf(why, sizeof(why), "a plain http URL: %.128s", u);
	}
	else if ((nn = acme_json_url(d, "newNonce")) == NULL ||
	    (na = acme_json_url(d, "newAccount")) == NULL ||
	    (no = acme_json_url(d, "newOrder")) == NULL)
		snprintf(why, sizeof(why), "newNonce, newAccount or newOrder missing");
	else if ((ca->new_nonce = strdup(nn)) == NULL ||
	    (ca->new_account = strdup(na)) == NULL ||
	    (ca->new_order = strdup(no)) == NULL ||
	    (acme_json_url(d, "revokeCert") != NULL && (ca->revoke_cert =
	    strdup(acme_json_url(d, "revokeCert"))) == NULL) ||
	    (acme_json_url(d, "keyChange") != NULL && (ca->key_change =
	    strdup(acme_json_url(d, "keyChange"))) == NULL))
		snprintf(why, sizeof(why), "out of memory");
	else
		ca_directory_ari(ca, d);
	json_decref(d);

	if (why[0] == '\0')
		ca->dir_state = ACME_DIR_READY;
	else {
		ca->dir_state = ACME_DIR_NONE;	/* the next op fetches again */
		free(ca->new_nonce);
		free(ca->new_account);
		free(ca->new_order);
		free(ca->revoke_cert);
		free(ca->key_change);
		ca->new_nonce = ca->new_account = ca->new_order = NULL;
		ca->revoke_cert = ca->key_change = NULL;
		log_warn("acme: directory %s: %s", ca->dir_url, why);
	}
	/* Callbacks may start ops on this CA meanwhile: they never join this
	 * list (see acme_op_need_directory), so the loop ends. */
	ca->notifying = 1;
	while ((op = ca->waiters) != NULL) {
		ca->waiters = op->wnext;
		op->wnext = NULL;
		op->waiting_dir = 0;
		if (why[0] == '\0')
			op->on_ready(op);
		else if (down)
			acme_op_unavailable(op, "directory %s: %s", ca->dir_url,
			    why);
		else if (insecure[0] != '\0')
			acme_op_fail_insecure(op, "directory", insecure);
		else
			acme_op_fail(op, 1, "directory %s: %s", ca->dir_url, why);
	}
	ca->notifying = 0;
}

void
acme_op_need_directory(struct acme_op *op)
{
	struct acme_ca *ca = op->ca;
	char err[256];

	if (ca->dir_state == ACME_DIR_READY) {
		op->on_ready(op);
		return;
	}
	if (ca->notifying) {		/* a fetch just failed: try again later */
		acme_op_sleep(op, ACME_DIR_RETRY_MS, ACME_WAIT_DIRECTORY);
		return;
	}
	if (ca->dir_state == ACME_DIR_NONE) {
		if (acme_req_send(op->e, ACME_REQ_DIRECTORY, NULL, ca, ca->dir_url,
		    "directory", NULL, 0, op->e->conf.request_timeout_ms, err,
		    sizeof(err)) < 0) {
			acme_op_fail(op, 1, "directory: %s", err);
			return;
		}
		ca->dir_state = ACME_DIR_FETCHING;
	}
	op->wnext = ca->waiters;
	ca->waiters = op;
	op->waiting_dir = 1;
}
