/* db.h -- helpers over libpq for the coordinator: parameterized queries, transactions, text[] and bytea. */
#ifndef CERTFLEET_COORD_DB_H
#define CERTFLEET_COORD_DB_H

#include <stddef.h>

#include <libpq-fe.h>

#include "vault.h"

/* Hard cap on the names of one text[] value we parse back. */
#define DB_MAX_ARRAY 1000

/* Runs sql with n parameters (text unless formats[i] is 1, then binary of
 * lens[i] bytes; lens and formats may be NULL for all-text). Returns the
 * result when its status is PGRES_COMMAND_OK or PGRES_TUPLES_OK (PQclear
 * it), or NULL with "<what>: <server message>" in err and the failure
 * noted on c (db_fault). */
PGresult *db_query(PGconn *c, const char *what, const char *sql, int n,
    const char *const *params, const int *lens, const int *formats, char *err,
    size_t errlen);

/* Same, for statements whose result is not needed. Returns the number of
 * rows affected (>= 0), or -1 with a message in err. */
long db_exec(PGconn *c, const char *what, const char *sql, int n,
    const char *const *params, const int *lens, const int *formats, char *err,
    size_t errlen);

/*
 * What the last failed statement on a connection says about trying again.
 * db_query and db_exec note the SQLSTATE of every failure on the
 * connection itself (libpq instance data, no global); db_fault reads it.
 */
enum db_fault {
	DB_FAULT_NONE,		/* nothing failed since db_fault_clear */
	DB_FAULT_TRANSIENT,	/* the connection went away (class 08 or no
				 * answer), serialization failure or deadlock
				 * (class 40), shutdown or cancel (57),
				 * resources (53), lock not available (55P03),
				 * system error (58): the same statement can
				 * succeed later */
	DB_FAULT_CONTENT,	/* the data was refused: data exception (22:
				 * invalid byte sequence, value too long, out
				 * of range...), integrity constraint (23),
				 * program limit (54): the same data will be
				 * refused again */
	DB_FAULT_OTHER,		/* any other SQLSTATE: most likely a bug or a
				 * schema that does not match the code */
};

/* The fault of the last statement that failed on c since db_fault_clear,
 * with its SQLSTATE ("" when none or no answer) in sqlstate when not
 * NULL. A connection that is not CONNECTION_OK is DB_FAULT_TRANSIENT. */
enum db_fault db_fault(PGconn *c, char sqlstate[6]);

/* Forgets the last failure noted on c. */
void db_fault_clear(PGconn *c);

/* db_query in two halves, so the caller can work while the server does:
 * db_send sends sql with n text parameters (0, or -1 with err); then, before
 * any other statement on c, db_receive waits for its result and returns it
 * as db_query would (NULL with "<what>: <server message>" in err). */
int db_send(PGconn *c, const char *what, const char *sql, int n,
    const char *const *params, char *err, size_t errlen);
/* db_send asking for every column of the result in binary format: text
 * columns come as their bytes (PQgetvalue still ends them with a NUL),
 * bytea as its bytes (db_bytea takes both), other types in their binary
 * send format (cast them to text in sql to read them with PQgetvalue). */
int db_send_binary(PGconn *c, const char *what, const char *sql, int n,
    const char *const *params, char *err, size_t errlen);
PGresult *db_receive(PGconn *c, const char *what, char *err, size_t errlen);

/*
 * Several statements in one round trip (libpq's pipeline mode): the server
 * gets them all at once and answers them in order, as the same db_query
 * calls one after the other would, each prepared through c's cache. A
 * statement's result (PGRES_COMMAND_OK or PGRES_TUPLES_OK) lands in its res.
 */
#define DB_PIPELINE_MAX	16

struct db_stmt {
	const char		*what;	/* names it in err */
	const char		*sql;
	int			 n;
	const char *const	*params;	/* as db_query takes them */
	const int		*lens;
	const int		*formats;
	PGresult		*res;	/* out: PQclear it */
	int			 ran;	/* out: it ran and succeeded */
};

/* Runs s[0..n) (n <= DB_PIPELINE_MAX) on c in one pipeline with one Sync
 * after the last. Returns 0 with every s[i].res set, or -1 with the first
 * failure's "<what>: <message>" in err, noted on c as db_query notes it,
 * and no res kept (ran still tells which statements took effect before the
 * failure). The server runs nothing after a failed statement; inside a
 * transaction (BEGIN as s[0], or begun before) the caller rolls back. */
int db_pipeline(PGconn *c, struct db_stmt *s, size_t n, char *err,
    size_t errlen);

/* BEGIN, COMMIT, ROLLBACK. Return 0, or -1 with a message in err.
 * db_rollback never fails loudly: it is called on paths already failing. */
int db_begin(PGconn *c, char *err, size_t errlen);
int db_commit(PGconn *c, char *err, size_t errlen);
void db_rollback(PGconn *c);

/* Reconnects *c when the connection is bad (or NULL), including an idle one
 * the server closed meanwhile (a restarted PostgreSQL: what it sent is read
 * first, without blocking). Returns 0 when a live connection is in *c, -1
 * with a message in err. */
int db_ensure(PGconn **c, const char *conninfo, const char *appname,
    char *err, size_t errlen);

/* Formats names[0..n) as a PostgreSQL text[] literal, malloc'd. NULL when
 * memory runs out. */
char *db_array_literal(char *const *names, size_t n);

/* Binds a sealed box as four binary/text parameters of a statement:
 * p[i] ciphertext, p[i + 1] nonce, p[i + 2] tag (binary, lengths in lens,
 * formats in fmts), p[i + 3] the vault key id (text). box must outlive the
 * statement. */
void db_bind_box(const char **p, int *lens, int *fmts, int i,
    const struct vault_box *box);

/* Parses a text[] value as PostgreSQL prints it ("{a,b}", elements of LDH
 * names, dots and '*'; quoted elements are accepted). Returns a malloc'd
 * array of malloc'd strings with *n set (free with db_array_free), or NULL
 * when malformed or over DB_MAX_ARRAY. */
char **db_array_parse(const char *s, size_t *n);
void db_array_free(char **a, size_t n);

/* Decodes a bytea column, in text (hex) or binary format. Returns malloc'd
 * bytes with *len set, or NULL. */
unsigned char *db_bytea(const PGresult *r, int row, int col, size_t *len);

/* Opens the secret of kind `what` sealed for row id (vault_aad), stored in
 * four columns of r's row `row` from col as db_box reads them. Returns the
 * plaintext with *len set (release it with vault_plain_free), or NULL with
 * a message in err when the columns are malformed or it does not open. */
char *db_open_box(const PGresult *r, int row, int col, const struct vault *v,
    enum vault_secret what, const char *id, size_t *len, char *err,
    size_t errlen);

/* Reads a sealed secret from four columns starting at col: ciphertext,
 * nonce, tag (bytea) and key id (text). Returns 0, or -1 when malformed
 * (box then holds nothing). Release box with vault_box_clear. */
int db_box(const PGresult *r, int row, int col, struct vault_box *box);

#endif
