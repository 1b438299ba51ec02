/* codec.c -- protobuf-c packing with size caps, and validation of every decoded job and event. */
#include "codec.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "hostname.h"
#include "pem.h"
#include "utf8.h"

/* Non-empty, at most max bytes, printable ASCII. */
static int
proto_id_ok(const char *s, size_t max)
{
	size_t i, n;

	if (s == NULL || (n = strnlen(s, max + 1)) == 0 || n > max)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] < 0x21 || s[i] > 0x7e)
			return 0;
	return 1;
}

static int
proto_url_ok(const char *s, int optional)
{
	if (s == NULL || s[0] == '\0')
		return optional;
	return proto_id_ok(s, PROTO_MAX_URL) && strncmp(s, "https://", 8) == 0;
}

static int
proto_ca_ok(const Certfleet__CaRef *ca, char *err, size_t errlen)
{
	if (ca == NULL || !proto_id_ok(ca->name, PROTO_MAX_ID)) {
		snprintf(err, errlen, "job has no CA name");
		return 0;
	}
	if (!proto_url_ok(ca->directory_url, 0)) {
		snprintf(err, errlen, "CA directory URL is not an https URL");
		return 0;
	}
	if (ca->trust != NULL && ca->trust[0] != '\0' &&
	    !proto_id_ok(ca->trust, PROTO_MAX_ID)) {
		snprintf(err, errlen, "CA trust bundle name is not printable ASCII");
		return 0;
	}
	return 1;
}

/* A CertID: base64url "." base64url, under 256 bytes. */
static int
proto_certid_ok(const char *s)
{
	const char *dot;
	size_t i, n;

	if ((n = strnlen(s, 256)) >= 256 || (dot = strchr(s, '.')) == NULL ||
	    dot == s || dot[1] == '\0' || strchr(dot + 1, '.') != NULL)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' &&
		    s[i] <= 'Z') || (s[i] >= '0' && s[i] <= '9') ||
		    s[i] == '-' || s[i] == '_' || s[i] == '.'))
			return 0;
	return 1;
}

