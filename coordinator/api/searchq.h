/* searchq.h -- a certificate search (GET /v1/certificates and /v1/certificates:count): filters and cursor parsed from query arguments, and the one parameterized SQL statement that answers it. Pure: no I/O. */
#ifndef CERTFLEET_COORD_SEARCHQ_H
#define CERTFLEET_COORD_SEARCHQ_H

#include <stddef.h>

#include "hostname.h"
#include "ids.h"

#define SEARCHQ_VALUE_MAX	512	/* bytes of one argument's value */
#define SEARCHQ_CURSOR_MAX	512	/* characters of a cursor (after=) */
#define SEARCHQ_LIMIT_DEFAULT	100
#define SEARCHQ_LIMIT_MAX	1000
#define SEARCHQ_COUNT_CAP	10000	/* a count stops here unless exact */
#define SEARCHQ_COUNT_CAP_NAMES	1000	/* ... under name_prefix or name_suffix,
					 * where each match costs a lookup of
					 * the certificate's other names */
#define SEARCHQ_PARAMS		24	/* SQL parameters of one statement */
#define SEARCHQ_REL_MAX_DAYS	36600	/* "+Nd": at most a century away */

/* The arguments a search takes, for messages. */
#define SEARCHQ_FILTERS "status, ca, key_type, issuer, expiring_before, " \
	"expiring_after, renewal_due, tenant, label, name, name_prefix, " \
	"name_suffix, problem, sha1"

enum searchq_kind {
	SEARCHQ_LIST,		/* also takes limit and after */
	SEARCHQ_COUNT,		/* also takes exact */
};

/*
 * The order of a listing, fixed by its filters so that the first page is a
 * walk of one index whatever the filter's selectivity:
 *   name or name_prefix      SEARCHQ_NAME     matching name, then id
 *   name_suffix alone        SEARCHQ_SUFFIX   reversed matching name, id
 *   expiring_before/_after   SEARCHQ_EXPIRY   not_after, then id
 *   renewal_due              SEARCHQ_RENEW    renew_at, then id
 *   anything else            SEARCHQ_CREATED  created_at DESC, id DESC
 * (earlier lines win). Under the name orders a certificate is listed once,
 * at its first matching name.
 */
enum searchq_order {
	SEARCHQ_CREATED = 'c',
	SEARCHQ_EXPIRY = 'e',
	SEARCHQ_RENEW = 'r',
	SEARCHQ_NAME = 'n',
	SEARCHQ_SUFFIX = 's',
};

/* A point in time: seconds since the epoch, or from now when relative. */
struct searchq_time {
	int		 set;
	int		 relative;
	long long	 secs;
};

struct searchq {
	enum searchq_kind	 kind;
	unsigned		 seen;		/* one bit per argument */
	long			 limit;
	int			 exact;		/* count without the cap */
	char			 status[16];
	char			 ca[64];
	char			 key_type[16];
	char			 issuer[SEARCHQ_VALUE_MAX + 1];
	struct searchq_time	 before, after;	/* expiring_before, _after */
	int			 renewal_due;
	char			 tenant[64];
	char			 label_key[64];
	char			 label_value[SEARCHQ_VALUE_MAX + 1];
	char			 name[HOSTNAME_MAX + 1];	/* exact, normalized */
	char			 prefix[HOSTNAME_MAX + 1];
	char			 suffix[HOSTNAME_MAX + 1];
	char			 problem[SEARCHQ_VALUE_MAX + 1];
	int			 sha1;		/* -1 any, 0 without, 1 with */
	/* after=: where the previous page ended */
	int			 has_cursor;
	char			 cursor_order;
	char			 cursor_key[HOSTNAME_MAX + 1];
	char			 cursor_id[IDS_LEN + 1];
};

/* Empties q for a search of kind. */
void searchq_init(struct searchq *q, enum searchq_kind kind);

