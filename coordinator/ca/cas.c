/* cas.c -- parses and checks the CA list of the coordinator's environment. */
#include "cas.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"
#include "config.h"

#define CAS_VAR_MAX	96	/* CERTFLEET_CA_<NAME>_DIRECTORY and the like */
#define CAS_LIST_ENV_MAX 1024

static const char *
cas_getenv(void *arg, const char *name)
{
	const char *v = getenv(name);

	(void)arg;
	return v != NULL && v[0] != '\0' ? v : NULL;
}

int
cas_name_ok(const char *name)
{
	size_t i, n = strlen(name);

	if (n == 0 || n > CAS_NAME_MAX || name[0] == '-')
		return 0;
	for (i = 0; i < n; i++)
		if (!islower((unsigned char)name[i]) &&
		    !isdigit((unsigned char)name[i]) && name[i] != '-')
			return 0;
	return 1;
}

const struct cas_ca *
cas_find(const struct cas_conf *c, const char *name)
{
	size_t i;

	for (i = 0; i < c->n; i++)
		if (strcmp(c->ca[i].name, name) == 0)
			return &c->ca[i];
	return NULL;
}

int
cas_list_check(const struct cas_conf *c, const char *const *list, size_t n,
    char *err, size_t errlen)
{
	size_t i, j;

	for (i = 0; i < n; i++) {
		if (cas_find(c, list[i]) == NULL) {
			snprintf(err, errlen, "unknown CA \"%s\" (configured: see "
			    "CERTFLEET_CAS)", list[i]);
			return -1;
		}
		for (j = 0; j < i; j++)
			if (strcmp(list[i], list[j]) == 0) {
				snprintf(err, errlen, "CA \"%s\" is listed twice in "
				    "ca and fallback", list[i]);
				return -1;
			}
	}
	return 0;
}

/* CERTFLEET_CA_<NAME>_<what>: NAME upper-cased, '-' as '_'. */
static const char *
cas_var(cas_lookup_fn *lookup, void *arg, const char *name, const char *what,
    char *var, size_t varlen)
{
	if (config_env_name(var, varlen, "CERTFLEET_CA", name, what) < 0)
		return NULL;
	return lookup(arg, var);
}

/* Reads limit variable what of ca into *out (def when unset). */
static int
cas_limit(struct cas_ca *ca, const char *what, long def, long *out,
    cas_lookup_fn *lookup, void *arg, char *err, size_t errlen)
{
	char var[CAS_VAR_MAX], *end;
	const char *v;
	long n;

	if ((v = cas_var(lookup, arg, ca->name, what, var, sizeof(var))) == NULL) {
		*out = def;
		return 0;
	}
	n = strtol(v, &end, 10);
	if (v[0] < '0' || v[0] > '9' || *end != '\0' || strlen(v) > 7 ||
	    n > CAS_LIMIT_MAX) {
		snprintf(err, errlen, "CA %s: %s must be a whole number from 0 "
		    "(no limit) to %d, not \"%.16s\"", ca->name, var,
		    CAS_LIMIT_MAX, v);
		return -1;
	}
	*out = n;
	return 0;
}

/* Fills the optional settings of ca (EAB, trust, roots) and its directory when
 * dir is NULL. */
static int
cas_fill(struct cas_ca *ca, const char *dir, cas_lookup_fn *lookup,
    void *arg, char *err, size_t errlen)
{
	char var[CAS_VAR_MAX], var2[CAS_VAR_MAX];
	const char *v;

	if (dir == NULL &&
	    (dir = cas_var(lookup, arg, ca->name, "DIRECTORY", var,
	    sizeof(var))) == NULL) {
		snprintf(err, errlen, "CA %s: %s is not set", ca->name, var);
		return -1;
	}
	if (strncmp(dir, "https://", 8) != 0 || strlen(dir) > 1024) {
		snprintf(err, errlen, "CA %s: the directory must be an https:// URL",
		    ca->name);
		return -1;
	}
	ca->directory = dir;
	ca->eab_kid = cas_var(lookup, arg, ca->name, "EAB_KID", var, sizeof(var));
	ca->eab_hmac = cas_var(lookup, arg, ca->name, "EAB_HMAC", var2,
	    sizeof(var2));
	if ((ca->eab_kid == NULL) != (ca->eab_hmac == NULL)) {
		snprintf(err, errlen, "CA %s: %s and %s go together: set both or "
		    "neither", ca->name, var, var2);
		return -1;
	}
	if (ca->eab_kid != NULL && (strlen(ca->eab_kid) > 256 ||
	    !b64url_charset_ok(ca->eab_kid, strlen(ca->eab_kid)))) {
		snprintf(err, errlen, "CA %s: %s must be 1 to 256 characters of "
		    "[A-Za-z0-9_-]", ca->name, var);
		return -1;
	}
	if (ca->eab_hmac != NULL && (strlen(ca->eab_hmac) > 512 ||
	    !b64url_charset_ok(ca->eab_hmac, strlen(ca->eab_hmac)))) {
		snprintf(err, errlen, "CA %s: %s must be base64url (the MAC key "
		    "as the CA gave it)", ca->name, var2);
		return -1;
	}
	v = cas_var(lookup, arg, ca->name, "TRUST", var, sizeof(var));
	if (v != NULL && (strlen(v) > CAS_NAME_MAX ||
	    !b64url_charset_ok(v, strlen(v)))) {
		snprintf(err, errlen, "CA %s: %s must be a name of 1 to %d "
		    "characters of [A-Za-z0-9_-]", ca->name, var, CAS_NAME_MAX);
		return -1;
	}
	ca->trust = v != NULL ? v : "";
	if ((ca->roots = cas_var(lookup, arg, ca->name, "ROOTS_FILE", var,
	    sizeof(var))) == NULL)
		ca->roots = lookup(arg, "CERTFLEET_CA_ROOTS_FILE");
	if (cas_limit(ca, "LIMIT_ORDERS_PER_3H", CAS_DEF_ORDERS_3H,
	    &ca->limit_orders_3h, lookup, arg, err, errlen) < 0 ||
	    cas_limit(ca, "LIMIT_CERTS_PER_DOMAIN_7D", CAS_DEF_DOMAIN_7D,
	    &ca->limit_domain_7d, lookup, arg, err, errlen) < 0 ||
	    cas_limit(ca, "LIMIT_DUPLICATES_7D", CAS_DEF_DUPS_7D,
	    &ca->limit_dups_7d, lookup, arg, err, errlen) < 0 ||
	    cas_limit(ca, "MAX_IN_FLIGHT", CAS_DEF_MAX_IN_FLIGHT,
	    &ca->max_in_flight, lookup, arg, err, errlen) < 0)
		return -1;
	return 0;
}

