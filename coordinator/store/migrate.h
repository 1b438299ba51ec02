/* migrate.h -- versioned SQL migrations, embedded at build time, applied under an advisory lock. */
#ifndef CERTFLEET_COORD_MIGRATE_H
#define CERTFLEET_COORD_MIGRATE_H

#include <stddef.h>

#include <libpq-fe.h>

struct migration {
	int			 version;
	const char		*name;
	const unsigned char	*sql;	/* NUL-terminated */
};

/* Generated from migrations/NNNN_name.sql, sorted by version. */
extern const struct migration migrate_all[];
extern const size_t migrate_count;

/* Applies every migration newer than the database's in ONE transaction,
 * holding a transaction-level advisory lock so concurrent coordinators wait
 * for each other. Returns the number applied (>= 0), or -1 with a message in
 * err (nothing applied then). */
int migrate_apply(PGconn *c, char *err, size_t errlen);

#endif
