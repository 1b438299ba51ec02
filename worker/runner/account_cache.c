/* account_cache.c -- account keys fetched once over the coordinator's authenticated internal API, kept in memory only. */
#include "account_cache.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "httpget.h"
#include "log.h"

#define ACACHE_ID_MAX 128
#define ACACHE_EAB_MAX 2048	/* the /eab answer */

struct account {
	char		*id;
	char		*url;
	int		 eab_known;	/* the coordinator was asked */
	char		*eab_kid;	/* NULL: no binding */
	char		*eab_hmac;	/* secret: wiped on free */
	struct jws_key	*key;
	struct account	*next;
};

struct acache {
	char		*api;
	char		*token;
	struct http_tls	 tls;	/* borrowed strings (acache_new) */
	struct account	*list;	/* a handful per CA: a list is enough */
	struct account	*retired; /* keys replaced while ops may borrow them */
};

struct acache *
acache_new(const char *api, const char *token, const struct http_tls *tls)
{
	struct acache *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	if (tls != NULL)
		a->tls = *tls;
	a->api = strdup(api);
	a->token = strdup(token);
	if (a->api == NULL || a->token == NULL) {
		acache_free(a);
		return NULL;
	}
	return a;
}

static void
acache_list_free(struct account *p)
{
	struct account *next;

	for (; p != NULL; p = next) {
		next = p->next;
		jws_key_free(p->key);
		free(p->eab_kid);
		if (p->eab_hmac != NULL)
			memset(p->eab_hmac, 0, strlen(p->eab_hmac));
		free(p->eab_hmac);
		free(p->id);
		free(p->url);
		free(p);
	}
}

void
acache_free(struct acache *a)
{
	if (a == NULL)
		return;
	acache_list_free(a->list);
	acache_list_free(a->retired);
	free(a->api);
	free(a->token);
	free(a);
}

static struct account *
acache_find(struct acache *a, const char *id, int create)
{
	struct account *p;

	for (p = a->list; p != NULL; p = p->next)
		if (strcmp(p->id, id) == 0)
			return p;
	if (!create || (p = calloc(1, sizeof(*p))) == NULL)
		return NULL;
	if ((p->id = strdup(id)) == NULL) {
		free(p);
		return NULL;
	}
	p->next = a->list;
	a->list = p;
	return p;
}

/* GET /internal/v1/accounts/<id>/<what>: a key PEM. Returns the key or
 * NULL with err. */
static struct jws_key *
acache_fetch(struct acache *a, const char *id, const char *what,
    char *err, size_t errlen)
{
	struct http_response r = { 0 };
	struct jws_key *k = NULL;
	char url[1024];
	size_t n = strnlen(id, ACACHE_ID_MAX + 1);

	if (n > ACACHE_ID_MAX || !b64url_charset_ok(id, n)) {
		snprintf(err, errlen, "account id is not [A-Za-z0-9_-]{1,%d}",
		    ACACHE_ID_MAX);
		return NULL;
	}
	snprintf(url, sizeof(url), "%s/internal/v1/accounts/%s/%s", a->api, id,
	    what);
	if (http_request_tls(&a->tls, "GET", url, a->token, NULL, NULL, 0,
	    JWS_KEY_PEM_MAX, &r, err, errlen) < 0)
		return NULL;
	if (r.status != 200)
		snprintf(err, errlen, "account %s: the coordinator answered HTTP %ld "
		    "for its %s", id, r.status, what);
	else if ((k = jws_key_from_pem(r.body, r.len, err, errlen)) != NULL)
		log_info("accounts: %s of account %s loaded (%s)", what, id,
		    jws_key_alg(k));
	/* The body held the private key: wipe it before freeing. */
	if (r.body != NULL)
		memset(r.body, 0, r.len);
	http_response_free(&r);
	return k;
}

