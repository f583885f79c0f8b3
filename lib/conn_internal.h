/* The connection object, shared by the runtime files. */
#ifndef CERD_CONN_INTERNAL_H
#define CERD_CONN_INTERNAL_H

#include <libpq-fe.h>

#include "cryptoerd/conn.h"

struct cerd_conn {
    PGconn *pg;
};

/* Runs sql with PQexec and records any failure; res_out, when given, receives a
   successful result the caller must PQclear. `what` names the operation in messages. */
int cerd__exec(cerd_conn *conn, const char *sql, const char *what, PGresult **res_out);

#endif
