/* results_issued.c -- applies certificate_issued: checks the certificate against the order, records it (issued.c: chains, ARI window, renew_at) and marks the order valid. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "anchors.h"
#include "cas.h"
#include "certinfo.h"
#include "chains.h"
#include "codec.h"
#include "db.h"
#include "ids.h"
#include "issued.h"
#include "log.h"
#include "pem.h"
#include "results_int.h"

/* The jobs of an order ($1) queued and not yet sent. */
#define RESULTS_WITHDRAW_SQL "DELETE FROM outbox WHERE job_id = $1 AND " \
	"sent_at IS NULL"

#define RESULTS_PROBLEM_MISMATCH "urn:certfleet:error:certificateMismatch"
#define RESULTS_PROBLEM_BADCERT "urn:certfleet:error:badCertificate"

/* A certificate the CA issued that is not what we asked for: a problem,
 * the order failed, nothing stored. */
static enum results_outcome
results_reject_cert(PGconn *c, const struct settings *s,
    const Certfleet__Event *e, const struct results_order *o,
    const char *type, const char *detail, char *err, size_t errlen)
{
	if (results_problem(c, e->job_id, e->attempt, o->certificate, type,
	    detail, 0, NULL, err, errlen) < 0 ||
	    results_order_failed(c, s, e->job_id, o, err, errlen) < 0)
		return RESULTS_RETRY;
	log_warn_ctx(
	    LOG_JOB(e->job_id, e->attempt, e->trace_id, o->certificate),
	    "certificate rejected: %s", detail);
	snprintf(err, errlen, "%s", detail);
	return RESULTS_REJECTED;
}

/* Checks the CA's chain against the order: a parsable leaf (ci, leaf and
 * rest filled) for the order's key and exactly its names. Returns
 * RESULTS_APPLIED when it fits, RESULTS_REJECTED when it does not (problem
 * recorded, order failed), RESULTS_RETRY on a database error. */
static enum results_outcome
results_issued_check(PGconn *c, const struct settings *s,
    const Certfleet__Event *e, const struct results_order *o,
    struct certinfo *ci, char **leaf, char **rest, char *err, size_t errlen)
{
	const char *full = e->certificate_issued->fullchain_pem;
	char why[256], detail[400];

	if (pem_chain_split(full, strlen(full), leaf, rest, why,
	    sizeof(why)) < 0 || certinfo_parse(*leaf, strlen(*leaf), ci, why,
	    sizeof(why)) < 0) {
		snprintf(detail, sizeof(detail), "the CA's chain is unusable: %s",
		    why);
		return results_reject_cert(c, s, e, o, RESULTS_PROBLEM_BADCERT,
		    detail, err, errlen);
	}
	/* the key's public half came with the order (results_order_get) */
	if (o->spki == NULL) {
		snprintf(err, errlen, "results: no public key %s", o->private_key);
		return RESULTS_RETRY;
	}
	if (!certinfo_key_matches(ci, o->spki, o->spkilen))
		return results_reject_cert(c, s, e, o, RESULTS_PROBLEM_MISMATCH,
		    "the issued certificate is for another public key than the "
		    "order's private key", err, errlen);
	if (!certinfo_sans_equal(ci, o->names, o->nnames))
		return results_reject_cert(c, s, e, o, RESULTS_PROBLEM_MISMATCH,
		    "the issued certificate's names differ from the requested "
		    "hostname set", err, errlen);
	return RESULTS_APPLIED;
}

/* Every chain of ch (the default and each alternate kept) must verify to
 * the trust anchors of the order's CA. Returns RESULTS_APPLIED when they
 * do, else RESULTS_REJECTED (problem recorded, order failed, nothing
 * stored or primed) or RESULTS_RETRY on a database error. */
static enum results_outcome
results_issued_trusted(PGconn *c, const struct settings *s,
    const Certfleet__Event *e, const struct results_order *o,
    const struct chains *ch, char *err, size_t errlen)
{
	const char *name = o->ca[0] != '\0' ? o->ca : s->ca_name;
	const struct cas_ca *ca = cas_find(&s->cas, name);
	char why[400], detail[1024];
	size_t i;

	if (ca == NULL || ca->roots == NULL) {
		snprintf(detail, sizeof(detail), "CA %s has no trust anchors "
		    "configured (CERTFLEET_CA_<NAME>_ROOTS_FILE): its chain "
		    "cannot be verified", name);
		return results_reject_cert(c, s, e, o, ANCHORS_PROBLEM, detail, err,
		    errlen);
	}
	for (i = 0; i < ch->n; i++)
		if (anchors_verify_x509(ca->roots, ch->leaf_x, ch->e[i].rest_x,
		    0, why, sizeof(why)) < 0) {
			snprintf(detail, sizeof(detail), "%s chain %zu of %zu "
			    "(top issuer \"%s\"): %s", ch->e[i].is_default ?
			    "default" : "alternate", i + 1, ch->n,
			    ch->e[i].top_issuer, why);
			return results_reject_cert(c, s, e, o, ANCHORS_PROBLEM,
			    detail, err, errlen);
		}
	return RESULTS_APPLIED;
}

