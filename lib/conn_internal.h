/* The connection object, shared by the runtime files. */
#ifndef CERD_CONN_INTERNAL_H
#define CERD_CONN_INTERNAL_H

#include <stdint.h>

#include <libpq-fe.h>

#include "cryptoerd/conn.h"
#include "stmt_cache.h"

struct cerd_conn {
    PGconn *pg;
    cerd__stmt_cache stmts; /* statements prepared on this session */
};

/* Runs sql with PQexec and records any failure; res_out, when given, receives a
   successful result the caller must PQclear. `what` names the operation in messages. */
int cerd__exec(cerd_conn *conn, const char *sql, const char *what, PGresult **res_out);

/* Internal code: the session no longer has a statement the cache knew (DISCARD ALL,
   a pooler); the cache has been cleared: prepare again and retry. */
#define CERD__ESTMT_LOST (-1000)

/* The id of the statement prepared on this connection under key
   (CERD__STMT_KEY_MAX bytes), or 0. */
unsigned cerd__stmt_find(cerd_conn *conn, const void *key);

/* Prepares sql on the connection under key; *id receives its id. */
int cerd__stmt_prepare(cerd_conn *conn, const void *key, const char *sql, int nparams,
                       const uint32_t *types, const char *what, unsigned *id);

/* Executes statement id with binary parameters and binary results. On success *res
   receives the result (rows or command) for the caller to PQclear. Returns
   CERD__ESTMT_LOST (recording nothing) when the session lost the statement outside a
   transaction; `what` names the operation in error messages ("assets: insert"). */
int cerd__stmt_exec(cerd_conn *conn, unsigned id, int nparams, const char *const *values,
                    const int *lengths, const char *what, PGresult **res);

#endif
