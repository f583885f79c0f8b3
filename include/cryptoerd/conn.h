/**
 * @file conn.h
 * @brief One connection to PostgreSQL.
 *
 * A connection is used by one thread at a time; different connections may be used by
 * different threads at once. Every session the library opens uses TimeZone UTC.
 */
#ifndef CRYPTOERD_CONN_H
#define CRYPTOERD_CONN_H

#include <stdbool.h>
#include <stdint.h>

#include <cryptoerd/common.h>

CERD_BEGIN_DECLS

/** An open connection (opaque). Created by cerd_conn_open(), released by cerd_conn_free(). */
typedef struct cerd_conn cerd_conn;

/**
 * Opens a connection.
 *
 * @param[out] out      the new connection, owned by the caller (cerd_conn_free()).
 * @param conninfo      a libpq connection string or URI ("host=db dbname=x",
 *                      "postgresql://u@db/x"); NULL or "" uses libpq's PG* environment.
 *
 * Over TCP, unless @p conninfo sets them itself, the connection uses `keepalives=1
 * keepalives_idle=30 keepalives_interval=10 keepalives_count=3 tcp_user_timeout=30000`:
 * a server that vanishes without closing the connection (network partition, host
 * powered off) is noticed by the kernel, within about a minute when idle and 30 s when
 * data is waiting to be acknowledged, and the blocked call fails with ::CERD_ECONNLOST.
 * Opening itself is bounded only by `connect_timeout` in @p conninfo (libpq's default
 * waits indefinitely; the pool sets it, see ::cerd_pool_options::connect_timeout_ms).
 * docs/reliability.md lists what bounds each call.
 * @return 0, ::CERD_ECONNECT when the server cannot be reached or refuses the login,
 *         ::CERD_ENOMEM.
 */
CERD_EXTERN int cerd_conn_open(cerd_conn **out, const char *conninfo);

/** Closes the connection and releases it. Accepts NULL. */
CERD_EXTERN void cerd_conn_free(cerd_conn *conn);

/**
 * Runs one or more SQL statements that return no rows the caller needs (DDL, SET, ...).
 * Values must never be formatted into @p sql: this is for fixed statements only (for
 * values and rows see cerd_conn_query_json(); for anything else cerd_conn_pgconn()).
 *
 * @return 0, or the code of the server's error (details in cerd_error_last()).
 */
CERD_EXTERN int cerd_conn_exec(cerd_conn *conn, const char *sql);

/** @cond INTERNAL */
struct pg_conn;
struct cJSON;
/** @endcond */

/**
 * The connection's libpq handle (a `PGconn *`), borrowed, for what the library does not
 * offer. It stays the library's: valid until cerd_conn_free() (or the pool's release) and
 * never closed by the caller. Rules while using it:
 * - finish every result (PQgetResult() until NULL) before calling the library again;
 * - leave TimeZone (UTC) and DateStyle as they are: the library's decoding relies on them;
 * - do not use server-side statement names starting with "cerd_", nor DEALLOCATE ALL
 *   (the library keeps its statements there);
 * - a transaction begun through it is the connection's transaction: the library's
 *   cerd_conn_commit() and cerd_conn_rollback() see it.
 * Calling it marks the session as changed, so a pool resets the session (DISCARD ALL)
 * before lending the connection again.
 * @return the handle; NULL when @p conn is NULL.
 */
CERD_EXTERN struct pg_conn *cerd_conn_pgconn(cerd_conn *conn);

