/* acme_ari.c -- ACME Renewal Information (RFC 9773): renewalInfo parsing and the GET operation (the CertID: acme_certid.c). */
#include "acme_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "b64.h"

#define ARI_TIME_MAX	64	/* an RFC 3339 string */

enum ari_step {
	ARI_START,		/* ACME_STEP_START */
	ARI_GET,		/* GET renewalInfo/<certid> */
};

static int
ari_digits(const char *s, int n, int *v)
{
	int i;

	*v = 0;
	for (i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		*v = *v * 10 + (s[i] - '0');
	}
	return 0;
}

/* RFC 3339 date-time: YYYY-MM-DDTHH:MM:SS[.frac](Z|+hh:mm|-hh:mm).
 * Fractions are dropped. 0 with *t set, or -1. */
static int
ari_time(const char *s, time_t *t)
{
	struct tm tm;
	int y, mo, d, h, mi, sec, oh, om, sign;
	size_t len = strlen(s), i = 19;

	if (len < 20 || len > ARI_TIME_MAX || s[4] != '-' || s[7] != '-' ||
	    (s[10] != 'T' && s[10] != 't') || s[13] != ':' || s[16] != ':' ||
	    ari_digits(s, 4, &y) < 0 || ari_digits(s + 5, 2, &mo) < 0 ||
	    ari_digits(s + 8, 2, &d) < 0 || ari_digits(s + 11, 2, &h) < 0 ||
	    ari_digits(s + 14, 2, &mi) < 0 || ari_digits(s + 17, 2, &sec) < 0)
		return -1;
	if (y < 1970 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > 31 ||
	    h > 23 || mi > 59 || sec > 60)
		return -1;
	if (s[i] == '.') {
		for (i++; s[i] >= '0' && s[i] <= '9'; i++)
			;
		if (i == 20)
			return -1;
	}
	if ((s[i] == 'Z' || s[i] == 'z') && s[i + 1] == '\0')
		oh = om = 0, sign = 1;
	else if ((s[i] == '+' || s[i] == '-') && len - i == 6 &&
	    s[i + 3] == ':' && ari_digits(s + i + 1, 2, &oh) == 0 &&
	    ari_digits(s + i + 4, 2, &om) == 0 && oh <= 23 && om <= 59)
		sign = s[i] == '+' ? 1 : -1;
	else
		return -1;
	memset(&tm, 0, sizeof(tm));
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec > 59 ? 59 : sec;
	*t = timegm(&tm) - (time_t)sign * (oh * 3600 + om * 60);
	return 0;
}

int
acme_renewal_info_parse(const char *body, size_t len,
    struct acme_renewal_info *ri, char *err, size_t errlen)
{
	json_error_t je;
	json_t *j = NULL, *w;
	const char *st, *en, *eu;
	int rc = -1;

	memset(ri, 0, sizeof(*ri));
	if (body == NULL || len > ACME_JSON_MAX) {
		snprintf(err, errlen, "renewalInfo: body missing or over %d bytes",
		    ACME_JSON_MAX);
		return -1;
	}
	if ((j = json_loadb(body, len, JSON_REJECT_DUPLICATES, &je)) == NULL ||
	    !json_is_object(j)) {
		snprintf(err, errlen, "renewalInfo: not a JSON object");
		goto out;
	}
	w = json_object_get(j, "suggestedWindow");
	if (!json_is_object(w) ||
	    (st = json_string_value(json_object_get(w, "start"))) == NULL ||
	    (en = json_string_value(json_object_get(w, "end"))) == NULL) {
		snprintf(err, errlen, "renewalInfo: no suggestedWindow with "
		    "start and end");
		goto out;
	}
	if (ari_time(st, &ri->start) < 0 || ari_time(en, &ri->end) < 0) {
		snprintf(err, errlen, "renewalInfo: window times are not RFC 3339");
		goto out;
	}
	if (ri->end <= ri->start) {
		snprintf(err, errlen, "renewalInfo: window ends before it starts");
		goto out;
	}
	eu = json_string_value(json_object_get(j, "explanationURL"));
	if (acme_url_ok(eu))
		snprintf(ri->explanation_url, sizeof(ri->explanation_url), "%s", eu);
	rc = 0;
out:
	if (rc < 0)
		memset(ri, 0, sizeof(*ri));
	json_decref(j);
	return rc;
}

static void
ari_ready(struct acme_op *op)
{
	char url[ACME_URL_MAX + ACME_CERTID_MAX + 2];

	if (op->ca->renewal_info == NULL) {
		acme_op_fail(op, 0, "renewalInfo: the CA's directory has none "
		    "(no ARI)");
		return;
	}
	snprintf(url, sizeof(url), "%s/%s", op->ca->renewal_info, op->cert_id);
	op->step = ARI_GET;
	acme_op_get(op, "renewalInfo", url);
}

static void
ari_response(struct acme_op *op, struct acme_req *r)
{
	char err[256];
	time_t now = time(NULL), ra;

	if (r->cc != CURLE_OK || r->status != 200) {
		acme_op_fail_resp(op, r, "renewalInfo");
		return;
	}
	if (!acme_ctype_is(r->ctype, "application/json")) {
		acme_op_fail(op, 0, "renewalInfo: content type is not "
		    "application/json");
		return;
	}
	if (acme_renewal_info_parse(r->body != NULL ? r->body : "", r->len,
	    &op->ari, err, sizeof(err)) < 0) {
		acme_op_fail(op, 0, "%s", err);
		return;
	}
	ra = r->h.has_retry_after ? r->h.retry_after : now + ACME_ARI_RECHECK_S;
	if (ra < now + ACME_ARI_RETRY_MIN_S)
		ra = now + ACME_ARI_RETRY_MIN_S;
	if (ra > now + ACME_ARI_RETRY_MAX_S)
		ra = now + ACME_ARI_RETRY_MAX_S;
	op->ari_next = ra;
	acme_op_succeed(op);
}

static void
ari_timer(struct acme_op *op)
{
	acme_op_fail(op, 0, "renewalInfo: timer in unexpected step %d", op->step);
}

struct acme_op *
acme_ari_start(struct acme_engine *e, const struct acme_ari_params *p,
    acme_done_fn *done, void *arg, char *err, size_t errlen)
{
	struct acme_op *op;
	const char *dot;

	if (p == NULL || p->directory == NULL || done == NULL ||
	    p->cert_id == NULL || strlen(p->cert_id) >= ACME_CERTID_MAX ||
	    (dot = strchr(p->cert_id, '.')) == NULL || dot == p->cert_id ||
	    !b64url_charset_ok(p->cert_id, (size_t)(dot - p->cert_id)) ||
	    !b64url_charset_ok(dot + 1, strlen(dot + 1))) {
		snprintf(err, errlen, "acme_ari_start: directory, callback and a "
		    "CertID are required");
		return NULL;
	}
	if ((op = calloc(1, sizeof(*op))) == NULL ||
	    (op->cert_id = strdup(p->cert_id)) == NULL) {
		free(op);
		snprintf(err, errlen, "acme_ari_start: out of memory");
		return NULL;
	}
	op->kind = ACME_OP_ARI;
	op->done = done;
	op->arg = arg;
	op->on_ready = ari_ready;
	op->on_response = ari_response;
	op->on_timer = ari_timer;
	if (acme_op_register(e, op, p->directory, p->ca_file,
	    p->deadline_s > 0 ? p->deadline_s : 60, err, errlen) < 0) {
		free(op->cert_id);
		free(op);
		return NULL;
	}
	return op;
}
