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

void
accounts_free(struct accounts *a)
{
	struct account *p, *next;

	if (a == NULL)
		return;
	for (p = a->list; p != NULL; p = next) {
		next = p->next;
		jws_key_free(p->key);
		free(p->id);
		free(p->url);
		free(p);
	}
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

const struct jws_key *
accounts_key(struct accounts *a, const char *id, char *err, size_t errlen)
{
	struct http_response r = { 0 };
	struct account *p;
	char url[1024];
	size_t n = strnlen(id, ACCOUNTS_ID_MAX + 1);

	if (n > ACCOUNTS_ID_MAX || !b64url_charset_ok(id, n)) {
		snprintf(err, errlen, "account id is not [A-Za-z0-9_-]{1,%d}",
		    ACCOUNTS_ID_MAX);
		return NULL;
	}
	if ((p = accounts_find(a, id, 1)) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (p->key != NULL)
		return p->key;
	snprintf(url, sizeof(url), "%s/internal/v1/accounts/%s/key", a->api, id);
	if (http_request("GET", url, NULL, a->token, NULL, NULL, 0, JWS_KEY_PEM_MAX,
	    &r, err, errlen) < 0)
		return NULL;
	if (r.status != 200)
		snprintf(err, errlen, "account %s: the coordinator answered HTTP %ld",
		    id, r.status);
	else if ((p->key = jws_key_from_pem(r.body, r.len, err, errlen)) != NULL)
		log_info("accounts: key of account %s loaded (%s)", id,
		    jws_key_alg(p->key));
	/* The body held the private key: wipe it before freeing. */
	if (r.body != NULL)
		memset(r.body, 0, r.len);
	http_response_free(&r);
	return p->key;
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