/**
 * Runs any query and returns its rows as exact JSON: an array with one object per row,
 * keys the result's column names in order, values as PostgreSQL's to_json gives them
 * (numerics with every digit, kept exact by the library's parser as cJSON_Raw when a
 * double cannot hold them; timestamps "2025-01-02T03:04:05.123456+00:00"; NULL as null).
 * @p sql is run as a subquery (`SELECT row_to_json(q) FROM (sql) q`): a SELECT, VALUES or
 * WITH ... SELECT (PostgreSQL refuses data-changing statements there; run those with
 * cerd_conn_exec() or through cerd_conn_pgconn()). Values never go into @p sql: pass
 * them as text parameters $1, $2, ... in @p params, as PostgreSQL's text input reads them.
 * @param[out] out  a new cJSON array owned by the caller (cJSON_Delete()).
 * @param conn      the connection (used by one thread at a time).
 * @param sql       the query.
 * @param nparams   number of parameters.
 * @param params    @p nparams NUL-terminated texts, a NULL element is SQL NULL.
 * @return 0; the code of the server's error (::CERD_EUNIQUE, ::CERD_EPRIVILEGE, ...,
 *         ::CERD_ESERVER with the SQLSTATE in cerd_error_last()); ::CERD_EMISUSE.
 */
CERD_EXTERN int cerd_conn_query_json(struct cJSON **out, cerd_conn *conn, const char *sql,
                                     int nparams, const char *const *params);

/** Starts a transaction (BEGIN). @return 0, ::CERD_EMISUSE when one is already open. */
CERD_EXTERN int cerd_conn_begin(cerd_conn *conn);

/**
 * Commits the open transaction.
 * @return 0; ::CERD_EMISUSE when none is open, or when the transaction had failed (it was
 *         rolled back); ::CERD_ECONNLOST when the connection was already lost, before
 *         COMMIT could be sent (nothing was committed); ::CERD_ECOMMITUNKNOWN when the
 *         connection was lost after COMMIT was sent and before its answer arrived: the
 *         server may have committed the whole transaction or nothing of it (never a part),
 *         and only reading the data again (on a new connection) tells which. Retry only
 *         what is safe to apply twice, or check first. The connection is unusable after
 *         either loss (a pool closes it when it is released).
 */
CERD_EXTERN int cerd_conn_commit(cerd_conn *conn);

/**
 * A position in a server's write-ahead log (PostgreSQL's `pg_lsn`): the token of
 * read-your-writes. cerd_conn_commit_lsn() gives the position that covers a commit;
 * cerd_pool_acquire_read() lends a connection to a standby only once the standby has
 * replayed that far. Positions of one cluster compare as integers: after several writes,
 * keep the largest. A plain value, freely copied and stored (for example in a user's web
 * session, as the number); it means nothing on another cluster.
 */
typedef struct cerd_lsn {
    /** The 64-bit position (`pg_lsn` "16/B374D848" is 0x16B374D848); 0: none. */
    uint64_t value;
} cerd_lsn;

/**
 * Commits the open transaction, as cerd_conn_commit(), and gives the write-ahead-log
 * position that covers the commit, in the same round trip (`COMMIT; SELECT
 * pg_current_wal_insert_lsn()`).
 *
 * The position is the server's WAL insert position read after the commit returned, so
 * it is at or past the end of the commit's record whatever synchronous_commit was
 * (`pg_current_wal_lsn()`, the write position, can still be behind an asynchronous
 * commit's record). It may lie a little past the commit when other sessions are writing:
 * a standby then waits for their records too, which are flushed within
 * wal_writer_delay. A position just past a page header is given as the page's start
 * (a record can end there, not inside the header), so that a standby that has replayed
 * everything written is never made to wait for more. On a standby (a read-only
 * transaction) it is the position replayed so far.
 *
 * @param[out] out  the position; 0 when the call fails.
 * @param conn      a connection with a transaction open.
 * @return 0; the codes of cerd_conn_commit(); when the commit succeeded but the position
 *         could not be read, ::CERD_ESERVER (the transaction is committed).
 */
CERD_EXTERN int cerd_conn_commit_lsn(cerd_lsn *out, cerd_conn *conn);

/** Rolls back the open transaction; a no-op returning 0 when none is open. */
CERD_EXTERN int cerd_conn_rollback(cerd_conn *conn);

