/* Setting the per-thread error record from inside the library. */
#ifndef CERD_ERROR_INTERNAL_H
#define CERD_ERROR_INTERNAL_H

#include <stddef.h>

#include <libpq-fe.h>

#include "cryptoerd/error.h"

/* Records a client-side failure; returns code so callers can `return cerd__error(...)`. */
int cerd__error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Sets the table, column and constraint fields of the record cerd__error() just set
   (NULL leaves a field empty): for client-side failures that concern them, such as a
   row refused by validation. */
void cerd__error_names(const char *table, const char *column, const char *constraint);

/* After a failed COPY (or the COMMIT of its deferred checks): Citus reports a foreign-key
   check that failed on a worker during a COPY as an internal error (XX000) carrying the
   worker's message; that is the foreign key's violation (23503, CERD_EFOREIGNKEY, names
   from the message). Returns the record's code. */
int cerd__error_worker_foreign_key(void);

/* Sets the record's input line (cerd_error.line) after the error was recorded. */
void cerd__error_line(int64_t line);

/* Puts "<prefix>: " before the current message (context added by a caller); keeps the
   code and the other fields; returns the code. */
int cerd__error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Records a failed PGresult (or, when res is NULL, the connection's error) and returns
   the code its SQLSTATE maps to. `what` prefixes the message ("migration 002_users"). */
int cerd__error_from_pg(PGconn *pg, const PGresult *res, const char *what);

/* Records a server error with `code` from its fields (what cerd__error_from_pg reads from
   a PGresult; NULL fields are empty), `what` prefixing the message. When an
   integrity violation (SQLSTATE class 23) comes without its constraint, table or column
   field, as Citus passes on an error raised on a worker, they are taken from the primary
   message ("... violates foreign key constraint "x_fkey_102087"", "relation "t_102040"",
   "null value in column "c""): they may then carry a shard suffix
   (cerd__error_to_logical_names). */
void cerd__error_server(int code, const char *sqlstate, const char *msg, const char *detail,
                        const char *table, const char *column, const char *constraint,
                        const char *what);

/* For an operation on `table`, whose own constraints are names[0..n): when the recorded
   integrity violation names a constraint that is none of them but is one of them plus a
   Citus shard suffix ("users_email_key_102008"), the suffix is removed; so it is from a
   table name that is `table` plus a suffix ("users_102008"); and an empty table name
   becomes `table` when the constraint is one of its own. Names read from the message of
   another table's constraint lose the suffix when table and constraint end in the same
   one ("child_102087", "child_fkey_102087"). A table name that is one of `table`'s
   partitions (schema/003: "price_data_y2025m07", "price_data_default"; on Citus after
   the suffix is gone) becomes `table`: the caller wrote to the table, not the partition.
   Any other record is left as it is. */
void cerd__error_to_logical_names(const char *table, const char *const *names, size_t n);

/* Cancel marks: cerd_conn_cancel() marks a connection before it sends the cancel request,
   so that the SQLSTATE 57014 it causes is reported as CERD_ECANCELED rather than as a
   statement timeout (CERD_ETIMEOUT). cerd__error_from_pg() takes the mark off when it
   maps that 57014; cerd__cancel_mark(pg, false) takes it off otherwise (connection freed,
   cancel request not sent). Thread-safe. */
void cerd__cancel_mark(const PGconn *pg, int on);

/* The code a SQLSTATE maps to (23505 -> CERD_EUNIQUE, ...). */
int cerd__error_code_for_sqlstate(const char *sqlstate);

#endif
