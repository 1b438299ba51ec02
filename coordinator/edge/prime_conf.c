/* prime_conf.c -- reads and checks CERTFLEET_PRIME_STYLE, CERTFLEET_PRIME_TTL and CERTFLEET_PRIME_TARGETS. */
#include "prime_conf.h"

#include <stdio.h>
#include <string.h>

#include "config.h"

#define PRIME_CONF_TARGETS "CERTFLEET_PRIME_TARGETS"

const char *
prime_style_name(enum prime_style s)
{
	switch (s) {
	case PRIME_STYLE_1:
		return "1";
	case PRIME_STYLE_2:
		return "2";
	case PRIME_STYLE_BOTH:
		return "both";
	}
	return "?";
}

static int
prime_conf_style(struct prime_conf *pc, char *err, size_t errlen)
{
	const char *v = config_str("CERTFLEET_PRIME_STYLE", "both");

	if (strcmp(v, "1") == 0)
		pc->style = PRIME_STYLE_1;
	else if (strcmp(v, "2") == 0)
		pc->style = PRIME_STYLE_2;
	else if (strcmp(v, "both") == 0)
		pc->style = PRIME_STYLE_BOTH;
	else {
		snprintf(err, errlen, "CERTFLEET_PRIME_STYLE must be 1, 2 or both");
		return -1;
	}
	return 0;
}

/* One "name=URL" of len bytes at item into t; checks the name's form and
 * the URL's scheme. */
static int
prime_conf_item(const char *item, size_t len, struct prime_target_conf *t,
    char *err, size_t errlen)
{
	const char *eq = memchr(item, '=', len), *url;
	size_t nlen, ulen, i;

	if (eq == NULL || eq == item) {
		snprintf(err, errlen, PRIME_CONF_TARGETS " must be name=URL,... "
		    "(item %zu bytes without a name)", len);
		return -1;
	}
	nlen = (size_t)(eq - item);
	url = eq + 1;
	ulen = len - nlen - 1;
	for (i = 0; i < nlen; i++)
		if (strchr("abcdefghijklmnopqrstuvwxyz0123456789-",
		    item[i]) == NULL || item[i] == '\0')
			break;
	if (i < nlen || nlen > PRIME_TARGET_NAME_MAX) {
		snprintf(err, errlen, PRIME_CONF_TARGETS ": a target name must be "
		    "1-%d of [a-z0-9-]", PRIME_TARGET_NAME_MAX);
		return -1;
	}
	memcpy(t->name, item, nlen);
	t->name[nlen] = '\0';
	if (ulen > PRIME_TARGET_URL_MAX || !((ulen > 8 &&
	    strncmp(url, "redis://", 8) == 0) || (ulen > 9 &&
	    strncmp(url, "rediss://", 9) == 0))) {
		snprintf(err, errlen, PRIME_CONF_TARGETS ": target %s needs a "
		    "redis:// or rediss:// URL of at most %d bytes", t->name,
		    PRIME_TARGET_URL_MAX);
		return -1;
	}
	memcpy(t->url, url, ulen);
	t->url[ulen] = '\0';
	return 0;
}

static int
prime_conf_targets(struct prime_conf *pc, const char *redis_url, char *err,
    size_t errlen)
{
	const char *v = config_str(PRIME_CONF_TARGETS, NULL), *p, *end;
	size_t i;

	if (v == NULL) {
		pc->ntargets = 1;
		snprintf(pc->t[0].name, sizeof(pc->t[0].name), "%s",
		    PRIME_TARGET_DEFAULT);
		if (snprintf(pc->t[0].url, sizeof(pc->t[0].url), "%s",
		    redis_url) >= (int)sizeof(pc->t[0].url)) {
			snprintf(err, errlen, "REDIS_URL is too long");
			return -1;
		}
		return 0;
	}
	for (p = v; *p != '\0'; p = *end == ',' ? end + 1 : end) {
		end = p + strcspn(p, ",");
		if (pc->ntargets == PRIME_TARGETS_MAX) {
			snprintf(err, errlen, PRIME_CONF_TARGETS ": at most %d "
			    "targets", PRIME_TARGETS_MAX);
			return -1;
		}
		if (prime_conf_item(p, (size_t)(end - p),
		    &pc->t[pc->ntargets], err, errlen) < 0)
			return -1;
		for (i = 0; i < pc->ntargets; i++)
			if (strcmp(pc->t[i].name, pc->t[pc->ntargets].name) == 0) {
				snprintf(err, errlen, PRIME_CONF_TARGETS ": target "
				    "%s is named twice", pc->t[i].name);
				return -1;
			}
		pc->ntargets++;
	}
	if (pc->ntargets == 0) {
		snprintf(err, errlen, PRIME_CONF_TARGETS " names no target");
		return -1;
	}
	return 0;
}

int
prime_conf_load(struct prime_conf *pc, const char *redis_url, long db,
    char *err, size_t errlen)
{
	memset(pc, 0, sizeof(*pc));
	pc->db = (int)db;
	if (prime_conf_style(pc, err, errlen) < 0 ||
	    config_long("CERTFLEET_PRIME_TTL", 0, 0, PRIME_TTL_MAX, &pc->ttl,
	    err, errlen) < 0)
		return -1;
	if (pc->ttl > 0 && pc->ttl < PRIME_TTL_MIN) {
		snprintf(err, errlen, "CERTFLEET_PRIME_TTL must be 0 (no TTL) or "
		    "%d-%ld seconds", PRIME_TTL_MIN, PRIME_TTL_MAX);
		return -1;
	}
	return prime_conf_targets(pc, redis_url, err, errlen);
}
