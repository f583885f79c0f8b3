/**
 * @file conn.h
 * @brief One connection to PostgreSQL.
 *
 * A connection is used by one thread at a time; different connections may be used by
 * different threads at once. Every session the library opens uses TimeZone UTC.
 */
#ifndef CRYPTOERD_CONN_H
#define CRYPTOERD_CONN_H

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

CERD_END_DECLS

#endif
