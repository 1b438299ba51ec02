/* ctl_export.c -- certfleetctl export: a certificate's PEM, DER or PKCS#12 file, written to --out (0600 when it holds the key) or stdout. */
#include "ctl.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/sha.h>

#define CTL_EXPORT_MAX (1024 * 1024)	/* largest file read from the API */
#define CTL_PASSWORD_MAX 1024		/* bytes of a PKCS#12 password */

/* --format NAME: the API's file, and whether it holds the private key. */
static const struct {
	const char	*format;
	const char	*file;
	int		 secret;
} ctl_formats[] = {
	{ "fullchain", "fullchain.pem", 0 },
	{ "cert", "cert.pem", 0 },
	{ "chain", "chain.pem", 0 },
	{ "der", "cert.der", 0 },
	{ "key", "privkey.pem", 1 },
	{ "p12", "export.p12", 1 },
};
#define CTL_NFORMATS (sizeof(ctl_formats) / sizeof(ctl_formats[0]))

struct ctl_export_opts {
	size_t		 format;	/* index into ctl_formats */
	int		 legacy;
	const char	*password_file;
	const char	*out;
	const char	*id;
};

static int
ctl_export_usage(void)
{
	fprintf(stderr, "usage: certfleetctl export [--format fullchain|cert|"
	    "chain|der|key|p12] [--legacy] [--password-file FILE|-] "
	    "[--out FILE] ID\n");
	return CTL_USAGE;
}

/* Reads argv into o. 0, or -1 after printing what is wrong. */
static int
ctl_export_args(int argc, char *argv[], struct ctl_export_opts *o)
{
	size_t f;
	int i;

	for (i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--format") == 0 && i + 1 < argc) {
			for (f = 0; f < CTL_NFORMATS &&
			    strcmp(argv[i + 1], ctl_formats[f].format) != 0; f++)
				;
			if (f == CTL_NFORMATS)
				return -1;
			o->format = f;
			i++;
		} else if (strcmp(argv[i], "--legacy") == 0)
			o->legacy = 1;
		else if (strcmp(argv[i], "--password-file") == 0 && i + 1 < argc)
			o->password_file = argv[++i];
		else if (strcmp(argv[i], "--out") == 0 && i + 1 < argc)
			o->out = argv[++i];
		else if (argv[i][0] == '-' || o->id != NULL)
			return -1;
		else
			o->id = argv[i];
	}
	return o->id != NULL ? 0 : -1;
}

/* The bundle's password: the first line of --password-file (- is stdin),
 * else $CERTFLEET_EXPORT_PASSWORD; never from the command line. Writes it
 * to pw. 0, or -1 with err. */
static int
ctl_export_password(const char *file, char pw[CTL_PASSWORD_MAX + 2],
    char *err, size_t errlen)
{
	const char *env = getenv("CERTFLEET_EXPORT_PASSWORD");
	FILE *f;
	size_t n;

	pw[0] = '\0';
	if (file == NULL) {
		if (env == NULL || env[0] == '\0') {
			snprintf(err, errlen, "a PKCS#12 bundle needs a password: "
			    "--password-file FILE (- for stdin) or "
			    "CERTFLEET_EXPORT_PASSWORD");
			return -1;
		}
		snprintf(pw, CTL_PASSWORD_MAX + 2, "%s", env);
	} else {
		if ((f = strcmp(file, "-") == 0 ? stdin : fopen(file, "r")) ==
		    NULL) {
			snprintf(err, errlen, "%.900s: %s", file, strerror(errno));
			return -1;
		}
		if (fgets(pw, CTL_PASSWORD_MAX + 2, f) == NULL)
			pw[0] = '\0';
		if (f != stdin)
			fclose(f);
		pw[strcspn(pw, "\r\n")] = '\0';
	}
	if ((n = strlen(pw)) == 0 || n > CTL_PASSWORD_MAX) {
		snprintf(err, errlen, "the password must be 1-%d bytes",
		    CTL_PASSWORD_MAX);
		return -1;
	}
	return 0;
}

/* Writes data[0..len) to path through a temporary file renamed into place,
 * mode 0600 when secret. 0, or -1 with err. */
static int
ctl_export_write(const char *path, const char *data, size_t len, int secret,
    char *err, size_t errlen)
{
	char tmp[4096];
	size_t off = 0;
	ssize_t n;
	int fd, ok;

	snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", path, (long)getpid());
	if ((fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL, secret ? 0600 :
	    0644)) < 0) {
		snprintf(err, errlen, "%.900s: %s", tmp, strerror(errno));
		return -1;
	}
	while (off < len && (n = write(fd, data + off, len - off)) > 0)
		off += (size_t)n;
	ok = off == len && fsync(fd) == 0;
	ok = close(fd) == 0 && ok;
	if (!ok || rename(tmp, path) < 0) {
		snprintf(err, errlen, "%.900s: %s", path, strerror(errno));
		unlink(tmp);
		return -1;
	}
	return 0;
}

