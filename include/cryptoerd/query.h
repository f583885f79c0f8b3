/**
 * @file query.h
 * @brief Typed queries: the generic runtime behind the functions cerdgen generates from
 *        queries/\*.sql (see docs/queries.md).
 *
 * Every annotated query of `queries/FILE.sql` gets, in cryptoerd/queries/FILE.h, a
 * parameter struct, a result row struct and a descriptor ::cerd_query; the typed functions
 * there forward to the functions below. A query's parameters and its result row are each
 * described like a table (::cerd_table), so they travel through the same binary codec as
 * table rows: parameters are binary values of a statement prepared once per connection (the
 * statement cache of the table API), results are decoded in binary into the row struct.
 *
 * Ownership: parameters are borrowed and never modified. Result rows and lists belong to the
 * caller, released with the generated `cerd_q_<name>_clear()` / `cerd_q_<name>_rows_free()`
 * (generic: cerd_row_clear() / cerd_rows_free() with cerd_query::result); an @c out row must
 * be zero-initialised or hold a row, whose data is released before it is overwritten.
 * Descriptors are static and read-only; a ::cerd_conn is used by one thread at a time.
 */
#ifndef CRYPTOERD_QUERY_H
#define CRYPTOERD_QUERY_H

#include <stddef.h>
#include <stdint.h>

#include <cryptoerd/bulk.h>
#include <cryptoerd/common.h>
#include <cryptoerd/conn.h>
#include <cryptoerd/descriptor.h>
#include <cryptoerd/row.h>
#include <cryptoerd/types.h>

CERD_BEGIN_DECLS

/** Layout version of ::cerd_query. Generated code refuses to compile against another. */
#define CERD_QUERY_ABI 1

/** What a query gives back (its annotation's shape). */
typedef enum cerd_query_shape {
    CERD_QUERY_ONE = 1, /**< `:one`: exactly one row (none: ::CERD_ENOTFOUND). */
    CERD_QUERY_MANY,    /**< `:many`: a list of rows, or a stream. */
    CERD_QUERY_EXEC     /**< `:exec`: no rows; the number of rows affected. */
} cerd_query_shape;

/** A parameter compared with (`col = @p`, `col IN (@p, ...)`) or assigned to (`SET col =
 *  @p`) a table column: before the query runs, its value is checked against that column's
 *  rules (length, precision, CHECKs that read only that column), as a row would be. */
typedef struct cerd_query_check {
    uint16_t param;          /**< Parameter index (0-based, in `$n` order). */
    const cerd_table *table; /**< The table of the column. */
    uint16_t column;         /**< The column's index in @c table. */
} cerd_query_check;

/** Everything the runtime knows about one query. Generated; never written by hand. */
typedef struct cerd_query {
    uint32_t abi;                  /**< ::CERD_QUERY_ABI it was generated for. */
    const char *name;              /**< Name from the annotation. */
    const char *origin;            /**< "queries/<file>.sql:<line>" of the annotation. */
    const char *sql;               /**< The statement, with `$n` parameters. */
    cerd_query_shape shape;        /**< Its shape. */
    const cerd_table *params;      /**< The parameter struct, one column per parameter in
                                        `$n` order; NULL when the query has none. */
    const uint32_t *param_oids;    /**< PostgreSQL type of each parameter, as prepared. */
    const cerd_table *result;      /**< The result row struct; NULL for `:exec`. */
    const uint32_t *result_oids;   /**< PostgreSQL type of each result column. */
    const int32_t *result_typmods; /**< Its type modifier (numeric(p,s), varchar(n)), or -1. */
    uint16_t nchecks;              /**< Number of parameter checks. */
    const cerd_query_check *checks; /**< Parameter checks (see ::cerd_query_check). */
} cerd_query;

/**
 * Checks the parameters of @p q against the column rules they are compared with, without a
 * server. @return 0, or ::CERD_EINVALID with the error record naming the query, the
 * parameter, the table, the column and the constraint.
 */
CERD_EXTERN int cerd_query_validate(const cerd_query *q, const void *params);

/**
 * Runs a `:one` query: its one row into @p out (a zero-initialised or held row of
 * cerd_query::result). @return 0; ::CERD_ENOTFOUND when there is no row, ::CERD_ERROR when
 * there are several; ::CERD_EINVALID for a parameter refused by cerd_query_validate().
 */
CERD_EXTERN int cerd_query_one(void *out, cerd_conn *conn, const cerd_query *q,
                               const void *params);

/**
 * Runs a `:many` query: every row into @p out (cerd_rows::next is never valid: page with the
 * query's own keyset parameters). Release with cerd_rows_free(q->result, out).
 */
CERD_EXTERN int cerd_query_many(cerd_rows *out, cerd_conn *conn, const cerd_query *q,
                                const void *params);

/**
 * Runs a `:exec` query; @p out (may be NULL) receives the number of rows it affected.
 */
CERD_EXTERN int cerd_query_exec(int64_t *out, cerd_conn *conn, const cerd_query *q,
                                const void *params);

/**
 * Opens a stream over the rows of a `:many` query (a server-side cursor fetched
 * @p fetch_rows at a time, 0: 1000), read with cerd_stream_next() into rows of
 * cerd_query::result and closed with cerd_stream_close(), as the streams of bulk.h.
 */
CERD_EXTERN int cerd_query_stream(cerd_stream **out, cerd_conn *conn, const cerd_query *q,
                                  const void *params, size_t fetch_rows);

/**
 * Runs an `:exec` query once per parameter struct, all in one pipelined round trip (a
 * ::cerd_batch in atomic mode: one transaction, or a savepoint of the caller's): every
 * parameter set is checked first (a refused one sends nothing), and on any failure
 * nothing is written. The bulk variant of the generated `cerd_q_<name>_many()`.
 * @param[out] out  the rows affected, summed (may be NULL).
 * @param conn      the connection (used by one thread at a time).
 * @param q         the query (a generated `cerd_q_<name>_query`), of shape `:exec`.
 * @param params    @p n consecutive parameter structs of cerd_query::params (ignored for
 *                  a query without parameters: it runs @p n times).
 * @param n         how many parameter sets (0: nothing is sent, *out is 0).
 * @return 0; ::CERD_EINVALID for a refused parameter, its message starting with
 *         "batch operation N (query <name>)", N the 0-based index of the struct; server
 *         errors likewise; ::CERD_EMISUSE for another shape.
 */
CERD_EXTERN int cerd_query_execmany(int64_t *out, cerd_conn *conn, const cerd_query *q,
                                    const void *params, size_t n);

/**
 * Queues query @p q with @p params in a pipelined batch (bulk.h), next to table
 * operations: its parameters are checked and encoded now (borrowed only during the call;
 * a refused set takes its place in the results with ::CERD_EINVALID and is not sent), and
 * it runs as the connection's prepared statement of @p q, as cerd_query_exec() runs it.
 * Its ::cerd_batch_result has @c affected (the rows affected, or returned), no row, and
 * a NULL @c table.
 * @return 0 (queued); ::CERD_EMISUSE, ::CERD_ENOMEM (nothing queued).
 */
CERD_EXTERN int cerd_batch_query(cerd_batch *b, const cerd_query *q, const void *params);

CERD_END_DECLS

#endif
