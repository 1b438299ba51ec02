/* camovereq.h -- the bodies of POST /v1/certificates/{id}/ca and POST /v1/certificates:move (a certificate's CAs changed, one or many) parsed strictly. Pure: no I/O. */
#ifndef CERTFLEET_COORD_CAMOVEREQ_H
#define CERTFLEET_COORD_CAMOVEREQ_H

#include <stddef.h>

#include "cas.h"
#include "ids.h"
#include "searchq.h"

#define CAMOVEREQ_MAX	1000	/* certificates one :move request moves */

/* What a request asks for. */
struct camovereq {
	/* the new CAs: the CA, then its fallbacks, none twice */
	char	  cas[CAS_LIST_MAX][CAS_NAME_MAX + 1];
	size_t	  ncas;
	int	  now;		/* replace certificates of other CAs now */
	/* :move only: the certificates of CA from_ca (and tenant, label),
	 * ids above after, limit of them */
	char	  from_ca[CAS_NAME_MAX + 1];
	char	  tenant[64];
	char	  label_key[64];
	char	  label_value[SEARCHQ_VALUE_MAX + 1];
	char	  after[IDS_LEN + 1];
	long	  limit;	/* 1-CAMOVEREQ_MAX (default CAMOVEREQ_MAX) */
	int	  dry_run;
};

/*
 * Parses body[0..len): a JSON object of known fields only: "ca" (a CA
 * name, required), "fallback" (an array of at most CAS_LIST_MAX - 1 CA
 * names, none twice with "ca"), "now" (boolean); with bulk also
 * "from_ca" (a CA name, required), "tenant", "label" ("KEY:VALUE", as GET
 * /v1/certificates takes them), "after" (a certificate id), "limit"
 * (1-CAMOVEREQ_MAX) and "dry_run" (boolean). Whether the CAs are
 * configured is the caller's to check. Returns 0 with mr filled, or -1
 * with a message for the client in err.
 */
int camovereq_parse(const char *body, size_t len, int bulk,
    struct camovereq *mr, char *err, size_t errlen);

/* mr's CAs as the list lifecycle_ca takes (pointers into mr) in list;
 * returns how many. */
size_t camovereq_list(const struct camovereq *mr,
    const char *list[CAS_LIST_MAX]);

/* Checks mr's CAs (to move to) against the configured ones c
 * (cas_list_check). Returns 0, or -1 with a message for the client. */
int camovereq_check(const struct camovereq *mr, const struct cas_conf *c,
    char *err, size_t errlen);

#endif
