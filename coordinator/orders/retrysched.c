/* retrysched.c -- which failures are final, the retry schedule (CERTFLEET_RETRY_BACKOFF) and its jitter. */
#include "retrysched.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acme.h"

#define BACKOFF_SPEC_MAX 256

int
retrysched_parse(const char *env, const char *def, const char *spec,
    struct retrysched *b, char *err, size_t errlen)
{
	struct retrysched nb;
	const char *p = spec;
	char *end;
	double v;

	memset(&nb, 0, sizeof(nb));
	if (spec == NULL || strlen(spec) > BACKOFF_SPEC_MAX)
		goto bad;
	for (;;) {
		if (*p < '0' || *p > '9' || nb.n == RETRYSCHED_STEPS_MAX)
			goto bad;
		v = strtod(p, &end);
		if (end == p || v < 1 || v > RETRYSCHED_STEP_MAX_S)
			goto bad;
		nb.step[nb.n++] = v;
		if (*end == '\0')
			break;
		if (*end != ',')
			goto bad;
		p = end + 1;
	}
	*b = nb;
	return 0;
bad:
	snprintf(err, errlen, "%s must be 1 to %d waits in seconds (1 to %.0f), "
	    "comma-separated, the last one repeating, e.g. %s", env,
	    RETRYSCHED_STEPS_MAX, RETRYSCHED_STEP_MAX_S, def);
	return -1;
}

double
retrysched_step(const struct retrysched *b, unsigned n)
{
	if (b->n == 0)
		return 60;
	if (n == 0)
		n = 1;
	return b->step[n <= b->n ? n - 1 : b->n - 1];
}

double
retrysched_jitter(double s)
{
	double u = (double)arc4random() / 4294967296.0;	/* [0, 1) */

	return s * (1.0 - RETRYSCHED_JITTER + 2.0 * RETRYSCHED_JITTER * u);
}

double
retrysched_delay(const struct retrysched *b, unsigned n)
{
	return retrysched_jitter(retrysched_step(b, n));
}

#define BACKOFF_ACME_URN "urn:ietf:params:acme:error:"

int
retrysched_final(const Certfleet__Problem *p, int retryable)
{
	size_t i;

	if (p == NULL || p->type == NULL)
		return !retryable;
	if (strncmp(p->type, BACKOFF_ACME_URN, strlen(BACKOFF_ACME_URN)) != 0)
		return !retryable;
	if (strcmp(p->type, BACKOFF_ACME_URN "compound") != 0)
		return acme_problem_final(p->type);
	if (p->n_subproblems == 0)
		return 0;
	for (i = 0; i < p->n_subproblems; i++)
		if (!acme_problem_final(p->subproblems[i]->type))
			return 0;
	return 1;
}

static const struct {
	const char *type;
	const char *hint;
} retrysched_hints[] = {
	{ "rejectedIdentifier", "the CA will not issue for a name of the set: "
	    "enroll without it, or at another CA (--ca)" },
	{ "unsupportedIdentifier", "the CA does not issue for this kind of "
	    "name: enroll without it, or at another CA (--ca)" },
	{ "caa", "a CAA record of the name forbids this CA: add the CA's "
	    "domain to the name's CAA records (RFC 8659), then certfleetctl "
	    "retry ID" },
	{ "unauthorized", "the CA could not confirm control of the name (or "
	    "the account may not order): point the name at the edge for http-01 "
	    "(or let dns-01 publish its record), then certfleetctl retry ID" },
	{ "incorrectResponse", "the CA read a wrong answer to its challenge: "
	    "point the name at the edge (http-01) or fix its TXT record "
	    "(dns-01), then certfleetctl retry ID" },
	{ "badCSR", "the CA refuses the CSR: enroll again (another --key-type, "
	    "fewer names)" },
	{ "badPublicKey", "the CA refuses the key: enroll again with another "
	    "--key-type" },
	{ "badSignatureAlgorithm", "the CA refuses the signature algorithm: "
	    "use another CERTFLEET_ACCOUNT_KEY_TYPE or --key-type" },
	{ "externalAccountRequired", "the CA needs External Account Binding: "
	    "set CERTFLEET_CA_<NAME>_EAB_KID and _EAB_HMAC, then certfleetctl "
	    "retry ID" },
	{ "invalidContact", "the CA refuses the account's contact: fix "
	    "CERTFLEET_ACME_CONTACT, then certfleetctl retry ID" },
	{ "unsupportedContact", "the CA refuses the account's contact: fix "
	    "CERTFLEET_ACME_CONTACT, then certfleetctl retry ID" },
	{ "userActionRequired", "the CA asks for action on the account (new "
	    "terms of service, say): follow its instance URL, then certfleetctl "
	    "retry ID" },
	{ "malformed", "the CA refused the request as malformed: check the CA's "
	    "directory URL and account, then certfleetctl retry ID" },
	{ "badRevocationReason", "the CA refuses that revocation reason: "
	    "revoke with another --reason" },
};

const char *
retrysched_hint(const char *type)
{
	size_t i, n = strlen(BACKOFF_ACME_URN);

	if (type == NULL)
		return "";
	if (strncmp(type, BACKOFF_ACME_URN, n) != 0)
		return strcmp(type, PROTO_PROBLEM_CONFIG) == 0 ? "" :
		    "the CA's answer broke the protocol or the job cannot run: "
		    "certfleetctl retry ID once that is fixed";
	for (i = 0; i < sizeof(retrysched_hints) / sizeof(retrysched_hints[0]); i++)
		if (strcmp(type + n, retrysched_hints[i].type) == 0)
			return retrysched_hints[i].hint;
	return "certfleetctl retry ID once the cause is fixed";
}