/* What --json prints: the file written, its size and SHA-256. */
static int
ctl_export_json(const struct ctl_export_opts *o, const char *data, size_t len)
{
	unsigned char sum[SHA256_DIGEST_LENGTH];
	char hex[2 * SHA256_DIGEST_LENGTH + 1];
	json_t *j;
	size_t i;
	int rc;

	SHA256((const unsigned char *)data, len, sum);
	for (i = 0; i < sizeof(sum); i++)
		snprintf(hex + 2 * i, 3, "%02x", sum[i]);
	j = json_pack("{s:s, s:s, s:s, s:I, s:s}", "id", o->id, "format",
	    ctl_formats[o->format].format, "out", o->out, "bytes",
	    (json_int_t)len, "sha256", hex);
	rc = ctl_emit(j);
	json_decref(j);
	return rc;
}

/* Asks the API for the file; 0 with *r, or -1 with err. */
static int
ctl_export_fetch(const struct ctl_export_opts *o, struct http_response *r,
    char *err, size_t errlen)
{
	char path[256], pw[CTL_PASSWORD_MAX + 2], *body = NULL;
	json_t *j;
	int rc;

	snprintf(path, sizeof(path), "/v1/certificates/%s/%s", o->id,
	    ctl_formats[o->format].file);
	if (strcmp(ctl_formats[o->format].format, "p12") != 0)
		return ctl_api_raw("GET", path, NULL, NULL, 0, CTL_EXPORT_MAX, r,
		    err, errlen);
	if (ctl_export_password(o->password_file, pw, err, errlen) < 0)
		return -1;
	j = json_pack("{s:s, s:b}", "password", pw, "legacy", o->legacy);
	OPENSSL_cleanse(pw, sizeof(pw));
	if (j == NULL || (body = json_dumps(j, JSON_COMPACT)) == NULL) {
		snprintf(err, errlen, "the password is not UTF-8");
		json_decref(j);
		return -1;
	}
	/* the password inside j and body is wiped before they are freed */
	OPENSSL_cleanse((char *)(uintptr_t)json_string_value(json_object_get(j,
	    "password")), json_string_length(json_object_get(j, "password")));
	json_decref(j);
	rc = ctl_api_raw("POST", path, "application/json", body, strlen(body),
	    CTL_EXPORT_MAX, r, err, errlen);
	OPENSSL_clear_free(body, strlen(body));
	return rc;
}

int
ctl_export(int argc, char *argv[])
{
	struct ctl_export_opts o = { 0 };
	struct http_response r = { 0 };
	char err[1024];
	int rc = CTL_FAILED, secret;

	if (ctl_export_args(argc, argv, &o) < 0)
		return ctl_export_usage();
	secret = ctl_formats[o.format].secret;
	if (o.legacy && strcmp(ctl_formats[o.format].format, "p12") != 0)
		return ctl_fail(CTL_USAGE, "--legacy is for --format p12 only");
	if (o.out == NULL && ctl_json())
		return ctl_fail(CTL_USAGE, "--json needs --out FILE (the file "
		    "goes there, the JSON to stdout)");
	if (o.out == NULL && isatty(STDOUT_FILENO) && (strcmp(ctl_formats[
	    o.format].format, "der") == 0 || strcmp(ctl_formats[
	    o.format].format, "p12") == 0))
		return ctl_fail(CTL_USAGE, "a binary file is not written to a "
		    "terminal: give --out FILE");
	if (ctl_export_fetch(&o, &r, err, sizeof(err)) < 0)
		return ctl_fail(CTL_FAILED, err);
	if (o.out == NULL) {
		rc = fwrite(r.body, 1, r.len, stdout) == r.len &&
		    fflush(stdout) == 0 ? CTL_OK : ctl_fail(CTL_FAILED,
		    "stdout: write failed");
	} else if (ctl_export_write(o.out, r.body, r.len, secret, err,
	    sizeof(err)) < 0)
		rc = ctl_fail(CTL_FAILED, err);
	else
		rc = ctl_json() ? ctl_export_json(&o, r.body, r.len) : CTL_OK;
	if (secret && r.body != NULL)
		OPENSSL_cleanse(r.body, r.len);
	http_response_free(&r);
	return rc;
}