/* Appends CA name (checked) to c. */
static struct cas_ca *
cas_add(struct cas_conf *c, const char *name, size_t len, const char *from,
    char *err, size_t errlen)
{
	struct cas_ca *ca;

	if (len == 0) {
		snprintf(err, errlen, "%s has an empty CA name", from);
		return NULL;
	}
	if (len > CAS_NAME_MAX) {
		snprintf(err, errlen, "%s: CA name \"%.*s...\" is over %d "
		    "characters", from, CAS_NAME_MAX, name, CAS_NAME_MAX);
		return NULL;
	}
	if (c->n == CAS_MAX) {
		snprintf(err, errlen, "%s: more than %d CAs", from, CAS_MAX);
		return NULL;
	}
	ca = &c->ca[c->n];
	memset(ca, 0, sizeof(*ca));
	memcpy(ca->name, name, len);
	ca->name[len] = '\0';
	if (!cas_name_ok(ca->name)) {
		snprintf(err, errlen, "%s: CA name \"%s\" must be lower-case "
		    "letters, digits and '-', not starting with '-'", from,
		    ca->name);
		return NULL;
	}
	if (cas_find(c, ca->name) != NULL) {
		snprintf(err, errlen, "%s: CA \"%s\" is listed twice", from,
		    ca->name);
		return NULL;
	}
	c->n++;
	return ca;
}

int
cas_parse(struct cas_conf *c, cas_lookup_fn *lookup, void *arg, char *err,
    size_t errlen)
{
	const char *acme_dir, *def_name, *list, *p, *comma, *own;
	char var[CAS_VAR_MAX];
	struct cas_ca *ca;
	const struct cas_ca *d;
	size_t len;

	memset(c, 0, sizeof(*c));
	if (lookup == NULL)
		lookup = cas_getenv;
	acme_dir = lookup(arg, "ACME_DIRECTORY");
	def_name = lookup(arg, "CERTFLEET_CA_NAME");
	list = lookup(arg, "CERTFLEET_CAS");
	if (acme_dir == NULL && list == NULL) {
		snprintf(err, errlen, "ACME_DIRECTORY or CERTFLEET_CAS must be set "
		    "(see --help)");
		return -1;
	}
	if (list != NULL && strlen(list) > CAS_LIST_ENV_MAX) {
		snprintf(err, errlen, "CERTFLEET_CAS is over %d characters",
		    CAS_LIST_ENV_MAX);
		return -1;
	}
	if (acme_dir != NULL) {
		if (def_name == NULL)
			def_name = "pebble";
		if ((ca = cas_add(c, def_name, strlen(def_name),
		    "CERTFLEET_CA_NAME", err, errlen)) == NULL)
			return -1;
		if ((own = cas_var(lookup, arg, ca->name, "DIRECTORY", var,
		    sizeof(var))) != NULL && strcmp(own, acme_dir) != 0) {
			snprintf(err, errlen, "CA %s: %s differs from ACME_DIRECTORY",
			    ca->name, var);
			return -1;
		}
		if (cas_fill(ca, acme_dir, lookup, arg, err, errlen) < 0)
			return -1;
	}
	for (p = list; p != NULL; p = comma != NULL ? comma + 1 : NULL) {
		comma = strchr(p, ',');
		len = comma != NULL ? (size_t)(comma - p) : strlen(p);
		while (len > 0 && *p == ' ') {
			p++;
			len--;
		}
		while (len > 0 && p[len - 1] == ' ')
			len--;
		/* the ACME_DIRECTORY CA may be listed too */
		if (acme_dir != NULL && len == strlen(c->ca[0].name) &&
		    strncmp(p, c->ca[0].name, len) == 0)
			continue;
		if ((ca = cas_add(c, p, len, "CERTFLEET_CAS", err, errlen)) == NULL ||
		    cas_fill(ca, NULL, lookup, arg, err, errlen) < 0)
			return -1;
	}
	c->def = 0;
	if (acme_dir == NULL && def_name != NULL) {
		if ((d = cas_find(c, def_name)) == NULL) {
			snprintf(err, errlen, "CERTFLEET_CA_NAME \"%.*s\" is not in "
			    "CERTFLEET_CAS", CAS_NAME_MAX, def_name);
			return -1;
		}
		c->def = (size_t)(d - c->ca);
	}
	return 0;
}
