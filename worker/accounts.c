/* accounts.c -- account keys fetched once over the coordinator's authenticated internal API, kept in memory only. */
#include "accounts.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "httpget.h"
#include "log.h"

#define ACCOUNTS_ID_MAX 128

struct account {
	char		*id;
	char		*url;
	struct jws_key	*key;
	struct account	*next;
};

struct accounts {
	char		*api;
	char		*token;
	struct account	*list;	/* a handful per CA: a list is enough */
	struct account	*retired; /* keys replaced while ops may borrow them */
};

struct accounts *
accounts_new(const char *api, const char *token)
{
	struct accounts *a;

	if ((a = calloc(1, sizeof(*a))) == NULL)
		return NULL;
	a->api = strdup(api);
	a->token = strdup(token);
	if (a->api == NULL || a->token == NULL) {
		accounts_free(a);
		return NULL;
	}
	return a;
}

static void
accounts_list_free(struct account *p)
{
	struct account *next;

	for (; p != NULL; p = next) {
		next = p->next;
		jws_key_free(p->key);
		free(p->id);
		free(p->url);
		free(p);
	}
}

void
accounts_free(struct accounts *a)
{
	if (a == NULL)
		return;
	accounts_list_free(a->list);
	accounts_list_free(a->retired);
	free(a->api);
	free(a->token);
	free(a);
}

static struct account *
accounts_find(struct accounts *a, const char *id, int create)
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
accounts_fetch(struct accounts *a, const char *id, const char *what,
    char *err, size_t errlen)
{
	struct http_response r = { 0 };
	struct jws_key *k = NULL;
	char url[1024];
	size_t n = strnlen(id, ACCOUNTS_ID_MAX + 1);

	if (n > ACCOUNTS_ID_MAX || !b64url_charset_ok(id, n)) {
		snprintf(err, errlen, "account id is not [A-Za-z0-9_-]{1,%d}",
		    ACCOUNTS_ID_MAX);
		return NULL;
	}
	snprintf(url, sizeof(url), "%s/internal/v1/accounts/%s/%s", a->api, id,
	    what);
	if (http_request("GET", url, NULL, a->token, NULL, NULL, 0, JWS_KEY_PEM_MAX,
	    &r, err, errlen) < 0)
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
accounts_key(struct accounts *a, const char *id, char *err, size_t errlen)
{
	struct account *p;

	if ((p = accounts_find(a, id, 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (p->key == NULL)
		p->key = accounts_fetch(a, id, "key", err, errlen);
	return p->key;
}

/* Moves the key of p to the retired list (it may be borrowed). */
static void
accounts_retire(struct accounts *a, struct account *p)
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
accounts_forget(struct accounts *a, const char *id)
{
	struct account *p = accounts_find(a, id, 0);

	if (p != NULL)
		accounts_retire(a, p);
}

struct jws_key *
accounts_pending_key(struct accounts *a, const char *id,
    const char *thumbprint, char *err, size_t errlen)
{
	struct jws_key *k;
	char *tp;

	if ((k = accounts_fetch(a, id, "pending-key", err, errlen)) == NULL)
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
accounts_set_key(struct accounts *a, const char *id, struct jws_key *key)
{
	struct account *p = accounts_find(a, id, 1);

	if (p == NULL) {
		jws_key_free(key);
		return;
	}
	accounts_retire(a, p);
	if (p->key != NULL) {	/* retire failed: the new key is dropped */
		jws_key_free(key);
		return;
	}
	p->key = key;
}

const char *
accounts_url(struct accounts *a, const char *id)
{
	struct account *p = accounts_find(a, id, 0);

	return p != NULL ? p->url : NULL;
}

int
accounts_set_url(struct accounts *a, const char *id, const char *url)
{
	struct account *p = accounts_find(a, id, 1);
	char *u;

	if (p == NULL || (u = strdup(url)) == NULL)
		return -1;
	free(p->url);
	p->url = u;
	return 0;
}