/*
 * Takes one query argument. An empty value counts as absent. Refused, with
 * a message for the client in err: an unknown argument (or one of the
 * other kind), one given twice, and a bad value: status not pending,
 * issued, failed or revoked; ca not a CA name; key_type not one of
 * KEYS_TYPE_NAMES; issuer, problem or a label value over
 * SEARCHQ_VALUE_MAX bytes or holding a control character; a time that is
 * neither RFC 3339 (YYYY-MM-DD, or YYYY-MM-DDTHH:MM:SS[.frac] with Z or
 * +-HH:MM) nor relative to now (+Nd, -Nd, +Nh, -Nh, sign optional);
 * renewal_due, sha1 or exact not true/false/1/0; tenant not a tenant name;
 * label not KEY:VALUE; name not a hostname; name_prefix or name_suffix not
 * 1-253 characters of [a-z0-9.*_-] (upper case is folded); limit not
 * 1-SEARCHQ_LIMIT_MAX; after not a cursor this server made. Returns 0 or
 * -1. Pure.
 */
int searchq_arg(struct searchq *q, const char *key, const char *value,
    char *err, size_t errlen);

/*
 * The tenant and/or label selector of a bulk request (tenant NULL or a
 * tenant name, label NULL or "KEY:VALUE"), checked as searchq_arg checks
 * them for a list, into tenant_out, key_out and value_out ("" for what
 * is absent). Returns 0, or -1 with a message for the client. Pure.
 */
int searchq_selector(const char *tenant, const char *label,
    char tenant_out[64], char key_out[64],
    char value_out[SEARCHQ_VALUE_MAX + 1], char *err, size_t errlen);

/* The order q's filters give (see enum searchq_order). */
enum searchq_order searchq_order(const struct searchq *q);

/* Where a count of q stops unless it is exact: SEARCHQ_COUNT_CAP, or
 * SEARCHQ_COUNT_CAP_NAMES with a name prefix or suffix. */
long searchq_count_cap(const struct searchq *q);

/* The order as the API names it: "created_at" (newest first), "not_after",
 * "renew_at", "name" or "name_reversed". */
const char *searchq_order_name(enum searchq_order o);

/* Once every argument is in: refuses a cursor made for another order (the
 * filters changed between pages). Returns 0, or -1 with a message for the
 * client. */
int searchq_check(const struct searchq *q, char *err, size_t errlen);

enum searchq_stmt {
	SEARCHQ_PAGE,		/* up to limit + 1 rows, SEARCHQ_COL_* */
	SEARCHQ_COUNT_ROWS,	/* one row: count, at most searchq_count_cap()
				 * + 1 unless q->exact */
	SEARCHQ_ESTIMATE,	/* EXPLAIN (FORMAT JSON) of the match: "Plan
				 * Rows" is the planner's estimate */
};

/* The columns of a SEARCHQ_PAGE row (times as RFC 3339 UTC text). */
enum {
	SEARCHQ_COL_ID, SEARCHQ_COL_STATUS, SEARCHQ_COL_NAMES,
	SEARCHQ_COL_CREATED, SEARCHQ_COL_NOT_AFTER, SEARCHQ_COL_TENANT,
	SEARCHQ_COL_CA, SEARCHQ_COL_KEY_TYPE, SEARCHQ_COL_ISSUER,
	SEARCHQ_COL_RENEW_AT, SEARCHQ_COL_PROBLEM, SEARCHQ_COL_SHA1,
	SEARCHQ_COL_LABELS, SEARCHQ_COL_NAME, SEARCHQ_COL_KEY,
};

/* A statement and its text parameters, which point into q (that must
 * outlive it) or into the struct itself. */
struct searchq_sql {
	char		*sql;
	const char	*params[SEARCHQ_PARAMS];
	int		 n;
	char		 buf[SEARCHQ_PARAMS][HOSTNAME_MAX + 2];
};

/* Writes statement `what` of q into out (release with searchq_sql_free).
 * Every value is a parameter; the SQL text holds only fixed fragments and
 * numbers. Returns 0, or -1 when memory runs out. */
int searchq_sql(const struct searchq *q, enum searchq_stmt what,
    struct searchq_sql *out);
void searchq_sql_free(struct searchq_sql *s);

/* The cursor of a page that ended on the row with order key key (column
 * SEARCHQ_COL_KEY) and id, as after= takes it back: base64url, at most
 * SEARCHQ_CURSOR_MAX characters, opaque to clients. Returns it, malloc'd,
 * or NULL when key or id is malformed or memory runs out. */
char *searchq_cursor(enum searchq_order o, const char *key, const char *id);

#endif
