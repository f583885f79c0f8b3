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
       cerd__stmt_find finds nothing and cerd__stmt_run runs the SQL with PQexecParams
       (unnamed statement, binary formats, one round trip). */
    bool unnamed_statements;
    /* cerd_conn_exec ran caller SQL, which may have changed session state (SET, LISTEN,
       temporary tables...): a pool resets the session before lending it again. */
    bool session_dirty;
    /* When set, every transaction the library begins on this connection acts as user
       user_id for row-level security: SET LOCAL app.current_user_id = 'id' (and
       citus.propagate_set_commands = 'local', so that Citus forwards it to its workers). */
    bool has_user;
    int64_t user_id;
    void *pool_slot;         /* the pool's record of a pooled connection, else NULL */
    /* cerd_conn_set_validation(conn, false). Zero (calloc) means rows are validated
       before insert, update and upsert (lib/validate.c). */
    bool validation_off;
    /* cerd_conn_set_io_timeout(): the longest one wait for the server may last (nothing
       received and nothing sendable for that long); 0: no bound, libpq's blocking calls.
       Derived at open from the session's statement_timeout unless io_timeout_set. */
    unsigned io_timeout_ms;
    bool io_timeout_set;
    /* The last command's wait hit io_timeout_ms: the connection was closed (PQstatus is
       CONNECTION_BAD) and cerd__conn_error() reports CERD_ETIMEOUT. Cleared when the next
       command starts. */
    bool io_expired;
};

/* ---- Every wait for the server goes through these (lib/conn/conn.c). Without an I/O
   timeout they are libpq's blocking calls; with one, libpq is switched to non-blocking
   mode for the command and every wait is the poll() of cerd__conn_poll(), which closes
   the connection when the timeout passes. */

/* Waits until PQsocket is readable (or writable too, when want_write) for at most the
   I/O timeout (no bound when it is 0). Returns poll()'s revents (> 0); 0 when the
   timeout passed, or -1 when poll failed: the connection has then been closed
   (PQstatus CONNECTION_BAD, so that nothing blocks on it any more and a pool discards
   it; on expiry io_expired is set). The one place the library waits on the socket. */
int cerd__conn_poll(cerd_conn *conn, bool want_write);

/* Starts / ends a command sent with PQsend* (or COPY data) under the I/O timeout: clears
   io_expired and, with a timeout, puts libpq into non-blocking mode until io_end.
   cerd__pq_* below do this themselves; callers that send with PQsend* use them. */
void cerd__conn_io_begin(cerd_conn *conn);
void cerd__conn_io_end(cerd_conn *conn);

/* Sends what libpq has queued and reads until PQgetResult() will not block (PQisBusy
   false), within the I/O timeout per wait. 0, or -1 when the connection was lost or the
   timeout passed (the connection is closed: PQgetResult() then returns at once). */
int cerd__conn_await(cerd_conn *conn);

/* Bounded PQgetResult(). */
PGresult *cerd__pq_result(cerd_conn *conn);

/* Bounded PQexec / PQexecParams / PQexecPrepared: same results (the last one of a
   multi-statement string, the first error; a COPY start is returned as PQexec does). */
PGresult *cerd__pq_exec(cerd_conn *conn, const char *sql);
PGresult *cerd__pq_exec_params(cerd_conn *conn, const char *sql, int nparams,
                               const Oid *types, const char *const *values,
                               const int *lengths, const int *formats, int result_format);
PGresult *cerd__pq_exec_prepared(cerd_conn *conn, const char *name, int nparams,
                                 const char *const *values, const int *lengths,
                                 const int *formats, int result_format);

/* Bounded PQputCopyData / PQputCopyEnd (everything is sent before they return: 1, or -1
   on failure) and PQgetCopyData(..., async = 0) (the length, -1 at the end, -2 on
   failure). */
int cerd__pq_put_copy(cerd_conn *conn, const char *buf, int len);
int cerd__pq_put_copy_end(cerd_conn *conn, const char *errormsg);
int cerd__pq_get_copy(cerd_conn *conn, char **buf);

/* Records the failure of the last command, as cerd__error_from_pg(); when its wait hit
   the I/O timeout, CERD_ETIMEOUT saying so. */
int cerd__conn_error(cerd_conn *conn, const PGresult *res, const char *what);

/* Unless the caller set the I/O timeout, makes it follow a statement timeout of
   statement_timeout_ms (0: none): that plus a margin for the server's own error to arrive,
   off without one. Called for the session's setting at open and reset, and by the pool
   when it sets its own statement_timeout. */
void cerd__conn_follow_statement_timeout(cerd_conn *conn, unsigned long long statement_timeout_ms);

/* Begins a transaction with begin_sql ("BEGIN", "BEGIN ISOLATION LEVEL ..."); when the
   connection acts for a user, sets app.current_user_id for this transaction with SET LOCAL
   in the same round trip. On failure no transaction is left open. */
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

/* The server-side name of statement id ("cerd_<id>"). */
void cerd__stmt_name(char *buf, size_t size, unsigned id);

/* Runs the statement of key with binary parameters and binary results; on success *res
   receives the result (rows or command) for the caller to PQclear.
   - id != 0 (cerd__stmt_find found it): executes the prepared statement;
   - id == 0: sql is its text. With named statements it is prepared as "cerd_<id>" and
     executed in the same round trip (pipeline mode: Parse, Bind/Execute, Sync), and the
     cache records it (forgets it again when the prepare failed); in unnamed-statement
     mode it runs as the unnamed statement (PQexecParams).
   Returns CERD__ESTMT_LOST (recording nothing) when the session lost a cached statement
   outside a transaction (the cache has been cleared: build the SQL and run again);
   `what` names the operation in error messages ("assets: insert"). */
int cerd__stmt_run(cerd_conn *conn, const void *key, unsigned id, const char *sql,
                   int nparams, const uint32_t *types, const char *const *values,
                   const int *lengths, const char *what, PGresult **res);

#endif
