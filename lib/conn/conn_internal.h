/* The connection object, shared by the runtime files. */
#ifndef CERD_CONN_INTERNAL_H
#define CERD_CONN_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <libpq-fe.h>

#include "cryptoerd/conn.h"
#include "conn/stmt_cache.h"

struct cerd_conn {
    PGconn *pg;
    PGcancel *cancel;       /* for cerd_conn_cancel() from any thread; made at open */
    cerd__stmt_cache stmts; /* statements prepared on this session */
    /* No named server-side statements (poolers such as PgBouncer in transaction mode):
       cerd__stmt_prepare only keeps the SQL and cerd__stmt_exec runs it with
       PQexecParams (unnamed statement, binary formats, one round trip). */
    bool unnamed_statements;
    char *unnamed_sql;       /* the statement cerd__stmt_prepare kept, in that mode */
    Oid *unnamed_types;
    int unnamed_nparams, unnamed_cap;
    /* cerd_conn_exec ran caller SQL, which may have changed session state (SET, LISTEN,
       temporary tables...): a pool resets the session before lending it again. */
    bool session_dirty;
    /* When set, every transaction the library begins on this connection acts as user
       user_id for row-level security: set_config('app.current_user_id', id, true). */
    bool has_user;
    int64_t user_id;
    void *pool_slot;         /* the pool's record of a pooled connection, else NULL */
    /* cerd_conn_set_validation(conn, false). Zero (calloc) means rows are validated
       before insert, update and upsert (lib/validate.c). */
    bool validation_off;
};

/* The statement id cerd__stmt_prepare hands out in unnamed-statement mode. */
#define CERD__STMT_UNNAMED 0xFFFFFFFFu

/* Begins a transaction with begin_sql ("BEGIN", "BEGIN ISOLATION LEVEL ..."); when the
   connection acts for a user, sets app.current_user_id for this transaction in the same
   round trip. */
int cerd__conn_begin(cerd_conn *conn, const char *begin_sql, const char *what);

/* Resets the session to what cerd_conn_open left (DISCARD ALL, then the session setup)
   and forgets the prepared statements. The connection must be idle (no transaction). */
int cerd__conn_reset_session(cerd_conn *conn);

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
