/**
 * @file error.h
 * @brief Error codes and the per-thread error record.
 *
 * Every function returns 0 or a negative ::cerd_error_code. The calling thread's error
 * record (cerd_error_last()) then holds the message and, for server errors, the
 * SQLSTATE and the table, column and constraint the server named. The error record is
 * per thread: a failure in one thread never overwrites another thread's record.
 */
#ifndef CRYPTOERD_ERROR_H
#define CRYPTOERD_ERROR_H

#include <stdint.h>

#include <cryptoerd/common.h>

CERD_BEGIN_DECLS

/**
 * The error codes, as one list: X(name, value, description). Codes are append-only:
 * a value, once released, is never reused or renumbered.
 */
#define CERD_ERROR_CODES(X)                                                          \
    X(CERD_OK, 0, "success")                                                         \
    X(CERD_ERROR, -1, "unclassified error")                                          \
    X(CERD_ENOTFOUND, -2, "no such row")                                             \
    X(CERD_EUNIQUE, -3, "unique constraint violated: the row already exists")       \
    X(CERD_EFOREIGNKEY, -4, "foreign-key constraint violated")                       \
    X(CERD_ECHECK, -5, "check constraint violated")                                  \
    X(CERD_ENOTNULL, -6, "not-null constraint violated")                             \
    X(CERD_EINVALID, -7, "the row failed client-side validation")                    \
    X(CERD_ETIMEOUT, -8, "timed out")                                                \
    X(CERD_ECONNLOST, -9, "the connection to the server was lost")                   \
    X(CERD_ECONNECT, -10, "could not connect to the server")                         \
    X(CERD_ESERIALIZATION, -11, "serialization failure or deadlock: retry the transaction") \
    X(CERD_EMISUSE, -12, "the API was used incorrectly")                             \
    X(CERD_ENOMEM, -13, "out of memory")                                             \
    X(CERD_ESERVER, -14, "the server reported an error")                             \
    X(CERD_EMIGRATION, -15, "the database's schema history does not match this library") \
    X(CERD_ERANGE, -16, "value out of range for its type")                          \
    X(CERD_EENCODING, -17, "text is not valid UTF-8 or contains a NUL byte")         \
    X(CERD_EPRIVILEGE, -18, "insufficient privilege: refused by a grant or row-level security") \
    X(CERD_ECOMMITUNKNOWN, -19,                                                      \
      "the connection was lost after COMMIT was sent: the transaction may or may not be committed") \
    X(CERD_ECANCELED, -20, "the statement was canceled by cerd_conn_cancel()")

/** @cond INTERNAL */
#define CERD__ERROR_ENUM_ENTRY(name, value, text) name = value,
/** @endcond */

/**
 * Error codes returned by every libcryptoerd function: the names and values of
 * ::CERD_ERROR_CODES, whose descriptions cerd_strerror() returns and whose names
 * cerd_error_name() returns.
 */
typedef enum cerd_error_code { CERD_ERROR_CODES(CERD__ERROR_ENUM_ENTRY) } cerd_error_code;

/**
 * Details of the calling thread's last failure. Strings are never NULL: a field the
 * failure did not concern is the empty string.
 */
typedef struct cerd_error {
    int code;              /**< The ::cerd_error_code returned. */
    char sqlstate[6];      /**< Five-character SQLSTATE from the server, or "". */
    const char *message;   /**< Readable message: what failed and why. */
    const char *detail;    /**< The server's DETAIL line (for example the offending key), or "". */
    const char *table;     /**< Table the error concerns, or "". */
    const char *column;    /**< Column the error concerns, or "". */
    const char *constraint; /**< Constraint that was violated, or "". */
    int64_t line;          /**< Line (from 1) of the input file the error concerns
                                (cerd_import()), or 0. */
} cerd_error;

/**
 * The calling thread's error record. Borrowed: valid until the next libcryptoerd call
 * in this thread. After a successful call it may still describe an older failure: look
 * at it only when a call returned non-zero.
 */
CERD_EXTERN const cerd_error *cerd_error_last(void);

/** Resets the calling thread's error record to ::CERD_OK. */
CERD_EXTERN void cerd_error_clear(void);

/** A static description of @p code; unknown codes give "unknown error code". */
CERD_EXTERN const char *cerd_strerror(int code);

/** The name of @p code as a static string ("CERD_ENOTFOUND"); unknown codes give
 *  "CERD_EUNKNOWN". For logs and for bindings that map codes to their own names. */
CERD_EXTERN const char *cerd_error_name(int code);

CERD_END_DECLS

#endif
