/* cache.c -- direct-mapped cache of key authorizations: FNV-1a slot, one malloc'd token+value per entry, TTL expiry. */
#include "cache.h"

#include <stdlib.h>
#include <string.h>

struct cache_entry {
	char		*buf;		/* token then value, NULL when empty */
	size_t		 toklen;
	size_t		 vallen;
	uint64_t	 expires_ms;
};

struct cache {
	unsigned		ttl_ms;
	struct cache_entry	e[CACHE_ENTRIES];
};

static size_t
cache_slot(const char *tok, size_t toklen)
{
	uint32_t h = 2166136261u;
	size_t i;

	for (i = 0; i < toklen; i++)
		h = (h ^ (unsigned char)tok[i]) * 16777619u;
	return h % CACHE_ENTRIES;
}

struct cache *
cache_new(unsigned ttl_ms)
{
	struct cache *c;

	if ((c = calloc(1, sizeof(*c))) == NULL)
		return NULL;
	c->ttl_ms = ttl_ms;
	return c;
}

void
cache_free(struct cache *c)
{
	size_t i;

	if (c == NULL)
		return;
	for (i = 0; i < CACHE_ENTRIES; i++)
		free(c->e[i].buf);
	free(c);
}

int
cache_get(struct cache *c, const char *tok, size_t toklen, uint64_t now_ms,
    char *out, size_t outsz, size_t *outlen)
{
	struct cache_entry *e = &c->e[cache_slot(tok, toklen)];

	if (e->buf == NULL || e->toklen != toklen ||
	    memcmp(e->buf, tok, toklen) != 0)
		return 0;
	if (now_ms >= e->expires_ms || e->vallen >= outsz) {
		free(e->buf);
		e->buf = NULL;
		return 0;
	}
	memcpy(out, e->buf + toklen, e->vallen);
	out[e->vallen] = '\0';
	*outlen = e->vallen;
	return 1;
}

void
cache_put(struct cache *c, const char *tok, size_t toklen, const char *val,
    size_t vallen, uint64_t now_ms)
{
	struct cache_entry *e;

	if (c->ttl_ms == 0)
		return;
	e = &c->e[cache_slot(tok, toklen)];
	free(e->buf);
	if ((e->buf = malloc(toklen + vallen)) == NULL)
		return;
	memcpy(e->buf, tok, toklen);
	memcpy(e->buf + toklen, val, vallen);
	e->toklen = toklen;
	e->vallen = vallen;
	e->expires_ms = now_ms + c->ttl_ms;
}
