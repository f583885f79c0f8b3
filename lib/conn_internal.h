/* The connection object, shared by the runtime files. */
#ifndef CERD_CONN_INTERNAL_H
#define CERD_CONN_INTERNAL_H

#include <libpq-fe.h>

#include "cryptoerd/conn.h"
#include "stmt_cache.h"

struct cerd_conn {
    PGconn *pg;
    cerd__stmt_cache stmts; /* statements prepared on this session */
};

/* Runs sql as a prepared statement (prepared on first use and cached per connection)
   with binary parameters and binary results. On success *res_out receives the result
   (PGRES_TUPLES_OK or PGRES_COMMAND_OK) for the caller to PQclear. `what` names the
   operation in error messages ("assets: insert"). */
int cerd__exec_prepared(cerd_conn *conn, const char *sql, int nparams, const uint32_t *types,
                        const char *const *values, const int *lengths, const char *what,
                        PGresult **res_out);

/* Runs sql with PQexec and records any failure; res_out, when given, receives a
   successful result the caller must PQclear. `what` names the operation in messages. */
int cerd__exec(cerd_conn *conn, const char *sql, const char *what, PGresult **res_out);

#endif
