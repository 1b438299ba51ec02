/* hostname.c -- DNS name rules for certificates: LDH labels, IDNA via libidn2, suffixes via libpsl. */
#include "hostname.h"

#include <ctype.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <idn2.h>
#include <libpsl.h>

static const psl_ctx_t *hostname_psl_ctx;
static pthread_once_t hostname_psl_once = PTHREAD_ONCE_INIT;

static void
hostname_psl_load(void)
{
	if ((hostname_psl_ctx = psl_latest(NULL)) == NULL)
		hostname_psl_ctx = psl_builtin();
}

/* The newest public suffix list on the machine, else libpsl's built-in one.
 * Loaded once, by whichever thread comes first (the API normalizes names on
 * several); never freed (process lifetime). */
static const psl_ctx_t *
hostname_psl(void)
{
	pthread_once(&hostname_psl_once, hostname_psl_load);
	return hostname_psl_ctx;
}

static int
hostname_has_non_ascii(const char *s)
{
	for (; *s != '\0'; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

/* Checks one label (len bytes at l) of an A-label name. */
static int
hostname_label_ok(const char *l, size_t len, char *err, size_t errlen)
{
	char label[HOSTNAME_LABEL_MAX + 1], *u = NULL;
	size_t i;
	int r;

	if (len == 0) {
		snprintf(err, errlen, "has an empty label");
		return -1;
	}
	if (len > HOSTNAME_LABEL_MAX) {
		snprintf(err, errlen, "has a label longer than %d characters",
		    HOSTNAME_LABEL_MAX);
		return -1;
	}
	for (i = 0; i < len; i++) {
		if (!(isalnum((unsigned char)l[i]) || l[i] == '-')) {
			if (l[i] == '*')
				snprintf(err, errlen, "has a wildcard that is not "
				    "the whole leftmost label");
			else
				snprintf(err, errlen, "has a character not allowed "
				    "in a hostname (0x%02x)", (unsigned char)l[i]);
			return -1;
		}
	}
	if (l[0] == '-' || l[len - 1] == '-') {
		snprintf(err, errlen, "has a label starting or ending with '-'");
		return -1;
	}
	if (len >= 4 && l[2] == '-' && l[3] == '-') {
		if (strncmp(l, "xn", 2) != 0) {
			snprintf(err, errlen, "has a reserved label (\"--\" at 3-4)");
			return -1;
		}
		memcpy(label, l, len);
		label[len] = '\0';
		r = idn2_to_unicode_8z8z(label, &u, 0);
		if (r == IDN2_OK)
			r = idn2_lookup_u8((const uint8_t *)u, NULL,
			    IDN2_NONTRANSITIONAL);
		idn2_free(u);
		if (r != IDN2_OK) {
			snprintf(err, errlen, "has an invalid IDNA label: %s",
			    idn2_strerror(r));
			return -1;
		}
	}
	return 0;
}

int
hostname_normalize(const char *in, char *out, char *err, size_t errlen)
{
	char buf[HOSTNAME_MAX + 2], *ascii = NULL;
	const char *name, *p, *dot;
	size_t len, i, labels = 0, last = 0;
	int wildcard = 0, rc = -1, r;

	err[0] = '\0';
	len = strnlen(in, 4 * HOSTNAME_MAX + 1);
	if (len == 0) {
		snprintf(err, errlen, "is empty");
		return -1;
	}
	if (len > 4 * HOSTNAME_MAX) {
		snprintf(err, errlen, "is longer than %d characters", HOSTNAME_MAX);
		return -1;
	}
	if (strncmp(in, "*.", 2) == 0) {
		wildcard = 1;
		in += 2;
	}
	name = in;
	if (hostname_has_non_ascii(in)) {
		r = idn2_to_ascii_8z(in, &ascii, IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
		if (r != IDN2_OK) {
			snprintf(err, errlen, "is not a valid internationalized "
			    "name: %s", idn2_strerror(r));
			goto out;
		}
		name = ascii;
	}
	len = strlen(name);
	if (len > 0 && name[len - 1] == '.')
		len--;
	if (len + (wildcard ? 2 : 0) > HOSTNAME_MAX) {
		snprintf(err, errlen, "is longer than %d characters", HOSTNAME_MAX);
		goto out;
	}
	for (i = 0; i < len; i++)
		buf[i] = (char)tolower((unsigned char)name[i]);
	buf[len] = '\0';

	for (p = buf;; p = dot + 1) {
		dot = strchr(p, '.');
		i = dot != NULL ? (size_t)(dot - p) : strlen(p);
		if (hostname_label_ok(p, i, err, errlen) < 0)
			goto out;
		labels++;
		last = (size_t)(p - buf);
		if (dot == NULL)
			break;
	}
	if (labels < 2) {
		if (wildcard)	/* every single label is a suffix to libpsl */
			snprintf(err, errlen, "is a wildcard directly under a "
			    "public suffix");
		else
			snprintf(err, errlen, "has a single label; a fully "
			    "qualified name is needed");
		goto out;
	}
	if (strspn(buf + last, "0123456789") == strlen(buf + last)) {
		snprintf(err, errlen, "looks like an IP address; only DNS names "
		    "are accepted");
		goto out;
	}
	if (psl_is_public_suffix(hostname_psl(), buf)) {
		snprintf(err, errlen, "%s a public suffix",
		    wildcard ? "is a wildcard directly under" : "is");
		goto out;
	}
	/* Fits: len + 2 for a wildcard was checked against HOSTNAME_MAX. */
	if (wildcard)
		memcpy(out, "*.", 2);
	memcpy(out + (wildcard ? 2 : 0), buf, len + 1);
	rc = 0;
out:
	idn2_free(ascii);
	return rc;
}

int
hostname_is_wildcard(const char *name)
{
	return strncmp(name, "*.", 2) == 0;
}

int
hostname_registered_domain(const char *name, char *out, size_t outlen)
{
	const char *rd;

	if (hostname_is_wildcard(name))
		name += 2;
	rd = psl_registrable_domain(hostname_psl(), name);
	if (rd == NULL || strlen(rd) >= outlen)
		return -1;
	memcpy(out, rd, strlen(rd) + 1);
	return 0;
}

static int
hostname_cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

size_t
hostname_set_unique(char **names, size_t n)
{
	size_t i, kept = 0;

	if (n == 0)
		return 0;
	qsort(names, n, sizeof(names[0]), hostname_cmp);
	for (i = 0; i < n; i++) {
		if (kept > 0 && strcmp(names[kept - 1], names[i]) == 0) {
			free(names[i]);
			names[i] = NULL;
			continue;
		}
		names[kept++] = names[i];
	}
	for (i = kept; i < n; i++)
		names[i] = NULL;
	return kept;
}