/* replaces: empty or a CertID; profile: empty or 1-64 of [A-Za-z0-9._-]. */
static int
proto_ari_issue_ok(const Certfleet__IssueOrder *o)
{
	const char *s = o->replaces;
	size_t i, n;

	if (s[0] != '\0' && !proto_certid_ok(s))
		return 0;
	s = o->profile;
	if ((n = strnlen(s, 65)) > 64)
		return 0;
	for (i = 0; i < n; i++)
		if (!((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
		    (s[i] >= '0' && s[i] <= '9') || s[i] == '-' || s[i] == '_' ||
		    s[i] == '.'))
			return 0;
	return 1;
}

static int
proto_issue_ok(const Certfleet__IssueOrder *o, char *err, size_t errlen)
{
	char norm[HOSTNAME_MAX + 1], why[128];
	size_t i;
	int dns01 = strcmp(o->challenge_type, "dns-01") == 0;

	if (!proto_ca_ok(o->ca, err, errlen))
		return 0;
	if (!proto_id_ok(o->account_id, PROTO_MAX_ID) ||
	    !proto_id_ok(o->certificate_id, PROTO_MAX_ID)) {
		snprintf(err, errlen, "issue_order lacks account_id or certificate_id");
		return 0;
	}
	if (!proto_url_ok(o->account_url, 1) || !proto_url_ok(o->order_url, 1)) {
		snprintf(err, errlen, "issue_order has a bad account or order URL");
		return 0;
	}
	if (o->n_identifiers == 0 || o->n_identifiers > PROTO_MAX_IDENTIFIERS) {
		snprintf(err, errlen, "issue_order has %zu identifiers (1-%d)",
		    o->n_identifiers, PROTO_MAX_IDENTIFIERS);
		return 0;
	}
	for (i = 0; i < o->n_identifiers; i++) {
		if (hostname_normalize(o->identifiers[i], norm, why, sizeof(why)) < 0 ||
		    strcmp(norm, o->identifiers[i]) != 0) {
			snprintf(err, errlen, "issue_order identifier %zu is not a "
			    "normalized hostname", i);
			return 0;
		}
		if (!dns01 && hostname_is_wildcard(norm)) {
			snprintf(err, errlen, "issue_order identifier %zu is a "
			    "wildcard without dns-01", i);
			return 0;
		}
		if (i > 0 && strcmp(o->identifiers[i - 1], o->identifiers[i]) >= 0) {
			snprintf(err, errlen, "issue_order identifiers are not "
			    "sorted and unique");
			return 0;
		}
	}
	if (o->csr_der.len == 0 || o->csr_der.len > PROTO_MAX_CSR) {
		snprintf(err, errlen, "issue_order CSR of %zu bytes (1-%d)",
		    o->csr_der.len, PROTO_MAX_CSR);
		return 0;
	}
	if (!proto_ari_issue_ok(o)) {
		snprintf(err, errlen, "issue_order has a bad replaces or profile");
		return 0;
	}
	if (!dns01 && strcmp(o->challenge_type, "http-01") != 0) {
		snprintf(err, errlen, "issue_order challenge type is not http-01 "
		    "or dns-01");
		return 0;
	}
	return 1;
}

static int
proto_register_ok(const Certfleet__RegisterAccount *r, char *err, size_t errlen)
{
	size_t i;

	if (!proto_ca_ok(r->ca, err, errlen))
		return 0;
	if (!proto_id_ok(r->account_id, PROTO_MAX_ID)) {
		snprintf(err, errlen, "register_account lacks account_id");
		return 0;
	}
	for (i = 0; i < r->n_contact; i++)
		if (!proto_id_ok(r->contact[i], PROTO_MAX_URL) ||
		    strncmp(r->contact[i], "mailto:", 7) != 0) {
			snprintf(err, errlen, "register_account contact %zu is not "
			    "a mailto: URI", i);
			return 0;
		}
	return 1;
}

static int
proto_action_ok(const Certfleet__CaAction *a, char *err, size_t errlen)
{
	const Certfleet__RevokeCertificate *rc;
	uint32_t r;

	if (!proto_ca_ok(a->ca, err, errlen))
		return 0;
	if (!proto_id_ok(a->account_id, PROTO_MAX_ID) ||
	    !proto_url_ok(a->account_url, 0)) {
		snprintf(err, errlen, "ca_action lacks account_id or account_url");
		return 0;
	}
	switch (a->action_case) {
	case CERTFLEET__CA_ACTION__ACTION_REVOKE_CERTIFICATE:
		rc = a->revoke_certificate;
		r = rc->reason;
		if (!proto_id_ok(rc->certificate_id, PROTO_MAX_ID) ||
		    rc->certificate_der.len == 0 ||
		    rc->certificate_der.len > PROTO_MAX_CERT_DER) {
			snprintf(err, errlen, "revoke_certificate lacks its "
			    "certificate");
			return 0;
		}
		if (r != 0 && r != 1 && r != 3 && r != 4 && r != 5) {
			snprintf(err, errlen, "revoke_certificate reason %u is not "
			    "0, 1, 3, 4 or 5", r);
			return 0;
		}
		return 1;
	case CERTFLEET__CA_ACTION__ACTION_ROLLOVER_ACCOUNT_KEY:
		if (!proto_id_ok(a->rollover_account_key->new_key_thumbprint,
		    PROTO_MAX_ID)) {
			snprintf(err, errlen, "rollover_account_key lacks the new "
			    "key's thumbprint");
			return 0;
		}
		return 1;
	case CERTFLEET__CA_ACTION__ACTION_DEACTIVATE_ACCOUNT:
		return 1;
	default:
		snprintf(err, errlen, "ca_action has no known action");
		return 0;
	}
}

static int
proto_ari_check_ok(const Certfleet__AriCheck *a, char *err, size_t errlen)
{
	if (!proto_ca_ok(a->ca, err, errlen))
		return 0;
	if (!proto_id_ok(a->certificate_id, PROTO_MAX_ID) ||
	    !proto_id_ok(a->issued_certificate_id, PROTO_MAX_ID) ||
	    !proto_certid_ok(a->cert_id)) {
		snprintf(err, errlen, "ari_check lacks a certificate id, an issued "
		    "certificate id or a CertID");
		return 0;
	}
	return 1;
}

/* Checks the fields every message carries. */
static int
proto_header_ok(uint32_t version, const char *job_id, uint32_t attempt,
    const char *trace_id, char *err, size_t errlen)
{
	if (version != PROTO_SCHEMA_VERSION) {
		snprintf(err, errlen, "schema version %u, expected %d", version,
		    PROTO_SCHEMA_VERSION);
		return 0;
	}
	if (!proto_id_ok(job_id, PROTO_MAX_ID) || !proto_id_ok(trace_id, PROTO_MAX_ID)) {
		snprintf(err, errlen, "missing or bad job_id or trace_id");
		return 0;
	}
	if (attempt < 1) {
		snprintf(err, errlen, "attempt must be >= 1");
		return 0;
	}
	return 1;
}

Certfleet__Job *
proto_job_decode(const void *buf, size_t len, char *err, size_t errlen)
{
	Certfleet__Job *j;
	int ok = 0;

	if (len > PROTO_MAX_MESSAGE) {
		snprintf(err, errlen, "job of %zu bytes is over the %d byte cap",
		    len, PROTO_MAX_MESSAGE);
		return NULL;
	}
	if ((j = certfleet__job__unpack(NULL, len, buf)) == NULL) {
		snprintf(err, errlen, "job does not decode as protobuf");
		return NULL;
	}
	if (!proto_header_ok(j->schema_version, j->job_id, j->attempt,
	    j->trace_id, err, errlen))
		goto out;
	switch (j->kind_case) {
	case CERTFLEET__JOB__KIND_REGISTER_ACCOUNT:
		ok = proto_register_ok(j->register_account, err, errlen);
		break;
	case CERTFLEET__JOB__KIND_ISSUE_ORDER:
		ok = proto_issue_ok(j->issue_order, err, errlen);
		break;
	case CERTFLEET__JOB__KIND_CA_ACTION:
		ok = proto_action_ok(j->ca_action, err, errlen);
		break;
	case CERTFLEET__JOB__KIND_ARI_CHECK:
		ok = proto_ari_check_ok(j->ari_check, err, errlen);
		break;
	default:
		snprintf(err, errlen, "job has no known kind");
		break;
	}
out:
	if (!ok) {
		certfleet__job__free_unpacked(j, NULL);
		return NULL;
	}
	return j;
}

void
proto_job_free(Certfleet__Job *j)
{
	if (j != NULL)
		certfleet__job__free_unpacked(j, NULL);
}

/* Proto3 strings are UTF-8; PostgreSQL's text type is too, and refuses
 * anything else. */
static int
proto_text_ok(const char *s)
{
	return s != NULL && utf8_valid(s, strlen(s));
}

/* A problem: a URN type, at most one level of subproblems; its texts are
 * checked by proto_problem_text_ok. */
static int
proto_problem_ok(const Certfleet__Problem *p, int depth)
{
	size_t i;

	if (p == NULL || !proto_id_ok(p->type, PROTO_MAX_URL) || depth > 1)
		return 0;
	for (i = 0; i < p->n_subproblems; i++)
		if (!proto_problem_ok(p->subproblems[i], depth + 1))
			return 0;
	return 1;
}

/* 1 when every detail and identifier of p and its subproblems is UTF-8. */
static int
proto_problem_text_ok(const Certfleet__Problem *p)
{
	size_t i;

	if (!proto_text_ok(p->detail) || !proto_text_ok(p->identifier))
		return 0;
	for (i = 0; i < p->n_subproblems; i++)
		if (!proto_problem_text_ok(p->subproblems[i]))
			return 0;
	return 1;
}

/* The job kind an event kind answers, or UNSPECIFIED when any may send it. */
static Certfleet__JobKind
proto_event_implies(const Certfleet__Event *e)
{
	switch (e->kind_case) {
	case CERTFLEET__EVENT__KIND_ORDER_CREATED:
	case CERTFLEET__EVENT__KIND_CERTIFICATE_ISSUED:
		return CERTFLEET__JOB_KIND__JOB_KIND_ISSUE_ORDER;
	case CERTFLEET__EVENT__KIND_ACCOUNT_REGISTERED:
		return CERTFLEET__JOB_KIND__JOB_KIND_REGISTER_ACCOUNT;
	case CERTFLEET__EVENT__KIND_ARI_WINDOW:
		return CERTFLEET__JOB_KIND__JOB_KIND_ARI_CHECK;
	case CERTFLEET__EVENT__KIND_CA_ACTION_DONE:
		return CERTFLEET__JOB_KIND__JOB_KIND_CA_ACTION;
	default:
		return CERTFLEET__JOB_KIND__JOB_KIND_UNSPECIFIED;
	}
}

/* Checks e->job_kind against the event's kind; a worker older than the
 * field leaves it unset, which is filled in where the event kind tells.
 * account_registered is the result of a register_account job and also a
 * progress event of any job that registered its account again (the CA had
 * forgotten it), so it fits every kind. Returns 0, or -1 with the reason
 * in err. */
static int
proto_event_job_kind(Certfleet__Event *e, char *err, size_t errlen)
{
	Certfleet__JobKind implied = proto_event_implies(e);
	int any = e->kind_case == CERTFLEET__EVENT__KIND_ACCOUNT_REGISTERED;

	if (e->job_kind == CERTFLEET__JOB_KIND__JOB_KIND_UNSPECIFIED)
		e->job_kind = implied;
	if (e->job_kind == CERTFLEET__JOB_KIND__JOB_KIND_UNSPECIFIED) {
		snprintf(err, errlen, "%s event does not say which kind of job "
		    "it answers (job_kind)", proto_event_kind_name(e));
		return -1;
	}
	if (strcmp(proto_job_kind_name(e->job_kind), "unknown") == 0 ||
	    (implied != CERTFLEET__JOB_KIND__JOB_KIND_UNSPECIFIED && !any &&
	    e->job_kind != implied)) {
		snprintf(err, errlen, "%s event cannot answer a job of kind %s",
		    proto_event_kind_name(e), proto_job_kind_name(e->job_kind));
		return -1;
	}
	return 0;
}

const char *
proto_job_kind_name(Certfleet__JobKind k)
{
	switch (k) {
	case CERTFLEET__JOB_KIND__JOB_KIND_REGISTER_ACCOUNT:
		return "register_account";
	case CERTFLEET__JOB_KIND__JOB_KIND_ISSUE_ORDER:
		return "issue_order";
	case CERTFLEET__JOB_KIND__JOB_KIND_ARI_CHECK:
		return "ari_check";
	case CERTFLEET__JOB_KIND__JOB_KIND_CA_ACTION:
		return "ca_action";
	default:
		return "unknown";
	}
}

Certfleet__JobKind
proto_job_kind_of(const Certfleet__Job *j)
{
	switch (j->kind_case) {
	case CERTFLEET__JOB__KIND_REGISTER_ACCOUNT:
		return CERTFLEET__JOB_KIND__JOB_KIND_REGISTER_ACCOUNT;
	case CERTFLEET__JOB__KIND_ISSUE_ORDER:
		return CERTFLEET__JOB_KIND__JOB_KIND_ISSUE_ORDER;
	case CERTFLEET__JOB__KIND_ARI_CHECK:
		return CERTFLEET__JOB_KIND__JOB_KIND_ARI_CHECK;
	case CERTFLEET__JOB__KIND_CA_ACTION:
		return CERTFLEET__JOB_KIND__JOB_KIND_CA_ACTION;
	default:
		return CERTFLEET__JOB_KIND__JOB_KIND_UNSPECIFIED;
	}
}

Certfleet__Event *
proto_event_decode(const void *buf, size_t len, char *err, size_t errlen)
{
	Certfleet__Event *e;
	int ok = 0;

	if (len > PROTO_MAX_MESSAGE) {
		snprintf(err, errlen, "event of %zu bytes is over the %d byte cap",
		    len, PROTO_MAX_MESSAGE);
		return NULL;
	}
	if ((e = certfleet__event__unpack(NULL, len, buf)) == NULL) {
		snprintf(err, errlen, "event does not decode as protobuf");
		return NULL;
	}
	if (!proto_header_ok(e->schema_version, e->job_id, e->attempt,
	    e->trace_id, err, errlen))
		goto out;
	switch (e->kind_case) {
	case CERTFLEET__EVENT__KIND_ORDER_CREATED:
		ok = proto_url_ok(e->order_created->order_url, 0);
		break;
	case CERTFLEET__EVENT__KIND_ACCOUNT_REGISTERED:
		ok = proto_id_ok(e->account_registered->account_id, PROTO_MAX_ID) &&
		    proto_url_ok(e->account_registered->account_url, 0);
		break;
	case CERTFLEET__EVENT__KIND_CERTIFICATE_ISSUED:
		ok = proto_url_ok(e->certificate_issued->order_url, 0) &&
		    e->certificate_issued->fullchain_pem[0] != '\0' &&
		    strlen(e->certificate_issued->fullchain_pem) <= PEM_MAX_INPUT &&
		    e->certificate_issued->ari_window_start_unix_ms >= 0 &&
		    e->certificate_issued->ari_window_end_unix_ms >=
		    e->certificate_issued->ari_window_start_unix_ms &&
		    proto_url_ok(e->certificate_issued->ari_explanation_url, 1) &&
		    e->certificate_issued->ari_next_unix_ms >= 0;
		break;
	case CERTFLEET__EVENT__KIND_ARI_WINDOW:
		ok = proto_id_ok(e->ari_window->issued_certificate_id,
		    PROTO_MAX_ID) && e->ari_window->window_start_unix_ms > 0 &&
		    e->ari_window->window_end_unix_ms >
		    e->ari_window->window_start_unix_ms &&
		    proto_url_ok(e->ari_window->explanation_url, 1) &&
		    e->ari_window->next_check_unix_ms > 0;
		break;
	case CERTFLEET__EVENT__KIND_FAILED:
		ok = proto_problem_ok(e->failed->problem, 0) &&
		    proto_url_ok(e->failed->order_url, 1);
		break;
	case CERTFLEET__EVENT__KIND_DEFERRED:
		ok = proto_problem_ok(e->deferred->problem, 0) &&
		    e->deferred->not_before_unix_ms > 0 &&
		    proto_url_ok(e->deferred->order_url, 1) &&
		    (e->deferred->endpoint[0] == '\0' ||
		    proto_id_ok(e->deferred->endpoint, PROTO_MAX_ID));
		break;
	case CERTFLEET__EVENT__KIND_CA_ACTION_DONE:
		ok = proto_id_ok(e->ca_action_done->action, PROTO_MAX_ID) &&
		    proto_id_ok(e->ca_action_done->account_id, PROTO_MAX_ID);
		break;
	default:
		snprintf(err, errlen, "event has no known kind");
		goto out;
	}
	if (ok && (e->kind_case == CERTFLEET__EVENT__KIND_FAILED ||
	    e->kind_case == CERTFLEET__EVENT__KIND_DEFERRED) &&
	    !proto_problem_text_ok(e->kind_case == CERTFLEET__EVENT__KIND_FAILED ?
	    e->failed->problem : e->deferred->problem)) {
		snprintf(err, errlen, "%s event: a problem detail or identifier "
		    "is not valid UTF-8", proto_event_kind_name(e));
		ok = 0;
	} else if (!ok)
		snprintf(err, errlen, "%s event lacks a required field or has a "
		    "bad one", proto_event_kind_name(e));
	else
		ok = proto_event_job_kind(e, err, errlen) == 0;
out:
	if (!ok) {
		certfleet__event__free_unpacked(e, NULL);
		return NULL;
	}
	return e;
}

Certfleet__Event *
proto_event_decode_header(const void *buf, size_t len)
{
	Certfleet__Event *e;
	char err[128];

	if (len > PROTO_MAX_MESSAGE ||
	    (e = certfleet__event__unpack(NULL, len, buf)) == NULL)
		return NULL;
	if (!proto_header_ok(e->schema_version, e->job_id, e->attempt,
	    e->trace_id, err, sizeof(err))) {
		certfleet__event__free_unpacked(e, NULL);
		return NULL;
	}
	return e;
}

size_t
proto_event_size(const Certfleet__Event *e)
{
	return protobuf_c_message_get_packed_size(&e->base);
}

void
proto_event_free(Certfleet__Event *e)
{
	if (e != NULL)
		certfleet__event__free_unpacked(e, NULL);
}

const char *
proto_event_kind_name(const Certfleet__Event *e)
{
	switch (e->kind_case) {
	case CERTFLEET__EVENT__KIND_ORDER_CREATED:
		return "order_created";
	case CERTFLEET__EVENT__KIND_ACCOUNT_REGISTERED:
		return "account_registered";
	case CERTFLEET__EVENT__KIND_CERTIFICATE_ISSUED:
		return "certificate_issued";
	case CERTFLEET__EVENT__KIND_FAILED:
		return "failed";
	case CERTFLEET__EVENT__KIND_DEFERRED:
		return "deferred";
	case CERTFLEET__EVENT__KIND_CA_ACTION_DONE:
		return "ca_action_done";
	case CERTFLEET__EVENT__KIND_ARI_WINDOW:
		return "ari_window";
	default:
		return "unknown";
	}
}

/* Packs any message with its generated get_packed_size/pack pair. */
static void *
proto_pack(const ProtobufCMessage *m, size_t *len)
{
	size_t n = protobuf_c_message_get_packed_size(m);
	void *buf;

	if (n > PROTO_MAX_MESSAGE || (buf = malloc(n > 0 ? n : 1)) == NULL)
		return NULL;
	*len = protobuf_c_message_pack(m, buf);
	return buf;
}

void *
proto_job_encode(const Certfleet__Job *j, size_t *len)
{
	return proto_pack(&j->base, len);
}

void *
proto_event_encode(const Certfleet__Event *e, size_t *len)
{
	return proto_pack(&e->base, len);
}

void *
proto_deadletter_encode(const Certfleet__DeadLetter *d, size_t *len)
{
	return proto_pack(&d->base, len);
}