/** 1 when the connection is usable, 0 when it has been lost. */
CERD_EXTERN int cerd_conn_ok(const cerd_conn *conn);

/**
 * Sets a savepoint inside the open transaction. @p name must be a plain identifier
 * (letters, digits, underscore).
 * @return 0; ::CERD_EMISUSE outside a transaction or for a bad name.
 */
CERD_EXTERN int cerd_conn_savepoint(cerd_conn *conn, const char *name);

/** Rolls back to savepoint @p name; the transaction stays open and usable. */
CERD_EXTERN int cerd_conn_rollback_to(cerd_conn *conn, const char *name);

/** Releases savepoint @p name (its changes stay part of the transaction). */
CERD_EXTERN int cerd_conn_release(cerd_conn *conn, const char *name);

/** Isolation levels for cerd_conn_transact(). */
typedef enum cerd_isolation {
    CERD_ISOLATION_DEFAULT = 0,    /**< The server's default (normally READ COMMITTED). */
    CERD_ISOLATION_READ_COMMITTED, /**< READ COMMITTED. */
    CERD_ISOLATION_REPEATABLE_READ, /**< REPEATABLE READ. */
    CERD_ISOLATION_SERIALIZABLE    /**< SERIALIZABLE. */
} cerd_isolation;

/**
 * Options of cerd_conn_transact(); initialise with ::CERD_TXN_OPTIONS_INIT. Fields are
 * only ever added at the end; the version says which ones the caller knows.
 */
typedef struct cerd_txn_options {
    unsigned version;          /**< Layout version: 2 (1: without commit_lsn). */
    cerd_isolation isolation;  /**< Isolation level of each attempt. */
    unsigned max_attempts;     /**< Attempts before giving up on a retryable failure (>= 1). */
    /** When not NULL, the transaction is committed with cerd_conn_commit_lsn() and this
        receives the commit's position (0 unless it committed). Version 2. */
    cerd_lsn *commit_lsn;
} cerd_txn_options;

/** Default options: server isolation level, up to 10 attempts, no commit position. */
#define CERD_TXN_OPTIONS_INIT {2, CERD_ISOLATION_DEFAULT, 10, NULL}

/** The work of one transaction attempt: return 0 to commit, a negative code to roll back. */
typedef int (*cerd_txn_fn)(cerd_conn *conn, void *arg);

/**
 * Runs @p fn inside a transaction and commits it; when the attempt fails with a
 * serialization failure or deadlock (::CERD_ESERIALIZATION, SQLSTATE 40001/40P01), from
 * @p fn or from COMMIT, rolls back, waits a short randomised time that grows with each
 * attempt, and runs @p fn again, at most @p opts->max_attempts times in all. @p fn must
 * therefore be safe to re-run (no side effects outside the database it cannot repeat).
 *
 * @param conn  an open connection with no transaction in progress.
 * @param opts  NULL for ::CERD_TXN_OPTIONS_INIT.
 * @param fn    the work of one attempt.
 * @param arg   passed to @p fn.
 * @return 0 once committed; the code of the last failure otherwise (::CERD_ESERIALIZATION
 *         when every attempt was a retryable failure; ::CERD_ECOMMITUNKNOWN, never
 *         retried, when the connection was lost while COMMIT was in flight: see
 *         cerd_conn_commit()).
 */
CERD_EXTERN int cerd_conn_transact(cerd_conn *conn, const cerd_txn_options *opts,
                                   cerd_txn_fn fn, void *arg);

/**
 * Turns validation before insert, update and upsert on (the default) or off for one
 * connection. On, a row that fails is refused with ::CERD_EINVALID before any round
 * trip: an insert or upsert is validated as ::CERD_VALIDATE_INSERT (validate.h); an update as
 * ::CERD_VALIDATE_STORED for the columns it sets, with the CHECKs that read only those
 * (and the primary key) — the others depend on stored values the server checks. Off,
 * rows go to the server unchecked and PostgreSQL gives the verdict.
 * @param conn  the connection (used by one thread at a time).
 * @param on    whether to validate.
 */
