/* kafkaprops.c -- reads librdkafka properties from a file and an environment variable and sets them on a client's configuration. */
#include "kafkaprops.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>

#include "config.h"

/* 1 when a property's value is a secret. */
static int
kafkaprops_secret(const char *name)
{
	return strstr(name, "password") != NULL ||
	    strstr(name, "secret") != NULL || strcmp(name, "ssl.key.pem") == 0 ||
	    strcmp(name, "sasl.oauthbearer.config") == 0;
}

/* Cuts spaces and tabs at both ends of s[0..*n); returns the new start. */
static const char *
kafkaprops_trim(const char *s, size_t *n)
{
	while (*n > 0 && (*s == ' ' || *s == '\t' || *s == '\r')) {
		s++;
		(*n)--;
	}
	while (*n > 0 && (s[*n - 1] == ' ' || s[*n - 1] == '\t' ||
	    s[*n - 1] == '\r'))
		(*n)--;
	return s;
}

/* One entry e[0..n): checked and handed to fn. */
static int
kafkaprops_entry(const char *e, size_t n, int no_secrets, const char *where,
    int no, kafkaprops_fn *fn, void *arg, char *err, size_t errlen)
{
	char name[256], value[KAFKAPROPS_LINE_MAX + 1];
	const char *eq = memchr(e, '=', n), *k, *v;
	size_t kn, vn;
	int rc;

	if (eq == NULL) {
		snprintf(err, errlen, "%s, entry %d: not name=value", where, no);
		return -1;
	}
	kn = (size_t)(eq - e);
	vn = n - kn - 1;
	k = kafkaprops_trim(e, &kn);
	v = kafkaprops_trim(eq + 1, &vn);
	if (kn == 0 || kn >= sizeof(name) || strspn(k, "abcdefghijklmnopqrstuvw"
	    "xyz0123456789._-") < kn) {
		snprintf(err, errlen, "%s, entry %d: a property name is "
		    "[a-z0-9._-]{1,255}", where, no);
		return -1;
	}
	memcpy(name, k, kn);
	name[kn] = '\0';
	if (vn > KAFKAPROPS_LINE_MAX) {
		snprintf(err, errlen, "%s: %s is over %d bytes", where, name,
		    KAFKAPROPS_LINE_MAX);
		return -1;
	}
	if (no_secrets && kafkaprops_secret(name)) {
		snprintf(err, errlen, "%s: %s is a secret: give it in "
		    "CERTFLEET_KAFKA_PROPERTIES_FILE", where, name);
		return -1;
	}
	memcpy(value, v, vn);
	value[vn] = '\0';
	rc = fn(arg, name, value, err, errlen);
	OPENSSL_cleanse(value, sizeof(value));
	return rc;
}

int
kafkaprops_parse(const char *text, size_t len, char sep, int no_secrets,
    const char *where, kafkaprops_fn *fn, void *arg, char *err, size_t errlen)
{
	const char *p = text, *end = text + len, *e;
	size_t n;
	int no = 0, count = 0;

	while (p < end) {
		for (e = p; e < end && *e != '\n' && (sep == '\0' || *e != sep);
		    e++)
			;
		n = (size_t)(e - p);
		no++;
		p = kafkaprops_trim(p, &n);
		if (n > 0 && *p != '#' && *p != '!') {
			if (memchr(p, '\0', n) != NULL) {
				snprintf(err, errlen, "%s, entry %d: holds a NUL",
				    where, no);
				return -1;
			}
			if (++count > KAFKAPROPS_MAX) {
				snprintf(err, errlen, "%s: more than %d properties",
				    where, KAFKAPROPS_MAX);
				return -1;
			}
			if (kafkaprops_entry(p, n, no_secrets, where, no, fn, arg,
			    err, errlen) < 0)
				return -1;
		}
		p = e + 1;
	}
	return count;
}

/* kafkaprops_fn: sets the property on the configuration arg. */
static int
kafkaprops_set(void *arg, const char *name, const char *value, char *err,
    size_t errlen)
{
	char e[256];

	if (rd_kafka_conf_set(arg, name, value, e, sizeof(e)) ==
	    RD_KAFKA_CONF_OK)
		return 0;
	if (kafkaprops_secret(name))
		snprintf(err, errlen, "kafka property %s: refused by librdkafka",
		    name);
	else
		snprintf(err, errlen, "kafka property %s: %s", name, e);
	return -1;
}

/* The whole file at path (at most KAFKAPROPS_FILE_MAX bytes) into a new
 * buffer of *len bytes; NULL with err. */
static char *
kafkaprops_read(const char *path, size_t *len, char *err, size_t errlen)
{
	char *buf;
	FILE *f;

	if ((f = fopen(path, "r")) == NULL) {
		snprintf(err, errlen, "CERTFLEET_KAFKA_PROPERTIES_FILE: cannot "
		    "read %s: %s", path, strerror(errno));
		return NULL;
	}
	if ((buf = malloc(KAFKAPROPS_FILE_MAX + 1)) == NULL) {
		fclose(f);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	*len = fread(buf, 1, KAFKAPROPS_FILE_MAX + 1, f);
	fclose(f);
	if (*len > KAFKAPROPS_FILE_MAX) {
		OPENSSL_clear_free(buf, KAFKAPROPS_FILE_MAX + 1);
		snprintf(err, errlen, "CERTFLEET_KAFKA_PROPERTIES_FILE: %s is "
		    "over %d bytes", path, KAFKAPROPS_FILE_MAX);
		return NULL;
	}
	return buf;
}

int
kafkaprops_apply(rd_kafka_conf_t *conf, char *err, size_t errlen)
{
	const char *path = config_str("CERTFLEET_KAFKA_PROPERTIES_FILE", NULL);
	const char *inl = config_str("CERTFLEET_KAFKA_PROPERTIES", NULL);
	size_t len = 0;
	char *buf;
	int rc;

	if (path != NULL) {
		if ((buf = kafkaprops_read(path, &len, err, errlen)) == NULL)
			return -1;
		rc = kafkaprops_parse(buf, len, '\0', 0, path, kafkaprops_set,
		    conf, err, errlen);
		OPENSSL_clear_free(buf, KAFKAPROPS_FILE_MAX + 1);
		if (rc < 0)
			return -1;
	}
	if (inl != NULL && kafkaprops_parse(inl, strlen(inl), ';', 1,
	    "CERTFLEET_KAFKA_PROPERTIES", kafkaprops_set, conf, err,
	    errlen) < 0)
		return -1;
	return 0;
}
