/* lifecycle.h -- a certificate's lifecycle after enrollment: deleted, disabled, enabled again, names added or dropped, CAs changed; each change with its orders, edge withdrawal and record in one transaction. */
#ifndef CERTFLEET_COORD_LIFECYCLE_H
#define CERTFLEET_COORD_LIFECYCLE_H

#include <stddef.h>

#include <libpq-fe.h>

#include "ids.h"
#include "vault.h"

#define LIFECYCLE_NAMES_MAX 100		/* names one change may add or drop */
#define LIFECYCLE_CLIENT_MAX 64		/* the recorded client, cut here */

/*
 * Every function here works in the caller's transaction: it locks the
 * certificate row first (FOR UPDATE, then its tenant's row when it checks
 * a quota), and on anything but LIFECYCLE_DONE
 * and LIFECYCLE_UNCHANGED the caller rolls back (nothing it wrote stays).
 * A change:
 *   - cancels the certificate's orders in flight (status "cancelled": their
 *     unsent jobs leave the outbox, their later events are ignored by the
 *     result consumer) when it deletes, disables or renames;
 *   - withdraws the current issued certificate from the edges when it
 *     deletes or disables (issued_certificates.withdrawn_at: the primer's
 *     plan gives its names another owner or none and deletes their keys
 *     from every Redis target), or primes it again when it enables;
 *   - is recorded in certificate_changes with the client that asked.
 */
enum lifecycle_status {
	LIFECYCLE_DONE,		/* changed (and recorded) */
	LIFECYCLE_UNCHANGED,	/* already so: nothing written */
	LIFECYCLE_NOT_FOUND,	/* no such certificate */
	LIFECYCLE_CONFLICT,	/* its status does not allow it (err: why) */
	LIFECYCLE_BAD,		/* the names asked for do not fit (err: why) */
	LIFECYCLE_QUOTA,	/* a quota of its tenant refuses it (err names it) */
	LIFECYCLE_ERROR,	/* database or crypto failure (err, for the log) */
};

/* What a change did. */
struct lifecycle_result {
	char	from[16];		/* status before */
	char	to[16];			/* status after */
	char	order[IDS_LEN + 1];	/* the new order, "" when none */
	long	cancelled;		/* orders cancelled */
	int	renewal_due;		/* a change of CAs made it due now */
};

/*
 * Deleted: status "deleted" (final), never renewed, withdrawn from the
 * edges, orders in flight cancelled. revoke_action (NULL or "") is the id
 * of a revocation the caller queued in the same transaction, recorded with
 * the change (ca/actions.h: the CA revokes it; the edges drop it now).
 * UNCHANGED when deleted already (a revoke_action is still recorded).
 */
enum lifecycle_status lifecycle_delete(PGconn *c, const char *id,
    const char *revoke_action, const char *client,
    struct lifecycle_result *res, char *err, size_t errlen);

/*
 * Disabled: status "disabled", renew_at cleared (never renewed, nor
 * re-checked), withdrawn from the edges, orders in flight cancelled; its
 * keys and issued certificates are kept. UNCHANGED when disabled already;
 * CONFLICT when deleted or revoked.
 */
enum lifecycle_status lifecycle_disable(PGconn *c, const char *id,
    const char *client, struct lifecycle_result *res, char *err,
    size_t errlen);

/*
 * Enabled again: with a current issued certificate, status "issued",
 * primed again and renewed on schedule (renew_at: the ARI window's start,
 * else two thirds of its life, and now when that is past); without one, a
 * new order (fresh key, the certificate's names, its first CA) and status
 * "pending". UNCHANGED when not disabled (pending, issued, failed);
 * CONFLICT when deleted or revoked; QUOTA when its tenant is at its
 * max_live (or, when it orders, at its max_orders_per_hour: tenant.h).
 * RSA key generation blocks the caller.
 */
enum lifecycle_status lifecycle_enable(PGconn *c, const struct vault *v,
    const char *id, const char *client, struct lifecycle_result *res,
    char *err, size_t errlen);

/* The names of a change of name set, normalized (lifecycle_names_parse). */
struct lifecycle_names {
	char	**add;
	size_t	  nadd;
	char	**drop;
	size_t	  ndrop;
};

/*
 * The body of a change of name set: {"add": [names], "drop": [names]},
 * known fields only, at least one name in all, at most LIFECYCLE_NAMES_MAX
 * in each, every one a valid hostname (hostname_normalize), none twice in
 * the body (after normalizing). Pure. Returns 0 with ln filled (release it
 * with lifecycle_names_free), or -1 with a message for the client in err.
 */
int lifecycle_names_parse(const char *body, size_t len,
    struct lifecycle_names *ln, char *err, size_t errlen);
void lifecycle_names_free(struct lifecycle_names *ln);

/*
 * The name set of certificate id becomes its names plus ln->add minus
 * ln->drop, and a replacement order (fresh key and CSR for the new set, at
 * its first CA) is queued; the certificate keeps serving its current
 * issued certificate until the replacement is issued, which the primer
 * then swaps in (names dropped leave the edges then). Orders in flight
 * (a renewal, an earlier change) are cancelled. BAD when a name added is
 * in the set already, a name dropped is not in it, the set would be empty
 * or longer than ENROLL_MAX_NAMES, or a wildcard is added to an http-01
 * certificate; CONFLICT when disabled, deleted or revoked; QUOTA when its
 * tenant is at its max_orders_per_hour (the replacement is a new order).
 */
enum lifecycle_status lifecycle_names(PGconn *c, const struct vault *v,
    const char *id, const struct lifecycle_names *ln, const char *client,
    struct lifecycle_result *res, char *err, size_t errlen);

/*
 * The certificate's CAs become cas[0..ncas) (its CA, then its fallbacks;
 * the caller checked them against the configuration). Orders in flight at
 * a CA left out are cancelled and a new order goes to cas[0] with the key
 * and CSR of the last one (as a fallback does); a failed certificate gets
 * that order too (pending again). An issued certificate keeps serving its
 * current certificate and is renewed at cas[0] when due (schedule/renew.c:
 * the issuing CA only while it stays listed); with now, one issued by a CA
 * left out (or imported) is due at once. An imported current certificate
 * whose first CA changes loses its ARI CertID. Tenant quotas are not
 * asked: no certificate is added. UNCHANGED when the list is cas already
 * and nothing is to order or renew; CONFLICT when disabled, deleted or
 * revoked, or when cas[0] has no ACME account yet. Recorded in
 * certificate_changes (action "ca", the lists before and after).
 */
enum lifecycle_status lifecycle_ca(PGconn *c, const char *id,
    const char *const *cas, size_t ncas, int now, const char *client,
    struct lifecycle_result *res, char *err, size_t errlen);

#endif
