/* Setting the per-thread error record from inside the library. */
#ifndef CERD_ERROR_INTERNAL_H
#define CERD_ERROR_INTERNAL_H

#include <libpq-fe.h>

#include "cryptoerd/error.h"

/* Records a client-side failure; returns code so callers can `return cerd__error(...)`. */
int cerd__error(int code, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Sets the table, column and constraint fields of the record cerd__error() just set
   (NULL leaves a field empty): for client-side failures that concern them, such as a
   row refused by validation. */
void cerd__error_names(const char *table, const char *column, const char *constraint);

/* Puts "<prefix>: " before the current message (context added by a caller); keeps the
   code and the other fields; returns the code. */
int cerd__error_prefix(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Records a failed PGresult (or, when res is NULL, the connection's error) and returns
   the code its SQLSTATE maps to. `what` prefixes the message ("migration 002_users"). */
int cerd__error_from_pg(PGconn *pg, const PGresult *res, const char *what);

/* Cancel marks: cerd_conn_cancel() marks a connection before it sends the cancel request,
   so that the SQLSTATE 57014 it causes is reported as CERD_ECANCELED rather than as a
   statement timeout (CERD_ETIMEOUT). cerd__error_from_pg() takes the mark off when it
   maps that 57014; cerd__cancel_mark(pg, false) takes it off otherwise (connection freed,
   cancel request not sent). Thread-safe. */
void cerd__cancel_mark(const PGconn *pg, int on);

/* The code a SQLSTATE maps to (23505 -> CERD_EUNIQUE, ...). */
int cerd__error_code_for_sqlstate(const char *sqlstate);

#endif