/* Picks the chain to serve: the order's preferred issuer (read with the
 * order), else the configured one, else the CA's default. Returns its
 * index. */
static int
results_issued_served(const struct settings *s, const struct results_order *o,
    const struct chains *ch)
{
	return (int)chains_select(ch, o->preferred_chain[0] != '\0' ?
	    o->preferred_chain : s->preferred_chain);
}

enum results_outcome
results_issued(PGconn *c, const struct settings *s, const Certfleet__Event *e,
    const struct results_order *o, struct issued_batch *ib, char *err,
    size_t errlen)
{
	const Certfleet__CertificateIssued *ci_ev = e->certificate_issued;
	struct issued_new in = { 0 };
	struct certinfo ci = { 0 };
	struct chains ch = { 0 };
	char *leaf = NULL, *rest = NULL, why[256];
	char icid[IDS_LEN + 1], renew[32];
	enum results_outcome out;
	int served;

	/*
	 * Any attempt's certificate is taken, not only the current one's: all
	 * attempts of an order share its key and CSR, and the check below
	 * holds it to that key and the exact names, so a late certificate of
	 * an attempt the sweeper or a retry superseded is the certificate this
	 * order asked for; refusing it would spend another order at the CA.
	 * The order becomes valid, the later attempt's job is withdrawn when
	 * it is not sent yet, and whatever that attempt reports is ignored.
	 * (A worker that still runs an earlier attempt when a later one
	 * reaches it runs one ACME order for both: worker/runner/runner.h.)
	 */
	if (strcmp(o->status, "valid") == 0)
		return RESULTS_IGNORED;
	if ((out = results_issued_check(c, s, e, o, &ci, &leaf, &rest, err,
	    errlen)) != RESULTS_APPLIED)
		goto out;
	out = RESULTS_RETRY;
	/* Every chain offered is kept; the preferred one is served. */
	if (chains_parse(ci_ev->fullchain_pem, ci_ev->alternate_chain_pem,
	    ci_ev->n_alternate_chain_pem, &ch, why, sizeof(why)) < 0) {
		/* What the CA sent: trying again cannot help. */
		char detail[400];

		snprintf(detail, sizeof(detail), "the CA's chain is unusable: %s",
		    why);
		out = results_reject_cert(c, s, e, o, RESULTS_PROBLEM_BADCERT,
		    detail, err, errlen);
		goto out;
	}
	if ((out = results_issued_trusted(c, s, e, o, &ch, err,
	    errlen)) != RESULTS_APPLIED)
		goto out;
	out = RESULTS_RETRY;
	served = results_issued_served(s, o, &ch);
	in.certificate = o->certificate;
	in.order_id = e->job_id;
	in.private_key = o->private_key;
	in.ci = &ci;
	in.leaf = leaf;
	in.ch = &ch;
	in.served = (size_t)served;
	in.ari_start_ms = ci_ev->ari_window_start_unix_ms;
	in.ari_end_ms = ci_ev->ari_window_end_unix_ms;
	in.ari_next_ms = ci_ev->ari_next_unix_ms;
	in.ari_explanation_url = ci_ev->ari_explanation_url;
	/* the order valid with the CA's final URL, in the statement that
	 * makes the certificate current (issued.c) */
	in.order_url = ci_ev->order_url;
	/* another order of the same certificate in the batch: written first,
	 * so that this one ends current as it would one by one */
	if (ib != NULL && issued_batch_holds(ib, NULL, o->certificate) &&
	    issued_batch_write(c, ib, err, errlen) < 0)
		goto out;
	if ((ib != NULL ? issued_batch_add(ib, &in, icid, renew, err, errlen) :
	    issued_record(c, &in, icid, renew, err, errlen)) < 0)
		goto out;
	/* The certificate of an attempt a re-drive superseded made the order
	 * valid: the later attempts' jobs not yet sent have nothing to do. */
	if (e->attempt < o->attempt && db_exec(c, "results withdraw",
	    RESULTS_WITHDRAW_SQL, 1, (const char *[]){ e->job_id }, NULL, NULL,
	    err, errlen) < 0)
		goto out;
	log_info_ctx(
	    LOG_JOB(e->job_id, e->attempt, e->trace_id, o->certificate),
	    "certificate %s issued, serial %s, not after %lld, chain %d of %zu "
	    "(%s)", o->certificate, ci.serial, (long long)ci.not_after,
	    served + 1, ch.n, ch.e[served].top_issuer);
	out = RESULTS_APPLIED;
out:
	chains_free(&ch);
	free(leaf);
	free(rest);
	certinfo_free(&ci);
	return out;
}