const struct jws_key *
acache_key(struct acache *a, const char *id, char *err, size_t errlen)
{
	struct account *p;

	if ((p = acache_find(a, id, 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (p->key == NULL)
		p->key = acache_fetch(a, id, "key", err, errlen);
	return p->key;
}

/* Parses "kid=<kid>\nhmac=<hmac>\n" into p. Returns 0 or -1. */
static int
acache_eab_parse(struct account *p, const char *body, size_t len)
{
	const char *k, *h, *nl, *end = body + len;

	if (len < 11 || strncmp(body, "kid=", 4) != 0)
		return -1;
	k = body + 4;
	if ((nl = memchr(k, '\n', (size_t)(end - k))) == NULL ||
	    (size_t)(end - nl) < 7 || strncmp(nl + 1, "hmac=", 5) != 0)
		return -1;
	h = nl + 6;
	if (!b64url_charset_ok(k, (size_t)(nl - k)))
		return -1;
	if ((p->eab_kid = strndup(k, (size_t)(nl - k))) == NULL)
		return -1;
	if ((nl = memchr(h, '\n', (size_t)(end - h))) == NULL ||
	    !b64url_charset_ok(h, (size_t)(nl - h)) ||
	    (p->eab_hmac = strndup(h, (size_t)(nl - h))) == NULL) {
		free(p->eab_kid);
		p->eab_kid = NULL;
		return -1;
	}
	return 0;
}

int
acache_eab(struct acache *a, const char *id, const char **kid,
    const char **hmac, char *err, size_t errlen)
{
	struct http_response r = { 0 };
	struct account *p;
	char url[1024];
	int rc = -1;

	if ((p = acache_find(a, id, 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (!p->eab_known) {
		snprintf(url, sizeof(url), "%s/internal/v1/accounts/%s/eab", a->api,
		    id);
		if (http_request_tls(&a->tls, "GET", url, a->token, NULL, NULL,
		    0, ACACHE_EAB_MAX, &r, err, errlen) < 0)
			return -1;
		if (r.status == 404)
			p->eab_known = 1;
		else if (r.status != 200)
			snprintf(err, errlen, "account %s: the coordinator answered "
			    "HTTP %ld for its external account binding", id, r.status);
		else if (acache_eab_parse(p, r.body, r.len) < 0)
			snprintf(err, errlen, "account %s: malformed external "
			    "account binding from the coordinator", id);
		else
			p->eab_known = 1;
		if (r.body != NULL)
			memset(r.body, 0, r.len);
		http_response_free(&r);
		if (!p->eab_known)
			return -1;
	}
	rc = p->eab_kid != NULL ? 1 : 0;
	*kid = p->eab_kid;
	*hmac = p->eab_hmac;
	return rc;
}

/* Moves the key of p to the retired list (it may be borrowed). */
static void
acache_retire(struct acache *a, struct account *p)
{
	struct account *r;

	if (p->key == NULL || (r = calloc(1, sizeof(*r))) == NULL)
		return;	/* no memory: keep it cached rather than free it */
	r->key = p->key;
	p->key = NULL;
	r->next = a->retired;
	a->retired = r;
}

void
acache_forget(struct acache *a, const char *id)
{
	struct account *p = acache_find(a, id, 0);

	if (p != NULL)
		acache_retire(a, p);
}

struct jws_key *
acache_pending_key(struct acache *a, const char *id,
    const char *thumbprint, char *err, size_t errlen)
{
	struct jws_key *k;
	char *tp;

	if ((k = acache_fetch(a, id, "pending-key", err, errlen)) == NULL)
		return NULL;
	if ((tp = jws_thumbprint(k)) == NULL || strcmp(tp, thumbprint) != 0) {
		snprintf(err, errlen, "account %s: the pending key is not the one "
		    "of this rollover", id);
		jws_key_free(k);
		k = NULL;
	}
	free(tp);
	return k;
}

void
acache_set_key(struct acache *a, const char *id, struct jws_key *key)
{
	struct account *p = acache_find(a, id, 1);

	if (p == NULL) {
		jws_key_free(key);
		return;
	}
	acache_retire(a, p);
	if (p->key != NULL) {	/* retire failed: the new key is dropped */
		jws_key_free(key);
		return;
	}
	p->key = key;
}

const char *
acache_url(struct acache *a, const char *id)
{
	struct account *p = acache_find(a, id, 0);

	return p != NULL ? p->url : NULL;
}

int
acache_set_url(struct acache *a, const char *id, const char *url)
{
	struct account *p = acache_find(a, id, 1);
	char *u;

	if (p == NULL || (u = strdup(url)) == NULL)
		return -1;
	free(p->url);
	p->url = u;
	return 0;
}