CERD_EXTERN void cerd_conn_set_validation(cerd_conn *conn, bool on);

/**
 * Turns unnamed-statement mode on or off for one connection (off by default; a pool
 * sets it from ::cerd_pool_options::named_statements). On, the library keeps no named
 * prepared statement on the server: each statement is sent with its parameters as an
 * unnamed one in a single round trip (PQexecParams), as PgBouncer in transaction pooling
 * mode (before 1.21) requires, where consecutive statements may run on different server
 * sessions. Values still travel as binary parameters. Independent of the connection
 * string; may be switched between calls.
 * @param conn  the connection (used by one thread at a time).
 * @param on    whether to use unnamed statements only.
 */
CERD_EXTERN void cerd_conn_set_unnamed_statements(cerd_conn *conn, bool on);

/**
 * Bounds every wait of a call on @p conn for the server: when the server sends nothing
 * (and, while the library sends, accepts nothing) for @p ms milliseconds, the call gives
 * up, the connection is closed (cerd_conn_ok() is 0 afterwards; a pool discards it when
 * it is released) and the call returns ::CERD_ETIMEOUT, with a message saying that the
 * connection's I/O timeout passed — or ::CERD_ECOMMITUNKNOWN when COMMIT had been sent
 * (see cerd_conn_commit()). This is the client-side deadline against a server or a
 * proxy that stops answering while TCP still looks healthy (its kernel acknowledges, so
 * neither keepalives nor tcp_user_timeout fire). It covers the calls of the library on
 * the connection: statements and typed operations, transactions and commits, COPY in
 * (sending the data too) and out, pipelined batches, streams; docs/reliability.md lists
 * what it does not cover (opening, the pool's own checks, which have their own deadline,
 * and calls made through cerd_conn_pgconn()).
 *
 * Each wait restarts the clock whenever data arrives, so a long result or COPY that keeps
 * flowing is not cut; a single statement that legitimately runs longer than @p ms before
 * its first byte is. Default: when the session has a statement_timeout at open (from
 * the connection string's `options=-c statement_timeout=...`, the role, the database or
 * the server), that plus 5 s — the server's own error then always comes first when the
 * server is there; otherwise 0 (off: a statement may legitimately run for any time, and
 * libpq waits as long as it takes). A session reset (pool) derives it again unless this
 * function was called; a pool's cerd_pool_options.statement_timeout_ms counts as the
 * session's.
 * @param conn  the connection (used by one thread at a time).
 * @param ms    the bound in milliseconds; 0 turns it off.
 */
CERD_EXTERN void cerd_conn_set_io_timeout(cerd_conn *conn, unsigned ms);

/** The connection's I/O timeout in milliseconds (cerd_conn_set_io_timeout()); 0: off. */
CERD_EXTERN unsigned cerd_conn_io_timeout(const cerd_conn *conn);

/**
 * Asks the server to cancel the statement running on @p conn (libpq's PQcancel()). The
 * one function of a connection that any thread may call while another thread uses the
 * connection; @p conn must stay open (not freed, not released to a pool) during the call.
 * The canceled call returns ::CERD_ECANCELED (SQLSTATE 57014 for a cancel the library
 * asked for; a statement_timeout still gives ::CERD_ETIMEOUT), normally within a round
 * trip; inside a transaction the transaction is then failed and must be rolled back.
 * When nothing is running the server ignores the request; the mark stays until the
 * connection's next SQLSTATE 57014 or until it is freed.
 * @return 0 when the request was delivered (the statement may still have finished
 *         first); ::CERD_ECONNECT when it could not be sent (message in
 *         cerd_error_last() of the calling thread); ::CERD_EMISUSE for NULL.
 */
CERD_EXTERN int cerd_conn_cancel(cerd_conn *conn);

CERD_END_DECLS

#endif
