/* pgconn.h -- PostgreSQL connection helpers on libpq. */
#ifndef CERTFLEET_PGCONN_H
#define CERTFLEET_PGCONN_H

#include <stddef.h>

#include <libpq-fe.h>

/* Connects with conninfo (a postgresql:// URI or key=value string), naming
 * the session appname and capping the connect time at 10 s unless conninfo
 * says otherwise. Returns the connection, or NULL with libpq's message in
 * err. The caller closes it with PQfinish. */
PGconn *pgconn_open(const char *conninfo, const char *appname, char *err,
    size_t errlen);

/* Runs "SELECT 1". Returns 1 when the server answered, 0 when the connection
 * is gone (reconnect), -1 on another error; err says which. */
int pgconn_ping(PGconn *c, char *err, size_t errlen);

#endif
