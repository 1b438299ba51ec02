/* enroll_audit.h -- the API's audit row of an enrollment, written in the enrollment's own transaction (one commit for both). */
#ifndef CERTFLEET_ENROLL_AUDIT_H
#define CERTFLEET_ENROLL_AUDIT_H

#include <stddef.h>

#include <libpq-fe.h>

#define ENROLL_AUDIT_MAX 100	/* rows in one statement (a group's batch) */

/*
 * Why: every state-changing API call has its api_audit row, written after
 * the call with the status of its answer. For a single enrollment that was
 * a transaction and a WAL flush of its own after the enrollment's (group)
 * commit: two commits per enrollment. The API hands the row it would write
 * (status: what it answers when the write commits) with the enrollment;
 * whoever commits the enrollment writes the row in the same transaction,
 * and the API writes nothing more unless its answer's status turns out
 * otherwise (then it updates the row's status by id). An enrollment that is
 * not written (refused, failed) leaves id empty: the API records the call
 * afterwards as before, with the status it answered.
 */
struct enroll_audit {
	const char	*token;		/* api_audit's columns, as text */
	const char	*action;
	const char	*target;
	const char	*source;
	unsigned	 status;	/* 0: NULL */
	char		 id[24];	/* out: the row's id once committed */
};

struct enroll_batch_item;
struct db_stmt;

/* Inserts the audit rows of items[0..n) that have one (it->audit not NULL),
 * in c's open transaction, in one statement, and sets their id. Returns 0
 * (also when none has a row), or -1 with err (the transaction is then to be
 * rolled back: call enroll_audit_forget). */
int enroll_audit_write(PGconn *c, struct enroll_batch_item *items, size_t n,
    char *err, size_t errlen);

/* The audit rows of items[0..n) that have one as one statement, for a
 * caller that runs it with others (db_pipeline): sets st (its parameter
 * *json: free it once st ran) and took[i] for the items with a row, and
 * returns 1; 0 when no item has a row (st unset); -1 with err. */
int enroll_audit_stmt(struct db_stmt *st, char **json,
    struct enroll_batch_item *items, size_t n, unsigned char *took,
    char *err, size_t errlen);

/* Hands the ids of st's result r (one per row written) to the items marked
 * in took, in order. Returns 0, or -1 with err. */
int enroll_audit_ids(PGresult *r, struct enroll_batch_item *items, size_t n,
    const unsigned char *took, char *err, size_t errlen);

/* Clears the id of items[0..n)'s audit rows: their transaction was rolled
 * back. */
void enroll_audit_forget(struct enroll_batch_item *items, size_t n);

#endif
