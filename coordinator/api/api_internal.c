/* api_internal.c -- the workers' /internal/v1 endpoints: an account's key, its rollover's pending key, its External Account Binding. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <microhttpd.h>

#include "accounts.h"
#include "actions.h"
#include "api_int.h"
#include "ids.h"
#include "log.h"
#include "vault.h"

/* The account's key, or with pending its rollover's new key. */
static enum MHD_Result
api_account_key(struct api *a, struct MHD_Connection *conn, const char *id,
    int pending)
{
	char err[512], *pem = NULL;
	size_t len = 0;
	int found;

	if (api_db(a, err, sizeof(err)) < 0)
		return api_unavailable(conn, err);
	if ((found = pending ? actions_pending_key_pem(a->db, a->v, id, &pem,
	    &len, err, sizeof(err)) : accounts_key_pem(a->db, a->v, id, &pem,
	    &len, err, sizeof(err))) < 0) {
		log_err("api: account key %s: %s", id, err);
		return api_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the account key cannot be read");
	}
	if (found == 0)
		return api_error(conn, MHD_HTTP_NOT_FOUND, "no %saccount key %s",
		    pending ? "pending " : "", id);
	log_info("api: %saccount key %s served to a worker", pending ?
	    "pending " : "", id);
	return api_reply_secret(conn, pem, len);
}

/* The account's External Account Binding for the worker that registers it:
 * text/plain "kid=<key id>\nhmac=<MAC key, base64url>\n", 404 when none. */
static enum MHD_Result
api_account_eab(struct api *a, struct MHD_Connection *conn, const char *id)
{
	char err[512], *kid = NULL, *hmac = NULL, *body;
	size_t len = 0, blen;
	int found, n;

	if (api_db(a, err, sizeof(err)) < 0)
		return api_unavailable(conn, err);
	if ((found = accounts_eab(a->db, a->v, id, &kid, &hmac, &len, err,
	    sizeof(err))) < 0) {
		log_err("api: account EAB %s: %s", id, err);
		return api_error(conn, MHD_HTTP_INTERNAL_SERVER_ERROR,
		    "the external account binding cannot be read");
	}
	if (found == 0)
		return api_error(conn, MHD_HTTP_NOT_FOUND, "account %s has no "
		    "external account binding", id);
	blen = strlen(kid) + len + 16;
	if ((body = malloc(blen)) == NULL) {
		free(kid);
		vault_plain_free(hmac, len);
		return MHD_NO;
	}
	n = snprintf(body, blen, "kid=%s\nhmac=%.*s\n", kid, (int)len, hmac);
	free(kid);
	vault_plain_free(hmac, len);
	log_info("api: external account binding of %s served to a worker", id);
	return api_reply_secret_as(conn, body, (size_t)n, "text/plain");
}

enum MHD_Result
api_route_internal(struct api *a, struct MHD_Connection *conn,
    const char *path, const char *method)
{
	char id[IDS_LEN + 2];
	const char *rest;

	if (strncmp(path, "accounts/", 9) != 0)
		return api_error(conn, MHD_HTTP_NOT_FOUND, "no such path");
	rest = api_segment(path + 9, id, sizeof(id));
	if (strcmp(rest, "/key") != 0 && strcmp(rest, "/eab") != 0 &&
	    strcmp(rest, "/pending-key") != 0)
		return api_error(conn, MHD_HTTP_NOT_FOUND, "no such path");
	if (strcmp(method, "GET") != 0)
		return api_error(conn, MHD_HTTP_METHOD_NOT_ALLOWED,
		    "%s is not allowed here (GET)", method);
	if (!ids_valid(id))
		return api_error(conn, MHD_HTTP_NOT_FOUND, "not an account id");
	if (strcmp(rest, "/eab") == 0)
		return api_account_eab(a, conn, id);
	return api_account_key(a, conn, id, strcmp(rest, "/pending-key") == 0);
}
