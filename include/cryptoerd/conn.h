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
 * @return 0, ::CERD_ECONNECT when the server cannot be reached or refuses the login,
 *         ::CERD_ENOMEM.
 */
CERD_EXTERN int cerd_conn_open(cerd_conn **out, const char *conninfo);

/** Closes the connection and releases it. Accepts NULL. */
CERD_EXTERN void cerd_conn_free(cerd_conn *conn);

/**
 * Runs one or more SQL statements that return no rows the caller needs (DDL, SET, ...).
 * Values must never be formatted into @p sql: this is for fixed statements only.
 *
 * @return 0, or the code of the server's error (details in cerd_error_last()).
 */
CERD_EXTERN int cerd_conn_exec(cerd_conn *conn, const char *sql);

/** Starts a transaction (BEGIN). @return 0, ::CERD_EMISUSE when one is already open. */
CERD_EXTERN int cerd_conn_begin(cerd_conn *conn);

/** Commits the open transaction. @return 0, ::CERD_EMISUSE when none is open. */
CERD_EXTERN int cerd_conn_commit(cerd_conn *conn);

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

/** Options of cerd_conn_transact(); initialise with ::CERD_TXN_OPTIONS_INIT. */
typedef struct cerd_txn_options {
    unsigned version;          /**< Layout version: 1. */
    cerd_isolation isolation;  /**< Isolation level of each attempt. */
    unsigned max_attempts;     /**< Attempts before giving up on a retryable failure (>= 1). */
} cerd_txn_options;

/** Default options: server isolation level, up to 10 attempts. */
#define CERD_TXN_OPTIONS_INIT {1, CERD_ISOLATION_DEFAULT, 10}

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
 *         when every attempt was a retryable failure).
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

CERD_END_DECLS

#endif
